"""``mbot export onnx``: a run folder's generator → one self-describing, verified ONNX file.

Steps (:func:`export_onnx`):

1. check the output path (exists without ``force``? folder missing or read-only?) before any
   slow work;
2. load the generator (:func:`mockingbot.trainer.load.load_generator`: latest or chosen
   checkpoint, EMA weights by default);
3. convert (:func:`mockingbot.export.convert.keras_to_onnx`), optionally store the weights
   as fp16 (:func:`mockingbot.export.graph.store_weights`), give nodes stable names and
   the batch dimension the name ``batch``;
4. attach the metadata once (:class:`~mockingbot.model_meta.ModelMeta`; ``set_model_props``
   replaces all properties), including ``mbot.content_hash`` — sha256 of the model
   serialized without its ``metadata_props``;
5. write to a temporary file beside the output, load it with the runtime's own loader
   (:class:`~mockingbot.runtime.model.GeneratorModel`: metadata and signature checks) and
   compare its spectrograms with TensorFlow's on :data:`~mockingbot.export.parity.N_PARITY`
   seeded latents; only if the difference is within the precision's tolerance is the
   temporary file renamed onto the output. Any failure removes it: no partial ``.onnx``.

A waveform run (``config.json`` ``"model": {"output": "waveform"}``) exports a two-input
generator: ``z`` and ``noise`` [batch, clip_samples] → ``audio`` [batch, clip_samples], with
``mbot.output = "waveform"``, ``mbot.noise_input_name = "noise"`` and ``mbot.phase =
"none"``. Its parity check feeds both sides the same latents and the same seeded noise
(:func:`~mockingbot.export.parity.parity_noise`) and compares samples
(:func:`~mockingbot.export.parity.waveform_difference`). Its weights are stored as fp32 only
(see :data:`WAVEFORM_PRECISIONS`).

No timestamp goes into the file, so exporting the same checkpoint with the same options and
tool versions gives the same bytes.

TensorFlow, tf2onnx and onnx are imported inside :func:`export_onnx`, so this module (and
:class:`ExportResult`) can be imported by the CLI before it knows they are installed.

Contents: :func:`export_onnx`, :class:`ExportResult`, :data:`PRECISIONS`,
:func:`default_output`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from mockingbot import __version__
from mockingbot.errors import MockingBotError, ModelError, ParameterError
from mockingbot.model_meta import MAX_PHASE_ITERATIONS
from mockingbot.validation import as_int, one_of

from .parity import (
    parity_latents,
    parity_limit,
    parity_noise,
    spectral_difference,
    waveform_difference,
)

__all__ = [
    "DEFAULT_OPSET",
    "PRECISIONS",
    "WAVEFORM_PRECISIONS",
    "ExportResult",
    "default_output",
    "export_onnx",
]

#: Default ONNX opset: supported by tf2onnx 1.16+ and every onnxruntime since 1.14.
DEFAULT_OPSET = 17
#: Weight storage offered (see :mod:`mockingbot.export.graph`). int8 weights were measured
#: and dropped: up to 20 dB error in single bins, no speed gain (docs/export.md).
PRECISIONS = ("fp32", "fp16")
#: Weight storage offered for waveform generators: fp32 only. Float16 weights move f0 a
#: little, and an oscillator integrates f0 over the whole clip, so the phase drifts apart:
#: on a trained model (the default run's 6734-step weights played as a waveform) fp16 audio
#: differed from TensorFlow by 5.4 max abs at a peak of 5.3 (relative RMS 0.08 median,
#: spectrogram up to 44.6 dB off), against 7.2e-3 for fp32 (docs/export.md).
WAVEFORM_PRECISIONS = ("fp32",)
ONNX_SUFFIX = ".onnx"
#: Input and output names of a waveform generator (fixed by the trainer's Keras model).
NOISE_INPUT_NAME = "noise"
AUDIO_OUTPUT_NAME = "audio"


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """What an export produced and measured.

    Attributes:
        path: the written ONNX file.
        meta: the metadata stored in it.
        step: checkpoint step exported.
        ema: whether the EMA generator was exported.
        precision: weight storage (``fp32``/``fp16``).
        opset: ONNX opset.
        size_bytes: file size.
        parameters: elements in all initializers.
        parity: :func:`~mockingbot.export.parity.spectral_difference` (a waveform model:
            :func:`~mockingbot.export.parity.waveform_difference`) of onnxruntime vs
            TensorFlow on the parity latents (and noise), plus ``output_peak`` (max
            |TensorFlow output|).
        tolerance: the max-abs bound the parity had to meet
            (:func:`~mockingbot.export.parity.parity_limit`).
        convert_seconds: time spent in tf2onnx and graph tidying.
        total_seconds: the whole export, model loading included.
        sha256: of the file's bytes (what packs record).
    """

    path: Path
    meta: Any
    step: int
    ema: bool
    precision: str
    opset: int
    size_bytes: int
    parameters: int
    parity: dict[str, float]
    tolerance: float
    convert_seconds: float
    total_seconds: float
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the metadata as its ``mbot.*`` properties)."""
        out = dataclasses.asdict(self)
        out["path"] = str(self.path)
        out["meta"] = self.meta.to_props()
        return out


