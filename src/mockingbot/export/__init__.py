"""Export: turn a trained generator into one self-describing ONNX file, and read it back.

- :mod:`~mockingbot.export.onnx_export` — ``mbot export onnx`` (needs the ``[train]`` extra);
  :mod:`~mockingbot.export.convert` (TensorFlow → ONNX), :mod:`~mockingbot.export.graph`
  (stable order and names, weight storage), :mod:`~mockingbot.export.parity`.
- :mod:`~mockingbot.export.info` and :mod:`~mockingbot.export.protowire` — ``mbot info``:
  pure Python, work in a runtime-only install (no TensorFlow, no ``onnx``).
"""
