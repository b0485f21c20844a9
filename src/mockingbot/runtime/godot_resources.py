"""Godot 4 text files: write a creature's ``AudioStreamRandomizer`` and read Godot's text formats.

Pure text, no Godot and no audio: the pack writer calls :func:`randomizer_tres` and writes
the result atomically; ``mbot godot install`` and the tests read ``.tres``, ``.tscn``,
``plugin.cfg`` and ``project.godot`` back with :func:`parse_godot_text`.

Contents:

- Writing: :func:`randomizer_tres` (one ``AudioStreamRandomizer`` resource, format 3),
  :func:`godot_string` (a quoted, escaped Godot string literal).
- Reading: :func:`parse_godot_text` → a list of :class:`Section` (``[tag attr=value]`` headers
  with their ``key = value`` entries); values become Python values, constructor calls such
  as ``ExtResource("1")`` become :class:`Call`.
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
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mockingbot.errors import ParameterError

__all__ = [
    "PLAYBACK_RANDOM",
    "PLAYBACK_RANDOM_NO_REPEATS",
    "PLAYBACK_SEQUENTIAL",
    "TEXT_RESOURCE_FORMAT",
    "Call",
    "Entry",
    "GodotTextError",
    "Ident",
    "Section",
    "godot_string",
    "parse_godot_text",
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


class GodotTextError(ParameterError):
    """Text that is not a well-formed Godot text resource / config file."""


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A constructor-style value: ``ExtResource("1")``, ``PackedStringArray("a", "b")``, ...

    ``name`` keeps type parameters (``Array[int]``). In ``Object(Type, "key": value)`` the
    pairs appear in ``args`` as 2-tuples.
    """

    name: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Ident:
    """A bare identifier in a value, such as the class name in ``Object(InputEventKey, ...)``."""

    name: str


@dataclass
class Entry:
    """One ``key = value`` line (the value may span lines).

    Attributes:
        key: the property name (``"stream_0/stream"``, ``"config/name"``).
        value: the parsed value.
        raw: the value's source text, exactly as written.
        line: 1-based line of the key.
        span: ``(start, end)`` character offsets of ``key = value`` in the parsed text, so a
            caller can rewrite one entry and keep every other byte.
    """

    key: str
    value: Any
    raw: str
    line: int
    span: tuple[int, int]


