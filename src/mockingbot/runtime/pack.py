"""Render, resume, shard, merge and mutate sound packs.

This is the runtime's main loop: plan a pack of K creatures × M variations, stream it in
batches through generator → magnitude → phase retrieval → post-processing → file (a
waveform model emits audio itself: generator → post-processing → file), and write the
pack's side files. Memory stays flat as the count grows: only one or two batches of
audio exist at a time; a finished sound leaves behind one small manifest entry.

Reproducibility. Every sound is a pure function of (model, pack arguments, creature index,
variation index): latents (and a waveform model's noise input) come from
:mod:`mockingbot.runtime.latents` spawn keys, inference,
phase retrieval and post-processing treat each item on its own, and no file holds a date.
So the same model and arguments give byte-identical packs however the work is batched,
sharded, resumed or threaded.

Never losing work. Each file is written to a temporary name and renamed
(:mod:`mockingbot.fileio`). A hidden journal (``.mbot-progress.jsonl``) gets one line per
finished sound, after its files are in place; ``manifest.json`` is written last and its
presence means the pack is complete (the journal is then deleted). ``--resume`` reads the
journal, re-checks each listed file's sha256, deletes leftover temporary files and renders
what is missing; because every sound is deterministic, the result is byte-identical to an
uninterrupted run, even after ``kill -9``.

Sharding. ``--shard I/N`` (1-based) renders the I-th of N contiguous, equal-as-possible
ranges of creatures, so each ``.tres`` is complete inside one shard, and writes
``manifest.shard-I-of-N.json`` instead of the pack's index files. :func:`merge_shards`
joins shard folders into one pack identical to an unsharded render.

Public API: :class:`PackSettings`, :func:`plan_pack`, :func:`parse_shard`,
:func:`parse_size_range`, :func:`shard_creatures`, :func:`render_pack`, :func:`merge_shards`,
:func:`mutate_sound`, :func:`verify_pack`, :class:`PackResult`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mockingbot import __version__
from mockingbot.errors import ModelError, PackError, ParameterError
from mockingbot.fileio import atomic_path, atomic_write_bytes, atomic_write_text, sha256_file

from . import latents as lat
from . import pack_format as fmt
from .encode import FORMATS, encode
from .model import GeneratorModel

__all__ = [
    "CONTACT_SHEET_MAX_COLUMNS",
    "CONTACT_SHEET_MAX_CREATURES",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_COUNT",
    "DEFAULT_LOUDNESS_LUFS",
    "DEFAULT_VARIATIONS",
    "FADE_MS",
    "MAX_COUNT",
    "PEAK_CEILING_DBFS",
    "PackResult",
    "PackSettings",
    "folder_name",
    "merge_shards",
    "mutate_sound",
    "parse_shard",
    "parse_size_range",
    "plan_pack",
    "render_pack",
    "shard_creatures",
    "verify_pack",
]

#: Sounds in a pack when no count is given.
DEFAULT_COUNT = 500
#: Variations per creature when neither ``creatures`` nor ``variations`` is given.
DEFAULT_VARIATIONS = 10
#: Largest pack (sounds) one command renders.
MAX_COUNT = 1_000_000
#: Integrated loudness target (EBU R128 / ITU-R BS.1770), a common level for game effects.
DEFAULT_LOUDNESS_LUFS = -18.0
#: Accepted loudness targets.
LOUDNESS_RANGE = (-40.0, -6.0)
#: True-peak-ish ceiling after loudness normalisation.
PEAK_CEILING_DBFS = -1.0
#: Fade-in/out length that removes clicks at the trimmed ends.
FADE_MS = 10.0
#: Sounds per inference/phase batch: large enough to amortise per-call overhead, small
#: enough that one batch of audio stays a few MB.
DEFAULT_BATCH_SIZE = 32
#: Output sample rates accepted besides ``"native"`` (the model's own rate).
SAMPLE_RATE_RANGE = (8000, 192000)
#: The contact sheet shows at most this many creatures (rows) × variations (columns);
#: index.html shows everything.
CONTACT_SHEET_MAX_CREATURES = 100
CONTACT_SHEET_MAX_COLUMNS = 16
#: Longest pack name (it names files and titles pages).
MAX_NAME_LENGTH = 100

_JOURNAL_KIND = "mockingbot-pack-progress"
_JOURNAL_VERSION = 1
_OS_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_SHARD_MANIFEST = re.compile(r"^manifest\.shard-(\d+)-of-(\d+)\.json$")
_SHARD_ARG = re.compile(r"^\s*(-?\d+)\s*/\s*(-?\d+)\s*$")
#: ``arguments`` key of the creature size range; written only when it is not the default.
_SIZE_RANGE_KEY = "size_range"


# ============================================================================ settings and plan
def _positive_int(name: str, value: object, *, allow_none: bool = True) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    if not 1 <= int(value) <= MAX_COUNT:
        raise ParameterError(f"{name} must be between 1 and {MAX_COUNT}, got {value}")
    return int(value)


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
        sample_rate: ``"native"`` (the model's rate) or an output rate in Hz.
        audio_format: ``"wav"`` (16-bit PCM) or ``"ogg"`` (Vorbis).
        loudness: integrated loudness target in LUFS.
        size_range: ``(MIN, MAX)`` of the creatures' log-uniform sizes (``(1, 1)``: every
            creature at the model's natural size). Recorded in ``arguments`` only when it
            differs from :data:`~.latents.SIZE_RANGE`, so packs with the default keep the
            bytes they had before the option existed, and a manifest without the key reads
            back as the default.
    """

    name: str = ""
    count: int | None = None
    creatures: int | None = None
    variations: int | None = None
    seed: int = 0
    spread: float = lat.DEFAULT_SPREAD
    sample_rate: int | str = "native"
    audio_format: str = "wav"
    loudness: float = DEFAULT_LOUDNESS_LUFS
    size_range: tuple[float, float] = lat.SIZE_RANGE

    def __post_init__(self) -> None:
        # Normalised to a float tuple so a range read from JSON (a list) compares equal.
        object.__setattr__(self, "size_range", lat.validate_size_range(self.size_range))
        _positive_int("count", self.count)
        _positive_int("creatures", self.creatures)
        _positive_int("variations", self.variations)
        lat.validate_seed(self.seed)
        lat.validate_spread(self.spread)
        _check_name(self.name, allow_empty=True)
        if self.sample_rate != "native":
            sr = self.sample_rate
            if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)):
                raise ParameterError(f"sample rate must be 'native' or an integer, got {sr!r}")
            if not SAMPLE_RATE_RANGE[0] <= int(sr) <= SAMPLE_RATE_RANGE[1]:
                raise ParameterError(
                    f"sample rate must be between {SAMPLE_RATE_RANGE[0]} and "
                    f"{SAMPLE_RATE_RANGE[1]} Hz, got {sr}"
                )
        if self.audio_format not in FORMATS:
            raise ParameterError(
                f"unknown audio format {self.audio_format!r} (choose {' or '.join(FORMATS)})"
            )
        loud = self.loudness
        if isinstance(loud, bool) or not isinstance(loud, (int, float)) or not math.isfinite(loud):
            raise ParameterError(f"loudness must be a number in LUFS, got {loud!r}")
        if not LOUDNESS_RANGE[0] <= float(loud) <= LOUDNESS_RANGE[1]:
            raise ParameterError(
                f"loudness must be between {LOUDNESS_RANGE[0]:g} and {LOUDNESS_RANGE[1]:g} LUFS, "
                f"got {loud:g}"
            )
        plan_pack(self.count, self.creatures, self.variations)

    def arguments(self) -> dict[str, Any]:
        """The manifest's ``arguments`` record (JSON-ready, fixed key order).

        ``size_range`` comes last and only when it is not the default (see the class doc).
        """
        args = {
            "name": self.name,
            "count": self.count,
            "creatures": self.creatures,
            "variations": self.variations,
            "seed": int(self.seed),
            "spread": float(self.spread),
            "sample_rate": self.sample_rate
            if self.sample_rate == "native"
            else int(self.sample_rate),
            "format": self.audio_format,
            "loudness": float(self.loudness),
        }
        if self.size_range != lat.SIZE_RANGE:
            args[_SIZE_RANGE_KEY] = list(self.size_range)
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
                sample_rate=args["sample_rate"],
                audio_format=args["format"],
                loudness=args["loudness"],
                size_range=args.get(_SIZE_RANGE_KEY, lat.SIZE_RANGE),
            )
        except KeyError as exc:
            raise PackError(f"manifest arguments lack {exc.args[0]!r}") from None

    def output_rate(self, native_sr: int) -> int:
        """The sample rate files are written at."""
        return int(native_sr) if self.sample_rate == "native" else int(self.sample_rate)


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
    count = _positive_int("count", count)
    creatures = _positive_int("creatures", creatures)
    variations = _positive_int("variations", variations)
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
    """``"0.5:2"`` → ``(0.5, 2.0)``; ``None`` → the default :data:`~.latents.SIZE_RANGE`.

    Raises:
        ParameterError: not ``MIN:MAX``, or outside :func:`~.latents.validate_size_range`.

    Examples:
        >>> parse_size_range("1:1")
        (1.0, 1.0)
    """
    if text is None:
        return lat.SIZE_RANGE
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


