"""Game-ready audio stages: DC, trimming, fades, size, resampling, loudness, PCM, finalize."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import synth_meow
from mockingbot.clips import call_span, remove_dc, trim_silence
from mockingbot.defaults import DEFAULT_LOUDNESS_LUFS, TRIM_THRESHOLD_DB
from mockingbot.errors import ParameterError
from mockingbot.runtime import postprocess as pp

SR = 8000


def _sine(f_hz: float, seconds: float, sr: int = SR, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * f_hz * np.arange(int(seconds * sr)) / sr)


def _f0(y: np.ndarray, sr: int) -> float:
    """Frequency of the strongest spectral peak (8× zero-padded FFT, Hann window)."""
    n = 8 * y.size
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size), n=n))
    return float(np.argmax(spectrum) * sr / n)


# --------------------------------------------------------------------------------- DC, trim
# remove_dc and the silence trim are mockingbot.clips' (one implementation each, #14); these
# tests check them the way finalize uses them: float64 in, sample by sample.
def test_remove_dc_leaves_zero_mean() -> None:
    y = _sine(200.0, 0.5) + 0.3
    out = remove_dc(y)
    assert out.dtype == y.dtype
    assert abs(float(out.mean())) < 1e-6
    assert np.allclose(out, y - 0.3, atol=1e-6)


def _trim(y: np.ndarray, margin_ms: float) -> np.ndarray:
    margin_s = margin_ms / 1000.0
    return trim_silence(y, sr=SR, pre_roll_s=margin_s, post_roll_s=margin_s, per_sample=True)


def test_trim_silence_cuts_both_ends_and_keeps_the_margin() -> None:
    burst = _sine(300.0, 0.25)
    y = np.concatenate([np.zeros(4000), burst, np.zeros(3000)])
    out = _trim(y, margin_ms=5.0)
    margin = 40  # 5 ms at 8 kHz
    first_loud = np.flatnonzero(np.abs(burst) >= 0.5 * 10 ** (TRIM_THRESHOLD_DB / 20))[0]
    assert out.size == pytest.approx(burst.size - first_loud + 2 * margin, abs=2)
    assert np.all(out[:margin] == 0.0)


def test_trim_silence_threshold_is_relative_to_the_peak() -> None:
    loud = _sine(300.0, 0.2, amp=0.5)
    quiet_tail = _sine(300.0, 0.2, amp=0.5 * 10 ** (-60 / 20))  # 60 dB down: silence
    audible_tail = _sine(300.0, 0.2, amp=0.5 * 10 ** (-30 / 20))  # 30 dB down: sound
    assert _trim(np.r_[loud, quiet_tail], margin_ms=0).size <= loud.size
    assert _trim(np.r_[loud, audible_tail], margin_ms=0).size > loud.size + 1500


def test_finalize_keeps_an_all_silent_clip_whole() -> None:
    # The trim has nothing to cut against (silence_bounds says (0, 0)); finalize keeps it.
    assert pp.finalize(np.zeros(100), sr=SR, output_rate=SR).shape == (100,)


# --------------------------------------------------------------------------------- fades
def test_fades_start_and_end_on_zero_without_a_step() -> None:
    y = np.ones(4000)
    out = pp.apply_fades(y, sr=SR, fade_in_ms=10.0, fade_out_ms=20.0)
    assert out[0] == 0.0 and out[-1] == 0.0
    # No click: the first and last steps are tiny (raised cosine starts with zero slope).
    assert abs(out[1]) < 1e-3 and abs(out[-2]) < 1e-3
    assert np.all(np.diff(out[:80]) >= 0) and np.all(np.diff(out[-160:]) <= 0)
    assert np.all(out[80:-160] == 1.0)


def test_fades_shrink_to_fit_a_short_clip() -> None:
    out = pp.apply_fades(np.ones(50), sr=SR, fade_in_ms=10.0, fade_out_ms=10.0)
    assert out.shape == (50,) and out[0] == 0.0 and out[-1] == 0.0 and np.isfinite(out).all()


# --------------------------------------------------------------------------------- size, rate
def test_size_two_halves_the_pitch_and_doubles_the_length() -> None:
    y = _sine(440.0, 0.5)
    out = pp.change_size(y, sr=SR, size=2.0)
    assert out.size == pytest.approx(2 * y.size, abs=2)
    assert _f0(out, SR) == pytest.approx(220.0, abs=2.0)
    assert _f0(pp.change_size(y, sr=SR, size=0.5), SR) == pytest.approx(880.0, abs=4.0)


def test_size_one_is_the_identity() -> None:
    y = _sine(440.0, 0.1)
    assert pp.change_size(y, sr=SR, size=1.0).tobytes() == y.astype(np.float32).tobytes()


@pytest.mark.parametrize(("target", "expected"), [(48000, 6 * 8000), (44100, 44100), (8000, 8000)])
def test_resample_lengths(target: int, expected: int) -> None:
    out = pp.resample(_sine(300.0, 1.0), sr=SR, output_rate=target)
    assert out.dtype == np.float32
    assert out.size == pytest.approx(expected, abs=1)


def test_resample_keeps_the_frequency() -> None:
    out = pp.resample(_sine(300.0, 0.5), sr=SR, output_rate=48000)
    assert _f0(out, 48000) == pytest.approx(300.0, abs=1.0)


# --------------------------------------------------------------------------------- loudness
@pytest.mark.parametrize("seconds", [0.4, 0.47, 1.0, 2.0 + 17 / SR, 3.3])
@pytest.mark.parametrize("sr", [8000, 48000])
def test_loudness_matches_pyloudnorm(seconds: float, sr: int, rng: np.random.Generator) -> None:
    n = int(seconds * sr)
    y = rng.standard_normal(n) * np.linspace(0.0, 1.0, n) ** 2 * 0.1
    expected = pyloudnorm.Meter(sr).integrated_loudness(y)
    assert pp.measure(y, sr=sr)[0] == pytest.approx(expected, abs=1e-6)


def test_normalize_reaches_the_target_within_half_a_lu() -> None:
    y = synth_meow(seconds=2.0) * 0.05
    for target in (-23.0, -18.0, -14.0):
        out = pp.normalize_loudness(y, sr=SR, loudness_lufs=target, peak_dbfs=0.0)
        loudness = pyloudnorm.Meter(SR).integrated_loudness(out.astype(np.float64))
        assert loudness == pytest.approx(target, abs=0.5)


def test_peak_ceiling_wins_over_the_loudness_target() -> None:
    y = np.zeros(16000)
    y[::2000] = 0.01  # clicks: very low loudness, high crest factor
    out = pp.normalize_loudness(y, sr=SR, loudness_lufs=-10.0, peak_dbfs=-3.0)
    assert np.abs(out).max() <= 10 ** (-3.0 / 20)
    assert np.abs(out).max() > 10 ** (-3.1 / 20)
    assert np.abs(pp.to_pcm16(out)).max() <= 10 ** (-3.0 / 20) * 32768


def test_short_clips_are_measured_as_a_loop_of_themselves() -> None:
    short = _sine(500.0, 0.1)  # shorter than one 400 ms gating block
    looped = np.tile(short, 4)
    assert pp.measure(short, sr=SR)[0] == pytest.approx(pp.measure(looped, sr=SR)[0], abs=1e-6)
    out = pp.normalize_loudness(short, sr=SR, loudness_lufs=-20.0)
    assert pp.measure(out, sr=SR)[0] == pytest.approx(-20.0, abs=0.01)


def test_very_quiet_clips_still_get_a_finite_gain() -> None:
    y = _sine(500.0, 1.0, amp=1e-5)  # about −100 LUFS: below the absolute gate
    lufs, _ = pp.measure(y, sr=SR)
    assert math.isfinite(lufs) and lufs < -70.0
    out = pp.normalize_loudness(y, sr=SR)
    assert np.isfinite(out).all() and np.abs(out).max() > 1e-3


def test_measure_reports_silence_as_minus_infinity_and_full_scale_as_zero() -> None:
    assert pp.measure(np.zeros(8000), sr=SR) == (-math.inf, -math.inf)
    y = np.zeros(8000)
    y[100] = -1.0
    assert pp.measure(y, sr=SR)[1] == 0.0


# --------------------------------------------------------------------------------- PCM
def test_pcm16_rounds_and_clips() -> None:
    y = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 1.4 / 32768, 1.6 / 32768])
    assert pp.to_pcm16(y).tolist() == [0, 16384, -16384, 32767, -32768, 32767, -32768, 1, 2]
    assert pp.to_pcm16(y).dtype == np.int16


def test_pcm16_refuses_nan() -> None:
    with pytest.raises(ParameterError, match="NaN"):
        pp.to_pcm16(np.array([0.0, np.nan]))


# --------------------------------------------------------------------------------- finalize
def test_finalize_makes_a_game_ready_clip() -> None:
    raw = np.r_[np.zeros(2000), synth_meow(seconds=1.0), np.zeros(3000)] * 0.2 + 0.05
    out = pp.finalize(raw, sr=SR, output_rate=48000, loudness_lufs=-20.0, peak_dbfs=-1.0)
    assert out.dtype == np.float32
    assert out[0] == 0.0 and out[-1] == 0.0
    assert np.abs(out).max() <= 10 ** (-1.0 / 20)
    # Silence and DC gone: about 1 s of call (+ fade margins) at 48 kHz, not 1.6 s.
    assert 0.9 * 48000 < out.size < 1.1 * 48000
    assert pp.measure(out, sr=48000)[0] == pytest.approx(-20.0, abs=0.5)


def test_finalize_size_changes_duration_and_is_repeatable() -> None:
    raw = synth_meow(seconds=0.5)
    one = pp.finalize(raw, sr=SR, output_rate=SR)
    big = pp.finalize(raw, sr=SR, output_rate=SR, size=2.0)
    assert big.size == pytest.approx(2 * one.size, abs=4)
    assert pp.finalize(raw, sr=SR, output_rate=SR, size=2.0).tobytes() == big.tobytes()


@pytest.mark.parametrize("cut_calls", [False, True])
@pytest.mark.parametrize("n", [0, 1, 50, 8000])
def test_finalize_of_silence_is_silence(n: int, cut_calls: bool) -> None:
    out = pp.finalize(np.zeros(n), sr=SR, output_rate=44100, size=1.5, cut_calls=cut_calls)
    assert np.isfinite(out).all() and not np.any(out)


def _room_tone_then_call(lead_s: float = 0.5, tail_s: float = 0.3) -> tuple[np.ndarray, int]:
    """Room tone ~45 dB below the call (as in CatMeows' lead-ins), a 0.6-s call, room tone."""
    rng = np.random.default_rng(3)
    call = synth_meow(seconds=0.6)
    room = 10 ** (-45 / 20) * np.abs(call).max() * rng.standard_normal(int((lead_s + tail_s) * SR))
    lead = int(lead_s * SR)
    return np.r_[room[:lead], call, room[lead:]], lead


def test_cut_room_tone_starts_at_the_call() -> None:
    y, onset = _room_tone_then_call()
    out = pp.cut_room_tone(y, sr=SR)
    start, end = call_span(y, sr=SR)
    np.testing.assert_array_equal(out, y[start:end].astype(np.float32))
    assert onset - 0.1 * SR <= start <= onset  # the call's soft attack is kept
    assert out.size < 0.6 * SR + 0.2 * SR  # the call, pre-roll and a short tail
    # no room tone, nothing to cut: a tightly cut call keeps its length within the rolls
    call = synth_meow(seconds=0.6)
    assert pp.cut_room_tone(call, sr=SR).size >= 0.8 * call.size


def test_finalize_cuts_room_tone_only_when_asked() -> None:
    """The sample-peak trim keeps room tone 45 dB down (its threshold is 50 dB); the call
    cut, which the pack writer turns on for recording-context models, removes it."""
    y, _ = _room_tone_then_call(lead_s=0.5, tail_s=0.3)
    kept = pp.finalize(y, sr=SR, output_rate=SR)
    cut = pp.finalize(y, sr=SR, output_rate=SR, cut_calls=True)
    assert kept.size >= 0.95 * y.size
    assert cut.size <= 0.6 * SR + 0.2 * SR
    assert cut[0] == 0.0 and cut[-1] == 0.0  # still faded
    assert pp.measure(cut, sr=SR)[0] == pytest.approx(DEFAULT_LOUDNESS_LUFS, abs=0.5)


@settings(max_examples=40, deadline=None)
@given(
    y=arrays(
        np.float64,
        st.integers(0, 3000),
        elements=st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False),
    ),
    size=st.sampled_from([0.5, 1.0, 1.7]),
    cut_calls=st.booleans(),
)
def test_finalize_never_makes_nan_and_respects_the_ceiling(
    y: np.ndarray, size: float, cut_calls: bool
) -> None:
    out = pp.finalize(y, sr=SR, output_rate=16000, size=size, peak_dbfs=-1.0, cut_calls=cut_calls)
    assert np.isfinite(out).all()
    assert np.abs(out).max(initial=0.0) <= 10 ** (-1.0 / 20)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"size": 10.0}, "size"),
        ({"loudness_lufs": 5.0}, "loudness_lufs"),
        ({"peak_dbfs": 1.0}, "peak_dbfs"),
        ({"fade_ms": -1.0}, "fade_ms"),
        ({"output_rate": 0}, "output_rate"),
        ({"sr": 8000.5}, "sr"),
    ],
)
def test_finalize_rejects_bad_arguments(kwargs: dict, fragment: str) -> None:
    args = {"sr": SR, "output_rate": 48000, **kwargs}
    with pytest.raises(ParameterError, match=fragment):
        pp.finalize(np.zeros(100), **args)


@pytest.mark.parametrize(
    ("y", "fragment"),
    [(np.zeros((2, 100)), "mono"), (np.array([0.0, np.inf]), "NaN"), ([0.0, 1.0], "numpy")],
)
def test_bad_audio_is_rejected(y: object, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        pp.finalize(y, sr=SR, output_rate=SR)  # type: ignore[arg-type]
