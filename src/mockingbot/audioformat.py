"""What a file's bytes say when decoding is in doubt: audio signatures and clear rejections.

Why apart from decoding (:mod:`mockingbot.audio`): telling "not audio" (a text file renamed
``.wav``) from "unreadable" (a damaged WAV), explaining libsndfile's vaguest messages from
the file's own header, and keeping the MP3 decoder's notes off the terminal are all about
*diagnosing* a file, and the data-set scanner (:mod:`mockingbot.datascan`) needs the
signature test without any decoding.

Contents: :func:`sniff_audio`, :func:`quiet_decoder`, :func:`fail_open`, :func:`error_text`.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

from .errors import AudioLoadError

__all__ = ["error_text", "fail_open", "quiet_decoder", "sniff_audio"]

#: Bytes needed to recognise the signatures in :func:`sniff_audio`.
_SNIFF_BYTES = 16
#: Extensions of MPEG audio, whose decoder (libmpg123) writes notes to stderr by itself.
_MPEG_EXTENSIONS = frozenset({".mp1", ".mp2", ".mp3", ".mpa", ".mpga"})
#: How far into a RIFF/WAVE file :func:`_wav_format_facts` looks for the ``fmt`` chunk.
_WAV_HEADER_BYTES = 4096


def _is_mpeg_head(head: bytes) -> bool:
    """An ID3 tag or an MPEG audio frame's 11 sync bits."""
    return head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] >= 0xE0)


def _looks_like_audio(head: bytes) -> bool:
    """True if ``head`` (the first bytes of a file) carries a known audio signature."""
    riff_like = head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64")
    if riff_like and head[8:12] == b"WAVE":
        return True
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC", b"8SVX", b"16SV"):
        return True
    signatures = (b"fLaC", b"OggS", b"ID3", b"caff", b".snd", b"riff", b"NIST_1A", b"Creative")
    if head.startswith(signatures):
        return True
    return _is_mpeg_head(head)


def _head(path: str | os.PathLike[str], n: int = _SNIFF_BYTES) -> bytes:
    """The first ``n`` bytes of a file (empty when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def sniff_audio(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with a known audio container signature.

    Used to tell "not audio" (a text file renamed ``.wav``) from "unreadable" (a damaged
    WAV) and by the data-set scanner to pick up audio files whose extension is unusual.
    Reads at most 16 bytes; returns False for files that cannot be read.

    Examples:
        >>> sniff_audio("meow.wav")  # doctest: +SKIP
        True
    """
    return _looks_like_audio(_head(path))


@contextlib.contextmanager
def quiet_decoder(path: Path) -> Iterator[None]:
    """Silence what C decoders print to file descriptor 2 while ``path`` is read, if MPEG.

    libmpg123 (libsndfile's MP3 decoder) writes a line such as "Note: Illegal
    Audio-MPEG-Header 0x00000000 at offset 20006." straight to the process's stderr for
    every damaged frame it skips: a damaged MP3 printed 17 of them amid mbot's own output.
    What became of the file is reported once, as an :class:`AudioLoadError` or as usable.
    Only MPEG-looking files are decoded with stderr pointed at the null device, because
    for that moment nothing else written to fd 2 (by any thread) shows either.
    """
    if path.suffix.lower() not in _MPEG_EXTENSIONS and not _is_mpeg_head(_head(path)):
        yield
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 to silence
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 2)
        finally:
            os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _wav_format_facts(path: Path) -> tuple[int, int] | None:
    """``(channels, sample rate)`` from a RIFF/WAVE file's ``fmt`` chunk, or None.

    libsndfile answers a 0 Hz header with "Internal error : SF_INFO struct incomplete";
    reading the chunk lets the rejection say what is actually wrong.
    """
    data = _head(path, _WAV_HEADER_BYTES)
    if data[:4] not in (b"RIFF", b"RF64", b"BW64") or data[8:12] != b"WAVE":
        return None
    at = 12
    while at + 8 <= len(data):
        chunk, size = data[at : at + 4], struct.unpack_from("<I", data, at + 4)[0]
        if chunk == b"fmt ":
            if at + 16 > len(data):
                return None
            channels, rate = struct.unpack_from("<HI", data, at + 10)
            return channels, rate
        at += 8 + size + (size & 1)
    return None


def _explain(path: Path, detail: str) -> str:
    """A clearer rejection detail for libsndfile's vaguest messages."""
    if "SF_INFO struct incomplete" in detail:
        facts = _wav_format_facts(path)
        if facts is not None and facts[1] == 0:
            return "the header declares a sample rate of 0 Hz"
        if facts is not None and facts[0] == 0:
            return "the header declares 0 channels"
        return "the header lacks a sample rate, channel count or sample format"
    if "not a regular file" in detail and path.is_file():
        # libsndfile's answer when its MP3 decoder finds no audio frame in a regular file
        return "no decodable audio stream (damaged, or not the format its name says)"
    return detail


def fail_open(path: Path, exc: BaseException) -> AudioLoadError:
    """Turn an exception raised while opening ``path`` into the right AudioLoadError."""
    if isinstance(exc, FileNotFoundError) or not path.exists():
        return AudioLoadError(path, "unreadable", "file not found")
    if path.is_dir():
        return AudioLoadError(path, "unreadable", "is a folder, not a file")
    if isinstance(exc, PermissionError) or not os.access(path, os.R_OK):
        return AudioLoadError(path, "unreadable", "permission denied")
    try:
        size = path.stat().st_size
    except OSError as err:
        return AudioLoadError(path, "unreadable", err.strerror or type(err).__name__)
    if size == 0:
        return AudioLoadError(path, "empty", "zero bytes")
    detail = _explain(path, error_text(exc))
    if not sniff_audio(path):
        return AudioLoadError(path, "not audio", f"no known audio format ({detail})")
    return AudioLoadError(path, "unreadable", detail)


def error_text(exc: BaseException) -> str:
    """A short one-line description of a decoding exception."""
    text = getattr(exc, "error_string", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split()).rstrip(".")
    return text[:200]
