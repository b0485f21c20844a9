"""Spectrogram thumbnails and the contact sheet: sizes, orientation, determinism."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import synth_meow
from mockingbot.errors import ParameterError
from mockingbot.runtime.thumbnails import (
    THUMB_HEIGHT,
    THUMB_WIDTH,
    contact_sheet,
    spectrogram_image,
    thumbnail_png,
)

SR = 44100


def test_a_low_tone_lights_the_bottom_rows_and_a_high_tone_the_top() -> None:
    t = np.arange(SR) / SR
    low = spectrogram_image(0.5 * np.sin(2 * np.pi * 300 * t), sr=SR)
    high = spectrogram_image(0.5 * np.sin(2 * np.pi * 7000 * t), sr=SR)
    assert low.shape == (THUMB_HEIGHT, THUMB_WIDTH) and low.dtype == np.uint8
    assert np.argmax(low.mean(axis=1)) > THUMB_HEIGHT * 0.9  # row 0 is the top
    assert np.argmax(high.mean(axis=1)) < THUMB_HEIGHT * 0.2


def test_a_sound_in_the_second_half_shows_in_the_right_half() -> None:
    y = np.zeros(SR)
    y[SR // 2 :] = synth_meow(sr=SR, seconds=0.5)
    img = spectrogram_image(y, sr=SR).astype(float)
    assert img[:, THUMB_WIDTH // 2 + 4 :].mean() > img[:, : THUMB_WIDTH // 2 - 4].mean() + 50


def test_silence_and_tiny_sounds_still_make_a_picture() -> None:
    assert spectrogram_image(np.zeros(100), sr=8000).max() == 0
    assert spectrogram_image(np.ones(3), sr=8000).shape == (THUMB_HEIGHT, THUMB_WIDTH)
    with pytest.raises(ParameterError, match="mono"):
        spectrogram_image(np.zeros((2, 100)), sr=8000)


def test_thumbnail_png_is_deterministic_and_the_right_size() -> None:
    y = synth_meow(sr=SR)
    png = thumbnail_png(y, sr=SR)
    assert png == thumbnail_png(y, sr=SR)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == (THUMB_WIDTH, THUMB_HEIGHT)


def test_contact_sheet_grids_rows_and_cuts_long_ones(tmp_path: Path) -> None:
    tile = tmp_path / "t.png"
    tile.write_bytes(thumbnail_png(synth_meow(sr=SR), sr=SR))
    rows = [("creature_000", [tile] * 3), ("creature_001", [tile] * 20)]
    sheet = contact_sheet(rows, max_columns=4)
    assert sheet == contact_sheet(rows, max_columns=4)
    img = Image.open(io.BytesIO(sheet))
    width, height = img.size
    assert 4 * THUMB_WIDTH < width < 4 * THUMB_WIDTH + 200
    assert 2 * THUMB_HEIGHT <= height < 2 * THUMB_HEIGHT + 20
    with pytest.raises(ParameterError):
        contact_sheet([], max_columns=4)
