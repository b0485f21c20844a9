"""Game-ready audio: pure functions that turn a raw generated clip into a file-ready one.

A generated clip comes out of phase retrieval at the model's rate (8 kHz by default) with
whatever level, offset and silence the generator produced. Game engines want sounds that
start on their first sample, never click, sit at a predictable loudness below a peak
ceiling, at the engine's mixing rate. Each stage is a pure function (signal first, every
other argument keyword-only, a new array back, no I/O):

- DC removal and the silence trim are the data pipeline's own
  (:func:`mockingbot.clips.remove_dc`, :func:`mockingbot.clips.silence_bounds` sample by
  sample): one implementation of each, called from :func:`finalize`.
- :func:`cut_room_tone` — for models that learnt whole recordings: keep only the calls, as
  the ``"call"`` data context cuts them (:func:`mockingbot.clips.call_span`).
- :func:`change_size` — a play-back-rate change for bigger (lower) or smaller (higher)
  creatures: pitch and formants move together, like a bigger vocal tract.
- :func:`resample` — sample-rate conversion with soxr (high quality).
- :func:`apply_fades` — raised-cosine fades that start and end on exact zeros (no clicks).
- :func:`normalize_loudness` — integrated loudness (ITU-R BS.1770 as in pyloudnorm) to a
  LUFS target, then a peak ceiling that wins over the target.
- :func:`measure` — (integrated loudness, sample peak) of a clip, for manifests.
- :func:`to_pcm16` — float → 16-bit PCM by rounding (no dither, see its docstring).
- :func:`finalize` — the composition the pack writer calls, in the order documented there.

Loudness is measured by :func:`mockingbot.runtime.loudness.integrated_loudness` (BS.1770-4,
the same numbers as pyloudnorm, vectorised; short clips measured as a loop of themselves).

Everything is deterministic (no randomness at all) and total: silence stays silence, and no
stage produces NaN.
"""

from __future__ import annotations

import math

import numpy as np

from mockingbot.clips import call_span, remove_dc, silence_bounds
from mockingbot.defaults import (
    DEFAULT_LOUDNESS_LUFS,
    FADE_MS,
    LOUDNESS_LUFS_LIMITS,
    PEAK_CEILING_DBFS,
    PEAK_CEILING_DBFS_LIMITS,
    SIZE_LIMITS,
)
from mockingbot.errors import ParameterError
from mockingbot.validation import as_float, as_int

from .loudness import integrated_loudness

__all__ = [
    "apply_fades",
    "change_size",
    "cut_room_tone",
    "finalize",
    "measure",
    "normalize_loudness",
    "resample",
    "to_pcm16",
]

# Defaults and limits (loudness target, peak ceiling, fade length, creature sizes) are
# mockingbot.defaults': one home, shared with the CLI and the pack renderer.

#: soxr quality preset: "HQ" (20-bit, ~0.3 ms for 2 s at 8 kHz → 48 kHz) is transparent here.
RESAMPLE_QUALITY = "HQ"

