"""The pack folder: who owns it, what it holds, and how an interrupted render continues.

mbot never deletes or overwrites a file it did not write. So before a render writes into
``--out`` it asks what the folder is (:func:`folder_kind`: missing, empty, a pack, or
someone else's), takes the folder's lock (:func:`pack_lock`, one writer at a time, shards
of one pack side by side), and decides with ``--resume``/``--force`` whether to start
fresh, continue or leave a finished pack alone (:func:`prepare_folder`).

Never losing work: a hidden journal (``.mbot-progress.jsonl``, :class:`Journal`) gets one
line per finished sound after its files are in place; ``manifest.json`` is written last and
its presence means the pack is complete (the journal is then deleted). ``--resume`` keeps
the journaled sounds whose files still match their sha256 (:func:`verified_sounds`),
deletes leftover temporary files and renders what is missing; a finished pack whose files
were deleted is repaired the same way (:func:`damage_to_finished`).

Contents: :func:`folder_kind`, :func:`pack_lock`, :func:`make_folder`,
:func:`remove_temp_files`, :func:`disk_errors`, :class:`Journal`, :func:`journal_header`,
:func:`created_by`, :func:`describe_difference`, :func:`prepare_folder`,
:func:`damage_to_finished`, :func:`verified_sounds`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mockingbot import __version__
from mockingbot.defaults import DEFAULT_SIZE_RANGE
from mockingbot.errors import PackError, ParameterError, WorkError
from mockingbot.fileio import atomic_write_text, sha256_file

from . import pack_format as fmt
from .model import GeneratorModel
from .pack_settings import SIZE_RANGE_KEY, PackSettings

__all__ = [
    "Journal",
    "created_by",
    "damage_to_finished",
    "describe_difference",
    "disk_errors",
    "folder_kind",
    "journal_header",
    "make_folder",
    "pack_lock",
    "prepare_folder",
    "remove_temp_files",
    "verified_sounds",
]

_JOURNAL_KIND = "mockingbot-pack-progress"
_JOURNAL_VERSION = 1
_OS_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


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


def pack_lock(out: Path, shard: tuple[int, int] | None) -> contextlib.AbstractContextManager:
    """The lock a render of ``shard`` (or the whole pack) holds on ``out`` while it writes:
    a second writer is refused instead of mixing its files with ours."""
    from .folder_lock import folder_lock

    shared = None if shard is None else fmt.lock_name(None)
    return folder_lock(out, fmt.lock_name(shard), shared=shared, doing="rendered into")


def _has_marker(out: Path) -> bool:
    """A manifest, shard manifest or journal: what makes a folder a pack, not just its names."""
    return any(
        p.name == fmt.MANIFEST
        or fmt.SHARD_MANIFEST_FILE.match(p.name)
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


def folder_kind(out: Path) -> str:
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


def remove_temp_files(out: Path) -> None:
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


def make_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / fmt.AUDIO_DIR).mkdir(exist_ok=True)
        (out / fmt.THUMBS_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise PackError(f"cannot create the pack folder {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise PackError(f"cannot write to {out}: permission denied")


#: errno values that mean the disk (or the user's quota) is full.
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


@contextlib.contextmanager
def disk_errors(out: Path, *, again: str) -> Iterator[None]:
    """Turn an OSError while writing into ``out`` (a full disk, a quota, a read-only or
    vanished folder) into one line that says what to do.

    A full disk or quota is a :class:`~mockingbot.errors.WorkError` (exit code 1: the
    command was right, the machine stopped it); any other OSError stays a
    :class:`PackError` (exit code 2). Every file is written atomically (temporary name,
    then rename), so what such an error leaves behind is never a complete-looking file: at
    most temporary files, which the next run deletes, and a journal that ``--resume``
    continues from.
    """
    try:
        yield
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        what = f"{exc.filename}: {why} (writing {out})" if exc.filename else f"{out}: {why}"
        full = exc.errno in _DISK_FULL
        error = WorkError if full else PackError
        fix = "free some space" if full else "fix that"
        raise error(f"cannot write the pack {what}; {fix}, then {again}") from None


# ============================================================================ journal
class Journal:
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


def journal_header(
    settings: PackSettings, model: GeneratorModel, shard: tuple[int, int] | None
) -> dict[str, Any]:
    return {
        "kind": _JOURNAL_KIND,
        "version": _JOURNAL_VERSION,
        "arguments": settings.arguments(),
        "model_sha256": model.sha256,
        "shard": list(shard) if shard else None,
        "created_by": created_by(),
    }


def created_by() -> str:
    return f"mockingbot {__version__}"


def _same_pack(manifest: Mapping[str, Any], header: Mapping[str, Any]) -> bool:
    return (
        manifest.get("arguments") == header["arguments"]
        and manifest.get("model", {}).get("sha256") == header["model_sha256"]
    )


def describe_difference(old: Mapping[str, Any], header: Mapping[str, Any]) -> str:
    if old.get("model_sha256", old.get("model", {}).get("sha256")) != header["model_sha256"]:
        return "it was rendered with a different model"
    if old.get("created_by", header["created_by"]) != header["created_by"]:
        return f"it was started by {old.get('created_by')}, this is {header['created_by']}"
    a, b = old.get("arguments", {}), header["arguments"]
    keys = [*b, *(k for k in a if k not in b)]
    absent = {SIZE_RANGE_KEY: list(DEFAULT_SIZE_RANGE)}  # recorded only when not the default
    a, b = ({k: args.get(k, absent.get(k)) for k in keys} for args in (a, b))
    diffs = [f"{k} {a[k]!r} vs {b[k]!r}" for k in keys if a[k] != b[k]]
    return "its arguments differ (" + ", ".join(diffs) + ")"


def prepare_folder(
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
    kind = folder_kind(out)
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
                f"{describe_difference(existing, header)}; use --force to replace it"
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
        if p.name == fmt.MANIFEST or fmt.SHARD_MANIFEST_FILE.match(p.name):
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
        m = fmt.SHARD_MANIFEST_FILE.match(p.name)
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


def damage_to_finished(
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


def verified_sounds(out: Path, lines: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
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
