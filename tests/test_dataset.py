"""Data-set folders: scanning, groups, clips, the report, bad files, and `mbot dataset inspect`.

Every test builds its own folder of synthetic audio mixing good files (several formats, rates,
channel counts, sub-folders, a field recording with three calls, a file without extension) with
bad ones (corrupt, truncated, zero-byte, renamed text, NaN, silent, too short) and side files
that must be ignored (README, image, hidden files).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from conftest import TINY_SPEC, synth_meow
from mockingbot.clips import CLIP_PEAK_DBFS
from mockingbot.datascan import AUDIO_EXTENSIONS, group_of, scan_audio_files
from mockingbot.dataset import Clip, Dataset, load_dataset
from mockingbot.errors import AudioLoadError, DataError
from mockingbot.spec import PRESETS

SR = 8000
#: A spec at another rate than the files, to prove load_dataset takes sr and length from it.
SPEC16K = TINY_SPEC.replace(sr=16000)

GOOD = {
    "B_ANI01_MC_FN_SIM01_101.wav": 1,
    "NOEXT": 1,
    "cat_a/meow1.wav": 1,
    "cat_a/meow2.flac": 1,
    "cat_b/meow3.ogg": 1,
    "field.wav": 3,
}
BAD = {
    "blip.wav": "too short",
    "click.wav": "too short",
    "corrupt.wav": "unreadable",
    "nan.wav": "non-finite",
    "notes.wav": "not audio",
    "silent.wav": "silent",
    "truncated.wav": "unreadable",
    "zero.wav": "empty",
}
IGNORED = ["README.md", "cover.png"]
FIELD_CALL_STARTS_S = (0.7, 2.3, 4.1)


def _write(path: Path, y: np.ndarray, sr: int = SR, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, sr, **kwargs)


def make_folder(root: Path) -> Path:
    """Build the mixed folder described in the module docstring under ``root``."""
    meow = synth_meow(sr=SR, seconds=0.4)
    _write(root / "B_ANI01_MC_FN_SIM01_101.wav", meow, subtype="PCM_16")
    _write(root / "NOEXT", meow, format="WAV", subtype="PCM_24")
    _write(root / "cat_a/meow1.wav", meow, subtype="IMA_ADPCM")
    m16 = synth_meow(sr=16000, seconds=0.4, f0=550.0)
    _write(root / "cat_a/meow2.flac", np.stack([m16, m16], 1), 16000)
    _write(root / "cat_b/meow3.ogg", synth_meow(sr=SR, seconds=0.4, seed=2), subtype="VORBIS")
    field = np.zeros(5 * SR, dtype=np.float32)
    for i, start in enumerate(FIELD_CALL_STARTS_S):
        call = synth_meow(sr=SR, seconds=0.5, f0=450.0 + 50 * i, seed=10 + i)
        a = round(start * SR)
        field[a : a + call.size] += call
    _write(root / "field.wav", field, subtype="FLOAT")

    _write(root / "blip.wav", meow[: int(0.05 * SR)] + 0.1)
    click = np.zeros(SR // 2, dtype=np.float32)
    click[2000:2160] = 0.8
    _write(root / "click.wav", click)
    (root / "corrupt.wav").write_bytes(
        b"RIFF" + struct.pack("<I", 3000) + b"WAVE" + np.random.default_rng(0).bytes(3000)
    )
    nan = meow.copy()
    nan[50] = np.nan
    _write(root / "nan.wav", nan, subtype="FLOAT")
    (root / "notes.wav").write_text("meow notes, not a recording\n" * 10)
    _write(root / "silent.wav", np.zeros(SR, dtype=np.float32))
    _write(root / "truncated.wav", meow)
    (root / "truncated.wav").write_bytes((root / "truncated.wav").read_bytes()[:30])
    (root / "zero.wav").write_bytes(b"")

    (root / "README.md").write_text("# my meows\n")
    (root / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (root / ".DS_Store").write_bytes(bytes(64))
    _write(root / ".trash/old.wav", meow)
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def dataset(folder: Path) -> Dataset:
    return load_dataset(folder, spec=SPEC16K)


# ---------------------------------------------------------------------------- scanning, groups
def test_scan_finds_audio_recursively_sorted_and_skips_hidden_and_side_files(
    folder: Path,
) -> None:
    found = [p.relative_to(folder).as_posix() for p in scan_audio_files(folder)]
    assert found == sorted([*GOOD, *BAD])


def test_audio_extensions_are_lower_case_with_dot() -> None:
    assert {".wav", ".flac", ".ogg", ".aiff", ".mp3"} <= AUDIO_EXTENSIONS
    assert all(e.startswith(".") and e == e.lower() for e in AUDIO_EXTENSIONS)


def test_upper_case_extensions_count(tmp_path: Path) -> None:
    _write(tmp_path / "LOUD.WAV", synth_meow(sr=SR, seconds=0.4))
    assert [p.name for p in scan_audio_files(tmp_path)] == ["LOUD.WAV"]


def test_group_of_prefers_catmeows_id_then_sub_folder_then_stem(tmp_path: Path) -> None:
    assert group_of(tmp_path / "B_ANI01_MC_FN_SIM01_101.wav", tmp_path) == "ANI01"
    assert group_of(tmp_path / "cat_a/x/B_BRI01_EU_FN_X_1.wav", tmp_path) == "BRI01"
    assert group_of(tmp_path / "tiger/growl.wav", tmp_path) == "tiger"
    assert group_of(tmp_path / "tiger/deep/growl.wav", tmp_path) == "tiger"
    assert group_of(tmp_path / "growl7.flac", tmp_path) == "growl7"
    assert group_of(tmp_path / "b_ani01_lower.wav", tmp_path) == "b_ani01_lower"


# ---------------------------------------------------------------------------- loading
def test_good_files_are_usable_and_bad_ones_rejected_with_their_reason(dataset: Dataset) -> None:
    usable = {dataset.relative(f.path): f.clips for f in dataset.files}
    rejected = {dataset.relative(r.path): r.reason for r in dataset.rejected}
    assert usable == GOOD
    assert rejected == BAD
    assert sorted(p.name for p in dataset.ignored) == sorted(IGNORED)


def test_clips_follow_the_spec_and_are_peak_normalised(dataset: Dataset) -> None:
    assert len(dataset.clips) == sum(GOOD.values())
    for clip in dataset.clips:
        assert isinstance(clip, Clip)
        assert clip.y.shape == (SPEC16K.clip_samples,) and clip.y.dtype == np.float32
        peak = 20 * np.log10(np.max(np.abs(clip.y)))
        assert peak == pytest.approx(CLIP_PEAK_DBFS, abs=1e-3)


def test_clip_groups_and_start_times(dataset: Dataset) -> None:
    groups = {dataset.relative(c.source): c.group for c in dataset.clips}
    assert groups == {
        "B_ANI01_MC_FN_SIM01_101.wav": "ANI01",
        "NOEXT": "NOEXT",
        "cat_a/meow1.wav": "cat_a",
        "cat_a/meow2.flac": "cat_a",
        "cat_b/meow3.ogg": "cat_b",
        "field.wav": "field",
    }
    field = [c for c in dataset.clips if c.source.name == "field.wav"]
    for clip, start in zip(field, FIELD_CALL_STARTS_S):
        # Each call is longer than the 0.256 s window: the window sits inside the call.
        assert start - 0.05 <= clip.start_s <= start + 0.5


def test_short_calls_start_at_the_window_onset(tmp_path: Path) -> None:
    _write(tmp_path / "m.wav", np.concatenate([np.zeros(SR), synth_meow(sr=SR, seconds=0.2)]))
    spec = PRESETS["default"]
    (clip,) = load_dataset(tmp_path, spec=spec).clips
    assert clip.y.shape == (spec.clip_samples,)
    assert 0.9 < clip.start_s < 1.0
    assert not clip.y[round(0.35 * spec.sr) :].any()  # zero padding after the call


def _room_tone_file(folder: Path) -> Path:
    """0.5 s of room tone (−30 dB), two calls 0.4 s apart, 0.3 s of room tone."""
    rng = np.random.default_rng(7)
    call = synth_meow(sr=SR, seconds=0.3)
    gap = np.zeros(round(0.4 * SR))
    y = np.concatenate([np.zeros(round(0.5 * SR)), call, gap, call, np.zeros(round(0.3 * SR))])
    y = y + 0.03 * np.max(np.abs(call)) * rng.standard_normal(y.size)
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "room.wav", y)
    return folder


def test_call_context_cuts_each_call_without_its_room_tone(tmp_path: Path) -> None:
    spec = PRESETS["default"]
    clips = load_dataset(_room_tone_file(tmp_path), spec=spec, context="call").clips
    assert len(clips) == 2
    assert 0.45 < clips[0].start_s < 0.6  # at the first onset (its attack is soft)
    assert not clips[0].y[round(0.45 * spec.sr) :].any()  # zeros after the call


def test_recording_context_keeps_the_room_tone_as_one_clip(tmp_path: Path) -> None:
    spec = PRESETS["default"]
    (clip,) = load_dataset(_room_tone_file(tmp_path), spec=spec, context="recording").clips
    assert clip.start_s == 0.0  # room tone is within 50 dB of the call: nothing trimmed
    lead = clip.y[: round(0.45 * spec.sr)]
    assert 0.01 < np.sqrt(np.mean(lead**2)) / np.max(np.abs(clip.y)) < 0.1  # the tone is kept
    assert clip.y[round(1.6 * spec.sr) : round(1.7 * spec.sr)].any()  # and the tail


def test_onset_context_starts_at_each_call_and_keeps_what_follows_it(tmp_path: Path) -> None:
    spec = PRESETS["default"]
    folder = _room_tone_file(tmp_path)
    calls = load_dataset(folder, spec=spec, context="call").clips
    first, second = load_dataset(folder, spec=spec, context="onset").clips
    assert [c.start_s for c in (first, second)] == [c.start_s for c in calls]  # same onsets
    # The first runs on through the gap's room tone up to the second call's onset, not past it.
    gap = round((second.start_s - first.start_s) * spec.sr)
    assert first.y[gap - round(0.1 * spec.sr) : gap].any()
    assert not first.y[gap:].any()
    # The last runs on to the end of the recording: its room tone tail is kept.
    tail = second.y[round(0.45 * spec.sr) : round(0.6 * spec.sr)]
    assert 0.01 < np.sqrt(np.mean(tail**2)) / np.max(np.abs(second.y)) < 0.1
    end = round(1.0 * spec.sr)  # the recording ends 0.3 s after the 0.3 s call (+ padding)
    assert not second.y[end:].any()


def test_onset_context_keeps_a_long_calls_onset_and_fills_the_clip(tmp_path: Path) -> None:
    """A call that fits starts the clip even when its tail would hold more energy."""
    rng = np.random.default_rng(3)
    call = synth_meow(sr=SR, seconds=0.5)
    tail = 0.05 * rng.standard_normal(4 * SR)  # a long, loud-ish tail of room noise
    _write(tmp_path / "t.wav", np.concatenate([np.zeros(SR // 2), call, tail]))
    spec = PRESETS["default"]
    (call_clip,) = load_dataset(tmp_path, spec=spec, context="call").clips
    (clip,) = load_dataset(tmp_path, spec=spec, context="onset").clips
    assert clip.start_s == call_clip.start_s
    assert clip.y[-round(0.1 * spec.sr) :].any()  # the tail fills the window to its end


def test_unknown_context_is_a_parameter_error(tmp_path: Path) -> None:
    from mockingbot.errors import ParameterError

    with pytest.raises(ParameterError, match="context"):
        load_dataset(_room_tone_file(tmp_path), spec=PRESETS["default"], context="file")


def test_summary_numbers(dataset: Dataset, folder: Path) -> None:
    s = dataset.summary()
    json.dumps(s)  # JSON-ready
    assert s["root"] == str(folder)
    assert (s["sr"], s["clip_samples"]) == (16000, SPEC16K.clip_samples)
    assert (s["files_found"], s["usable"], s["rejected"], s["ignored"]) == (14, 6, 8, 2)
    assert s["clips"] == 8 and s["groups"] == 5
    assert s["formats"] == {"WAV": 4, "FLAC": 1, "OGG": 1}
    assert s["subtypes"]["VORBIS"] == 1 and s["subtypes"]["IMA_ADPCM"] == 1
    assert s["format_subtypes"]["WAV/FLOAT"] == 1
    assert s["sample_rates"] == {"8000": 5, "16000": 1}
    assert s["channels"] == {"1": 5, "2": 1}
    assert s["duration_s"]["min"] == pytest.approx(0.4, abs=0.002)
    assert s["duration_s"]["max"] == pytest.approx(5.0)
    assert s["duration_s"]["median"] == pytest.approx(0.4, abs=0.002)
    assert -10 < s["peak_dbfs"]["min"] <= s["peak_dbfs"]["median"] <= s["peak_dbfs"]["max"] < 0
    assert s["rejected_reasons"] == {
        "empty": 1,
        "non-finite": 1,
        "not audio": 1,
        "silent": 1,
        "too short": 2,
        "unreadable": 2,
    }
    assert {r["path"]: r["reason"] for r in s["rejected_files"]} == BAD
    assert s["truncated"] == []


def test_progress_is_reported_for_every_file(folder: Path) -> None:
    calls: list[tuple[int, int]] = []
    load_dataset(folder, spec=SPEC16K, on_progress=lambda done, total: calls.append((done, total)))
    total = len(GOOD) + len(BAD)
    assert calls == [(i, total) for i in range(total + 1)]


def test_strict_stops_at_the_first_bad_file_naming_it(folder: Path) -> None:
    with pytest.raises(AudioLoadError) as err:
        load_dataset(folder, spec=SPEC16K, strict=True)
    first_bad = sorted(BAD)[0]
    assert err.value.path == str(folder / first_bad)
    assert err.value.reason == BAD[first_bad]
    assert first_bad in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------------------- folder errors
def test_missing_root_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_dataset(tmp_path / "nope", spec=SPEC16K)


def test_a_file_as_root_is_a_data_error(tmp_path: Path) -> None:
    _write(tmp_path / "a.wav", synth_meow(sr=SR))
    with pytest.raises(DataError, match="not a folder"):
        load_dataset(tmp_path / "a.wav", spec=SPEC16K)


def test_empty_folder_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here")
    with pytest.raises(DataError, match=r"no usable audio in .*no audio files found \(1 other"):
        load_dataset(tmp_path, spec=SPEC16K)


def test_folder_of_only_bad_files_is_a_data_error_with_counts(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"")
    (tmp_path / "b.wav").write_text("text")
    _write(tmp_path / "c.wav", np.zeros(SR, dtype=np.float32))
    with pytest.raises(DataError) as err:
        load_dataset(tmp_path, spec=SPEC16K)
    assert str(err.value) == (
        f"no usable audio in {tmp_path}: 3 files rejected (1 empty, 1 not audio, 1 silent)"
    )


_ROOT = os.name == "posix" and os.geteuid() == 0


@pytest.mark.skipif(_ROOT, reason="root ignores permissions")
def test_unreadable_root_is_a_data_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(DataError, match="cannot read folder"):
            load_dataset(locked, spec=SPEC16K)
    finally:
        locked.chmod(0o755)


@pytest.mark.skipif(_ROOT, reason="root ignores permissions")
def test_unreadable_sub_folder_is_listed_as_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "ok.wav", synth_meow(sr=SR, seconds=0.4))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        ds = load_dataset(tmp_path, spec=SPEC16K)
        assert [(r.path.name, r.reason) for r in ds.rejected] == [("locked", "unreadable")]
    finally:
        locked.chmod(0o755)


# ---------------------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def _app():
    from mockingbot.cli.main import app

    return app


def test_inspect_prints_tables_with_the_numbers(runner: CliRunner, folder: Path) -> None:
    result = runner.invoke(_app(), ["dataset", "inspect", str(folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("audio files found", "usable", "rejected", "clips it would yield", "Formats"):
        assert text in out
    assert "8 × 2.048 s @ 8000 Hz" in out  # default preset
    assert "PCM_24" in out and "VORBIS" in out and "IMA_ADPCM" in out
    assert "8000 Hz" in out and "16000 Hz" in out and "mono" in out and "2 channels" in out
    assert "0.400 s" in out and "5.000 s" in out
    for name, reason in BAD.items():
        line = next(ln for ln in out.splitlines() if name in ln)
        assert reason in line


def test_inspect_json_reports_the_same_summary(runner: CliRunner, folder: Path) -> None:
    result = runner.invoke(_app(), ["dataset", "inspect", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["files_found"], data["usable"], data["rejected"], data["clips"]) == (14, 6, 8, 8)
    assert data["sr"] == PRESETS["default"].sr
    assert len(data.pop("bandwidth")["files"]) == data["usable"]  # tests/test_wideband.py
    assert data == load_dataset(folder, spec=PRESETS["default"]).summary()


def test_inspect_context_shows_what_each_data_context_gives(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = _room_tone_file(tmp_path / "room")
    clips = {}
    for context in ("call", "recording", "onset"):
        argv = ["dataset", "inspect", str(folder), "--json", "--context", context]
        result = runner.invoke(_app(), argv)
        assert result.exit_code == 0, result.output
        clips[context] = json.loads(result.stdout)["clips"]
    assert clips == {"call": 2, "recording": 1, "onset": 2}
    result = runner.invoke(_app(), ["dataset", "inspect", str(folder), "--context", "file"])
    assert result.exit_code == 2 and "--context" in result.output


def test_inspect_cuts_clips_as_the_default_recipe_does_unless_told(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockingbot.trainer import config

    folder = _room_tone_file(tmp_path / "room")
    monkeypatch.setattr(config, "default_context", lambda: "recording")
    result = runner.invoke(_app(), ["dataset", "inspect", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["clips"] == 1  # one clip per file: "recording"


def test_inspect_preset_sets_rate_and_clip_length(runner: CliRunner, folder: Path) -> None:
    result = runner.invoke(
        _app(), ["dataset", "inspect", str(folder), "--json", "--preset", "seed-2022"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["clip_samples"] == PRESETS["seed-2022"].clip_samples


def _one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and "Traceback" not in result.output
    return lines[0]


def test_inspect_strict_fails_with_one_line_naming_the_file(
    runner: CliRunner, folder: Path
) -> None:
    result = runner.invoke(_app(), ["dataset", "inspect", str(folder), "--strict"])
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "blip.wav" in line and "too short" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-folder-xyz"], "not found"),
        (["--preset", "nope", "."], "unknown preset"),
    ],
)
def test_inspect_user_errors_exit_2_with_one_line(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [str(tmp_path / a) if a.startswith("missing") else a for a in args]
    result = runner.invoke(_app(), ["dataset", "inspect", *args])
    assert result.exit_code == 2
    assert message in _one_error_line(result)


def test_inspect_empty_folder_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(_app(), ["dataset", "inspect", str(tmp_path)])
    assert result.exit_code == 2
    assert "no usable audio" in _one_error_line(result)


def _mbot() -> str:
    exe = Path(sys.executable).parent / "mbot"
    return str(exe) if exe.exists() else (shutil.which("mbot") or "mbot")


def test_mbot_subprocess_inspects_json_and_fails_cleanly(folder: Path, tmp_path: Path) -> None:
    ok = subprocess.run(
        [_mbot(), "dataset", "inspect", str(folder), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["usable"] == len(GOOD)
    bad = subprocess.run(
        [_mbot(), "dataset", "inspect", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "not found" in lines[0] and "Traceback" not in bad.stderr


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make os.scandir (and so os.walk) fail on ``denied`` as a permission problem would."""
    real = os.scandir

    def scandir(path=".", *args, **kwargs):
        if Path(path) == denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)


