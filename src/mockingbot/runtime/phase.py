"""Phase recovery: turn a batch of magnitude spectrograms into audio, fast and reproducibly.

The generator emits magnitudes only; this module finds a phase that makes them a consistent
STFT. It runs inside the render budget (≤ 10 ms per 2-s clip, batched, on two cores), so it
is numpy/scipy only: no numba (its JIT start-up alone would eat the budget), no TensorFlow.

Methods (:data:`METHODS`):

- ``"pghi"`` (default): a phase-gradient initial phase (:func:`pghi_phase`) refined by fast
  Griffin-Lim. A good start is what makes the budget possible: from a random start fast
  Griffin-Lim needs ~100 iterations to reach −30 dB spectral convergence on CatMeows, from the
  phase-gradient start about 12 (see ``benchmarks/phase_bench.py``).
- ``"fgla"``: fast Griffin-Lim alone, from a fixed pseudo-random start (:func:`random_phase`).
- ``"zero"``: zero phase, the 2022 prototype's approach, kept to measure against.

Pieces: :func:`pghi_phase` (initial phase), :func:`random_phase`, :func:`fast_griffin_lim`,
:func:`reconstruct` (the composition the runtime calls) and :func:`reconstruction_error`
(spectral convergence in dB per item, the number reports quote).

How the phase-gradient start is vectorised. Phase Gradient Heap Integration (PGHI; Průša,
Balazs & Søndergaard 2017) estimates both partial derivatives of the phase from the
log-magnitude — exact for a Gaussian window, a good approximation for Hann with the
Gaussian-equivalent spread of :data:`GAUSSIAN_EQUIVALENT` — and integrates them along a path
that visits large coefficients first, using a heap. A per-coefficient heap in Python is far
too slow, so this module integrates the same derivatives in an order numpy can vectorise, in
the spirit of the real-time variant (RTPGHI) and of identity phase locking in phase vocoders:

1. In each frame, every bin climbs to the spectral peak above it (following "larger
   neighbour" links, resolved with two running max/min scans); a peak and the bins that
   climb to it form one region.
2. A peak takes its phase from the same bin of the previous frame plus the time derivative
   (trapezoidal rule): along a ridge, the largest coefficients carry the phase in time.
3. Every other bin takes its peak's phase plus the frequency derivative integrated from the
   peak (a cumulative sum over the bins between them), never crossing a magnitude valley,
   where the derivative estimates are unreliable.

Steps 1 and 3 run for all frames at once; step 2 is a loop over frames, vectorised over the
batch, of one add and one gather. Measured on 16 CatMeows clips against a true (offline,
per-coefficient) heap integration of the same derivatives, this start is 0.6 dB worse on its
own (−22.6 vs −23.2 dB median) and 1.6 dB worse after 16 fast Griffin-Lim iterations (−32.5
vs −34.1 dB); a per-frame heap (RTPGHI) measured the same as this start. Variants tried and
rejected (no gain): integrating outward from the loudest frame, time integration for side
bins, merging weak or shallow peaks into their neighbours.

Determinism: every transcendental function and FFT runs per clip, on arrays of one fixed
shape, and the batched frame loop uses only exactly rounded additions and a gather, so a
clip's output is bit-identical whatever the batch size, its position in the batch or the
number of threads. There is no unseeded randomness.

Speed: clips are processed one at a time (a 2-s clip's STFT fits in the L2 cache) by a
thread pool with one thread per available core; numpy and scipy.fft release the GIL for the
heavy work. Memory stays bounded: at most :data:`BLOCK` clips are in flight.
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

from .threads import default_threads

__all__ = [
    "BLOCK",
    "DEFAULT_MOMENTUM",
    "DEFAULT_N_ITER",
    "GAUSSIAN_EQUIVALENT",
    "METHODS",
    "PGHI_MOMENTUM",
    "fast_griffin_lim",
    "pghi_phase",
    "random_phase",
    "reconstruct",
    "reconstruction_error",
]

#: Phase recovery methods :func:`reconstruct` knows.
METHODS = ("pghi", "fgla", "zero")

#: Fast Griffin-Lim iterations each method runs when ``n_iter`` is not given, chosen with
#: ``benchmarks/phase_bench.py`` on 64 real CatMeows clips: ``pghi`` reaches a median spectral
#: convergence of about −31.7 dB at 16 iterations (−32.9 at 20; the bar is −30 dB), ``fgla``
#: needs ~100. On generated magnitudes (not consistent STFTs) every method levels off near
#: −16 dB after ~10 iterations, so 16 buys the render budget back where it no longer helps.
DEFAULT_N_ITER: dict[str, int] = {"pghi": 16, "fgla": 100, "zero": 0}

#: Fast Griffin-Lim momentum from a random start (Perraudin, Balazs & Søndergaard 2013).
DEFAULT_MOMENTUM = 0.99

#: Momentum after the phase-gradient start: measured best on CatMeows (0.95 beats 0.99 by
#: 0.5–0.7 dB at 16–32 iterations; a good start needs less extrapolation).
PGHI_MOMENTUM = 0.95

#: Time-frequency spread λ of the Gaussian that best matches each window, as a multiple of
#: ``win_length²`` (Průša et al. 2017; γ = 0.25645·L² for Hann). The phase-gradient relations
#: are exact for a Gaussian exp(−π t² / λ). For Hann 0.25645 also measured best on CatMeows.
GAUSSIAN_EQUIVALENT: dict[str, float] = {"hann": 0.25645, "hamming": 0.29794, "blackman": 0.17954}

#: Magnitudes more than this many dB below an item's peak are clamped before taking the log,
#: so silent bins give zero log-magnitude gradients instead of ±inf.
PGHI_FLOOR_DB = 100.0

#: Seed of the pseudo-random start of ``method="fgla"``: one fixed phase pattern, the same for
#: every item, so an item's result never depends on its batch.
RANDOM_PHASE_SEED = 20_220_513

#: Clips whose phase-gradient fields are held at once; bounds memory (~1 MB per default clip)
#: whatever the caller's batch size. Results do not depend on it.
BLOCK = 64

_TWO_PI = 2.0 * np.pi
_TINY = np.float32(np.finfo(np.float32).tiny)


# ---------------------------------------------------------------------------------------------
# The plan: everything about the STFT grid that does not depend on the data
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Plan:
    """Precomputed arrays for one spec (built once per spec, cached)."""

    n_fft: int
    hop: int
    win: int
    frames: int  # T, frames of the full grid
    bins: int  # K = n_fft // 2 + 1
    clip: int  # samples of one clip
    pad: int  # zero samples before the clip on the padded time axis (centred STFT)
    window: np.ndarray  # float32 [win]
    gain: np.ndarray  # float32 [(T - 1) * hop + win]: 1/Σw² inside the clip, 0 outside
    centre_phase: np.ndarray  # float64 [K]: −2π k c / n_fft, c = the window's centre
    bin_advance: np.ndarray  # float32 [K, 1]: 2π hop k / n_fft mod 2π, phase advance per hop
    bin_grid: np.ndarray  # intp [K, T]: the bin number k at every frame
    lam: float  # Gaussian-equivalent λ in samples²


@functools.lru_cache(maxsize=8)
def _plan(spec: SpectrogramSpec) -> _Plan:
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
    k = np.arange(K)
    # A periodic window of length L is symmetric about L / 2: the frame's time origin.
    centre_phase = -_TWO_PI * np.mod(k * win / 2.0, n_fft) / n_fft
    bin_advance = _TWO_PI * np.mod(hop * k, n_fft) / n_fft
    return _Plan(
        n_fft=n_fft,
        hop=hop,
        win=win,
        frames=T,
        bins=K,
        clip=spec.clip_samples,
        pad=pad,
        window=window.astype(np.float32),
        gain=gain.astype(np.float32),
        centre_phase=centre_phase,
        bin_advance=bin_advance.astype(np.float32)[:, None],
        bin_grid=np.repeat(k[:, None], T, axis=1).astype(np.intp),
        lam=GAUSSIAN_EQUIVALENT[spec.window] * float(win) ** 2,
    )


# ---------------------------------------------------------------------------------------------
# One clip's STFT operators on the fixed grid (float32, single-threaded FFTs)
# ---------------------------------------------------------------------------------------------
def _synthesise(D: np.ndarray, plan: _Plan) -> np.ndarray:
    """Complex STFT [T, K] → padded signal [(T − 1) · hop + win], divided by Σw².

    Samples outside the clip are zero: this is spectral.istft followed by the zero padding
    spectral.stft adds, on the padded time axis.
    """
    frames = spectral.windowed_irfft(D, plan.window, n_fft=plan.n_fft, workers=1)
    z = spectral.overlap_add(frames, plan.hop)
    z *= plan.gain
    return z


def _analyse(z: np.ndarray, plan: _Plan) -> np.ndarray:
    """Padded signal → complex STFT [T, K] (spectral.stft on the padded time axis)."""
    frames = spectral.frame(z, frame_length=plan.win, hop_length=plan.hop)[: plan.frames]
    return spectral.windowed_rfft(frames, plan.window, n_fft=plan.n_fft, workers=1)


def _to_audio(D: np.ndarray, plan: _Plan) -> np.ndarray:
    """Complex STFT [T, K] → float32 audio [clip] (spectral.istft with length = clip)."""
    z = _synthesise(D, plan)[plan.pad : plan.pad + plan.clip]
    if z.shape[0] < plan.clip:
        z = np.pad(z, (0, plan.clip - z.shape[0]))
    return z


def _set_magnitude(t: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``S · t / |t|`` (zero where ``t`` is zero)."""
    r = np.abs(t)
    np.maximum(r, _TINY, out=r)
    np.divide(S, r, out=r)
    return t * r


