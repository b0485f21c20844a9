"""One clip's STFT on a spectrogram spec's fixed grid, for phase recovery: fast and exact.

Phase recovery (:mod:`mockingbot.runtime.phase`, :mod:`mockingbot.runtime.pghi`) runs
hundreds of STFT/ISTFT round trips per pack inside the render budget, so it works on one clip
at a time (a 2-s clip's STFT fits in the L2 cache), in float32, with single-threaded FFTs and
one thread per clip. The operators here are :mod:`mockingbot.spectral`'s (``frame``,
``windowed_rfft``, ``windowed_irfft``, ``overlap_add``) on the padded time axis of a
centred STFT, with everything that does not depend on the data (window, Σw² gain, the
clip's place on the axis) computed once per spec: a :class:`Plan`.

Contents: :class:`Plan`, :func:`plan_for`; :func:`synthesise`, :func:`analyse`,
:func:`to_audio`, :func:`set_magnitude`, :func:`polar`; :func:`check_spec`,
:func:`check_magnitudes`; :func:`per_clip` (the thread pool).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mockingbot import spectral
from mockingbot.errors import ParameterError
from mockingbot.spec import SpectrogramSpec
from mockingbot.validation import as_type

from .threads import default_threads

__all__ = [
    "Plan",
    "analyse",
    "check_magnitudes",
    "check_spec",
    "per_clip",
    "plan_for",
    "polar",
    "set_magnitude",
    "synthesise",
    "to_audio",
]

_TINY = np.float32(np.finfo(np.float32).tiny)


@dataclasses.dataclass(frozen=True)
class Plan:
    """Precomputed arrays for one spec (built once per spec, cached by :func:`plan_for`)."""

    n_fft: int
    hop: int
    win: int
    frames: int  # T, frames of the full grid
    bins: int  # K = n_fft // 2 + 1
    clip: int  # samples of one clip
    pad: int  # zero samples before the clip on the padded time axis (centred STFT)
    window: np.ndarray  # float32 [win]
    gain: np.ndarray  # float32 [(T - 1) * hop + win]: 1/Σw² inside the clip, 0 outside


@functools.lru_cache(maxsize=8)
def plan_for(spec: SpectrogramSpec) -> Plan:
    """The :class:`Plan` of ``spec``'s full STFT grid."""
    win, hop, n_fft = spec.win_length, spec.hop_length, spec.n_fft
    T, K = spec.total_frames, spec.total_bins
    chunks = -(-win // hop)
    window = spec.window_array()
    # Σ_m w²(n − m·hop) on the padded time axis, as spectral.istft divides by it.
    n_padded = (T + chunks - 1) * hop
    wss = np.zeros(n_padded)
    for m in range(T):
        wss[m * hop : m * hop + win] += window**2
    tiny = np.finfo(np.float32).tiny * 1e3  # spectral.istft's threshold
    gain = 1.0 / np.where(wss > tiny, wss, 1.0)
    # spectral.istft drops `pad` samples and keeps `clip`; spectral.stft pads zeros back. So an
    # ISTFT → STFT round trip keeps exactly the samples [pad, pad + clip) of the padded axis.
    pad = win // 2 if spec.center else 0
    keep = np.zeros(n_padded, dtype=bool)
    keep[pad : pad + spec.clip_samples] = True
    keep[(T - 1) * hop + win :] = False
    gain = np.where(keep, gain, 0.0)[: (T - 1) * hop + win]  # spectral.overlap_add's length
    return Plan(
        n_fft=n_fft,
        hop=hop,
        win=win,
        frames=T,
        bins=K,
        clip=spec.clip_samples,
        pad=pad,
        window=window.astype(np.float32),
        gain=gain.astype(np.float32),
    )


# ---------------------------------------------------------------------------------------------
# One clip's STFT operators on the fixed grid (float32, single-threaded FFTs)
# ---------------------------------------------------------------------------------------------
def synthesise(D: np.ndarray, plan: Plan) -> np.ndarray:
    """Complex STFT [T, K] → padded signal [(T − 1) · hop + win], divided by Σw².

    Samples outside the clip are zero: this is spectral.istft followed by the zero padding
    spectral.stft adds, on the padded time axis.
    """
    frames = spectral.windowed_irfft(D, plan.window, n_fft=plan.n_fft, workers=1)
    z = spectral.overlap_add(frames, plan.hop)
    z *= plan.gain
    return z


def analyse(z: np.ndarray, plan: Plan) -> np.ndarray:
    """Padded signal → complex STFT [T, K] (spectral.stft on the padded time axis)."""
    frames = spectral.frame(z, frame_length=plan.win, hop_length=plan.hop)[: plan.frames]
    return spectral.windowed_rfft(frames, plan.window, n_fft=plan.n_fft, workers=1)


def to_audio(D: np.ndarray, plan: Plan) -> np.ndarray:
    """Complex STFT [T, K] → float32 audio [clip] (spectral.istft with length = clip)."""
    z = synthesise(D, plan)[plan.pad : plan.pad + plan.clip]
    if z.shape[0] < plan.clip:
        z = np.pad(z, (0, plan.clip - z.shape[0]))
    return z


def set_magnitude(t: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``S · t / |t|`` (zero where ``t`` is zero)."""
    r = np.abs(t)
    np.maximum(r, _TINY, out=r)
    np.divide(S, r, out=r)
    return t * r


def polar(S: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """``S · exp(i·phase)`` as complex64, through float32 cos/sin (fast, elementwise)."""
    D = np.empty(S.shape, dtype=np.complex64)
    np.multiply(S, np.cos(phase), out=D.real)
    np.multiply(S, np.sin(phase), out=D.imag)
    return D


# ---------------------------------------------------------------------------------------------
# Validation and the per-clip thread pool
# ---------------------------------------------------------------------------------------------
def check_spec(spec: object) -> None:
    """Refuse anything but a :class:`~mockingbot.spec.SpectrogramSpec` (it sets the grid)."""
    as_type("spec", spec, SpectrogramSpec)


def check_magnitudes(S: object, spec: SpectrogramSpec) -> np.ndarray:
    """Validate ``S`` against the spec's full grid; return it as contiguous float32."""
    check_spec(spec)
    if not isinstance(S, np.ndarray):
        raise ParameterError(f"S must be a numpy array, got {type(S).__name__}")
    expected = (spec.total_frames, spec.total_bins)
    if S.ndim != 3 or S.shape[1:] != expected:
        raise ParameterError(
            f"S must have shape [batch, {expected[0]}, {expected[1]}] (the spec's full STFT grid; "
            f"use spec.full_magnitude), got {list(S.shape)}"
        )
    if not (np.issubdtype(S.dtype, np.floating) or np.issubdtype(S.dtype, np.integer)):
        raise ParameterError(f"S must hold real magnitudes, got dtype {S.dtype}")
    S = np.ascontiguousarray(S, dtype=np.float32)
    if not np.isfinite(S).all():
        raise ParameterError("S contains NaN or infinite values")
    if (S < 0).any():
        raise ParameterError("S must be a magnitude (non-negative); it has negative values")
    return S


def per_clip(fn: Callable[[int], object], n: int) -> None:
    """Run ``fn(0) ... fn(n − 1)`` (one clip each) on a pool of one thread per core.

    numpy and scipy.fft release the GIL for the heavy work, so threads scale; a clip's result
    never depends on which thread ran it.
    """
    threads = min(default_threads(cap=None), n)
    if threads <= 1:
        for i in range(n):
            fn(i)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(fn, range(n)):
            pass
