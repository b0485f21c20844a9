"""Argument checks, written once: each returns the value in its canonical type or raises.

Why: the same "must be a positive integer" check was written over twenty times in ten
modules, with different wording and different answers to the same question (is ``True`` a
count? is ``nan`` a loudness?). librosa keeps such checks in ``util``; here they live in
one small module that imports no numpy, so the CLI can use them for free. numpy scalars pass
through the :mod:`numbers` ABCs they register with.

Every failure is a :class:`~mockingbot.errors.ParameterError` whose message starts with the
argument's name as the user knows it (``--count``, ``spread``), says what was expected and
repeats what was given.

>>> as_int("--count", 5, low=1)
5
>>> as_float("spread", 0.5, low=0.0, high=1.0)
0.5
>>> one_of("--format", "ogg", ("wav", "ogg"))
'ogg'
>>> as_int("--count", True, low=1)
Traceback (most recent call last):
...
mockingbot.errors.ParameterError: --count must be an integer, got True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from .errors import ParameterError

__all__ = ["as_float", "as_int", "as_range", "as_type", "one_of"]


def _limits(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    if low is not None:
        return f"at least {low:g}"
    return f"at most {high:g}"


def as_int(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` within [low, high] (either bound optional).

    Booleans are refused although Python counts them as integers: ``--count true`` is a
    mistake, not a count of one.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer, got {value!r}")
    out = int(value)
    if (low is not None and out < low) or (high is not None and out > high):
        raise ParameterError(f"{name} must be {_limits(low, high)}, got {out}")
    return out


def as_float(
    name: str, value: object, *, low: float | None = None, high: float | None = None
) -> float:
    """``value`` as a finite ``float`` within [low, high] (either bound optional)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if (low is not None and out < low) or (high is not None and out > high):
        raise ParameterError(f"{name} must be {_limits(low, high)}, got {out:g}")
    return out


def as_range(name: str, value: object, *, low: float, high: float) -> tuple[float, float]:
    """``value`` as a ``(MIN, MAX)`` pair of finite floats with low ≤ MIN ≤ MAX ≤ high."""
    try:
        lo, hi = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be two numbers (MIN, MAX), got {value!r}") from None
    lo = as_float(f"{name} MIN", lo, low=low, high=high)
    hi = as_float(f"{name} MAX", hi, low=low, high=high)
    if lo > hi:
        raise ParameterError(f"{name} {lo:g}:{hi:g}: MIN must not exceed MAX")
    return lo, hi


def one_of(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices`` (exact, case-sensitive strings)."""
    if not isinstance(value, str) or value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def as_type(name: str, value: object, cls: type | tuple[type, ...]) -> object:
    """``value`` unchanged if it is an instance of ``cls``."""
    if not isinstance(value, cls):
        names = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise ParameterError(f"{name} must be a {names}, got {type(value).__name__}")
    return value
