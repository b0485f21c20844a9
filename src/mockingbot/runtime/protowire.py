"""Read the facts ``mbot info`` needs straight from an ONNX file's protobuf bytes.

The runtime install has onnxruntime but not the ``onnx`` package (it is a ``[train]``
dependency), and onnxruntime does not expose the opset, the initializers or the raw
metadata of a model. An ONNX file is one protobuf ``ModelProto``; the few fields needed
here are reachable with a ~100-line reader of the protobuf wire format, so ``mbot info``
works in a runtime-only install, imports nothing heavy and never builds an inference
session.

Only what is read is decoded; everything else (node lists, raw weight bytes) is skipped by
length. Field numbers are those of ``onnx/onnx.proto3`` (stable since ONNX 1.0):

- ``ModelProto``: 1 ir_version, 2 producer_name, 3 producer_version, 5 model_version,
  7 graph, 8 opset_import, 14 metadata_props.
- ``GraphProto``: 2 name, 5 initializer, 11 input, 12 output, 15 sparse_initializer.
- ``TensorProto``: 1 dims, 2 data_type, 8 name, 13 external_data, 14 data_location.
- Where tensors hide (for :attr:`ModelSummary.external_data`): ``GraphProto`` 1 node,
  5 initializer, 15 sparse_initializer; ``NodeProto`` 5 attribute; ``AttributeProto`` 5 t,
  6 g, 10 tensors, 11 graphs, 22 sparse_tensor, 23 sparse_tensors; ``SparseTensorProto``
  1 values, 2 indices; ``ModelProto`` 25 functions → ``FunctionProto`` 7 node.
- ``ValueInfoProto`` → ``TypeProto`` (1 tensor_type) → elem_type (1), shape (2) →
  dim (1) → dim_value (1) | dim_param (2).

Contents: :func:`read_model_summary` (the facts), :func:`content_hash` (sha256 of the model
without its metadata, the value the exporter stores in ``mbot.content_hash``).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator

from mockingbot.errors import ModelError

__all__ = [
    "METADATA_FIELD",
    "ONNX_DTYPES",
    "ModelSummary",
    "TensorInfo",
    "content_hash",
    "read_model_summary",
]

#: ``ModelProto.metadata_props``: the field left out of :func:`content_hash`.
METADATA_FIELD = 14

#: ``TensorProto.DataType`` codes → names (ONNX's own spelling, lower case).
ONNX_DTYPES = {
    1: "float",
    2: "uint8",
    3: "int8",
    4: "uint16",
    5: "int16",
    6: "int32",
    7: "int64",
    8: "string",
    9: "bool",
    10: "float16",
    11: "double",
    12: "uint32",
    13: "uint64",
    16: "bfloat16",
}

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_MAX_VARINT_BYTES = 10


class _Truncated(Exception):
    """The byte stream ended inside a field or holds an impossible wire type."""


class _TooDeep(Exception):
    """Subgraphs nest deeper than :data:`_MAX_NESTING`."""


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """A graph input or output: name, element type and shape (ints or symbolic names)."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]


@dataclasses.dataclass(frozen=True)
class ModelSummary:
    """What :func:`read_model_summary` found in an ONNX file."""

    ir_version: int
    producer: str
    opsets: dict[str, int]
    graph_name: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    metadata: dict[str, str]
    parameters: int
    initializers: int
    parameters_by_dtype: dict[str, int]
    content_hash: str
    #: ``location`` of every tensor stored outside the file (external data), as written in
    #: the model: onnxruntime opens these paths relative to the model's folder, so a hostile
    #: model can name ``../../etc/passwd`` or an absolute path (see
    #: :func:`mockingbot.runtime.preflight.check_model_file`).
    external_data: tuple[str, ...] = ()

    @property
    def opset(self) -> int:
        """Version of the default (``ai.onnx``) operator set."""
        return self.opsets.get("", self.opsets.get("ai.onnx", 0))


