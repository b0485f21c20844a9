"""Parity helpers: seeded latents from the model's distribution, the limit, the differences."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TINY_SPEC
from mockingbot.errors import ParameterError
from mockingbot.export.parity import (
    N_PARITY,
    TOLERANCE,
    WAVEFORM_TOLERANCE,
    parity_latents,
    parity_limit,
    parity_noise,
    spectral_difference,
    waveform_difference,
)


def test_parity_latents_are_seeded_and_follow_the_distribution() -> None:
    a = parity_latents(16, distribution="normal")
    assert a.shape == (N_PARITY, 16) and a.dtype == np.float32
    np.testing.assert_array_equal(a, parity_latents(16, distribution="normal"))
    u = parity_latents(16, distribution="uniform", n=2000)
    assert u.min() > -1.0 and u.max() < 1.0 and abs(u.mean()) < 0.05
    with pytest.raises(ParameterError):
        parity_latents(0, distribution="normal")


def test_limit_is_absolute_in_range_and_scales_with_a_larger_peak() -> None:
    assert parity_limit("fp32", np.array([0.3, -1.0])) == TOLERANCE["fp32"] == 1e-4
    assert parity_limit("fp32", np.array([-8000.0, 2.0])) == pytest.approx(0.8)
    assert parity_limit("fp16", np.zeros(3)) == TOLERANCE["fp16"]
    assert parity_limit("fp32", np.array([np.nan])) == 0.0
    assert parity_limit("fp32", np.array([-4.0]), tolerance=2e-4) == pytest.approx(8e-4)
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ParameterError, match="--parity-tolerance"):
            parity_limit("fp32", np.zeros(1), tolerance=bad)
    with pytest.raises(ParameterError, match="unknown precision"):
        parity_limit("fp8", np.zeros(1))


def test_spectral_difference_in_normalised_units_and_db() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-0.5, 1.0, (2, *TINY_SPEC.shape)).astype(np.float32)
    assert spectral_difference(X, X, spec=TINY_SPEC) == {
        "max_abs": 0.0,
        "mean_abs": 0.0,
        "max_db": 0.0,
        "mean_db": 0.0,
    }
    d = spectral_difference(X, X + 0.01, spec=TINY_SPEC)
    assert d["max_abs"] == pytest.approx(0.01, abs=1e-6)
    # log scale: 1 normalised unit = top_db / 2 dB (away from the clip at +1)
    assert d["mean_db"] == pytest.approx(0.01 * TINY_SPEC.top_db / 2, rel=0.05)
    # differences below the floor are inaudible and count as 0 dB
    floor = np.full((1, *TINY_SPEC.shape), -1.0, np.float32)
    assert spectral_difference(floor, floor - 0.5, spec=TINY_SPEC)["max_db"] == 0.0
    with pytest.raises(ParameterError, match="shapes differ"):
        spectral_difference(X, X[:1], spec=TINY_SPEC)


# ---------------------------------------------------------------------------- waveform models
def test_parity_noise_is_seeded_float32_standard_normal_of_the_clip_length() -> None:
    a = parity_noise(TINY_SPEC.clip_samples)
    assert a.shape == (N_PARITY, TINY_SPEC.clip_samples) and a.dtype == np.float32
    np.testing.assert_array_equal(a, parity_noise(TINY_SPEC.clip_samples))
    assert abs(float(a.mean())) < 0.01 and abs(float(a.std()) - 1.0) < 0.01
    assert not np.array_equal(a, parity_noise(TINY_SPEC.clip_samples, seed=1))
    with pytest.raises(ParameterError):
        parity_noise(0)


def test_waveform_limit_has_its_own_default_scales_with_the_peak_and_has_no_fp16() -> None:
    assert parity_limit("fp32", np.array([0.5]), output="waveform") == WAVEFORM_TOLERANCE["fp32"]
    assert parity_limit("fp32", np.array([-4.0]), output="waveform") == pytest.approx(
        4 * WAVEFORM_TOLERANCE["fp32"]
    )
    assert parity_limit("fp32", np.ones(1), tolerance=1e-2, output="waveform") == 1e-2
    with pytest.raises(ParameterError, match="unknown precision 'fp16' for a waveform model"):
        parity_limit("fp16", np.zeros(1), output="waveform")


def test_waveform_difference_reports_sample_errors_and_relative_rms() -> None:
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.5, 0.5, (3, 1000)).astype(np.float32)
    assert waveform_difference(y, y) == {"max_abs": 0.0, "mean_abs": 0.0, "rel_rms": 0.0}
    other = y.copy()
    other[1, 10] += 0.25
    d = waveform_difference(y, other)
    assert d["max_abs"] == pytest.approx(0.25, abs=1e-6)
    assert d["mean_abs"] == pytest.approx(0.25 / y.size, rel=1e-3)
    assert waveform_difference(y, 1.01 * y)["rel_rms"] == pytest.approx(0.01, rel=1e-3)
    assert np.isfinite(waveform_difference(np.zeros((1, 4)), np.ones((1, 4)))["rel_rms"])
    with pytest.raises(ParameterError, match="shapes differ"):
        waveform_difference(y, y[:1])
