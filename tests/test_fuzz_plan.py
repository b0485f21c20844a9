"""The fuzz campaign's plan: ``--count N`` tries N inputs even with the long class capped."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_inputs.py"


def _module():
    spec = importlib.util.spec_from_file_location("fuzz_inputs", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FUZZ = _module()


@given(count=st.integers(0, 20_000), long_max=st.integers(0, 2_000))
def test_count_is_what_is_tried_and_the_long_class_respects_its_cap(
    count: int, long_max: int
) -> None:
    kinds = list(FUZZ.CLASSES)
    share = FUZZ.shares(count, kinds, long_max)
    assert sum(share.values()) == count
    assert share["ten-minutes"] <= long_max
    others = [share[k] for k in kinds if k != "ten-minutes"]
    assert max(others) - min(others) <= 1  # the shortfall is spread evenly


def test_the_10000_input_campaign_tries_10000() -> None:
    share = FUZZ.shares(10_000, list(FUZZ.CLASSES), 20)
    assert sum(share.values()) == 10_000 and share["ten-minutes"] == 20
