"""``mbot render-pack``, ``mbot mutate``, ``mbot pack merge|verify`` run for real.

Also the two promises that need a separate process: a render killed with SIGKILL resumes to
the same bytes, and rendering never imports TensorFlow.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WRONG_JSON_METADATA, make_tiny_onnx
from mockingbot.cli.main import app
from mockingbot.runtime import model as model_mod

runner = CliRunner()

#: A pack of 14 sounds: 3 creatures of 5, 5 and 4 variations, written at 16 kHz.
PACK_ARGS = ["--count", "14", "--creatures", "3", "--seed", "5", "--sample-rate", "16000"]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_onnx(tmp_path_factory.mktemp("model") / "tiny.onnx")


def _mbot(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    return lines[0]


def _error_after_progress(result, code: int = 2) -> str:
    """The one ``error:`` line of a command that failed after its progress bar started."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    return line


def _rendered(model_path: Path, out: Path, *pack_args: str) -> list:
    """Render a pack into ``out`` (3 sounds unless told); its arguments, to run again."""
    args = ["render-pack", *(pack_args or ("--count", "3")), "--model", model_path, "--out", out]
    result = _mbot(*args)
    assert result.exit_code == 0, result.output
    return args


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_render_pack_writes_a_pack_and_prints_one_summary_line(
    model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    result = _mbot("render-pack", *PACK_ARGS, "--model", model_path, "--out", out)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("14 sounds rendered in ") and "sounds/s" in lines[0]
    assert str(out) in lines[0].replace("\n", "")
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sounds"]) == 14 and manifest["sample_rate"] == 16000
    verify = _mbot("pack", "verify", out)
    assert verify.exit_code == 0 and "ok" in verify.stdout


def test_the_summary_line_gives_a_phase_median_only_when_phase_was_recovered(
    model_path: Path, tmp_path: Path
) -> None:
    spectrogram = _mbot(
        "render-pack", "--count", "3", "--model", model_path, "--out", tmp_path / "s"
    )
    assert spectrogram.exit_code == 0, spectrogram.output
    assert "phase SC -" in spectrogram.stdout
    wave_model = make_tiny_onnx(tmp_path / "wave.onnx", output="waveform")
    wave = _mbot("render-pack", "--count", "3", "--model", wave_model, "--out", tmp_path / "w")
    assert wave.exit_code == 0, wave.output
    lines = [line for line in wave.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("3 sounds rendered in ")
    assert "phase" not in wave.stdout and "sounds/s)" in wave.stdout
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text())
    assert [s["phase_sc_db"] for s in manifest["sounds"]] == [None, None, None]
    mutated = _mbot(
        "mutate", "creature_000_v01", "--pack", tmp_path / "w", "-n", "2", "-m", wave_model
    )
    assert mutated.exit_code == 0, mutated.output


def test_the_summary_line_says_when_room_tone_was_cut(model_path: Path, tmp_path: Path) -> None:
    plain = _mbot("render-pack", "--count", "2", "--model", model_path, "--out", tmp_path / "c")
    assert plain.exit_code == 0, plain.output
    assert "room tone" not in plain.stdout
    rec = make_tiny_onnx(tmp_path / "rec.onnx", metadata={"mbot.data_context": "recording"})
    cut = _mbot("render-pack", "--count", "2", "--model", rec, "--out", tmp_path / "r")
    assert cut.exit_code == 0, cut.output
    lines = [line for line in cut.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "room tone cut to the calls" in lines[0]


def test_without_out_the_pack_goes_to_packs_slash_name(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _mbot("render-pack", "--count", "2", "--model", model_path, "--name", "forest cats")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "packs" / "forest cats" / "manifest.json").read_text())
    assert manifest["name"] == "forest cats"
    again = _mbot("render-pack", "--count", "2", "--model", model_path, "--name", "forest cats")
    assert "--force" in _one_error_line(again)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0"], "count"),
        (["--count", "-3"], "count"),
        (["--creatures", "0"], "creatures"),
        (["--count", "4", "--creatures", "2", "--variations", "3"], "give two of the three"),
        (["--format", "mp3"], "audio format must be one of wav, ogg"),
        (["--shard", "3/2"], "shard"),
        (["--shard", "half"], "shard"),
        (["--shard", "4/4", "--count", "3"], "at most 1 shards"),
        (["--sample-rate", "fast"], "sample-rate"),
        (["--sample-rate", "100"], "sample rate"),
        (["--loudness", "5"], "loudness"),
        (["--spread", "2"], "spread"),
        (["--seed", "-1"], "seed"),
        (["--batch-size", "0"], "batch size"),
        (["--threads", "0"], "threads"),
        (["--resume", "--force"], "exclude each other"),
        (["--size-range", "2:1"], "MIN must not exceed MAX"),
        (["--size-range", "0:1"], "between 0.25 and 4"),
        (["--size-range", "abc"], "--size-range must look like MIN:MAX"),
        (["--size-range", "1"], "--size-range must look like MIN:MAX"),
    ],
)
def test_bad_render_options_exit_2_with_one_line(
    model_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = _mbot("render-pack", "--model", model_path, "--out", tmp_path / "p", *args)
    assert message in _one_error_line(result)
    assert not (tmp_path / "p" / "manifest.json").exists()


def test_model_problems_exit_2_with_one_line(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = make_tiny_onnx(tmp_path / "bare.onnx", metadata={"mbot.spec": None})
    line = _one_error_line(_mbot("render-pack", "--model", bare, "--out", tmp_path / "a"))
    assert "not a MockingBot model" in line
    line = _one_error_line(
        _mbot("render-pack", "--model", tmp_path / "nope.onnx", "--out", tmp_path / "b")
    )
    assert "not found" in line
    monkeypatch.setattr(model_mod, "_DEFAULT_MODEL", tmp_path / "models" / "default.onnx")
    line = _one_error_line(_mbot("render-pack", "--out", tmp_path / "c"))
    assert "no default model is installed; pass --model PATH" in line


def test_folder_problems_exit_2_with_one_line(model_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _one_error_line(
        _mbot("render-pack", "--count", "1", "--model", model_path, "--out", blocker / "p")
    )
    assert "cannot create" in line
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    line = _one_error_line(
        _mbot("render-pack", "--count", "1", "--model", model_path, "--out", mine, "--force")
    )
    assert "not a MockingBot pack" in line
    assert (mine / "notes.txt").read_text() == "keep me"


def test_size_range_1_1_renders_every_creature_at_natural_size_and_resumes(
    model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "natural"
    args = [*PACK_ARGS, "--model", model_path, "--out", out, "--size-range", "1:1"]
    assert _mbot("render-pack", *args).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["arguments"]["size_range"] == [1.0, 1.0]
    assert [c["size"] for c in manifest["creatures"]] == [1.0, 1.0, 1.0]
    again = _mbot("render-pack", *args, "--resume")
    assert again.exit_code == 0, again.output
    assert "0 sounds rendered, 14 already done" in again.stdout
    wider = [*PACK_ARGS, "--model", model_path, "--out", out, "--size-range", "0.5:2"]
    line = _one_error_line(_mbot("render-pack", *wider, "--resume"))
    assert "size_range [1.0, 1.0] vs [0.5, 2.0]" in line
    default = [*PACK_ARGS, "--model", model_path, "--out", out]
    line = _one_error_line(_mbot("render-pack", *default, "--resume"))
    assert "size_range [1.0, 1.0] vs [0.75, 1.4]" in line


def test_shards_merge_through_the_cli_into_the_unsharded_pack(
    model_path: Path, tmp_path: Path
) -> None:
    whole = tmp_path / "whole"
    assert _mbot("render-pack", *PACK_ARGS, "--model", model_path, "--out", whole).exit_code == 0
    for i in (1, 2):
        result = _mbot(
            "render-pack", *PACK_ARGS, "--model", model_path, "--out", tmp_path / f"s{i}",
            "--shard", f"{i}/2",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"(shard {i}/2)" in result.stdout
    line = _one_error_line(_mbot("pack", "merge", tmp_path / "s1"))
    assert "missing shard(s) 2/2" in line
    merged = _mbot("pack", "merge", tmp_path / "s1", tmp_path / "s2", "--out", tmp_path / "m")
    assert merged.exit_code == 0, merged.output
    assert _tree(whole) == _tree(tmp_path / "m")


def test_mutate_adds_variations_and_verify_catches_damage(model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert _mbot("render-pack", *PACK_ARGS, "--model", model_path, "--out", out).exit_code == 0
    result = _mbot(
        "mutate", "creature_002_v01", "--pack", out, "--count", "3", "--model", model_path
    )
    assert result.exit_code == 0, result.output
    assert "creature_003" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["creatures"][-1]["parent"] == "creature_002_v01"
    assert len(manifest["sounds"]) == 17
    assert "no sound" in _one_error_line(
        _mbot("mutate", "creature_9_v9", "--pack", out, "--model", model_path)
    )
    assert "count" in _one_error_line(
        _mbot("mutate", "creature_000_v00", "--pack", out, "--count", "0", "--model", model_path)
    )
    (out / "audio" / "creature_000_v00.wav").write_bytes(b"RIFF")
    verify = _mbot("pack", "verify", out)
    assert verify.exit_code == 1
    assert "creature_000_v00.wav does not match its sha256" in verify.stdout


# ---------------------------------------------------------------------------- other processes
def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_a_render_killed_with_sigkill_resumes_to_the_same_bytes(
    model_path: Path, tmp_path: Path
) -> None:
    args = ["--count", "160", "--seed", "3", "--sample-rate", "native", "--batch-size", "1"]
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "mockingbot.cli.main", "render-pack", *args]
    proc = subprocess.Popen(
        [*cmd, "--model", str(model_path), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    journal = out / ".mbot-progress.jsonl"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and journal.read_bytes().count(b"\n") >= 30:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the render finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists()

    refused = _mbot("render-pack", *args, "--model", model_path, "--out", out)
    assert "--resume" in _one_error_line(refused)
    resumed = _mbot("render-pack", *args, "--model", model_path, "--out", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "already done" in resumed.stdout
    clean = _mbot("render-pack", *args, "--model", model_path, "--out", tmp_path / "clean")
    assert clean.exit_code == 0
    assert _tree(out) == _tree(tmp_path / "clean")


def test_rendering_never_imports_tensorflow(model_path: Path, tmp_path: Path) -> None:
    code = f"""
import sys
from mockingbot.runtime.model import GeneratorModel
from mockingbot.runtime.pack import render_pack
from mockingbot.runtime.pack_settings import PackSettings
render_pack(GeneratorModel.load({str(model_path)!r}), {str(tmp_path / "p")!r},
            PackSettings(count=3))
from mockingbot.cli.main import app
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf2onnx"))
assert not heavy, heavy
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert (tmp_path / "p" / "manifest.json").exists()


@pytest.mark.parametrize(("key", "value"), WRONG_JSON_METADATA)
def test_metadata_of_the_wrong_json_type_fails_before_any_file_is_written(
    tmp_path: Path, key: str, value: str
) -> None:
    model = make_tiny_onnx(tmp_path / "odd.onnx", metadata={key: value})
    out = tmp_path / "pack"
    line = _one_error_line(_mbot("render-pack", "--count", "3", "--model", model, "--out", out))
    assert f"{key} must be a JSON object" in line and str(model) in line
    assert not out.exists()


def _spec_json(**changes: int) -> str:
    """TINY_SPEC's JSON with some values replaced, bypassing the spec's own checks."""
    from conftest import TINY_SPEC

    return json.dumps({**TINY_SPEC.to_dict(), **changes}, sort_keys=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"sr": 10**12},
        {"sr": 1},
        {"sr": 2**70},
        {"clip_samples": 10**12},
        {"n_fft": 2**31},
    ],
    ids=["sr-1e12", "sr-1", "sr-2^70", "clip-1e12", "nfft-2^31"],
)
def test_a_lying_spec_fails_in_one_line_before_the_pack_folder_exists(
    tmp_path: Path, changes: dict[str, int]
) -> None:
    model = make_tiny_onnx(tmp_path / "liar.onnx", metadata={"mbot.spec": _spec_json(**changes)})
    out = tmp_path / "pack"
    line = _one_error_line(_mbot("render-pack", "--count", "4", "--model", model, "--out", out))
    assert str(model) in line and f"spec.{next(iter(changes))}" in line
    assert not out.exists()
    info = runner.invoke(app, ["info", str(model)])
    assert info.exit_code == 0 and "spec." in info.stderr  # shown, with the reason, not used


def test_verify_refuses_a_pack_of_empty_sounds(model_path: Path, tmp_path: Path) -> None:
    """What a spec with sr=10**12 once produced: 0-frame WAVs whose sha256s all matched."""
    import hashlib

    import soundfile as sf

    out = tmp_path / "p"
    assert _mbot("render-pack", "--count", "2", "--model", model_path, "--out", out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    for s in manifest["sounds"]:
        sf.write(out / s["file"], np.zeros(0, np.float32), 16000, subtype="PCM_16")
        s["sha256"] = hashlib.sha256((out / s["file"]).read_bytes()).hexdigest()
    manifest["sounds"][1]["duration_s"] = 0.0
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    result = _mbot("pack", "verify", out)
    assert result.exit_code == 1
    assert "audio/creature_000_v00.wav holds no audio frames" in result.stdout
    assert "audio/creature_000_v01.wav is an empty sound" in result.stdout
    assert "2 problem(s)" in result.stderr


def test_an_output_that_disagrees_with_the_spec_stops_before_any_file_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A symbolic output dim passes the load check; one trial row must catch the lie."""
    path = make_tiny_onnx(tmp_path / "liar.onnx", metadata={"mbot.spec": _spec_json(n_frames=64)})
    # what a model with symbolic output dims looks like to the load check: nothing to compare
    monkeypatch.setattr(model_mod.GeneratorModel, "_check_signature", lambda *args: None)
    out = tmp_path / "pack"
    line = _one_error_line(_mbot("render-pack", "--count", "2", "--model", path, "--out", out))
    assert "model returned shape [1, 128, 64], expected [1, 64, 64]" in line
    assert not out.exists()


def test_absurd_thread_counts_are_capped_to_the_usable_cores(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--threads 100000 used to hang (onnxruntime starts every thread it is given)."""
    from mockingbot.cli import render as render_cli

    monkeypatch.setattr(render_cli, "_usable_cores", lambda: 2)
    started = time.perf_counter()
    result = _mbot(
        "render-pack", "--count", "4", "--threads", "100000", "--model", model_path,
        "--out", tmp_path / "p",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 60
    assert "--threads 100000 is more than the 2 usable CPU cores; using 2" in result.stderr
    loaded = render_cli._load_model(model_path, 100000)
    assert loaded.threads == 2
    assert render_cli._load_model(model_path, 1).threads == 1
    help_text = _mbot("render-pack", "--help").stdout
    assert "capped" in help_text


def test_a_manifest_whose_sounds_are_text_fails_cleanly_in_every_command(
    model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    args = _rendered(model_path, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["sounds"] = "x"
    (out / "manifest.json").write_text(json.dumps(manifest))
    line = _one_error_line(_mbot(*args, "--resume"))
    assert "'sounds' must be a list" in line and "--force" in line
    line = _one_error_line(_mbot("mutate", "creature_000_v00", "--pack", out, "-m", model_path))
    assert "'sounds' must be a list" in line
    verify = _mbot("pack", "verify", out)
    assert verify.exit_code == 1 and "'sounds' must be a list" in verify.stdout
    assert verify.exception is None or isinstance(verify.exception, SystemExit)
    assert _mbot(*args, "--force").exit_code == 0
    assert _mbot("pack", "verify", out).exit_code == 0


def _full_disk(room: int):
    """A ``Path.write_bytes`` that lets ``room`` writes through, then writes half of each
    file and fails with ENOSPC, as a full file system does."""
    real = Path.write_bytes
    left = [room]

    def write_bytes(path: Path, data: bytes) -> int:
        if left[0] > 0:
            left[0] -= 1
            return real(path, data)
        real(path, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write_bytes


def test_a_full_disk_stops_a_render_in_one_line_and_resume_finishes_it(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = tmp_path / "clean"
    assert _mbot("render-pack", *PACK_ARGS, "--model", model_path, "--out", clean).exit_code == 0
    out = tmp_path / "full"
    args = ["render-pack", *PACK_ARGS, "--model", model_path, "--out", out]
    monkeypatch.setattr(Path, "write_bytes", _full_disk(room=9))
    line = _error_after_progress(_mbot(*args), code=1)  # a failure while working
    assert f"cannot write the pack {out}: No space left on device; free some space" in line
    assert "--resume" in line
    assert not (out / "manifest.json").exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    journal = [json.loads(x) for x in (out / ".mbot-progress.jsonl").read_text().splitlines()]
    listed = {e["sound"]["file"]: e["sound"]["sha256"] for e in journal[1:]}
    for audio in (out / "audio").iterdir():  # what is there is whole, and journaled
        assert listed[f"audio/{audio.name}"] == hashlib.sha256(audio.read_bytes()).hexdigest()
    monkeypatch.setattr(Path, "write_bytes", _full_disk(room=0))  # still full
    assert "No space left on device" in _error_after_progress(_mbot(*args, "--resume"), code=1)
    monkeypatch.undo()  # space freed
    done = _mbot(*args, "--resume")
    assert done.exit_code == 0, done.output
    assert _tree(out) == _tree(clean)


def test_a_full_disk_stops_mutate_in_one_line_and_keeps_the_pack(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "p"
    assert _mbot("render-pack", "--count", "3", "--model", model_path, "--out", out).exit_code == 0
    before = (out / "manifest.json").read_bytes()
    monkeypatch.setattr(Path, "write_bytes", _full_disk(room=1))
    line = _error_after_progress(
        _mbot("mutate", "creature_000_v01", "--pack", out, "-n", "3", "-m", model_path), code=1
    )
    assert "No space left on device; free some space, then run mutate again" in line
    assert (out / "manifest.json").read_bytes() == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_force_on_a_pack_with_a_users_file_names_what_is_in_the_way(
    model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    args = _rendered(model_path, out)
    (out / "my notes.txt").write_text("keep me")
    (out / "audio" / "my take.wav").write_bytes(b"mine")
    line = _one_error_line(_mbot(*args, "--force"))
    assert "holds a MockingBot pack plus files mbot did not write" in line
    assert "audio/my take.wav, my notes.txt" in line and "move them out" in line
    assert (out / "my notes.txt").read_text() == "keep me"
    assert _mbot("pack", "verify", out).exit_code == 0  # the pack itself is untouched


def test_resume_of_a_finished_pack_renders_deleted_files_again(
    model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    args = _rendered(model_path, out, *PACK_ARGS)
    clean = _tree(out)
    for rel in ("audio/creature_001_v02.wav", "thumbs/creature_002_v00.png", "index.html"):
        (out / rel).unlink()
    (out / "creature_000.tres").unlink()
    result = _mbot(*args, "--resume")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 sounds rendered, 12 already done")
    assert _tree(out) == clean
    again = _mbot(*args, "--resume")
    assert again.exit_code == 0 and again.stdout.startswith("0 sounds rendered, 14 already done")
    tres = out / "creature_002.tres"
    tres.write_text(tres.read_text() + "; tuned by hand\n")  # a side file the user edited
    (out / "audio" / "creature_002_v01.wav").unlink()
    assert _mbot(*args, "--resume").exit_code == 0
    assert tres.read_text().endswith("; tuned by hand\n")
    assert _tree(out)["audio/creature_002_v01.wav"] == clean["audio/creature_002_v01.wav"]


def test_resume_of_a_finished_pack_refuses_an_altered_file(
    model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    args = _rendered(model_path, out, *PACK_ARGS)
    edited = out / "audio" / "creature_000_v01.wav"
    edited.write_bytes(edited.read_bytes()[:-100])  # the user trimmed it
    line = _one_error_line(_mbot(*args, "--resume"))
    assert "audio/creature_000_v01.wav changed after rendering" in line and "--force" in line
    assert len(edited.read_bytes()) > 0 and not (out / ".mbot-progress.jsonl").exists()
