"""``mbot pack verify``: everything wrong with a finished pack folder.

A pack is intact when its manifest reads, every audio file matches its sha256 and holds
sound, every thumbnail and side file is there, and every ``.tres`` lists exactly its
creature's files. Nothing here writes.

Contents: :func:`verify_pack`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockingbot.errors import PackError, ParameterError
from mockingbot.fileio import sha256_file

from . import pack_format as fmt

__all__ = ["verify_pack"]


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
    from .godot_resources import randomizer_problems, randomizer_stream_paths
    from .godot_text import parse_godot_text

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