def default_output(run_dir: str | os.PathLike[str], name: str | None = None) -> Path:
    """``RUN_DIR/<name>.onnx``, name defaulting to the run folder's name.

    Inside the run folder the model stays next to the checkpoints it came from; ``-o``
    puts it anywhere else.
    """
    run_dir = Path(run_dir)
    if run_dir.is_file():  # a training state file: the model goes beside it
        return run_dir.with_name(f"{name or run_dir.stem}{ONNX_SUFFIX}")
    return run_dir / f"{name or run_dir.resolve().name}{ONNX_SUFFIX}"


def _check_output(output: Path, *, force: bool) -> None:
    """Refuse, before any slow work, an output that cannot or must not be written."""
    if output.suffix.lower() != ONNX_SUFFIX:
        raise ParameterError(f"output {output} must end in {ONNX_SUFFIX}")
    if output.is_dir():
        raise ParameterError(f"output {output} is a folder; give a file name ending in .onnx")
    if output.exists() and not force:
        raise ParameterError(f"{output} already exists; pass --force to overwrite it")
    folder = output.parent
    if not folder.is_dir():
        raise ParameterError(f"output folder {folder} does not exist")
    try:  # a real probe: os.access says yes to root on read-only mounts and pseudo-filesystems
        with tempfile.TemporaryFile(dir=folder, prefix=".mbot-probe-"):
            pass
    except OSError as exc:
        raise ParameterError(
            f"output folder {folder} is not writable ({exc.strerror or type(exc).__name__})"
        ) from None


def _exporter_info(opset: int, precision: str, ema: bool, checkpoint: int) -> dict[str, Any]:
    import keras
    import onnx
    import tensorflow as tf
    import tf2onnx

    return {
        "tool": "mbot export onnx",
        "mockingbot": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "tf2onnx": tf2onnx.__version__,
        "onnx": onnx.__version__,
        "opset": opset,
        "precision": precision,
        "ema": ema,
        "checkpoint": checkpoint,
    }


def _refuse_waveform_options(run_dir: Path, precision: str, phase_iterations: int | None) -> None:
    """One clear line, before any slow work, for an option a waveform run does not take: a
    weight storage it is not offered, or phase iterations (it recovers no phase)."""
    if precision in WAVEFORM_PRECISIONS and phase_iterations is None:
        return  # nothing to refuse: do not read the run twice
    from mockingbot.trainer.rundir import read_run

    cfg, _ = read_run(run_dir)
    if cfg.model.output != "waveform":
        return
    if precision not in WAVEFORM_PRECISIONS:
        raise ParameterError(
            f"--{precision} is not offered for waveform models: its rounding of f0 makes the "
            f"oscillators drift out of phase over the clip (audio off by as much as the signal "
            f"on a trained model); export without --{precision}"
        )
    raise ParameterError(
        f"{run_dir} is a waveform run: it recovers no phase, so --phase-iterations does "
        f"not apply; leave it out"
    )


