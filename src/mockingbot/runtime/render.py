"""One batch of sounds, from pack coordinates to encoded file bytes: the DSP chain.

    (seed, creature, variation) ─ latents.sound_latents ─► z ─ model.generate ─► |S|
        ─ phase.reconstruct ─► audio ─ postprocess.finalize ─► game-ready audio ─ encode ─► bytes

(a waveform model emits audio itself: ``model.generate_audio`` replaces the two middle
steps). Nothing here touches a folder: :func:`render_sounds` yields each sound's bytes and
measurements, and the caller decides where they go (:mod:`.pack` writes them into a pack;
a game tool may play them). Every sound is a pure function of the model and its
arguments, never of batch size or order, which is what keeps packs byte-identical.

Contents: :class:`RenderedSound`, :func:`render_sounds`, :func:`synthesize`,
:func:`finish_sound`, :func:`check_model_output`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from mockingbot.defaults import (
    AUDIO_FORMATS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOUDNESS_LUFS,
    DEFAULT_SPREAD,
    FADE_MS,
    LOUDNESS_LUFS_LIMITS,
    OUTPUT_RATE_HZ_LIMITS,
    PEAK_CEILING_DBFS,
)
from mockingbot.errors import ModelError
from mockingbot.noisefloor import floor_noise
from mockingbot.validation import as_float, as_int, one_of

from . import latents as lat
from . import pack_format as fmt
from .encode import encode
from .model import GeneratorModel

__all__ = [
    "RenderedSound",
    "check_model_output",
    "finish_sound",
    "render_sounds",
    "synthesize",
]

#: Loudness and peak reported for a sound too quiet to measure (a finite number for JSON).
_SILENT_DB = -120.0


@dataclasses.dataclass(frozen=True)
class RenderedSound:
    """One finished sound: its file bytes and what the pack manifest records about it.

    Attributes:
        creature, variation: its place in the pack.
        latent_seed: the seed its variation noise (and texture noise) came from.
        audio: the game-ready samples, float32 mono at ``sample_rate`` (for thumbnails).
        data: the encoded file (``audio_format``), byte-identical on every run.
        sample_rate: rate of ``audio`` and ``data`` in Hz.
        audio_format: ``"wav"`` or ``"ogg"``.
        lufs: integrated loudness of what a player hears (the 16-bit samples of a WAV,
            the float samples an Ogg encodes); ``-120`` when too quiet to measure.
        peak_dbfs: its sample peak (``-120`` for silence).
        phase_sc_db: how closely the raw audio matches the generated magnitude (spectral
            convergence, dB); ``None`` for a waveform model (no phase was recovered).
    """

    creature: int
    variation: int
    latent_seed: int
    audio: np.ndarray
    data: bytes
    sample_rate: int
    audio_format: str
    lufs: float
    peak_dbfs: float
    phase_sc_db: float | None

    @property
    def sound_id(self) -> str:
        """``creature_007_v03``: the sound's id in a pack."""
        return fmt.sound_id(self.creature, self.variation)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate


def check_model_output(model: GeneratorModel) -> None:
    """Run the generator once, on one latent, before any folder is created or cleared.

    Loading checks the output's declared shape, but a symbolic dim passes that check, and a
    model whose spec disagrees with what it really emits would otherwise fail (or allocate
    for a lying spec) only after the pack folder exists, or after ``--force`` cleared the old
    pack. One row costs milliseconds; :meth:`GeneratorModel.generate` checks the shape and
    finiteness of what comes out.
    """
    z = np.zeros((1, model.latent_dim), np.float32)
    noise = model.noise_for([0])
    if model.is_waveform:
        model.generate_audio(z, noise)
    else:
        model.generate(z, noise)


def batch_noise(model: GeneratorModel, latent_seeds: Sequence[int]) -> np.ndarray | None:
    """The texture noise a batch of sounds feeds the model (``None`` for a model without a
    noise input): :func:`~.latents.texture_noises` of each sound's latent seed."""
    if not model.takes_noise:
        return None
    return lat.texture_noises(list(latent_seeds), model.meta.noise_shape)


