"""The full-resolution generator: a harmonic coarse path plus free maps on the whole grid.

Why: the harmonic-plus-noise generator paints a smooth picture from 1 + K + B numbers per
frame, and its own representation cannot sound more real than C2ST ≈ 0.9 on CatMeows
(``benchmarks/representation_ceiling.py``). This one keeps that renderer as the coarse path,
because it is what learns pitch quickly, and adds what it lacks:

- a *tonal* map on every bin and frame, added in power to the rendered harmonic peaks (so
  the generator can draw formants, inharmonic partials and clicks the controls cannot);
- a per-bin, per-frame correction of the noise envelope (the 32 bands become 128 bins);
- drawn texture: the noise part of each cell is multiplied by the magnitude of a unit
  complex Gaussian taken from the model's noise input (:mod:`mockingbot.texture`), so hiss
  is as grainy as real hiss, at training and at inference alike;
- a small 2-D convolutional refinement over (time, frequency) of both maps, for local
  structure across bins that a per-frame head cannot see;
- optionally (``model.frame_noise``), per-frame noise channels fed into the frame trunk's
  last block (:class:`FrameNoise`), StyleGAN's noise inputs at the frame rate: without them
  every frame-level quantity (f0, the harmonic and band levels) is a smooth function of the
  latent, so the generator has no way to the frame-to-frame jitter and shimmer that make a
  recording's mel bands rough *together*. On CatMeows the GAN shrank them and C2ST did not
  move, so the default recipe leaves them off (docs/model-card.md, session 14).

The heads that add the new parts start at zero (their last kernels are zero-initialised and
the tonal map starts ~100 dB down), so the network starts as the harmonic generator with
texture, and only adds detail the discriminator asks for.

Inputs ``z`` [batch, latent_dim] and ``noise`` [batch, n_frames, n_bins, 2] (i.i.d. N(0, 1));
output the spec's normalised log-magnitude [batch, n_frames, n_bins].

The network around it is built by :func:`mockingbot.trainer.models.build_generator`
(``model.generator = "fullres"``). Backend-neutral (``keras.ops``): TensorFlow trains and
exports it, ``scripts/gpu_train.py`` trains it with JAX.
"""

from __future__ import annotations

import numpy as np
from keras import layers, ops, saving

from .render_ops import (
    LEVEL_HEADROOM_DB,
    VoiceLayer,
    db_to_amp,
    harmonic_peaks,
    noise_band_matrix,
    normalize_relative,
)

__all__ = ["NOISE_CORRECTION_DB", "FrameNoise", "FullResSynth"]

#: Largest correction, in dB, the per-bin heads may apply to the noise envelope.
NOISE_CORRECTION_DB = 40.0


@saving.register_keras_serializable(package="mockingbot")
class FrameNoise(layers.Layer):
    """``noise`` [B, T, F, 2] → ``groups`` per-frame N(0, 1) channels [B, T, groups].

    Taken from the model's one noise input rather than a second one, so the exported model,
    the runtime's noise draw and every seed stay as they are: channel 0 of the first
    ``groups · (F // groups)`` bins, averaged over groups of ``F // groups`` bins and scaled
    by ``sqrt(F // groups)``, is again unit Gaussian per frame and group, and correlates
    only ``1 / sqrt(F // groups)`` with any one cell's draw.

    Args:
        groups: number of per-frame channels (≥ 1, at most the number of bins).
    """

    def __init__(self, groups: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.groups = int(groups)

    def call(self, noise):
        g = self.groups
        width = noise.shape[2] // g
        x = noise[:, :, : g * width, 0]
        x = ops.reshape(x, (-1, noise.shape[1], g, width))
        return ops.sum(x, axis=-1) / float(np.sqrt(width))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[1], self.groups)

    def get_config(self) -> dict:
        return {**super().get_config(), "groups": self.groups}


@saving.register_keras_serializable(package="mockingbot")
class FullResSynth(VoiceLayer):
    """(controls, maps, noise) → the spec's normalised log-magnitude [batch, frames, bins].

    - ``controls`` [B, T, 1 + K + Bn]: f0, harmonic and noise-band logits, as
      :func:`~mockingbot.trainer.render_ops.decode_controls` reads them (the coarse path:
      harmonic peaks and a band envelope, as the harmonic generator renders them).
    - ``maps`` [B, T, F, 2]: channel 0 the tonal map's level logit (``-(top_db + headroom) ·
      sigmoid``, like every level), channel 1 the noise envelope's correction
      (``NOISE_CORRECTION_DB · tanh``).
    - ``noise`` [B, T, F, 2]: the texture's Gaussian draws.

    ``S² = (peaks² + tonal²) + (envelope · correction)² · (a² + b²)/2``, then
    :func:`~mockingbot.trainer.render_ops.normalize_relative` — the formula of
    :func:`mockingbot.texture.compose_magnitude`.

    Args:
        *args: the voice (:class:`~mockingbot.trainer.render_ops.VoiceLayer`).
        peak_shape: ``"rational"`` or ``"gaussian"`` harmonic peaks.
    """

    def __init__(self, *args, peak_shape: str = "gaussian", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.peak_shape = str(peak_shape)
        self._band = noise_band_matrix(self.n_noise_bands, self.spec.n_bins)

    def call(self, inputs: list):
        controls, maps, noise = inputs
        s = self.spec
        f0, amp, bands = self.decode(controls)
        peaks = harmonic_peaks(f0, amp, spec=s, peak_shape=self.peak_shape)
        level_range = s.top_db + LEVEL_HEADROOM_DB
        tonal = db_to_amp(-level_range * ops.sigmoid(maps[..., 0]))
        envelope = ops.tensordot(bands, self._band, axes=1)  # [B, T, F]
        envelope = envelope * db_to_amp(NOISE_CORRECTION_DB * ops.tanh(maps[..., 1]))
        texture = 0.5 * ops.sum(ops.square(noise), axis=-1)
        power = ops.square(peaks) + ops.square(tonal) + ops.square(envelope) * texture
        return normalize_relative(ops.sqrt(power + 1e-12), s)

    def get_config(self) -> dict:
        return {**super().get_config(), "peak_shape": self.peak_shape}
