"""Differentiable harmonic-plus-noise rendering into the spec's normalised log-magnitude.

The harmonic generator does not paint spectrogram pixels; it predicts per-frame controls
(f0, harmonic amplitudes, a noise envelope) and this layer renders them as the magnitude
spectrogram a real harmonic sound would have under the spec's STFT: each harmonic k·f0 is a
window-shaped peak (the analysis window's main lobe, approximated by a Gaussian whose width is
measured from the spec's window), the noise envelope is interpolated from a few bands to every
bin, and the two add in power. The result goes through :func:`normalize_relative`, the
TensorFlow twin of :meth:`mockingbot.spec.SpectrogramSpec.normalize`, so the discriminator and
the runtime see exactly the representation real clips have.

The maths shared with other renderers lives in :mod:`~mockingbot.trainer.render_ops`
(backend-neutral); this module is TensorFlow only, training-time code.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from keras import saving

from .render_ops import (
    LEVEL_HEADROOM_DB,
    VoiceLayer,
    db_to_amp,
    decode_controls,
    harmonic_peaks,
    main_lobe_half_width_bins,
    main_lobe_sigma_bins,
    noise_band_matrix,
    normalize_relative,
    peak_profile,
)

__all__ = [
    "EQ_SCALE_DB",
    "LEVEL_HEADROOM_DB",
    "HarmonicNoiseSynth",
    "db_to_amp",
    "decode_controls",
    "eq_gains",
    "harmonic_peaks",
    "main_lobe_half_width_bins",
    "main_lobe_sigma_bins",
    "noise_band_matrix",
    "normalize_relative",
    "peak_profile",
    "rayleigh_texture",
]


#: The channel EQ's trainable value 1.0 means this many dB. Adam moves a weight by about its
#: learning rate per step whatever the gradient's size, so the scale sets how fast the EQ can
#: learn: 2e-4 × 50 = 0.01 dB per step, 10 dB in 1000 steps.
EQ_SCALE_DB = 50.0


def eq_gains(eq: tf.Tensor) -> tf.Tensor:
    """Channel EQ weights → linear gains per band (a weight of 1 is ``EQ_SCALE_DB``)."""
    return db_to_amp(eq * EQ_SCALE_DB)


def rayleigh_texture(shape: tf.Tensor) -> tf.Tensor:
    """Random per-cell magnitude factors with mean 1, distributed like |complex Gaussian|.

    A real noise floor is not a smooth envelope: each STFT cell of noise has a Rayleigh-
    distributed magnitude. Without this texture the discriminator can tell generated noise by
    its smoothness alone, whatever its level, and the generator gets no useful signal about
    how loud the noise should be. With it (training only) the two differ only in level.
    """
    u = tf.random.uniform(shape, minval=1e-7, maxval=1.0)
    return tf.sqrt(-(4.0 / np.pi) * tf.math.log(u))  # Rayleigh with E = 1


@saving.register_keras_serializable(package="mockingbot")
class HarmonicNoiseSynth(VoiceLayer):
    """Controls [batch, frames, 1 + K + B] → normalised log-magnitude [batch, frames, bins].

    Channel layout of the controls: f0 logit (1), harmonic level logits (K), noise band level
    logits (B). Levels are bounded in dB: ``-(top_db + LEVEL_HEADROOM_DB) · sigmoid(x)``, so
    nothing can blow up, the initial output (logits ≈ 0) sits in the middle of the dynamic
    range, and the generator can reach true silence (-1) as the padded ends of real clips do.

    Args:
        *args: the voice (:class:`~mockingbot.trainer.render_ops.VoiceLayer`): spec dict,
            K harmonics, B noise bands, f0 range.
        noise_texture: in training, multiply the noise by a random Rayleigh texture (see
            :func:`rayleigh_texture`); at inference the smooth expected magnitude is emitted.
        peak_shape: ``"rational"`` or ``"gaussian"`` harmonic peaks (see :func:`peak_profile`).
        channel_eq: learn one equaliser for the whole data set, ``n_noise_bands`` gains on the
            noise bands' triangles (see
            :class:`~mockingbot.trainer.wavesynth.HarmonicNoiseWaveSynth`, which has the same
            weight, so it carries over between the two renderers).
    """

    def __init__(
        self,
        *args,
        noise_texture: bool = False,
        peak_shape: str = "gaussian",
        channel_eq: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.channel_eq = bool(channel_eq)
        self.noise_texture = bool(noise_texture)
        self.peak_shape = str(peak_shape)
        self._band = tf.constant(noise_band_matrix(self.n_noise_bands, self.spec.n_bins))
        if self.channel_eq:
            self.eq = self.add_weight(
                name="eq", shape=(self.n_noise_bands,), initializer="zeros", trainable=True
            )

    def call(self, controls: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        s = self.spec
        f0, amp, noise_band = self.decode(controls)
        harm = self._harmonic_peaks(f0, amp)
        noise = tf.tensordot(noise_band, self._band, axes=1)  # [B, T, F]
        if training and self.noise_texture:
            noise = noise * rayleigh_texture(tf.shape(noise))
        S_rel = tf.sqrt(tf.square(harm) + tf.square(noise) + 1e-12)
        if self.channel_eq:  # [F], the same for every sound
            S_rel = S_rel * tf.tensordot(eq_gains(self.eq), self._band, axes=1)
        return normalize_relative(S_rel, s)

    def _harmonic_peaks(self, f0: tf.Tensor, amp: tf.Tensor) -> tf.Tensor:
        """Window-shaped peaks (:func:`~mockingbot.trainer.render_ops.harmonic_peaks`)."""
        return harmonic_peaks(f0, amp, spec=self.spec, peak_shape=self.peak_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "noise_texture": self.noise_texture,
            "peak_shape": self.peak_shape,
            "channel_eq": self.channel_eq,
        }
