"""Wideband: the spec ladder, sizes that follow the spec, the rate chosen from the data."""

from __future__ import annotations

import pytest

from mockingbot.errors import ParameterError
from mockingbot.spec import LADDER, PRESETS, SpectrogramSpec, ladder_preset
from mockingbot.trainer.config import base_frames_for, resolve_config

RUNGS = [rate for rate, _ in LADDER]


# ---------------------------------------------------------------------------- the ladder
def test_default_spec_is_unchanged() -> None:
    """The shipped model's metadata depends on these exact numbers."""
    assert PRESETS["default"] == SpectrogramSpec(
        sr=8000, n_fft=256, win_length=256, hop_length=64, clip_samples=16384,
        n_frames=256, n_bins=128,
    )  # fmt: skip
    assert ladder_preset(8000) == "default"


@pytest.mark.parametrize("rate", RUNGS)
def test_every_rung_keeps_redundancy_4_and_a_whole_call(rate: int) -> None:
    spec = PRESETS[ladder_preset(rate)]
    assert spec.sr == rate
    assert spec.n_fft // spec.hop_length == 4 and spec.win_length == spec.n_fft
    assert 2.0 <= spec.duration_s <= 2.3
    assert spec.n_frames * spec.hop_length <= spec.clip_samples
    assert spec.n_bins == spec.n_fft // 2  # only the Nyquist bin dropped: the full band
    assert 0.023 <= spec.n_fft / spec.sr <= 0.033  # window 23–32 ms at every rung


def test_ladder_rates_rise_and_unknown_rate_is_one_clear_error() -> None:
    assert sorted(RUNGS) == RUNGS and RUNGS[0] == 8000
    with pytest.raises(ParameterError, match=r"not on the ladder.*8000, 16000"):
        ladder_preset(44100)


# ---------------------------------------------------------------------------- sizes from the spec
@pytest.mark.parametrize("rate", RUNGS)
def test_generator_base_frames_follow_the_spec(rate: int) -> None:
    cfg = resolve_config(overrides={"spec": {"preset": ladder_preset(rate)}})
    m = cfg.model
    assert m.gen_base_frames * 2 ** len(m.gen_channels) == cfg.spec.n_frames


def test_default_config_still_starts_from_8_frames() -> None:
    assert resolve_config().model.gen_base_frames == 8


def test_frames_not_base_times_power_of_two_is_one_clear_error() -> None:
    with pytest.raises(ParameterError, match=r"n_frames = 250 .* 2\^5.*224 or 256"):
        resolve_config(overrides={"spec": {"n_frames": 250}})
    assert base_frames_for(352, 5) == 11


def test_explicit_gen_base_frames_must_still_match() -> None:
    with pytest.raises(ParameterError, match=r"spec\.n_frames"):
        resolve_config(overrides={"model": {"gen_base_frames": 4}})


@pytest.mark.parametrize("rate", [16000, 22050])
def test_networks_build_at_wideband_rungs(rate: int) -> None:
    pytest.importorskip("keras")
    import numpy as np

    from mockingbot.texture import noise_shape
    from mockingbot.trainer.models import build_discriminator, build_generator

    overrides = {
        "spec": {"preset": ladder_preset(rate)},
        "model": {"gen_channels": [8, 8, 8, 8, 8], "disc_channels": [4, 4], "refine_channels": []},
    }
    cfg = resolve_config(overrides=overrides)
    gen, disc = build_generator(cfg), build_discriminator(cfg)
    T, F = cfg.spec.shape
    z = np.zeros((1, cfg.model.latent_dim), np.float32)
    x = np.asarray(gen([z, np.zeros((1, *noise_shape(T, F)), np.float32)]))
    assert x.shape == (1, T, F)
    assert np.asarray(disc(x)).shape == (1, 1)