_PCM16_SCALE = 32768.0
#: The peak ceiling is met with one 16-bit step to spare, so rounding to PCM cannot exceed it.
_CEILING_MARGIN = 1.0 / _PCM16_SCALE


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def _audio(y: object, name: str = "y") -> np.ndarray:
    """Validate mono audio: a finite, real, 1-D array. Returns float64."""
    if not isinstance(y, np.ndarray):
        raise ParameterError(f"{name} must be a numpy array, got {type(y).__name__}")
    if y.ndim != 1:
        raise ParameterError(f"{name} must be mono audio of shape [samples], got {list(y.shape)}")
    if not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)):
        raise ParameterError(f"{name} must be real audio samples, got dtype {y.dtype}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ParameterError(f"{name} contains NaN or infinite samples")
    return y


def _rate(value: object, name: str) -> int:
    """A sample rate in Hz: a positive integer."""
    return as_int(name, value, low=1)


def _number(value: object, name: str, lo: float, hi: float) -> float:
    return as_float(name, value, low=lo, high=hi)


def _samples(ms: float, sr: int) -> int:
    """Milliseconds → whole samples at ``sr``."""
    return round(ms * sr / 1000.0)


# ---------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------
def cut_room_tone(y: np.ndarray, *, sr: int) -> np.ndarray:
    """Keep the calls, drop the room tone before the first and after the last.

    A model trained on whole recordings (``data.context = "recording"``) learns their lead-in
    of room tone too: its sounds start half a second late and hiss before they meow, which a
    game event cannot use. This cuts them where the ``"call"`` context cuts recordings into
    training clips (:func:`mockingbot.clips.call_span`, same thresholds, pre- and post-roll),
    so both kinds of model give sounds that start at once. Room tone *between* two calls of
    one sound stays: it is part of the sound.

    Args:
        y: mono audio [samples].
        sr: sample rate (Hz).

    Returns:
        float32 audio; unchanged when no call qualifies (silence, a click).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> room = 0.003 * rng.standard_normal(4000)  # 0.5 s of room tone
        >>> call = 0.5 * np.sin(2 * np.pi * 440 * np.arange(4000) / 8000)
        >>> len(cut_room_tone(np.r_[room, call, room], sr=8000)) / 8000  # of 1.5 s
        0.63
    """
    y = _audio(y)
    sr = _rate(sr, "sr")
    return _cut(y, sr).astype(np.float32)


def _cut(y: np.ndarray, sr: int) -> np.ndarray:
    span = call_span(y, sr=sr)
    return y if span is None else y[span[0] : span[1]]


def apply_fades(y: np.ndarray, *, sr: int, fade_in_ms: float, fade_out_ms: float) -> np.ndarray:
    """Raised-cosine fade-in and fade-out that start and end on exact zeros.

    The gain is sin²(π/2 · n/L) over the first L samples (and its mirror image at the end):
    the first and last samples become 0 and the gain's slope is zero at both ends of each
    fade, so neither the cut nor the fade clicks. If the clip is shorter than both fades
    together, both shrink in proportion.

    Args:
        y: mono audio [samples].
        sr: sample rate (Hz).
        fade_in_ms: fade-in length, ≥ 0 (0 = none).
        fade_out_ms: fade-out length, ≥ 0 (0 = none).

    Returns:
        float32 audio, same length.

    Examples:
        >>> out = apply_fades(np.ones(800), sr=8000, fade_in_ms=10, fade_out_ms=10)
        >>> float(out[0]), float(out[-1]), float(out[400])
        (0.0, 0.0, 1.0)
    """
    y = _audio(y)
    sr = _rate(sr, "sr")
    n_in = _samples(_number(fade_in_ms, "fade_in_ms", 0.0, 60_000.0), sr)
    n_out = _samples(_number(fade_out_ms, "fade_out_ms", 0.0, 60_000.0), sr)
    return _fade(y, n_in, n_out).astype(np.float32)


def _fade(y: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
    n = y.size
    if n_in + n_out > n:  # shrink both in proportion
        total = n_in + n_out
        n_in, n_out = (n * n_in) // total, (n * n_out) // total
    y = y.copy()
    if n_in:
        y[:n_in] *= np.sin(0.5 * np.pi * np.arange(n_in) / n_in) ** 2
    if n_out:
        y[n - n_out :] *= np.sin(0.5 * np.pi * np.arange(n_out)[::-1] / n_out) ** 2
    return y


def resample(y: np.ndarray, *, sr: int, output_rate: int) -> np.ndarray:
    """Sample-rate conversion with soxr (quality :data:`RESAMPLE_QUALITY`).

    Args:
        y: mono audio [samples] at ``sr``.
        sr: its sample rate (Hz).
        output_rate: the wanted rate (Hz); equal rates return a copy.

    Returns:
        float32 audio of about ``len(y) · output_rate / sr`` samples.

    Examples:
        >>> resample(np.zeros(8000), sr=8000, output_rate=48000).shape
        (48000,)
    """
    y = _audio(y)
    sr = _rate(sr, "sr")
    output_rate = _rate(output_rate, "output_rate")
    return _resample(y, sr, float(output_rate)).astype(np.float32)


def _resample(y: np.ndarray, in_rate: float, out_rate: float) -> np.ndarray:
    if in_rate == out_rate or y.size == 0:
        return y.copy()
    import soxr  # C extension; imported here so importing this module stays cheap

    return np.asarray(soxr.resample(y, in_rate, out_rate, quality=RESAMPLE_QUALITY))


def change_size(y: np.ndarray, *, sr: int, size: float) -> np.ndarray:
    """Make the creature sound bigger (``size`` > 1) or smaller (< 1).

    A play-back-rate change: the clip is resampled to ``sr · size`` samples per original
    second and then played at ``sr``, so it lasts ``size`` times as long and every frequency
    — pitch and formants together, as with a longer vocal tract — is divided by ``size``.

    Args:
        y: mono audio [samples] at ``sr``.
        sr: sample rate (Hz).
        size: factor within :data:`~mockingbot.defaults.SIZE_LIMITS`; 1 returns the clip
            unchanged, 2 is an octave down.

    Returns:
        float32 audio at ``sr``, about ``len(y) · size`` samples.

    Examples:
        >>> change_size(np.zeros(1000), sr=8000, size=2.0).shape
        (2000,)
    """
    y = _audio(y)
    sr = _rate(sr, "sr")
    size = _number(size, "size", *SIZE_LIMITS)
    return _resample(y, float(sr), sr * size).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Loudness
# ---------------------------------------------------------------------------------------------
def _normalize(y: np.ndarray, sr: int, loudness_lufs: float, peak_dbfs: float) -> np.ndarray:
    loudness = integrated_loudness(y, sr)
    if not math.isfinite(loudness):  # silence: nothing to scale
        return y.copy()
    gain = 10.0 ** ((loudness_lufs - loudness) / 20.0)
    peak = float(np.abs(y).max())
    ceiling = max(10.0 ** (peak_dbfs / 20.0) - _CEILING_MARGIN, 0.0)
    gain = min(gain, ceiling / peak)
    return y * gain


def normalize_loudness(
    y: np.ndarray,
    *,
    sr: int,
    loudness_lufs: float = DEFAULT_LOUDNESS_LUFS,
    peak_dbfs: float = PEAK_CEILING_DBFS,
) -> np.ndarray:
    """Scale to an integrated loudness, then enforce a sample-peak ceiling.

    One gain for the whole clip: first the one that brings the integrated loudness (BS.1770,
    as pyloudnorm measures it) to ``loudness_lufs``; if that would put the peak above
    ``peak_dbfs``, the smaller gain that puts it just under the ceiling (one 16-bit step
    below, so rounding to PCM stays under). The ceiling wins because clipping is a defect
    and loudness a target: spiky sounds end up quieter than ``loudness_lufs``, never
    distorted.

    Args:
        y: mono audio [samples].
        sr: sample rate (Hz).
        loudness_lufs: loudness target in LUFS, within ``defaults.LOUDNESS_LUFS_LIMITS``.
        peak_dbfs: sample-peak ceiling in dBFS, within ``defaults.PEAK_CEILING_DBFS_LIMITS``.

    Returns:
        float32 audio, same length. Silence is returned unchanged. Clips shorter than 400 ms
        are measured as a loop of themselves.

    Examples:
        >>> t = np.arange(16000) / 16000
        >>> out = normalize_loudness(0.01 * np.sin(2 * np.pi * 440 * t), sr=16000)
        >>> round(measure(out, sr=16000)[0], 1)
        -18.0
    """
    y = _audio(y)
    sr = _rate(sr, "sr")
    loudness_lufs = _number(loudness_lufs, "loudness_lufs", *LOUDNESS_LUFS_LIMITS)
    peak_dbfs = _number(peak_dbfs, "peak_dbfs", *PEAK_CEILING_DBFS_LIMITS)
    return _normalize(y, sr, loudness_lufs, peak_dbfs).astype(np.float32)


def measure(y: np.ndarray, *, sr: int) -> tuple[float, float]:
    """Integrated loudness and sample peak of a clip.

    Args:
        y: mono audio [samples].
        sr: sample rate (Hz).

    Returns:
        ``(lufs, peak_dbfs)`` as floats; both are ``-inf`` for silence.

    Examples:
        >>> measure(np.zeros(100), sr=8000)
        (-inf, -inf)
    """
    y = _audio(y)
    sr = _rate(sr, "sr")
    peak = float(np.abs(y).max()) if y.size else 0.0
    peak_dbfs = 20.0 * math.log10(peak) if peak > 0.0 else -math.inf
    return integrated_loudness(y, sr), peak_dbfs


def to_pcm16(y: np.ndarray) -> np.ndarray:
    """Float audio in [−1, 1) → 16-bit PCM by rounding to nearest, clipping out-of-range values.

    No dither, deliberately: after :func:`finalize` a sound sits around −18 LUFS, where the
    16-bit rounding error (≈ −101 dBFS) is far below any game mix's noise floor, and plain
    rounding keeps digital silence exactly silent (dither would add a noise floor to every
    silent tail) and needs no random state to be reproducible.

    Args:
        y: mono float audio [samples]; full scale is ±1 (1.0 maps to 32767 after clipping).

    Returns:
        int16 array [samples].

    Examples:
        >>> to_pcm16(np.array([0.0, 0.5, -1.0, 1.0, 2.0]))
        array([     0,  16384, -32768,  32767,  32767], dtype=int16)
    """
    y = _audio(y)
    return np.clip(np.rint(y * _PCM16_SCALE), -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------------
def finalize(
    y: np.ndarray,
    *,
    sr: int,
    output_rate: int,
    size: float = 1.0,
    loudness_lufs: float = DEFAULT_LOUDNESS_LUFS,
    peak_dbfs: float = PEAK_CEILING_DBFS,
    fade_ms: float = FADE_MS,
    cut_calls: bool = False,
) -> np.ndarray:
    """Raw generated clip → game-ready float audio at the engine's rate.

    Order, and why:

    1. :func:`~mockingbot.clips.remove_dc` on the whole clip, first: an offset would make
       silence look loud to the trimmer and bias every later measurement. Then, with
       ``cut_calls``, :func:`cut_room_tone` (before the trim, which would keep room tone
       above its threshold).
    2. Trim leading and trailing silence sample by sample
       (:func:`~mockingbot.clips.silence_bounds`, threshold
       :data:`~mockingbot.defaults.TRIM_THRESHOLD_DB`, keeping ``fade_ms`` on each side for
       the fades): before resampling, so less audio is resampled. A clip of digital silence
       is kept whole (silence in, silence of the same length out).
    3. :func:`change_size` and :func:`resample` as ONE soxr conversion from ``sr`` to
       ``output_rate · size`` (identical to resampling to ``sr · size`` and then from ``sr`` to
       ``output_rate``, with one filter pass instead of two).
    4. :func:`apply_fades` (``fade_ms`` each end) at the final rate, after every filter,
       so the first and last samples are exact zeros and no resampler ringing survives.
    5. :func:`normalize_loudness` last, on exactly the samples that will be written, so the
       loudness and the peak ceiling hold for the output (fades change both slightly).

    Args:
        y: raw mono audio [samples] at ``sr`` (e.g. one clip from phase retrieval).
        sr: its sample rate (Hz).
        output_rate: the output rate (Hz), e.g. 48000 for most engines, or ``sr`` to keep it.
        size: creature size for :func:`change_size`, within
            :data:`~mockingbot.defaults.SIZE_LIMITS`.
        loudness_lufs: loudness target (LUFS).
        peak_dbfs: sample-peak ceiling (dBFS), wins over ``loudness_lufs``.
        fade_ms: fade-in and fade-out length (ms), ≥ 0.
        cut_calls: cut the room tone around the calls (models trained on whole recordings;
            the pack writer sets it from the model's ``data_context``).

    Returns:
        float32 audio at ``output_rate``. Silence in → silence out (never NaN).

    Raises:
        ParameterError: non-finite or non-mono audio, or an argument out of range.

    Examples:
        >>> t = np.arange(8000) / 8000
        >>> out = finalize(np.sin(2 * np.pi * 300 * t), sr=8000, output_rate=48000)
        >>> out.dtype, float(out[0]), bool(np.abs(out).max() <= 10 ** (-1 / 20))
        (dtype('float32'), 0.0, True)
    """
    y = _audio(y)
    sr = _rate(sr, "sr")
    output_rate = _rate(output_rate, "output_rate")
    size = _number(size, "size", *SIZE_LIMITS)
    loudness_lufs = _number(loudness_lufs, "loudness_lufs", *LOUDNESS_LUFS_LIMITS)
    peak_dbfs = _number(peak_dbfs, "peak_dbfs", *PEAK_CEILING_DBFS_LIMITS)
    fade_ms = _number(fade_ms, "fade_ms", 0.0, 10_000.0)

    y = remove_dc(y)
    if cut_calls:
        y = _cut(y, sr)
    m = fade_ms / 1000.0  # threshold: the default, defaults.TRIM_THRESHOLD_DB
    start, end = silence_bounds(y, sr=sr, pre_roll_s=m, post_roll_s=m, per_sample=True)
    if end > start:  # (0, 0): digital silence, nothing to trim against
        y = y[start:end]
    y = _resample(y, float(sr), float(output_rate) * size)
    n_fade = _samples(fade_ms, output_rate)
    y = _fade(y, n_fade, n_fade)
    return _normalize(y, output_rate, loudness_lufs, peak_dbfs).astype(np.float32)
