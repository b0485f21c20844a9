"""The ``mbot`` command line: a thin layer that parses options, calls library code, prints.

:mod:`mockingbot.cli.main` builds the app and is the one place where errors become one
``error:`` line and an exit code by kind (2 bad usage or input, 1 a failure while working,
130 Ctrl-C); :mod:`mockingbot.cli.commands` lists the command modules, each of which exposes
``register(app)``; :mod:`mockingbot.cli._output` prints. Command modules import heavy
libraries (numpy, scipy, onnxruntime, TensorFlow, matplotlib) inside the command functions,
so ``mbot --help`` and the parsing of every command import none of them
(``tests/test_packaging.py`` checks; ``benchmarks/cli_startup.py`` times it).
"""
