"""Tidy a converted ONNX graph: stable names, a named batch dimension, smaller weight storage.

Pure ``onnx`` (no TensorFlow). The exporter runs these on tf2onnx's output so that

- the same checkpoint always exports to the same bytes: tf2onnx and Keras name nodes and
  tensors with process-wide counters (``reshape_5_1``, ``Shape__360``, ``unk__335``), which
  change with whatever was built earlier in the process. :func:`canonicalize` renames every
  node and internal tensor by its position in the (already topologically sorted) graph;
- the batch dimension of the input and output is called ``batch`` (:func:`name_batch_dim`);
- a model can store its weights in half precision (:func:`store_weights`) while still
  computing in float32. int8 storage is implemented too, for ``benchmarks/export_bench.py``:
  it was measured and is not offered by ``mbot export onnx`` (``docs/export.md``).

Contents: :func:`canonicalize`, :func:`name_batch_dim`, :func:`store_weights`,
:data:`WEIGHT_STORAGE`, :func:`serialize_without_metadata`.
"""

from __future__ import annotations

import hashlib
import heapq

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mockingbot.errors import ParameterError

__all__ = [
    "BATCH_DIM",
    "MIN_WEIGHT_ELEMENTS",
    "WEIGHT_STORAGE",
    "canonicalize",
    "name_batch_dim",
    "serialize_without_metadata",
    "store_weights",
]

#: Symbolic name of the dynamic batch dimension of the input and output.
BATCH_DIM = "batch"

#: Weight tensors smaller than this stay float32: they save nothing and biases/small
#: constants are where rounding hurts most relative to their size.
MIN_WEIGHT_ELEMENTS = 1024

#: Weight storage formats :func:`store_weights` knows. ``fp32`` leaves the graph alone.
WEIGHT_STORAGE = ("fp32", "fp16", "int8")

#: For int8: the axis of a weight tensor that indexes output channels, per consuming op
#: (weights are the op's input 1). One scale per output channel keeps the rounding error
#: proportional to each channel's own range.
_OUTPUT_CHANNEL_AXIS = {"Conv": 0, "ConvTranspose": 1, "MatMul": -1}
_INT8_MAX = 127


def serialize_without_metadata(model: onnx.ModelProto) -> bytes:
    """The model's serialized bytes with ``metadata_props`` left out (input to the content hash).

    Equal to :func:`mockingbot.runtime.protowire.content_hash`'s view of the saved file.
    """
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    del bare.metadata_props[:]
    return bare.SerializeToString()


def name_batch_dim(model: onnx.ModelProto, *, name: str = BATCH_DIM) -> None:
    """Give dimension 0 of every graph input and output the symbolic name ``name`` (in place)."""
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = name


def _has_subgraphs(graph: onnx.GraphProto) -> bool:
    kinds = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
    return any(a.type in kinds for n in graph.node for a in n.attribute)


def _digest(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.digest()


def _structural_order(g: onnx.GraphProto) -> list[onnx.NodeProto]:
    """The graph's nodes in a topological order that does not depend on any name.

    A valid topological order is not unique, and tf2onnx picks one by tensor names, which
    carry process-wide counters. Here every tensor gets a structural digest — a graph input
    its name, an initializer its contents, a node output the digest of (op, attributes,
    input digests, output index) — and Kahn's algorithm always emits the ready node with the
    smallest digest. Equal graphs thus list their nodes in equal order.
    """
    tensor: dict[str, bytes] = {v.name: _digest(b"input", v.name.encode()) for v in g.input}
    for init in g.initializer:
        bare = onnx.TensorProto()
        bare.CopyFrom(init)
        bare.name = ""
        tensor[init.name] = _digest(b"init", bare.SerializeToString())
    node_key: list[bytes] = []
    for node in g.node:  # stored order is topological (onnx.checker enforces it)
        attrs = b"".join(a.SerializeToString() for a in node.attribute)
        ins = [tensor.get(x, _digest(b"missing", x.encode())) for x in node.input]
        key = _digest(node.domain.encode(), node.op_type.encode(), attrs, *ins)
        node_key.append(key)
        for k, out in enumerate(node.output):
            tensor[out] = _digest(key, k.to_bytes(4, "little"))
    producer = {out: j for j, node in enumerate(g.node) for out in node.output if out}
    waiting = [0] * len(g.node)
    users: list[list[int]] = [[] for _ in g.node]
    for j, node in enumerate(g.node):
        deps = {producer[x] for x in node.input if x in producer}
        waiting[j] = len(deps)
        for d in deps:
            users[d].append(j)
    ready = [(node_key[j], j) for j in range(len(g.node)) if waiting[j] == 0]
    heapq.heapify(ready)
    order: list[onnx.NodeProto] = []
    while ready:
        _, j = heapq.heappop(ready)
        order.append(g.node[j])
        for u in users[j]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, (node_key[u], u))
    return [_copy(n) for n in order]


def _copy(node: onnx.NodeProto) -> onnx.NodeProto:
    out = onnx.NodeProto()
    out.CopyFrom(node)
    return out


