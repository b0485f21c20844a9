"""How wide a recording really is, and the ladder rate a data set earns.

A file's sample rate says how wide it *could* be; a 44.1 kHz file upsampled from 8 kHz holds
nothing above 4 kHz, and training at 44.1 kHz-class rates on it only teaches the model an
empty band at several times the cost. So ``mbot train`` chooses its rate from what the files
hold, and ``mbot dataset inspect`` shows it.

**Effective bandwidth** (:func:`effective_bandwidth`) is the upper edge of the highest
:data:`BAND_HZ`-wide band whose mean power is within :data:`BANDWIDTH_DB` of the strongest
band's. Why this measure and not "the frequency below which 99 % of the energy lies": animal
calls put almost all their energy in the lowest kilohertz or two, so a 99 % point calls a
genuine 44.1 kHz growl with audible air and hiss up to 15 kHz "3 kHz wide", and would put
nearly every real data set on the lowest rung. Measured against the peak band, a real
recording's harmonics, breath and room noise reach far up; a resampled file's empty band
lies 90 dB or more down (soxr, sox, ffmpeg), and even 16-bit dither stays below the 60 dB
threshold.

**Upsampled** (:func:`upsampled_from`): a file whose content stops well below its Nyquist
frequency, at the Nyquist frequency of a common lower rate, *at a cliff*: the strongest
band in the :data:`CLIFF_HZ` below the edge is at least :data:`CLIFF_DB` above everything
above the edge. Natural roll-off (air, a
microphone) falls a few dB per kilohertz; a resampler's anti-alias filter falls ~100 dB
within a few hundred hertz.

**Rate choice** (:func:`choose_rate`): a file *reaches* the lowest ladder rung whose Nyquist
covers its bandwidth, capped by the highest rung its own rate allows; the data set gets the
highest rung a strict majority of files reach, then no higher than ``max_rate`` when given
(``mbot train --max-sample-rate``: what the user's CPU budget allows; every rung costs
more per step, see docs/user-guide.md), which the reason then says.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from .audio import read_audio
from .errors import AudioLoadError, ParameterError
from .spec import LADDER

__all__ = [
    "ANALYSIS_S",
    "BANDWIDTH_DB",
    "BAND_HZ",
    "CLIFF_DB",
    "CLIFF_HZ",
    "COMMON_RATES",
    "FileBandwidth",
    "RateChoice",
    "choose_rate",
    "effective_bandwidth",
    "measure_file",
    "measure_files",
    "reachable_rate",
    "upsampled_from",
]

#: Width of the bands the long-term spectrum is summed into (Hz). Wide enough that a tonal
#: peak and the gaps between harmonics average out; narrow enough to place an 8 kHz file's
#: 4 kHz edge within a band.
BAND_HZ = 250.0
#: A band counts as content when its power is within this many dB of the strongest band.
BANDWIDTH_DB = 60.0
#: An edge is a cliff (a resampler's filter) when the level falls by at least CLIFF_DB ...
CLIFF_DB = 30.0
#: ... from the strongest band within CLIFF_HZ below the edge to everything above it.
CLIFF_HZ = 750.0
#: Seconds of each file analysed (its start): enough for a long-term spectrum, bounded cost.
ANALYSIS_S = 30.0
#: Rates recordings are commonly made or converted at below 44.1 kHz: the rates an
#: upsampled file's empty band points back to.
COMMON_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000)
_N_FFT_S = 0.02  # analysis frame ≈ 20 ms (power of two samples at or above it)


def _band_levels_db(y: np.ndarray, sr: int) -> np.ndarray:
    """Mean power per :data:`BAND_HZ` band, in dB relative to the strongest band (≤ 0)."""
    n_fft = 1 << max(6, int(np.ceil(np.log2(_N_FFT_S * sr))))
    y = np.asarray(y, dtype=np.float64)
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    hop = n_fft // 2
    n = 1 + (y.size - n_fft) // hop
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop][:n]
    power = np.mean(np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=-1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    band = np.minimum((freqs // BAND_HZ).astype(int), int((sr / 2) // BAND_HZ))
    sums = np.bincount(band, weights=power)
    counts = np.bincount(band)
    mean = sums / np.maximum(counts, 1)
    peak = float(mean.max())
    if peak <= 0.0:
        return np.full(mean.shape, -np.inf)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(mean / peak)


def effective_bandwidth(y: np.ndarray, sr: int) -> float:
    """Upper edge (Hz) of the highest band within :data:`BANDWIDTH_DB` of the strongest band.

    Returns 0.0 for digital silence; never more than ``sr / 2``.
    """
    levels = _band_levels_db(y, sr)
    live = np.flatnonzero(levels >= -BANDWIDTH_DB)
    if live.size == 0:
        return 0.0
    return float(min((live[-1] + 1) * BAND_HZ, sr / 2))


def upsampled_from(y: np.ndarray, sr: int) -> int | None:
    """The common rate ``y`` looks upsampled from, or None (see the module notes).

    Three things must hold: the content edge (:func:`effective_bandwidth`) lies under 80 %
    of ``sr / 2`` (so a native recording's own anti-alias filter never counts); it lies at
    the Nyquist frequency of a common lower rate (:data:`COMMON_RATES`, from 96 % of it to
    one band above, where a resampler's filter puts it); and it is a cliff of at least
    :data:`CLIFF_DB`. A synthetic tone stack that just stops at 15 kHz is not flagged.
    """
    levels = _band_levels_db(y, sr)
    live = np.flatnonzero(levels >= -BANDWIDTH_DB)
    if live.size == 0 or live[-1] + 1 >= levels.size:
        return None
    edge_band = int(live[-1])
    edge = (edge_band + 1) * BAND_HZ
    if edge >= 0.8 * sr / 2:
        return None
    origin = next(
        (r for r in COMMON_RATES if r < sr and 0.96 * r / 2 <= edge <= r / 2 + BAND_HZ), None
    )
    if origin is None:
        return None
    below = levels[max(0, edge_band + 1 - int(CLIFF_HZ / BAND_HZ)) : edge_band + 1].max()
    above = levels[edge_band + 1 :].max()
    return origin if below - above >= CLIFF_DB else None


def reachable_rate(sr: int, bandwidth_hz: float) -> int:
    """The ladder rate a file earns: the lowest rung whose Nyquist covers ``bandwidth_hz``,
    but no higher than the highest rung at or below the file's own rate ``sr``."""
    rates = [rate for rate, _ in LADDER]
    cap = max([r for r in rates if r <= sr], default=rates[0])
    need = next((r for r in rates if r / 2 >= bandwidth_hz), rates[-1])
    return min(cap, need)


@dataclasses.dataclass(frozen=True)
class FileBandwidth:
    """One file's rate, measured bandwidth and the rung it reaches.

    Attributes:
        path: the file.
        sr: its sample rate (Hz).
        bandwidth_hz: :func:`effective_bandwidth` of its first :data:`ANALYSIS_S` seconds.
        upsampled_from: the rate :func:`upsampled_from` says it was upsampled from, or None.
        reaches: :func:`reachable_rate` (Hz).
    """

    path: Path
    sr: int
    bandwidth_hz: float
    upsampled_from: int | None
    reaches: int

    def to_dict(self, root: Path | None = None) -> dict[str, object]:
        """JSON-ready form; ``path`` relative to ``root`` when given."""
        path = self.path.relative_to(root).as_posix() if root is not None else str(self.path)
        return {
            "path": path,
            "sr": self.sr,
            "bandwidth_hz": round(self.bandwidth_hz, 1),
            "upsampled_from": self.upsampled_from,
            "reaches": self.reaches,
        }


def measure_file(path: str | os.PathLike[str]) -> FileBandwidth:
    """Decode ``path`` at its own rate and measure it (:class:`FileBandwidth`).

    Raises:
        AudioLoadError: the file gives no usable audio (as for training).
    """
    from .audio import probe

    sr = int(probe(path).samplerate)
    lowest = LADDER[0][0]
    if sr <= lowest:  # nothing to measure: it can only reach the lowest rung
        return FileBandwidth(Path(path), sr, sr / 2, None, lowest)
    y = read_audio(path, sr=sr).y[: int(ANALYSIS_S * sr)]
    bandwidth = effective_bandwidth(y, sr)
    return FileBandwidth(
        Path(path), sr, bandwidth, upsampled_from(y, sr), reachable_rate(sr, bandwidth)
    )


def measure_files(
    paths: Iterable[Path], *, on_progress: Callable[[int, int], None] | None = None
) -> list[FileBandwidth]:
    """:func:`measure_file` for each path; unusable files are left out (training skips them)."""
    paths = list(paths)
    out = []
    for done, path in enumerate(paths, start=1):
        with contextlib.suppress(AudioLoadError):  # training rejects it and says why
            out.append(measure_file(path))
        if on_progress is not None:
            on_progress(done, len(paths))
    return out


@dataclasses.dataclass(frozen=True)
class RateChoice:
    """The rate a data set earns and why.

    Attributes:
        rate: the chosen ladder rate (Hz).
        reached: files that reach it.
        files: files measured.
        upsampled: files flagged as upsampled.
        data_rate: the rung the data earned before ``max_rate`` capped it (None: not capped).
        cap_source: what set the cap, for the reason (e.g. ``"--max-sample-rate"``).
    """

    rate: int
    reached: int
    files: int
    upsampled: int
    data_rate: int | None = None
    cap_source: str = "--max-sample-rate"

    def reason(self) -> str:
        """One phrase for the start line and config.json, e.g. ``87 of 100 files reach it``.

        Capped: ``91 of 100 files reach 32 kHz; capped at 16 kHz by --max-sample-rate``.
        """
        shown = self.rate if self.data_rate is None else self.data_rate
        text = f"{self.reached} of {self.files} files reach {shown / 1000:g} kHz"
        if self.data_rate is not None:
            text += f"; capped at {self.rate / 1000:g} kHz by {self.cap_source}"
        if self.upsampled:
            verb = "looks" if self.upsampled == 1 else "look"
            text += f"; {self.upsampled} {verb} upsampled (counted at their real bandwidth)"
        return text


def choose_rate(files: Sequence[FileBandwidth], *, max_rate: int | None = None) -> RateChoice:
    """The highest ladder rung a strict majority of ``files`` reach (the lowest if none),
    then the highest rung at or below ``max_rate`` if the data earned more.

    Raises:
        ParameterError: ``max_rate`` is below the lowest rung.

    Examples:
        >>> wide = [FileBandwidth(Path(f"{i}.wav"), 44100, 15000.0, None, 32000) for i in range(3)]
        >>> choose_rate(wide).rate, choose_rate(wide, max_rate=22050).reason()
        (32000, '3 of 3 files reach 32 kHz; capped at 22.05 kHz by --max-sample-rate')
    """
    rates = [rate for rate, _ in LADDER]
    if max_rate is not None and max_rate < rates[0]:
        rungs = ", ".join(str(r) for r in rates)
        raise ParameterError(
            f"maximum sample rate {max_rate} Hz is below the lowest rung; choose from {rungs}"
        )
    upsampled = sum(f.upsampled_from is not None for f in files)
    choice = RateChoice(rates[0], len(files), len(files), upsampled)
    for rate in reversed(rates):
        reached = sum(f.reaches >= rate for f in files)
        if 2 * reached > len(files):
            choice = RateChoice(rate, reached, len(files), upsampled)
            break
    if max_rate is not None and choice.rate > max_rate:
        cap = max(r for r in rates if r <= max_rate)
        return dataclasses.replace(choice, rate=cap, data_rate=choice.rate)
    return choice