# ---------------------------------------------------------------------------- wire format
def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    for i in range(_MAX_VARINT_BYTES):
        if pos + i >= len(buf):
            raise _Truncated
        byte = buf[pos + i]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos + i + 1
        shift += 7
    raise _Truncated


def _fields(buf: memoryview) -> Iterator[tuple[int, int, int, int, object]]:
    """Yield ``(field_number, wire_type, start, end, value)`` for each field record.

    ``value`` is the integer for varint/fixed fields and a memoryview of the payload for
    length-delimited ones; ``start:end`` spans the whole record (tag included).
    """
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise _Truncated
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _LEN:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise _Truncated
            value, pos = buf[pos : pos + n], pos + n
        elif wire in (_I64, _I32):
            size = 8 if wire == _I64 else 4
            if pos + size > len(buf):
                raise _Truncated
            value, pos = int.from_bytes(buf[pos : pos + size], "little"), pos + size
        else:  # groups (3, 4) are not used by ONNX; anything else is not protobuf
            raise _Truncated
        yield field, wire, start, pos, value


def _text(value: object) -> str:
    return bytes(value).decode("utf-8", errors="replace")  # type: ignore[arg-type]


def _packed_varints(value: object, wire: int) -> list[int]:
    if wire == _VARINT:
        return [int(value)]  # type: ignore[arg-type]
    out, pos, buf = [], 0, value
    while pos < len(buf):  # type: ignore[arg-type]
        v, pos = _varint(buf, pos)  # type: ignore[arg-type]
        out.append(v)
    return out


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


# ---------------------------------------------------------------------------- messages
def _tensor_size(buf: memoryview) -> tuple[int, int]:
    """``TensorProto`` → (number of elements, data type code)."""
    dims: list[int] = []
    dtype = 0
    for field, wire, _, _, value in _fields(buf):
        if field == 1:
            dims.extend(_signed64(v) for v in _packed_varints(value, wire))
        elif field == 2 and wire == _VARINT:
            dtype = int(value)  # type: ignore[arg-type]
    n = 1
    for d in dims:
        n *= max(d, 0)
    return n, dtype


def _sparse_tensor_size(buf: memoryview) -> tuple[int, int]:
    """``SparseTensorProto`` → (stored values, data type): field 1 is its values tensor."""
    for field, wire, _, _, value in _fields(buf):
        if field == 1 and wire == _LEN:
            return _tensor_size(value)  # type: ignore[arg-type]
    return 0, 0


def _value_info(buf: memoryview) -> TensorInfo:
    name, dtype, shape = "", "unknown", ()
    for field, wire, _, _, value in _fields(buf):
        if field == 1 and wire == _LEN:
            name = _text(value)
        elif field == 2 and wire == _LEN:  # TypeProto
            for f2, w2, _, _, v2 in _fields(value):  # type: ignore[arg-type]
                if f2 == 1 and w2 == _LEN:  # tensor_type
                    dtype, shape = _tensor_type(v2)  # type: ignore[arg-type]
    return TensorInfo(name=name, dtype=dtype, shape=shape)


def _tensor_type(buf: memoryview) -> tuple[str, tuple[int | str, ...]]:
    dtype, dims = "unknown", []
    for field, wire, _, _, value in _fields(buf):
        if field == 1 and wire == _VARINT:
            dtype = ONNX_DTYPES.get(int(value), f"type {value}")  # type: ignore[arg-type]
        elif field == 2 and wire == _LEN:  # TensorShapeProto
            for f2, w2, _, _, v2 in _fields(value):  # type: ignore[arg-type]
                if f2 == 1 and w2 == _LEN:
                    dims.append(_dim(v2))  # type: ignore[arg-type]
    return dtype, tuple(dims)


def _dim(buf: memoryview) -> int | str:
    for field, wire, _, _, value in _fields(buf):
        if field == 1 and wire == _VARINT:
            return _signed64(int(value))  # type: ignore[arg-type]
        if field == 2 and wire == _LEN:
            return _text(value)
    return "?"


