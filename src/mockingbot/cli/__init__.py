"""The ``mbot`` command line: a thin layer that parses options, calls library code, prints.

:mod:`mockingbot.cli.main` builds the app; each command group lives in its own module
and exposes ``register(app)``. Command modules import heavy libraries (onnxruntime,
TensorFlow, matplotlib) inside the command functions, so ``mbot --help`` stays fast and
never imports TensorFlow.
"""