def _fgla_one(
    S: np.ndarray, D: np.ndarray, plan: _Plan, n_iter: int, momentum: float
) -> np.ndarray:
    """Fast Griffin-Lim for one clip S [T, K] from the complex start D; returns audio [clip].

    Iteration (Perraudin et al. 2013): c_n = P_C(P_A(t_{n−1})), t_n = c_n + α (c_n − c_{n−1}),
    where P_A sets the magnitude to ``S`` and P_C = STFT ∘ ISTFT projects onto consistent STFTs.
    The start plays c_0 and t_0, so the first step already extrapolates away from it. P_A only
    keeps t's direction, so t is computed as c_n − α/(1+α)·c_{n−1} = t_n / (1 + α), which
    takes two array operations instead of three (librosa's formulation).
    """
    beta = np.float32(momentum / (1.0 + momentum))
    t = D
    c_prev = D.copy()
    for _ in range(n_iter):
        c = _analyse(_synthesise(_set_magnitude(t, S), plan), plan)
        c_prev *= beta
        np.subtract(c, c_prev, out=c_prev)
        t, c_prev = c_prev, c
    return _to_audio(_set_magnitude(t, S), plan)


# ---------------------------------------------------------------------------------------------
# Validation and the per-clip thread pool
# ---------------------------------------------------------------------------------------------
def _check_spec(spec: object) -> None:
    if not isinstance(spec, SpectrogramSpec):
        raise ParameterError(f"spec must be a SpectrogramSpec, got {type(spec).__name__}")


