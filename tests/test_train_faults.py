"""Faults while training (issue 16, item 3): a full disk during a checkpoint or a sample
write, and ``kill -9`` at random moments. Each must end in one line, leave no checkpoint
that looks complete but is not, and let ``--resume`` continue from the last complete one.
The ten-trial kill campaign is ``benchmarks/kill_train.py``; two of its trials run here.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import tiny_train_toml, write_meows
from mockingbot.cli.main import app
from mockingbot.trainer.rundir import prepare_run_dir

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "kill_train.py"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """12 meows and a 6-step config (checkpoints and samples at steps 3 and 6)."""
    folder = tmp_path_factory.mktemp("inputs")
    config = folder / "tiny.toml"
    config.write_text(
        tiny_train_toml(steps=6, batch_size=4, checkpoint_every=3, sample_every=3, log_every=1)
    )
    return write_meows(folder / "meows", 12), config


def _kill_bench():
    spec = importlib.util.spec_from_file_location("kill_train", _BENCH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _disk_full(path: str) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", path)


def test_a_folder_left_by_a_kill_before_the_run_started_can_be_used(tmp_path: Path) -> None:
    """Killed between caching the data and writing config.json: --resume says to start a new
    run, so a new run must accept the folder (it used to refuse it, --force too)."""
    run = tmp_path / "run"
    (run / "cache").mkdir(parents=True)
    (run / "cache" / "features.npz").write_bytes(b"partial")
    prepare_run_dir(run, resume=False, force=False)
    assert (run / "cache" / "features.npz").exists()  # nothing deleted
    (run / "notes.txt").write_text("mine")
    with pytest.raises(Exception, match="already exists"):
        prepare_run_dir(run, resume=False, force=False)


@pytest.mark.train
def test_a_run_killed_before_its_first_checkpoint_can_be_resumed(
    tmp_path: Path, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/kill_train found it: killed after config.json but before the first
    checkpoint, `--resume RUN` said the run "does not record its data folder"."""
    from mockingbot.trainer import loop

    data_dir, tiny_toml = inputs

    def killed(*args: object, **kwargs: object) -> None:
        raise SystemExit(-9)  # where kill -9 would have struck: before any step

    monkeypatch.setattr(loop.GanTrainer, "__init__", killed)
    run = tmp_path / "run"
    CliRunner().invoke(app, ["train", str(data_dir), "--out", str(run), "--config", str(tiny_toml)])
    assert not (run / "checkpoints").exists()
    assert json.loads((run / "run.json").read_text())["data_dir"] == str(data_dir.resolve())
    monkeypatch.undo()
    resumed = CliRunner().invoke(app, ["train", "--resume", str(run), "--steps", "3"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((run / "run.json").read_text())["steps"] == 3


@pytest.mark.train
def test_an_init_from_run_killed_before_its_first_checkpoint_resumes_from_the_state(
    tmp_path: Path, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after run.json but before it recorded what it started from, an --init-from
    run used to resume from random networks and, at its first checkpoint, write them over
    the state file it refreshes (the default model's 62 000 steps, in
    scripts/train-default-model.sh, where --init-from and --save-state are one file)."""
    from mockingbot.trainer import run as run_module
    from mockingbot.trainer.state import read_state

    data_dir, tiny_toml = inputs
    state = tmp_path / "state.npz"
    args = ["train", str(data_dir), "--config", str(tiny_toml)]
    first = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "a"), "--steps", "3", "--save-state", str(state)]
    )
    assert first.exit_code == 0, first.output
    assert read_state(state)[1]["steps"] == 3

    def killed(*args: object, **kwargs: object) -> None:
        raise SystemExit(-9)  # where kill -9 would have struck: networks built, not loaded

    monkeypatch.setattr(run_module, "_init_from", killed)
    run = tmp_path / "b"
    CliRunner().invoke(
        app, [*args, "--out", str(run), "--init-from", str(state), "--save-state", str(state)]
    )
    assert not (run / "checkpoints").exists()
    assert read_state(state)[1]["steps"] == 3  # untouched so far
    monkeypatch.undo()
    resumed = CliRunner().invoke(app, ["train", "--resume", str(run), "--steps", "3"])
    assert resumed.exit_code == 0, resumed.output
    assert "initialised from" in resumed.output
    info = json.loads((run / "run.json").read_text())
    assert info["init_from"]["step"] == 3 and "init_from_request" not in info
    assert read_state(state)[1]["steps"] == 6  # cumulative: 3 before + 3 resumed


@pytest.mark.train
def test_a_full_disk_during_a_checkpoint_stops_in_one_line_and_resume_continues(
    tmp_path: Path, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, tiny_toml = inputs
    tf = pytest.importorskip("tensorflow")
    real_save = tf.train.CheckpointManager.save

    def save(self, checkpoint_number=None, **kwargs):
        if checkpoint_number == 6:  # half a checkpoint's files, then the disk is full
            folder = Path(self.directory)
            (folder / "ckpt-6.data-00000-of-00001").write_bytes(b"\0" * 100)
            (folder / "ckpt-6.index").write_bytes(b"\x01")
            raise _disk_full(str(folder / "ckpt-6.data-00000-of-00001"))
        return real_save(self, checkpoint_number=checkpoint_number, **kwargs)

    monkeypatch.setattr(tf.train.CheckpointManager, "save", save)
    run = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["train", str(data_dir), "--out", str(run), "--config", str(tiny_toml)]
    )
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    assert "cannot write the checkpoint of step 6" in errors[0]
    assert "No space left on device; free some space" in errors[0]
    assert "continues from its last complete checkpoint (step 3)" in errors[0]
    # the index still names the complete checkpoint, and run.json agrees
    assert 'model_checkpoint_path: "ckpt-3"' in (run / "checkpoints" / "checkpoint").read_text()
    assert json.loads((run / "run.json").read_text())["steps"] == 3

    monkeypatch.setattr(tf.train.CheckpointManager, "save", real_save)  # space is back
    resumed = CliRunner().invoke(app, ["train", "--resume", str(run)])
    assert resumed.exit_code == 0, resumed.output
    assert "no checkpoint found" not in resumed.stderr
    assert json.loads((run / "run.json").read_text())["steps"] == 6
    from mockingbot.trainer.load import load_generator

    assert load_generator(run)[3] == 6  # the overwritten half checkpoint now restores


@pytest.mark.train
def test_a_run_that_diverges_stops_in_one_line_and_saves_nothing_after_its_last_checkpoint(
    tmp_path: Path, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NaN weights used to end in a traceback from the harmonic gather (index NaN → INT_MAX),
    and a checkpoint or training state written after them would lose what was learned."""
    import numpy as np

    from mockingbot.trainer import loop
    from mockingbot.trainer.state import read_state

    data_dir, tiny_toml = inputs
    real_step = loop.GanTrainer.train_step

    def poisoned(self, batch):
        if int(self.step.numpy()) == 3:  # the step after the checkpoint of step 3
            w = self.generator.weights[0]
            w.assign(np.full(w.shape, np.nan, dtype=w.dtype))
        return real_step(self, batch)

    monkeypatch.setattr(loop.GanTrainer, "train_step", poisoned)
    run, state = tmp_path / "run", tmp_path / "state.npz"
    args = ["train", str(data_dir), "--out", str(run), "--config", str(tiny_toml)]
    result = CliRunner().invoke(app, [*args, "--save-state", str(state)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert "training diverged at step 4" in errors[0]
    assert "its last checkpoint (step 3) is kept" in errors[0] and "--init-from" in errors[0]
    assert 'model_checkpoint_path: "ckpt-3"' in (run / "checkpoints" / "checkpoint").read_text()
    assert json.loads((run / "run.json").read_text())["steps"] == 3
    arrays, info = read_state(state)
    assert info["steps"] == 3 and all(np.isfinite(a).all() for a in arrays.values())

    monkeypatch.undo()
    resumed = CliRunner().invoke(app, ["train", "--resume", str(run)])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((run / "run.json").read_text())["steps"] == 6


@pytest.mark.train
def test_a_full_disk_while_writing_samples_is_one_line(
    tmp_path: Path, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, tiny_toml = inputs
    from mockingbot.trainer import samples

    def write_samples(*args, **kwargs):
        raise _disk_full("sample_00.wav")

    monkeypatch.setattr(samples, "write_samples", write_samples)
    run = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["train", str(data_dir), "--out", str(run), "--config", str(tiny_toml)]
    )
    assert result.exit_code == 1, result.output
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert "cannot write the samples of step 3" in line and "(step 3)" in line


@pytest.mark.train
@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_continues_from_the_last_checkpoint(
    tmp_path: Path,
) -> None:
    bench = _kill_bench()
    data, config = bench.setup(tmp_path)
    # A real SIGKILL after the first checkpoint: mid-step, between or during checkpoints, as
    # the random delay falls. Kills before the first checkpoint (the process starting, the
    # networks built but not loaded) are the in-process tests above: each real kill costs
    # two TensorFlow start-ups, and benchmarks/kill_train.py runs many from every origin.
    delay = random.Random(16).uniform(0.0, 2.0)
    report = bench.kill_trial(tmp_path / "run", data, config, delay, origin="checkpoint")
    assert report["ok"], report
    assert report["last"] is not None
