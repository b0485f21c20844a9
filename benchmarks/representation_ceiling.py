"""The ceiling of each output representation: how real can audio made in it sound, at best?

Usage:
    python benchmarks/representation_ceiling.py                  # CatMeows from ../shared
    python benchmarks/representation_ceiling.py DATA_DIR --limit 64 --json ceiling.json
    python benchmarks/representation_ceiling.py DATA_DIR --keep wavs/   # keep the audio

A generator can never sound more real than its output representation allows. This analyses
the trainer's own clips (:func:`mockingbot.dataset.load_dataset` with the default preset's
spec and data context, cut exactly as ``mbot train`` cuts them) into each representation,
resynthesises them the way a pack is rendered (normalised array → ``spec.magnitude`` →
``spec.full_magnitude`` → :func:`mockingbot.runtime.phase.reconstruct` with the preset's
phase method), writes WAVs and scores each set against the data folder with ``mbot
evaluate``'s features and metrics. One row per representation:

- ``real clips themselves``: the trainer's clips written out as they are, no resynthesis:
  what the data preparation alone costs (cut calls are not the recorded files).
- ``harmonic controls, painted``: per frame an f0 (``librosa.pyin``; unvoiced frames keep the
  nearest voiced f0 and have no harmonics), 20 harmonic levels read from ``|X|`` at ``k·f0``
  (the dB peak within one bin of ``k·f0``, refined by quadratic interpolation), 32 noise-band
  levels from the residual power (``|X|²`` minus the rendered harmonics, power-averaged under
  each band's interpolation triangle). They are encoded as controls by inverting
  ``decode_controls`` (:func:`encode_controls`) and rendered by the trainer's own
  ``HarmonicNoiseSynth`` with ``noise_texture`` off: the smooth "painted" noise the shipped
  model emits.
- ``harmonic controls, sampled``: the same rendered harmonic peaks and band envelope, with
  the noise texture drawn per cell (:func:`mockingbot.texture.compose_magnitude`).
- ``full-resolution, exact``: ``A = |X|``, ``N = 0``. Every bin and frame is free, so this
  is the representation's true ceiling: only the 80-dB floor and phase retrieval stand
  between it and the clip.
- ``full-resolution, envelope + texture``: ``A = 0``, ``N = smooth_envelope(|X|, bins=3)``,
  texture drawn: what the texture path alone gives.

Printed: C2ST (best classifier), Fréchet distance, novelty and diversity ratios, the burst +
hiss share, and the median spectral convergence of phase retrieval against the row's own
magnitudes; then the real-vs-real floor (the reference's own burst + hiss share in that
column). Every resynthesised row is a reconstruction of the training clips, so its novelty
is low by construction (copies): read C2ST and Fréchet for the ceiling.

Results on CatMeows (448 call clips against the 440 files, seed 0, 6 min on 2 busy cores;
discussed in docs/model-card.md, "Representation ceilings")::

    representation                       C2ST  Fréchet  novelty  diversity  burst+hiss  phase SC
    real clips themselves               0.649    25.26    0.618      1.003       0.009         —
    harmonic controls, painted          0.936    21.30    0.928      0.966       0.007   -20.5 dB
    harmonic controls, sampled          0.892    16.78    0.841      0.933       0.007   -17.2 dB
    full-resolution, exact              0.702    21.42    0.620      1.006       0.011   -31.4 dB
    full-resolution, envelope + texture 0.819    16.65    0.757      0.906       0.007   -10.5 dB
    real vs real (floor, 5 splits)      0.498     4.05    0.874      1.019       0.070         —

Needs the ``train`` extra (TensorFlow, for the renderer) and librosa (dev extra, for pyin).
``--limit N`` takes a seeded random subset of the clips; the reference stays the whole data
folder. pyin dominates the time (about 0.6 s per clip on a busy 2-core machine).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy.special import expit

from mockingbot import texture
from mockingbot.datascan import group_of
from mockingbot.dataset import load_dataset
from mockingbot.evaluation import features, metrics
from mockingbot.evaluation.inputs import reference_files
from mockingbot.evaluation.report import MIN_CLIPS, metric_values
from mockingbot.runtime.phase import reconstruct, reconstruction_error
from mockingbot.spec import SpectrogramSpec

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "catmeows"

REAL = "real clips themselves"
PAINTED = "harmonic controls, painted"
SAMPLED = "harmonic controls, sampled"
EXACT = "full-resolution, exact"
ENVELOPE = "full-resolution, envelope + texture"
#: Table rows, in order; every one but the first is resynthesised.
ROWS: tuple[str, ...] = (REAL, PAINTED, SAMPLED, EXACT, ENVELOPE)
METRICS: tuple[str, ...] = ("c2st", "frechet", "novelty", "diversity")

#: Neighbouring bins the envelope + texture row power-averages (``texture.smooth_envelope``).
ENVELOPE_BINS = 3
#: Clips per analysis / render / phase batch.
BATCH = 32
#: pyin's frame length in samples (64 ms at 8 kHz: two periods of the lowest f0, 120 Hz).
PYIN_FRAME = 512
#: A Hann window loses at most 1.42 dB between bins, so the interpolated peak may exceed the
#: best bin by no more than this (bounds the parabola where the peak is not a local maximum).
MAX_PEAK_GAIN_DB = 1.5
#: Logits are clipped to sigmoid values in [_EPS, 1 - _EPS]: finite, and within 1e-4 dB.
_EPS = 1e-6
_TINY = 1e-12

ProgressFn = Callable[[str, int, int], None]


@dataclasses.dataclass(frozen=True)
class Voice:
    """The harmonic renderer's settings (the default preset's ``[model]`` values)."""

    n_harmonics: int
    n_noise_bands: int
    f0_min_hz: float
    f0_max_hz: float
    peak_shape: str


# --------------------------------------------------------------------------- analysis
def relative_magnitude(clips: np.ndarray, spec: SpectrogramSpec) -> np.ndarray:
    """``|STFT|`` on the model grid, relative to a full-scale sinusoid: [clips, frames, bins].

    The scale the renderer's levels use (0 dB = a full-scale sinusoid centred on a bin).
    """
    D = spec.stft(spec.fit_clip(np.asarray(clips, dtype=np.float64)))
    return np.abs(D[..., : spec.n_frames, : spec.n_bins]) / spec.amplitude_ref


def fill_unvoiced(f0: np.ndarray, voiced: np.ndarray, fallback: float) -> np.ndarray:
    """f0 for every frame: unvoiced frames interpolate the voiced ones in log frequency.

    Controls need an f0 in every frame even where pyin finds none; there the harmonics are
    silenced, so the value only has to be harmless. A clip with no voiced frame gets
    ``fallback``.

    Args:
        f0: [clips, frames] Hz, NaN where unknown.
        voiced: [clips, frames] bool.
        fallback: Hz for clips without a voiced frame.
    """
    f0 = np.asarray(f0, dtype=np.float64)
    ok = np.asarray(voiced, dtype=bool) & np.isfinite(f0)
    out = np.full(f0.shape, float(fallback))
    t = np.arange(f0.shape[-1])
    for i in range(f0.shape[0]):
        if ok[i].any():
            out[i] = np.exp(np.interp(t, t[ok[i]], np.log(f0[i, ok[i]])))
    return out


def analyse_f0(
    clips: np.ndarray,
    spec: SpectrogramSpec,
    voice: Voice,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """pyin f0 and voicing on the spec's frames: ``(f0 Hz, voiced)``, each [clips, frames].

    pyin's frames are centred like the spec's (hop ``spec.hop_length``), so frame ``m`` of
    both is centred on sample ``m · hop``. Unvoiced frames are filled (:func:`fill_unvoiced`).
    """
    import librosa

    f0s, voiceds = [], []
    for b0 in range(0, len(clips), BATCH):
        f0, voiced, _ = librosa.pyin(
            np.asarray(clips[b0 : b0 + BATCH], dtype=np.float64),
            fmin=voice.f0_min_hz,
            fmax=voice.f0_max_hz,
            sr=spec.sr,
            frame_length=PYIN_FRAME,
            hop_length=spec.hop_length,
            center=spec.center,
        )
        f0s.append(np.atleast_2d(f0)[:, : spec.n_frames])
        voiceds.append(np.atleast_2d(voiced)[:, : spec.n_frames])
        if on_progress is not None:
            on_progress(min(b0 + BATCH, len(clips)), len(clips))
    voiced = np.concatenate(voiceds).astype(bool)
    return fill_unvoiced(np.concatenate(f0s), voiced, voice.f0_min_hz), voiced


def harmonic_levels(
    mag: np.ndarray, f0: np.ndarray, voiced: np.ndarray, *, bin_hz: float, n_harmonics: int
) -> np.ndarray:
    """Amplitude of harmonics ``k = 1..K`` read from ``mag`` at ``k·f0``: [clips, frames, K].

    The loudest of the three bins nearest ``k·f0``, refined by a parabola through the dB
    values around it (a sinusoid between two bins reads up to 1.4 dB low in either bin; the
    renderer's peak height is the sinusoid's own). Unvoiced frames and harmonics past the
    model's top bin are 0.

    Args:
        mag: relative magnitude [clips, frames, bins] (:func:`relative_magnitude`).
        f0: [clips, frames] Hz.
        voiced: [clips, frames] bool.
        bin_hz: Hz between bins (``sr / n_fft``).
        n_harmonics: K.
    """
    n_bins = mag.shape[-1]
    pos = f0[..., None] * np.arange(1, n_harmonics + 1) / bin_hz  # fractional bin [N, T, K]
    db = 20.0 * np.log10(mag + _TINY)
    cand = np.clip(np.rint(pos).astype(np.int64)[..., None] + np.arange(-1, 2), 0, n_bins - 1)

    def at(idx: np.ndarray) -> np.ndarray:
        flat = idx.reshape(*idx.shape[:2], -1)
        return np.take_along_axis(db, flat, axis=-1).reshape(idx.shape)

    best = np.take_along_axis(cand, np.argmax(at(cand), axis=-1)[..., None], axis=-1)[..., 0]
    b = np.clip(best, 1, n_bins - 2)
    left, mid, right = at(b - 1), at(b), at(b + 1)
    curve = left - 2.0 * mid + right
    safe = np.where(curve < 0.0, curve, -1.0)
    p = np.where(curve < 0.0, np.clip(0.5 * (left - right) / safe, -0.5, 0.5), 0.0)
    peak_db = np.minimum(mid - 0.25 * (left - right) * p, at(best) + MAX_PEAK_GAIN_DB)
    amp = 10.0 ** (peak_db / 20.0)
    return np.where(voiced[..., None] & (pos < n_bins - 1), amp, 0.0)


def band_levels(residual_power: np.ndarray, band_matrix: np.ndarray) -> np.ndarray:
    """Noise-band amplitudes from residual power: [clips, frames, bins] → [clips, frames, B].

    Each band's level is the power average of the residual under its interpolation triangle
    (``band_matrix`` [B, bins], the renderer's own), so a flat noise comes back flat and at
    its level.
    """
    W = np.asarray(band_matrix, dtype=np.float64)
    return np.sqrt(np.asarray(residual_power) @ W.T / W.sum(axis=1))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def encode_controls(
    f0: np.ndarray,
    amps: np.ndarray,
    bands: np.ndarray,
    *,
    spec: SpectrogramSpec,
    voice: Voice,
) -> np.ndarray:
    """Controls [clips, frames, 1 + K + B] that ``decode_controls`` maps back to these values.

    The inverse of :func:`mockingbot.trainer.synth.decode_controls`: f0 is placed log-linearly
    in ``[f0_min_hz, f0_max_hz]``; levels in dB become ``sigmoid⁻¹(-dB / level_range)`` with
    ``level_range = top_db + LEVEL_HEADROOM_DB``; harmonic amplitudes are divided by the
    decoder's fade near Nyquist first. What the representation cannot hold is clipped to it:
    f0 outside the range, levels above 0 dB (a full-scale sinusoid) or below ``-level_range``.

    Args:
        f0: [clips, frames] Hz.
        amps: harmonic amplitudes [clips, frames, K], as the decoder should return them.
        bands: noise-band amplitudes [clips, frames, B].
        spec: the spectrogram spec (``top_db``, ``sr``, ``n_fft``).
        voice: the renderer's settings.
    """
    from mockingbot.trainer.synth import LEVEL_HEADROOM_DB

    level_range = spec.top_db + LEVEL_HEADROOM_DB
    lo, hi = np.log(voice.f0_min_hz), np.log(voice.f0_max_hz)
    f0 = np.asarray(f0, dtype=np.float64)
    f0_logit = _logit((np.log(np.maximum(f0, _TINY)) - lo) / (hi - lo))
    bin_hz = spec.sr / spec.n_fft
    k = np.arange(1, voice.n_harmonics + 1)
    fade = expit((spec.sr / 2.0 - bin_hz - f0[..., None] * k) / bin_hz)

    def level_logit(a: np.ndarray) -> np.ndarray:
        return _logit(-20.0 * np.log10(np.maximum(a, _TINY)) / level_range)

    amps_pre = np.asarray(amps, dtype=np.float64) / np.maximum(fade, _TINY)
    return np.concatenate(
        [f0_logit[..., None], level_logit(amps_pre), level_logit(np.asarray(bands))], axis=-1
    ).astype(np.float32)


# --------------------------------------------------------------------------- rendering
class HarmonicRenderer:
    """The trainer's ``HarmonicNoiseSynth`` (TensorFlow), and the parts the rows need from it."""

    def __init__(self, spec: SpectrogramSpec, voice: Voice) -> None:
        from mockingbot.trainer.synth import HarmonicNoiseSynth, noise_band_matrix

        self.spec = spec
        self.voice = voice
        self.synth = HarmonicNoiseSynth(
            spec=spec.to_dict(),
            n_harmonics=voice.n_harmonics,
            n_noise_bands=voice.n_noise_bands,
            f0_min_hz=voice.f0_min_hz,
            f0_max_hz=voice.f0_max_hz,
            noise_texture=False,
            peak_shape=voice.peak_shape,
        )
        self.band_matrix = noise_band_matrix(voice.n_noise_bands, spec.n_bins)

    def painted(self, controls: np.ndarray) -> np.ndarray:
        """The synth's output at inference: normalised log-magnitude [clips, frames, bins]."""
        import tensorflow as tf

        return np.asarray(self.synth(tf.constant(controls), training=False), dtype=np.float32)

    def noise_envelope(self, controls: np.ndarray) -> np.ndarray:
        """The smooth noise magnitude the synth adds: decoded band levels across the bins."""
        import tensorflow as tf

        from mockingbot.trainer.synth import decode_controls

        _, _, bands = decode_controls(
            tf.constant(controls),
            spec=self.spec,
            n_harmonics=self.voice.n_harmonics,
            f0_min_hz=self.voice.f0_min_hz,
            f0_max_hz=self.voice.f0_max_hz,
        )
        return np.asarray(bands, dtype=np.float64) @ self.band_matrix.astype(np.float64)

    def harmonic_magnitude(self, controls: np.ndarray) -> np.ndarray:
        """The synth's harmonic peaks alone (relative magnitude), from its own output.

        The noise bands are silenced (-100 dB) and the output's normalisation undone
        (``normalize_relative`` adds the 80-dB floor in power); what is left after taking
        the floor and the silenced noise away is the harmonic part.
        """
        silent = np.array(controls, dtype=np.float32)
        silent[..., 1 + self.voice.n_harmonics :] = _logit(np.float64(1.0))
        X = self.painted(silent).astype(np.float64)
        top_db = self.spec.top_db
        power = 10.0 ** ((X - 1.0) * top_db / 20.0) - 10.0 ** (-top_db / 10.0)
        power -= self.noise_envelope(silent) ** 2
        return np.sqrt(np.maximum(power, 0.0))


def represent(
    clips: np.ndarray,
    f0: np.ndarray,
    voiced: np.ndarray,
    renderer: HarmonicRenderer,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Each resynthesised row's normalised array [clips, frames, bins] for one batch of clips."""
    spec, voice = renderer.spec, renderer.voice
    mag = relative_magnitude(clips, spec)
    amps = harmonic_levels(
        mag, f0, voiced, bin_hz=spec.sr / spec.n_fft, n_harmonics=voice.n_harmonics
    )
    no_bands = np.zeros((*mag.shape[:2], voice.n_noise_bands))
    harm = renderer.harmonic_magnitude(encode_controls(f0, amps, no_bands, spec=spec, voice=voice))
    bands = band_levels(np.maximum(mag**2 - harm**2, 0.0), renderer.band_matrix)
    controls = encode_controls(f0, amps, bands, spec=spec, voice=voice)
    zeros = np.zeros_like(mag)

    def normalised(S_rel: np.ndarray) -> np.ndarray:
        return spec.normalize(S_rel * spec.amplitude_ref)

    shape = (len(mag), *texture.noise_shape(*mag.shape[1:]))

    def drawn() -> np.ndarray:
        return rng.standard_normal(shape)

    envelope = texture.smooth_envelope(mag, bins=ENVELOPE_BINS)
    return {
        PAINTED: renderer.painted(controls),
        SAMPLED: normalised(
            texture.compose_magnitude(harm, renderer.noise_envelope(controls), drawn())
        ),
        EXACT: normalised(texture.compose_magnitude(mag, zeros, np.zeros(shape))),
        ENVELOPE: normalised(texture.compose_magnitude(zeros, envelope, drawn())),
    }


def to_audio(X: np.ndarray, spec: SpectrogramSpec, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Normalised arrays → audio, as a pack renders them; and phase retrieval's SC (dB) per clip."""
    S = spec.full_magnitude(spec.magnitude(X))
    y = reconstruct(S, spec=spec, method=method)
    return y, reconstruction_error(S, y, spec=spec)


def _write(folder: Path, start: int, audio: np.ndarray, sr: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, y in enumerate(audio, start):
        sf.write(folder / f"clip{i:04d}.wav", y, sr, subtype="FLOAT")


def row_folder(workdir: Path, row: str) -> Path:
    """Where a row's WAVs go: ``workdir / "harmonic-controls--painted"`` and so on."""
    return Path(workdir) / "".join(c if c.isalnum() else "-" for c in row).strip("-")


# --------------------------------------------------------------------------- the benchmark
def run_ceiling(
    data_dir: Path,
    *,
    workdir: Path,
    limit: int | None = None,
    seed: int = 0,
    floor_repeats: int = 5,
    on_progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Resynthesise the trainer's clips in every representation and score each set.

    Args:
        data_dir: the data folder; its clips are cut as ``mbot train`` cuts them (default
            preset) and its files are the evaluation's reference.
        workdir: where each row's WAVs are written (one sub-folder per row).
        limit: use a seeded random subset of this many clips (None: all).
        seed: seeds the subset, the textures and every metric.
        floor_repeats: random half/half splits of the reference for the floor.
        on_progress: ``on_progress(stage, done, total)``.

    Raises:
        FileExistsError: a row's folder under ``workdir`` already holds files (they would be
            scored with the new ones).

    Returns:
        JSON-ready results: ``rows`` (per representation: the metrics of
        :func:`mockingbot.evaluation.report.metric_values`, ``burst_hiss`` and
        ``phase_sc_db``), ``floor``, ``reference`` and what was measured.
    """
    from mockingbot.trainer.config import resolve_config

    t0 = time.perf_counter()
    for row in ROWS:
        folder = row_folder(workdir, row)
        if folder.is_dir() and any(folder.iterdir()):
            raise FileExistsError(f"{folder} is not empty; give an empty or new folder")

    def stage(name: str) -> Callable[[int, int], None] | None:
        if on_progress is None:
            return None
        return lambda done, total: on_progress(name, done, total)

    cfg = resolve_config()
    spec, m = cfg.spec, cfg.model
    voice = Voice(m.n_harmonics, m.n_noise_bands, m.f0_min_hz, m.f0_max_hz, m.peak_shape)
    data_dir = Path(data_dir)
    dataset = load_dataset(data_dir, spec=spec, context=cfg.data.context)
    clips = np.stack([c.y for c in dataset.clips]).astype(np.float32)
    if limit is not None and limit < len(clips):
        pick = np.sort(np.random.default_rng(seed).choice(len(clips), size=limit, replace=False))
        clips = clips[pick]
    n = len(clips)

    f0, voiced = analyse_f0(clips, spec, voice, stage("f0 (pyin)"))
    renderer = HarmonicRenderer(spec, voice)
    rng = np.random.default_rng(seed)
    sc: dict[str, list[np.ndarray]] = {row: [] for row in ROWS[1:]}
    render = stage("resynthesis")
    for b0 in range(0, n, BATCH):
        sl = slice(b0, b0 + BATCH)
        _write(row_folder(workdir, REAL), b0, clips[sl], spec.sr)
        for row, X in represent(clips[sl], f0[sl], voiced[sl], renderer, rng).items():
            audio, err = to_audio(X, spec, m.phase)
            _write(row_folder(workdir, row), b0, audio, spec.sr)
            sc[row].append(err)
        if render is not None:
            render(min(b0 + BATCH, n), n)

    ref = features.measure_files(reference_files(data_dir), stage("reference features"))
    groups = [group_of(p, data_dir) for p in ref.kept]
    floors = metrics.real_floor(ref.X, groups, seed=seed, repeats=floor_repeats)
    rows: dict[str, dict[str, Any]] = {}
    score = stage("scoring")
    for i, row in enumerate(ROWS):
        gen = features.measure_files(sorted(row_folder(workdir, row).glob("*.wav")))
        rows[row] = {
            **metric_values(gen.X, ref.X, groups, seed=seed),
            "burst_hiss": metrics.burst_hiss_share(gen.loud),
            "phase_sc_db": float(np.median(np.concatenate(sc[row]))) if row in sc else None,
            "clips": len(gen.kept),
            "rejected": len(gen.rejected),
        }
        if score is not None:
            score(i + 1, len(ROWS))
    return {
        "data": str(data_dir),
        "clips": n,
        "context": cfg.data.context,
        "seed": seed,
        "spec": spec.to_dict(),
        "voice": dataclasses.asdict(voice),
        "phase_method": m.phase,
        "voiced_fraction": float(voiced.mean()),
        "reference": {
            "clips": len(ref.kept),
            "groups": len(set(groups)),
            "rejected": len(ref.rejected),
            "burst_hiss": metrics.burst_hiss_share(ref.loud),
        },
        "floor": {k: v.to_dict() for k, v in floors.items()},
        "rows": rows,
        "features": features.describe(),
        "seconds": time.perf_counter() - t0,
    }


def print_table(result: dict[str, Any]) -> None:
    """The rows and the floor as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"representation ceilings: {result['clips']} {result['context']} clips of "
        f"{Path(result['data']).name} vs its {result['reference']['clips']} files "
        f"(seed {result['seed']})",
        title_justify="left",
    )
    table.add_column("representation")
    for name in ("C2ST", "Fréchet", "novelty", "diversity", "burst+hiss", "phase SC dB"):
        table.add_column(name, justify="right")
    for row, v in result["rows"].items():
        sc = "—" if v["phase_sc_db"] is None else f"{v['phase_sc_db']:.1f}"
        cells = [f"{v[k]:.3f}" if k != "frechet" else f"{v[k]:.2f}" for k in METRICS]
        table.add_row(row, *cells, f"{v['burst_hiss']:.3f}", sc)
    floor = result["floor"]
    table.add_row(
        "real vs real (floor)",
        *(f"{floor[k]['mean']:.3f} ± {floor[k]['std']:.3f}" for k in METRICS),
        f"{result['reference']['burst_hiss']:.3f}",
        "—",
        style="dim",
    )
    Console(width=160).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=DEFAULT_DATA, help="data folder")
    parser.add_argument("--limit", type=int, default=None, help="use this many clips (seeded)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--keep", type=Path, default=None, help="write the WAVs here and keep")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--floor-repeats", type=int, default=5, help="random half splits")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data folder {args.data} not found", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < MIN_CLIPS:
        print(f"error: --limit must be at least {MIN_CLIPS}", file=sys.stderr)
        return 2

    from mockingbot.cli._output import progress, stage_bars

    with tempfile.TemporaryDirectory(prefix="ceiling-") as tmp, progress() as bar:
        try:
            result = run_ceiling(
                args.data,
                workdir=args.keep if args.keep is not None else Path(tmp),
                limit=args.limit,
                seed=args.seed,
                floor_repeats=args.floor_repeats,
                on_progress=stage_bars(bar),
            )
        except FileExistsError as exc:
            print(f"error: --keep: {exc}", file=sys.stderr)
            return 2
    print_table(result)
    print(f"voiced frames (pyin): {result['voiced_fraction']:.1%}; {result['seconds']:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