def test_permission_denied_on_root_is_a_data_error_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deny(monkeypatch, tmp_path)
    with pytest.raises(DataError, match=r"cannot read folder .*Permission denied"):
        load_dataset(tmp_path, spec=SPEC16K)


def test_permission_denied_on_a_sub_folder_is_rejected_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "ok.wav", synth_meow(sr=SR, seconds=0.4))
    (tmp_path / "locked").mkdir()
    _write(tmp_path / "locked/hidden_from_us.wav", synth_meow(sr=SR, seconds=0.4))
    _deny(monkeypatch, tmp_path / "locked")
    ds = load_dataset(tmp_path, spec=SPEC16K)
    assert [f.path.name for f in ds.files] == ["ok.wav"]
    assert [(r.path.name, r.reason) for r in ds.rejected] == [("locked", "unreadable")]
    with pytest.raises(AudioLoadError, match="locked"):
        load_dataset(tmp_path, spec=SPEC16K, strict=True)


# ---------------------------------------------------------------------------- odd entries
@pytest.mark.skipif(os.name != "posix", reason="fifos and symlinks")
def test_entries_that_are_not_files_are_named_with_what_they_are(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    sf.write(root / "good.wav", synth_meow(sr=SR, seconds=0.4), SR)
    (root / "sub").mkdir()
    (root / "loop.wav").symlink_to("loop.wav")
    (root / "gone.wav").symlink_to("nowhere.wav")
    os.mkfifo(root / "pipe.wav")
    os.mkfifo(root / "control")
    (root / "null.wav").symlink_to(os.devnull)
    (root / "elsewhere").symlink_to("sub")
    (root / ".wav").mkdir()
    sf.write(root / ".wav" / "hidden.wav", synth_meow(sr=SR, seconds=0.4), SR)
    ds = load_dataset(root, spec=TINY_SPEC)
    rejected = {r.path.name: (r.reason, r.detail) for r in ds.rejected}
    assert rejected == {
        "gone.wav": ("unreadable", "dangling link (to nowhere.wav, which does not exist)"),
        "loop.wav": ("unreadable", "symbolic link loop"),
        "null.wav": ("unreadable", "link to a device, not a file"),
        "pipe.wav": ("unreadable", "named pipe (FIFO), not a file"),
    }
    skipped = {k.path.name: k.why for k in ds.skipped}
    assert skipped == {
        ".wav": "hidden folder (its name starts with '.')",
        "control": "named pipe (FIFO), not a file",
        "elsewhere": "link to a folder (not followed)",
    }
    assert [f.path.name for f in ds.files] == ["good.wav"]
    result = runner.invoke(_app(), ["dataset", "inspect", str(root)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name, why in [*((n, d) for n, (_, d) in rejected.items()), *skipped.items()]:
        line = next(ln for ln in result.stdout.splitlines() if f" {name} " in ln)
        assert why in line
    data = json.loads(runner.invoke(_app(), ["dataset", "inspect", str(root), "--json"]).stdout)
    assert {k["path"] for k in data["skipped"]} == {".wav", "control", "elsewhere"}


def test_a_latin1_file_name_is_usable_and_its_features_cache(tmp_path: Path) -> None:
    from conftest import write_meows
    from mockingbot.trainer.data import load_features

    root = write_meows(tmp_path / "meows", 8)
    raw = os.fsencode(root / "call_00.wav")
    os.rename(raw, os.fsencode(root) + b"/caf\xe9.wav")
    ds = load_dataset(root, spec=TINY_SPEC)
    assert not ds.rejected and len(ds.files) == 8
    assert "caf\udce9.wav" in {f.path.name for f in ds.files}
    first = load_features(root, spec=TINY_SPEC, cache_dir=tmp_path / "cache")
    again = load_features(root, spec=TINY_SPEC, cache_dir=tmp_path / "cache")
    assert len(first) == len(again) == 8 and len(list((tmp_path / "cache").glob("*.npy"))) == 1