def _pair(buf: memoryview) -> tuple[str, str]:
    """``StringStringEntryProto`` or ``OperatorSetIdProto`` fields 1 and 2, as text."""
    first, second = "", ""
    for field, wire, _, _, value in _fields(buf):
        if field == 1 and wire == _LEN:
            first = _text(value)
        elif field == 2:
            second = _text(value) if wire == _LEN else str(value)
    return first, second


# ---------------------------------------------------------------------------- public API
def content_hash(data: bytes) -> str:
    """sha256 (hex) of a serialized ``ModelProto`` with every ``metadata_props`` record removed.

    Dropping the field-14 records from the byte stream gives exactly the bytes the model
    serializes to without its metadata (protobuf writes each field as a separate record), so
    this equals ``sha256(m.SerializeToString())`` after ``del m.metadata_props[:]`` for a
    file written by ``SerializeToString`` — the definition the exporter uses.

    Raises:
        ModelError: the bytes are not a protobuf message.
    """
    buf = memoryview(data)
    h = hashlib.sha256()
    try:
        for field, _, start, end, _ in _fields(buf):
            if field != METADATA_FIELD:
                h.update(buf[start:end])
    except _Truncated:
        raise ModelError("not an ONNX model (the protobuf data is truncated or corrupt)") from None
    return h.hexdigest()


def read_model_summary(data: bytes, *, source: str = "model") -> ModelSummary:
    """Decode the facts of an ONNX ``ModelProto`` from its serialized bytes.

    Args:
        data: the file's bytes (external-data tensors are counted from their dims).
        source: how to name the file in error messages.

    Raises:
        ModelError: the bytes are not a protobuf message, or hold no graph.
    """
    buf = memoryview(data)
    ir_version, producer, opsets, metadata = 0, "", {}, {}
    graph: memoryview | None = None
    h = hashlib.sha256()
    try:
        for field, wire, start, end, value in _fields(buf):
            if field != METADATA_FIELD:
                h.update(buf[start:end])
            if field == 1 and wire == _VARINT:
                ir_version = int(value)  # type: ignore[arg-type]
            elif field == 2 and wire == _LEN:
                producer = _text(value)
            elif field == 3 and wire == _LEN:
                producer = f"{producer} {_text(value)}".strip()
            elif field == 7 and wire == _LEN:
                graph = value  # type: ignore[assignment]
            elif field == 8 and wire == _LEN:
                domain, version = _pair(value)  # type: ignore[arg-type]
                opsets[domain] = int(version or 0)
            elif field == METADATA_FIELD and wire == _LEN:
                key, text = _pair(value)  # type: ignore[arg-type]
                metadata[key] = text
        if graph is None or ir_version == 0:
            raise ModelError(f"{source} is not an ONNX model (no graph or IR version found)")
        summary = _graph_summary(
            graph,
            ir_version=ir_version,
            producer=producer,
            opsets=opsets,
            metadata=metadata,
            digest=h.hexdigest(),
        )
        return dataclasses.replace(summary, external_data=_external_locations(buf))
    except _Truncated:
        raise ModelError(
            f"{source} is not an ONNX model (the protobuf data is truncated or corrupt)"
        ) from None
    except _TooDeep:
        raise ModelError(
            f"{source}: subgraphs are nested more than {_MAX_NESTING} deep; not a MockingBot "
            "generator"
        ) from None
    except (ValueError, OverflowError) as exc:
        raise ModelError(f"{source} is not a readable ONNX model ({exc})") from None


