"""The generator at render time: an ONNX file run by onnxruntime, nothing else.

:class:`GeneratorModel` opens a MockingBot ONNX model, reads its ``mbot.*`` metadata
(:class:`~mockingbot.model_meta.ModelMeta`) and refuses, with one clear line, a model the
runtime could not use: missing or malformed metadata, an input or output whose name or
shape disagrees with the metadata's spec. A model is one of two kinds (``mbot.output``):

- spectrogram: :meth:`GeneratorModel.generate` maps a batch of latents
  ``z [batch, latent_dim]`` to normalised spectrograms ``[batch, n_frames, n_bins]``, and the
  caller recovers the phase;
- waveform (:attr:`GeneratorModel.is_waveform`): :meth:`GeneratorModel.generate_audio` maps
  latents plus the noise that drives the model's noise branch, ``noise [batch,
  clip_samples]`` i.i.d. N(0, 1), to audio ``[batch, clip_samples]`` at the spec's rate.

Session settings are chosen for rendering many small batches on a few CPU cores: all graph
optimisations, sequential execution of nodes, one intra-op thread per usable core (capped),
and no spin-waiting between runs so the post-processing threads that run alongside
inference get the CPU.

Determinism: with the CPU execution provider, this runtime's MatMul and (transposed)
convolution kernels give bit-identical rows whatever the intra-op thread count, batch size
or a row's position in the batch (measured on onnxruntime 1.23: 1, 2 and 4 threads; batches
of 1, 7, 32, 64). The pack tests re-check it end to end, because byte-identical packs rely
on it.

Contents: :class:`GeneratorModel`, :func:`default_model_path`, :func:`declared_signature`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from mockingbot.errors import ModelError, ParameterError
from mockingbot.fileio import sha256_file
from mockingbot.model_meta import ModelMeta
from mockingbot.spec import SpectrogramSpec

from .preflight import check_model_file
from .threads import default_threads

__all__ = [
    "AUDIO_ROWS_PER_RUN",
    "SPECTROGRAM_ROWS_PER_RUN",
    "GeneratorModel",
    "declared_signature",
    "default_model_path",
]

#: A waveform model runs at most this many sounds per onnxruntime call. Its intermediates
#: are full-rate [rows, clip_samples, harmonics or bands] tensors (≈ 15 MB per sound at the
#: default spec), and onnxruntime's arena keeps the largest it ever needed: 32 rows per call
#: peaked at 700 MB RSS and ran 8.9 ms/sound, 4 rows at 220 MB and 6.8 ms/sound (cache-sized
#: tensors). Output bytes do not depend on it (rows are independent).
AUDIO_ROWS_PER_RUN = 4
#: A spectrogram model runs at most this many sounds per onnxruntime call, which bounds the
#: arena a full-resolution model's [rows, frames, bins, channels] intermediates need.
SPECTROGRAM_ROWS_PER_RUN = 64
_DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "default.onnx"


def default_model_path() -> Path:
    """Path of the generator shipped with the package (``runtime/models/default.onnx`` in it).

    Raises:
        ModelError: no default model is installed.
    """
    if not _DEFAULT_MODEL.is_file():
        raise ModelError("no default model is installed; pass --model PATH")
    return _DEFAULT_MODEL


def _session_options(threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3  # errors only: warnings are not the user's business
    # Threads that spin after each run steal the core the phase/post-processing thread needs.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


def _dim_ok(dim: object, expected: int) -> bool:
    """A static dim must equal ``expected``; a symbolic (str/None) dim is accepted."""
    return not isinstance(dim, int) or dim == expected


def _shape_ok(shape: list, dims: tuple[int, ...]) -> bool:
    """``shape`` is [batch, *dims] (the batch and any symbolic dim accepted as they come)."""
    return len(shape) == 1 + len(dims) and all(_dim_ok(d, e) for d, e in zip(shape[1:], dims))


@dataclasses.dataclass(frozen=True)
class _Declared:
    """A graph input or output as the file declares it, spelt as onnxruntime spells it."""

    name: str
    type: str
    shape: list


@dataclasses.dataclass(frozen=True)
class _DeclaredSignature:
    """The inputs and outputs an ONNX file declares, with a session's accessors.

    Lets :meth:`GeneratorModel._check_signature` judge a file from its bytes
    (:class:`~mockingbot.runtime.protowire.ModelSummary`) before any session exists, and lets
    ``mbot info`` say the same line ``render-pack`` would refuse a model with.
    """

    inputs: tuple[_Declared, ...]
    outputs: tuple[_Declared, ...]

    def get_inputs(self) -> tuple[_Declared, ...]:
        return self.inputs

    def get_outputs(self) -> tuple[_Declared, ...]:
        return self.outputs


def declared_signature(summary) -> _DeclaredSignature:
    """``summary``'s inputs and outputs (a ``ModelSummary``) in onnxruntime's spelling."""

    def declared(t) -> _Declared:
        return _Declared(t.name, f"tensor({t.dtype})", list(t.shape))

    return _DeclaredSignature(
        tuple(map(declared, summary.inputs)), tuple(map(declared, summary.outputs))
    )


class GeneratorModel:
    """A loaded generator: onnxruntime session plus its parsed metadata.

    Use :meth:`load`; the constructor only stores what it is given.

    Attributes:
        path: the ONNX file.
        meta: its :class:`~mockingbot.model_meta.ModelMeta`.
        threads: intra-op threads of the session.
    """

    def __init__(self, session, meta: ModelMeta, path: Path, threads: int) -> None:
        self._session = session
        self.meta = meta
        self.path = path
        self.threads = threads

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, threads: int | None = None):
        """Open ``path`` (default: :func:`default_model_path`) and check it is usable.

        Args:
            path: an ONNX file exported by ``mbot export``; ``None`` for the shipped model.
            threads: intra-op threads (default
                :func:`~mockingbot.runtime.threads.default_threads`). Results do not depend
                on it; only speed does.

        Raises:
            ModelError: the file is missing, hostile or not ONNX
                (:func:`~mockingbot.runtime.preflight.check_model_file`), its metadata is
                missing or malformed, or its input/output do not match the metadata (checked
                from the file's bytes before onnxruntime reads it, and again on the session).
        """
        model_path = default_model_path() if path is None else Path(path)
        if threads is None:
            threads = default_threads()
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ParameterError(f"threads must be a positive integer, got {threads!r}")
        # refuse hostile files and lying metadata before onnxruntime reads anything
        _, summary = check_model_file(model_path)
        cls._check_signature(
            declared_signature(summary),
            ModelMeta.from_props(summary.metadata, source=str(model_path)),
            model_path,
        )

        import onnxruntime as ort

        try:
            session = ort.InferenceSession(
                str(model_path), _session_options(threads), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own (non-exported) exception types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{model_path} is not a usable ONNX model ({first})") from None
        props = session.get_modelmeta().custom_metadata_map
        meta = ModelMeta.from_props(props, source=str(model_path))
        cls._check_signature(session, meta, model_path)
        return cls(session, meta, model_path, threads)

    @staticmethod
    def _check_signature(session, meta: ModelMeta, path: Path) -> None:
        inputs, outputs = session.get_inputs(), session.get_outputs()
        n_samples = meta.spec.clip_samples
        # (name, trailing dims, what the metadata key that sets the dims is called)
        wanted = [(meta.input_name, (meta.latent_dim,), "mbot.latent_dim")]
        if meta.takes_noise:
            source = "the spec's clip_samples" if meta.is_waveform else "the spec's grid × 2"
            wanted.append((meta.noise_input_name, meta.noise_shape, source))
        if len(inputs) != len(wanted):
            names = ", ".join(i.name for i in inputs)
            expected = " and ".join(repr(name) for name, _, _ in wanted)
            raise ModelError(
                f"{path}: a {meta.output} generator has exactly {len(wanted)} input(s) "
                f"({expected}), this model has: {names}"
            )
        by_name = {i.name: i for i in inputs}
        for name, dims, source in wanted:
            inp = by_name.get(name)
            if inp is None:
                names = ", ".join(repr(i.name) for i in inputs)
                raise ModelError(
                    f"{path}: input is named {names} but the metadata says {name!r}"
                    if len(inputs) == 1
                    else f"{path}: no input named {name!r} (from the metadata); it has: {names}"
                )
            if inp.type != "tensor(float)":
                raise ModelError(f"{path}: input {inp.name!r} must be float32, it is {inp.type}")
            if not _shape_ok(inp.shape, dims):
                shape = ", ".join(["batch", *map(str, dims)])
                raise ModelError(
                    f"{path}: input {inp.name!r} has shape {inp.shape}, expected [{shape}] "
                    f"({source})"
                )
        match = [o for o in outputs if o.name == meta.output_name]
        if not match:
            names = ", ".join(o.name for o in outputs)
            raise ModelError(
                f"{path}: no output named {meta.output_name!r} (mbot.output_name); it has: {names}"
            )
        out = match[0]
        dims = (n_samples,) if meta.is_waveform else meta.spec.shape
        if not _shape_ok(out.shape, dims):
            shape = ", ".join(["batch", *map(str, dims)])
            raise ModelError(
                f"{path}: output {out.name!r} has shape {out.shape}, expected [{shape}] "
                f"from the spec in its metadata"
            )

    # ------------------------------------------------------------------ facts
    @property
    def spec(self) -> SpectrogramSpec:
        """The spectrogram spec the model's output follows."""
        return self.meta.spec

    @property
    def latent_dim(self) -> int:
        """Length of one latent vector."""
        return self.meta.latent_dim

    @property
    def takes_noise(self) -> bool:
        """True for a model with a noise input (waveform and full-resolution models)."""
        return self.meta.takes_noise

    @property
    def is_waveform(self) -> bool:
        """True for a model that outputs audio (:meth:`generate_audio`, no phase retrieval)."""
        return self.meta.is_waveform

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 of the ONNX file's bytes (identifies the exact model in a pack)."""
        return sha256_file(self.path)

    # ------------------------------------------------------------------ inference
    def _latents(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ParameterError(
                f"latents must have shape [batch, {self.latent_dim}], got {list(z.shape)}"
            )
        if not np.all(np.isfinite(z)):
            raise ParameterError("latents contain NaN or infinite values")
        return np.ascontiguousarray(z, dtype=np.float32)

    def _run(self, feeds: dict[str, np.ndarray], expected: tuple[int, ...]) -> np.ndarray:
        (out,) = self._session.run([self.meta.output_name], feeds)
        out = np.asarray(out, dtype=np.float32)
        if out.shape != expected:
            raise ModelError(
                f"{self.path}: model returned shape {list(out.shape)}, expected {list(expected)}"
            )
        if not np.all(np.isfinite(out)):
            raise ModelError(f"{self.path}: model produced NaN or infinite values")
        return out

    def noise_for(self, latent_seeds: Sequence[int]) -> np.ndarray | None:
        """The noise input of the sounds with these latent seeds (``None`` if it takes none).

        Drawn exactly as a pack draws it (:func:`~mockingbot.runtime.latents.texture_noises`),
        so benchmarks and tools see what packs get.
        """
        if not self.takes_noise:
            return None
        from .latents import texture_noises

        return texture_noises(list(latent_seeds), self.meta.noise_shape)

    def _noise(self, noise: np.ndarray | None, batch: int) -> np.ndarray:
        """``noise`` checked against the model's noise input: [batch, *noise_shape], finite."""
        if noise is None:
            raise ParameterError(
                f"{self.path} takes a noise input ({self.meta.noise_input_name!r}); pass one "
                "row per latent (runtime.latents.texture_noises)"
            )
        shape = (batch, *self.meta.noise_shape)
        noise = np.asarray(noise)
        if noise.shape != shape:
            raise ParameterError(
                f"noise must have shape {list(shape)} (one row per latent), got {list(noise.shape)}"
            )
        if not np.all(np.isfinite(noise)):
            raise ParameterError("noise contains NaN or infinite values")
        return np.ascontiguousarray(noise, dtype=np.float32)

    def _run_rows(
        self, z: np.ndarray, noise: np.ndarray | None, dims: tuple[int, ...], rows: int
    ) -> np.ndarray:
        """Run the model on at most ``rows`` latents (and noise rows) per onnxruntime call."""
        out = np.zeros((z.shape[0], *dims), dtype=np.float32)
        for i in range(0, z.shape[0], rows):
            part = slice(i, i + rows)
            feeds = {self.meta.input_name: z[part]}
            if noise is not None:
                feeds[self.meta.noise_input_name] = noise[part]
            out[part] = self._run(feeds, (len(z[part]), *dims))
        return out

    def generate(self, z: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
        """Run a spectrogram generator on a batch of latents (and texture noise).

        Args:
            z: latents [batch, latent_dim] in the model's latent distribution.
            noise: for a model with a noise input (:attr:`takes_noise`, the full-resolution
                generator): i.i.d. N(0, 1) texture draws [batch, n_frames, n_bins, 2], row
                ``i`` for sound ``i``; a pack draws them from the sound's latent seed
                (:func:`~mockingbot.runtime.latents.texture_noises`). ``None`` otherwise.

        Returns:
            float32 normalised spectrograms [batch, n_frames, n_bins] (see
            :meth:`~mockingbot.spec.SpectrogramSpec.magnitude`).

        Raises:
            ParameterError: ``z`` or ``noise`` has the wrong shape or non-finite values, or
                the model needs noise and none was given.
            ModelError: the model is a waveform model (use :meth:`generate_audio`), or it
                returned the wrong shape or non-finite values.

        Examples:
            >>> model = GeneratorModel.load("tiny.onnx")  # doctest: +SKIP
            >>> model.generate(np.zeros((4, model.latent_dim), np.float32)).shape  # doctest: +SKIP
            (4, 128, 64)
        """
        if self.is_waveform:
            raise ModelError(
                f"{self.path} outputs audio, not spectrograms; call generate_audio(z, noise)"
            )
        z = self._latents(z)
        if self.takes_noise:
            noise = self._noise(noise, z.shape[0])
        elif noise is not None:
            raise ParameterError(f"{self.path} takes no noise input; call generate(z)")
        return self._run_rows(z, noise, self.spec.shape, SPECTROGRAM_ROWS_PER_RUN)

    def generate_audio(self, z: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Run a waveform generator on a batch of latents and their noise.

        Args:
            z: latents [batch, latent_dim] in the model's latent distribution.
            noise: i.i.d. N(0, 1) samples [batch, clip_samples], the randomness of the
                model's noise branch (breath, hiss). Row ``i`` belongs to sound ``i``; a pack
                draws it from the sound's latent seed
                (:func:`~mockingbot.runtime.latents.texture_noise`) so it is reproducible.

        Returns:
            float32 audio [batch, clip_samples] at ``spec.sr``, roughly in [-1, 1].

        Raises:
            ParameterError: ``z`` or ``noise`` has the wrong shape (or their batches differ)
                or non-finite values.
            ModelError: the model is a spectrogram model (use :meth:`generate`), or it
                returned the wrong shape or non-finite values.

        Examples:
            >>> model = GeneratorModel.load("tiny-wave.onnx")  # doctest: +SKIP
            >>> z = np.zeros((4, model.latent_dim), np.float32)  # doctest: +SKIP
            >>> noise = np.zeros((4, model.spec.clip_samples), np.float32)  # doctest: +SKIP
            >>> model.generate_audio(z, noise).shape  # doctest: +SKIP
            (4, 4096)
        """
        if not self.is_waveform:
            raise ModelError(
                f"{self.path} outputs spectrograms, not audio; call generate(z) and recover "
                "the phase"
            )
        z = self._latents(z)
        noise = self._noise(noise, z.shape[0])
        return self._run_rows(z, noise, (self.spec.clip_samples,), AUDIO_ROWS_PER_RUN)
