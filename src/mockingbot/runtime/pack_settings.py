"""What a pack is: its settings, its plan of creatures × variations, and its shards.

Every argument that changes a pack's bytes lives in :class:`PackSettings`, checked once when
it is made, so a render, a resume, a merge and a manifest read back all agree on what the
pack is. The plan (:func:`plan_pack`) and the shard split (:func:`shard_creatures`) are pure
functions of those settings: the same settings always give the same creatures in the same
shards. Nothing here touches a folder, numpy or the model, so the CLI can check its options
before it loads anything.

Contents: :class:`PackSettings`, :func:`plan_pack`, :func:`shard_creatures`,
:func:`parse_shard`, :func:`parse_size_range`, :func:`folder_name`, :func:`check_count`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from mockingbot.defaults import (
    AUDIO_FORMATS,
    DEFAULT_COUNT,
    DEFAULT_LOUDNESS_LUFS,
    DEFAULT_SIZE_RANGE,
    DEFAULT_SPREAD,
    DEFAULT_VARIATIONS,
    LOUDNESS_LUFS_LIMITS,
    MAX_COUNT,
    MAX_NAME_LENGTH,
    OUTPUT_RATE_HZ_LIMITS,
)
from mockingbot.errors import PackError, ParameterError
from mockingbot.validation import as_float, as_int, one_of

from . import latents as lat

__all__ = [
    "PackSettings",
    "check_count",
    "folder_name",
    "parse_shard",
    "parse_size_range",
    "plan_pack",
    "shard_creatures",
]

_SHARD_ARG = re.compile(r"^\s*(-?\d+)\s*/\s*(-?\d+)\s*$")
#: ``arguments`` key of the creature size range; written only when it is not the default.
SIZE_RANGE_KEY = "size_range"


def check_count(name: str, value: object) -> int | None:
    """A count of sounds, creatures or variations: ``None`` or an integer in [1, MAX_COUNT].

    The upper bound is checked here, not by :func:`~mockingbot.validation.as_int`, so the
    message prints the limit in full (``1000000``, not ``1e+06``).
    """
    if value is None:
        return None
    count = as_int(name, value, low=1)
    if count > MAX_COUNT:
        raise ParameterError(f"{name} must be between 1 and {MAX_COUNT}, got {count}")
    return count


@dataclasses.dataclass(frozen=True)
class PackSettings:
    """Every argument that changes a pack's bytes; recorded as ``arguments`` in the manifest.

    Attributes:
        name: pack name (manifest, page title). Empty → the model's name.
        count: sounds in the pack (``None``: from creatures × variations, else 500).
        creatures: creatures K (``None``: chosen from count and variations).
        variations: variations per creature M (``None``: chosen).
        seed: pack seed; the same seed gives the same pack.
        spread: how far variations stray from their creature (0–1, see :mod:`.latents`).
        output_rate: ``"native"`` (the model's rate) or an output rate in Hz (recorded as
            ``sample_rate`` in ``arguments``, the manifest's key since the first packs).
        audio_format: ``"wav"`` (16-bit PCM) or ``"ogg"`` (Vorbis).
        loudness_lufs: integrated loudness target in LUFS (recorded as ``loudness``).
        size_range: ``(MIN, MAX)`` of the creatures' log-uniform sizes (``(1, 1)``: every
            creature at the model's natural size). Recorded in ``arguments`` only when it
            differs from :data:`~mockingbot.defaults.DEFAULT_SIZE_RANGE`, so packs with the
            default keep the bytes they had before the option existed, and a manifest
            without the key reads back as the default.
    """

    name: str = ""
    count: int | None = None
    creatures: int | None = None
    variations: int | None = None
    seed: int = 0
    spread: float = DEFAULT_SPREAD
    output_rate: int | str = "native"
    audio_format: str = AUDIO_FORMATS[0]
    loudness_lufs: float = DEFAULT_LOUDNESS_LUFS
    size_range: tuple[float, float] = DEFAULT_SIZE_RANGE

    def __post_init__(self) -> None:
        # Normalised to a float tuple so a range read from JSON (a list) compares equal.
        object.__setattr__(self, "size_range", lat.validate_size_range(self.size_range))
        for name in ("count", "creatures", "variations"):
            check_count(name, getattr(self, name))
        lat.validate_seed(self.seed)
        lat.validate_spread(self.spread)
        _check_name(self.name, allow_empty=True)
        if self.output_rate != "native":
            if isinstance(self.output_rate, str):
                raise ParameterError(
                    f"sample rate must be 'native' or an integer, got {self.output_rate!r}"
                )
            low, high = OUTPUT_RATE_HZ_LIMITS
            as_int("sample rate (Hz)", self.output_rate, low=low, high=high)
        one_of("audio format", self.audio_format, AUDIO_FORMATS)
        low, high = LOUDNESS_LUFS_LIMITS
        as_float("loudness (LUFS)", self.loudness_lufs, low=low, high=high)
        plan_pack(self.count, self.creatures, self.variations)

    def arguments(self) -> dict[str, Any]:
        """The manifest's ``arguments`` record (JSON-ready, fixed key order).

        Its keys are the pack format's, unchanged since the first packs (``sample_rate``,
        ``format``, ``loudness``), so packs keep their bytes. ``size_range`` comes last and
        only when it is not the default (see the class doc).
        """
        args = {
            "name": self.name,
            "count": self.count,
            "creatures": self.creatures,
            "variations": self.variations,
            "seed": int(self.seed),
            "spread": float(self.spread),
            "sample_rate": self.output_rate
            if self.output_rate == "native"
            else int(self.output_rate),
            "format": self.audio_format,
            "loudness": float(self.loudness_lufs),
        }
        if self.size_range != DEFAULT_SIZE_RANGE:
            args[SIZE_RANGE_KEY] = list(self.size_range)
        return args

    @classmethod
    def from_arguments(cls, args: Mapping[str, Any]) -> PackSettings:
        """Inverse of :meth:`arguments` (reads a manifest back; no ``size_range``: the default)."""
        try:
            return cls(
                name=args["name"],
                count=args["count"],
                creatures=args["creatures"],
                variations=args["variations"],
                seed=args["seed"],
                spread=args["spread"],
                output_rate=args["sample_rate"],
                audio_format=args["format"],
                loudness_lufs=args["loudness"],
                size_range=args.get(SIZE_RANGE_KEY, DEFAULT_SIZE_RANGE),
            )
        except KeyError as exc:
            raise PackError(f"manifest arguments lack {exc.args[0]!r}") from None

    def output_rate_hz(self, native_sr: int) -> int:
        """The sample rate files are written at, for a model whose own rate is ``native_sr``."""
        return int(native_sr) if self.output_rate == "native" else int(self.output_rate)


def _check_name(name: object, *, allow_empty: bool = False) -> str:
    if not isinstance(name, str):
        raise ParameterError(f"pack name must be text, got {name!r}")
    if not name and allow_empty:
        return name
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise ParameterError(f"pack name must be 1–{MAX_NAME_LENGTH} characters, got {name!r}")
    if any(ord(c) < 0x20 or c in '/\\:*?"<>|' for c in name):
        raise ParameterError(
            f"pack name {name!r} has characters that do not belong in a folder name"
        )
    return name


def plan_pack(
    count: int | None = None, creatures: int | None = None, variations: int | None = None
) -> tuple[int, ...]:
    """Variations per creature, a tuple of length K whose sum is the pack's sound count.

    Rules (documented in docs/pack-format.md):

    - creatures and variations given: K × M sounds (``count``, if given, must equal K × M);
    - only creatures given: ``count`` (default 500) split as evenly as possible over K;
    - otherwise: M = variations (default ``min(10, count)``) per creature and
      K = ceil(count / M), the last creature holding the remainder.

    Raises:
        ParameterError: a value is not a positive integer, or the values contradict.

    Examples:
        >>> plan_pack(500)[:3], len(plan_pack(500))
        ((10, 10, 10), 50)
        >>> plan_pack(25)
        (10, 10, 5)
        >>> plan_pack(10, creatures=4)
        (3, 3, 2, 2)
    """
    count = check_count("count", count)
    creatures = check_count("creatures", creatures)
    variations = check_count("variations", variations)
    if creatures is not None and variations is not None:
        if count is not None and count != creatures * variations:
            raise ParameterError(
                f"count {count} ≠ creatures {creatures} × variations {variations}; "
                "give two of the three"
            )
        if creatures * variations > MAX_COUNT:
            raise ParameterError(f"a pack holds at most {MAX_COUNT} sounds")
        return (variations,) * creatures
    n = DEFAULT_COUNT if count is None else count
    if creatures is not None:
        if creatures > n:
            raise ParameterError(f"creatures ({creatures}) cannot exceed count ({n})")
        base, extra = divmod(n, creatures)
        return tuple(base + (1 if c < extra else 0) for c in range(creatures))
    m = min(DEFAULT_VARIATIONS, n) if variations is None else variations
    k = -(-n // m)
    return (m,) * (k - 1) + (n - m * (k - 1),)


def shard_creatures(n_creatures: int, shard: tuple[int, int] | None) -> range:
    """Creature indices shard ``I/N`` renders: the I-th of N contiguous, near-equal ranges.

    Contiguous so each creature's ``.tres`` is complete inside one shard.
    """
    if shard is None:
        return range(n_creatures)
    i, n = shard
    if n > n_creatures:
        raise ParameterError(
            f"--shard {i}/{n}: the pack has only {n_creatures} creature(s), so at most "
            f"{n_creatures} shards"
        )
    return range((i - 1) * n_creatures // n, i * n_creatures // n)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` → ``(2, 4)``. Shards are numbered from 1 to N.

    Raises:
        ParameterError: not ``I/N`` with 1 ≤ I ≤ N.
    """
    if text is None:
        return None
    m = _SHARD_ARG.match(str(text))
    if not m:
        raise ParameterError(f"--shard must look like I/N (e.g. 2/4), got {text!r}")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1:
        raise ParameterError(f"--shard {text}: the number of shards must be ≥ 1")
    if not 1 <= i <= n:
        raise ParameterError(f"--shard {text}: the shard index must be between 1 and {n}")
    return (i, n)


def parse_size_range(text: str | None) -> tuple[float, float]:
    """``"0.5:2"`` → ``(0.5, 2.0)``; ``None`` → :data:`~mockingbot.defaults.DEFAULT_SIZE_RANGE`.

    Raises:
        ParameterError: not ``MIN:MAX``, or outside :func:`~.latents.validate_size_range`.

    Examples:
        >>> parse_size_range("1:1")
        (1.0, 1.0)
    """
    if text is None:
        return DEFAULT_SIZE_RANGE
    parts = str(text).split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        values = (float(parts[0]), float(parts[1]))
    except ValueError:
        raise ParameterError(
            f"--size-range must look like MIN:MAX (e.g. 1:1 or 0.5:2), got {text!r}"
        ) from None
    return lat.validate_size_range(values, name="--size-range")


def folder_name(name: str) -> str:
    """``name`` made safe as a folder name (the default ``--out`` is ``packs/<name>``)."""
    cleaned = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "-", name).strip() or "pack"
    return cleaned[:MAX_NAME_LENGTH]
