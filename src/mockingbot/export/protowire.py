"""Moved to :mod:`mockingbot.runtime.protowire` (#14): the runtime reads ONNX files too."""

# moved to runtime/protowire.py (#14); kept for export/onnx_export.py, tests/test_export*.py
from mockingbot.runtime.protowire import ModelSummary, content_hash, read_model_summary

__all__ = ["ModelSummary", "content_hash", "read_model_summary"]
