"""One writer per pack folder: an advisory lock file holding the owner's PID.

Two ``render-pack`` runs into the same ``--out`` would each see the other's files as their
own (same names, same journal) and interleave a pack that neither would recognise. So a
writer holds ``flock`` on a lock file inside the folder for as long as it writes, and a
second writer is refused at once with one line that names the holder's PID.

Why ``flock``: the kernel drops the lock when its holder dies, ``kill -9`` and power loss
included, so a lock file left behind by a dead process is *stale by construction*: the next
run locks it and carries on; there is no PID guessing and no timeout. The file is deleted
when its writer finishes; a run that locked a file that was unlinked meanwhile (by the
previous holder finishing) notices the inode changed and locks the new one.

Shards rendered into one shared folder each hold their own lock (``.mbot-lock.shard-I-of-N``)
plus a *shared* hold on the folder lock (``.mbot-lock``), which a whole-pack render or a merge
holds *exclusively*, as do ``mutate`` and ``pack merge``: shards of one pack may run side by
side, nothing else may.

Where ``fcntl`` is missing (not POSIX) nothing is locked.

Contents: :class:`FolderBusyError`, :func:`folder_lock`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from mockingbot.errors import PackError

__all__ = ["FolderBusyError", "folder_lock"]

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


class FolderBusyError(PackError):
    """Another process holds the folder's lock."""


def _owner(path: Path) -> str:
    """``PID 1234`` from a lock file, or a vaguer phrase when it holds none (shared holds)."""
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        text = ""
    return f"PID {text}" if text.isdigit() else "another process"


def _acquire(path: Path, *, exclusive: bool) -> int | None:
    """A descriptor holding ``flock`` on ``path`` (created if missing), or ``None`` when
    another process holds a conflicting lock. ``O_NOFOLLOW``: a planted symlink is refused
    by the OS rather than followed to whatever file it names."""
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            if os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder unlinked it between our open and our lock: lock the new one
    if exclusive:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


def _release(path: Path, fd: int) -> None:
    """Unlock; delete the file unless another process still shares it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pass  # a sibling shard still holds it; the last one out deletes it
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_lock(
    folder: Path, name: str, *, shared: str | None = None, doing: str = "writing"
) -> Iterator[None]:
    """Hold ``folder/name`` exclusively (and ``folder/shared`` shared) while the block runs.

    ``folder`` is created when missing, and removed again on the way out if the block left
    it empty, so a refusal leaves no trace.

    Raises:
        FolderBusyError: another process holds one of the locks; the message names it.
        PackError: the folder cannot be created or the lock file cannot be opened.
    """
    if fcntl is None:  # pragma: no cover - not POSIX
        yield
        return
    created = not folder.exists()
    held: list[tuple[Path, int]] = []
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PackError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
        wanted = [(folder / shared, False)] if shared else []
        for path, exclusive in [*wanted, (folder / name, True)]:
            try:
                fd = _acquire(path, exclusive=exclusive)
            except OSError as exc:
                raise PackError(f"cannot write to {folder}: {exc.strerror or exc}") from None
            if fd is None:
                raise FolderBusyError(
                    f"{folder} is being {doing} by another mbot ({_owner(path)}); wait for "
                    "it to finish or choose another folder"
                )
            held.append((path, fd))
        yield
    finally:
        for path, fd in reversed(held):
            _release(path, fd)
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty: a refused run leaves nothing