def export_onnx(
    run_dir: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    checkpoint: str = "latest",
    opset: int = DEFAULT_OPSET,
    ema: bool = True,
    precision: str = "fp32",
    name: str | None = None,
    force: bool = False,
    parity_tolerance: float | None = None,
    phase_iterations: int | None = None,
    log=None,
) -> ExportResult:
    """Export a run's generator to ``output`` as a self-describing, parity-checked ONNX model.

    Args:
        run_dir: a run folder written by ``mbot train``, or a training state file.
        output: the ``.onnx`` file (default :func:`default_output`).
        checkpoint: ``"latest"`` or a kept checkpoint's step number.
        opset: ONNX opset (13 … the newest tf2onnx supports).
        ema: export the EMA (smoothed) generator when the run has one; it sounds better
            than the raw training weights.
        precision: weight storage, one of :data:`PRECISIONS`; computation is float32 in both.
        name: ``mbot.model_name`` (default: the run folder's name).
        force: overwrite an existing ``output``.
        parity_tolerance: replaces the precision's default max-abs tolerance
            (:data:`~mockingbot.export.parity.TOLERANCE`); still scaled for outputs beyond
            [-1, 1] (:func:`~mockingbot.export.parity.parity_limit`).
        phase_iterations: the fast Griffin-Lim iterations the model asks the runtime's phase
            recovery to run (``mbot.phase_iterations``; 0: the phase-gradient start alone);
            ``None``: the run's ``model.phase_iterations``. Spectrogram models only.
        log: optional ``callable(str)`` for progress lines.

    Returns:
        an :class:`ExportResult`.

    Raises:
        ParameterError: bad option, existing output without ``force``, unwritable folder.
        ModelError: no run/checkpoint, corrupt checkpoint, unconvertible graph, checker or
            parity failure. In every failure case no file is left at ``output``.

    Examples:
        >>> result = export_onnx("runs/meows", "meows.onnx")  # doctest: +SKIP
        >>> result.parity["max_abs"] < 1e-4  # doctest: +SKIP
        True
    """
    t0 = time.perf_counter()
    say = log or (lambda _msg: None)
    one_of("precision", precision, PRECISIONS)
    if name is not None and not name.strip():
        raise ParameterError("--name must not be empty")
    run_dir = Path(run_dir)
    output = default_output(run_dir, name) if output is None else Path(output)
    _check_output(output, force=force)
    parity_limit(precision, [0.0], tolerance=parity_tolerance)  # validate before slow work
    if phase_iterations is not None:
        phase_iterations = as_int(
            "--phase-iterations", phase_iterations, low=0, high=MAX_PHASE_ITERATIONS
        )
    _refuse_waveform_options(run_dir, precision, phase_iterations)

    import numpy as np
    from onnx import helper

    from mockingbot.fileio import atomic_path, sha256_file
    from mockingbot.model_meta import ModelMeta
    from mockingbot.runtime import protowire
    from mockingbot.runtime.model import GeneratorModel
    from mockingbot.trainer.load import load_generator

    from . import graph
    from .convert import keras_to_onnx

    say(f"loading the generator from {run_dir} (checkpoint {checkpoint})")
    try:
        model, cfg, info, step = load_generator(run_dir, checkpoint=checkpoint, ema=ema)
    except IndexError as exc:  # TF's reader of a truncated checkpoint (OutOfRange → IndexError)
        raise ModelError(
            f"a checkpoint in {run_dir} is unreadable or corrupt ({exc}); export an older one "
            f"with --checkpoint STEP or retrain"
        ) from None
    m = cfg.model
    latent_dim = m.latent_dim
    ema = bool(ema and cfg.train.ema_decay > 0)  # a run trained without EMA has none
    waveform = m.output == "waveform"
    kind = (
        dict(
            output="waveform",
            output_name=AUDIO_OUTPUT_NAME,
            noise_input_name=NOISE_INPUT_NAME,
            phase="none",
        )
        if waveform
        else dict(
            output="spectrogram",
            output_name="spectrogram",
            phase=m.phase,
            phase_iterations=m.phase_n_iter if phase_iterations is None else phase_iterations,
        )
    )
    # a full-resolution generator takes texture draws: its noise input is named like a
    # waveform generator's, with its own per-sound shape (mockingbot.texture)
    noise_shape = None
    if len(model.inputs) > 1:
        noise_shape = tuple(int(d) for d in model.inputs[1].shape[1:])
    if noise_shape is not None and not waveform:
        kind["noise_input_name"] = NOISE_INPUT_NAME

    say(f"converting with tf2onnx (opset {opset}, {precision} weights)")
    t_conv = time.perf_counter()
    proto = keras_to_onnx(
        model,
        latent_dim=latent_dim,
        opset=opset,
        output_name=kind["output_name"],
        noise_shape=noise_shape,
        noise_name=NOISE_INPUT_NAME,
    )
    graph.store_weights(proto, precision)
    graph.canonicalize(proto)
    graph.name_batch_dim(proto)
    convert_seconds = time.perf_counter() - t_conv

    base = dict(
        spec=cfg.spec,
        latent_dim=latent_dim,
        latent_distribution=m.latent_distribution,
        input_name="z",
        **kind,
        model_name=(
            name or (run_dir.stem if run_dir.is_file() else run_dir.resolve().name)
        ).strip(),
        preset=cfg.name,
        # a fine-tuned run's steps count on top of those of the run it started from
        training_steps=int(step) + int((info.get("init_from") or {}).get("step", 0)),
        dataset=dict(info.get("dataset") or {}),
        # whole recordings → the runtime cuts the room tone the model learnt around its calls
        data_context=cfg.data.context,
        exporter=_exporter_info(opset, precision, ema, int(step)),
    )
    digest = hashlib.sha256(graph.serialize_without_metadata(proto)).hexdigest()
    meta = ModelMeta(**base, content_hash=digest)
    helper.set_model_props(proto, meta.to_props())
    data = proto.SerializeToString()

    z = parity_latents(latent_dim, distribution=m.latent_distribution)
    noise = None if noise_shape is None else parity_noise(noise_shape)
    if noise is not None:
        expected = model([z, noise], training=False).numpy()
    else:
        expected = model(z, training=False).numpy()
    tolerance = parity_limit(precision, expected, tolerance=parity_tolerance, output=kind["output"])
    try:
        with atomic_path(output) as tmp:
            tmp.write_bytes(data)
            loaded = GeneratorModel.load(tmp)
            if waveform:
                say("checking parity: TensorFlow vs onnxruntime on the same latents and noise")
                parity = waveform_difference(expected, loaded.generate_audio(z, noise))
                rounding = (
                    "Float rounding in the oscillators' phase grows along the clip (trained "
                    "models: up to 5e-3 of the output peak) while a wrong conversion is off by "
                    "the size of the signal; if the difference is far below the peak it is "
                    "rounding"
                )
            else:
                inputs = "latents" if noise is None else "latents and texture noise"
                say(f"checking parity: TensorFlow vs onnxruntime on the same {inputs}")
                parity = spectral_difference(expected, loaded.generate(z, noise), spec=cfg.spec)
                rounding = "A difference below 1e-3 (0.04 dB) is float rounding"
            parity["output_peak"] = float(np.max(np.abs(expected)))
            if not parity["max_abs"] <= tolerance:  # also catches NaN
                raise ModelError(
                    f"parity check failed: onnxruntime differs from TensorFlow by "
                    f"{parity['max_abs']:.3g} (max abs, {precision}); the limit is "
                    f"{tolerance:g}. Nothing was written. {rounding}, not a conversion "
                    f"error: accept it with --parity-tolerance"
                )
    except MockingBotError:
        raise
    except OSError as exc:
        raise ModelError(f"cannot write {output}: {exc.strerror or exc}") from None

    return ExportResult(
        path=output,
        meta=meta,
        step=int(step),
        ema=ema,
        precision=precision,
        opset=opset,
        size_bytes=output.stat().st_size,
        parameters=protowire.read_model_summary(data).parameters,
        parity=parity,
        tolerance=tolerance,
        convert_seconds=convert_seconds,
        total_seconds=time.perf_counter() - t0,
        sha256=sha256_file(output),
    )
