"""Clip shaping: DC, peak normalisation, trimming, splitting into calls, fixed windows."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import synth_meow
from mockingbot.clips import (
    MIN_CALL_S,
    call_bounds,
    call_span,
    energetic_offset,
    energy_envelope,
    fit_window,
    normalize_peak,
    remove_dc,
    split_calls,
    trim_silence,
)
from mockingbot.errors import ParameterError

SR = 8000


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SR), dtype=np.float32)


def _noise(seconds: float, level_dbfs: float, rng: np.random.Generator) -> np.ndarray:
    n = round(seconds * SR)
    return (10 ** (level_dbfs / 20) * rng.standard_normal(n)).astype(np.float32)


# ---------------------------------------------------------------------------- level
def test_remove_dc_makes_the_mean_zero_and_keeps_dtype() -> None:
    y = synth_meow(sr=SR) + np.float32(0.2)
    out = remove_dc(y)
    assert out.dtype == np.float32
    assert abs(float(out.mean())) < 1e-6
    np.testing.assert_allclose(out + (y - out).mean(), y, atol=1e-6)


def test_normalize_peak_puts_the_peak_at_the_target_level() -> None:
    y = 0.01 * synth_meow(sr=SR)
    out = normalize_peak(y, peak_dbfs=-1.0)
    assert out.dtype == np.float32
    assert 20 * np.log10(np.max(np.abs(out))) == pytest.approx(-1.0, abs=1e-4)
    np.testing.assert_allclose(out / np.max(np.abs(out)), y / np.max(np.abs(y)), atol=1e-6)


def test_normalize_peak_leaves_digital_silence_alone() -> None:
    out = normalize_peak(np.zeros(10, dtype=np.float32))
    assert not out.any()


@pytest.mark.parametrize("bad", [0.5, float("nan")])
def test_normalize_peak_rejects_levels_above_full_scale(bad: float) -> None:
    with pytest.raises(ParameterError):
        normalize_peak(np.ones(4), peak_dbfs=bad)


@pytest.mark.parametrize(
    "bad",
    [np.ones((2, 4)), np.arange(4), np.array([0.0, np.nan]), [0.0, 1.0]],
    ids=["2-D", "integer", "nan", "list"],
)
def test_functions_reject_invalid_audio(bad) -> None:
    for fn in (remove_dc, normalize_peak, lambda y: split_calls(y, sr=SR)):
        with pytest.raises(ParameterError):
            fn(bad)


# ---------------------------------------------------------------------------- envelope / trim
def test_energy_envelope_has_one_value_per_hop_and_sees_the_call() -> None:
    y = np.concatenate([_silence(0.5), synth_meow(sr=SR, seconds=0.5), _silence(0.5)])
    env, frame, hop = energy_envelope(y, sr=SR)
    assert (frame, hop) == (160, 80)
    assert env.size == 1 + (y.size - 1) // hop
    loud = np.flatnonzero(env > env.max() - 20) * hop / SR
    assert 0.45 < loud[0] < 0.65 and 0.85 < loud[-1] < 1.05


def test_trim_silence_cuts_leading_and_trailing_silence() -> None:
    call = synth_meow(sr=SR, seconds=0.8)
    y = np.concatenate([_silence(1.0), call, _silence(2.0)])
    out = trim_silence(y, sr=SR)
    assert 0.7 * SR <= out.size <= 0.95 * SR
    # What is kept is the call itself (cross-check against its known position).
    start = int(np.argmax(np.correlate(y, out[: SR // 4], mode="valid")))
    assert abs(start - 1.0 * SR) < 0.15 * SR


def test_trim_silence_keeps_a_call_that_fills_the_clip() -> None:
    y = 0.5 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR).astype(np.float32)
    assert trim_silence(y, sr=SR).size == SR


def test_trim_silence_of_silence_is_empty() -> None:
    assert trim_silence(_silence(1.0), sr=SR).size == 0


# ---------------------------------------------------------------------------- splitting
def test_three_calls_separated_by_silence_give_three_clips() -> None:
    calls = [synth_meow(sr=SR, seconds=s, f0=f, seed=i) for i, (s, f) in enumerate(
        [(0.6, 450.0), (0.9, 520.0), (0.4, 600.0)]
    )]  # fmt: skip
    gap = _silence(0.7)
    y = np.concatenate([gap, calls[0], gap, calls[1], gap, calls[2], gap])
    clips = split_calls(y, sr=SR)
    assert len(clips) == 3
    for clip, call in zip(clips, calls):
        assert 0.7 * call.size < clip.size < call.size + 0.2 * SR


def test_a_single_two_second_meow_gives_one_clip() -> None:
    meow = synth_meow(sr=SR, seconds=2.0)
    y = np.concatenate([_silence(0.3), meow, _silence(0.3)])
    (bounds,) = call_bounds(y, sr=SR)
    assert bounds[0] < 0.5 * SR and bounds[1] > 2.1 * SR


def test_a_call_filling_the_whole_file_gives_one_clip_covering_it() -> None:
    y = 0.5 * np.sin(2 * np.pi * 440 * np.arange(2 * SR) / SR).astype(np.float32)
    assert call_bounds(y, sr=SR) == [(0, y.size)]


def test_field_recording_with_room_tone_splits_into_its_calls(rng) -> None:
    """30 s of -50 dBFS noise with five calls at different levels → five clips, in order."""
    y = _noise(30.0, -50.0, rng)
    starts_s = [2.0, 8.0, 13.5, 20.0, 26.0]
    for i, (start, gain) in enumerate(zip(starts_s, [1.0, 0.5, 0.8, 0.3, 1.0])):
        call = gain * synth_meow(sr=SR, seconds=1.2, f0=450 + 40 * i, seed=i)
        a = round(start * SR)
        y[a : a + call.size] += call
    bounds = call_bounds(y, sr=SR)
    assert len(bounds) == 5
    for (a, b), start in zip(bounds, starts_s):
        assert abs(a / SR - start) < 0.3 and 0.6 < (b - a) / SR < 1.6


def test_short_gaps_do_not_split_a_call_and_short_bursts_are_dropped() -> None:
    part = synth_meow(sr=SR, seconds=0.4)
    click = np.zeros(round(0.5 * MIN_CALL_S * SR), dtype=np.float32) + 0.5
    y = np.concatenate(
        [_silence(0.5), part, _silence(0.08), part, _silence(1.0), click, _silence(0.5)]
    )
    bounds = call_bounds(y, sr=SR)
    assert len(bounds) == 1
    a, b = bounds[0]
    assert a < 0.5 * SR and b > 1.3 * SR and b < 1.5 * SR
    # A burst a few times the minimum length is a call of its own.
    burst = 0.5 * np.sin(2 * np.pi * 700 * np.arange(round(3 * MIN_CALL_S * SR)) / SR)
    y2 = np.concatenate([y, burst.astype(np.float32), _silence(0.5)])
    assert len(call_bounds(y2, sr=SR)) == 2


def test_much_quieter_bursts_are_not_calls() -> None:
    loud = synth_meow(sr=SR, seconds=0.8)
    faint = 0.03 * synth_meow(sr=SR, seconds=0.5, seed=3)  # about 30 dB down
    y = np.concatenate([_silence(0.4), loud, _silence(0.6), faint, _silence(0.4)])
    assert len(call_bounds(y, sr=SR)) == 1
    assert len(call_bounds(y, sr=SR, call_top_db=40.0)) == 2


def test_silence_gives_no_calls() -> None:
    assert split_calls(_silence(2.0), sr=SR) == []
    assert split_calls(np.zeros(0, dtype=np.float32), sr=SR) == []
    assert call_span(_silence(2.0), sr=SR) is None


def test_call_span_keeps_two_calls_as_one_piece_without_the_room_tone(rng) -> None:
    """What the runtime cuts a recording-context sound to: first onset to last offset."""
    y = _noise(2.0, -50.0, rng)
    for start in (0.5, 1.2):
        call = synth_meow(sr=SR, seconds=0.4, seed=int(start * 10))
        a = round(start * SR)
        y[a : a + call.size] += call
    (a1, _), (_, b2) = call_bounds(y, sr=SR)
    assert call_span(y, sr=SR) == (a1, b2)
    assert 0.4 * SR < a1 < 0.5 * SR and 1.6 * SR < b2 < 1.8 * SR


# ---------------------------------------------------------------------------- fixed windows
def test_fit_window_pads_short_clips_after_the_onset() -> None:
    call = synth_meow(sr=SR, seconds=0.5)
    out = fit_window(call, 8192)
    assert out.shape == (8192,) and out.dtype == np.float32
    np.testing.assert_array_equal(out[: call.size], call)
    assert not out[call.size :].any()


def test_fit_window_keeps_the_most_energetic_part_of_long_clips() -> None:
    quiet = 0.01 * synth_meow(sr=SR, seconds=2.0, seed=1)
    loud = synth_meow(sr=SR, seconds=0.5, seed=2)
    y = quiet.copy()
    at = round(1.2 * SR)
    y[at : at + loud.size] += loud
    n = SR  # 1 s window
    offset = energetic_offset(y, n)
    kept = y[offset : offset + n] - quiet[offset : offset + n]
    assert np.sum(kept**2) >= 0.999 * np.sum(loud**2)
    out = fit_window(y, n)
    assert out.shape == (n,)
    np.testing.assert_array_equal(out, y[offset : offset + n])


def test_fit_window_exact_length_is_unchanged() -> None:
    y = synth_meow(sr=SR, seconds=0.5)
    np.testing.assert_array_equal(fit_window(y, y.size), y)
    assert energetic_offset(y, y.size) == 0


def test_fit_window_rejects_bad_lengths() -> None:
    with pytest.raises(ParameterError):
        fit_window(np.ones(4, dtype=np.float32), 0)


@pytest.mark.parametrize("room_db", [-30.0, -45.0])
def test_call_span_cuts_room_tone_before_a_call_that_ends_in_digital_silence(
    rng, room_db: float
) -> None:
    """A generated clip of a short recording: room tone, the call, then near-silence to the
    end of the window. The quiet tail drags the noise-floor estimate down to where the room
    tone counts as call; backtracking from the call's loud part finds its foot instead."""
    call = synth_meow(sr=SR, seconds=0.6)
    lead = round(0.5 * SR)
    room = 10 ** (room_db / 20) * np.abs(call).max() * rng.standard_normal(lead)
    y = np.concatenate([room.astype(np.float32), call, _silence(0.9)])
    assert call_bounds(y, sr=SR)[0][0] == 0  # the thresholds alone keep the room tone
    start, end = call_span(y, sr=SR)
    assert lead - 0.1 * SR <= start <= lead
    assert end >= lead + call.size - 0.1 * SR
