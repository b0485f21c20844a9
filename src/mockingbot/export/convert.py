"""Keras generator → ONNX graph with tf2onnx (TensorFlow side of the export).

Why not ``tf2onnx.convert.from_keras``: it is broken for Keras 3 (see
``shared/reference/tf2onnx.md``). Why not ``from_function`` either: it lists *every* input of
the traced function as a graph input, and a Keras layer that keeps ``tf.constant`` tensors
(the harmonic synth's bin frequencies, harmonic numbers and noise-band matrix) turns them
into captured inputs, so the ONNX model would demand three extra feeds. Instead the
generator is traced with explicit inputs, frozen with TensorFlow's
``convert_variables_to_constants_v2`` (which folds variables *and* captured tensors into
constants) and the frozen graph goes through ``tf2onnx.convert.from_graph_def`` with ``z``
as its only input — or, for a waveform generator, ``z`` and ``noise`` (the white noise its
noise branch filters, [batch, clip_samples]).

Contents: :func:`keras_to_onnx`, :data:`MIN_OPSET`, :func:`max_opset`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import onnx
import tensorflow as tf
import tf2onnx
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from mockingbot.errors import ModelError, ParameterError

__all__ = ["MIN_OPSET", "keras_to_onnx", "max_opset"]

#: Oldest opset offered: 13 brings per-channel DequantizeLinear (int8 weights) and the
#: Split/Squeeze forms tf2onnx emits for current Keras layers.
MIN_OPSET = 13
_CHATTY_LOGGERS = ("tensorflow", "tf2onnx")


@contextlib.contextmanager
def _quiet_loggers(level: int = logging.ERROR) -> Iterator[None]:
    """Silence TensorFlow's and tf2onnx's INFO/deprecation chatter (tf2onnx uses TF v1
    freezing APIs) for the duration; errors still show. Restores the previous levels."""
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, old in zip(loggers, before):
            lg.setLevel(old)


def max_opset() -> int:
    """Newest opset the installed tf2onnx can target."""
    return max(tf2onnx.constants.OPSET_TO_IR_VERSION)


def _keras_input_order(model, names: list[str]) -> list[str]:
    """``names`` in the order the Keras model lists its inputs (when it names them so)."""
    declared = [getattr(t, "name", "") for t in getattr(model, "inputs", None) or []]
    return declared if sorted(declared) == sorted(names) else names


def keras_to_onnx(
    model,
    *,
    latent_dim: int,
    opset: int,
    input_name: str = "z",
    output_name: str = "spectrogram",
    noise_shape: tuple[int, ...] | None = None,
    noise_name: str = "noise",
) -> onnx.ModelProto:
    """Convert a generator to an ONNX model.

    A generator without a noise input: ``z [batch, latent_dim] → output``. With one
    (``noise_shape`` given: a waveform generator's [clip_samples], a full-resolution
    generator's [n_frames, n_bins, 2]): ``(z [batch, latent_dim], noise [batch,
    *noise_shape]) → output``; the Keras model is called with its inputs in the order it
    declares them (by name), the ONNX graph lists ``z`` first.

    The model runs in inference mode (``training=False``). Names and batch dimension are
    tf2onnx's; :mod:`mockingbot.export.graph` tidies them.

    Args:
        model: a Keras 3 model with one float32 input of shape [batch, latent_dim], or two
            (``z`` and ``noise``) for a generator with a noise input.
        latent_dim: size of the latent input.
        opset: ONNX opset, :data:`MIN_OPSET` … :func:`max_opset`.
        input_name, output_name: names given to the graph's latent input and its output.
        noise_shape: per-example shape of the noise input; ``None`` for a generator
            without one.
        noise_name: name of the noise input.

    Raises:
        ParameterError: ``opset`` outside the supported range.
        ModelError: the graph has ops tf2onnx cannot convert or the result fails
            ``onnx.checker``.
    """
    top = max_opset()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= top:
        raise ParameterError(
            f"--opset must be between {MIN_OPSET} and {top} (tf2onnx {tf2onnx.__version__}), "
            f"got {opset!r}"
        )
    if noise_shape is None:
        names = [input_name]
        signature = [tf.TensorSpec((None, latent_dim), tf.float32, name=input_name)]

        @tf.function(input_signature=signature)
        def generate(z):
            return model(z, training=False)

    else:
        names = [input_name, noise_name]
        order = _keras_input_order(model, names)
        signature = [
            tf.TensorSpec((None, latent_dim), tf.float32, name=input_name),
            tf.TensorSpec((None, *map(int, noise_shape)), tf.float32, name=noise_name),
        ]

        @tf.function(input_signature=signature)
        def generate(z, noise):
            feeds = {input_name: z, noise_name: noise}
            return model([feeds[n] for n in order], training=False)

    with _quiet_loggers():
        concrete = generate.get_concrete_function()
        frozen = convert_variables_to_constants_v2(
            concrete, lower_control_flow=False, aggressive_inlining=True
        )
        graph_def = frozen.graph.as_graph_def(add_shapes=True)
        inputs = [t.name for t in frozen.inputs]
        outputs = [t.name for t in frozen.outputs]
        # frozen tensors are named "<signature name>:0"; map them back by that name
        by_name = {t.split(":")[0]: t for t in inputs}
        if sorted(by_name) != sorted(names) or len(inputs) != len(names) or len(outputs) != 1:
            raise ModelError(
                f"the generator must have the inputs {names} and one output after freezing, "
                f"got inputs {inputs} and outputs {outputs}"
            )
        inputs = [by_name[n] for n in names]
        proto, _ = tf2onnx.convert.from_graph_def(
            graph_def,
            name="generator",
            input_names=inputs,
            output_names=outputs,
            opset=opset,
            tensors_to_rename={**dict(zip(inputs, names)), outputs[0]: output_name},
        )
    proto.producer_version = tf2onnx.__version__
    unconverted = sorted({n.op_type for n in proto.graph.node if n.domain not in ("", "ai.onnx")})
    if unconverted:
        raise ModelError(
            f"tf2onnx could not convert these TensorFlow ops to ONNX opset {opset}: "
            f"{', '.join(unconverted)}"
        )
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"the converted model fails onnx.checker ({first})") from None
    return proto
