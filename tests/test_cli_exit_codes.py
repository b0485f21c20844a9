"""Exit codes by kind (#14, item 6): 2 for bad usage or bad input, 1 for a failure while
working, 130 on Ctrl-C; each with one ``error:`` line and no traceback, all turned into that
line in one place (:mod:`mockingbot.cli.main`).

A failure is simulated by making the library call behind a command raise: the point is what
the CLI does with what the library raises, wherever it is raised.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mockingbot import errors
from mockingbot.cli.main import app
from mockingbot.errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    EXIT_WORK,
    MockingBotError,
    WorkError,
)

runner = CliRunner()
#: What the trainer says when the disk fills (``trainer/run.py``'s ``_writing``).
DISK_FULL = (
    "cannot write a checkpoint in runs/x: No space left on device; free some space, then run "
    "`mbot train --resume runs/x` (it continues from step 0)"
)


def _mbot(*args: str | Path, **env: str):
    return runner.invoke(app, [str(a) for a in args], env={"MBOT_DEBUG": "", **env})


def _one_error_line(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def _raising(exc: BaseException):
    def library_call(*args: object, **kwargs: object):
        raise exc

    return library_call


def test_the_codes_are_by_kind() -> None:
    assert (EXIT_WORK, EXIT_USAGE, EXIT_INTERRUPTED) == (1, 2, 130)
    assert WorkError("x").exit_code == EXIT_WORK
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, MockingBotError):
            want = EXIT_WORK if issubclass(cls, WorkError) else EXIT_USAGE
            assert cls.exit_code == want, name


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["render-pack", "--no-such-option"], "No such option: --no-such-option"),
        (["render-pack", "--count", "many"], "Invalid value for '--count'"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["--no-such-option"], "No such option"),
        (["evaluate", "generated"], "Missing option '--reference'"),
    ],
)
def test_bad_usage_exits_2_with_one_line_naming_the_help(args: list[str], says: str) -> None:
    line = _one_error_line(_mbot(*args), EXIT_USAGE)
    assert says in line
    assert line.endswith(" --help")


def test_a_bare_command_group_still_shows_its_help() -> None:
    result = _mbot("pack")
    assert result.exit_code == EXIT_USAGE
    assert "verify" in result.output and "error:" not in result.output


def test_bad_input_files_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.onnx"
    assert "not found" in _one_error_line(_mbot("info", missing), EXIT_USAGE)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"this is not a model")
    _one_error_line(_mbot("info", garbage), EXIT_USAGE)


def test_a_failure_while_working_exits_1_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import mockingbot.runtime.onnx_info

    monkeypatch.setattr(mockingbot.runtime.onnx_info, "model_info", _raising(WorkError(DISK_FULL)))
    assert _one_error_line(_mbot("info", "m.onnx"), EXIT_WORK) == f"error: {DISK_FULL}"


def test_ctrl_c_exits_130_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import mockingbot.runtime.onnx_info

    monkeypatch.setattr(mockingbot.runtime.onnx_info, "model_info", _raising(KeyboardInterrupt()))
    assert _one_error_line(_mbot("info", "m.onnx"), EXIT_INTERRUPTED) == "error: interrupted"


def test_mbot_debug_shows_the_traceback_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    import mockingbot.runtime.onnx_info

    monkeypatch.setattr(mockingbot.runtime.onnx_info, "model_info", _raising(WorkError(DISK_FULL)))
    result = _mbot("info", "m.onnx", MBOT_DEBUG="1")
    assert isinstance(result.exception, WorkError)


#: The console script's own process: the exit status a shell or CI job sees.
_PATCHED_MBOT = (
    "import sys\n"
    "import mockingbot.runtime.onnx_info as info\n"
    "from mockingbot.errors import WorkError\n"
    "def model_info(path):\n"
    "    raise {exc}\n"
    "info.model_info = model_info\n"
    "from mockingbot.cli.main import main\n"
    "sys.argv = ['mbot', 'info', 'm.onnx']\n"
    "main()\n"
)


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (f"WorkError({DISK_FULL!r})", EXIT_WORK, f"error: {DISK_FULL}"),
        ("KeyboardInterrupt()", EXIT_INTERRUPTED, "error: interrupted"),
    ],
)
def test_the_process_exit_status_is_the_code(exc: str, code: int, line: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PATCHED_MBOT.format(exc=exc)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MBOT_DEBUG": "", "COLUMNS": "300"},
    )
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.strip() == line


# Every command group must let a WorkError reach cli/main.py: a command that catches
# MockingBotError itself and calls fail() would turn it into exit 2.
@pytest.mark.parametrize(
    ("module", "name", "args"),
    [
        ("mockingbot.runtime.onnx_info", "model_info", ["info", "m.onnx"]),
        ("mockingbot.dataset", "load_dataset", ["dataset", "inspect", "."]),
        (
            "mockingbot.evaluation.report",
            "evaluate",
            ["evaluate", ".", "--reference", ".", "--no-plot"],
        ),
        ("mockingbot.cli.godot", "install", ["godot", "install", "."]),
        ("mockingbot.runtime.verify", "verify_pack", ["pack", "verify", "."]),
        ("mockingbot.runtime.shards", "merge_shards", ["pack", "merge", "."]),
        ("mockingbot.runtime.pack", "render_pack", ["render-pack", "--count", "1"]),
        ("mockingbot.runtime.mutate", "mutate_sound", ["mutate", "x_v01", "--pack", "."]),
    ],
)
def test_every_command_lets_a_work_error_exit_1(
    monkeypatch: pytest.MonkeyPatch, module: str, name: str, args: list[str]
) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module(module), name, _raising(WorkError(DISK_FULL)))
    assert _one_error_line(_mbot(*args), EXIT_WORK) == f"error: {DISK_FULL}"


@pytest.mark.parametrize(
    ("errno_name", "kind", "fix"),
    [
        ("ENOSPC", WorkError, "free some space"),
        ("EDQUOT", WorkError, "free some space"),
        ("EACCES", errors.PackError, "fix that"),
    ],
)
def test_a_full_disk_while_writing_a_pack_is_a_failure_while_working(
    tmp_path: Path, errno_name: str, kind: type, fix: str
) -> None:
    import errno

    from mockingbot.runtime.pack_folder import disk_errors

    code = getattr(errno, errno_name)
    with pytest.raises(MockingBotError) as caught, disk_errors(tmp_path, again="run it again"):
        raise OSError(code, os.strerror(code), str(tmp_path / "a.wav"))
    assert type(caught.value) is kind
    assert str(caught.value).endswith(f"; {fix}, then run it again")
