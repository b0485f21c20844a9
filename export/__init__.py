"""Export: turn a trained generator into one self-describing ONNX file (needs ``[train]``)."""
