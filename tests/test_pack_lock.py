"""One writer per pack folder (issue 16, item 3): a second render-pack into the same ``--out``
is refused with one line naming the first one's PID, a dead writer's lock is taken over, and
nothing of the refused run mixes into the pack. Run with real processes, because the lock is
the kernel's (``flock``) and the promise is about two processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import make_tiny_onnx
from mockingbot.cli.main import app
from mockingbot.runtime.folder_lock import FolderBusyError, folder_lock
from mockingbot.runtime.pack_folder import pack_lock

runner = CliRunner()
ARGS = ["--count", "6", "--seed", "2", "--sample-rate", "16000"]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_onnx(tmp_path_factory.mktemp("model") / "tiny.onnx")


def _mbot_process(*args: str | Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "mockingbot.cli.main", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _wait_for(predicate, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert proc.poll() is None, "the first process ended too early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _holder(out: Path) -> subprocess.Popen:
    """Another process that takes a whole-pack render's lock on ``out`` and sleeps."""
    code = (
        "import sys, time\nfrom pathlib import Path\n"
        "from mockingbot.runtime.pack_folder import pack_lock\n"
        f"with pack_lock(Path({str(out)!r}), None):\n"
        "    print('locked', flush=True)\n    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_render_into_a_locked_folder_is_refused_then_takes_over_a_dead_lock(
    model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pack"
    holder = _holder(out)
    try:
        refused = _mbot_process("render-pack", *ARGS, "--model", model, "--out", out)
        assert refused.returncode == 2, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in refused.stderr
        assert f"is being rendered into by another mbot (PID {holder.pid})" in lines[0]
        assert sorted(p.name for p in out.iterdir()) == [".mbot-lock"]  # nothing written
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert (out / ".mbot-lock").exists()  # left behind by the dead holder: stale
    done = _mbot_process("render-pack", *ARGS, "--model", model, "--out", out)
    assert done.returncode == 0, done.stderr
    assert not (out / ".mbot-lock").exists()
    assert runner.invoke(app, ["pack", "verify", str(out)]).exit_code == 0


def test_two_real_renders_into_one_folder_never_mix(model: Path, tmp_path: Path) -> None:
    """The first render is mid-way when the second (even with --force) starts: the second is
    refused and changes nothing; what the first wrote is byte for byte what a render that ran
    alone writes (a sound depends on its creature and variation, not on the count)."""
    out = tmp_path / "pack"
    args = ["--seed", "4", "--sample-rate", "16000", "--variations", "10"]
    cmd = [sys.executable, "-m", "mockingbot.cli.main", "render-pack", *args]
    first = subprocess.Popen(
        [*cmd, "--count", "2000", "--batch-size", "1", "--model", str(model), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = out / ".mbot-progress.jsonl"
    try:
        _wait_for(lambda: journal.exists() and journal.read_bytes().count(b"\n") >= 5, first)
        second = _mbot_process(
            "render-pack", *args, "--count", "2000", "--model", model, "--out", out, "--force"
        )
        assert first.poll() is None, "the first render ended before the second started"
        assert second.returncode == 2, second.stderr
        assert f"(PID {first.pid})" in second.stderr
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    alone = tmp_path / "alone"
    lone = _mbot_process("render-pack", *args, "--count", "20", "--model", model, "--out", alone)
    assert lone.returncode == 0, lone.stderr
    compared = 0
    for p in sorted((alone / "audio").iterdir()):
        if (out / "audio" / p.name).exists():
            assert (out / "audio" / p.name).read_bytes() == p.read_bytes(), p.name
            compared += 1
    assert compared >= 5


def test_a_stale_lock_does_not_make_a_folder_foreign(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    out.mkdir()
    (out / ".mbot-lock").write_text("999999999\n")  # a PID no process has
    result = runner.invoke(app, ["render-pack", *ARGS, "--model", str(model), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / ".mbot-lock").exists()


def test_shards_of_one_pack_share_a_folder_but_a_whole_render_does_not(tmp_path: Path) -> None:
    with pack_lock(tmp_path, (1, 2)), pack_lock(tmp_path, (2, 2)):
        with pytest.raises(FolderBusyError, match="being rendered into"):
            pack_lock(tmp_path, None).__enter__()
        with pytest.raises(FolderBusyError, match="PID"):
            pack_lock(tmp_path, (1, 2)).__enter__()
    with pack_lock(tmp_path, None), pytest.raises(FolderBusyError, match=f"PID {os.getpid()}"):
        pack_lock(tmp_path, (1, 2)).__enter__()
    assert list(tmp_path.iterdir()) == []  # the last one out deletes the locks


def test_mutate_is_refused_while_a_render_writes_the_pack(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    assert (
        runner.invoke(
            app, ["render-pack", *ARGS, "--model", str(model), "--out", str(out)]
        ).exit_code
        == 0
    )
    before = sorted(p.name for p in (out / "audio").iterdir())
    with folder_lock(out, ".mbot-lock"):
        result = runner.invoke(
            app, ["mutate", "creature_000_v00", "--pack", str(out), "--model", str(model)]
        )
    assert result.exit_code == 2, result.output
    assert "is being rendered into by another mbot" in result.stderr
    assert sorted(p.name for p in (out / "audio").iterdir()) == before


def test_a_refused_render_leaves_no_folder_behind(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "new"
    result = runner.invoke(
        app,
        ["render-pack", *ARGS, "--model", str(model), "--out", str(out), "--resume", "--force"],
    )
    assert result.exit_code == 2
    assert not out.exists()


def test_merge_is_refused_while_a_shard_still_renders_into_the_folder(
    model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "shared"
    for shard in ("1/2", "2/2"):
        args = ["render-pack", *ARGS, "--creatures", "2", "--model", str(model), "--out", str(out)]
        args += ["--shard", shard]
        assert runner.invoke(app, args).exit_code == 0
    with pack_lock(out, (2, 2)):  # shard 2 is (still) rendering: its files may change
        busy = runner.invoke(app, ["pack", "merge", str(out)])
    assert busy.exit_code == 2 and "being rendered into by another mbot" in busy.stderr
    assert not (out / "manifest.json").exists()
    assert runner.invoke(app, ["pack", "merge", str(out)]).exit_code == 0
    assert runner.invoke(app, ["pack", "verify", str(out)]).exit_code == 0
