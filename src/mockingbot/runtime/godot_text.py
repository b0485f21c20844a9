"""Godot 4's text formats (``.tres``, ``.tscn``, ``plugin.cfg``, ``project.godot``): read them.

Godot keeps resources, scenes and project settings in one text syntax (its ``VariantParser``).
The pack writer checks the ``.tres`` files it writes with it, and ``mbot godot install`` edits
``project.godot`` with it while keeping every other byte; so the reader lives here once, apart
from what either of them does with the result.

Contents:

- :func:`parse_godot_text` → a list of :class:`Section` (``[tag attr=value]`` headers with
  their :class:`Entry` lines); values become Python values, constructor calls such as
  ``ExtResource("1")`` become :class:`Call`, bare identifiers :class:`Ident`.
- :func:`godot_string`: the other direction for the one value the project writes by hand,
  a quoted, escaped string literal.
- :class:`GodotTextError`: text that is not well formed (a ``ParameterError``, exit 2).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from mockingbot.errors import ParameterError

__all__ = [
    "Call",
    "Entry",
    "GodotTextError",
    "Ident",
    "Section",
    "godot_string",
    "parse_godot_text",
]


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