@dataclass
class Section:
    """A ``[tag attr=value ...]`` header and the entries below it.

    Keys that come before the first header (``config_version=5`` in ``project.godot``) form a
    section whose ``tag`` is ``""``.
    """

    tag: str
    attrs: dict[str, Any] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    line: int = 0
    span: tuple[int, int] = (0, 0)

    def names(self) -> list[str]:
        """Entry keys in file order."""
        return [e.key for e in self.entries]

    def entry(self, key: str) -> Entry | None:
        """The last entry named ``key`` (Godot keeps the last of duplicates), or ``None``."""
        found = None
        for e in self.entries:
            if e.key == key:
                found = e
        return found

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        e = self.entry(key)
        return default if e is None else e.value

    def __contains__(self, key: object) -> bool:
        return any(e.key == key for e in self.entries)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def godot_string(text: str) -> str:
    """Quote ``text`` as a Godot string literal (backslash and double quote escaped).

    Control characters are refused rather than escaped: they never belong in the paths and
    names the project writes, and a raw newline would split a header line.

    Examples:
        >>> godot_string('a "b".wav')
        '"a \\\\"b\\\\".wav"'
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise ParameterError(f"control characters cannot go into a Godot string: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    if not (math.isfinite(random_pitch) and random_pitch >= MIN_RANDOM_PITCH):
        raise ParameterError(f"random_pitch must be finite and ≥ 1.0, got {random_pitch!r}")
    if not (math.isfinite(random_volume_offset_db) and random_volume_offset_db >= 0):
        raise ParameterError(
            f"random_volume_offset_db must be finite and ≥ 0, got {random_volume_offset_db!r}"
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
# Reading
# --------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ATTR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_/]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\"}
_KEYWORDS = {"true": True, "false": False, "null": None, "nil": None}
_SPECIAL_FLOATS = {"inf": math.inf, "inf_neg": -math.inf, "nan": math.nan}


class _Parser:
    """A small recursive-descent reader of Godot's VariantParser text (enough for the project).

    It is strict on purpose: anything it does not understand raises :class:`GodotTextError`
    with a line number, so tests catch malformed output instead of skipping over it.
    """

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    # -- positions and errors --
    def line_of(self, pos: int) -> int:
        return self.s.count("\n", 0, pos) + 1

    def error(self, message: str, pos: int | None = None) -> GodotTextError:
        return GodotTextError(f"line {self.line_of(self.i if pos is None else pos)}: {message}")

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces (and, if ``newlines``, line breaks and ``;`` comments)."""
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif newlines and c == ";":
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            else:
                return

    def expect(self, char: str) -> None:
        if self.peek() != char:
            got = self.peek() or "end of text"
            raise self.error(f"expected {char!r}, got {got!r}")
        self.i += 1

    # -- file structure --
    def parse(self) -> list[Section]:
        sections: list[Section] = []
        current: Section | None = None
        while True:
            self.skip_blank(newlines=True)
            if self.i >= len(self.s):
                return sections
            if self.peek() == "[":
                current = self.header()
                sections.append(current)
            else:
                entry = self.entry()
                if current is None:
                    current = Section(tag="", line=entry.line, span=(entry.span[0],) * 2)
                    sections.append(current)
                current.entries.append(entry)
            self.end_of_line()

    def end_of_line(self) -> None:
        self.skip_blank(newlines=False)
        c = self.peek()
        if c == ";":
            self.skip_blank(newlines=True)
            return
        if c not in ("", "\n", "\r"):
            raise self.error(f"unexpected {c!r} after a complete line")

    def header(self) -> Section:
        start = self.i
        self.expect("[")
        m = _HEADER_TAG.match(self.s, self.i)
        if not m:
            raise self.error("a section header needs a tag name, like [resource]")
        tag = m.group()
        self.i = m.end()
        attrs: dict[str, Any] = {}
        while True:
            self.skip_blank(newlines=False)
            if self.peek() == "]":
                self.i += 1
                break
            m = _ATTR_NAME.match(self.s, self.i)
            if not m:
                raise self.error(f"bad header attribute at {self.s[self.i : self.i + 20]!r}")
            name = m.group()
            self.i = m.end()
            self.skip_blank(newlines=False)
            self.expect("=")
            self.skip_blank(newlines=False)
            if name in attrs:
                raise self.error(f"attribute {name!r} repeated in one header")
            attrs[name] = self.value()
        return Section(
            tag=tag,
            attrs=attrs,
            line=self.line_of(start),
            span=(start, self.i),
        )

    def entry(self) -> Entry:
        start = self.i
        if self.peek() == '"':
            key = self.string()
        else:
            end = self.i
            while end < len(self.s) and self.s[end] not in "=\n\r":
                end += 1
            key = self.s[self.i : end].strip()
            self.i = end
        if not key:
            raise self.error("expected 'key = value'")
        self.skip_blank(newlines=False)
        if self.peek() != "=":
            raise self.error(f"expected '=' after key {key!r}")
        self.i += 1
        self.skip_blank(newlines=False)
        vstart = self.i
        value = self.value()
        return Entry(
            key=key,
            value=value,
            raw=self.s[vstart : self.i],
            line=self.line_of(start),
            span=(start, self.i),
        )

    # -- values --
    def value(self) -> Any:
        self.skip_blank(newlines=True)
        c = self.peek()
        if c == '"':
            return self.string()
        if c in "&^" and self.s[self.i + 1 : self.i + 2] == '"':
            self.i += 1
            return Call("StringName" if c == "&" else "NodePath", (self.string(),))
        if c == "[":
            return list(self.sequence("[", "]"))
        if c == "{":
            return self.dictionary()
        if c == "-" and self.s.startswith("-inf", self.i):
            self.i += len("-inf")
            return -math.inf
        m = _NUMBER.match(self.s, self.i)
        if m:
            self.i = m.end()
            text = m.group()
            return float(text) if any(ch in text for ch in ".eE") else int(text)
        m = _IDENT.match(self.s, self.i)
        if m:
            return self.identifier(m)
        raise self.error(f"expected a value, got {c or 'end of text'!r}")

    def identifier(self, m: re.Match[str]) -> Any:
        name = m.group()
        self.i = m.end()
        if self.peek() == "[":  # typed container: Array[int]([...]), Dictionary[K, V]({...})
            depth_start = self.i
            depth = 0
            while self.i < len(self.s):
                ch = self.s[self.i]
                depth += (ch == "[") - (ch == "]")
                self.i += 1
                if depth == 0:
                    break
            name += self.s[depth_start : self.i]
        self.skip_blank(newlines=False)
        if self.peek() == "(":
            return Call(name, tuple(self.sequence("(", ")", pairs=True)))
        if name in _KEYWORDS:
            return _KEYWORDS[name]
        if name in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[name]
        return Ident(name)

    def sequence(self, open_: str, close: str, *, pairs: bool = False) -> list[Any]:
        self.expect(open_)
        items: list[Any] = []
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == close:
                self.i += 1
                return items
            if items:
                self.expect(",")
                self.skip_blank(newlines=True)
                if self.peek() == close:  # trailing comma
                    self.i += 1
                    return items
            item = self.value()
            self.skip_blank(newlines=True)
            if pairs and self.peek() == ":":
                self.i += 1
                item = (item, self.value())
            items.append(item)

    def dictionary(self) -> dict[Any, Any]:
        self.expect("{")
        out: dict[Any, Any] = {}
        first = True
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.i += 1
                return out
            if not first:
                self.expect(",")
                self.skip_blank(newlines=True)
                if self.peek() == "}":
                    self.i += 1
                    return out
            first = False
            key = self.value()
            self.skip_blank(newlines=True)
            self.expect(":")
            out[_hashable(key)] = self.value()

    def string(self) -> str:
        start = self.i
        self.expect('"')
        out: list[str] = []
        while True:
            if self.i >= len(self.s):
                raise self.error("unterminated string", start)
            c = self.s[self.i]
            self.i += 1
            if c == '"':
                return "".join(out)
            if c != "\\":
                out.append(c)
                continue
            esc = self.s[self.i : self.i + 1]
            self.i += 1
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
            elif esc in ("u", "U"):
                n = 4 if esc == "u" else 6
                digits = self.s[self.i : self.i + n]
                if not re.fullmatch(r"[0-9A-Fa-f]+", digits or "x") or len(digits) != n:
                    raise self.error(f"bad \\{esc} escape", self.i)
                out.append(chr(int(digits, 16)))
                self.i += n
            else:
                raise self.error(f"unknown escape \\{esc}", self.i - 2)


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def parse_godot_text(text: str) -> list[Section]:
    """Parse a Godot text resource, scene, ``plugin.cfg`` or ``project.godot``.

    Enough of Godot's VariantParser for the files the project writes and edits: section
    headers with attributes, ``key = value`` or ``key=value`` lines, strings with escapes,
    ints, floats, booleans, ``null``, arrays, dictionaries (also multi-line, as in
    ``[input]``), constructor calls and ``&"StringName"`` / ``^"NodePath"``. ``;`` starts a
    comment line.

    Args:
        text: the whole file.

    Returns:
        Sections in file order; keys before the first header go into a section tagged ``""``.

    Raises:
        GodotTextError: (a :class:`~mockingbot.errors.ParameterError`) with the line number
            of the first thing that is not well formed.

    Examples:
        >>> [s.tag for s in parse_godot_text('config_version=5\\n[editor_plugins]\\n')]
        ['', 'editor_plugins']
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Parser(text).parse()


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
