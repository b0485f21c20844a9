"""Encode finished audio as file bytes, identically on every run.

Packs must be byte-identical for the same model and arguments, so the encoders here return
bytes that depend only on the samples:

- WAV: 16-bit PCM via libsndfile (soundfile) from int16 samples, so no float → int rounding
  happens inside the library.
- Ogg Vorbis: libsndfile gives each Ogg stream a *random* serial number (seeded from the
  clock), so two encodings of the same audio differ. :func:`encode_ogg` rewrites the serial
  in every page with a caller-chosen value and recomputes each page's CRC (the Ogg CRC-32:
  polynomial 0x04C11DB7, not reflected, initial value 0, no final xor — RFC 3533 §6).

Contents: :data:`FORMATS`, :func:`encode_wav`, :func:`encode_ogg`, :func:`encode`,
:func:`ogg_set_serial`, :func:`ogg_crc32`.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np

from mockingbot.defaults import AUDIO_FORMATS
from mockingbot.errors import ParameterError

__all__ = ["FORMATS", "encode", "encode_ogg", "encode_wav", "ogg_crc32", "ogg_set_serial"]

#: Output formats (:data:`mockingbot.defaults.AUDIO_FORMATS`): name → file extension.
FORMATS: dict[str, str] = {name: f".{name}" for name in AUDIO_FORMATS}

_OGG_CAPTURE = b"OggS"
_OGG_HEADER = 27  # fixed part of a page header, before the segment table
_SERIAL_AT = slice(14, 18)
_CRC_AT = slice(22, 26)
_BIT_REVERSE = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def ogg_crc32(data: bytes) -> int:
    """The Ogg page checksum of ``data`` (CRC field zeroed by the caller).

    zlib computes the *reflected* CRC-32; Ogg's is the same polynomial unreflected. Reversing
    the bits of every input byte and of the result converts one into the other, and zlib's
    initial/final inversions are undone by starting from 0xFFFFFFFF and inverting the result.
    This runs at zlib speed instead of a Python loop.

    Examples:
        >>> hex(ogg_crc32(b"123456789"))  # CRC-32/CKSUM's check value, not inverted
        '0x89a1897f'
    """
    raw = zlib.crc32(data.translate(_BIT_REVERSE), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def ogg_set_serial(data: bytes, serial: int) -> bytes:
    """Return Ogg ``data`` with every page's stream serial set to ``serial`` (CRCs fixed).

    Raises:
        ParameterError: ``data`` is not a sequence of well-formed Ogg pages.
    """
    if not 0 <= serial < 2**32:
        raise ParameterError(f"Ogg serial must fit in 32 bits, got {serial}")
    buf = bytearray(data)
    pos = 0
    new_serial = struct.pack("<I", serial)
    while pos < len(buf):
        if buf[pos : pos + 4] != _OGG_CAPTURE or pos + _OGG_HEADER > len(buf):
            raise ParameterError(f"not an Ogg page at byte {pos}")
        n_segments = buf[pos + 26]
        body = sum(buf[pos + _OGG_HEADER : pos + _OGG_HEADER + n_segments])
        end = pos + _OGG_HEADER + n_segments + body
        if end > len(buf):
            raise ParameterError(f"truncated Ogg page at byte {pos}")
        page = buf[pos:end]
        page[_SERIAL_AT] = new_serial
        page[_CRC_AT] = b"\0\0\0\0"
        page[_CRC_AT] = struct.pack("<I", ogg_crc32(bytes(page)))
        buf[pos:end] = page
        pos = end
    return bytes(buf)


def encode_wav(pcm: np.ndarray, *, sr: int) -> bytes:
    """16-bit PCM mono WAV bytes from int16 samples [samples]."""
    import soundfile as sf

    pcm = np.asarray(pcm)
    if pcm.dtype != np.int16 or pcm.ndim != 1:
        raise ParameterError(f"encode_wav wants 1-D int16 samples, got {pcm.dtype} {pcm.shape}")
    out = io.BytesIO()
    sf.write(out, pcm, int(sr), format="WAV", subtype="PCM_16")
    return out.getvalue()


def encode_ogg(y: np.ndarray, *, sr: int, serial: int) -> bytes:
    """Ogg Vorbis bytes from float samples [samples] in [-1, 1], with a fixed stream serial."""
    import soundfile as sf

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"encode_ogg wants 1-D samples, got shape {y.shape}")
    out = io.BytesIO()
    sf.write(out, y, int(sr), format="OGG", subtype="VORBIS")
    return ogg_set_serial(out.getvalue(), serial)


def encode(y: np.ndarray, pcm: np.ndarray, *, sr: int, audio_format: str, serial: int) -> bytes:
    """Encode one sound as ``audio_format`` (``"wav"`` uses ``pcm``, ``"ogg"`` uses ``y``)."""
    if audio_format == "wav":
        return encode_wav(pcm, sr=sr)
    if audio_format == "ogg":
        return encode_ogg(y, sr=sr, serial=serial)
    raise ParameterError(f"unknown audio format {audio_format!r} (known: {', '.join(FORMATS)})")
