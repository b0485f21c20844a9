"""Godot 4 ``AudioStreamRandomizer`` resources: write one per creature, and check them.

Pure text, no Godot and no audio: the pack writer calls :func:`randomizer_tres` and writes
the result atomically; ``mbot godot install`` and the tests check ``.tres`` files with
:func:`randomizer_problems`. Reading Godot's text syntax is :mod:`mockingbot.runtime.godot_text`.

Contents:

- Writing: :func:`randomizer_tres` (one ``AudioStreamRandomizer`` resource, format 3).
- Checking: :func:`randomizer_problems` (everything Godot needs from an
  ``AudioStreamRandomizer`` text resource, optionally that its paths resolve on disk) and
  :func:`randomizer_stream_paths`.

The shape written here follows Godot's own saver (``scene/resources/resource_format_text.cpp``)
and the serialisation of ``AudioStreamRandomizer`` (``servers/audio/audio_stream.cpp``): no
``streams`` array, but ``streams_count`` and ``stream_<i>/stream`` + ``stream_<i>/weight``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from mockingbot.errors import ParameterError
from mockingbot.validation import as_float

from .godot_text import Call, GodotTextError, Section, godot_string, parse_godot_text

__all__ = [
    "PLAYBACK_RANDOM",
    "PLAYBACK_RANDOM_NO_REPEATS",
    "PLAYBACK_SEQUENTIAL",
    "TEXT_RESOURCE_FORMAT",
    "randomizer_problems",
    "randomizer_stream_paths",
    "randomizer_tres",
]


#: ``format=`` of Godot 4 text resources and scenes.
TEXT_RESOURCE_FORMAT = 3

#: ``AudioStreamRandomizer.playback_mode`` values (``PlaybackMode`` enum).
PLAYBACK_RANDOM_NO_REPEATS = 0
PLAYBACK_RANDOM = 1
PLAYBACK_SEQUENTIAL = 2
_PLAYBACK_MODES = (PLAYBACK_RANDOM_NO_REPEATS, PLAYBACK_RANDOM, PLAYBACK_SEQUENTIAL)

#: Property ranges of ``AudioStreamRandomizer`` (its ``ADD_PROPERTY`` hints).
MIN_RANDOM_PITCH = 1.0
MIN_VOLUME_OFFSET_DB = 0.0
MAX_STREAM_WEIGHT = 100.0
DEFAULT_STREAM_WEIGHT = 1.0

#: The class Godot saves for each audio extension (what ``get_save_class()`` reports).
_STREAM_TYPES = {".wav": "AudioStreamWAV", ".ogg": "AudioStreamOggVorbis", ".mp3": "AudioStreamMP3"}
_GENERIC_STREAM_TYPE = "AudioStream"

_RANDOMIZER_TYPE = "AudioStreamRandomizer"
_STREAM_KEY = re.compile(r"^stream_(\d+)/(stream|weight)$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _float(x: float) -> str:
    """Shortest round-trip float text, always with a decimal point or exponent (Godot style)."""
    s = repr(float(x))
    return s if any(c in s for c in ".en") else s + ".0"


def _check_stream_path(i: int, path: object) -> str:
    if not isinstance(path, str) or not path:
        raise ParameterError(f"stream_paths[{i}] must be a non-empty string, got {path!r}")
    if "\\" in path:
        raise ParameterError(
            f"stream_paths[{i}]={path!r} uses backslashes; Godot paths use forward slashes "
            "(pass Path.as_posix())"
        )
    if "://" in path:
        if not path.startswith("res://"):
            raise ParameterError(
                f"stream_paths[{i}]={path!r}: only res:// or paths relative to the .tres work"
            )
    elif path.startswith("/") or _WINDOWS_DRIVE.match(path):
        raise ParameterError(
            f"stream_paths[{i}]={path!r} is an absolute file-system path; give it relative "
            "to the .tres folder (e.g. 'audio/x.wav') or as res://"
        )
    if path.endswith("/"):
        raise ParameterError(f"stream_paths[{i}]={path!r} names a folder, not an audio file")
    return path


def _stream_type(path: str) -> str:
    return _STREAM_TYPES.get(PurePosixPath(path).suffix.lower(), _GENERIC_STREAM_TYPE)


def randomizer_tres(
    stream_paths: Sequence[str],
    *,
    random_pitch: float = 1.0,
    random_volume_offset_db: float = 0.0,
    playback_mode: int = PLAYBACK_RANDOM_NO_REPEATS,
    weights: Sequence[float] | None = None,
) -> str:
    """The text of an ``AudioStreamRandomizer`` resource (``.tres``, format 3).

    One creature's variations become one randomizer, so a plain ``AudioStreamPlayer`` with
    this stream already plays a different call each time with natural pitch/volume spread.
    Output is deterministic (ids are ``"1"``, ``"2"`` ...), so re-rendering a pack with the
    same arguments produces byte-identical files.

    Args:
        stream_paths: audio files, relative to the folder the ``.tres`` is written to
            (``"audio/creature_000_v00.wav"``) or ``res://`` paths. Forward slashes only;
            at least one; no duplicates.
        random_pitch: pitch spread ratio r ≥ 1; Godot draws each play's pitch from
            [1/r, r]. 1.0 means no pitch variation.
        random_volume_offset_db: volume spread v ≥ 0 dB; each play is offset by a value in
            [−v, +v] dB. 0.0 means none.
        playback_mode: 0 = random avoiding repeats (default; the same variation never plays
            twice in a row), 1 = random, 2 = sequential.
        weights: relative probability per stream, each in (0, 100]; default 1.0 each.

    Returns:
        The resource text, ending in a newline. Write it with
        :func:`mockingbot.fileio.atomic_write_text`.

    Raises:
        ParameterError: on an empty list, a bad path, an out-of-range value, or weights of
            the wrong length.

    Examples:
        >>> text = randomizer_tres(["audio/a.wav", "audio/b.wav"], random_pitch=1.05)
        >>> text.splitlines()[0]
        '[gd_resource type="AudioStreamRandomizer" load_steps=3 format=3]'
    """
    if isinstance(stream_paths, str):
        raise ParameterError("stream_paths must be a sequence of paths, not one string")
    paths = [_check_stream_path(i, p) for i, p in enumerate(stream_paths)]
    if not paths:
        raise ParameterError("stream_paths is empty: an AudioStreamRandomizer needs ≥ 1 stream")
    seen: set[str] = set()
    for p in paths:
        if p in seen:
            raise ParameterError(f"stream_paths lists {p!r} twice (use weights instead)")
        seen.add(p)
    random_pitch = as_float("random_pitch", random_pitch, low=MIN_RANDOM_PITCH)
    random_volume_offset_db = as_float(
        "random_volume_offset_db", random_volume_offset_db, low=MIN_VOLUME_OFFSET_DB
    )
    if isinstance(playback_mode, bool) or playback_mode not in _PLAYBACK_MODES:
        raise ParameterError(f"playback_mode must be 0, 1 or 2, got {playback_mode!r}")
    if weights is None:
        weights = [DEFAULT_STREAM_WEIGHT] * len(paths)
    weights = list(weights)
    if len(weights) != len(paths):
        raise ParameterError(f"weights has {len(weights)} values for {len(paths)} streams")
    for i, w in enumerate(weights):
        if not (math.isfinite(w) and 0 < w <= MAX_STREAM_WEIGHT):
            raise ParameterError(f"weights[{i}] must be in (0, 100], got {w!r}")

    ids = [str(i + 1) for i in range(len(paths))]
    lines = [
        f'[gd_resource type="{_RANDOMIZER_TYPE}" load_steps={len(paths) + 1} '
        f"format={TEXT_RESOURCE_FORMAT}]",
        "",
    ]
    lines += [
        f'[ext_resource type="{_stream_type(p)}" path={godot_string(p)} id="{rid}"]'
        for p, rid in zip(paths, ids, strict=True)
    ]
    lines += [
        "",
        "[resource]",
        f"playback_mode = {playback_mode}",
        f"random_pitch = {_float(random_pitch)}",
        f"random_volume_offset_db = {_float(random_volume_offset_db)}",
        f"streams_count = {len(paths)}",
    ]
    for i, (rid, w) in enumerate(zip(ids, weights, strict=True)):
        lines.append(f'stream_{i}/stream = ExtResource("{rid}")')
        lines.append(f"stream_{i}/weight = {_float(w)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------


def randomizer_stream_paths(sections: Sequence[Section]) -> list[str]:
    """The stream paths of a parsed randomizer resource, in ``stream_<i>`` order.

    Raises:
        GodotTextError: if a stream is missing or refers to an undeclared ext_resource.
    """
    ext = {s.attrs.get("id"): s.attrs.get("path") for s in sections if s.tag == "ext_resource"}
    resource = next((s for s in sections if s.tag == "resource"), None)
    if resource is None:
        raise GodotTextError("no [resource] section")
    count = resource.get("streams_count", 0)
    paths = []
    for i in range(count if isinstance(count, int) else 0):
        ref = resource.get(f"stream_{i}/stream")
        if not (isinstance(ref, Call) and ref.name == "ExtResource" and len(ref.args) == 1):
            raise GodotTextError(f"stream_{i}/stream is not an ExtResource(...) reference")
        if ref.args[0] not in ext:
            raise GodotTextError(f"stream_{i}/stream refers to undeclared id {ref.args[0]!r}")
        paths.append(ext[ref.args[0]])
    return paths


def randomizer_problems(text: str, *, folder: str | Path | None = None) -> list[str]:
    """Everything wrong with an ``AudioStreamRandomizer`` text resource, as short messages.

    Checks what Godot relies on when it loads the file: the ``gd_resource`` header (type,
    ``format=3``, ``load_steps`` = ext resources + sub resources + 1), unique ext_resource
    ids and paths, a ``[resource]`` section with ``streams_count`` and, for each stream,
    ``stream_<i>/stream`` referring to a declared ext_resource and a ``stream_<i>/weight``
    in (0, 100], no stream keys beyond the count, and the property ranges. With ``folder``
    (where the ``.tres`` lives), relative paths must name existing files there.

    Returns:
        An empty list when the resource is well formed.
    """
    try:
        sections = parse_godot_text(text)
    except GodotTextError as exc:
        return [f"not parseable: {exc}"]
    problems: list[str] = []
    if not sections or sections[0].tag != "gd_resource":
        return ["the first section is not [gd_resource ...]"]
    head = sections[0].attrs
    if head.get("type") != _RANDOMIZER_TYPE:
        problems.append(f"type is {head.get('type')!r}, not {_RANDOMIZER_TYPE!r}")
    if head.get("format") != TEXT_RESOURCE_FORMAT:
        problems.append(f"format is {head.get('format')!r}, not {TEXT_RESOURCE_FORMAT}")
    exts = [s for s in sections if s.tag == "ext_resource"]
    subs = [s for s in sections if s.tag == "sub_resource"]
    if "load_steps" in head and head["load_steps"] != len(exts) + len(subs) + 1:
        problems.append(
            f"load_steps={head['load_steps']} but there are {len(exts) + len(subs)} "
            "ext/sub resources (expected that + 1)"
        )
    ids = [s.attrs.get("id") for s in exts]
    if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
        problems.append(f"ext_resource ids are not unique non-empty strings: {ids}")
    ext_paths = [s.attrs.get("path") for s in exts]
    if len(set(ext_paths)) != len(ext_paths):
        problems.append("an ext_resource path is declared twice")
    resources = [s for s in sections if s.tag == "resource"]
    if len(resources) != 1:
        return [*problems, f"expected one [resource] section, found {len(resources)}"]
    res = resources[0]
    count = res.get("streams_count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return [*problems, f"streams_count is {count!r}, not a positive int"]
    for e in res.entries:
        m = _STREAM_KEY.match(e.key)
        if m and int(m.group(1)) >= count:
            problems.append(f"{e.key} is beyond streams_count={count}")
    for i in range(count):
        if f"stream_{i}/stream" not in res:
            problems.append(f"stream_{i}/stream is missing")
        w = res.get(f"stream_{i}/weight")
        if not isinstance(w, (int, float)) or isinstance(w, bool) or not 0 < w <= 100:
            problems.append(f"stream_{i}/weight is {w!r}, not a number in (0, 100]")
    try:
        paths = randomizer_stream_paths(sections)
    except GodotTextError as exc:
        problems.append(str(exc))
        paths = []
    pitch = res.get("random_pitch", 1.0)
    if not isinstance(pitch, (int, float)) or not pitch >= MIN_RANDOM_PITCH:
        problems.append(f"random_pitch is {pitch!r}, must be ≥ 1")
    vol = res.get("random_volume_offset_db", 0.0)
    if not isinstance(vol, (int, float)) or not vol >= MIN_VOLUME_OFFSET_DB:
        problems.append(f"random_volume_offset_db is {vol!r}, must be ≥ 0")
    if res.get("playback_mode", 0) not in _PLAYBACK_MODES:
        problems.append(f"playback_mode is {res.get('playback_mode')!r}, not 0, 1 or 2")
    for p in paths:
        if not isinstance(p, str) or "\\" in p:
            problems.append(f"stream path {p!r} is not a forward-slash string")
        elif folder is not None and "://" not in p and not (Path(folder) / p).is_file():
            problems.append(f"stream path {p!r} does not resolve to a file in {folder}")
    return problems