def _graph_summary(graph: memoryview, **facts: object) -> ModelSummary:
    name = ""
    inputs: list[TensorInfo] = []
    outputs: list[TensorInfo] = []
    init_names: set[str] = set()
    by_dtype: dict[str, int] = {}
    count = 0
    for field, wire, _, _, value in _fields(graph):
        if wire != _LEN:
            continue
        if field == 2:
            name = _text(value)
        elif field in (5, 15):
            n, code = (_tensor_size if field == 5 else _sparse_tensor_size)(value)  # type: ignore[arg-type]
            key = ONNX_DTYPES.get(code, f"type {code}")
            by_dtype[key] = by_dtype.get(key, 0) + n
            count += 1
            if field == 5:
                init_names.add(_initializer_name(value))  # type: ignore[arg-type]
        elif field == 11:
            inputs.append(_value_info(value))  # type: ignore[arg-type]
        elif field == 12:
            outputs.append(_value_info(value))  # type: ignore[arg-type]
    # Before IR 4, initializers were also listed as graph inputs; they are not real inputs.
    real_inputs = tuple(i for i in inputs if i.name not in init_names)
    return ModelSummary(
        ir_version=int(facts["ir_version"]),  # type: ignore[arg-type]
        producer=str(facts["producer"]),
        opsets=dict(facts["opsets"]),  # type: ignore[arg-type]
        graph_name=name,
        inputs=real_inputs,
        outputs=tuple(outputs),
        metadata=dict(facts["metadata"]),  # type: ignore[arg-type]
        parameters=sum(by_dtype.values()),
        initializers=count,
        parameters_by_dtype=dict(sorted(by_dtype.items())),
        content_hash=str(facts["digest"]),
    )


def _initializer_name(buf: memoryview) -> str:
    for field, wire, _, _, value in _fields(buf):
        if field == 8 and wire == _LEN:
            return _text(value)
    return ""


# ---------------------------------------------------------------------------- external data
#: Nesting (graphs in If/Loop attributes) deeper than this is refused: protobuf's own
#: parsers stop at 100 levels, and a real generator has none.
_MAX_NESTING = 32


def _external_locations(model: memoryview) -> tuple[str, ...]:
    """Every external-data ``location`` in the model: initializers, constants, subgraphs,
    functions. Why all of them: onnxruntime resolves each one relative to the model's folder
    and reads it, wherever in the graph the tensor sits."""
    found: list[str] = []
    for field, wire, _, _, value in _fields(model):
        if wire != _LEN:
            continue
        if field == 7:  # graph
            _graph_locations(value, found, 0)  # type: ignore[arg-type]
        elif field == 25:  # functions → their nodes
            for f2, w2, _, _, v2 in _fields(value):  # type: ignore[arg-type]
                if f2 == 7 and w2 == _LEN:
                    _node_locations(v2, found, 1)  # type: ignore[arg-type]
    return tuple(found)


def _graph_locations(graph: memoryview, found: list[str], depth: int) -> None:
    if depth > _MAX_NESTING:
        raise _TooDeep
    for field, wire, _, _, value in _fields(graph):
        if wire != _LEN:
            continue
        if field == 1:
            _node_locations(value, found, depth)  # type: ignore[arg-type]
        elif field == 5:
            _tensor_locations(value, found)  # type: ignore[arg-type]
        elif field == 15:
            _sparse_locations(value, found)  # type: ignore[arg-type]


def _node_locations(node: memoryview, found: list[str], depth: int) -> None:
    for field, wire, _, _, attr in _fields(node):
        if field != 5 or wire != _LEN:
            continue
        for f2, w2, _, _, value in _fields(attr):  # type: ignore[arg-type]
            if w2 != _LEN:
                continue
            if f2 in (5, 10):
                _tensor_locations(value, found)  # type: ignore[arg-type]
            elif f2 in (6, 11):
                _graph_locations(value, found, depth + 1)  # type: ignore[arg-type]
            elif f2 in (22, 23):
                _sparse_locations(value, found)  # type: ignore[arg-type]


def _sparse_locations(sparse: memoryview, found: list[str]) -> None:
    for field, wire, _, _, value in _fields(sparse):
        if field in (1, 2) and wire == _LEN:
            _tensor_locations(value, found)  # type: ignore[arg-type]


def _tensor_locations(tensor: memoryview, found: list[str]) -> None:
    for field, wire, _, _, value in _fields(tensor):
        if field == 13 and wire == _LEN:
            key, text = _pair(value)  # type: ignore[arg-type]
            if key == "location":
                found.append(text)
