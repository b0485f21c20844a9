"""Spectrogram pictures of finished sounds: per-sound thumbnails and the pack's contact sheet.

Drawn with numpy and Pillow only: a pack of 500 sounds needs 500 thumbnails inside a
render budget of seconds, and matplotlib costs tens of milliseconds per figure. A thumbnail
shows the file the user will hear (after size shift, trimming and resampling), so it is
computed from the final audio, not from the generator's output.

Each picture is a log-magnitude spectrogram, time left to right, frequency bottom to top
from 0 Hz to :data:`THUMB_MAX_HZ` (where creature calls at the model's 8 kHz live), over
:data:`THUMB_TOP_DB` of dynamic range relative to the loudest pixel, coloured with a fixed
perceptual palette. Output is deterministic: same samples, same PNG bytes.

Contents: :func:`spectrogram_image`, :func:`thumbnail_png`, :func:`contact_sheet`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mockingbot import spectral
from mockingbot.errors import ParameterError

__all__ = [
    "THUMB_HEIGHT",
    "THUMB_MAX_HZ",
    "THUMB_TOP_DB",
    "THUMB_WIDTH",
    "contact_sheet",
    "spectrogram_image",
    "thumbnail_png",
]

#: Thumbnail size in pixels (width = time, height = frequency).
THUMB_WIDTH = 160
THUMB_HEIGHT = 64
#: Highest frequency shown (Hz); capped at the file's Nyquist frequency.
THUMB_MAX_HZ = 8000.0
#: Dynamic range shown, dB below the loudest pixel.
THUMB_TOP_DB = 70.0
#: Analysis window length of the thumbnail STFT, in seconds (≈ 12 ms: 86 Hz bins at 44.1 kHz,
#: finer than one of the 125-Hz pixel rows; longer windows only cost time).
_WINDOW_S = 0.0116
#: Palette anchors (position, RGB): dark purple → red → yellow, like matplotlib's "magma".
_PALETTE_ANCHORS = (
    (0.0, (0, 0, 4)),
    (0.25, (80, 18, 123)),
    (0.5, (182, 54, 121)),
    (0.75, (251, 136, 97)),
    (1.0, (252, 253, 191)),
)
_SHEET_GAP = 2
_SHEET_LABEL_WIDTH = 96
_SHEET_BACKGROUND = 255  # white, palette index reserved below
_PNG_COMPRESS_LEVEL = 6


def _palette() -> list[int]:
    """A 256-entry RGB palette: 0–254 the colour ramp, 255 white (background)."""
    pos = np.array([a[0] for a in _PALETTE_ANCHORS])
    rgb = np.array([a[1] for a in _PALETTE_ANCHORS], dtype=np.float64)
    x = np.linspace(0.0, 1.0, 255)
    ramp = np.stack([np.interp(x, pos, rgb[:, c]) for c in range(3)], axis=1)
    ramp = np.rint(ramp).astype(np.uint8)
    return [*ramp.reshape(-1).tolist(), 255, 255, 255]


_PALETTE = _palette()


def spectrogram_image(
    y: np.ndarray,
    *,
    sr: int,
    width: int = THUMB_WIDTH,
    height: int = THUMB_HEIGHT,
    max_hz: float = THUMB_MAX_HZ,
    top_db: float = THUMB_TOP_DB,
) -> np.ndarray:
    """Palette indices uint8 [height, width] of ``y``'s log spectrogram (row 0 = top = high).

    Args:
        y: mono audio [samples], any length (silence and very short sounds are fine).
        sr: its sample rate in Hz.
        width: columns (time frames, evenly spaced over the sound).
        height: rows (frequency, linear from 0 to ``min(max_hz, sr / 2)``).
        max_hz: top of the frequency axis.
        top_db: range below the loudest pixel mapped onto the palette.

    Returns:
        Values 0 (quiet) … 254 (loud), ready for :func:`thumbnail_png`.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"spectrogram_image wants mono audio [samples], got {y.shape}")
    if width < 1 or height < 1:
        raise ParameterError(f"image size must be positive, got {width}×{height}")
    n_fft = 1 << max(4, int(np.ceil(np.log2(_WINDOW_S * sr))))
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    starts = np.linspace(0, y.size - n_fft, width).round().astype(np.int64)
    frames = y[starts[:, None] + np.arange(n_fft)[None, :]]
    # A symmetric Hann window: the picture is never inverted back to audio.
    window = spectral.get_window("hann", n_fft, symmetric=True)
    S = np.abs(spectral.windowed_rfft(frames, window, n_fft=n_fft, workers=1))  # [width, bins]
    top_hz = min(float(max_hz), sr / 2.0)
    # Each row takes the strongest bin in its band (keeps thin harmonics visible when shrunk);
    # a band narrower than one bin repeats the bin it falls in.
    edges = np.floor(np.arange(height) * top_hz / height * n_fft / sr).astype(np.int64)
    rows = np.maximum.reduceat(S, np.clip(edges, 0, S.shape[1] - 1), axis=1).T
    db = 20.0 * np.log10(np.maximum(rows, 1e-12, dtype=np.float64))
    peak = db.max()
    level = np.clip((db - (peak - top_db)) / top_db, 0.0, 1.0)
    if peak <= -200.0:  # digital silence: draw the quiet colour
        level[:] = 0.0
    return np.rint(level[::-1] * 254.0).astype(np.uint8)


def _to_png(indices: np.ndarray) -> bytes:
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8), mode="P")
    img.putpalette(_PALETTE)
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return out.getvalue()


def thumbnail_png(y: np.ndarray, *, sr: int) -> bytes:
    """PNG bytes of the spectrogram thumbnail of ``y`` (THUMB_WIDTH × THUMB_HEIGHT pixels)."""
    return _to_png(spectrogram_image(y, sr=sr))


def contact_sheet(rows: Sequence[tuple[str, Sequence[Path]]], *, max_columns: int) -> bytes:
    """PNG bytes of a grid of thumbnails: one labelled row per creature.

    Args:
        rows: ``(label, thumbnail paths)`` per row; each path is a PNG written by
            :func:`thumbnail_png`. Rows longer than ``max_columns`` are cut.
        max_columns: tiles per row at most.

    Returns:
        A palette PNG; deterministic for the same inputs.
    """
    from PIL import Image, ImageDraw, ImageFont

    if not rows:
        raise ParameterError("a contact sheet needs at least one row")
    n_cols = max(1, min(max_columns, max(len(paths) for _, paths in rows)))
    tile_w, tile_h = THUMB_WIDTH + _SHEET_GAP, THUMB_HEIGHT + _SHEET_GAP
    sheet = Image.new("P", (_SHEET_LABEL_WIDTH + n_cols * tile_w, len(rows) * tile_h))
    sheet.putpalette(_PALETTE)
    sheet.paste(_SHEET_BACKGROUND, (0, 0, sheet.width, sheet.height))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for r, (label, paths) in enumerate(rows):
        top = r * tile_h
        draw.text((4, top + THUMB_HEIGHT // 2 - 6), label, fill=0, font=font)
        for c, path in enumerate(paths[:n_cols]):
            with Image.open(path) as tile:
                tile.load()
                sheet.paste(tile, (_SHEET_LABEL_WIDTH + c * tile_w, top))
    out = io.BytesIO()
    sheet.save(out, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return out.getvalue()
