"""Audio encoding: bytes depend only on the samples (WAV, and Ogg despite libsndfile's serials)."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import synth_meow
from mockingbot.errors import ParameterError
from mockingbot.runtime.encode import encode, encode_ogg, encode_wav, ogg_crc32, ogg_set_serial

SR = 22050


def _slow_ogg_crc(data: bytes) -> int:
    """Bit-by-bit CRC-32, polynomial 0x04C11DB7, MSB first, init 0, no final xor (RFC 3533)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


@pytest.mark.parametrize("data", [b"", b"OggS", b"123456789", bytes(range(256)) * 3])
def test_ogg_crc_matches_the_bitwise_definition(data: bytes) -> None:
    assert ogg_crc32(data) == _slow_ogg_crc(data)


def _pages(data: bytes) -> list[bytes]:
    pages, pos = [], 0
    while pos < len(data):
        n = data[pos + 26]
        end = pos + 27 + n + sum(data[pos + 27 : pos + 27 + n])
        pages.append(data[pos:end])
        pos = end
    return pages


def test_ogg_bytes_are_identical_across_processes_and_decode() -> None:
    code = (
        "import sys, numpy as np; from conftest import synth_meow;"
        "from mockingbot.runtime.encode import encode_ogg;"
        f"sys.stdout.buffer.write(encode_ogg(synth_meow(sr={SR}), sr={SR}, serial=77))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, check=True, cwd=Path(__file__).parent
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    y, sr = sf.read(io.BytesIO(runs[0]))
    assert sr == SR and y.shape == (SR,)
    for page in _pages(runs[0]):
        assert struct.unpack("<I", page[14:18])[0] == 77
        zeroed = page[:22] + b"\0\0\0\0" + page[26:]
        assert struct.unpack("<I", page[22:26])[0] == _slow_ogg_crc(zeroed)


def test_ogg_set_serial_refuses_non_ogg_data() -> None:
    with pytest.raises(ParameterError, match="not an Ogg page"):
        ogg_set_serial(b"RIFF....WAVE", 1)
    good = encode_ogg(synth_meow(sr=SR), sr=SR, serial=1)
    with pytest.raises(ParameterError, match="truncated"):
        ogg_set_serial(good[:-10], 1)


def test_wav_is_16_bit_pcm_and_deterministic() -> None:
    pcm = (synth_meow(sr=SR) * 32767).astype(np.int16)
    a = encode_wav(pcm, sr=SR)
    assert a == encode_wav(pcm, sr=SR)
    info = sf.info(io.BytesIO(a))
    assert (info.samplerate, info.channels, info.subtype) == (SR, 1, "PCM_16")
    y, _ = sf.read(io.BytesIO(a), dtype="int16")
    np.testing.assert_array_equal(y, pcm)
    with pytest.raises(ParameterError, match="int16"):
        encode_wav(pcm.astype(np.float32), sr=SR)


def test_encode_dispatches_on_format_and_refuses_unknown_ones() -> None:
    y = synth_meow(sr=SR)
    pcm = (y * 32767).astype(np.int16)
    assert encode(y, pcm, sr=SR, audio_format="wav", serial=0)[:4] == b"RIFF"
    assert encode(y, pcm, sr=SR, audio_format="ogg", serial=0)[:4] == b"OggS"
    with pytest.raises(ParameterError, match="unknown audio format"):
        encode(y, pcm, sr=SR, audio_format="mp3", serial=0)
