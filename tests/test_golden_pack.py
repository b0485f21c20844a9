"""Packs rendered by the shipped model are byte-identical to the recorded ones.

Why: refactoring the render path (splitting modules, merging duplicate helpers, renaming
constants) must not change a single output byte; "the same model and arguments always give
a byte-identical pack" is a promise to users who regenerate packs in their build. The
digests in ``tests/data/golden_packs.json`` were recorded before such work, with the shipped
default model whose SHA-256 they name. A deliberate change of output (a new default model,
a new post-processing step) refreshes them with::

    python tests/test_golden_pack.py

and the commit says why the bytes changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from mockingbot.runtime.model import default_model_path

GOLDEN = Path(__file__).parent / "data" / "golden_packs.json"

#: Two packs that between them pass every stage: WAV at 44.1 kHz with creature sizes and
#: variations, and Ogg at the model's native rate with a different loudness and spread.
CASES: dict[str, list[str]] = {
    "wav-default": ["--count", "6", "--seed", "11", "--creatures", "2"],
    "ogg-native": [
        "--count", "4", "--seed", "5", "--format", "ogg", "--sample-rate", "native",
        "--loudness", "-23", "--spread", "0.6", "--size-range", "0.6:1.8",
    ],
}  # fmt: skip


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render_digests(args: list[str], out: Path) -> dict[str, str]:
    """Render a pack with the CLI and return ``{relative path: sha256}`` of all its files."""
    from typer.testing import CliRunner

    from mockingbot.cli.main import app

    result = CliRunner().invoke(app, ["render-pack", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return {
        p.relative_to(out).as_posix(): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_pack_bytes_match_the_recorded_digests(case: str, tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    model_sha = _sha256(default_model_path())
    assert model_sha == golden["model_sha256"], (
        "the shipped default model changed since the digests were recorded; if that was "
        "deliberate, refresh them: python tests/test_golden_pack.py"
    )
    assert golden["cases"][case]["args"] == CASES[case], "the case's arguments changed"
    got = render_digests(CASES[case], tmp_path / case)
    want = golden["cases"][case]["files"]
    changed = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
    assert not changed, f"{len(changed)} file(s) differ from the recorded pack: {changed[:8]}"


def _record() -> None:
    import tempfile

    cases = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in CASES.items():
            cases[name] = {"args": args, "files": render_digests(args, Path(tmp) / name)}
    data = {"model_sha256": _sha256(default_model_path()), "cases": cases}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"recorded {sum(len(c['files']) for c in cases.values())} digests → {GOLDEN}")


if __name__ == "__main__":
    sys.exit(_record())