def _check_magnitudes(S: object, spec: SpectrogramSpec) -> np.ndarray:
    """Validate ``S`` against the spec's full grid; return it as contiguous float32."""
    _check_spec(spec)
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


def _check_n_iter(n_iter: object) -> int:
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 0:
        raise ParameterError(f"n_iter must be a non-negative integer, got {n_iter!r}")
    return int(n_iter)


def _check_momentum(momentum: object) -> float:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating)):
        raise ParameterError(f"momentum must be a number in [0, 1), got {momentum!r}")
    if not 0.0 <= float(momentum) < 1.0:
        raise ParameterError(f"momentum must be in [0, 1) (1 or more diverges), got {momentum!r}")
    return float(momentum)


def _n_threads() -> int:
    """One thread per core this process may use (tests and benchmarks patch or read it)."""
    return default_threads(cap=None)


def _per_clip(fn: Callable[[int], object], n: int) -> None:
    """Run ``fn(0) ... fn(n − 1)`` (one clip each) on a pool of one thread per core."""
    threads = min(_n_threads(), n)
    if threads <= 1:
        for i in range(n):
            fn(i)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(fn, range(n)):
            pass


# ---------------------------------------------------------------------------------------------
# Phase-gradient start
# ---------------------------------------------------------------------------------------------
def _pghi_fields(
    S: np.ndarray, plan: _Plan, gain: np.ndarray, owner: np.ndarray, cum: np.ndarray, base: int
) -> None:
    """Per-clip part of the phase-gradient start: the fields of one clip S [T, K].

    With C[m, k] the frequency derivative integrated from bin 0 to bin k in frame m and
    ψ = φ − C, the rule "peaks continue in time, other bins follow their peak" becomes
    ψ[m] = (ψ[m−1] + G[m])[owner[m]] with G[m] = step[m] + C[m−1] − C[m], where step[m] is the
    time derivative's trapezoid from frame m−1 to m (G[0] = −C[0]: first peaks at phase 0).

    Writes (views [T, K] into batch arrays):
        gain: G.
        owner: ``base`` + the peak bin each bin climbs to within its frame (an index into the
            batch's flattened frame row).
        cum: C.

    Works in a [K, T] layout (bins first) so that scans along frequency are row operations.
    """
    K, T = plan.bins, plan.frames
    N, a, lam = plan.n_fft, plan.hop, plan.lam
    St = np.ascontiguousarray(S.T)  # [K, T]
    floor = max(float(St.max()) * 10.0 ** (-PGHI_FLOOR_DB / 20.0), float(_TINY))
    logs = np.log(np.maximum(St, np.float32(floor)))

    # Gaussian STFT relations (phase referred to the window centre; Průša et al. 2017):
    #   ∂φ/∂t = 2πω + (1/λ) ∂log|V|/∂ω      ∂φ/∂ω = −λ ∂log|V|/∂t
    # in units of one frame (hop a samples) and one bin (1/N cycles per sample), by central
    # differences. |V| of a real signal is even about DC and Nyquist: zero derivative there.
    tgrad = np.zeros_like(logs)
    np.subtract(logs[2:], logs[:-2], out=tgrad[1:-1])
    tgrad *= np.float32(0.5 * a * N / lam)
    tgrad += plan.bin_advance
    fgrad = np.zeros_like(logs)
    if T > 1:  # one-sided differences at the first and last frame
        np.subtract(logs[:, 2:], logs[:, :-2], out=fgrad[:, 1:-1])
        fgrad[:, 1:-1] *= np.float32(0.5)
        np.subtract(logs[:, 1], logs[:, 0], out=fgrad[:, 0])
        np.subtract(logs[:, -1], logs[:, -2], out=fgrad[:, -1])
        fgrad *= np.float32(-lam / (N * a))

    C = np.empty_like(logs)  # trapezoidal running integral of fgrad over bins
    C[0] = 0.0
    np.add(fgrad[1:], fgrad[:-1], out=C[1:])
    C[1:] *= np.float32(0.5)
    np.cumsum(C, axis=0, out=C)
    cum.T[...] = C
    G = np.empty_like(logs)
    G[:, 0] = 0.0
    np.add(tgrad[:, 1:], tgrad[:, :-1], out=G[:, 1:])
    G[:, 1:] *= np.float32(0.5)
    G -= C
    G[:, 1:] += C[:, :-1]
    gain.T[...] = G

    # Each bin points at its larger neighbour (itself at a peak; ties keep the bin itself, so
    # plateaus and the clamped floor are their own regions); the pointers lead uphill to the
    # peak. A left-pointing run ends at the nearest bin on its left that does not point left,
    # which is its peak (a bin never points left at a bin that points right); likewise to the
    # right. lo = hi = k for a bin pointing neither way, so owner = lo + hi − k.
    below = np.full((1, T), -np.inf, dtype=np.float32)
    left = np.concatenate([below, St[:-1]])
    right = np.concatenate([St[1:], below])
    go_left = (left > St) & (left >= right)
    go_right = (right > St) & ~go_left
    k = plan.bin_grid
    lo = np.maximum.accumulate(k - go_left * (k + 1), axis=0)  # −1 where pointing left
    hi = np.minimum.accumulate((k + go_right * (K - k))[::-1], axis=0)[::-1]  # K where right
    lo += hi
    lo -= k - base
    owner.T[...] = lo


