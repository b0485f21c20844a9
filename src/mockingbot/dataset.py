"""A data-set folder → training clips, with a report of every file and why any was rejected.

The trainer and ``mbot dataset inspect`` both go through :func:`load_dataset`: it scans a folder
recursively, decodes every audio file (:mod:`mockingbot.audio`), splits recordings into calls
and fits each call into one fixed-length, peak-normalised clip (:mod:`mockingbot.clips`). Bad
files never stop it (unless ``strict``): each is listed with its reason.

Which files count (:func:`scan_audio_files`):

- every regular file under the root, in sub-folders too, sorted by relative path
  (links to files are followed, links to folders are not, so a link loop cannot hang it);
- what is not a regular file is never opened but always named: a dangling link, a link
  loop, a named pipe, a socket, a device (or a link to one), a link to a folder. One with
  an audio extension is *rejected* as "unreadable" (the user meant it as audio); the rest
  is listed as *skipped* (:class:`Skipped`);
- hidden files and folders (name starting with ``.``: ``.DS_Store``, ``._meow.wav`` from
  macOS archives, ``.git``) are skipped silently, except one named exactly like an audio
  extension (a folder called ``.wav``), which is listed as skipped;
- files with an audio extension (:data:`AUDIO_EXTENSIONS`, any case) are candidates, so a
  broken ``.wav`` is reported, not hidden;
- any other file is a candidate only if its first bytes carry an audio signature (a WAV saved
  without extension is used); the rest — README, licence, images, spreadsheets — is
  *ignored*: counted in the summary, never reported as a rejection.

Recording groups (:func:`group_of`) tell the novelty metric which clips come from the same
animal or session.

Contents: :func:`scan_audio_files`, :func:`group_of`, :func:`load_dataset`, and the records
:class:`Dataset`, :class:`FileReport`, :class:`Rejected`, :class:`Clip`.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import stat
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .audio import AudioInfo, read_audio, sniff_audio
from .clips import (
    CLIP_PEAK_DBFS,
    CONTEXTS,
    MIN_CALL_S,
    call_bounds,
    energetic_offset,
    normalize_peak,
    silence_bounds,
)
from .errors import AudioLoadError, DataError, ParameterError
from .spec import SpectrogramSpec

__all__ = [
    "AUDIO_EXTENSIONS",
    "CATMEOWS_NAME",
    "CONTEXTS",
    "Clip",
    "Dataset",
    "FileReport",
    "Rejected",
    "Skipped",
    "group_of",
    "load_dataset",
    "scan_audio_files",
]

#: Extensions (lower case) of containers libsndfile reads. Files with these are always tried.
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".wav", ".wave", ".bwf", ".rf64", ".w64",
        ".flac", ".ogg", ".oga", ".opus",
        ".aif", ".aiff", ".aifc",
        ".mp3", ".mp2",
        ".au", ".snd", ".caf", ".sd2", ".voc", ".sph", ".nist", ".ircam", ".sf", ".paf", ".xi",
    }
)  # fmt: skip

#: CatMeows file names start ``<context letter>_<cat id>_`` (e.g. ``B_ANI01_MC_FN_SIM01_101``);
#: the cat id (``ANI01``) is the recording group.
CATMEOWS_NAME = re.compile(r"^[A-Z]_([A-Z]{3}\d{2})_")

_DURATION_DIGITS = 3
_DB_DIGITS = 2

ProgressCallback = Callable[[int, int], None]


# ---------------------------------------------------------------------------- records
@dataclasses.dataclass(frozen=True)
class FileReport:
    """One usable file.

    Attributes:
        path: the file.
        info: header facts (container, encoding, rate, channels, frames).
        clips: how many training clips it yielded (≥ 1).
        peak_dbfs: its sample peak over all channels as recorded, dBFS.
        duration_s: its length in seconds (from the header).
        truncated: only its first :data:`mockingbot.audio.MAX_DURATION_S` seconds were used.
    """

    path: Path
    info: AudioInfo
    clips: int
    peak_dbfs: float
    duration_s: float
    truncated: bool = False


@dataclasses.dataclass(frozen=True)
class Rejected:
    """One file that gave no clip, and why (``reason`` is one of ``audio.REASONS``)."""

    path: Path
    reason: str
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class Skipped:
    """An entry of the folder that is not a file to decode (a link to a folder, a pipe ...).

    Attributes:
        path: the entry.
        why: what it is, e.g. ``"named pipe (FIFO), not a file"``.
    """

    path: Path
    why: str


@dataclasses.dataclass(frozen=True, eq=False)
class Clip:
    """One training example.

    Attributes:
        y: float32 audio, exactly ``spec.clip_samples`` long, peak at ``CLIP_PEAK_DBFS``.
        source: the file it came from.
        start_s: where in the (resampled) source the clip's first sample lies, seconds.
        group: recording group (see :func:`group_of`).
    """

    y: np.ndarray
    source: Path
    start_s: float
    group: str


@dataclasses.dataclass
class Dataset:
    """The result of :func:`load_dataset`.

    Attributes:
        root: the folder that was scanned.
        spec: the spectrogram spec that set the sample rate and clip length.
        files: usable files, in scan order.
        rejected: files that gave no clip, in scan order (and unreadable sub-folders).
        clips: training clips, in scan order.
        ignored: non-audio files skipped silently (README, images ...).
        skipped: entries that are not files and have no audio extension (named in reports).
    """

    root: Path
    spec: SpectrogramSpec
    files: list[FileReport] = dataclasses.field(default_factory=list)
    rejected: list[Rejected] = dataclasses.field(default_factory=list)
    clips: list[Clip] = dataclasses.field(default_factory=list)
    ignored: list[Path] = dataclasses.field(default_factory=list)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, for display (posix separators)."""
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def summary(self) -> dict[str, Any]:
        """Everything ``mbot dataset inspect`` shows, as plain JSON-ready data.

        Counts by container (``formats``), encoding (``subtypes``), both (``format_subtypes``,
        keys ``"WAV/PCM_16"``), sample rate and channel count (keys are strings, as JSON
        needs); ``duration_s`` and ``peak_dbfs`` statistics over usable files (None when
        there are none); rejected files with reasons; clip and group counts.
        """
        infos = [f.info for f in self.files]
        durations = [f.duration_s for f in self.files]
        peaks = [f.peak_dbfs for f in self.files]
        reasons = Counter(r.reason for r in self.rejected)
        return {
            "root": str(self.root),
            "sr": self.spec.sr,
            "clip_samples": self.spec.clip_samples,
            "clip_s": round(self.spec.duration_s, _DURATION_DIGITS),
            "files_found": len(self.files) + len(self.rejected),
            "usable": len(self.files),
            "rejected": len(self.rejected),
            "ignored": len(self.ignored),
            "clips": len(self.clips),
            "groups": len({c.group for c in self.clips}),
            "formats": _counts(i.format for i in infos),
            "subtypes": _counts(i.subtype for i in infos),
            "format_subtypes": _counts(f"{i.format}/{i.subtype}" for i in infos),
            "sample_rates": _counts(str(i.samplerate) for i in infos),
            "channels": _counts(str(i.channels) for i in infos),
            "duration_s": _stats(durations, _DURATION_DIGITS, total=True),
            "peak_dbfs": _stats(peaks, _DB_DIGITS),
            "truncated": [self.relative(f.path) for f in self.files if f.truncated],
            "rejected_reasons": dict(sorted(reasons.items())),
            "rejected_files": [
                {"path": self.relative(r.path), "reason": r.reason, "detail": r.detail}
                for r in self.rejected
            ],
            "skipped": [{"path": self.relative(k.path), "why": k.why} for k in self.skipped],
        }


