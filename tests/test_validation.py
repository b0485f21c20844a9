"""``mockingbot.validation`` and ``mockingbot.defaults``: the argument checks written once,
and the constants' one home (#14, item 3).

Each helper must refuse what the twenty hand-written checks it replaces disagreed about:
booleans as integers, nan and inf as numbers, values out of bounds, MIN above MAX, choices
that are not listed; and its message must start with the argument's name. Both modules must
stay free of numpy, so ``mbot`` can parse options without paying for it.
"""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockingbot import defaults
from mockingbot.errors import ParameterError
from mockingbot.validation import as_float, as_int, as_range, as_type, one_of


def _refused(call, *args, **kwargs) -> str:
    with pytest.raises(ParameterError) as info:
        call(*args, **kwargs)
    return str(info.value)


# --- as_int
@given(st.integers(), st.integers(), st.integers())
def test_as_int_accepts_exactly_the_integers_within_bounds(value: int, a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    if low <= value <= high:
        out = as_int("--count", value, low=low, high=high)
        assert out == value and type(out) is int
    else:
        assert _refused(as_int, "--count", value, low=low, high=high).startswith("--count ")


@pytest.mark.parametrize("value", [True, False, 1.0, 2.5, "3", None, Fraction(1, 1)])
def test_as_int_refuses_bools_floats_and_strings(value: object) -> None:
    message = _refused(as_int, "--count", value, low=1)
    assert message == f"--count must be an integer, got {value!r}"


def test_as_int_takes_numpy_integers_and_returns_a_python_int() -> None:
    out = as_int("--seed", np.int64(7), low=0)
    assert out == 7 and type(out) is int
    assert "integer" in _refused(as_int, "--seed", np.bool_(True))
    assert "integer" in _refused(as_int, "--seed", np.float64(7.0))


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"low": 1}, "--count must be at least 1, got 0"),
        ({"high": -1}, "--count must be at most -1, got 0"),
        ({"low": 1, "high": 5}, "--count must be between 1 and 5, got 0"),
    ],
)
def test_as_int_bound_messages(kwargs: dict[str, int], says: str) -> None:
    assert _refused(as_int, "--count", 0, **kwargs) == says


# --- as_float
@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(-1e6, 1e6))
def test_as_float_accepts_finite_numbers_within_bounds(value: float, high: float) -> None:
    if value <= high:
        out = as_float("spread", value, high=high)
        assert out == value and type(out) is float
    else:
        assert _refused(as_float, "spread", value, high=high).startswith("spread must be at most")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float32("nan")])
def test_as_float_refuses_nan_and_inf(value: float) -> None:
    assert "must be a finite number" in _refused(as_float, "--loudness", value)


@pytest.mark.parametrize("value", [True, False, "0.5", None, 1j, [0.5]])
def test_as_float_refuses_what_is_not_a_real_number(value: object) -> None:
    assert _refused(as_float, "spread", value) == f"spread must be a number, got {value!r}"


def test_as_float_takes_ints_and_numpy_scalars() -> None:
    assert as_float("spread", 1) == 1.0 and type(as_float("spread", 1)) is float
    assert as_float("spread", np.float32(0.5), low=0.0, high=1.0) == 0.5
    low, high = defaults.LOUDNESS_LUFS_LIMITS
    assert as_float("--loudness", low, low=low, high=high) == low  # bounds are inclusive
    assert _refused(as_float, "--loudness", high + 1, low=low, high=high) == (
        f"--loudness must be between {low:g} and {high:g}, got {high + 1:g}"
    )


# --- as_range
@given(st.floats(0.25, 4.0), st.floats(0.25, 4.0))
def test_as_range_accepts_ordered_pairs_within_limits(a: float, b: float) -> None:
    low, high = defaults.SIZE_LIMITS
    if a <= b:
        assert as_range("--size-range", (a, b), low=low, high=high) == (a, b)
    else:
        message = _refused(as_range, "--size-range", (a, b), low=low, high=high)
        assert message.endswith("MIN must not exceed MAX")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ((2.0, 1.0), "--size-range 2:1: MIN must not exceed MAX"),
        ((0.1, 1.0), "--size-range MIN must be between 0.25 and 4, got 0.1"),
        ((1.0, 5.0), "--size-range MAX must be between 0.25 and 4, got 5"),
        ((math.nan, 1.0), "--size-range MIN must be a finite number, got nan"),
        ((1.0, True), "--size-range MAX must be a number, got True"),
        ((1.0,), "--size-range must be two numbers (MIN, MAX), got (1.0,)"),
        ((1.0, 2.0, 3.0), "--size-range must be two numbers (MIN, MAX), got (1.0, 2.0, 3.0)"),
        (1.0, "--size-range must be two numbers (MIN, MAX), got 1.0"),
    ],
)
def test_as_range_refusals(value: object, says: str) -> None:
    low, high = defaults.SIZE_LIMITS
    assert _refused(as_range, "--size-range", value, low=low, high=high) == says


