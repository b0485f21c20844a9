"""Moved to :mod:`mockingbot.runtime.onnx_info` (#14): ``mbot info`` is runtime-only."""

# moved to runtime/onnx_info.py (#14); kept for tests/test_export*.py, benchmarks/render_bench.py
from mockingbot.runtime.onnx_info import model_info

__all__ = ["model_info"]
