"""``mbot evaluate`` at the model's rate: why the analysis rate matters, and how it is chosen.

Synthetic 32 kHz sets: both have the same kind of harmonic call below 4 kHz; the real clips
also carry a band of noise at 6–10 kHz, the generated ones nothing above 4 kHz (a model that
lost the top of the band). At 8 kHz, the rate every CatMeows number is measured at, the two
sets look alike (the difference lies above 4 kHz, resampled away); at 32 kHz they are told
apart. The 8 kHz settings themselves stay the documented constants.

The analysed band stops short of Nyquist (``features.BAND_FRACTION``): a clip written at a
game rate and resampled back must look like the same clip recorded at the analysis rate.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from conftest import write_fake_pack
from mockingbot.cli.main import app
from mockingbot.errors import ParameterError
from mockingbot.evaluation import features
from mockingbot.evaluation.inputs import analysis_rate

SR = 32000
runner = CliRunner()


def _call(rng: np.random.Generator, *, air: bool) -> np.ndarray:
    """A 0.6–0.9 s harmonic call below 3.5 kHz; with ``air``, band noise at 6–10 kHz too."""
    n = int(SR * rng.uniform(0.6, 0.9))
    t = np.arange(n) / SR
    f0 = rng.uniform(250.0, 450.0) * (1.0 + 0.1 * np.sin(2 * np.pi * rng.uniform(1, 3) * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, 3500 // 450 + 1))
    if air:
        spectrum = np.fft.rfft(rng.standard_normal(n))
        freqs = np.fft.rfftfreq(n, 1.0 / SR)
        spectrum[(freqs < 6000) | (freqs > 10000)] = 0.0
        noise = np.fft.irfft(spectrum, n)
        y = y + 0.5 * noise / np.max(np.abs(noise))
    envelope = np.abs(np.sin(np.pi * t / t[-1])) ** 0.5
    return 0.5 * y * envelope / np.max(np.abs(y))


def _write_set(folder: Path, *, air: bool, seed: int, groups: int = 5, per: int = 8) -> Path:
    rng = np.random.default_rng(seed)
    for g in range(groups):
        (folder / f"animal{g}").mkdir(parents=True, exist_ok=True)
        for k in range(per):
            sf.write(folder / f"animal{g}" / f"c{k}.wav", _call(rng, air=air), SR, "PCM_16")
    return folder


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rate")
    return {
        "real": _write_set(root / "real", air=True, seed=1),
        "gen": _write_set(root / "gen", air=False, seed=2),
        "root": root,
    }


def _evaluate(gen: Path, ref: Path, *extra: str) -> dict:
    args = ["evaluate", str(gen), "--reference", str(ref), "--json", "--no-plot"]
    result = runner.invoke(app, [*args, "--floor-repeats", "1", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_settings_scale_from_the_8_khz_constants() -> None:
    at8 = features.settings_for(features.ANALYSIS_SR)
    assert (at8.n_fft, at8.hop_length, at8.fmax_hz) == (
        features.N_FFT,
        features.HOP_LENGTH,
        features.FMAX_HZ,
    )
    at32 = features.settings_for(32000)
    assert (at32.n_fft, at32.hop_length, at32.fmax_hz) == (1024, 256, 14400.0)
    at22 = features.settings_for(22050)
    assert at22.n_fft == 4 * at22.hop_length and at22.fmax_hz == pytest.approx(9922.5)
    assert features.describe(32000)["dims"] == features.describe()["dims"] == 125
    for bad in (0, 3999, 200_000, 8000.5):
        with pytest.raises(ParameterError):
            features.settings_for(bad)


def test_the_band_above_4_khz_is_seen_only_at_a_wideband_rate(sets: dict[str, Path]) -> None:
    wide = _evaluate(sets["gen"], sets["real"], "--analysis-rate", "32000")
    narrow = _evaluate(sets["gen"], sets["real"], "--analysis-rate", "8000")
    assert wide["analysis_rate"] == 32000 and wide["features"]["fmax_hz"] == 14400.0
    assert narrow["analysis_rate"] == 8000 and narrow["features"]["fmax_hz"] == 3600.0
    assert wide["analysis_rate_choice"] == "--analysis-rate"
    assert wide["metrics"]["c2st"] > 0.9, wide["metrics"]
    assert narrow["metrics"]["c2st"] < 0.75, narrow["metrics"]


def test_a_plain_folder_is_compared_at_the_reference_rate(sets: dict[str, Path]) -> None:
    data = _evaluate(sets["gen"], sets["real"])
    assert data["analysis_rate"] == 32000  # the reference's files are 32 kHz
    assert "reference holds 32 kHz" in data["analysis_rate_choice"]
    args = ["evaluate", str(sets["gen"]), "-r", str(sets["real"]), "--no-plot"]
    shown = runner.invoke(app, [*args, "--floor-repeats", "1"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "analysis rate: 32000 Hz, features up to 14.4 kHz" in shown.output


def _pack(folder: Path, model_sr: int, source: Path) -> Path:
    """A pack folder whose manifest says its model works at ``model_sr``."""
    write_fake_pack(folder, sorted(source.rglob("*.wav"))[:12], spec={"sr": model_sr},
                    sample_rate=48000)  # fmt: skip
    return folder


def test_a_pack_is_compared_at_its_models_rate_within_the_references(
    sets: dict[str, Path], tmp_path: Path
) -> None:
    real = sorted(sets["real"].rglob("*.wav"))
    pack16 = _pack(tmp_path / "p16", 16000, sets["gen"])
    choice = analysis_rate(pack16, real)
    assert (choice.rate, choice.source) == (16000, "model")
    assert choice.reason() == "the model's rate (16 kHz); the reference holds 32 kHz"

    # an 8 kHz reference (CatMeows-like): a 32 kHz model is judged where the reference has sound
    narrow = tmp_path / "narrow"
    narrow.mkdir()
    for i, path in enumerate(real[:12]):
        y, _ = sf.read(path)
        sf.write(narrow / f"n{i}.wav", y[::4], 8000, "PCM_16")
    pack32 = _pack(tmp_path / "p32", 32000, sets["gen"])
    choice = analysis_rate(pack32, sorted(narrow.glob("*.wav")))
    assert (choice.rate, choice.source) == (8000, "reference")
    assert "below the model's 32 kHz" in choice.reason()
    data = _evaluate(pack16, sets["real"])
    assert data["analysis_rate"] == 16000 and data["counts"]["generated"] == 12


def test_a_clip_written_at_a_game_rate_keeps_its_features() -> None:
    """A noisy call whose noise reaches 4 kHz, at 8 kHz and through the pack's own
    post-processing to 44.1 kHz: the same features, because neither copy is judged on the
    top of the band that the resamplers' transition bands remove."""
    from mockingbot.runtime.postprocess import finalize

    rng = np.random.default_rng(9)
    sr, n = 8000, 8000
    t = np.arange(n) / sr
    call = sum(np.sin(2 * np.pi * 400 * k * t) / k for k in range(1, 9)) * np.hanning(n)
    y = call + 0.05 * rng.standard_normal(n)  # white noise: power right up to 4 kHz
    at8 = features.clip_features(finalize(y, sr=sr, output_rate=sr), sr)
    at44 = features.clip_features(finalize(y, sr=sr, output_rate=44100), 44100)
    flat = features.FEATURE_NAMES.index("flatness_mean")
    assert at44[flat] == pytest.approx(at8[flat], rel=0.05)
    top = features.FEATURE_NAMES.index(f"mel_mean_{features.N_MELS - 1:02d}")
    assert at44[top] == pytest.approx(at8[top], abs=0.5)  # dB
    # the whole band would not: above 96 % of Nyquist the 44.1 kHz copy has lost its noise
    full = np.fft.rfftfreq(256, 1 / sr) > 0.96 * sr / 2
    spec8 = np.abs(np.fft.rfft(finalize(y, sr=sr, output_rate=sr)[2000:2256]))
    from soxr import resample

    back = resample(finalize(y, sr=sr, output_rate=44100), 44100, sr)
    spec44 = np.abs(np.fft.rfft(back[2000:2256]))
    assert np.mean(spec44[full] ** 2) < 0.3 * np.mean(spec8[full] ** 2)
