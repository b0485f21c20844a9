"""The install contract: the runtime and ``mbot --help`` never import TensorFlow, and every
command group is wired. (How fast ``mbot --help`` answers is measured by
``benchmarks/cli_startup.py``, not asserted here.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

_HEAVY = ("tensorflow", "keras", "tf2onnx")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(out.split())


def _heavy(mods: set[str]) -> list[str]:
    return sorted(m for m in mods if m.split(".")[0] in _HEAVY)


@pytest.mark.parametrize(
    "code",
    [
        "import mockingbot.runtime",
        "import mockingbot.runtime.phase, mockingbot.runtime.postprocess",
        "import mockingbot.spec, mockingbot.dataset, mockingbot.audio",
        "from mockingbot.cli.main import app",
    ],
)
def test_runtime_imports_never_pull_in_tensorflow(code: str) -> None:
    assert _heavy(_modules_after(code)) == []


def test_help_is_tensorflow_free() -> None:
    code = (
        "import sys\n"
        "from mockingbot.cli.main import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    assert _heavy(_modules_after(code)) == []


def test_help_lists_every_command_group() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mockingbot.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    from mockingbot.cli.commands import MODULES

    assert "train" in MODULES
    for word in ("train", "dataset"):
        assert word in out


def test_version_flag() -> None:
    from mockingbot import __version__

    out = subprocess.run(
        [sys.executable, "-m", "mockingbot.cli.main", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert out.strip() == f"mbot {__version__}"


# A runtime-only install (no ``[train]`` extra), imitated by making its modules unimportable.
_WITHOUT_TRAIN_EXTRA = (
    "import sys\n"
    "for name in ('tensorflow', 'keras', 'tf2onnx', 'onnx', 'tensorboard'):\n"
    "    sys.modules[name] = None  # `import name` now raises ImportError\n"
    "from mockingbot.cli.main import main\n"
    "sys.argv = ['mbot', *sys.argv[1:]]\n"
    "main()\n"
)


def _mbot_without_train_extra(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_TRAIN_EXTRA, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_the_train_extra_rendering_works_and_training_says_what_to_install(
    tmp_path,
) -> None:
    from conftest import make_tiny_onnx

    model = make_tiny_onnx(tmp_path / "tiny.onnx")
    rendered = _mbot_without_train_extra(
        "render-pack", "--model", model, "--count", "3", "--out", tmp_path / "pack"
    )
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "pack" / "manifest.json").is_file()
    info = _mbot_without_train_extra("info", model)
    assert info.returncode == 0, info.stderr
    for args in (
        ["train", tmp_path, "--out", tmp_path / "run"],
        ["export", "onnx", tmp_path / "run", "-o", tmp_path / "m.onnx"],
    ):
        done = _mbot_without_train_extra(*args)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2, done.stderr
        assert len(lines) == 1 and "mockingbot[train]" in lines[0], done.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "m.onnx").exists()