def test_as_range_returns_floats() -> None:
    assert as_range("sizes", [1, 2], low=0, high=4) == (1.0, 2.0)
    assert all(type(x) is float for x in as_range("sizes", [1, 2], low=0, high=4))


# --- one_of
@pytest.mark.parametrize(
    ("choices", "value"),
    [
        (defaults.PHASE_METHODS, "PGHI"),
        (defaults.AUDIO_FORMATS, "mp3"),
        (defaults.LATENT_DISTRIBUTIONS, ""),
        (defaults.AUDIO_FORMATS, None),
        (defaults.AUDIO_FORMATS, ("wav",)),
    ],
)
def test_one_of_refuses_what_is_not_listed(choices: tuple[str, ...], value: object) -> None:
    assert _refused(one_of, "--format", value, choices) == (
        f"--format must be one of {', '.join(choices)}; got {value!r}"
    )


@given(st.sampled_from(defaults.PHASE_METHODS + defaults.AUDIO_FORMATS + defaults.CONTEXTS))
def test_one_of_returns_a_listed_choice(value: str) -> None:
    choices = defaults.PHASE_METHODS + defaults.AUDIO_FORMATS + defaults.CONTEXTS
    assert one_of("choice", value, choices) is value


# --- as_type
def test_as_type() -> None:
    path = "x.wav"
    assert as_type("path", path, str) is path
    assert as_type("n", 3, (int, float)) == 3
    assert _refused(as_type, "n", "3", (int, float)) == "n must be a int or float, got str"
    assert _refused(as_type, "path", 3, str) == "path must be a str, got int"


def test_refusals_are_value_errors_too() -> None:
    """Library callers that catch ``ValueError`` (the Python convention) still catch them."""
    with pytest.raises(ValueError):
        as_int("count", -1, low=0)


# --- defaults
def test_defaults_are_within_their_limits_and_enumerations_distinct() -> None:
    d = defaults
    assert d.LOUDNESS_LUFS_LIMITS[0] <= d.DEFAULT_LOUDNESS_LUFS <= d.LOUDNESS_LUFS_LIMITS[1]
    assert d.PEAK_CEILING_DBFS_LIMITS[0] <= d.PEAK_CEILING_DBFS <= d.PEAK_CEILING_DBFS_LIMITS[1]
    assert (
        d.SIZE_LIMITS[0] <= d.DEFAULT_SIZE_RANGE[0] <= d.DEFAULT_SIZE_RANGE[1] <= d.SIZE_LIMITS[1]
    )
    assert d.OUTPUT_RATE_HZ_LIMITS[0] <= d.DEFAULT_OUTPUT_RATE_HZ <= d.OUTPUT_RATE_HZ_LIMITS[1]
    assert 0 <= d.DEFAULT_SPREAD <= 1 and 0 <= d.DEFAULT_MUTATE_SPREAD <= 1
    assert 1 <= d.DEFAULT_COUNT <= d.MAX_COUNT and d.DEFAULT_BATCH_SIZE >= 1
    assert float(d.MAX_SEED) == d.MAX_SEED  # exact in a float64, so in JSON
    for names in (d.AUDIO_FORMATS, d.LATENT_DISTRIBUTIONS, d.PHASE_METHODS, d.CONTEXTS):
        assert isinstance(names, tuple) and len(set(names)) == len(names) >= 2


def test_every_context_cuts_a_recording_into_clips() -> None:
    """Each name in defaults.CONTEXTS is a way dataset knows, not just an accepted string."""
    import numpy as np

    from mockingbot.dataset import _segments

    sr = 8000
    t = np.arange(3 * sr) / sr
    y = np.zeros_like(t)
    for start in (0.2, 1.6):  # two 0.5 s calls in silence
        on = (t >= start) & (t < start + 0.5)
        y[on] = 0.5 * np.sin(2 * np.pi * 440 * t[on])
    counts = {c: len(_segments(y, sr=sr, context=c)) for c in defaults.CONTEXTS}
    assert counts == {"call": 2, "recording": 1, "onset": 2}


def test_defaults_validation_and_errors_import_no_numpy() -> None:
    code = (
        "import sys\n"
        "import mockingbot.defaults, mockingbot.validation, mockingbot.errors\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
