"""Where does a model's C2ST gap come from: its magnitudes, or phase retrieval?

Usage:
    python benchmarks/where_the_gap_is.py                    # shipped model, CatMeows
    python benchmarks/where_the_gap_is.py --model runs/meows.onnx --data ~/catmeows
    python benchmarks/where_the_gap_is.py --context recording --count 500 --json gap.json

``mbot evaluate`` judges finished audio, so a high C2ST could come from the generator's
magnitude spectrograms or from what phase retrieval does to them (generated magnitudes are
not consistent STFTs). This splits the two, in the representation the model itself uses:
clip-level statistics (:func:`mockingbot.trainer.clipstats.clip_statistics`: per mel-spaced
band the mean, the spread over time and the frame-to-frame roughness, plus the sounding
fraction) of

- the training clips (``--context``, cut exactly as the trainer cuts them),
- the same clips after phase retrieval and re-analysis (what phase retrieval alone costs),
- the model's own magnitudes, and the same after phase retrieval.

Each pair is scored with :func:`mockingbot.evaluation.metrics.c2st_accuracy` (0.5: no simple
classifier tells them apart). Also printed: the spectral texture of each set, the standard
deviation of the second difference across frequency inside the sounding frames (recorded
noise is rough from bin to bin; a smooth noise envelope is not).

Needs the ``train`` extra (TensorFlow) for the statistics. About 4 minutes on 2 busy CPU cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from mockingbot.dataset import CONTEXTS, load_dataset
from mockingbot.evaluation.metrics import c2st_accuracy
from mockingbot.runtime.model import GeneratorModel
from mockingbot.runtime.phase import reconstruct

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "catmeows"
BANDS = 32


def texture(X: np.ndarray, *, top_db: float) -> float:
    """Mean over clips of the std of the across-frequency second difference, over the frames
    within :data:`~mockingbot.trainer.clipstats.ACTIVE_RANGE_DB` of the loudest one."""
    from mockingbot.trainer.clipstats import ACTIVE_RANGE_DB

    d2 = X[:, :, 2:] - 2.0 * X[:, :, 1:-1] + X[:, :, :-2]
    level = X.max(axis=2)
    sounding = level > level.max(axis=1, keepdims=True) - 2.0 * ACTIVE_RANGE_DB / top_db
    return float(np.mean([d2[i][sounding[i]].std() for i in range(len(X))]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--context", choices=CONTEXTS, default="call")
    ap.add_argument("--count", type=int, default=500, help="generated clips")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data folder {args.data} not found; pass --data", file=sys.stderr)
        return 2

    import tensorflow as tf

    from mockingbot.trainer.clipstats import band_matrix, clip_statistics

    t0 = time.perf_counter()
    model = GeneratorModel.load(args.model)
    if model.is_waveform:
        print("error: a waveform model has no phase retrieval to separate", file=sys.stderr)
        return 2
    spec = model.spec
    clips = load_dataset(args.data, spec=spec, context=args.context).clips
    real = np.stack([spec.features(c.y) for c in clips])
    rng = np.random.default_rng(args.seed)
    z = rng.standard_normal((args.count, model.latent_dim)).astype(np.float32)
    gen = np.concatenate(
        [
            model.generate(z[i : i + 50], model.noise_for(range(i, i + len(z[i : i + 50]))))
            for i in range(0, args.count, 50)
        ]
    )

    def through_phase(X: np.ndarray) -> np.ndarray:
        audio = reconstruct(spec.full_magnitude(spec.magnitude(X)), spec=spec)
        return np.stack([spec.features(y) for y in audio])

    bands = tf.constant(band_matrix(spec, BANDS))

    def stats(X: np.ndarray) -> np.ndarray:
        return clip_statistics(tf.constant(X, tf.float32), bands, top_db=spec.top_db).numpy()

    sets = {
        "training clips": real,
        "training clips through phase retrieval": through_phase(real),
        "generated magnitudes": gen,
        "generated through phase retrieval": through_phase(gen),
    }
    S = {name: stats(X) for name, X in sets.items()}
    ref = S["training clips"]
    rows = {
        name: {
            "c2st": c2st_accuracy(ref, s, seed=args.seed),
            "texture": texture(sets[name], top_db=spec.top_db),
        }
        for name, s in S.items()
        if name != "training clips"
    }
    groups = {
        g: c2st_accuracy(ref[:, sl], S["generated magnitudes"][:, sl], seed=args.seed)
        for g, sl in (
            ("band means", slice(0, BANDS)),
            ("band spreads", slice(BANDS, 2 * BANDS)),
            ("band roughness", slice(2 * BANDS, 3 * BANDS)),
        )
    }
    print(f"model {model.path.name}, {len(real)} {args.context} clips vs {args.count} generated")
    texture_real = texture(real, top_db=spec.top_db)
    print(f"texture of the training clips: {texture_real:.3f}")
    print(f"{'against the training clips':<42} {'C2ST':>6} {'texture':>8}")
    for name, r in rows.items():
        print(f"{name:<42} {r['c2st']:>6.3f} {r['texture']:>8.3f}")
    print("generated magnitudes, one statistic group at a time: ", end="")
    print(", ".join(f"{g} {v:.3f}" for g, v in groups.items()))
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.json:
        out = {
            "model": str(model.path),
            "context": args.context,
            "texture_real": texture_real,
            "rows": rows,
            "groups": groups,
        }
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
