"""Export: turn a trained generator into one self-describing ONNX file, and read it back.

- :mod:`~mockingbot.export.onnx_export` — ``mbot export onnx`` (needs the ``[train]`` extra);
  :mod:`~mockingbot.export.convert` (TensorFlow → ONNX), :mod:`~mockingbot.export.graph`
  (stable order and names, weight storage), :mod:`~mockingbot.export.parity`.
- Reading a model back (``mbot info``) lives in the runtime, which must work without the
  ``[train]`` extra: :mod:`~mockingbot.runtime.onnx_info`, :mod:`~mockingbot.runtime.protowire`.
"""
