"""The phase-gradient initial phase (PGHI, vectorised) that makes phase recovery fast.

:mod:`mockingbot.runtime.phase` starts fast Griffin-Lim from this phase: from it about 12
iterations reach −30 dB spectral convergence on CatMeows, from a random start ~100.

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

Contents: :func:`pghi_phase`, :func:`pghi_block` (the same for one block, in the layout
:func:`mockingbot.runtime.phase.reconstruct` consumes), :data:`GAUSSIAN_EQUIVALENT`,
:data:`BLOCK`.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from mockingbot.spec import SpectrogramSpec

from .phase_grid import check_magnitudes, per_clip, plan_for

__all__ = ["BLOCK", "GAUSSIAN_EQUIVALENT", "PGHI_FLOOR_DB", "pghi_block", "pghi_phase"]

#: Time-frequency spread λ of the Gaussian that best matches each window, as a multiple of
#: ``win_length²`` (Průša et al. 2017; γ = 0.25645·L² for Hann). The phase-gradient relations
#: are exact for a Gaussian exp(−π t² / λ). For Hann 0.25645 also measured best on CatMeows.
GAUSSIAN_EQUIVALENT: dict[str, float] = {"hann": 0.25645, "hamming": 0.29794, "blackman": 0.17954}

#: Magnitudes more than this many dB below an item's peak are clamped before taking the log,
#: so silent bins give zero log-magnitude gradients instead of ±inf.
PGHI_FLOOR_DB = 100.0

#: Clips whose phase-gradient fields are held at once; bounds memory (~1 MB per default clip)
#: whatever the caller's batch size. Results do not depend on it.
BLOCK = 64

_TWO_PI = 2.0 * np.pi
_TINY = np.float32(np.finfo(np.float32).tiny)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """The grid facts the phase-gradient fields need (built once per spec, cached)."""

    n_fft: int
    hop: int
    frames: int  # T
    bins: int  # K
    centre_phase: np.ndarray  # float64 [K]: −2π k c / n_fft, c = the window's centre
    bin_advance: np.ndarray  # float32 [K, 1]: 2π hop k / n_fft mod 2π, phase advance per hop
    bin_grid: np.ndarray  # intp [K, T]: the bin number k at every frame
    lam: float  # Gaussian-equivalent λ in samples²


@functools.lru_cache(maxsize=8)
def _plan(spec: SpectrogramSpec) -> _Plan:
    grid = plan_for(spec)
    win, hop, n_fft, T, K = grid.win, grid.hop, grid.n_fft, grid.frames, grid.bins
    k = np.arange(K)
    # A periodic window of length L is symmetric about L / 2: the frame's time origin.
    centre_phase = -_TWO_PI * np.mod(k * win / 2.0, n_fft) / n_fft
    bin_advance = _TWO_PI * np.mod(hop * k, n_fft) / n_fft
    return _Plan(
        n_fft=n_fft,
        hop=hop,
        frames=T,
        bins=K,
        centre_phase=centre_phase,
        bin_advance=bin_advance.astype(np.float32)[:, None],
        bin_grid=np.repeat(k[:, None], T, axis=1).astype(np.intp),
        lam=GAUSSIAN_EQUIVALENT[spec.window] * float(win) ** 2,
    )


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


def pghi_block(S: np.ndarray, spec: SpectrogramSpec) -> np.ndarray:
    """Phase-gradient phase of a block of clips S [b, T, K] → float32 [T, b, K] in [0, 2π).

    ``S`` is already checked (:func:`~.phase_grid.check_magnitudes`); at most :data:`BLOCK`
    clips, which bounds the memory of the fields.
    """
    plan = _plan(spec)
    B, T, K = S.shape
    gain = np.empty((T, B, K), dtype=np.float32)
    owner = np.empty((T, B, K), dtype=np.intp)
    cum = np.empty((T, B, K), dtype=np.float32)

    def fields(i: int) -> None:
        _pghi_fields(S[i], plan, gain[:, i], owner[:, i], cum[:, i], i * K)

    per_clip(fields, B)
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

    per_clip(wrap, B)
    return phase


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
    S = check_magnitudes(S, spec)
    out = np.empty(S.shape, dtype=np.float32)
    for b0 in range(0, S.shape[0], BLOCK):
        out[b0 : b0 + BLOCK] = pghi_block(S[b0 : b0 + BLOCK], spec).transpose(1, 0, 2)
    return out