def _pghi_block(S: np.ndarray, plan: _Plan) -> np.ndarray:
    """Phase-gradient phase of a block of clips S [b, T, K] → float32 [T, b, K] in [0, 2π)."""
    B, T, K = S.shape
    gain = np.empty((T, B, K), dtype=np.float32)
    owner = np.empty((T, B, K), dtype=np.intp)
    cum = np.empty((T, B, K), dtype=np.float32)

    def fields(i: int) -> None:
        _pghi_fields(S[i], plan, gain[:, i], owner[:, i], cum[:, i], i * K)

    _per_clip(fields, B)
    # Frame by frame, for the whole block: ψ[m] = (ψ[m−1] + G[m])[owner[m]]. Only exactly
    # rounded additions and a gather, so a clip's numbers do not depend on the block.
    psi = np.empty((T, B * K))
    gain2 = gain.reshape(T, B * K)
    owner2 = owner.reshape(T, B * K)
    psi[0] = gain2[0][owner2[0]]
    carried = np.empty(B * K)
    for m in range(1, T):
        np.add(psi[m - 1], gain2[m], out=carried)
        np.take(carried, owner2[m], out=psi[m])
    phase = np.empty((T, B, K), dtype=np.float32)

    def wrap(i: int) -> None:  # φ = ψ + C, referred to the frame start, in [0, 2π)
        p = psi.reshape(T, B, K)[:, i] + cum[:, i]
        p += plan.centre_phase
        np.mod(p, _TWO_PI, out=p)
        phase[:, i] = p

    _per_clip(wrap, B)
    return phase


