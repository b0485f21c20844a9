"""Decoding audio files into the float32 mono signal every later stage works on.

Sound designers' folders hold whatever their recorders and editors wrote: WAV in any of its
sub-formats (8-bit unsigned, 16/24/32-bit PCM, 32/64-bit float, A-law, µ-law, IMA and MS ADPCM,
GSM 6.10, WAVE_FORMAT_EXTENSIBLE, files with PAD/LIST/smpl/cue chunks), FLAC, Ogg Vorbis/Opus,
AIFF/AIFF-C, MP3 (libsndfile ≥ 1.1) and the other containers libsndfile knows. This module reads
all of them through libsndfile (python ``soundfile``) and turns each into one array: float32,
mono (channels averaged), at the caller's sample rate (resampled with soxr, high quality), DC
removed.

Decoding never lets a foreign exception escape, whatever the file's bytes: every failure becomes
an :class:`~mockingbot.errors.AudioLoadError` whose ``reason`` is one of :data:`REASONS`:

``"unreadable"``
    The file cannot be opened or decoded: it is missing, a folder, not permitted, or it looks
    like audio (a RIFF/AIFF/FLAC/Ogg/MP3... signature) but is corrupt, truncated inside its
    headers, uses a codec this libsndfile lacks, or declares impossible values (sample rate
    outside [:data:`MIN_SAMPLE_RATE`, :data:`MAX_SAMPLE_RATE`], zero channels).
``"empty"``
    Zero bytes, or a valid header with no audio frames after it.
``"silent"``
    Every sample (after DC removal) is below :data:`SILENT_PEAK_DBFS`: nothing to learn from.
``"non-finite"``
    NaN or ±inf samples (only float files can hold them; usually a crashed render or export).
``"too short"``
    Less than ``min_duration_s`` (default :data:`MIN_DURATION_S`) of audio.
``"not audio"``
    libsndfile does not recognise the format and the first bytes carry no known audio
    signature: a text file renamed ``.wav``, an image, random bytes.

Contents:

- :class:`AudioInfo`, :func:`probe` — what a file holds, from its header only.
- :class:`LoadedAudio`, :func:`read_audio` — decoded signal plus facts for reports.
- :func:`load_audio` — just the signal.

Telling "not audio" from "unreadable" and wording the rejections of files that do not open
is :mod:`mockingbot.audioformat`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from .audioformat import error_text, fail_open, quiet_decoder
from .clips import remove_dc
from .errors import AudioLoadError
from .validation import as_float, as_int

__all__ = [
    "BLOCK_SAMPLES",
    "MAX_DURATION_S",
    "MAX_SAMPLE_RATE",
    "MIN_DURATION_S",
    "MIN_SAMPLE_RATE",
    "REASONS",
    "RESAMPLE_QUALITY",
    "SILENT_PEAK_DBFS",
    "AudioInfo",
    "LoadedAudio",
    "load_audio",
    "probe",
    "read_audio",
]

#: Every ``AudioLoadError.reason`` this project uses (see the module docstring).
REASONS: tuple[str, ...] = ("unreadable", "empty", "silent", "non-finite", "too short", "not audio")

#: A file whose peak (after DC removal) is below this level holds no usable sound. -70 dBFS is
#: about 10 LSB of 16-bit audio: dither, hum or an unplugged microphone, not a recording.
SILENT_PEAK_DBFS = -70.0

#: Shorter files cannot hold a call (a single meow or growl lasts several tenths of a second).
MIN_DURATION_S = 0.1

#: Only the first hour of a file is decoded. Field recordings longer than that are better split
#: beforehand; the cap keeps memory bounded (an hour at 8 kHz mono is 115 MB of float32) and
#: protects against headers that claim absurd lengths.
MAX_DURATION_S = 3600.0

#: Plausible sample rates. Outside this range a header is lying (or the file is not audio for
#: this purpose), and resampling by such ratios would take absurd time or memory.
MIN_SAMPLE_RATE = 1000
MAX_SAMPLE_RATE = 768_000

#: Samples (frames × channels) read from libsndfile per block: memory stays bounded for
#: long or many-channel files while small files are read in one call.
BLOCK_SAMPLES = 1 << 20

#: soxr quality recipe: "HQ" (20-bit precision, steep anti-alias filter) — more than the 16-bit
#: sources need and fast enough to resample an hour of 48 kHz audio in seconds.
RESAMPLE_QUALITY = "HQ"

# Exceptions libsndfile/soundfile/soxr/numpy raise on hostile input. LibsndfileError is a
# RuntimeError; OSError covers missing files and permissions; MemoryError/OverflowError cover
# headers that announce absurd sizes.
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    RuntimeError,
    ValueError,
    TypeError,
    EOFError,
    MemoryError,
    OverflowError,
    OSError,
)


# ---------------------------------------------------------------------------- file facts
@dataclasses.dataclass(frozen=True)
class AudioInfo:
    """What an audio file's header says (nothing is decoded).

    Attributes:
        path: the file.
        format: container as libsndfile names it (``"WAV"``, ``"WAVEX"``, ``"FLAC"``,
            ``"OGG"``, ``"AIFF"``, ``"MP3"`` ...).
        format_info: human description of the container (``"WAV (Microsoft)"``).
        subtype: sample encoding (``"PCM_16"``, ``"FLOAT"``, ``"ULAW"``, ``"VORBIS"`` ...).
        subtype_info: human description (``"Signed 16 bit PCM"``).
        samplerate: the file's sample rate in Hz.
        channels: number of channels.
        frames: number of frames the header announces (for compressed formats libsndfile's
            estimate; a truncated file may decode fewer).
    """

    path: Path
    format: str
    format_info: str
    subtype: str
    subtype_info: str
    samplerate: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        """Length in seconds announced by the header."""
        return self.frames / self.samplerate if self.samplerate > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (path as a string, duration included)."""
        d = dataclasses.asdict(self)
        d["path"] = str(self.path)
        d["duration_s"] = self.duration_s
        return d


