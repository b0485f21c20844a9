"""Wideband end to end: 44.1 kHz clips with harmonics up to 15 kHz train a tiny 22.05 kHz
model a few steps, which exports, says its rate and bandwidth, and renders a 48 kHz pack with
real energy above 4 kHz (an 8 kHz model has none there, whatever rate its pack is written at).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("tf2onnx")

import soundfile as sf
from typer.testing import CliRunner

from conftest import TINY_STEPS, assert_pack_godot_resources, tiny_train_toml, tone_stack, write_wav
from mockingbot.cli.main import app
from mockingbot.runtime.model import GeneratorModel

pytestmark = [pytest.mark.train, pytest.mark.slow]

#: A tiny config without a spec preset: --sample-rate 22050 picks the 22.05 kHz rung, whose
#: sizes the tiny keys shrink (n_fft 128, 0.19 s clips, 128 frames × 64 bins that still span
#: 0–11 kHz).
TINY_TOML = tiny_train_toml(spec_preset=None, **TINY_STEPS)


def _share_above(y: np.ndarray, sr: int, hz: float) -> float:
    """Fraction of ``y``'s energy above ``hz``."""
    power = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(y.size, 1.0 / sr)
    return float(power[freqs > hz].sum() / max(power.sum(), 1e-30))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("wide")
    data = root / "growls"
    for i in range(8):
        y = tone_stack(44100, 15000, seconds=0.5 + 0.03 * i, f0=250.0 + 30.0 * i, seed=i)
        write_wav(data / f"growl_{i}.wav", y, 44100)
    assert _share_above(tone_stack(44100, 15000), 44100, 4000.0) > 0.2  # the data is wideband
    cfg = root / "tiny22k.toml"
    cfg.write_text(TINY_TOML)
    runner = CliRunner()
    args = ["train", str(data), "--out", str(root / "run"), "--config", str(cfg)]
    trained = runner.invoke(app, [*args, "--sample-rate", "22050"])
    assert trained.exit_code == 0, trained.output
    onnx = root / "wide.onnx"
    exported = runner.invoke(app, ["export", "onnx", str(root / "run"), "-o", str(onnx)])
    assert exported.exit_code == 0, exported.output
    return {"root": root, "onnx": onnx, "train_output": trained.output}


def test_run_says_its_rate_and_why(run) -> None:
    assert "sample_rate=22050 (--sample-rate)" in run["train_output"]
    cfg = json.loads((run["root"] / "run" / "config.json").read_text())
    assert cfg["spec"]["sr"] == 22050 and cfg["data"]["rate_choice"] == "--sample-rate"
    assert cfg["model"]["gen_base_frames"] * 2**4 == 128


def test_model_carries_the_rate_and_info_shows_it(run) -> None:
    model = GeneratorModel.load(run["onnx"])
    assert model.spec.sr == 22050 and model.spec.shape == (128, 64)
    shown = CliRunner().invoke(app, ["info", str(run["onnx"])], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "22050 Hz (spectrogram up to 11.0 kHz)" in shown.output


def test_pack_and_its_mutations_have_energy_above_4_khz(run) -> None:
    out = run["root"] / "pack"
    args = ["render-pack", "--model", str(run["onnx"]), "--count", "4", "--seed", "1"]
    # natural size: a smaller creature's sounds are played faster, which would move an 8 kHz
    # model's content above 4 kHz too
    result = CliRunner().invoke(app, [*args, "--size-range", "1:1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sample_rate"] >= 44100
    # an 8 kHz model's sounds hold ~1e-8 of their energy above 4 kHz (resampled from 8 kHz)
    assert min(_shares(out, manifest["sounds"])) > 0.01

    sound = manifest["sounds"][0]["id"]
    args = ["mutate", sound, "--pack", str(out), "--count", "2", "--model", str(run["onnx"])]
    mutated = CliRunner().invoke(app, args)
    assert mutated.exit_code == 0, mutated.output
    after = json.loads((out / "manifest.json").read_text())["sounds"]
    new = [s for s in after if s["id"] not in {t["id"] for t in manifest["sounds"]}]
    assert len(new) == 2 and min(_shares(out, new)) > 0.01


def _shares(folder: Path, sounds: list[dict]) -> list[float]:
    """Energy share above 4 kHz of each listed sound of a pack."""
    shares = []
    for sound in sounds:
        y, sr = sf.read(folder / sound["file"], dtype="float64")
        y = y.mean(axis=1) if y.ndim == 2 else y
        shares.append(_share_above(y, sr, 4000.0))
    return shares


def test_godot_resources_of_a_wideband_pack_are_valid(run) -> None:
    """The Godot side needs nothing of the model's rate: a 22.05 kHz model's pack writes the
    same randomizer resources as an 8 kHz one's, each naming its creature's files beside it."""
    out = run["root"] / "godot-pack"
    args = ["render-pack", "--model", str(run["onnx"]), "--count", "8", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["sr"] == 22050 and manifest["sample_rate"] >= 44100
    assert_pack_godot_resources(out)
