"""The spectrogram spec: validation, JSON round trip, forward/inverse transforms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mockingbot import spectral
from mockingbot.errors import ParameterError
from mockingbot.spec import PRESETS, SpectrogramSpec


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_json(name: str) -> None:
    spec = PRESETS[name]
    again = SpectrogramSpec.from_json(spec.to_json())
    assert again == spec
    assert json.loads(spec.to_json())["n_fft"] == spec.n_fft


def test_default_shape_and_duration() -> None:
    spec = PRESETS["default"]
    assert spec.shape == (256, 128)
    assert spec.total_frames == 257
    assert spec.total_bins == 129
    assert abs(spec.duration_s - 2.048) < 1e-9


def test_seed_2022_matches_the_prototype_grid() -> None:
    spec = PRESETS["seed-2022"]
    # frame 513, step 74 over 10 000 samples: 129 frames, last dropped; 513 bins, last dropped.
    assert spec.total_frames == 129
    assert spec.shape == (128, 512)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"hop_length": 300}, "hop_length"),
        ({"win_length": 512}, "win_length"),
        ({"n_bins": 200}, "n_bins"),
        ({"n_frames": 999}, "n_frames"),
        ({"scale": "mel"}, "scale"),
        ({"sr": 0}, "sr"),
        ({"window": "kaiser"}, "window"),
        ({"top_db": 1}, "top_db"),
        ({"version": 99}, "version"),
        # lying sizes from a model's metadata (issue 17, items 5-6)
        ({"sr": 10**12}, "spec.sr must be between 1000 and 192000 Hz"),
        ({"sr": 1}, "spec.sr must be between"),
        ({"sr": 2**70}, "spec.sr must be between"),
        ({"clip_samples": 10**12}, "spec.clip_samples must give a clip of 0.01 to 60 s"),
        ({"clip_samples": 16}, "spec.clip_samples must give a clip"),
        ({"n_fft": 2**31}, "spec.n_fft must be at most 65536"),
        ({"hop_length": 1, "clip_samples": 8000 * 30}, "STFT grid"),
    ],
)
def test_impossible_values_are_rejected_with_their_name(changes: dict, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        PRESETS["default"].replace(**changes)


def test_unknown_keys_are_rejected() -> None:
    data = PRESETS["default"].to_dict() | {"hop": 64}
    with pytest.raises(ParameterError, match="unknown spectrogram spec key"):
        SpectrogramSpec.from_dict(data)


def test_full_scale_sine_maps_to_top_of_range() -> None:
    spec = PRESETS["default"]
    k = 32  # exactly on bin 32
    y = np.sin(2 * np.pi * k * spec.sr / spec.n_fft * np.arange(spec.clip_samples) / spec.sr)
    X = spec.features(y)
    assert X.shape == spec.shape
    assert X[100, k] == pytest.approx(1.0, abs=1e-3)
    assert X[100, 100] == pytest.approx(-1.0)


def test_normalize_and_magnitude_are_inverses_inside_the_range(rng: np.random.Generator) -> None:
    spec = PRESETS["default"]
    X = rng.uniform(-0.99, 1.0, size=spec.shape).astype(np.float32)
    assert np.allclose(spec.normalize(spec.magnitude(X)), X, atol=1e-4)
    assert np.all(spec.magnitude(np.full(spec.shape, -1.0)) == 0.0)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_stft_istft_round_trip(name: str, rng: np.random.Generator) -> None:
    spec = PRESETS[name]
    y = rng.standard_normal((3, spec.clip_samples))
    y2 = spec.istft(spec.stft(y))
    edge = spec.win_length  # uncentred frames do not fully cover the very start and end
    assert np.allclose(y2[:, edge:-edge], y[:, edge:-edge], atol=1e-9)


def test_stft_matches_direct_dft(rng: np.random.Generator) -> None:
    y = rng.standard_normal(1000)
    D = spectral.stft(y, n_fft=128, hop_length=32, win_length=100, center=False)
    w = spectral.get_window("hann", 100)
    frame = np.zeros(128)
    frame[:100] = y[64:164] * w
    assert np.allclose(D[2], np.fft.rfft(frame))


def test_full_magnitude_pads_to_stft_grid() -> None:
    spec = PRESETS["default"]
    S = np.ones(spec.shape, dtype=np.float32)
    full = spec.full_magnitude(S[None])
    assert full.shape == (1, spec.total_frames, spec.total_bins)
    assert full[0, -1].sum() == 0 and full[0, :, -1].sum() == 0
    with pytest.raises(ParameterError):
        spec.full_magnitude(np.ones((10, 10)))


def test_spectral_convergence_of_exact_copy_is_very_low(rng: np.random.Generator) -> None:
    S = rng.uniform(0, 1, (2, 20, 30))
    assert np.all(spectral.spectral_convergence(S, S) < -200)
    assert spectral.spectral_convergence(S[0], 0 * S[0]) == pytest.approx(0.0)
