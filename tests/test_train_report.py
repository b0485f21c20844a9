"""What ``mbot train`` reports about its data: the files it skips (and why) and, in
``run.json``, how many files it used (issue 17, item 13)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from conftest import TINY_SPEC, tiny_train_toml, write_meows
from mockingbot.dataset import load_dataset
from mockingbot.trainer import runinfo

SR = 8000


def _mixed_folder(root: Path, *, good: int = 12, silent: int = 2) -> Path:
    """``good`` usable meows, ``silent`` silent files, one too short and one text file."""
    write_meows(root, good)
    for i in range(silent):
        sf.write(root / f"silent_{i:02d}.wav", np.zeros(SR, np.float32), SR)
    blip = 0.5 * np.sin(2 * np.pi * 500 * np.arange(int(0.03 * SR)) / SR)
    sf.write(root / "blip.wav", blip.astype(np.float32), SR)
    (root / "notes.wav").write_text("not a recording\n" * 20)
    return root


def test_run_json_counts_the_files_the_data_set_used(tmp_path: Path) -> None:
    root = _mixed_folder(tmp_path / "data")
    summary = load_dataset(root, spec=TINY_SPEC).summary()
    info = runinfo.dataset_info(root, summary, {"name": "mix"})
    assert info["files"] == 12 == summary["usable"]
    assert info["clips"] == summary["clips"] and info["name"] == "mix"


def test_the_skip_note_names_files_with_reasons_and_points_at_inspect(tmp_path: Path) -> None:
    root = _mixed_folder(tmp_path / "data", silent=12)
    summary = load_dataset(root, spec=TINY_SPEC).summary()
    note = runinfo.skipped_files_note(summary, root)
    assert note is not None and "\n" not in note
    assert note.startswith("skipped 14 of 26 audio files (")
    for reason in ("1 not audio", "12 silent", "1 too short"):
        assert reason in note
    assert "blip.wav (too short)" in note and "notes.wav (not audio)" in note
    assert "silent_00.wav (silent)" in note and "and 4 more" in note
    assert note.endswith(f"Every file and why: mbot dataset inspect {root}")
    recording = runinfo.skipped_files_note(summary, root, context="recording")
    assert recording is not None and recording.endswith("--context recording")


def test_no_note_when_every_file_is_used(tmp_path: Path) -> None:
    root = write_meows(tmp_path / "data", 8)
    assert runinfo.skipped_files_note(load_dataset(root, spec=TINY_SPEC).summary(), root) is None


@pytest.mark.train
def test_train_says_which_files_it_skipped_and_records_the_files_it_used(
    tmp_path: Path,
) -> None:
    pytest.importorskip("tensorflow")
    from mockingbot.cli.main import app

    root = _mixed_folder(tmp_path / "data")
    config = tmp_path / "tiny.toml"
    config.write_text(
        tiny_train_toml(steps=1, batch_size=4, checkpoint_every=1, sample_every=1, log_every=1)
    )
    run = tmp_path / "run"
    argv = ["train", str(root), "--out", str(run), "--config", str(config)]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    note = next(ln for ln in result.stderr.splitlines() if ln.startswith("skipped "))
    assert note.startswith("skipped 4 of 16 audio files (1 not audio, 2 silent, 1 too short)")
    for name in ("blip.wav", "notes.wav", "silent_00.wav", "silent_01.wav"):
        assert name in note
    assert json.loads((run / "run.json").read_text())["dataset"]["files"] == 12
