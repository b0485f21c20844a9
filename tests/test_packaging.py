"""The install contract: the runtime and ``mbot --help`` never import TensorFlow, ``mbot
--help`` and the parsing of every command import nothing heavy (#14), and every command
group is wired. (How fast ``mbot --help`` answers is measured by
``benchmarks/cli_startup.py``, not asserted here: a timing would be flaky.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

_HEAVY = ("tensorflow", "keras", "tf2onnx")
#: What ``mbot --help`` and option parsing must not import (#14: each costs 0.3-10 s).
_FORBIDDEN_AT_STARTUP = ("scipy.signal", "matplotlib", "sklearn", "onnxruntime", "tensorflow")
#: What the ``mbot`` console script runs (pyproject ``[project.scripts]``).
_MBOT = "import sys\nfrom mockingbot.cli.main import main\nsys.argv[0] = 'mbot'\nmain()\n"


_MARK = "--- modules ---"


def _modules_after(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a fresh interpreter (what ``code`` itself
    prints, such as help text, comes before the marker and is ignored)."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code + f"\nimport sys\nprint({_MARK!r})\nprint('\\n'.join(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(out.rsplit(_MARK, 1)[1].split())


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


def _forbidden(modules: list[str] | set[str]) -> list[str]:
    return sorted(
        m for m in modules if any(m == f or m.startswith(f + ".") for f in _FORBIDDEN_AT_STARTUP)
    )


def test_mbot_help_imports_nothing_heavy() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _MBOT, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    # -X importtime lines read "import time:  self [us] | cumulative | <indent>package"
    imported = [
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "[us]" not in line
    ]
    assert "mockingbot.cli.main" in imported  # the probe reads what it should
    assert _forbidden(imported) == []


def _every_command_path() -> list[list[str]]:
    """``[]`` and the words of every command and group (``["pack", "verify"]`` ...)."""
    import typer

    from mockingbot.cli.main import app

    paths: list[list[str]] = []

    def walk(cmd, words: list[str]) -> None:  # type: ignore[no-untyped-def]
        paths.append(words)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*words, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_every_commands_help_and_parsing_imports_nothing_heavy() -> None:
    paths = _every_command_path()
    assert ["render-pack"] in paths and ["pack", "verify"] in paths
    code = (
        "import sys\n"
        "from mockingbot.cli.main import app\n"
        f"for words in {paths!r}:\n"
        "    try:\n"
        "        app([*words, '--help'], prog_name='mbot')\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), (words, exc.code)\n"
        "    try:  # parsing: a usage error is found before any command body runs\n"
        "        app([*words, '--no-such-option'], prog_name='mbot')\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 2, (words, exc.code)\n"
    )
    assert _forbidden(_modules_after(code)) == []


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


#: #14: a module longer than this is doing more than one job (a cohesive 400-500 is fine).
_MAX_MODULE_LINES = 500


def test_no_source_module_is_over_500_lines() -> None:
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "mockingbot"
    sizes = {
        p.relative_to(src).as_posix(): len(p.read_text().splitlines()) for p in src.rglob("*.py")
    }
    assert len(sizes) > 50  # the tree was found
    assert {name: n for name, n in sizes.items() if n > _MAX_MODULE_LINES} == {}