def _polar(S: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """``S · exp(i·phase)`` as complex64, through float32 cos/sin (fast, elementwise)."""
    D = np.empty(S.shape, dtype=np.complex64)
    np.multiply(S, np.cos(phase), out=D.real)
    np.multiply(S, np.sin(phase), out=D.imag)
    return D


def pghi_phase(S: np.ndarray, *, spec: SpectrogramSpec) -> np.ndarray:
    """Phase-gradient initial phase for magnitudes ``S`` (see the module docstring).

    Args:
        S: linear magnitudes on the spec's full STFT grid, [batch, total_frames, total_bins].
        spec: the spectrogram spec ``S`` was made with (window, n_fft, hop, win_length, centre).

    Returns:
        float32 phase in radians in [0, 2π), [batch, total_frames, total_bins], in the
        convention of :func:`mockingbot.spectral.stft`: ``S * exp(1j * phase)`` is the
        starting complex STFT.

    Raises:
        ParameterError: ``S`` has the wrong shape, is negative or not finite.

    Examples:
        >>> from mockingbot.spec import PRESETS
        >>> spec = PRESETS["default"]
        >>> y = np.sin(2 * np.pi * 440 * np.arange(spec.clip_samples) / spec.sr)
        >>> S = np.abs(spec.stft(y))[None].astype(np.float32)
        >>> pghi_phase(S, spec=spec).shape
        (1, 257, 129)
    """
    S = _check_magnitudes(S, spec)
    plan = _plan(spec)
    out = np.empty(S.shape, dtype=np.float32)
    for b0 in range(0, S.shape[0], BLOCK):
        out[b0 : b0 + BLOCK] = _pghi_block(S[b0 : b0 + BLOCK], plan).transpose(1, 0, 2)
    return out


def random_phase(*, spec: SpectrogramSpec, seed: int = RANDOM_PHASE_SEED) -> np.ndarray:
    """A fixed pseudo-random phase [total_frames, total_bins] (float32 radians in [0, 2π)).

    The same pattern serves every item, so results never depend on batch composition.
    """
    _check_spec(spec)
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, _TWO_PI, (spec.total_frames, spec.total_bins)).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Fast Griffin-Lim and the composition
# ---------------------------------------------------------------------------------------------
def fast_griffin_lim(
    S: np.ndarray,
    *,
    spec: SpectrogramSpec,
    n_iter: int,
    momentum: float = DEFAULT_MOMENTUM,
    init_phase: np.ndarray | None = None,
) -> np.ndarray:
    """Fast Griffin-Lim (Griffin-Lim with momentum) over a batch of magnitudes.

    Args:
        S: linear magnitudes [batch, total_frames, total_bins] (``spec.full_magnitude`` output).
        spec: the spectrogram spec; every STFT parameter comes from it.
        n_iter: iterations, ≥ 0 (0 just inverts ``S`` with the initial phase).
        momentum: α in t_n = c_n + α (c_n − c_{n−1}), in [0, 1); 0 is plain Griffin-Lim, 0.99
            the usual fast setting from a random start.
        init_phase: starting phase in radians, [batch, T, K] or [T, K] (broadcast); default
            :func:`random_phase`.

    Returns:
        float32 audio [batch, spec.clip_samples].

    Raises:
        ParameterError: bad shapes, negative or non-finite magnitudes, bad ``n_iter`` or
            ``momentum``.

    Examples:
        >>> from mockingbot.spec import PRESETS
        >>> spec = PRESETS["default"]
        >>> S = np.zeros((2, spec.total_frames, spec.total_bins), np.float32)
        >>> fast_griffin_lim(S, spec=spec, n_iter=2).shape
        (2, 16384)
    """
    S = _check_magnitudes(S, spec)
    n_iter = _check_n_iter(n_iter)
    momentum = _check_momentum(momentum)
    grid = S.shape[1:]
    if init_phase is None:
        init_phase = random_phase(spec=spec)
    init_phase = np.asarray(init_phase)
    if init_phase.shape not in (grid, S.shape):
        raise ParameterError(
            f"init_phase must have shape {list(grid)} or {list(S.shape)}, "
            f"got {list(init_phase.shape)}"
        )
    init_phase = init_phase.astype(np.float32)
    if not np.isfinite(init_phase).all():
        raise ParameterError("init_phase contains NaN or infinite values")
    plan = _plan(spec)
    out = np.empty((S.shape[0], plan.clip), dtype=np.float32)

    def one(i: int) -> None:
        phase = init_phase if init_phase.ndim == 2 else init_phase[i]
        out[i] = _fgla_one(S[i], _polar(S[i], phase), plan, n_iter, momentum)

    _per_clip(one, S.shape[0])
    return out


