"""``benchmarks/representation_ceiling.py``: its analysis, its control encoding, and one small run.

Every clip is synthetic (numpy + soundfile): known tones whose f0 and harmonic levels the
analysis must find, white noise whose level every representation must keep (and whose
texture only the sampled ones may keep), and a dozen harmonic "cats" for the whole benchmark.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import synth_meow

tf = pytest.importorskip("tensorflow")
pytest.importorskip("librosa")

pytestmark = pytest.mark.train

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "representation_ceiling.py"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("representation_ceiling", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


rc = _load_benchmark()


@pytest.fixture(scope="module")
def setting():
    from mockingbot.trainer.config import resolve_config

    cfg = resolve_config()
    m = cfg.model
    voice = rc.Voice(m.n_harmonics, m.n_noise_bands, m.f0_min_hz, m.f0_max_hz, m.peak_shape)
    return cfg.spec, voice


def _db(x: np.ndarray) -> np.ndarray:
    return 20.0 * np.log10(np.maximum(x, 1e-12))


def test_encode_controls_inverts_decode_controls(setting) -> None:
    from mockingbot.trainer.synth import decode_controls

    spec, voice = setting
    rng = np.random.default_rng(0)
    shape = (3, 40)
    f0 = np.exp(rng.uniform(np.log(voice.f0_min_hz), np.log(voice.f0_max_hz), shape))
    amps = 10.0 ** (rng.uniform(-90.0, -3.0, (*shape, voice.n_harmonics)) / 20.0)
    bands = 10.0 ** (rng.uniform(-95.0, -1.0, (*shape, voice.n_noise_bands)) / 20.0)
    controls = rc.encode_controls(f0, amps, bands, spec=spec, voice=voice)
    assert controls.shape == (*shape, 1 + voice.n_harmonics + voice.n_noise_bands)
    f0_d, amps_d, bands_d = (
        np.asarray(t, np.float64)
        for t in decode_controls(
            tf.constant(controls),
            spec=spec,
            n_harmonics=voice.n_harmonics,
            f0_min_hz=voice.f0_min_hz,
            f0_max_hz=voice.f0_max_hz,
        )
    )
    np.testing.assert_allclose(f0_d[..., 0], f0, rtol=1e-4)
    np.testing.assert_allclose(bands_d, bands, rtol=1e-3)
    k = np.arange(1, voice.n_harmonics + 1)
    below = f0[..., None] * k < spec.sr / 2 - 4 * spec.sr / spec.n_fft  # the fade is invertible
    np.testing.assert_allclose(amps_d[below], amps[below], rtol=1e-3)
    # what the representation cannot hold is clipped to it
    out = rc.encode_controls(
        np.array([[50.0, 5000.0]]),
        np.full((1, 2, voice.n_harmonics), 3.0),
        np.zeros((1, 2, voice.n_noise_bands)),
        spec=spec,
        voice=voice,
    )
    f0_c, _, bands_c = decode_controls(
        tf.constant(out),
        spec=spec,
        n_harmonics=voice.n_harmonics,
        f0_min_hz=voice.f0_min_hz,
        f0_max_hz=voice.f0_max_hz,
    )
    np.testing.assert_allclose(np.ravel(f0_c), [voice.f0_min_hz, voice.f0_max_hz], rtol=1e-4)
    assert np.all(_db(np.asarray(bands_c)) < -99.0)


def test_analysis_finds_the_f0_and_harmonic_levels_of_a_known_tone(setting) -> None:
    spec, voice = setting
    t = np.arange(spec.clip_samples) / spec.sr
    f0 = 450.0  # 14.4 bins: every harmonic falls between bins
    levels = np.array([0.5, 0.25, 0.12, 0.06, 0.03])
    rng = np.random.default_rng(1)
    y = sum(
        a * np.sin(2 * np.pi * (k + 1) * f0 * t + rng.uniform(0, 6)) for k, a in enumerate(levels)
    )
    F0, voiced = rc.analyse_f0(y[None], spec, voice)
    mid = slice(20, spec.n_frames - 20)
    assert voiced[0, mid].all()
    np.testing.assert_allclose(F0[0, mid], f0, rtol=0.01)
    mag = rc.relative_magnitude(y[None], spec)
    amps = rc.harmonic_levels(
        mag, F0, voiced, bin_hz=spec.sr / spec.n_fft, n_harmonics=voice.n_harmonics
    )
    error_db = _db(amps[0, mid, :5]) - _db(levels)
    assert np.abs(error_db).max() < 0.5  # read at k·f0, between bins, without scalloping loss
    assert np.all(amps[0, mid, 5:] < 1e-3)  # no harmonics that are not there


def test_fill_unvoiced_interpolates_in_log_frequency() -> None:
    f0 = np.array([[np.nan, 200.0, np.nan, 800.0, np.nan], [np.nan] * 5])
    voiced = np.isfinite(f0)
    out = rc.fill_unvoiced(f0, voiced, fallback=120.0)
    np.testing.assert_allclose(out[0], [200.0, 200.0, 400.0, 800.0, 800.0])
    np.testing.assert_allclose(out[1], 120.0)


def test_noise_keeps_its_level_in_every_row_and_its_texture_only_where_drawn(setting) -> None:
    spec, voice = setting
    y = 0.05 * np.random.default_rng(2).standard_normal(spec.clip_samples)
    F0, voiced = rc.analyse_f0(y[None], spec, voice)
    rows = rc.represent(
        y[None], F0, voiced, rc.HarmonicRenderer(spec, voice), np.random.default_rng(3)
    )
    real = spec.features(y[None])
    cells = (slice(None), slice(8, spec.n_frames - 8), slice(4, spec.n_bins - 4))

    def level_db(X: np.ndarray) -> float:  # power mean, dB: what a texture does not change
        return float(10.0 * np.log10(np.mean(10.0 ** ((X[cells] - 1.0) * spec.top_db / 20.0))))

    def roughness_db(X: np.ndarray) -> float:  # bin-to-bin texture: 2nd difference over bins
        return float(np.std(np.diff(X[cells], n=2, axis=-1)) * spec.top_db / 2.0)

    np.testing.assert_array_equal(rows[rc.EXACT], real)
    for row in (rc.PAINTED, rc.SAMPLED, rc.ENVELOPE):
        assert abs(level_db(rows[row]) - level_db(real)) < 1.5, row
    rough = roughness_db(real)
    assert rough > 6.0  # recorded noise: a random level per cell
    assert roughness_db(rows[rc.PAINTED]) < 0.2 * rough  # painted: a smooth envelope
    for row in (rc.SAMPLED, rc.ENVELOPE):  # drawn: as rough (i.i.d. cells: a little rougher)
        assert 0.7 * rough < roughness_db(rows[row]) < 1.6 * rough, row


def _write_cats(folder: Path, *, cats: int = 3, per_cat: int = 4) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(5)
    for c in range(cats):
        for k in range(per_cat):
            y = synth_meow(
                seconds=(0.6 + 0.15 * c) * rng.uniform(0.9, 1.1),
                f0=(420.0 + 90.0 * c) * rng.uniform(0.95, 1.05),
                seed=int(rng.integers(1 << 31)),
            )
            sf.write(folder / f"I_CAT{c:02d}_EU_FN_OWN01_{k + 101}.wav", y, 8000, subtype="PCM_16")


@pytest.mark.slow
def test_the_benchmark_scores_every_representation(tmp_path: Path, capsys) -> None:
    _write_cats(tmp_path / "data")
    out = tmp_path / "ceiling.json"
    argv = [str(tmp_path / "data"), "--floor-repeats", "1", "--json", str(out)]
    argv += ["--keep", str(tmp_path / "wavs")]
    assert rc.main(argv) == 0
    result = json.loads(out.read_text())
    assert list(result["rows"]) == list(rc.ROWS)
    assert result["clips"] == 12 and result["reference"]["clips"] == 12
    for row, values in result["rows"].items():
        assert values["clips"] == 12 and values["rejected"] == 0, row
        for key in (*rc.METRICS, "c2st_logistic", "c2st_forest", "burst_hiss"):
            assert np.isfinite(values[key]), (row, key)
        assert len(list(rc.row_folder(tmp_path / "wavs", row).glob("*.wav"))) == 12
    sc = {row: v["phase_sc_db"] for row, v in result["rows"].items()}
    assert sc[rc.REAL] is None
    # consistent magnitudes come back almost exactly; a drawn texture is no STFT of any signal
    assert sc[rc.EXACT] < -35.0
    assert sc[rc.EXACT] < sc[rc.PAINTED] < sc[rc.ENVELOPE]
    assert sc[rc.ENVELOPE] > sc[rc.EXACT] + 20.0
    printed = capsys.readouterr().out
    assert all(row in printed for row in rc.ROWS) and "real vs real (floor)" in printed
    assert rc.main(argv) == 2  # the kept WAVs would be scored again with new ones
    assert "not empty" in capsys.readouterr().err