def canonicalize(model: onnx.ModelProto, *, graph_name: str = "mockingbot_generator") -> None:
    """Order and name the graph so that equal graphs serialize to equal bytes.

    Nodes are listed in a name-independent topological order (:func:`_structural_order`);
    node ``j`` becomes ``<OpType>_<j>`` and its outputs ``<OpType>_<j>`` (``<OpType>_<j>_<k>``
    for the k-th of several). Initializers are ordered by first use and become
    ``init_<i>``. Graph inputs and outputs keep their names (``z``, ``spectrogram``). A
    graph with control-flow subgraphs keeps its order and tensor names (subgraphs may refer
    to them) and only loses its node names' counters. In place.
    """
    g = model.graph
    g.name = graph_name
    g.doc_string = ""
    model.doc_string = ""
    if not _has_subgraphs(g):
        nodes = _structural_order(g)
        del g.node[:]
        g.node.extend(nodes)
    for j, node in enumerate(g.node):
        node.name = f"{node.op_type}_{j}"
        node.doc_string = ""
    if _has_subgraphs(g):
        return
    keep = {v.name for v in g.input} | {v.name for v in g.output}
    # tf2onnx stores initializers in set order (varies with PYTHONHASHSEED): order them by
    # their first use in the node list instead; unused ones (none in practice) by content.
    first_use: dict[str, tuple[int, int]] = {}
    for j, node in enumerate(g.node):
        for k, name in enumerate(node.input):
            first_use.setdefault(name, (j, k))
    unused = (len(g.node), 0)
    inits = sorted(
        g.initializer,
        key=lambda t: (
            *first_use.get(t.name, unused),
            t.SerializeToString() if t.name not in first_use else b"",
        ),
    )
    rename: dict[str, str] = {}
    for i, init in enumerate(inits):
        if init.name not in keep:
            rename[init.name] = f"init_{i}"
    for j, node in enumerate(g.node):
        for k, out in enumerate(node.output):
            if out and out not in keep:
                rename[out] = f"{node.op_type}_{j}" if len(node.output) == 1 else f"{node.name}_{k}"
    ordered = [onnx.TensorProto() for _ in inits]
    for copy, init in zip(ordered, inits):
        copy.CopyFrom(init)
        copy.name = rename.get(init.name, init.name)
    del g.initializer[:]
    g.initializer.extend(ordered)
    for node in g.node:
        node.input[:] = [rename.get(x, x) for x in node.input]
        node.output[:] = [rename.get(x, x) for x in node.output]
    for value in g.value_info:
        value.name = rename.get(value.name, value.name)


def store_weights(model: onnx.ModelProto, storage: str) -> int:
    """Store large weights as ``fp16`` or per-channel ``int8``; computation stays float32.

    - ``fp16``: each weight becomes a float16 initializer followed by ``Cast(to=float)``.
      onnxruntime folds the cast when it loads the session, so inference runs the same
      float32 kernels as the fp32 model; only the rounding of the weights to 11 significant
      bits differs.
    - ``int8``: symmetric per-output-channel quantisation (``scale = max|w| / 127``) decoded
      by ``DequantizeLinear`` (opset ≥ 13) in the graph; activations stay float32.

    A *weight* is a float32 initializer of at least :data:`MIN_WEIGHT_ELEMENTS` elements used
    only as input 1 of Conv/ConvTranspose/MatMul (the int8 axis must be known); everything
    else is left alone. In place.

    Returns:
        the number of initializers converted.

    Raises:
        ParameterError: unknown ``storage``, or ``int8`` with an opset below 13.
    """
    if storage not in WEIGHT_STORAGE:
        raise ParameterError(
            f"unknown weight storage {storage!r} (known: {', '.join(WEIGHT_STORAGE)})"
        )
    if storage == "fp32":
        return 0
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if storage == "int8" and opset < 13:
        raise ParameterError(f"int8 weights need opset 13 or newer (per-channel), got {opset}")
    g = model.graph
    uses: dict[str, list[tuple[str, int]]] = {}
    for node in g.node:
        for idx, name in enumerate(node.input):
            uses.setdefault(name, []).append((node.op_type, idx))
    kept: list[TensorProto] = []
    decoders: list[onnx.NodeProto] = []
    converted = 0
    for init in g.initializer:
        use = uses.get(init.name, [])
        is_weight = (
            init.data_type == TensorProto.FLOAT
            and int(np.prod(init.dims)) >= MIN_WEIGHT_ELEMENTS
            and len(use) == 1
            and use[0][1] == 1
            and use[0][0] in _OUTPUT_CHANNEL_AXIS
        )
        if not is_weight:
            kept.append(init)
            continue
        w = numpy_helper.to_array(init)
        if storage == "fp16":
            stored = f"{init.name}_fp16"
            kept.append(numpy_helper.from_array(w.astype(np.float16), stored))
            decoders.append(helper.make_node("Cast", [stored], [init.name], to=TensorProto.FLOAT))
        else:
            axis = _OUTPUT_CHANNEL_AXIS[use[0][0]] % w.ndim
            q, scale = _quantize_per_channel(w, axis)
            names = [f"{init.name}_int8", f"{init.name}_scale", f"{init.name}_zero"]
            kept += [
                numpy_helper.from_array(q, names[0]),
                numpy_helper.from_array(scale, names[1]),
                numpy_helper.from_array(np.zeros(scale.shape, np.int8), names[2]),
            ]
            decoders.append(helper.make_node("DequantizeLinear", names, [init.name], axis=axis))
        converted += 1
    del g.initializer[:]
    g.initializer.extend(kept)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(decoders + nodes)  # decoders first keeps the graph topologically sorted
    return converted


def _quantize_per_channel(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 codes and float32 scales (one per index of ``axis``)."""
    reduce = tuple(i for i in range(w.ndim) if i != axis)
    peak = np.abs(w).max(axis=reduce).astype(np.float32)
    scale = np.where(peak > 0, peak / _INT8_MAX, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -_INT8_MAX, _INT8_MAX).astype(np.int8)
    return q, scale
