"""MockingBot: learn a class of creature sounds and render endless game-ready packs.

The distribution is split by concern:

- ``mockingbot`` (this package): the pieces every stage shares — the spectrogram
  spec (:mod:`mockingbot.spec`), STFT math (:mod:`mockingbot.spectral`), audio
  loading (:mod:`mockingbot.audio`), errors and the ``mbot`` CLI.
- ``mockingbot.trainer``: TensorFlow/Keras models and the training loop (``[train]`` extra).
- ``mockingbot.export``: turning a trained generator into a self-describing ONNX file.
- ``mockingbot.runtime``: onnxruntime + numpy rendering of sound packs; never imports TensorFlow.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
