"""Graph tidying: name-independent order and names, the batch dimension, fp16/int8 weights."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from mockingbot.errors import ParameterError  # noqa: E402
from mockingbot.export import graph  # noqa: E402


def _mlp(order: list[int], names: str = "a", seed: int = 0) -> onnx.ModelProto:
    """z → two parallel MatMul branches → Add → Conv-free MLP. ``order`` permutes the two
    independent branches' nodes (both orders are topological); ``names`` changes every
    internal name, as tf2onnx's counters do between processes."""
    r = np.random.default_rng(seed)
    w1 = numpy_helper.from_array(r.standard_normal((8, 256)).astype(np.float32), f"{names}_w1")
    w2 = numpy_helper.from_array(r.standard_normal((8, 256)).astype(np.float32), f"{names}_w2")
    b = numpy_helper.from_array(np.float32([0.5]), f"{names}_b")
    branch1 = [
        helper.make_node("MatMul", ["z", w1.name], [f"{names}_h1"], name=f"{names}_m1"),
        helper.make_node("Tanh", [f"{names}_h1"], [f"{names}_t1"], name=f"{names}_tanh"),
    ]
    branch2 = [
        helper.make_node("MatMul", ["z", w2.name], [f"{names}_h2"], name=f"{names}_m2"),
        helper.make_node("Add", [f"{names}_h2", b.name], [f"{names}_t2"], name=f"{names}_add"),
    ]
    first, second = (branch1, branch2) if order == [0, 1] else (branch2, branch1)
    nodes = [*first, *second, helper.make_node("Mul", [f"{names}_t1", f"{names}_t2"], ["y"])]
    inits = [w1, w2, b] if order == [0, 1] else [b, w2, w1]
    g = helper.make_graph(
        nodes,
        f"{names}_graph",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["unk__1", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["unk__2", 256])],
        initializer=inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _run(model: onnx.ModelProto, z: np.ndarray) -> np.ndarray:
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {"z": z})[0]


def test_equal_graphs_serialize_to_equal_bytes_whatever_their_names_and_order() -> None:
    a, b = _mlp([0, 1], "a"), _mlp([1, 0], "xyz_17")
    assert a.SerializeToString() != b.SerializeToString()
    for m in (a, b):
        graph.canonicalize(m)
        graph.name_batch_dim(m)
        onnx.checker.check_model(m, full_check=True)
    assert a.SerializeToString() == b.SerializeToString()
    assert [n.name for n in a.graph.node][-1] == "Mul_4"
    assert {i.name for i in a.graph.initializer} == {"init_0", "init_1", "init_2"}


def test_canonical_graph_computes_the_same_function() -> None:
    z = np.random.default_rng(1).standard_normal((5, 8)).astype(np.float32)
    model = _mlp([1, 0], "q")
    before = _run(model, z)
    graph.canonicalize(model)
    np.testing.assert_array_equal(_run(model, z), before)


def test_batch_dimension_is_named_batch() -> None:
    model = _mlp([0, 1])
    graph.name_batch_dim(model)
    for v in (*model.graph.input, *model.graph.output):
        assert v.type.tensor_type.shape.dim[0].dim_param == "batch"


@pytest.mark.parametrize(
    ("storage", "dtype", "rel"), [("fp16", np.float16, 1e-3), ("int8", np.int8, 5e-2)]
)
def test_weight_storage_shrinks_weights_and_keeps_float_io(storage, dtype, rel) -> None:
    z = np.random.default_rng(2).standard_normal((4, 8)).astype(np.float32)
    model = _mlp([0, 1])
    ref = _run(model, z)
    assert graph.store_weights(model, storage) == 2  # w1, w2 (the scalar bias is too small)
    onnx.checker.check_model(model, full_check=True)
    stored = {numpy_helper.to_array(t).dtype for t in model.graph.initializer}
    assert np.dtype(dtype) in stored
    out = _run(model, z)
    assert out.dtype == np.float32
    # error relative to the output range: fp16 keeps 11 bits, int8 per channel 7 bits + sign
    np.testing.assert_allclose(out, ref, atol=rel * np.abs(ref).max(), rtol=0)
    assert not np.array_equal(out, ref)


def test_int8_scales_are_per_output_channel() -> None:
    model = _mlp([0, 1])
    w = numpy_helper.to_array(model.graph.initializer[0])
    graph.store_weights(model, "int8")
    arrays = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    scale = arrays["a_w1_scale"]
    assert scale.shape == (256,)  # MatMul B [in, out]: one scale per output column
    np.testing.assert_allclose(scale, np.abs(w).max(axis=0) / 127, rtol=1e-6)
    decoded = arrays["a_w1_int8"].astype(np.float32) * scale
    assert np.abs(decoded - w).max() <= scale.max() / 2 + 1e-7


def test_weight_storage_rejects_unknown_formats_and_old_opsets() -> None:
    with pytest.raises(ParameterError, match="unknown weight storage"):
        graph.store_weights(_mlp([0, 1]), "int4")
    old = _mlp([0, 1])
    old.opset_import[0].version = 11
    with pytest.raises(ParameterError, match="opset 13"):
        graph.store_weights(old, "int8")
    assert graph.store_weights(_mlp([0, 1]), "fp32") == 0