def _counts(values: Any) -> dict[str, int]:
    c = Counter(values)
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def _stats(values: list[float], digits: int, *, total: bool = False) -> dict[str, float] | None:
    if not values:
        return None
    out = {
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "max": round(max(values), digits),
    }
    if total:
        out["total"] = round(sum(values), digits)
    return out


# ---------------------------------------------------------------------------- scanning
def _check_root(root: str | os.PathLike[str]) -> Path:
    path = Path(root).expanduser()
    if not path.exists():
        raise DataError(f"data folder not found: {path}")
    if not path.is_dir():
        raise DataError(f"not a folder: {path} (give the folder that holds the audio files)")
    try:
        with os.scandir(path) as it:
            next(it, None)
    except OSError as exc:
        raise DataError(f"cannot read folder {path}: {exc.strerror or exc}") from None
    return path


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _not_a_file(path: Path) -> str:
    """What ``path`` (not a regular file, as far as ``is_file`` can tell) is, in a few words."""
    link = path.is_symlink()
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if link and exc.errno == errno.ENOENT:
            try:
                return f"dangling link (to {os.readlink(path)}, which does not exist)"
            except OSError:
                return "dangling link"
        return f"cannot be examined ({exc.strerror or exc})"
    via = "link to a " if link else ""
    if stat.S_ISDIR(mode):
        return "link to a folder (not followed)" if link else "a folder"
    if stat.S_ISFIFO(mode):
        return f"{via}named pipe (FIFO), not a file"
    if stat.S_ISSOCK(mode):
        return f"{via}socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return f"{via}device, not a file"
    return f"{via}special file, not a regular file"


