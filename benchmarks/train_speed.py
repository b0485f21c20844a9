"""Training speed of the default preset vs the earlier defaults, measured in the same run.

Run: ``python benchmarks/train_speed.py [--steps 20] [--warmup 3] [--rungs]``.

``--rungs`` measures the default preset at every rung of the sample-rate ladder instead
(:data:`mockingbot.spec.LADDER`: 8 / 16 / 22.05 / 32 kHz), in one run, with each rung's
ratio to 8 kHz: what a wideband data set costs per step.

Each preset trains in its own subprocess (so peak memory is its own) on random features of
its spec's shape — speed does not depend on what the spectrograms contain. Prints steps/s,
examples/s, peak RSS, and the default preset's (full-resolution generator) ratios against
``harmonic`` (the default of sessions 1-4) and ``seed-2022`` (the 2022 prototype).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

_CHILD = r"""
import json, os, resource, sys, tempfile, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf
from mockingbot.trainer.config import resolve_config
from mockingbot.trainer.loop import GanTrainer

preset, steps, warmup, spec = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cfg = resolve_config(preset=preset, overrides={"spec": {"preset": spec}} if spec else None)
tf.keras.utils.set_random_seed(0)
feats = np.random.default_rng(0).uniform(-1, 1, (256, *cfg.spec.shape)).astype(np.float32)
trainer = GanTrainer(cfg, tempfile.mkdtemp(), strategy=tf.distribute.get_strategy())
batches = trainer.dataset(feats, start_step=0)
for _ in range(warmup):
    trainer.train_step(next(batches))
t0 = time.perf_counter()
for _ in range(steps):
    trainer.train_step(next(batches))
dt = time.perf_counter() - t0
print(json.dumps({
    "preset": preset,
    "sr": cfg.spec.sr,
    "shape": list(cfg.spec.shape),
    "batch_size": cfg.train.batch_size,
    "steps_per_s": steps / dt,
    "examples_per_s": steps * cfg.train.batch_size / dt,
    "generator_params": trainer.generator.count_params(),
    "discriminator_params": trainer.discriminator.count_params(),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _measure(preset: str, steps: int, warmup: int, spec: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, preset, str(steps), str(warmup), spec],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rungs", action="store_true", help="the default preset at every rung")
    args = ap.parse_args()
    if args.rungs:
        _rungs(args.steps, args.warmup)
        return
    rows = [_measure(p, args.steps, args.warmup) for p in ("default", "harmonic", "seed-2022")]
    print(
        f"{'preset':<10} {'batch':>5} {'steps/s':>8} {'examples/s':>11} {'G params':>11} "
        f"{'D params':>10} {'peak RSS MB':>12}"
    )
    for r in rows:
        print(
            f"{r['preset']:<10} {r['batch_size']:>5} {r['steps_per_s']:>8.2f} "
            f"{r['examples_per_s']:>11.1f} {r['generator_params']:>11,} "
            f"{r['discriminator_params']:>10,} {r['peak_rss_mb']:>12.0f}"
        )
    d = rows[0]
    for s in rows[1:]:
        print(
            f"default vs {s['preset']}: {d['steps_per_s'] / s['steps_per_s']:.2f}x steps/s, "
            f"{d['examples_per_s'] / s['examples_per_s']:.2f}x examples/s, "
            f"{d['peak_rss_mb'] / s['peak_rss_mb']:.2f}x peak memory"
        )


def _rungs(steps: int, warmup: int) -> None:
    from mockingbot.spec import LADDER

    rows = [_measure("default", steps, warmup, name) for _, name in LADDER]
    head = f"{'rate Hz':>7} {'frames x bins':>13} {'steps/s':>8} {'vs 8 kHz':>9}"
    print(f"{head} {'peak RSS MB':>12}")
    for r in rows:
        shape = f"{r['shape'][0]} x {r['shape'][1]}"
        print(
            f"{r['sr']:>7} {shape:>13} {r['steps_per_s']:>8.3f} "
            f"{r['steps_per_s'] / rows[0]['steps_per_s']:>8.2f}x {r['peak_rss_mb']:>12.0f}"
        )


if __name__ == "__main__":
    main()
