"""Turning decoded recordings into training clips: pure functions over 1-D float arrays.

A data-set file may hold one call cut tightly, one call with seconds of room tone around it,
or a field recording with many calls. These functions find the calls and shape each one into
the fixed-length, level-normalised window the model learns from. Every function takes the
signal first and everything else by keyword, returns a new array and does no I/O.

Contents:

- Level: :func:`remove_dc`, :func:`normalize_peak`.
- Finding sound: :func:`energy_envelope`, :func:`trim_silence`, :func:`silence_bounds`,
  :func:`call_bounds`, :func:`split_calls`.

:func:`remove_dc` and :func:`silence_bounds` serve the runtime's post-processing too
(generated sounds are trimmed sample by sample, ``per_sample=True``): one implementation of
each, one sign convention (a trim threshold is dB relative to the peak, negative).
- Fixed length: :func:`energetic_offset`, :func:`fit_window`.

Placement choice: a call shorter than the window starts at sample 0 and is followed by zeros.
Game sounds are triggered by events and must start at once, so generated sounds should have
their onset at the start too; the model learns whatever placement its data shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .defaults import TRIM_THRESHOLD_DB
from .errors import ParameterError
from .validation import as_float, as_int

__all__ = [
    "CALL_TOP_DB",
    "CLIP_PEAK_DBFS",
    "ENVELOPE_FRAME_S",
    "ENVELOPE_HOP_S",
    "ENVELOPE_SMOOTH_S",
    "MIN_CALL_S",
    "MIN_GAP_S",
    "NOISE_FLOOR_PERCENTILE",
    "POST_ROLL_S",
    "PRE_ROLL_S",
    "SPLIT_HYSTERESIS_DB",
    "SPLIT_MARGIN_DB",
    "SPLIT_SNR_DB",
    "SPLIT_TOP_DB",
    "TRIM_THRESHOLD_DB",
    "call_bounds",
    "call_span",
    "energetic_offset",
    "energy_envelope",
    "fit_window",
    "normalize_peak",
    "remove_dc",
    "silence_bounds",
    "split_calls",
    "trim_silence",
]

# ---------------------------------------------------------------------------- constants
# How a recording becomes training clips (defaults.CONTEXTS) is chosen in mockingbot.dataset;
# these functions implement each way.

#: Peak level of a training clip. -1 dBFS leaves a little headroom for resampling overshoot.
CLIP_PEAK_DBFS = -1.0

#: Energy envelope analysis: 20 ms frames (longer than one pitch period of a low growl at
#: 50 Hz), every 10 ms, then a 50 ms moving average so syllable-internal dips do not count.
ENVELOPE_FRAME_S = 0.02
ENVELOPE_HOP_S = 0.01
ENVELOPE_SMOOTH_S = 0.05

#: :func:`call_bounds` thresholds. A call starts where the envelope rises above the "on"
#: level and ends where it falls below "on - SPLIT_HYSTERESIS_DB" (hysteresis keeps a call
#: whose level wobbles around the threshold in one piece). "on" is the higher of
#: peak - SPLIT_TOP_DB (ignore calls far quieter than the loudest) and
#: noise floor + SPLIT_SNR_DB (ignore room tone and wind), but never above
#: peak - SPLIT_MARGIN_DB (a file that is all call, with no quiet part, stays one call).
SPLIT_TOP_DB = 40.0
SPLIT_SNR_DB = 10.0
SPLIT_MARGIN_DB = 6.0
SPLIT_HYSTERESIS_DB = 6.0

#: A stretch between the thresholds only counts as a call if its own loudest moment comes
#: within this many dB of the recording's loudest: in tightly cut data sets (CatMeows) the
#: quieter bursts are handling noise, a breath or a door 20-40 dB down, not a second call;
#: in field recordings they are distant calls too buried in noise to learn from.
CALL_TOP_DB = 20.0

#: The noise floor is this percentile of the envelope (in dB): the level the recording sits
#: at between calls as long as calls fill less than ~90 % of it.
NOISE_FLOOR_PERCENTILE = 10.0

#: Calls separated by less silence than this are one call (a "mrr-ow" with a breath inside).
MIN_GAP_S = 0.2
#: Shorter bursts are clicks, bumps or fragments, not calls.
MIN_CALL_S = 0.1
#: Context kept before a detected onset and after a detected offset, so that soft attacks
#: and decaying tails survive the cut.
PRE_ROLL_S = 0.02
POST_ROLL_S = 0.05

_EPS_POWER = 1e-20  # keeps log10 finite on digital silence (-200 dB)


# ---------------------------------------------------------------------------- validation
def _valid_audio(y: np.ndarray, name: str = "y") -> np.ndarray:
    if not isinstance(y, np.ndarray):
        raise ParameterError(f"{name} must be a numpy array, got {type(y).__name__}")
    if y.ndim != 1:
        raise ParameterError(f"{name} must be 1-D [samples], got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"{name} must be floating point, got dtype {y.dtype}")
    if not np.isfinite(y).all():
        raise ParameterError(f"{name} contains NaN or inf samples")
    return y


def _valid_sr(sr: int) -> int:
    return as_int("sr", sr, low=1)


def _samples(seconds: float, sr: int, *, minimum: int = 0) -> int:
    return max(minimum, round(seconds * sr))


# ---------------------------------------------------------------------------- level
def remove_dc(y: np.ndarray) -> np.ndarray:
    """Subtract the mean, so the signal swings around zero.

    DC offset (cheap interfaces, some ADPCM decoders) wastes headroom and puts energy in
    the 0 Hz bin that the model would otherwise learn as part of the call.

    Args:
        y: audio, shape [samples].

    Returns:
        a new array of the same dtype, mean zero (up to rounding).

    Examples:
        >>> remove_dc(np.array([1.0, 2.0, 3.0]))
        array([-1.,  0.,  1.])
    """
    y = _valid_audio(y)
    if y.size == 0:
        return y.copy()
    return (y - y.mean(dtype=np.float64)).astype(y.dtype, copy=False)


def normalize_peak(y: np.ndarray, *, peak_dbfs: float = CLIP_PEAK_DBFS) -> np.ndarray:
    """Scale ``y`` so its largest absolute sample sits at ``peak_dbfs``.

    Recordings come at every level; the model should learn timbre, not microphone gain.
    Digital silence is returned unchanged (there is nothing to scale).

    Args:
        y: audio, shape [samples].
        peak_dbfs: target peak in dB relative to full scale (≤ 0; -1 leaves 1 dB headroom).

    Returns:
        a new array of the same dtype.

    Examples:
        >>> float(np.abs(normalize_peak(np.array([0.1, -0.2]), peak_dbfs=0.0)).max())
        1.0
    """
    y = _valid_audio(y)
    peak_dbfs = as_float("peak_dbfs", peak_dbfs, high=0.0)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak == 0.0:
        return y.copy()
    gain = 10.0 ** (peak_dbfs / 20.0) / peak
    return (y * gain).astype(y.dtype, copy=False)


# ---------------------------------------------------------------------------- finding sound
def energy_envelope(
    y: np.ndarray,
    *,
    sr: int,
    frame_s: float = ENVELOPE_FRAME_S,
    hop_s: float = ENVELOPE_HOP_S,
    smooth_s: float = ENVELOPE_SMOOTH_S,
) -> tuple[np.ndarray, int, int]:
    """Smoothed short-time power in dB (re full-scale square wave), one value per hop.

    Frame ``m`` covers samples ``[m * hop, m * hop + frame)``; the last frame may run past
    the end (the missing part counts as silence).

    Args:
        y: audio, shape [samples].
        sr: sample rate in Hz.
        frame_s: frame length in seconds.
        hop_s: hop between frames in seconds.
        smooth_s: length of the moving average applied to the power, in seconds (0: none).

    Returns:
        ``(env_db, frame, hop)``: env_db shape [frames] (empty for empty ``y``), and the
        frame and hop lengths in samples actually used.
    """
    y = _valid_audio(y)
    sr = _valid_sr(sr)
    frame = _samples(frame_s, sr, minimum=1)
    hop = _samples(hop_s, sr, minimum=1)
    if y.size == 0:
        return np.zeros(0), frame, hop
    n = 1 + (y.size - 1) // hop
    c = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    starts = np.arange(n) * hop
    ends = np.minimum(starts + frame, y.size)
    power = (c[ends] - c[starts]) / frame
    k = min(n, max(1, round(smooth_s / hop_s))) if smooth_s > 0 else 1
    if k > 1:  # (k ≤ n keeps np.convolve's "same" output at n values)
        power = np.convolve(power, np.ones(k) / k, mode="same")
    return 10.0 * np.log10(np.maximum(power, _EPS_POWER)), frame, hop


def trim_silence(y: np.ndarray, *, sr: int, **bounds: Any) -> np.ndarray:
    """Cut leading and trailing parts more than ``-threshold_db`` dB below the peak.

    :func:`silence_bounds` decides where; this only cuts there.

    Args:
        y: audio, shape [samples].
        sr: sample rate in Hz.
        **bounds: :func:`silence_bounds`'s keyword arguments (``threshold_db``,
            ``pre_roll_s``, ``post_roll_s``, ``per_sample``), with its defaults.

    Returns:
        the trimmed audio (a copy); empty if ``y`` is empty or digital silence (there is no
        sound to keep).

    Examples:
        >>> sr = 8000
        >>> y = np.concatenate([np.zeros(sr), np.ones(sr // 2) * 0.5, np.zeros(sr)])
        >>> 0.5 <= trim_silence(y, sr=sr).size / sr < 0.6
        True
        >>> y = np.r_[np.zeros(800), np.ones(100), np.zeros(800)]
        >>> trim_silence(y, sr=8000, pre_roll_s=0, post_roll_s=0, per_sample=True).shape
        (100,)
    """
    start, end = silence_bounds(y, sr=sr, **bounds)
    return np.asarray(y)[start:end].copy()


def silence_bounds(
    y: np.ndarray,
    *,
    sr: int,
    threshold_db: float = TRIM_THRESHOLD_DB,
    pre_roll_s: float = PRE_ROLL_S,
    post_roll_s: float = POST_ROLL_S,
    per_sample: bool = False,
) -> tuple[int, int]:
    """``(start, end)`` sample indices :func:`trim_silence` keeps; ``(0, 0)`` for no sound.

    Args:
        y: audio, shape [samples].
        sr: sample rate in Hz.
        threshold_db: where silence starts, in dB relative to the peak (≤ 0; -50 keeps
            everything within 50 dB of it).
        pre_roll_s: context kept before the first loud frame or sample, seconds.
        post_roll_s: context kept after the last loud frame or sample, seconds.
        per_sample: compare each sample's magnitude with the peak sample (generated sounds:
            the cut lands exactly where the fades go) instead of each 20-ms frame's power
            with the loudest frame's (recordings: a click in the room tone is not a call).

    Returns:
        ``(0, 0)`` when ``y`` is empty or digital silence: the one empty-input answer; a
        caller that wants silence kept whole (the pack's ``finalize``) checks for it.
    """
    y = _valid_audio(y)
    sr = _valid_sr(sr)
    threshold_db = as_float("threshold_db", threshold_db, high=0.0)
    if y.size == 0 or not np.any(y):
        return 0, 0
    if per_sample:
        a = np.abs(y)
        loud = np.flatnonzero(a >= a.max() * 10.0 ** (threshold_db / 20.0))
        frame = hop = 1
    else:
        env, frame, hop = energy_envelope(y, sr=sr, smooth_s=0.0)
        loud = np.flatnonzero(env >= env.max() + threshold_db)
    start = max(0, loud[0] * hop - _samples(pre_roll_s, sr))
    end = min(y.size, loud[-1] * hop + frame + _samples(post_roll_s, sr))
    return int(start), int(end)


def call_bounds(
    y: np.ndarray,
    *,
    sr: int,
    top_db: float = SPLIT_TOP_DB,
    call_top_db: float = CALL_TOP_DB,
    snr_db: float = SPLIT_SNR_DB,
    hysteresis_db: float = SPLIT_HYSTERESIS_DB,
    min_gap_s: float = MIN_GAP_S,
    min_call_s: float = MIN_CALL_S,
    pre_roll_s: float = PRE_ROLL_S,
    post_roll_s: float = POST_ROLL_S,
) -> list[tuple[int, int]]:
    """Where the separate calls are: ``[(start, end), ...]`` sample ranges, in order.

    Works on the smoothed energy envelope (:func:`energy_envelope`) with a hysteresis
    threshold (see :data:`SPLIT_TOP_DB`, :data:`SPLIT_SNR_DB`, :data:`SPLIT_MARGIN_DB`),
    merges calls separated by less than ``min_gap_s``, drops bursts shorter than
    ``min_call_s`` or more than ``call_top_db`` quieter than the loudest, and adds
    ``pre_roll_s`` / ``post_roll_s`` of context to each end.

    Args:
        y: audio, shape [samples].
        sr: sample rate in Hz.
        top_db: the thresholds never go lower than this far below the loudest frame (dB);
            it bounds how much of a call's soft attack and tail is kept.
        call_top_db: a call's own loudest frame must be within this many dB of the
            recording's loudest (dB).
        snr_db: a call must rise this far above the noise floor (dB).
        hysteresis_db: the "off" threshold sits this far below the "on" threshold (dB, ≥ 0).
        min_gap_s: shorter silences do not split a call (seconds).
        min_call_s: shorter calls are dropped (seconds, measured between the thresholds).
        pre_roll_s: context added before each onset (seconds).
        post_roll_s: context added after each offset (seconds).

    Returns:
        list of half-open sample ranges; empty if nothing qualifies (silence, a click).
    """
    y = _valid_audio(y)
    sr = _valid_sr(sr)
    if hysteresis_db < 0:
        raise ParameterError(f"hysteresis_db must be ≥ 0, got {hysteresis_db!r}")
    env, frame, hop = energy_envelope(y, sr=sr)
    if env.size == 0 or not np.any(y):
        return []
    peak = float(env.max())
    floor = float(np.percentile(env, NOISE_FLOOR_PERCENTILE))
    on = min(max(peak - top_db, floor + snr_db), peak - SPLIT_MARGIN_DB)
    off = on - hysteresis_db

    # Hysteresis: enter a call above `on`, leave it below `off`.
    runs: list[list[int]] = []
    active = False
    above_on = env >= on
    below_off = env < off
    for m in range(env.size):
        if not active and above_on[m]:
            runs.append([m, env.size])
            active = True
        elif active and below_off[m]:
            runs[-1][1] = m
            active = False

    # Merge runs separated by short gaps, then drop short ones.
    gap = max(1, round(min_gap_s / (hop / sr)))
    merged: list[list[int]] = []
    for run in runs:
        if merged and run[0] - merged[-1][1] < gap:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    # Frame length and smoothing widen every burst on the envelope; measure calls without it.
    smooth_frames = max(1, round(ENVELOPE_SMOOTH_S / ENVELOPE_HOP_S))
    spread = (smooth_frames - 1) + (frame - hop) / hop
    min_frames = min_call_s * sr / hop + spread
    pre, post = _samples(pre_roll_s, sr), _samples(post_roll_s, sr)
    bounds = []
    for a, b in merged:
        if b - a < min_frames or env[a:b].max() < peak - call_top_db:
            continue
        start = max(0, a * hop - pre)
        end = min(y.size, (b - 1) * hop + frame + post)
        if bounds and start < bounds[-1][1]:  # context overlaps the previous call
            start = bounds[-1][1]
        bounds.append((start, end))
    return bounds


def split_calls(y: np.ndarray, *, sr: int, **kwargs: float) -> list[np.ndarray]:
    """Cut a recording into its separate calls (see :func:`call_bounds` for the keywords).

    A tightly cut single meow gives one clip; a 30-second field recording with five calls
    separated by silence or room tone gives five.

    Returns:
        list of copies of ``y[start:end]``, in order; empty if no call qualifies.

    Examples:
        >>> sr = 8000
        >>> t = np.arange(sr // 2) / sr
        >>> call = 0.5 * np.sin(2 * np.pi * 440 * t)
        >>> gap = np.zeros(sr)
        >>> len(split_calls(np.concatenate([gap, call, gap, call, gap]), sr=sr))
        2
    """
    return [y[a:b].copy() for a, b in call_bounds(y, sr=sr, **kwargs)]


def call_span(y: np.ndarray, *, sr: int) -> tuple[int, int] | None:
    """From the first call's onset to the last call's offset, room tone around them dropped.

    The same onsets and offsets (:func:`call_bounds`, with its pre- and post-roll) that the
    ``"call"`` context cuts training clips at, kept as one piece: a generated sound with two
    meows stays one sound, but the room tone before and after it goes. The runtime applies it
    to models trained on whole recordings, whose sounds carry the recordings' lead-in.

    One more rule for the start. :func:`call_bounds` estimates the noise floor from the
    quietest tenth of the clip; in a generated clip that is often the digital near-silence
    padded after a short recording, so its threshold falls to 40 dB below the peak and room
    tone 30 dB down counts as call. So the onset is also found from the call itself: from
    the first frame within :data:`CALL_TOP_DB` of the peak, back down the attack while the
    envelope keeps falling, to the foot where it stops (onset backtracking); the later of the
    two starts wins. A soft attack that rises steadily is kept whole.

    Returns:
        ``(start, end)``, a half-open sample range, or ``None`` when no call qualifies
        (silence, a click): then there is nothing to cut against.

    Examples:
        >>> sr = 8000
        >>> rng = np.random.default_rng(0)
        >>> room = 0.003 * rng.standard_normal(sr)  # 1 s of room tone, ~45 dB down
        >>> call = 0.5 * np.sin(2 * np.pi * 440 * np.arange(sr // 2) / sr)
        >>> start, end = call_span(np.concatenate([room, call, room[: sr // 4]]), sr=sr)
        >>> round(start / sr, 2), round(end / sr, 2)
        (0.95, 1.58)
    """
    bounds = call_bounds(y, sr=sr)
    if not bounds:
        return None
    env, _, hop = energy_envelope(y, sr=sr)
    m = int(np.flatnonzero(env >= env.max() - CALL_TOP_DB)[0])
    while m > 0 and env[m - 1] < env[m]:
        m -= 1
    start = max(bounds[0][0], m * hop - _samples(PRE_ROLL_S, sr))
    return start, bounds[-1][1]


# ---------------------------------------------------------------------------- fixed length
def energetic_offset(y: np.ndarray, n: int) -> int:
    """Start of the ``n``-sample window of ``y`` holding the most energy (0 if ``y`` fits).

    Ties go to the earliest window, so a call that fits keeps its onset.
    """
    y = _valid_audio(y)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ParameterError(f"n must be a positive integer, got {n!r}")
    if y.size <= n:
        return 0
    c = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    energy = c[n:] - c[:-n]
    return int(np.argmax(energy >= energy.max() * (1.0 - 1e-9)))


def fit_window(y: np.ndarray, n: int) -> np.ndarray:
    """Exactly ``n`` samples: a short clip padded with zeros after it, a long one's loudest part.

    Short clips keep their onset at sample 0 (see the module docstring for why). Long ones
    lose their quieter ends: the window is placed by :func:`energetic_offset`.

    Args:
        y: audio, shape [samples].
        n: window length in samples (take it from ``spec.clip_samples``).

    Returns:
        a new array of shape [n], dtype of ``y``.

    Examples:
        >>> fit_window(np.ones(3), 5)
        array([1., 1., 1., 0., 0.])
    """
    start = energetic_offset(y, n)
    out = np.zeros(n, dtype=y.dtype)
    piece = y[start : start + n]
    out[: piece.size] = piece
    return out