def synthesize(
    model: GeneratorModel,
    z: np.ndarray,
    latent_seeds: Sequence[int],
    noise: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Raw audio [batch, clip_samples] at the model's rate, and the magnitudes
    [batch, frames, bins] its phase was recovered for.

    The magnitudes are ``None`` for a waveform model, which emits audio itself from the
    latents and each sound's texture noise (:func:`batch_noise` of its latent seeds, as for a
    full-resolution model's noise input). ``noise``, when given, is that batch noise drawn
    beforehand (the pack renderer draws it on another thread); it must be
    ``batch_noise(model, latent_seeds)``.
    """
    from . import phase

    spec = model.spec
    if noise is None:
        noise = batch_noise(model, latent_seeds)
    if model.is_waveform:
        return None, model.generate_audio(z, noise)
    X = model.generate(z, noise)
    S = spec.full_magnitude(spec.magnitude(X))
    n_iter = model.meta.phase_iterations  # the model's own recommendation, else the method's
    return S, phase.reconstruct(S, spec=spec, method=model.meta.phase, n_iter=n_iter)


def finish_sound(
    model: GeneratorModel,
    S: np.ndarray | None,
    y: np.ndarray,
    *,
    creature: int,
    variation: int,
    latent_seed: int,
    size: float,
    output_rate: int,
    audio_format: str,
    loudness_lufs: float,
) -> RenderedSound:
    """Post-process, measure and encode one sound's raw audio ``y``.

    ``S`` is the generated magnitude the phase was recovered for: the result records how
    closely ``y`` matches it, so a pack reports its phase-retrieval quality sound by sound.
    A model that carries its training recordings' noise floor (``mbot.dataset.noise_floor``)
    gets that floor under the call, drawn from the sound's latent seed, before post-processing.

    Raises:
        ModelError: the sound came out empty (a model whose spec lies about its clips).
    """
    from . import phase, postprocess

    spec = model.spec
    sc_db = None if S is None else float(phase.reconstruction_error(S[None], y[None], spec=spec)[0])
    floor = model.meta.noise_floor
    if floor is not None:  # the recordings' floor under the call (mockingbot.noisefloor)
        y = y + floor_noise(
            y, floor, seed=latent_seed, sr=spec.sr, n_fft=spec.n_fft, hop_length=spec.hop_length
        )
    out = postprocess.finalize(
        y,
        sr=spec.sr,
        output_rate=output_rate,
        size=size,
        loudness_lufs=loudness_lufs,
        peak_dbfs=PEAK_CEILING_DBFS,
        fade_ms=FADE_MS,
        cut_calls=model.meta.learnt_room_tone,
    )
    if out.size == 0:  # never write a sound of 0 samples into a pack that looks complete
        raise ModelError(
            f"{model.path}: {fmt.sound_id(creature, variation)} came out empty (0 samples at "
            f"{output_rate} Hz from a clip of {spec.clip_samples} samples at {spec.sr} Hz)"
        )
    pcm = postprocess.to_pcm16(out)
    heard = out if audio_format == "ogg" else pcm.astype(np.float32) / 32768.0
    lufs, peak = postprocess.measure(heard, sr=output_rate)
    data = encode(
        out, pcm, sr=output_rate, audio_format=audio_format, serial=latent_seed & 0xFFFFFFFF
    )
    return RenderedSound(
        creature=creature,
        variation=variation,
        latent_seed=latent_seed,
        audio=out,
        data=data,
        sample_rate=output_rate,
        audio_format=audio_format,
        lufs=lufs if math.isfinite(lufs) else _SILENT_DB,
        peak_dbfs=peak if math.isfinite(peak) else _SILENT_DB,
        phase_sc_db=sc_db,
    )


def render_sounds(
    model: GeneratorModel,
    seed: int,
    items: Sequence[tuple[int, int]],
    *,
    spread: float = DEFAULT_SPREAD,
    sizes: Mapping[int, float] | None = None,
    centers: Mapping[int, np.ndarray] | None = None,
    output_rate: int | None = None,
    audio_format: str = AUDIO_FORMATS[0],
    loudness_lufs: float = DEFAULT_LOUDNESS_LUFS,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[RenderedSound]:
    """Render the sounds ``items`` (``(creature, variation)`` pairs) of the pack ``seed``.

    Args:
        model: the loaded generator.
        seed: the pack seed.
        items: which sounds, in the order they are yielded.
        spread: how far variations stray from their creature (0–1).
        sizes: creature index → size (pitch/formant scale); a creature not in it keeps the
            model's natural size 1.
        centers: creature index → Gaussian-space center replacing the seed's own (see
            :func:`~.latents.sound_latents`; ``mbot mutate`` uses it).
        output_rate: output sample rate in Hz; ``None``: the model's.
        audio_format: ``"wav"`` or ``"ogg"``.
        loudness_lufs: integrated loudness target.
        batch_size: sounds per inference batch; changes no output byte.

    Returns:
        An iterator of :class:`RenderedSound`, one per item, in order. Two stages overlap:
        while the caller's thread post-processes (and stores) batch k, a worker thread runs
        the generator and phase retrieval of batch k + 1 (numpy, scipy.fft, soxr and zlib
        release the GIL, so the stages share the cores). At most two batches of audio exist
        at once, so memory stays flat however many sounds are asked for.

    Raises:
        ParameterError: a bad argument (raised here, before any rendering).
        ModelError: the model emits something unusable (raised while iterating).
    """
    rate = int(model.spec.sr)
    if output_rate is not None and output_rate != rate:  # the model's own rate is always fine
        low, high = OUTPUT_RATE_HZ_LIMITS
        rate = as_int("output rate (Hz)", output_rate, low=low, high=high)
    one_of("audio format", audio_format, AUDIO_FORMATS)
    low, high = LOUDNESS_LUFS_LIMITS
    loudness_lufs = as_float("loudness (LUFS)", loudness_lufs, low=low, high=high)
    seed = lat.validate_seed(seed)
    spread = lat.validate_spread(spread)
    batch_size = as_int("batch size", batch_size, low=1)
    jobs = [(as_int("creature", c, low=0), as_int("variation", v, low=0)) for c, v in items]
    return _stream(
        model,
        seed,
        jobs,
        spread=spread,
        sizes=dict(sizes or {}),
        centers=centers,
        output_rate=rate,
        audio_format=audio_format,
        loudness_lufs=loudness_lufs,
        batch_size=batch_size,
    )


def _stream(
    model: GeneratorModel,
    seed: int,
    jobs: list[tuple[int, int]],
    *,
    spread: float,
    sizes: Mapping[int, float],
    centers: Mapping[int, np.ndarray] | None,
    output_rate: int,
    audio_format: str,
    loudness_lufs: float,
    batch_size: int,
) -> Iterator[RenderedSound]:
    """The generator behind :func:`render_sounds` (its arguments already checked)."""
    from concurrent.futures import ThreadPoolExecutor

    def seeds(batch: list[tuple[int, int]]) -> list[int]:
        return [lat.latent_seed(seed, c, v) for c, v in batch]

    def generate(
        batch: list[tuple[int, int]], noise: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        z = lat.sound_latents(
            seed,
            batch,
            latent_dim=model.latent_dim,
            spread=spread,
            distribution=model.meta.latent_distribution,
            centers=centers,
        )
        return synthesize(model, z, seeds(batch), noise)

    batches = [jobs[i : i + batch_size] for i in range(0, len(jobs), batch_size)]

    # The worker (network, phase retrieval) is the slower stage: this thread draws the
    # texture noise one batch ahead for it, in the time it would otherwise wait.
    def noise_of(k: int) -> np.ndarray | None:
        return batch_noise(model, seeds(batches[k])) if k < len(batches) else None

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mbot-generator") as worker:
        ahead = worker.submit(generate, batches[0], noise_of(0)) if batches else None
        pending = noise_of(1)
        for k, batch in enumerate(batches):
            S, Y = ahead.result()  # re-raises the generator's error
            if k + 1 < len(batches):
                ahead = worker.submit(generate, batches[k + 1], pending)
            pending = noise_of(k + 2)
            magnitudes = [None] * len(batch) if S is None else S
            for (c, v), s, y in zip(batch, magnitudes, Y, strict=True):
                yield finish_sound(
                    model,
                    s,
                    y,
                    creature=c,
                    variation=v,
                    latent_seed=lat.latent_seed(seed, c, v),
                    size=sizes.get(c, 1.0),
                    output_rate=output_rate,
                    audio_format=audio_format,
                    loudness_lufs=loudness_lufs,
                )