def shard_creatures(n_creatures: int, shard: tuple[int, int] | None) -> range:
    """Creature indices shard ``I/N`` renders: the I-th of N contiguous, near-equal ranges."""
    if shard is None:
        return range(n_creatures)
    i, n = shard
    if n > n_creatures:
        raise ParameterError(
            f"--shard {i}/{n}: the pack has only {n_creatures} creature(s), so at most "
            f"{n_creatures} shards"
        )
    return range((i - 1) * n_creatures // n, i * n_creatures // n)


# ============================================================================ results
@dataclasses.dataclass(frozen=True)
class PackResult:
    """What a render, merge or mutate did.

    Attributes:
        path: the pack folder.
        total: sounds this command is responsible for (the shard's part when sharded).
        rendered: sounds rendered now.
        reused: sounds found finished from an earlier, interrupted run (``--resume``).
        seconds: wall time of the command's work.
        complete: the folder now holds a complete pack (``manifest.json``); False for a shard.
        manifest: the manifest file written (pack or shard manifest).
    """

    path: Path
    total: int
    rendered: int
    reused: int
    seconds: float
    complete: bool
    manifest: Path


# ============================================================================ folder handling
def _iter_files(root: Path) -> Iterator[tuple[str, Path]]:
    """``(relative posix path, path)`` of files in ``root`` and one level of sub-folders."""
    for entry in sorted(root.iterdir()):
        if entry.is_dir():
            for sub in sorted(entry.iterdir()):
                yield f"{entry.name}/{sub.name}", sub
        else:
            yield entry.name, entry


def _is_junk(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name in _OS_JUNK or ("/" not in rel and bool(fmt.LOCK_FILE.match(name)))


def _pack_lock(out: Path, shard: tuple[int, int] | None) -> contextlib.AbstractContextManager:
    """The lock a render of ``shard`` (or the whole pack) holds on ``out`` while it writes:
    a second writer is refused instead of mixing its files with ours."""
    from .folder_lock import folder_lock

    shared = None if shard is None else fmt.lock_name(None)
    return folder_lock(out, fmt.lock_name(shard), shared=shared, doing="rendered into")


def _has_marker(out: Path) -> bool:
    """A manifest, shard manifest or journal: what makes a folder a pack, not just its names."""
    return any(
        p.name == fmt.MANIFEST
        or _SHARD_MANIFEST.match(p.name)
        or (p.name.startswith(".mbot-progress") and p.name.endswith(".jsonl"))
        for p in out.iterdir()
    )


def _foreign_entries(out: Path) -> list[str]:
    """What in ``out`` the pack format does not name (``notes.txt``, ``extra/``), sorted."""
    files = [rel for rel, _ in _iter_files(out) if not _is_junk(rel) and not fmt.is_pack_file(rel)]
    folders = [
        f"{p.name}/"
        for p in out.iterdir()
        if p.is_dir() and p.name not in (fmt.AUDIO_DIR, fmt.THUMBS_DIR)
    ]
    return sorted(f for f in files if f.split("/", 1)[0] + "/" not in folders) + sorted(folders)


def _listed(names: Sequence[str], most: int = 3) -> str:
    """``a, b, c and 4 more``: a few names for a one-line message."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _folder_kind(out: Path) -> str:
    """``"missing"``, ``"empty"``, ``"pack"`` or ``"foreign"``.

    A pack folder holds a pack marker and only files the pack format names; a folder with
    anything else (or pack-like names but no marker, e.g. someone's own ``index.html``) is
    foreign and is never written to or cleared.
    """
    if not out.exists():
        return "missing"
    if not out.is_dir():
        raise PackError(f"{out} is a file, not a folder; choose another --out")
    files = [rel for rel, p in _iter_files(out) if not _is_junk(rel)]
    subdirs = [p for p in out.iterdir() if p.is_dir()]
    if not files and all(not any(d.iterdir()) for d in subdirs):
        return "empty"
    if any(not fmt.is_pack_file(rel) for rel in files) or any(
        d.name not in (fmt.AUDIO_DIR, fmt.THUMBS_DIR) for d in subdirs
    ):
        return "foreign"
    return "pack" if _has_marker(out) else "foreign"


def _remove_temp_files(out: Path) -> None:
    """Delete leftovers of interrupted atomic writes (``.<name>.<random>.<ext>.tmp``)."""
    for folder in (out, out / fmt.AUDIO_DIR, out / fmt.THUMBS_DIR):
        if folder.is_dir():
            for p in folder.iterdir():
                if p.is_file() and fmt.TEMP_FILE.match(p.name):
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()


def _unlink_with_sidecar(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".import")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _clear_pack(out: Path) -> None:
    """Delete every file the pack format defines (never anything else) in ``out``."""
    for rel, p in _iter_files(out):
        if fmt.is_pack_file(rel):
            p.unlink()
    for d in (out / fmt.AUDIO_DIR, out / fmt.THUMBS_DIR):
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()


def _clear_shard(out: Path, shard: tuple[int, int], creatures: Sequence[int]) -> None:
    """Delete one shard's files (its creatures' audio, thumbnails, .tres, its markers)."""
    for c in creatures:
        cid = fmt.creature_id(c)
        _unlink_with_sidecar(out / f"{cid}.tres")
        for folder in (out / fmt.AUDIO_DIR, out / fmt.THUMBS_DIR):
            if folder.is_dir():
                for p in folder.glob(f"{cid}_v*"):
                    if fmt.is_pack_file(f"{folder.name}/{p.name}"):
                        p.unlink()
    for name in (fmt.shard_manifest_name(*shard), fmt.journal_name(shard)):
        _unlink_with_sidecar(out / name)


def _make_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / fmt.AUDIO_DIR).mkdir(exist_ok=True)
        (out / fmt.THUMBS_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise PackError(f"cannot create the pack folder {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise PackError(f"cannot write to {out}: permission denied")


@contextlib.contextmanager
def _disk_errors(out: Path, *, again: str) -> Iterator[None]:
    """Turn an OSError while writing into ``out`` (a full disk, a quota, a read-only or
    vanished folder) into one :class:`PackError` line that says what to do.

    Every file is written atomically (temporary name, then rename), so what such an error
    leaves behind is never a complete-looking file: at most temporary files, which the next
    run deletes, and a journal that ``--resume`` continues from.
    """
    try:
        yield
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        what = f"{exc.filename}: {why} (writing {out})" if exc.filename else f"{out}: {why}"
        fix = "free some space" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "fix that"
        raise PackError(f"cannot write the pack {what}; {fix}, then {again}") from None


# ============================================================================ journal
class _Journal:
    """Append-only progress log: a header line, then one line per finished sound.

    A sound's line is ``{"sound": <manifest entry>, "thumb_sha256": ...}``, appended after
    its audio and thumbnail are in place; resume keeps it only if both files still match.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = None

    def start(self, header: Mapping[str, Any]) -> None:
        atomic_write_text(self.path, json.dumps(header, sort_keys=True) + "\n")
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def load(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Header and entries; a torn last line (crash mid-write) is cut off the file."""
        data = self.path.read_bytes()
        good = 0
        lines: list[Any] = []
        for raw in data.split(b"\n")[:-1]:  # the part after the last newline is incomplete
            try:
                lines.append(json.loads(raw))
            except ValueError:
                break
            good += len(raw) + 1
        if not lines or not isinstance(lines[0], dict) or lines[0].get("kind") != _JOURNAL_KIND:
            raise PackError(
                f"{self.path} is not a MockingBot progress journal; use --force to start over"
            )
        if good != len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        return lines[0], [e for e in lines[1:] if isinstance(e, dict)]

    def append(self, entry: Mapping[str, Any]) -> None:
        if self._fh is None:
            raise RuntimeError("journal is not open")
        self._fh.write(json.dumps(entry) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _journal_header(
    settings: PackSettings, model: GeneratorModel, shard: tuple[int, int] | None
) -> dict[str, Any]:
    return {
        "kind": _JOURNAL_KIND,
        "version": _JOURNAL_VERSION,
        "arguments": settings.arguments(),
        "model_sha256": model.sha256,
        "shard": list(shard) if shard else None,
        "created_by": _created_by(),
    }


def _created_by() -> str:
    return f"mockingbot {__version__}"


def _same_pack(manifest: Mapping[str, Any], header: Mapping[str, Any]) -> bool:
    return (
        manifest.get("arguments") == header["arguments"]
        and manifest.get("model", {}).get("sha256") == header["model_sha256"]
    )


def _describe_difference(old: Mapping[str, Any], header: Mapping[str, Any]) -> str:
    if old.get("model_sha256", old.get("model", {}).get("sha256")) != header["model_sha256"]:
        return "it was rendered with a different model"
    if old.get("created_by", header["created_by"]) != header["created_by"]:
        return f"it was started by {old.get('created_by')}, this is {header['created_by']}"
    a, b = old.get("arguments", {}), header["arguments"]
    keys = [*b, *(k for k in a if k not in b)]
    absent = {_SIZE_RANGE_KEY: list(lat.SIZE_RANGE)}  # recorded only when not the default
    a, b = ({k: args.get(k, absent.get(k)) for k in keys} for args in (a, b))
    diffs = [f"{k} {a[k]!r} vs {b[k]!r}" for k in keys if a[k] != b[k]]
    return "its arguments differ (" + ", ".join(diffs) + ")"


# ============================================================================ rendering core
@dataclasses.dataclass(frozen=True)
class _Job:
    """One sound to render."""

    creature: int
    variation: int
    latent_seed: int
    size: float

    @property
    def sound_id(self) -> str:
        return fmt.sound_id(self.creature, self.variation)


_OnEntry = Callable[[dict[str, Any], str], None]


class _Renderer:
    """Turns jobs into finished files and manifest entries, batch by batch.

    ``centers`` maps a creature index to its Gaussian-space center and ``spreads`` to its
    spread, so the same code renders a pack's creatures and ``mutate``'s new ones.
    """

    def __init__(
        self,
        model: GeneratorModel,
        out: Path,
        *,
        out_sr: int,
        audio_format: str,
        loudness: float,
        center: Callable[[int], np.ndarray],
        spread: Callable[[int], float],
    ) -> None:
        from . import phase, postprocess

        self._phase = phase
        self._post = postprocess
        self.model = model
        self.out = out
        self.out_sr = out_sr
        self.audio_format = audio_format
        self.loudness = loudness
        self._center = center
        self._spread = spread

    def latents(self, jobs: Sequence[_Job]) -> np.ndarray:
        d = self.model.latent_dim
        g = np.stack(
            [
                lat.sound_latent(
                    self._center(j.creature),
                    j.latent_seed,
                    spread=self._spread(j.creature),
                    latent_dim=d,
                )
                for j in jobs
            ]
        )
        return lat.to_model_space(g, distribution=self.model.meta.latent_distribution)

    def audio(self, jobs: Sequence[_Job]) -> tuple[np.ndarray | None, np.ndarray]:
        """Raw audio [batch, clip_samples] at the model's rate, and the magnitudes
        [batch, frames, bins] its phase was recovered for (``None`` for a waveform model,
        which emits audio itself from latents and each sound's texture noise)."""
        spec = self.model.spec
        z = self.latents(jobs)
        noise = None
        if self.model.takes_noise:
            noise = lat.texture_noises([j.latent_seed for j in jobs], self.model.meta.noise_shape)
        if self.model.is_waveform:
            return None, self.model.generate_audio(z, noise)
        X = self.model.generate(z, noise)
        S = spec.full_magnitude(spec.magnitude(X))
        return S, self._phase.reconstruct(S, spec=spec, method=self.model.meta.phase)

    def finish(self, job: _Job, S: np.ndarray | None, y: np.ndarray) -> tuple[dict[str, Any], str]:
        """Post-process, encode and write one sound; its manifest entry and thumbnail sha256.

        ``S`` is the generated magnitude the phase was recovered for: the entry records how
        closely the raw audio matches it (spectral convergence, dB), so a pack reports its
        phase-retrieval quality sound by sound. ``None`` (a waveform model: no phase was
        recovered) records ``null``.
        """
        from .thumbnails import thumbnail_png

        post = self._post
        spec = self.model.spec
        sc_db = (
            None
            if S is None
            else float(self._phase.reconstruction_error(S[None], y[None], spec=spec)[0])
        )
        out = post.finalize(
            y,
            sr=spec.sr,
            target_sr=self.out_sr,
            size=job.size,
            lufs=self.loudness,
            peak_dbfs=PEAK_CEILING_DBFS,
            fade_ms=FADE_MS,
            cut_calls=self.model.meta.learnt_room_tone,
        )
        if out.size == 0:  # never write a sound of 0 samples into a pack that looks complete
            raise ModelError(
                f"{self.model.path}: {job.sound_id} came out empty (0 samples at "
                f"{self.out_sr} Hz from a clip of {spec.clip_samples} samples at {spec.sr} Hz)"
            )
        pcm = post.to_pcm16(out)
        heard = out if self.audio_format == "ogg" else pcm.astype(np.float32) / 32768.0
        lufs, peak = post.measure(heard, sr=self.out_sr)
        data = encode(
            out,
            pcm,
            sr=self.out_sr,
            audio_format=self.audio_format,
            serial=job.latent_seed & 0xFFFFFFFF,
        )
        entry = fmt.sound_entry(
            creature=job.creature,
            variation=job.variation,
            audio_format=self.audio_format,
            latent_seed=job.latent_seed,
            duration_s=len(out) / self.out_sr,
            lufs=lufs if math.isfinite(lufs) else -120.0,
            peak_dbfs=peak if math.isfinite(peak) else -120.0,
            sha256=hashlib.sha256(data).hexdigest(),
            phase_sc_db=sc_db,
        )
        # No fsync per file: resume re-checks every sha256, and one os.sync() precedes the
        # manifest, so a finished pack is durable without paying 1–10 ms per file.
        atomic_write_bytes(self.out / entry["file"], data, fsync=False)
        png = thumbnail_png(out, sr=self.out_sr)
        atomic_write_bytes(self.out / fmt.THUMBS_DIR / f"{job.sound_id}.png", png, fsync=False)
        return entry, hashlib.sha256(png).hexdigest()

    def _finish_all(
        self, jobs: Sequence[_Job], S: np.ndarray | None, Y: np.ndarray, on_entry: _OnEntry
    ) -> None:
        magnitudes = [None] * len(jobs) if S is None else S
        for job, s, y in zip(jobs, magnitudes, Y, strict=True):
            on_entry(*self.finish(job, s, y))

    def run(
        self,
        jobs: Sequence[_Job],
        *,
        batch_size: int,
        on_entry: _OnEntry,
    ) -> None:
        """Render ``jobs`` in batches; ``on_entry(entry, thumb_sha256)`` after each sound's files.

        Two stages overlap: while one thread post-processes and writes batch k, the caller's
        thread runs the generator and phase retrieval of batch k + 1 (numpy, scipy.fft, soxr
        and zlib release the GIL, so the stages share the cores). At most two batches of
        audio exist at once, and ``on_entry`` is only ever called from the writer thread, one
        sound at a time.
        """
        from concurrent.futures import ThreadPoolExecutor

        batches = [jobs[i : i + batch_size] for i in range(0, len(jobs), batch_size)]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mbot-writer") as writer:
            pending = None
            for batch in batches:
                S, Y = self.audio(batch)
                if pending is not None:
                    pending.result()  # re-raises the writer's error, keeps memory bounded
                pending = writer.submit(self._finish_all, batch, S, Y, on_entry)
            if pending is not None:
                pending.result()


def _check_model_output(model: GeneratorModel) -> None:
    """Run the generator once, on one latent, before any folder is created or cleared.

    Loading checks the output's declared shape, but a symbolic dim passes that check, and a
    model whose spec disagrees with what it really emits would otherwise fail (or allocate
    for a lying spec) only after the pack folder exists, or after ``--force`` cleared the old
    pack. One row costs milliseconds; :meth:`GeneratorModel.generate` checks the shape and
    finiteness of what comes out.
    """
    z = np.zeros((1, model.latent_dim), np.float32)
    noise = model.noise_for([0])
    if model.is_waveform:
        model.generate_audio(z, noise)
    else:
        model.generate(z, noise)


def _check_batch_size(batch_size: object) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(f"batch size must be a positive integer, got {batch_size!r}")
    return batch_size


# ============================================================================ side files
def _model_record(model: GeneratorModel) -> dict[str, Any]:
    meta = model.meta
    return {
        "name": meta.model_name,
        "sha256": model.sha256,
        "content_hash": meta.content_hash,
        "preset": meta.preset,
        "training_steps": meta.training_steps,
    }


def _attribution(meta) -> str:
    """The manifest's ``attribution``: training data name, license and the credit it asks for."""
    data = meta.dataset
    parts = []
    if data.get("name") or data.get("license"):
        name = data.get("name", "an unnamed data set")
        lic = data.get("license", "license not stated")
        clips = data.get("clips")
        extra = f", {clips} clips" if clips else ""
        parts.append(f"Training data: {name} ({lic}{extra}).")
    if meta.attribution.strip():
        parts.append(meta.attribution.strip())
    return "\n".join(parts)


def _attribution_text(manifest: Mapping[str, Any]) -> str:
    """ATTRIBUTION.txt: what made the pack and whom its training data asks to credit."""
    model = manifest["model"]
    lines = [
        f"{manifest['name']}: {len(manifest['sounds'])} sounds made with {manifest['created_by']}",
        f"by the generator {model['name']!r} (sha256 {model['sha256']}).",
        "",
        manifest["attribution"]
        or "The model carries no information about its training data or its license.",
    ]
    return "\n".join(lines) + "\n"


def _write_tres(out: Path, creature: Mapping[str, Any], sounds: Mapping[str, Any]) -> None:
    from .godot_resources import randomizer_tres

    text = randomizer_tres(
        [sounds[sid]["file"] for sid in creature["sounds"]],
        random_pitch=creature["random_pitch"],
        random_volume_offset_db=creature["random_volume_offset_db"],
    )
    atomic_write_text(out / creature["resource"], text, fsync=False)


def _finish_pack(out: Path, manifest: Mapping[str, Any], *, only_missing: bool = False) -> Path:
    """Write attribution, audition page, contact sheet and, last, the manifest.

    ``only_missing`` (``--resume`` repairing a finished pack) writes only the files that are
    not there, so a side file the user edited is never overwritten.
    """
    from .audition import index_html
    from .thumbnails import contact_sheet

    def wanted(name: str) -> bool:
        return not (only_missing and (out / name).is_file())

    if wanted(fmt.ATTRIBUTION):
        atomic_write_text(out / fmt.ATTRIBUTION, _attribution_text(manifest), fsync=False)
    if wanted(fmt.INDEX):
        atomic_write_text(out / fmt.INDEX, index_html(manifest), fsync=False)
    rows = [
        (c["id"], [out / fmt.THUMBS_DIR / f"{sid}.png" for sid in c["sounds"]])
        for c in manifest["creatures"][:CONTACT_SHEET_MAX_CREATURES]
    ]
    if wanted(fmt.CONTACT_SHEET):
        atomic_write_bytes(
            out / fmt.CONTACT_SHEET,
            contact_sheet(rows, max_columns=CONTACT_SHEET_MAX_COLUMNS),
            fsync=False,
        )
    if not wanted(fmt.MANIFEST):
        return out / fmt.MANIFEST
    return _write_manifest(out / fmt.MANIFEST, manifest)


def _write_manifest(path: Path, manifest: Mapping[str, Any]) -> Path:
    """Make everything written so far durable, then write the manifest (the "done" mark)."""
    os.sync()
    atomic_write_text(path, fmt.dumps(manifest))
    return path


# ============================================================================ render
def _prepare(
    out: Path,
    *,
    header: Mapping[str, Any],
    shard: tuple[int, int] | None,
    creatures: Sequence[int],
    resume: bool,
    force: bool,
) -> str:
    """Check and prepare the output folder; returns ``"fresh"``, ``"resume"`` or ``"complete"``."""
    if resume and force:
        raise ParameterError("--resume and --force exclude each other")
    kind = _folder_kind(out)
    if kind == "foreign":
        extra = _foreign_entries(out)
        if _has_marker(out) and extra:
            raise PackError(
                f"{out} holds a MockingBot pack plus files mbot did not write "
                f"({_listed(extra)}); move them out of the folder or choose another --out "
                "(mbot never deletes or overwrites files it did not write)"
            )
        what = f"it holds {_listed(extra)}" if extra else "pack-like files but no manifest"
        raise PackError(
            f"{out} is not empty and is not a MockingBot pack ({what}); choose another --out "
            "(mbot never deletes files it did not write)"
        )
    if kind in ("missing", "empty"):
        return "fresh"
    marker = out / (fmt.MANIFEST if shard is None else fmt.shard_manifest_name(*shard))
    journal = out / fmt.journal_name(shard)
    merged = out / fmt.MANIFEST
    if shard is not None and merged.exists():
        existing = _read_marker(merged)
        if resume and _same_pack(existing, header):
            return "complete"
        raise PackError(
            f"{out} already holds a finished (merged) pack; render shards into a new folder"
        )
    if force:
        _check_markers(out)
        if shard is None:
            _clear_pack(out)
        else:
            _check_sibling_shards(out, header, shard)
            _clear_shard(out, shard, creatures)
        return "fresh"
    if marker.exists():
        existing = _read_marker(marker)
        if resume and _same_pack(existing, header):
            return "complete"
        if resume:
            raise PackError(
                f"cannot resume {out}: it holds a finished pack but "
                f"{_describe_difference(existing, header)}; use --force to replace it"
            )
        raise PackError(
            f"{out} already holds a finished pack; pass --force to replace it or choose "
            "another --out"
        )
    if journal.exists():
        if not resume:
            raise PackError(
                f"{out} holds an unfinished render; pass --resume to complete it or --force "
                "to start over"
            )
        return "resume"
    if shard is None:
        raise PackError(
            f"{out} holds shards of a pack; merge them with `mbot pack merge {out}` or pass "
            "--force to replace them"
        )
    _check_sibling_shards(out, header, shard)
    return "fresh"


def _read_marker(path: Path) -> dict[str, Any]:
    """A pack's manifest; when it is ours but damaged, the error says how to start over."""
    try:
        return fmt.read_manifest(path)
    except fmt.DamagedManifestError as exc:
        raise PackError(f"{exc}; pass --force to render the pack again") from None


def _check_markers(out: Path) -> None:
    """Before deleting anything: every manifest and journal in ``out`` must really be ours
    (format and version; a damaged manifest of ours may be replaced)."""
    for p in sorted(out.iterdir()):
        if p.name == fmt.MANIFEST or _SHARD_MANIFEST.match(p.name):
            fmt.read_manifest(p, structure=False)
        elif p.name.startswith(".mbot-progress") and p.name.endswith(".jsonl"):
            try:
                head = json.loads(p.read_text(encoding="utf-8").split("\n", 1)[0])
            except (OSError, UnicodeDecodeError, ValueError):
                head = None
            if not isinstance(head, dict) or head.get("kind") != _JOURNAL_KIND:
                raise PackError(f"{p} is not a MockingBot progress journal; not touching {out}")


def _check_sibling_shards(out: Path, header: Mapping[str, Any], shard: tuple[int, int]) -> None:
    """Other shards in a shared folder must belong to the same pack (ours may be replaced)."""
    own = {fmt.shard_manifest_name(*shard), fmt.journal_name(shard)}
    for p in sorted(out.iterdir()):
        if p.name in own:
            continue
        m = _SHARD_MANIFEST.match(p.name)
        if m:
            other = fmt.read_manifest(p)
            same = _same_pack(other, header) and int(m.group(2)) == shard[1]
        elif p.name.startswith(".mbot-progress") and p.name.endswith(".jsonl"):
            try:
                other = json.loads(p.read_text(encoding="utf-8").split("\n", 1)[0])
            except (OSError, ValueError):
                continue
            same = (
                other.get("arguments") == header["arguments"]
                and other.get("model_sha256") == header["model_sha256"]
                and (other.get("shard") or [0, 0])[1] == shard[1]
            )
        else:
            continue
        if not same:
            raise PackError(
                f"{out} holds shards of a different pack ({p.name}); render into another folder"
            )


def _damage_to_finished(
    out: Path, marker: Path, shard: tuple[int, int] | None, planned: set[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]] | None:
    """Before ``--resume`` calls a finished pack done: are its files still as written?

    Returns ``None`` when every sound, thumbnail and side file is in place. Otherwise the
    manifest and the sounds whose audio (sha256) and thumbnail are intact: the rest is
    rendered again, to the same bytes. (It said "0 sounds rendered, 60 already done" and
    exited 0 over deleted or altered files.)

    Raises:
        PackError: an audio file is there but differs from its sha256 (someone changed it:
            resume never overwrites a file that is not as it wrote it), or a missing sound
            was made by ``mbot mutate`` (resume cannot make it again).
    """
    manifest = fmt.read_manifest(marker)
    intact: dict[str, dict[str, Any]] = {}
    changed: list[str] = []
    for s in manifest["sounds"]:
        audio, thumb = out / s["file"], out / fmt.THUMBS_DIR / f"{s['id']}.png"
        if not audio.is_file():
            continue
        if sha256_file(audio) != s["sha256"]:
            changed.append(s["file"])
        elif thumb.is_file():
            intact[s["id"]] = dict(s)
    if changed:
        raise PackError(
            f"cannot resume {out}: {_listed(changed)} changed after rendering (sha256 differs "
            "from the manifest); move the changed file(s) out of the pack to have --resume "
            "render them again, or pass --force to render the pack again"
        )
    lost = [s["file"] for s in manifest["sounds"] if s["id"] not in intact]
    unplanned = [s["file"] for s in manifest["sounds"] if s["id"] not in planned | intact.keys()]
    if unplanned:
        raise PackError(
            f"cannot resume {out}: {_listed(unplanned)} made by mbot mutate is missing or "
            "incomplete; --resume cannot make it again (run that mutate again)"
        )
    side = [c["resource"] for c in manifest["creatures"]]
    if shard is None:
        side += [fmt.INDEX, fmt.CONTACT_SHEET, fmt.ATTRIBUTION]
    if not lost and all((out / name).is_file() for name in side):
        return None
    return manifest, intact


def _verified(out: Path, lines: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Journaled sounds whose audio and thumbnail still match their sha256s."""
    ok: dict[str, dict[str, Any]] = {}
    for line in lines:
        try:
            e, thumb_sha = line["sound"], line["thumb_sha256"]
            audio, thumb = out / e["file"], out / fmt.THUMBS_DIR / f"{e['id']}.png"
            if (
                audio.is_file()
                and thumb.is_file()
                and sha256_file(audio) == e["sha256"]
                and sha256_file(thumb) == thumb_sha
            ):
                ok[e["id"]] = dict(e)
        except (KeyError, TypeError):
            continue
    return ok


def render_pack(
    model: GeneratorModel,
    out: str | os.PathLike[str],
    settings: PackSettings,
    *,
    shard: tuple[int, int] | None = None,
    resume: bool = False,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> PackResult:
    """Render a pack (or one shard of it) into ``out``.

    Args:
        model: the loaded generator.
        out: the pack folder: created if missing; an existing one must be empty, or a pack
            folder with ``resume``/``force`` (see the module docstring).
        settings: the pack arguments; ``settings.name`` empty → the model's name.
        shard: ``(I, N)`` to render only shard I of N (1-based).
        resume: complete an interrupted render (or do nothing if the pack is complete).
        force: replace an existing pack in ``out`` (only files the pack format defines).
        batch_size: sounds per inference/phase batch; does not change any output byte.
        on_progress: called as ``on_progress(done, total)`` after each finished sound (and
            once at the start, counting sounds reused from an interrupted run).

    Returns:
        A :class:`PackResult`.

    Raises:
        ParameterError, PackError, ModelError: with a one-line message.
    """
    started = time.perf_counter()
    out = Path(out)
    batch_size = _check_batch_size(batch_size)
    if not settings.name:
        settings = dataclasses.replace(settings, name=folder_name(model.meta.model_name))
    sizes = plan_pack(settings.count, settings.creatures, settings.variations)
    ours = shard_creatures(len(sizes), shard)
    header = _journal_header(settings, model, shard)
    _check_model_output(model)
    _folder_kind(out)  # a file where the folder should be: say so before locking
    with _pack_lock(out, shard):
        state = _prepare(
            out, header=header, shard=shard, creatures=ours, resume=resume, force=force
        )
        total = sum(sizes[c] for c in ours)
        marker = out / (fmt.MANIFEST if shard is None else fmt.shard_manifest_name(*shard))
        finished: dict[str, Any] = {}  # a finished pack's manifest, when --resume repairs it
        done: dict[str, dict[str, Any]] = {}
        if state == "complete":
            with contextlib.suppress(FileNotFoundError):  # killed between manifest and cleanup
                (out / fmt.journal_name(shard)).unlink()
            planned = {fmt.sound_id(c, v) for c in ours for v in range(sizes[c])}
            damage = _damage_to_finished(out, marker, shard, planned) if marker.exists() else None
            if damage is None:
                if on_progress:
                    on_progress(total, total)
                return PackResult(out, total, 0, total, time.perf_counter() - started, True, marker)
            finished, done = damage
            state = "repair"

        with _disk_errors(out, again="run the same command with --resume to finish it"):
            _make_folder(out)
            _remove_temp_files(out)
            journal = _Journal(out / fmt.journal_name(shard))
            if state == "resume":
                old_header, entries = journal.load()
                if old_header != header:
                    journal.close()
                    raise PackError(
                        f"cannot resume {out}: {_describe_difference(old_header, header)}; pass "
                        "the same arguments as the interrupted render, or --force to start over"
                    )
                done = _verified(out, entries)
            else:
                journal.start(header)

            traits = {
                c: lat.creature_traits(settings.seed, c, size_range=settings.size_range)
                for c in ours
            }
            jobs = [
                _Job(c, v, lat.latent_seed(settings.seed, c, v), traits[c].size)
                for c in ours
                for v in range(sizes[c])
                if fmt.sound_id(c, v) not in done
            ]
            reused = total - len(jobs)
            count_done = reused
            if on_progress:
                on_progress(count_done, total)
            centers: dict[int, np.ndarray] = {}

            def center(c: int) -> np.ndarray:
                if c not in centers:
                    centers[c] = lat.creature_center(settings.seed, c, latent_dim=model.latent_dim)
                return centers[c]

            def on_entry(entry: dict[str, Any], thumb_sha256: str) -> None:
                nonlocal count_done
                journal.append({"sound": entry, "thumb_sha256": thumb_sha256})
                done[entry["id"]] = entry
                count_done += 1
                if on_progress:
                    on_progress(count_done, total)

            out_sr = settings.output_rate(model.spec.sr)
            renderer = _Renderer(
                model,
                out,
                out_sr=out_sr,
                audio_format=settings.audio_format,
                loudness=float(settings.loudness),
                center=center,
                spread=lambda c: settings.spread,
            )
            try:
                renderer.run(jobs, batch_size=batch_size, on_entry=on_entry)
            finally:
                journal.close()

            creatures = [
                fmt.creature_entry(
                    index=c,
                    size=traits[c].size,
                    random_pitch=traits[c].random_pitch,
                    random_volume_offset_db=traits[c].random_volume_offset_db,
                    sounds=[fmt.sound_id(c, v) for v in range(sizes[c])],
                )
                for c in ours
            ]
            sounds = [done[sid] for c in creatures for sid in c["sounds"]]
            if finished:  # repairing: write only what is missing, from the pack's own manifest
                every = {s["id"]: s for s in finished["sounds"]}
                for c in finished["creatures"]:
                    if not (out / c["resource"]).is_file():
                        _write_tres(out, c, every)
            else:
                for c in creatures:
                    _write_tres(out, c, done)
            manifest = fmt.build_manifest(
                name=settings.name,
                created_by=_created_by(),
                model=_model_record(model),
                seed=settings.seed,
                arguments=settings.arguments(),
                spec=model.spec.to_dict(),
                sample_rate=out_sr,
                audio_format=settings.audio_format,
                loudness_lufs=float(settings.loudness),
                attribution=_attribution(model.meta),
                creatures=creatures,
                sounds=sounds,
                shard=shard,
            )
            if finished:
                path = _finish_pack(out, finished, only_missing=True) if shard is None else marker
                os.sync()  # the sounds rendered again are durable before the journal goes
            elif shard is None:
                path = _finish_pack(out, manifest)
            else:
                path = _write_manifest(out / fmt.shard_manifest_name(*shard), manifest)
            journal.remove()
            return PackResult(
                out, total, len(jobs), reused, time.perf_counter() - started, shard is None, path
            )


def folder_name(name: str) -> str:
    """``name`` made safe as a folder name (the default ``--out`` is ``packs/<name>``)."""
    cleaned = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "-", name).strip() or "pack"
    return cleaned[:MAX_NAME_LENGTH]


# ============================================================================ merge
_COMMON_KEYS = (
    "format",
    "format_version",
    "name",
    "created_by",
    "model",
    "seed",
    "arguments",
    "spec",
    "sample_rate",
    "audio_format",
    "loudness_lufs",
    "attribution",
)


def _copy_verified(src: Path, dst: Path, sha256: str | None) -> None:
    """Copy ``src`` to ``dst`` atomically; with ``sha256``, refuse a file that does not match."""
    if not src.is_file():
        raise PackError(f"{src} is missing; re-render that shard with --resume")
    if sha256 is not None and sha256_file(src) != sha256:
        raise PackError(f"{src} does not match its manifest sha256; re-render that shard")
    if src.resolve() == dst.resolve():
        return
    with atomic_path(dst, fsync=False) as tmp:
        shutil.copyfile(src, tmp)


def merge_shards(
    folders: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] | None = None,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> PackResult:
    """Join the shards of one pack into a complete pack, identical to an unsharded render.

    Args:
        folders: folders holding ``manifest.shard-I-of-N.json`` files (one folder may hold
            several shards, e.g. on a shared file system).
        out: where the merged pack goes; default the first folder (merged in place; other
            folders are only read). A folder not among ``folders`` must be new or empty.
        on_progress: ``on_progress(done, total)`` as sounds are checked and copied.

    Every audio file is checked against its sha256; ``index.html``, the contact sheet,
    ``ATTRIBUTION.txt``, the ``.tres`` files and ``manifest.json`` are (re)written; the shard
    manifests in ``out`` are deleted last.

    Raises:
        PackError: no shards, missing or duplicate shards, shards of different packs, a
            missing or altered file.
    """
    started = time.perf_counter()
    dirs = [Path(f) for f in folders]
    if not dirs:
        raise ParameterError("give at least one shard folder to merge")
    found: dict[int, tuple[Path, dict[str, Any], Path]] = {}
    for d in dirs:
        if not d.is_dir():
            raise PackError(f"{d} is not a folder")
        for p in sorted(d.iterdir()):
            m = _SHARD_MANIFEST.match(p.name)
            if not m:
                continue
            data = fmt.read_manifest(p)
            shard = data.get("shard") or {}
            i, n = int(m.group(1)), int(m.group(2))
            if (shard.get("index"), shard.get("count")) != (i, n):
                raise PackError(f"{p}: its shard record does not match its file name")
            if i in found and found[i][1] != data:
                raise PackError(f"shard {i}/{n} appears twice with different contents ({p})")
            found.setdefault(i, (d, data, p))
    if not found:
        names = ", ".join(str(d) for d in dirs)
        raise PackError(f"no shard manifests (manifest.shard-I-of-N.json) in {names}")
    counts = {data["shard"]["count"] for _, data, _ in found.values()}
    if len(counts) != 1:
        raise PackError(f"the shards split the pack in different ways (N = {sorted(counts)})")
    n = counts.pop()
    missing = [i for i in range(1, n + 1) if i not in found]
    if missing:
        listed = ", ".join(f"{i}/{n}" for i in missing)
        raise PackError(
            f"missing shard(s) {listed}: render them with --shard (or --resume an interrupted one)"
        )
    ref = found[1][1]
    for i in range(2, n + 1):
        data = found[i][1]
        for key in _COMMON_KEYS:
            if data.get(key) != ref.get(key):
                raise PackError(f"shard {i}/{n} belongs to a different pack ({key} differs)")

    settings = PackSettings.from_arguments(ref["arguments"])
    sizes = plan_pack(settings.count, settings.creatures, settings.variations)
    creatures: list[dict[str, Any]] = []
    sounds: dict[str, dict[str, Any]] = {}
    where: dict[str, Path] = {}
    for i in range(1, n + 1):
        d, data, _ = found[i]
        expected = shard_creatures(len(sizes), (i, n))
        got = [c["index"] for c in data["creatures"]]
        if got != list(expected):
            raise PackError(f"shard {i}/{n} does not hold the creatures it should")
        for c in data["creatures"]:
            if len(c["sounds"]) != sizes[c["index"]]:
                raise PackError(f"shard {i}/{n}: {c['id']} has the wrong number of sounds")
            creatures.append(c)
        for s in data["sounds"]:
            sounds[s["id"]] = s
            where[s["id"]] = d

    target = dirs[0] if out is None else Path(out)
    outside = all(target.resolve() != d.resolve() for d in dirs)
    if outside and _folder_kind(target) not in ("missing", "empty"):
        raise PackError(f"{target} is not empty; merge into a new or empty folder")
    # shards still rendering into the folder hold it shared: merging now would miss them
    with _pack_lock(target, None), _disk_errors(target, again="run the merge again"):
        _make_folder(target)
        _remove_temp_files(target)
        total = len(sounds)
        for k, (sid, s) in enumerate(sounds.items(), start=1):
            src = where[sid]
            _copy_verified(src / s["file"], target / s["file"], s["sha256"])
            thumb = f"{fmt.THUMBS_DIR}/{sid}.png"
            _copy_verified(src / thumb, target / thumb, None)
            if on_progress:
                on_progress(k, total)
        for c in creatures:
            _write_tres(target, c, sounds)
        manifest = fmt.build_manifest(
            name=ref["name"],
            created_by=ref["created_by"],
            model=ref["model"],
            seed=ref["seed"],
            arguments=ref["arguments"],
            spec=ref["spec"],
            sample_rate=ref["sample_rate"],
            audio_format=ref["audio_format"],
            loudness_lufs=ref["loudness_lufs"],
            attribution=ref["attribution"],
            creatures=creatures,
            sounds=[sounds[sid] for c in creatures for sid in c["sounds"]],
        )
        path = _finish_pack(target, manifest)
        for p in sorted(target.iterdir()):
            if _SHARD_MANIFEST.match(p.name):
                p.unlink()
    return PackResult(target, total, 0, total, time.perf_counter() - started, True, path)


# ============================================================================ mutate
def mutate_sound(
    model: GeneratorModel,
    pack: str | os.PathLike[str],
    sound_id: str,
    *,
    count: int,
    spread: float = lat.DEFAULT_MUTATE_SPREAD,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> PackResult:
    """Add a new creature to a finished pack: ``count`` variations of one sound.

    The new creature's center is the chosen sound's latent (rebuilt from the manifest with
    :func:`~mockingbot.runtime.latents.latent_from_manifest`), its variations sit ``spread``
    around it, and it keeps the parent creature's size and play-time jitter, so the new
    sounds are recognisably the one the user liked. The pack gains ``creature_<K>.tres``,
    the new audio and thumbnails; index, contact sheet and manifest are rewritten (manifest
    last). Running the same mutate twice adds two different creatures; an interrupted mutate
    leaves the pack as it was (its orphan files are overwritten by the next attempt).

    Raises:
        PackError: not a finished pack, or no such sound.
        ModelError: ``model`` is not the model the pack was rendered with.
    """
    started = time.perf_counter()
    out = Path(pack)
    count = _positive_int("count", count, allow_none=False)
    spread = lat.validate_spread(spread)
    batch_size = _check_batch_size(batch_size)
    if not out.is_dir():
        raise PackError(f"{out} is not a pack folder")
    manifest = fmt.read_manifest(out / fmt.MANIFEST)
    if any(p.name.startswith(".mbot-progress") for p in out.iterdir()):
        raise PackError(f"{out} has an unfinished render; complete it with --resume first")
    if model.sha256 != manifest["model"]["sha256"]:
        raise ModelError(
            f"{out} was rendered with the model {manifest['model']['name']!r} (sha256 "
            f"{manifest['model']['sha256'][:12]}…); pass that file with --model"
        )
    _check_model_output(model)
    sounds = {s["id"]: s for s in manifest["sounds"]}
    if sound_id not in sounds:
        raise PackError(f"{out} has no sound {sound_id!r} (ids look like creature_000_v00)")
    parent = next(c for c in manifest["creatures"] if c["id"] == sounds[sound_id]["creature"])
    index = max(c["index"] for c in manifest["creatures"]) + 1
    seed = int(manifest["seed"])
    center = lat.latent_from_manifest(manifest, sound_id, latent_dim=model.latent_dim)
    jobs = [_Job(index, v, lat.latent_seed(seed, index, v), parent["size"]) for v in range(count)]
    entries: list[dict[str, Any]] = []

    def on_entry(entry: dict[str, Any], thumb_sha256: str) -> None:
        entries.append(entry)
        if on_progress:
            on_progress(len(entries), count)

    # a render (or another mutate) writing here meanwhile would mix its files with these
    with _pack_lock(out, None), _disk_errors(out, again="run mutate again"):
        renderer = _Renderer(
            model,
            out,
            out_sr=int(manifest["sample_rate"]),
            audio_format=manifest["audio_format"],
            loudness=float(manifest["loudness_lufs"]),
            center=lambda c: center,
            spread=lambda c: spread,
        )
        renderer.run(jobs, batch_size=batch_size, on_entry=on_entry)
        creature = fmt.creature_entry(
            index=index,
            size=parent["size"],
            random_pitch=parent["random_pitch"],
            random_volume_offset_db=parent["random_volume_offset_db"],
            sounds=[e["id"] for e in entries],
            parent=sound_id,
            spread=spread,
        )
        _write_tres(out, creature, {e["id"]: e for e in entries})
        manifest = dict(manifest)
        manifest["creatures"] = [*manifest["creatures"], creature]
        manifest["sounds"] = [*manifest["sounds"], *entries]
        path = _finish_pack(out, manifest)
    return PackResult(out, count, count, 0, time.perf_counter() - started, True, path)


# ============================================================================ verify
def _no_sound(path: Path, entry: Mapping[str, Any]) -> str | None:
    """Why a pack's audio file holds no sound (``None`` when it has frames).

    A sha256 only proves the file is the one that was written: a model with a lying spec
    once wrote packs of 0-frame WAVs whose checksums all matched.
    """
    import soundfile as sf

    duration = entry.get("duration_s")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration <= 0:
        return f"is an empty sound (the manifest says duration_s {duration!r})"
    try:
        frames = sf.info(os.fsencode(path)).frames
    except (RuntimeError, OSError, ValueError) as exc:
        return f"is not readable audio ({' '.join(str(exc).split())[:120]})"
    return None if frames > 0 else "holds no audio frames"


def verify_pack(pack: str | os.PathLike[str]) -> list[str]:
    """Everything wrong with a finished pack folder (empty list: the pack is intact).

    Checks the manifest, every audio file's sha256, every thumbnail, every ``.tres`` (well
    formed, pointing at exactly its creature's files, which exist) and the side files.
    """
    from .godot_resources import parse_godot_text, randomizer_problems, randomizer_stream_paths

    out = Path(pack)
    try:
        manifest = fmt.read_manifest(out / fmt.MANIFEST)
    except PackError as exc:
        return [str(exc)]
    problems: list[str] = []
    ids = [s["id"] for s in manifest["sounds"]]
    if len(set(ids)) != len(ids):
        problems.append("manifest lists a sound id twice")
    sounds = {s["id"]: s for s in manifest["sounds"]}
    listed = [sid for c in manifest["creatures"] for sid in c["sounds"]]
    if sorted(listed) != sorted(ids):
        problems.append("creatures' sound lists do not match the manifest's sounds")
    for s in manifest["sounds"]:
        path = out / s["file"]
        if not path.is_file():
            problems.append(f"{s['file']} is missing")
        elif sha256_file(path) != s["sha256"]:
            problems.append(f"{s['file']} does not match its sha256")
        elif why := _no_sound(path, s):
            problems.append(f"{s['file']} {why}")
        if not (out / fmt.THUMBS_DIR / f"{s['id']}.png").is_file():
            problems.append(f"{fmt.THUMBS_DIR}/{s['id']}.png is missing")
    for c in manifest["creatures"]:
        tres = out / c["resource"]
        if not tres.is_file():
            problems.append(f"{c['resource']} is missing")
            continue
        text = tres.read_text(encoding="utf-8")
        problems += [f"{c['resource']}: {p}" for p in randomizer_problems(text, folder=out)]
        with contextlib.suppress(ParameterError):
            paths = randomizer_stream_paths(parse_godot_text(text))
            if paths != [sounds[sid]["file"] for sid in c["sounds"] if sid in sounds]:
                problems.append(f"{c['resource']} does not list exactly {c['id']}'s sounds")
    for name in (fmt.INDEX, fmt.CONTACT_SHEET, fmt.ATTRIBUTION):
        if not (out / name).is_file():
            problems.append(f"{name} is missing")
    return problems
