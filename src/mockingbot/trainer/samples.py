"""Listening to a run while it trains: sample audio + a spectrogram picture per sample step.

Samples use fixed latents (seeded from the run's seed) so successive folders show the same
voices improving. Audio of a spectrogram generator goes through the runtime's own phase
recovery and a waveform generator's audio is its own output, so what you hear here is what
``mbot render-pack`` will make of this generator (before post-processing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mockingbot.fileio import atomic_path
from mockingbot.spec import SpectrogramSpec

__all__ = ["N_SAMPLES", "fixed_latents", "peak_normalize", "render_audio", "write_samples"]

N_SAMPLES = 8


def fixed_latents(latent_dim: int, *, seed: int, distribution: str = "normal") -> np.ndarray:
    """The same ``N_SAMPLES`` latents at every sample step of a run."""
    rng = np.random.default_rng([seed, 0x5A3F])
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, (N_SAMPLES, latent_dim)).astype(np.float32)
    return rng.standard_normal((N_SAMPLES, latent_dim)).astype(np.float32)


def render_audio(
    X: np.ndarray, *, spec: SpectrogramSpec, phase: str, n_iter: int | None = None
) -> np.ndarray:
    """Normalised spectrograms [n, frames, bins] → audio [n, clip_samples] (peak-normalised).

    ``phase`` and ``n_iter`` are the run's ``model.phase`` and ``model.phase_iterations``
    (``None``: the method's default), so samples sound as the exported model will.
    """
    from mockingbot.runtime.phase import reconstruct

    S = spec.full_magnitude(spec.magnitude(X))
    return peak_normalize(reconstruct(S, spec=spec, method=phase, n_iter=n_iter))


def peak_normalize(y: np.ndarray) -> np.ndarray:
    """Scale each clip [n, samples] to a peak of 0.9 (samples are for listening, not levels)."""
    peak = np.max(np.abs(y), axis=-1, keepdims=True)
    return (0.9 * y / np.maximum(peak, 1e-9)).astype(np.float32)


def write_samples(X: np.ndarray, y: np.ndarray, folder: Path, *, spec: SpectrogramSpec) -> None:
    """Write ``sample_NN.wav`` files and ``spectrograms.png`` into ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    for i, clip in enumerate(y):
        with atomic_path(folder / f"sample_{i:02d}.wav") as tmp:
            sf.write(tmp, clip, spec.sr, subtype="PCM_16", format="WAV")
    cols = 4
    rows = int(np.ceil(len(X) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.2 * rows), squeeze=False)
    extent = (
        0.0,
        spec.n_frames * spec.hop_length / spec.sr,
        0.0,
        spec.n_bins * spec.sr / spec.n_fft,
    )
    for ax, x in zip(axes.ravel(), X):
        ax.imshow(x.T, origin="lower", aspect="auto", cmap="magma", vmin=-1, vmax=1, extent=extent)
        ax.set_xlabel("s")
        ax.set_ylabel("Hz")
    for ax in axes.ravel()[len(X) :]:
        ax.axis("off")
    fig.tight_layout()
    with atomic_path(folder / "spectrograms.png") as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)