def _scan(root: Path) -> tuple[list[Path], list[Path], list[Rejected], list[Skipped]]:
    """→ (candidates, ignored non-audio files, rejected entries, skipped entries), each sorted.

    Rejected entries are unreadable sub-folders and non-files with an audio extension.
    """
    candidates: list[Path] = []
    ignored: list[Path] = []
    bad_dirs: list[Rejected] = []
    skipped: list[Skipped] = []

    def looks_like_audio_name(name: str) -> bool:
        return name.lower() in AUDIO_EXTENSIONS  # ".wav": hidden, but surely meant as audio

    def on_error(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        if where != root:
            bad_dirs.append(Rejected(where, "unreadable", f"folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        kept = []
        for d in dirnames:
            path = Path(dirpath) / d
            if _is_hidden(d):
                if looks_like_audio_name(d):
                    skipped.append(Skipped(path, "hidden folder (its name starts with '.')"))
            elif path.is_symlink():  # os.walk lists it but does not follow it
                skipped.append(Skipped(path, _not_a_file(path)))
            else:
                kept.append(d)
        dirnames[:] = kept
        for name in filenames:
            path = Path(dirpath) / name
            if _is_hidden(name):
                if looks_like_audio_name(name):
                    skipped.append(Skipped(path, "hidden file (its name starts with '.')"))
                continue
            if not path.is_file():  # sockets, fifos, devices, broken links, link loops
                why = _not_a_file(path)
                if path.suffix.lower() in AUDIO_EXTENSIONS:
                    bad_dirs.append(Rejected(path, "unreadable", why))
                else:
                    skipped.append(Skipped(path, why))
                continue
            if path.suffix.lower() in AUDIO_EXTENSIONS or sniff_audio(path):
                candidates.append(path)
            else:
                ignored.append(path)

    def key(p: Path) -> str:
        return p.relative_to(root).as_posix()

    return (
        sorted(candidates, key=key),
        sorted(ignored, key=key),
        sorted(bad_dirs, key=lambda r: key(r.path)),
        sorted(skipped, key=lambda k: key(k.path)),
    )


def scan_audio_files(root: str | os.PathLike[str]) -> list[Path]:
    """Audio files under ``root`` (recursively, sorted by relative path, hidden ones skipped).

    A file counts if its extension is in :data:`AUDIO_EXTENSIONS` or its first bytes carry
    an audio signature; other files (notes, images) are left out. Whether a candidate
    actually decodes is :func:`load_dataset`'s business.

    Raises:
        DataError: ``root`` is missing, not a folder, or unreadable.

    Examples:
        >>> [p.relative_to("meows").as_posix() for p in scan_audio_files("meows")]  # doctest: +SKIP
        ['a.wav', 'b.flac', 'field/day1.wav']
    """
    return _scan(_check_root(root))[0]


def group_of(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """The recording group of ``path`` (for the novelty metric's per-group split).

    Rules, first match wins: a CatMeows-style name ``C_CATID_...`` (:data:`CATMEOWS_NAME`)
    → the cat id; a file inside a sub-folder of ``root`` → that first sub-folder's name
    (one folder per animal or session is the usual layout); else the file's stem.

    Examples:
        >>> group_of("data/B_ANI01_MC_FN_SIM01_101.wav", "data")
        'ANI01'
        >>> group_of("data/tiger/growl3.wav", "data")
        'tiger'
        >>> group_of("data/growl3.wav", "data")
        'growl3'
    """
    path = Path(path)
    m = CATMEOWS_NAME.match(path.name)
    if m:
        return m.group(1)
    try:
        parts = path.relative_to(Path(root)).parts
    except ValueError:
        parts = (path.name,)
    if len(parts) > 1:
        return parts[0]
    return path.stem


# ---------------------------------------------------------------------------- loading
def _segments(y: np.ndarray, *, sr: int, context: str) -> list[tuple[int, int]]:
    if context == "recording":
        start, end = silence_bounds(y, sr=sr)
        return [(start, end)] if end - start >= MIN_CALL_S * sr else []
    return call_bounds(y, sr=sr, min_call_s=MIN_CALL_S)


def _clips_of(
    path: Path, y: np.ndarray, *, spec: SpectrogramSpec, group: str, context: str = "call"
) -> list[Clip]:
    n = spec.clip_samples
    clips = []
    for start, end in _segments(y, sr=spec.sr, context=context):
        call = y[start:end]
        offset = energetic_offset(call, n)
        window = np.zeros(n, dtype=np.float32)
        piece = call[offset : offset + n]
        window[: piece.size] = piece
        clips.append(
            Clip(
                y=normalize_peak(window, peak_dbfs=CLIP_PEAK_DBFS),
                source=path,
                start_s=(start + offset) / spec.sr,
                group=group,
            )
        )
    return clips


def load_dataset(
    root: str | os.PathLike[str],
    *,
    spec: SpectrogramSpec,
    strict: bool = False,
    on_progress: ProgressCallback | None = None,
    context: str = "call",
) -> Dataset:
    """Scan ``root``, decode every audio file and cut the training clips.

    Each file is decoded at ``spec.sr`` (:func:`mockingbot.audio.read_audio`), split into calls
    (:func:`mockingbot.clips.call_bounds`); each call becomes one clip of ``spec.clip_samples``
    (short calls start at sample 0 and are zero-padded, long ones keep their most energetic
    window) normalised to :data:`~mockingbot.clips.CLIP_PEAK_DBFS`. A file whose audio holds
    no call of at least :data:`~mockingbot.clips.MIN_CALL_S` seconds is rejected as
    "too short".

    Args:
        root: the data folder (searched recursively).
        spec: sets the sample rate and clip length.
        strict: stop at the first rejected file by raising its AudioLoadError instead of
            listing it.
        on_progress: called as ``on_progress(done, total)`` once with ``done=0`` before the
            first file and after every file.
        context: ``"call"`` (split into calls, the default) or ``"recording"`` (one clip per
            file, only silence trimmed); see :data:`CONTEXTS`.

    Returns:
        :class:`Dataset` with at least one clip.

    Raises:
        DataError: ``root`` is missing, not a folder or unreadable, or no file gave a clip.
        AudioLoadError: with ``strict=True``, the first file that cannot be used.

    Examples:
        >>> from mockingbot.spec import PRESETS
        >>> ds = load_dataset("meows", spec=PRESETS["default"])  # doctest: +SKIP
        >>> len(ds.clips), ds.summary()["rejected"]  # doctest: +SKIP
        (448, 0)
    """
    if context not in CONTEXTS:
        raise ParameterError(f"context must be one of {', '.join(CONTEXTS)}; got {context!r}")
    root_path = _check_root(root)
    candidates, ignored, bad_dirs, skipped = _scan(root_path)
    ds = Dataset(root=root_path, spec=spec, ignored=ignored, skipped=skipped)
    if strict and bad_dirs:
        b = bad_dirs[0]
        raise AudioLoadError(b.path, b.reason, b.detail)
    ds.rejected.extend(bad_dirs)
    total = len(candidates)
    if on_progress is not None:
        on_progress(0, total)
    for done, path in enumerate(candidates, start=1):
        try:
            loaded = read_audio(path, sr=spec.sr)
            clips = _clips_of(
                path, loaded.y, spec=spec, group=group_of(path, root_path), context=context
            )
            if not clips:
                raise AudioLoadError(
                    path, "too short", f"no call of at least {MIN_CALL_S:g} s above the noise"
                )
        except AudioLoadError as exc:
            if strict:
                raise
            ds.rejected.append(Rejected(path, exc.reason, exc.detail))
        else:
            ds.clips.extend(clips)
            ds.files.append(
                FileReport(
                    path=path,
                    info=loaded.info,
                    clips=len(clips),
                    peak_dbfs=loaded.peak_dbfs,
                    duration_s=loaded.info.duration_s,
                    truncated=loaded.truncated,
                )
            )
        if on_progress is not None:
            on_progress(done, total)
    if not ds.clips:
        raise DataError(_nothing_usable(root_path, ds, total))
    return ds


def _nothing_usable(root: Path, ds: Dataset, total: int) -> str:
    if total == 0:
        extra = f" ({len(ds.ignored)} other files ignored)" if ds.ignored else ""
        return f"no usable audio in {root}: no audio files found{extra}"
    reasons = Counter(r.reason for r in ds.rejected)
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return f"no usable audio in {root}: {len(ds.rejected)} files rejected ({why})"
