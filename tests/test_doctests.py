"""The examples in docstrings run, so they cannot drift from the code they document.

pytest's own collection covers only ``tests/``; this runs every module's examples with
:mod:`doctest` instead. The trainer is left out: importing it loads TensorFlow, and its
examples are covered by the training tests; so is the exporter, which needs it too.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mockingbot

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(mockingbot.__path__, "mockingbot.")
    if not m.name.startswith(("mockingbot.trainer", "mockingbot.export", "mockingbot.godot_addon"))
)


def test_the_runtime_and_the_data_pipeline_are_covered() -> None:
    assert {"mockingbot.clips", "mockingbot.runtime.postprocess"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
