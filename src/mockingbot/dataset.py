"""A data-set folder → training clips, with a report of every file and why any was rejected.

The trainer and ``mbot dataset inspect`` both go through :func:`load_dataset`: it scans a folder
recursively, decodes every audio file (:mod:`mockingbot.audio`), splits recordings into calls
and fits each call into one fixed-length, peak-normalised clip (:mod:`mockingbot.clips`). Bad
files never stop it (unless ``strict``): each is listed with its reason.

Which files count, and recording groups: :mod:`mockingbot.datascan`.

Contents: :func:`load_dataset`, and the records :class:`Dataset`, :class:`FileReport`,
:class:`Clip`.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .audio import AudioInfo, read_audio
from .clips import (
    CLIP_PEAK_DBFS,
    MIN_CALL_S,
    call_bounds,
    energetic_offset,
    normalize_peak,
    silence_bounds,
)
from .datascan import (
    Rejected,
    Skipped,
    check_root,
    group_of,
    scan_folder,
)
from .defaults import CONTEXTS
from .errors import AudioLoadError, DataError
from .noisefloor import NoiseFloor, combine, file_floor
from .spec import SpectrogramSpec
from .validation import one_of

__all__ = ["Clip", "Dataset", "FileReport", "load_dataset"]

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
        noise_floor: the usable recordings' noise floor on the spec's STFT grid
            (:mod:`mockingbot.noisefloor`), or None when no recording has a measurable one.
    """

    root: Path
    spec: SpectrogramSpec
    files: list[FileReport] = dataclasses.field(default_factory=list)
    rejected: list[Rejected] = dataclasses.field(default_factory=list)
    clips: list[Clip] = dataclasses.field(default_factory=list)
    ignored: list[Path] = dataclasses.field(default_factory=list)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    noise_floor: NoiseFloor | None = None

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


# ---------------------------------------------------------------------------- loading
def _segments(y: np.ndarray, *, sr: int, context: str) -> list[tuple[int, int, int]]:
    """``(start, end, stop)`` of each clip: the call is ``y[start:end]``; the clip may run on
    to ``stop`` (the ``"onset"`` context's tail, up to the next call; ``end`` otherwise)."""
    if context == "recording":
        start, end = silence_bounds(y, sr=sr)
        return [(start, end, end)] if end - start >= MIN_CALL_S * sr else []
    calls = call_bounds(y, sr=sr, min_call_s=MIN_CALL_S)
    if context == "call":
        return [(start, end, end) for start, end in calls]
    stops = [nxt for nxt, _ in calls[1:]] + [y.size]
    return [(start, end, max(end, stop)) for (start, end), stop in zip(calls, stops)]


def _clips_of(
    path: Path, y: np.ndarray, *, spec: SpectrogramSpec, group: str, context: str = "call"
) -> list[Clip]:
    n = spec.clip_samples
    clips = []
    for start, end, stop in _segments(y, sr=spec.sr, context=context):
        # The window is placed on the call alone (a tail never pulls it off the onset).
        first = start + energetic_offset(y[start:end], n)
        window = np.zeros(n, dtype=np.float32)
        piece = y[first : min(stop, first + n)]
        window[: piece.size] = piece
        clips.append(
            Clip(
                y=normalize_peak(window, peak_dbfs=CLIP_PEAK_DBFS),
                source=path,
                start_s=first / spec.sr,
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
        context: ``"call"`` (split into calls), ``"recording"`` (one clip per
            file, only silence trimmed) or ``"onset"`` (each call from its onset, with the
            recording after it up to the next call); see :data:`CONTEXTS`.

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
    one_of("context", context, CONTEXTS)
    root_path = check_root(root)
    candidates, ignored, bad_dirs, skipped = scan_folder(root_path)
    ds = Dataset(root=root_path, spec=spec, ignored=ignored, skipped=skipped)
    if strict and bad_dirs:
        b = bad_dirs[0]
        raise AudioLoadError(b.path, b.reason, b.detail)
    ds.rejected.extend(bad_dirs)
    total = len(candidates)
    floors = []
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
            floors.append(file_floor(loaded.y, n_fft=spec.n_fft, hop_length=spec.hop_length))
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
    ds.noise_floor = combine(floors)
    return ds


def _nothing_usable(root: Path, ds: Dataset, total: int) -> str:
    if total == 0:
        extra = f" ({len(ds.ignored)} other files ignored)" if ds.ignored else ""
        return f"no usable audio in {root}: no audio files found{extra}"
    reasons = Counter(r.reason for r in ds.rejected)
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return f"no usable audio in {root}: {len(ds.rejected)} files rejected ({why})"