def reconstruct(
    S: np.ndarray,
    *,
    spec: SpectrogramSpec,
    method: str = "pghi",
    n_iter: int | None = None,
) -> np.ndarray:
    """Audio whose STFT magnitude is as close as possible to ``S``.

    Args:
        S: linear magnitudes on the full STFT grid, float32 [batch, total_frames, total_bins];
            from model output ``X`` use ``spec.full_magnitude(spec.magnitude(X))``.
        spec: the spectrogram spec the magnitudes use.
        method: ``"pghi"`` (phase-gradient start, then fast Griffin-Lim with momentum
            :data:`PGHI_MOMENTUM`; the default and the best), ``"fgla"`` (fast Griffin-Lim
            with momentum :data:`DEFAULT_MOMENTUM` from :func:`random_phase`) or ``"zero"``
            (zero phase, the 2022 prototype's approach).
        n_iter: fast Griffin-Lim iterations, ≥ 0; default :data:`DEFAULT_N_ITER` for the
            method. ``"zero"`` ignores it.

    Returns:
        float32 audio [batch, spec.clip_samples]. Same input → same bytes, whatever the batch
        size or the number of threads.

    Raises:
        ParameterError: unknown method, bad ``n_iter``, or ``S`` of the wrong shape, negative
            or not finite.

    Examples:
        >>> from mockingbot.spec import PRESETS
        >>> spec = PRESETS["default"]
        >>> y = np.sin(2 * np.pi * 440 * np.arange(spec.clip_samples) / spec.sr)
        >>> S = np.abs(spec.stft(y))[None].astype(np.float32)
        >>> audio = reconstruct(S, spec=spec)
        >>> audio.shape, bool(reconstruction_error(S, audio, spec=spec)[0] < -30.0)
        ((1, 16384), True)
    """
    if method not in METHODS:
        raise ParameterError(f"unknown phase method {method!r}; choose one of {', '.join(METHODS)}")
    S = _check_magnitudes(S, spec)
    n_iter = DEFAULT_N_ITER[method] if n_iter is None else _check_n_iter(n_iter)
    plan = _plan(spec)
    if method == "fgla":
        return fast_griffin_lim(S, spec=spec, n_iter=n_iter)
    out = np.empty((S.shape[0], plan.clip), dtype=np.float32)
    if method == "zero":

        def zero(i: int) -> None:
            out[i] = _to_audio(S[i].astype(np.complex64), plan)

        _per_clip(zero, S.shape[0])
        return out
    for b0 in range(0, S.shape[0], BLOCK):
        block = S[b0 : b0 + BLOCK]
        phase = _pghi_block(block, plan)

        def one(i: int, block: np.ndarray = block, phase: np.ndarray = phase, b0: int = b0) -> None:
            start = _polar(block[i], phase[:, i])
            out[b0 + i] = _fgla_one(block[i], start, plan, n_iter, PGHI_MOMENTUM)

        _per_clip(one, block.shape[0])
    return out


def reconstruction_error(S: np.ndarray, y: np.ndarray, *, spec: SpectrogramSpec) -> np.ndarray:
    """Spectral convergence (dB, lower is better) of audio ``y`` against target magnitudes ``S``.

    Both sides use the spec's STFT; ``y`` is cut or zero-padded to ``spec.clip_samples``.

    Args:
        S: target magnitudes [batch, total_frames, total_bins].
        y: audio [batch, samples].
        spec: the spectrogram spec.

    Returns:
        float64 [batch]: 20·log10(‖|STFT(y)| − S‖_F / ‖S‖_F) per item
        (:func:`mockingbot.spectral.spectral_convergence`).

    Raises:
        ParameterError: shapes that do not match the spec or each other.
    """
    S = _check_magnitudes(S, spec)
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[0] != S.shape[0]:
        raise ParameterError(f"y must have shape [{S.shape[0]}, samples], got {list(y.shape)}")
    S_est = np.abs(spec.stft(spec.fit_clip(y.astype(np.float64))))
    return spectral.spectral_convergence(S, S_est)