@dataclasses.dataclass(frozen=True)
class LoadedAudio:
    """A decoded file: the signal and the facts a data-set report needs.

    Attributes:
        y: float32 mono signal at ``sr``, DC removed, shape [samples].
        sr: its sample rate in Hz.
        info: the file's header facts (:class:`AudioInfo`).
        peak_dbfs: the file's sample peak over all channels before any processing, in dB
            relative to full scale (0 dBFS = 1.0).
        truncated: True if the file was longer than :data:`MAX_DURATION_S` and only its
            beginning was decoded.
    """

    y: np.ndarray
    sr: int
    info: AudioInfo
    peak_dbfs: float
    truncated: bool = False


# ---------------------------------------------------------------------------- opening
def _open(path: Path) -> sf.SoundFile:
    try:
        # Bytes, not str: soundfile encodes a str path as strict UTF-8, which fails for a
        # file name that is not UTF-8 (a Latin-1 "caf\xe9.wav" on Linux reads back with a
        # surrogate); os.fsencode gives the name's bytes back exactly.
        return sf.SoundFile(os.fsencode(path))
    except _DECODE_ERRORS as exc:
        raise fail_open(path, exc) from None


def _info_of(path: Path, f: sf.SoundFile) -> AudioInfo:
    try:
        info = AudioInfo(
            path=path,
            format=str(f.format),
            format_info=str(f.format_info),
            subtype=str(f.subtype),
            subtype_info=str(f.subtype_info),
            samplerate=int(f.samplerate),
            channels=int(f.channels),
            frames=max(0, int(f.frames)),
        )
    except _DECODE_ERRORS as exc:
        raise AudioLoadError(path, "unreadable", error_text(exc)) from None
    if not MIN_SAMPLE_RATE <= info.samplerate <= MAX_SAMPLE_RATE:
        raise AudioLoadError(
            path,
            "unreadable",
            f"implausible sample rate {info.samplerate} Hz (expected "
            f"{MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE})",
        )
    if info.channels < 1:
        raise AudioLoadError(path, "unreadable", f"header declares {info.channels} channels")
    return info


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Read a file's header: container, encoding, rate, channels, frames — no decoding.

    Args:
        path: an audio file.

    Returns:
        :class:`AudioInfo`. A valid header with zero frames is returned as such
        (``frames == 0``); :func:`read_audio` is what rejects it as "empty".

    Raises:
        AudioLoadError: reason "unreadable", "empty" (zero bytes) or "not audio".

    Examples:
        >>> info = probe("meow.wav")  # doctest: +SKIP
        >>> info.format, info.subtype, info.samplerate, info.channels  # doctest: +SKIP
        ('WAV', 'PCM_16', 8000, 1)
    """
    path = Path(path)
    with quiet_decoder(path), _open(path) as f:
        return _info_of(path, f)


# ---------------------------------------------------------------------------- decoding
def _peak_dbfs(peak: float) -> float:
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def _decode_mono(
    path: Path, f: sf.SoundFile, info: AudioInfo, sr: int
) -> tuple[np.ndarray, float, bool]:
    """Stream ``f`` block by block → (mono float32 at ``sr``, raw peak, truncated)."""
    import soxr  # resampler; imported here so probing stays light

    block_frames = max(1, BLOCK_SAMPLES // info.channels)
    max_frames = int(MAX_DURATION_S * info.samplerate)
    resampler = None
    if info.samplerate != sr:
        resampler = soxr.ResampleStream(
            info.samplerate, sr, 1, dtype="float32", quality=RESAMPLE_QUALITY
        )
    pieces: list[np.ndarray] = []
    peak = 0.0
    done = 0
    truncated = False
    while True:
        want = min(block_frames, max_frames - done)
        if want <= 0:
            truncated = bool(len(f.read(1, dtype="float32", always_2d=True)))
            break
        block = f.read(want, dtype="float32", always_2d=True)
        if block.shape[0] == 0:
            break
        done += block.shape[0]
        if not np.isfinite(block).all():
            bad = int(np.count_nonzero(~np.isfinite(block)))
            raise AudioLoadError(
                path, "non-finite", f"{bad} NaN/inf samples in frames {done - len(block)}.."
            )
        peak = max(peak, float(np.max(np.abs(block))))
        mono = block[:, 0] if info.channels == 1 else block.mean(axis=1, dtype=np.float32)
        mono = np.ascontiguousarray(mono, dtype=np.float32)
        pieces.append(resampler.resample_chunk(mono) if resampler else mono)
        if block.shape[0] < want:  # libsndfile had no more to give
            break
    if resampler is not None and done:
        pieces.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
    y = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return y.astype(np.float32, copy=False), peak, truncated


def read_audio(
    path: str | os.PathLike[str], *, sr: int, min_duration_s: float = MIN_DURATION_S
) -> LoadedAudio:
    """Decode any audio file libsndfile reads into float32 mono at ``sr``, DC removed.

    Channels are averaged (note: channels in opposite phase cancel). The signal is resampled
    with soxr (quality :data:`RESAMPLE_QUALITY`) when the file's rate differs from ``sr``.
    Levels are left as recorded (no normalisation); ``peak_dbfs`` reports them.

    Args:
        path: the file. Its extension does not matter; the content decides.
        sr: target sample rate in Hz (take it from a :class:`~mockingbot.spec.SpectrogramSpec`).
        min_duration_s: shorter signals are rejected as "too short" (≥ 0).

    Returns:
        :class:`LoadedAudio` with ``y`` shaped [samples].

    Raises:
        AudioLoadError: for any file content that cannot give usable audio; ``reason`` is one
            of :data:`REASONS`. No other exception escapes for any file content.
        ParameterError: ``sr`` or ``min_duration_s`` is invalid (a programming mistake).

    Examples:
        >>> a = read_audio("field/recording.flac", sr=8000)  # doctest: +SKIP
        >>> a.y.dtype, a.info.channels, round(a.peak_dbfs, 1)  # doctest: +SKIP
        (dtype('float32'), 2, -3.2)
    """
    sr = as_int("sr", sr, low=MIN_SAMPLE_RATE, high=MAX_SAMPLE_RATE)
    min_duration_s = as_float("min_duration_s", min_duration_s, low=0.0)
    path = Path(path)
    with quiet_decoder(path), _open(path) as f:
        info = _info_of(path, f)
        try:
            y, peak, truncated = _decode_mono(path, f, info, int(sr))
        except AudioLoadError:
            raise
        except _DECODE_ERRORS as exc:
            raise AudioLoadError(path, "unreadable", error_text(exc)) from None
    if y.size == 0:
        raise AudioLoadError(path, "empty", "no audio frames")
    if not np.isfinite(y).all():  # cannot happen after the per-block check; belt and braces
        raise AudioLoadError(path, "non-finite", "NaN/inf after resampling")
    y = remove_dc(y)
    level = float(np.max(np.abs(y)))
    if _peak_dbfs(level) < SILENT_PEAK_DBFS:
        raise AudioLoadError(
            path,
            "silent",
            f"peak {_peak_dbfs(level):.1f} dBFS is below {SILENT_PEAK_DBFS:g} dBFS",
        )
    if y.size < min_duration_s * sr:
        raise AudioLoadError(
            path, "too short", f"{y.size / sr:.3f} s, at least {min_duration_s:g} s needed"
        )
    return LoadedAudio(y=y, sr=int(sr), info=info, peak_dbfs=_peak_dbfs(peak), truncated=truncated)


def load_audio(
    path: str | os.PathLike[str], *, sr: int, min_duration_s: float = MIN_DURATION_S
) -> np.ndarray:
    """Decode ``path`` to float32 mono at ``sr`` with DC removed (see :func:`read_audio`).

    Raises:
        AudioLoadError: the file gives no usable audio (reason in :data:`REASONS`).

    Examples:
        >>> y = load_audio("meow.wav", sr=8000)  # doctest: +SKIP
        >>> y.dtype, y.ndim  # doctest: +SKIP
        (dtype('float32'), 1)
    """
    return read_audio(path, sr=sr, min_duration_s=min_duration_s).y
