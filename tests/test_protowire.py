"""The pure-Python ONNX reader agrees with the onnx package on every fact `mbot info` shows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_tiny_onnx
from mockingbot.errors import ModelError
from mockingbot.runtime.protowire import content_hash, read_model_summary

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

_DTYPES = {
    "float": np.float32,
    "float16": np.float16,
    "int8": np.int8,
    "int64": np.int64,
    "double": np.float64,
}


def test_summary_matches_onnx_on_the_tiny_generator(tmp_path: Path) -> None:
    path = make_tiny_onnx(tmp_path / "tiny.onnx", latent_dim=8)
    model = onnx.load(str(path))
    s = read_model_summary(path.read_bytes())
    assert s.opset == 17 and s.ir_version == model.ir_version
    assert s.parameters == sum(numpy_helper.to_array(t).size for t in model.graph.initializer)
    assert s.initializers == len(model.graph.initializer)
    assert [(t.name, t.dtype, t.shape) for t in s.inputs] == [("z", "float", ("batch", 8))]
    assert [(t.name, t.shape) for t in s.outputs] == [("spectrogram", ("batch", 128, 64))]
    assert s.metadata == {p.key: p.value for p in model.metadata_props}
    assert s.graph_name == "tiny"


def test_content_hash_ignores_only_the_metadata(tmp_path: Path) -> None:
    path = make_tiny_onnx(tmp_path / "tiny.onnx")
    model = onnx.load(str(path))
    before = content_hash(path.read_bytes())
    del model.metadata_props[:]
    assert before == hashlib.sha256(model.SerializeToString()).hexdigest()
    helper.set_model_props(model, {"anything": "else"})
    assert content_hash(model.SerializeToString()) == before
    model.graph.initializer[0].raw_data = b"\0" * len(model.graph.initializer[0].raw_data)
    assert content_hash(model.SerializeToString()) != before


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is not onnx", b"\x08", b"\x3a\xff\xff\xff\x0f", b"\x0b\x0c"],
)
def test_garbage_is_a_model_error(data: bytes) -> None:
    with pytest.raises(ModelError, match="not an ONNX model"):
        read_model_summary(data, source="x.onnx")


def test_truncated_model_is_a_model_error(tmp_path: Path) -> None:
    data = make_tiny_onnx(tmp_path / "tiny.onnx").read_bytes()
    with pytest.raises(ModelError, match="truncated or corrupt"):
        read_model_summary(data[: len(data) // 2])


@settings(max_examples=40, deadline=None)
@given(
    shapes=st.lists(
        st.tuples(
            st.sampled_from(sorted(_DTYPES)),
            st.lists(st.integers(0, 6), min_size=0, max_size=4),
        ),
        min_size=0,
        max_size=6,
    ),
    raw=st.booleans(),
    batch=st.one_of(st.integers(1, 300), st.sampled_from(["batch", "N"])),
)
def test_parameter_count_and_shapes_match_onnx(shapes, raw: bool, batch) -> None:
    rng = np.random.default_rng(0)
    inits = []
    for i, (dtype, dims) in enumerate(shapes):
        a = (rng.standard_normal(dims) * 10).astype(_DTYPES[dtype])
        t = numpy_helper.from_array(a, f"w{i}")
        if not raw and dtype in ("float", "int64"):  # typed fields instead of raw bytes
            t = helper.make_tensor(f"w{i}", t.data_type, dims, a.ravel().tolist())
        inits.append(t)
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 3])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    s = read_model_summary(model.SerializeToString())
    assert s.parameters == sum(int(np.prod(t.dims)) for t in inits)
    assert s.initializers == len(inits)
    assert s.inputs[0].shape == (batch, 3) and s.outputs[0].shape == (batch, 3)
    assert s.opset == 13
