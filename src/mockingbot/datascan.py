"""Scan a data folder: which files are audio to try, which are named as skipped, and groups.

Why apart from decoding (:mod:`mockingbot.dataset`): ``mbot evaluate`` and ``mbot train``'s
early checks need only the list of audio files, and the rules for what counts are subtle
enough (links, pipes, hidden files, files without extension) to deserve a module of their own.

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

Contents: :func:`scan_audio_files`, :func:`scan_folder`, :func:`check_root`,
:func:`group_of`, :data:`AUDIO_EXTENSIONS`, :data:`CATMEOWS_NAME`, and the records
:class:`Rejected`, :class:`Skipped`.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import stat
from pathlib import Path

from .audioformat import sniff_audio
from .errors import DataError

__all__ = [
    "AUDIO_EXTENSIONS",
    "CATMEOWS_NAME",
    "Rejected",
    "Skipped",
    "check_root",
    "group_of",
    "scan_audio_files",
    "scan_folder",
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


def check_root(root: str | os.PathLike[str]) -> Path:
    """``root`` as a ``Path`` once it is known to be a readable folder (else a DataError)."""
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


def scan_folder(root: Path) -> tuple[list[Path], list[Path], list[Rejected], list[Skipped]]:
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
    actually decodes is :func:`mockingbot.dataset.load_dataset`'s business.

    Raises:
        DataError: ``root`` is missing, not a folder, or unreadable.

    Examples:
        >>> [p.relative_to("meows").as_posix() for p in scan_audio_files("meows")]  # doctest: +SKIP
        ['a.wav', 'b.flac', 'field/day1.wav']
    """
    return scan_folder(check_root(root))[0]


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
