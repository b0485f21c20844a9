"""The sound-pack format (version 1): file layout, ids, and the manifest's exact shape.

One place defines every name a pack folder holds and the key order of ``manifest.json``,
so a render, a merge of shards, a resume and ``mbot mutate`` all write the same bytes for
the same content, and readers (the Godot addon, ``mbot evaluate``) have one reference. The
human description is ``docs/pack-format.md``; keep the two in step.

Layout::

    PACK/manifest.json                      written last: its presence means "complete"
    PACK/audio/<sound_id>.wav | .ogg
    PACK/thumbs/<sound_id>.png
    PACK/<creature_id>.tres                 Godot 4 AudioStreamRandomizer per creature
    PACK/index.html, PACK/contact_sheet.png, PACK/ATTRIBUTION.txt
    PACK/manifest.shard-I-of-N.json         only in shard folders, before merging
    PACK/.mbot-progress[.shard-I-of-N].jsonl  only while a render is unfinished

Contents: name constants, :func:`creature_id`, :func:`sound_id`, :func:`shard_manifest_name`,
:func:`journal_name`, :func:`creature_entry`, :func:`sound_entry`, :func:`build_manifest`,
:func:`dumps`, :func:`read_manifest`, :func:`is_pack_file`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mockingbot.defaults import AUDIO_FORMATS
from mockingbot.errors import PackError

__all__ = [
    "ATTRIBUTION",
    "AUDIO_DIR",
    "CONTACT_SHEET",
    "INDEX",
    "MANIFEST",
    "PACK_FORMAT",
    "PACK_FORMAT_VERSION",
    "SHARD_MANIFEST_FILE",
    "THUMBS_DIR",
    "DamagedManifestError",
    "build_manifest",
    "creature_entry",
    "creature_id",
    "dumps",
    "is_pack_file",
    "journal_name",
    "lock_name",
    "read_manifest",
    "shard_manifest_name",
    "sound_entry",
    "sound_id",
]

PACK_FORMAT = "mockingbot-pack"
PACK_FORMAT_VERSION = 1

MANIFEST = "manifest.json"
AUDIO_DIR = "audio"
THUMBS_DIR = "thumbs"
INDEX = "index.html"
CONTACT_SHEET = "contact_sheet.png"
ATTRIBUTION = "ATTRIBUTION.txt"
_JOURNAL_STEM = ".mbot-progress"

#: Names a pack may hold at its top level (besides ``audio/`` and ``thumbs/``).
_TOP_FILE = re.compile(
    r"^(manifest\.json|manifest\.shard-\d+-of-\d+\.json|index\.html|contact_sheet\.png|"
    r"evaluation\.png|"
    r"ATTRIBUTION\.txt|creature_\d+\.tres|\.mbot-progress(\.shard-\d+-of-\d+)?\.jsonl)$"
)
_AUDIO_FILE = re.compile(rf"^creature_\d+_v\d+\.({'|'.join(AUDIO_FORMATS)})$")
_SOUND_ID = re.compile(r"^creature_\d{3,}_v\d{2,}$")
_THUMB_FILE = re.compile(r"^creature_\d+_v\d+\.png$")
#: Temporary files of :func:`mockingbot.fileio.atomic_path` (``.<stem>.<random><suffix>.tmp``).
TEMP_FILE = re.compile(r"^\..+\.tmp$")
#: Godot's import sidecar of a pack file (``x.wav.import``), written by the editor.
_IMPORT_SUFFIX = ".import"


def creature_id(index: int) -> str:
    """``creature_007`` for index 7 (at least three digits; more when needed)."""
    return f"creature_{int(index):03d}"


def sound_id(creature: int, variation: int) -> str:
    """``creature_007_v03`` for creature 7, variation 3."""
    return f"{creature_id(creature)}_v{int(variation):02d}"


#: A shard manifest's file name; groups 1 and 2 are the shard's index I and count N.
SHARD_MANIFEST_FILE = re.compile(r"^manifest\.shard-(\d+)-of-(\d+)\.json$")


def shard_manifest_name(index: int, count: int) -> str:
    """``manifest.shard-2-of-4.json`` (shard indices are 1-based)."""
    return f"manifest.shard-{int(index)}-of-{int(count)}.json"


def journal_name(shard: tuple[int, int] | None) -> str:
    """Name of the hidden progress journal of an (optionally sharded) render."""
    if shard is None:
        return f"{_JOURNAL_STEM}.jsonl"
    return f"{_JOURNAL_STEM}.shard-{shard[0]}-of-{shard[1]}.jsonl"


#: Lock files of a render in progress (:mod:`mockingbot.runtime.folder_lock`): the folder's
#: and one per shard. Neither pack files (``--force`` must not delete a live lock) nor
#: foreign ones: a stale lock left by ``kill -9`` is ignored like OS junk.
LOCK_FILE = re.compile(r"^\.mbot-lock(\.shard-\d+-of-\d+)?$")


def lock_name(shard: tuple[int, int] | None) -> str:
    """Name of the lock file a render of ``shard`` (or the whole pack) holds exclusively."""
    if shard is None:
        return ".mbot-lock"
    return f".mbot-lock.shard-{shard[0]}-of-{shard[1]}"


def is_pack_file(relpath: str) -> bool:
    """True for a path (relative to the pack, ``/``-separated) that the pack format defines.

    Used before deleting anything: ``--force`` removes only these (plus temporary files and
    Godot's ``.import`` sidecars of them), never a user's own files.
    """
    parts = relpath.split("/")
    name = parts[-1]
    if name.endswith(_IMPORT_SUFFIX):
        name = name[: -len(_IMPORT_SUFFIX)]
    if len(parts) == 1:
        return bool(_TOP_FILE.match(name) or TEMP_FILE.match(name))
    if len(parts) == 2 and parts[0] == AUDIO_DIR:
        return bool(_AUDIO_FILE.match(name) or TEMP_FILE.match(name))
    if len(parts) == 2 and parts[0] == THUMBS_DIR:
        return bool(_THUMB_FILE.match(name) or TEMP_FILE.match(name))
    return False


# ---------------------------------------------------------------------------- entries
def creature_entry(
    *,
    index: int,
    size: float,
    random_pitch: float,
    random_volume_offset_db: float,
    sounds: Sequence[str],
    parent: str | None = None,
    spread: float | None = None,
) -> dict[str, Any]:
    """One creature of the manifest, keys in format order.

    ``parent`` and ``spread`` are present only for creatures made by ``mbot mutate``
    (the sound they vary, and their own spread around it).
    """
    cid = creature_id(index)
    entry: dict[str, Any] = {
        "id": cid,
        "index": int(index),
        "size": float(size),
        "random_pitch": float(random_pitch),
        "random_volume_offset_db": float(random_volume_offset_db),
        "resource": f"{cid}.tres",
        "sounds": list(sounds),
    }
    if parent is not None:
        entry["parent"] = parent
        entry["spread"] = float(spread if spread is not None else 0.0)
    return entry


def sound_entry(
    *,
    creature: int,
    variation: int,
    audio_format: str,
    latent_seed: int,
    duration_s: float,
    lufs: float,
    peak_dbfs: float,
    sha256: str,
    phase_sc_db: float | None,
) -> dict[str, Any]:
    """One sound of the manifest, keys in format order, numbers rounded for stable text.

    ``phase_sc_db`` is ``None`` (JSON ``null``) for a waveform model's sounds: no phase was
    recovered."""
    sid = sound_id(creature, variation)
    return {
        "id": sid,
        "file": f"{AUDIO_DIR}/{sid}.{audio_format}",
        "creature": creature_id(creature),
        "variation": int(variation),
        "latent_seed": int(latent_seed),
        "duration_s": round(float(duration_s), 6),
        "lufs": round(float(lufs), 2),
        "peak_dbfs": round(float(peak_dbfs), 2),
        "phase_sc_db": None if phase_sc_db is None else round(float(phase_sc_db), 2),
        "sha256": str(sha256),
    }


def build_manifest(
    *,
    name: str,
    created_by: str,
    model: Mapping[str, Any],
    seed: int,
    arguments: Mapping[str, Any],
    spec: Mapping[str, Any],
    sample_rate: int,
    audio_format: str,
    loudness_lufs: float,
    attribution: str,
    creatures: Sequence[Mapping[str, Any]],
    sounds: Sequence[Mapping[str, Any]],
    shard: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The whole manifest (or a shard's part of it, with a ``shard`` record), in format order."""
    manifest: dict[str, Any] = {
        "format": PACK_FORMAT,
        "format_version": PACK_FORMAT_VERSION,
        "name": name,
        "created_by": created_by,
        "model": {
            k: model[k] for k in ("name", "sha256", "content_hash", "preset", "training_steps")
        },
        "seed": int(seed),
        "arguments": dict(arguments),
        "spec": dict(spec),
        "sample_rate": int(sample_rate),
        "audio_format": audio_format,
        "loudness_lufs": float(loudness_lufs),
        "attribution": attribution,
    }
    if shard is not None:
        manifest["shard"] = {"index": int(shard[0]), "count": int(shard[1])}
    manifest["creatures"] = [dict(c) for c in creatures]
    manifest["sounds"] = [dict(s) for s in sounds]
    return manifest


def dumps(data: Mapping[str, Any]) -> str:
    """The manifest's exact text: 2-space indent, key order kept, UTF-8, final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class DamagedManifestError(PackError):
    """A manifest of ours (right format and version) whose entries are malformed."""


#: JSON types of a manifest's fields, checked by :func:`read_manifest` (docs/pack-format.md).
#: ``float`` accepts integers too (JSON has one number type); ``None`` in a tuple: ``null``.
_TOP_TYPES: dict[str, Any] = {
    "name": str,
    "created_by": str,
    "model": dict,
    "seed": int,
    "arguments": dict,
    "spec": dict,
    "sample_rate": int,
    "audio_format": str,
    "loudness_lufs": float,
    "attribution": str,
    "creatures": list,
    "sounds": list,
}
_MODEL_TYPES: dict[str, Any] = {"name": str, "sha256": str}
_CREATURE_TYPES: dict[str, Any] = {
    "id": str,
    "index": int,
    "size": float,
    "random_pitch": float,
    "random_volume_offset_db": float,
    "resource": str,
    "sounds": list,
}
_SOUND_TYPES: dict[str, Any] = {
    "id": str,
    "file": str,
    "creature": str,
    "variation": int,
    "latent_seed": int,
    "duration_s": float,
    "sha256": str,
}
#: Fields that may be absent, checked when present.
_OPTIONAL_TYPES: dict[str, Any] = {
    "lufs": float,
    "peak_dbfs": float,
    "phase_sc_db": (float, None),
    "parent": str,
    "spread": float,
}
_TYPE_NAMES = {str: "text", int: "an integer", float: "a number", dict: "an object", list: "a list"}


def _is(value: object, kind: Any) -> bool:
    """Whether a parsed JSON ``value`` has the type ``kind`` (see :data:`_TOP_TYPES`)."""
    if isinstance(kind, tuple):
        return any(_is(value, k) for k in kind)
    if kind is None:
        return value is None
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _describe(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_fields(
    path: Path,
    where: str,
    data: object,
    types: Mapping[str, Any],
    optional: Mapping[str, Any] | None = None,
) -> None:
    """``data`` is an object holding every key of ``types`` (and any of ``optional``) with
    its JSON type; else :class:`DamagedManifestError` naming ``where`` and the key."""
    if not isinstance(data, dict):
        raise DamagedManifestError(
            f"{path} is damaged: {where} is {_describe(data)}, not an object"
        )
    for key in types:
        if key not in data:
            raise DamagedManifestError(f"{path} is damaged: {where} lacks {key!r}")
    for key, kind in {**(optional or {}), **types}.items():
        if key in data and not _is(data[key], kind):
            want = _TYPE_NAMES.get(kind, "a number or null")
            raise DamagedManifestError(
                f"{path} is damaged: {where} {key!r} must be {want}, got {_describe(data[key])}"
            )


def _check_structure(path: Path, data: dict[str, Any]) -> None:
    """Every field a reader indexes has the type the format gives it, and every file name
    is the one the format defines (so no entry can point outside the pack)."""
    _check_fields(path, "the manifest", data, _TOP_TYPES)
    _check_fields(path, "'model'", data["model"], _MODEL_TYPES)
    fmt = data["audio_format"]
    for i, c in enumerate(data["creatures"]):
        _check_fields(path, f"creatures[{i}]", c, _CREATURE_TYPES, _OPTIONAL_TYPES)
        if c["id"] != creature_id(c["index"]) or c["resource"] != f"{c['id']}.tres":
            raise DamagedManifestError(
                f"{path} is damaged: creatures[{i}] id/resource {c['id']!r}/{c['resource']!r} "
                f"do not fit index {c['index']}"
            )
        if not all(isinstance(sid, str) for sid in c["sounds"]):
            raise DamagedManifestError(f"{path} is damaged: creatures[{i}] 'sounds' is not ids")
    for i, snd in enumerate(data["sounds"]):
        _check_fields(path, f"sounds[{i}]", snd, _SOUND_TYPES, _OPTIONAL_TYPES)
        if not _SOUND_ID.match(snd["id"]) or snd["file"] != f"{AUDIO_DIR}/{snd['id']}.{fmt}":
            raise DamagedManifestError(
                f"{path} is damaged: sounds[{i}] id/file {snd['id']!r}/{snd['file']!r} are not "
                f"a pack's names ({AUDIO_DIR}/creature_NNN_vMM.{fmt})"
            )
    shard = data.get("shard")
    if shard is not None:
        _check_fields(path, "'shard'", shard, {"index": int, "count": int})


def read_manifest(path: str | Path, *, structure: bool = True) -> dict[str, Any]:
    """Read and sanity-check a manifest (or shard manifest).

    Args:
        path: the manifest file.
        structure: also check every field's JSON type and every file name
            (:class:`DamagedManifestError`); ``False`` only asks "is this ours?", which is
            what ``--force`` needs before it replaces a damaged pack.

    Raises:
        PackError: unreadable, not JSON, not a MockingBot pack, or a newer format version.
        DamagedManifestError: ours, but a field has the wrong type or names a foreign file
            (``"sounds": "x"`` crashed resume, mutate and verify).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"{path} not found: not a finished MockingBot pack") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PackError(f"{path} is not a readable manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != PACK_FORMAT:
        raise PackError(f"{path} is not a MockingBot pack manifest")
    if data.get("format_version") != PACK_FORMAT_VERSION:
        raise PackError(
            f"{path}: pack format version {data.get('format_version')!r} is not supported "
            f"(this mbot reads version {PACK_FORMAT_VERSION})"
        )
    for key in ("creatures", "sounds", "arguments", "model", "spec"):
        if key not in data:
            raise DamagedManifestError(f"{path}: manifest lacks {key!r}")
    if structure:
        _check_structure(path, data)
    return data
