"""``mbot info``: what an ONNX generator says about itself, without TensorFlow or ``onnx``.

:func:`model_info` reads the file with the wire-format reader in
:mod:`mockingbot.runtime.protowire` (pure Python), so it works in a runtime-only install and
never builds an inference session. It reports the ``mbot.*`` metadata parsed and validated
by :class:`~mockingbot.model_meta.ModelMeta`, the graph's inputs and outputs, the opset,
the file size, the parameter count (elements of all initializers) and whether the stored
``mbot.content_hash`` still matches the graph and weights.

Contents: :func:`model_info`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mockingbot.errors import MockingBotError
from mockingbot.model_meta import PREFIX, ModelMeta

__all__ = ["model_info"]


def model_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Facts about an ONNX model file, as a JSON-ready dict.

    Keys: ``path``, ``size_bytes``, ``sha256`` (of the file), ``ir_version``, ``opset``,
    ``opsets`` (all domains), ``producer``, ``inputs``/``outputs`` (name, dtype, shape with
    symbolic dims as strings), ``parameters``, ``parameters_by_dtype``, ``initializers``,
    ``metadata`` (every metadata property, raw), ``mockingbot`` (the parsed
    :class:`~mockingbot.model_meta.ModelMeta` as a dict, or ``None``), ``mockingbot_error``
    (why it is ``None``), ``content_hash_ok`` (``True``/``False``; ``None`` when the model
    stores no hash).

    A file that is ONNX but not a MockingBot model still gets every structural fact.

    ``mockingbot_error`` also says when the inputs or output disagree with the metadata
    (the line ``render-pack`` would refuse the model with).

    Raises:
        ModelError: the file is missing, unreadable, empty, too large, not an ONNX model, or
            names external data outside its folder
            (:func:`~mockingbot.runtime.preflight.check_model_file`).

    Examples:
        >>> info = model_info("meows.onnx")  # doctest: +SKIP
        >>> info["mockingbot"]["spec"]["sr"], info["inputs"][0]["shape"]  # doctest: +SKIP
        (8000, ['batch', 64])
    """
    import hashlib

    from mockingbot.runtime.model import GeneratorModel, declared_signature
    from mockingbot.runtime.preflight import check_model_file

    path = Path(path)
    data, summary = check_model_file(path)

    parsed: dict[str, Any] | None = None
    error: str | None = None
    try:
        meta = ModelMeta.from_props(summary.metadata, source=str(path))
        parsed = _meta_dict(meta)
        # the check render-pack makes: info shows the model, and says why it would be refused
        GeneratorModel._check_signature(declared_signature(summary), meta, path)
    except MockingBotError as exc:
        error = str(exc)
    stored_hash = summary.metadata.get(PREFIX + "content_hash", "")
    return {
        "path": str(path),
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "ir_version": summary.ir_version,
        "opset": summary.opset,
        "opsets": summary.opsets,
        "producer": summary.producer,
        "graph_name": summary.graph_name,
        "inputs": [_tensor(t) for t in summary.inputs],
        "outputs": [_tensor(t) for t in summary.outputs],
        "parameters": summary.parameters,
        "parameters_by_dtype": summary.parameters_by_dtype,
        "initializers": summary.initializers,
        "metadata": dict(sorted(summary.metadata.items())),
        "mockingbot": parsed,
        "mockingbot_error": error,
        "content_hash": summary.content_hash,
        "content_hash_ok": (stored_hash == summary.content_hash) if stored_hash else None,
    }


def _tensor(t) -> dict[str, Any]:
    return {"name": t.name, "dtype": t.dtype, "shape": list(t.shape)}


def _meta_dict(meta: ModelMeta) -> dict[str, Any]:
    """The parsed metadata with the spec as a dict (not the JSON text stored in the file)."""
    props = meta.to_props()
    out: dict[str, Any] = {}
    for key, value in props.items():
        short = key[len(PREFIX) :]
        if short in ("spec", "dataset", "exporter"):
            out[short] = json.loads(value)
        elif short in ("latent_dim", "training_steps", "format_version", "phase_iterations"):
            out[short] = int(value)
        else:
            out[short] = value
    return out
