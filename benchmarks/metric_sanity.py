"""Sanity check of ``mbot evaluate``'s metrics on CatMeows: do they tell known cases apart?

Usage:
    python benchmarks/metric_sanity.py                       # CatMeows from ../shared
    python benchmarks/metric_sanity.py --data ~/catmeows --json results.json
    python benchmarks/metric_sanity.py --gl-iters 32 --floor-repeats 5 --seed 0

Each "generated" set below is scored against the whole reference exactly as
``mbot evaluate`` scores a pack (:mod:`mockingbot.evaluation.metrics`):

- ``real vs real``: the floor — random halves of the reference, stratified by cat,
  repeated ``--floor-repeats`` times (mean ± std). What a perfect generator scores.
- ``zero phase``: every clip's true STFT magnitudes (the model's spectrogram spec,
  ``PRESETS["default"]``) resynthesised with zero phase — a perfect magnitude model with
  no phase retrieval. Should be clearly detectable.
- ``Griffin-Lim``: the same magnitudes with ``--gl-iters`` iterations of
  ``librosa.griffinlim`` (librosa's defaults: momentum 0.99, random initial phase). Should
  be hard to tell apart (C2ST near or *below* 0.5: each clip's twin sits in the other
  class), but the novelty ratio must flag the set as copies of the training clips.
- ``FM synth``: simple two-operator FM "meows" with random pitch glides and lengths —
  plausible to a layman, obviously not cats. Should be trivially separable.
- ``training clips``: the clips the trainer learns from, exactly as
  :func:`mockingbot.dataset.load_dataset` cuts them for the default spec, in both data
  contexts: ``call`` (each call cut at its onset and offset, room tone dropped),
  ``recording`` (the file with only silence trimmed) and ``onset`` (each call from its
  onset, with the recording after it up to the next call). A generator that reproduced its
  training data perfectly would score this, not the floor: the gap between the two is what
  the data preparation costs on these metrics.

Needs librosa (a dev dependency) for Griffin-Lim. Takes about a minute on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from mockingbot.datascan import group_of, scan_audio_files
from mockingbot.dataset import load_dataset
from mockingbot.defaults import CONTEXTS
from mockingbot.evaluation import features, metrics
from mockingbot.evaluation.report import metric_values
from mockingbot.spec import PRESETS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "catmeows"
METRICS = ("c2st", "c2st_logistic", "c2st_forest", "frechet", "novelty", "diversity")

#: FM meow recipe: carrier f0 range (Hz), glide depth range, length range (s), index range.
FM_F0_HZ = (400.0, 900.0)
FM_GLIDE = (0.1, 0.4)
FM_SECONDS = (0.8, 2.5)
FM_INDEX = (0.5, 3.0)
FM_NOISE = 0.003


def fm_meow(rng: np.random.Generator, *, sr: int) -> np.ndarray:
    """One FM "meow": a sine carrier modulated at the same frequency, index ∝ envelope."""
    seconds = rng.uniform(*FM_SECONDS)
    t = np.arange(int(seconds * sr)) / sr
    u = t / seconds
    f0 = rng.uniform(*FM_F0_HZ) * (1.0 + rng.uniform(*FM_GLIDE) * np.sin(np.pi * u))
    env = np.sin(np.pi * u ** rng.uniform(0.6, 1.5)) ** 2
    phase = 2.0 * np.pi * np.cumsum(f0) / sr
    y = env * np.sin(phase + rng.uniform(*FM_INDEX) * env * np.sin(phase))
    return y + FM_NOISE * rng.standard_normal(t.size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CatMeows folder")
    parser.add_argument("--gl-iters", type=int, default=32, help="Griffin-Lim iterations")
    parser.add_argument("--floor-repeats", type=int, default=5, help="random half splits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)

    import librosa

    sr = features.ANALYSIS_SR
    spec = PRESETS["default"]
    if spec.sr != sr:
        raise SystemExit(f"default spec is {spec.sr} Hz; this check assumes {sr} Hz")
    t0 = time.perf_counter()
    paths = scan_audio_files(args.data)
    clips = [features.load_clip(p) for p in paths]
    groups = [group_of(p, args.data) for p in paths]
    X_real = np.stack([features.clip_features(y, sr) for y in clips])
    print(f"{len(clips)} clips, {len(set(groups))} groups from {args.data}", file=sys.stderr)

    floor = metrics.real_floor(X_real, groups, seed=args.seed, repeats=args.floor_repeats)
    rows: dict[str, dict] = {"real vs real (floor)": {k: floor[k].mean for k in METRICS}}
    spread = {k: floor[k].std for k in METRICS}

    zero, gl = [], []
    for i, y in enumerate(clips):
        S = np.abs(spec.stft(y.astype(np.float64)))  # [frames, bins]
        zero.append(spec.istft(S.astype(np.complex128), length=y.size))
        gl.append(
            librosa.griffinlim(
                S.T,
                n_iter=args.gl_iters,
                hop_length=spec.hop_length,
                win_length=spec.win_length,
                n_fft=spec.n_fft,
                window=spec.window,
                center=spec.center,
                length=y.size,
                random_state=args.seed + i,
            )
        )
    rng = np.random.default_rng(args.seed)
    fm = [fm_meow(rng, sr=sr) for _ in clips]
    training = [
        (
            f"training clips, context {context}",
            [c.y for c in load_dataset(args.data, spec=spec, context=context).clips],
        )
        for context in CONTEXTS
    ]
    for name, gen in (
        ("true |STFT| + zero phase", zero),
        (f"true |STFT| + Griffin-Lim {args.gl_iters}", gl),
        ("FM synth meows", fm),
        *training,
    ):
        X_gen = np.stack([features.clip_features(y, sr) for y in gen])
        rows[name] = metric_values(X_gen, X_real, groups, seed=args.seed)

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"metric sanity on {args.data.name} (seed {args.seed})")
    table.add_column("generated set")
    for k in METRICS:
        table.add_column(k, justify="right")
    for name, vals in rows.items():
        cells = [
            f"{vals[k]:.3f} ± {spread[k]:.3f}" if name.startswith("real") else f"{vals[k]:.3f}"
            for k in METRICS
        ]
        table.add_row(name, *cells)
    Console(width=150).print(table)
    elapsed = time.perf_counter() - t0
    print(f"{elapsed:.0f} s", file=sys.stderr)
    if args.json is not None:
        out = {
            "data": str(args.data),
            "clips": len(clips),
            "groups": len(set(groups)),
            "seed": args.seed,
            "floor_std": spread,
            "rows": rows,
            "features": features.describe(),
        }
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
