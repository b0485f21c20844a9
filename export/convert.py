"""Keras generator → ONNX graph with tf2onnx (TensorFlow side of the export).

Why not ``tf2onnx.convert.from_keras``: it is broken for Keras 3 (see
``shared/reference/tf2onnx.md``). Why not ``from_function`` either: it lists *every* input of
the traced function as a graph input, and a Keras layer that keeps ``tf.constant`` tensors
(the harmonic synth's bin frequencies, harmonic numbers and noise-band matrix) turns them
into captured inputs, so the ONNX model would demand three extra feeds. Instead the
generator is traced with one explicit input, frozen with TensorFlow's
``convert_variables_to_constants_v2`` (which folds variables *and* captured tensors into
constants) and the frozen graph goes through ``tf2onnx.convert.from_graph_def`` with ``z``
as its only input.

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


def keras_to_onnx(
    model, *, latent_dim: int, opset: int, input_name: str = "z", output_name: str = "spectrogram"
) -> onnx.ModelProto:
    """Convert a generator ``z [batch, latent_dim] → spectrogram`` to an ONNX model.

    The model runs in inference mode (``training=False``). Names and batch dimension are
    tf2onnx's; :mod:`mockingbot.export.graph` tidies them.

    Args:
        model: a Keras 3 model with one float32 input of shape [batch, latent_dim].
        latent_dim: size of the latent input.
        opset: ONNX opset, :data:`MIN_OPSET` … :func:`max_opset`.
        input_name, output_name: names given to the graph's input and output.

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
    signature = [tf.TensorSpec((None, latent_dim), tf.float32, name=input_name)]

    @tf.function(input_signature=signature)
    def generate(z):
        return model(z, training=False)

    with _quiet_loggers():
        concrete = generate.get_concrete_function()
        frozen = convert_variables_to_constants_v2(
            concrete, lower_control_flow=False, aggressive_inlining=True
        )
        graph_def = frozen.graph.as_graph_def(add_shapes=True)
        inputs = [t.name for t in frozen.inputs]
        outputs = [t.name for t in frozen.outputs]
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError(
                f"the generator must have one input and one output after freezing, got "
                f"inputs {inputs} and outputs {outputs}"
            )
        proto, _ = tf2onnx.convert.from_graph_def(
            graph_def,
            name="generator",
            input_names=inputs,
            output_names=outputs,
            opset=opset,
            tensors_to_rename={inputs[0]: input_name, outputs[0]: output_name},
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
