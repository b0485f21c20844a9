"""Runtime: render sound packs with onnxruntime and numpy. Never imports TensorFlow."""
