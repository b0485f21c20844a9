"""The full-resolution textured magnitude: what the default generator's output means.

A real spectrogram is not a smooth picture. Its tonal parts (harmonics) are stable from
frame to frame, but every cell of its noisy parts (breath, hiss, room) has a random,
Rayleigh-distributed magnitude around the noise's envelope. A generator that paints only the
envelope makes flat "painted hiss"; one that must invent every cell's randomness from its
latent wastes its capacity on it. So the generator emits two full-resolution maps on the
spec's grid, a *tonal* magnitude ``A`` and a *noise envelope* ``N``, and the texture is drawn:

    S² = A² + N² · E,     E = (a² + b²) / 2,     (a, b) ~ N(0, 1) i.i.d. per cell

``E`` is the power of a unit complex Gaussian (exponential with mean 1), so ``N·√E`` is
exactly the magnitude a noise of envelope ``N`` has in one STFT cell. ``(a, b)`` is the
model's noise input, ``[n_frames, n_bins, 2]`` per sound, drawn from the sound's seed at
render time (exported as an ONNX input), so a model's sounds keep their texture at inference.

Both maps are free at every bin and frame: with ``A = |X|`` and ``N = 0`` the representation
holds any magnitude exactly, so its ceiling is that of phase retrieval
(``benchmarks/representation_ceiling.py`` measures it).

NumPy only; the trainer has the same formula in TensorFlow
(:class:`mockingbot.trainer.fullres.TexturedMagnitude`), tested against this one.

Contents: :data:`NOISE_CHANNELS`, :func:`noise_shape`, :func:`texture_power`,
:func:`compose_magnitude`, :func:`smooth_envelope`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NOISE_CHANNELS",
    "compose_magnitude",
    "noise_shape",
    "smooth_envelope",
    "texture_power",
]

#: Gaussian draws per cell: the real and imaginary part of a unit complex Gaussian.
NOISE_CHANNELS = 2


def noise_shape(n_frames: int, n_bins: int) -> tuple[int, int, int]:
    """Shape of one sound's texture noise on a ``n_frames × n_bins`` grid."""
    return (int(n_frames), int(n_bins), NOISE_CHANNELS)


def texture_power(noise: np.ndarray) -> np.ndarray:
    """``(a² + b²) / 2`` over the last axis: per-cell power factors, exponential, mean 1.

    Examples:
        >>> e = texture_power(np.random.default_rng(0).standard_normal((4000, 2)))
        >>> round(float(e.mean()), 1), bool((e >= 0).all())
        (1.0, True)
    """
    noise = np.asarray(noise, dtype=np.float64)
    if noise.shape[-1:] != (NOISE_CHANNELS,):
        raise ValueError(f"noise must end in an axis of {NOISE_CHANNELS}, got {noise.shape}")
    return 0.5 * np.sum(np.square(noise), axis=-1)


def compose_magnitude(tonal: np.ndarray, envelope: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``sqrt(A² + N²·E)``: the textured magnitude of a tonal map and a noise envelope.

    Args:
        tonal: ``A``, non-negative magnitudes [..., frames, bins].
        envelope: ``N``, non-negative noise envelope, same shape.
        noise: ``(a, b)`` draws [..., frames, bins, 2].

    Examples:
        >>> A, N = np.zeros((2, 3)), np.ones((2, 3))
        >>> compose_magnitude(A, N, np.full((2, 3, 2), 1.0))
        array([[1., 1., 1.],
               [1., 1., 1.]])
    """
    tonal, envelope = np.asarray(tonal, np.float64), np.asarray(envelope, np.float64)
    if tonal.shape != envelope.shape or noise.shape[:-1] != tonal.shape:
        raise ValueError(
            f"tonal {tonal.shape}, envelope {envelope.shape} and noise {noise.shape} disagree"
        )
    return np.sqrt(np.square(tonal) + np.square(envelope) * texture_power(noise))


def smooth_envelope(S: np.ndarray, *, bins: int = 3) -> np.ndarray:
    """Power-average ``S`` [..., frames, bins] over ``bins`` neighbouring bins (edges clamped).

    The envelope an analysis would give the noise part: texture is cell-to-cell variation,
    so averaging power over a few bins removes most of it while keeping the spectral shape.
    """
    if bins < 1 or bins % 2 == 0:
        raise ValueError(f"bins must be a positive odd number, got {bins}")
    P = np.square(np.asarray(S, np.float64))
    half = bins // 2
    padded = np.pad(P, [(0, 0)] * (P.ndim - 1) + [(half, half)], mode="edge")
    windows = [padded[..., i : i + P.shape[-1]] for i in range(bins)]
    return np.sqrt(np.mean(windows, axis=0))
