"""The recordings' noise floor (:mod:`mockingbot.noisefloor`): measured, carried, played."""

from __future__ import annotations

import numpy as np
import pytest

from mockingbot.errors import ModelError
from mockingbot.model_meta import ModelMeta
from mockingbot.noisefloor import (
    LEVEL_QUANTILES,
    SHAPE_POINTS,
    NoiseFloor,
    combine,
    file_floor,
    floor_noise,
)
from mockingbot.spec import PRESETS
from mockingbot.spectral import stft

SR, N_FFT, HOP = 8000, 256, 64


def _recording(floor_db: float, seed: int, *, seconds: float = 2.0) -> np.ndarray:
    """A 1-s tone call in the middle of ``seconds`` of white noise ``floor_db`` below it."""
    rng = np.random.default_rng(seed)
    n = int(SR * seconds)
    y = np.zeros(n)
    a, b = n // 4, n // 4 + SR
    y[a:b] = 0.5 * np.sin(2 * np.pi * 500 * np.arange(b - a) / SR)
    call_power = 0.5**2 / 2
    return y + rng.standard_normal(n) * np.sqrt(call_power * 10 ** (floor_db / 10))


def _frame_db(y: np.ndarray) -> np.ndarray:
    P = (np.abs(stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2).sum(axis=1)
    return 10 * np.log10(np.maximum(P, 1e-30))


@pytest.mark.parametrize("floor_db", [-50.0, -35.0])
def test_a_recordings_floor_is_measured_at_its_level_and_white_noise_measures_flat(
    floor_db: float,
) -> None:
    floors = [file_floor(_recording(floor_db, s), n_fft=N_FFT, hop_length=HOP) for s in range(5)]
    nf = combine(floors)
    assert nf is not None
    # the quietest tenth of the frames is the noise alone; the loudest frame is the call
    assert nf.median_db == pytest.approx(floor_db, abs=2.0)
    inner = np.asarray(nf.shape_db[2:-2])
    assert inner.max() - inner.min() < 4.0  # white: flat within the sampling spread


def test_silent_or_tiny_recordings_give_no_floor() -> None:
    assert file_floor(np.zeros(SR), n_fft=N_FFT, hop_length=HOP) is None
    assert file_floor(np.ones(100), n_fft=N_FFT, hop_length=HOP) is None
    call_in_digital_silence = _recording(-300.0, 0) * (np.abs(_recording(-300.0, 0)) > 0)
    assert file_floor(call_in_digital_silence, n_fft=N_FFT, hop_length=HOP) is None
    assert combine([None, None]) is None


def test_the_floor_plays_under_the_call_only_at_a_level_drawn_from_the_data() -> None:
    nf = NoiseFloor((0.0,) * SHAPE_POINTS, tuple(np.linspace(-45.0, -35.0, LEVEL_QUANTILES)))
    y = _recording(-300.0, 0)  # the call alone, silence around it
    noise = floor_noise(y, nf, seed=7, sr=SR, n_fft=N_FFT, hop_length=HOP)
    assert noise.shape == y.shape and noise.dtype == np.float32
    np.testing.assert_array_equal(
        noise, floor_noise(y, nf, seed=7, sr=SR, n_fft=N_FFT, hop_length=HOP)
    )
    assert not np.array_equal(noise, floor_noise(y, nf, seed=8, sr=SR, n_fft=N_FFT, hop_length=HOP))
    start, end = y.size // 4, y.size // 4 + SR  # the call (see _recording)
    assert np.abs(noise[: start - 800]).max() == 0.0  # before the call: still silent
    assert np.abs(noise[end + 800 :]).max() == 0.0  # after it too: no "burst + hiss"
    inside = slice(start + 800, end - 800)
    level = _frame_db(noise[inside]).mean() - _frame_db(y).max()
    assert -46.0 < level < -34.0
    assert not floor_noise(np.zeros(SR), nf, seed=1, sr=SR, n_fft=N_FFT, hop_length=HOP).any()


def test_the_floor_round_trips_and_a_model_with_a_malformed_one_is_refused() -> None:
    nf = combine([file_floor(_recording(-40.0, s), n_fft=N_FFT, hop_length=HOP) for s in range(3)])
    assert NoiseFloor.from_dict(nf.to_dict()).to_dict() == nf.to_dict()
    meta = ModelMeta(spec=PRESETS["default"], latent_dim=8, dataset={"noise_floor": nf.to_dict()})
    assert ModelMeta.from_props(meta.to_props()).noise_floor.to_dict() == nf.to_dict()
    assert ModelMeta(spec=PRESETS["default"], latent_dim=8).noise_floor is None
    bad = [
        {"shape_db": [0.0] * 3, "levels_db": [-40.0] * LEVEL_QUANTILES},
        {"shape_db": [0.0] * SHAPE_POINTS, "levels_db": [-40.0, -50.0] * 10 + [-40.0]},
        {"shape_db": [0.0] * SHAPE_POINTS, "levels_db": [10.0] * LEVEL_QUANTILES},
        {"shape_db": [0.0] * SHAPE_POINTS},
        {"shape_db": "loud", "levels_db": [-40.0] * LEVEL_QUANTILES},
    ]
    for floor in bad:
        with pytest.raises(ModelError, match="noise_floor"):
            ModelMeta(spec=PRESETS["default"], latent_dim=8, dataset={"noise_floor": floor})
