"""Join the shards of a pack into one pack, identical to rendering it whole.

``mbot render-pack --shard I/N`` renders the I-th of N contiguous ranges of creatures
(:func:`.pack_settings.shard_creatures`), on as many machines as there are shards, and
writes ``manifest.shard-I-of-N.json`` instead of the pack's index files.
:func:`merge_shards` checks that the shards belong to one pack and are all there, copies
every audio file after checking its sha256, and writes the side files and the manifest,
so the merged pack is byte-identical to an unsharded render.

Contents: :func:`merge_shards`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mockingbot.errors import PackError, ParameterError
from mockingbot.fileio import atomic_path, sha256_file

from . import pack_format as fmt
from .pack import PackResult, finish_pack, median_phase_sc, write_tres
from .pack_folder import disk_errors, folder_kind, make_folder, pack_lock, remove_temp_files
from .pack_settings import PackSettings, plan_pack, shard_creatures

__all__ = ["merge_shards"]

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
            m = fmt.SHARD_MANIFEST_FILE.match(p.name)
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
    if outside and folder_kind(target) not in ("missing", "empty"):
        raise PackError(f"{target} is not empty; merge into a new or empty folder")
    # shards still rendering into the folder hold it shared: merging now would miss them
    with pack_lock(target, None), disk_errors(target, again="run the merge again"):
        make_folder(target)
        remove_temp_files(target)
        total = len(sounds)
        for k, (sid, s) in enumerate(sounds.items(), start=1):
            src = where[sid]
            _copy_verified(src / s["file"], target / s["file"], s["sha256"])
            thumb = f"{fmt.THUMBS_DIR}/{sid}.png"
            _copy_verified(src / thumb, target / thumb, None)
            if on_progress:
                on_progress(k, total)
        for c in creatures:
            write_tres(target, c, sounds)
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
        path = finish_pack(target, manifest)
        for p in sorted(target.iterdir()):
            if fmt.SHARD_MANIFEST_FILE.match(p.name):
                p.unlink()
    seconds = time.perf_counter() - started
    sc = median_phase_sc(manifest["sounds"])
    return PackResult(target, total, 0, total, seconds, True, path, sc)
