"""Render speed and phase quality: MockingBot's runtime vs the obvious pipelines.

Run (needs the ``[train,dev]`` extras: TensorFlow for the baselines, librosa for Griffin-Lim)::

    python benchmarks/render_bench.py --run RUN_DIR --model MODEL.onnx [--count 200]

The same ``count`` latents go through three pipelines, each in its own process (so peak memory
is its own), timed from "latents in hand" to "waveforms in memory" (imports and model loading
are reported separately):

(a) this runtime: onnxruntime generator, batched, then ``runtime.phase.reconstruct`` with the
    model's recommended method (phase-gradient start + batched fast Griffin-Lim);
(b) the obvious pipeline: the same generator in TensorFlow (batched), then
    ``librosa.griffinlim(n_iter=32)`` clip by clip;
(c) the 2022 approach: the same generator in TensorFlow, then a zero-phase inverse STFT.

For each it prints sounds/s, the median spectral convergence of the audio against the
generated magnitudes (dB, lower is better), peak RSS, and throughput ratios against (b) and (c).

``--pack-count N`` additionally times the whole ``mbot render-pack --count N`` command (a fresh
process, files and all) with the same model, and reports its peak RSS. With ``--against
OLD.onnx`` it times the same command with that model too, alternating the two ``--repeat``
times, and prints the ratio (the new default against the old one:
``--model src/mockingbot/runtime/models/default.onnx --against old.onnx
--pack-count 500``). ``--run`` may be left out to time only the packs.

``--rungs`` times ``mbot render-pack --count N`` (``--pack-count``, default 20) at every rung
of the sample-rate ladder (:data:`mockingbot.spec.LADDER`) in one run: for each rung the
default preset's generator, built at that rung's spec (its sizes are the spec's) with random
weights, is exported to ONNX and rendered; render time does not depend on what the weights
learnt. Prints seconds per sound and the ratio to 8 kHz::

    python benchmarks/render_bench.py --rungs --pack-count 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

_COMMON = r"""
import json, os, resource, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
from mockingbot.runtime.phase import reconstruction_error
t_import = time.perf_counter()


def timed(generate, to_audio):
    # The same loop for every pipeline: latents -> normalised spectrogram -> full magnitude
    # -> audio. Only the generator and the magnitude-to-audio step differ. Spectral
    # convergence is measured after the clock stops.
    pairs = []
    t0 = time.perf_counter()
    for i in range(0, count, batch):
        S = spec.full_magnitude(spec.magnitude(generate(z[i : i + batch])))
        pairs.append((S, to_audio(S)))
    seconds = time.perf_counter() - t0
    return seconds, [reconstruction_error(S, y, spec=spec) for S, y in pairs]
"""

_RUNTIME = (
    _COMMON
    + r"""
from mockingbot.runtime.model import GeneratorModel
from mockingbot.runtime.phase import reconstruct
model_path, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = GeneratorModel.load(model_path)
spec, meta = model.spec, model.meta
z = np.random.default_rng(0).standard_normal((count, model.latent_dim)).astype(np.float32)
t_ready = time.perf_counter()
seeds = iter(range(10**9))  # a full-resolution model's texture noise, drawn as packs draw it


def runtime_generate(zb):
    return model.generate(zb, model.noise_for([next(seeds) for _ in range(len(zb))]))


dt, sc = timed(runtime_generate, lambda S: reconstruct(S, spec=spec, method=meta.phase))
"""
)

_TF_HEAD = (
    _COMMON
    + r"""
import tensorflow as tf
from mockingbot.trainer.load import load_generator
run_dir, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
G, cfg, _, _ = load_generator(run_dir)
spec = cfg.spec
z = np.random.default_rng(0).standard_normal((count, cfg.model.latent_dim)).astype(np.float32)
if len(G.inputs) > 1:  # a full-resolution generator: texture draws as its second input
    dims = tuple(int(d) for d in G.inputs[1].shape[1:])
    gen2 = tf.function(lambda x, n: G([x, n], training=False))
    draw = lambda x: np.random.default_rng(len(x)).standard_normal((len(x), *dims), np.float32)
    generate = lambda x: gen2(tf.constant(x), tf.constant(draw(x))).numpy()
else:
    gen = tf.function(lambda x: G(x, training=False))
    generate = lambda x: gen(tf.constant(x)).numpy()
generate(z[:1])
t_ready = time.perf_counter()
"""
)

_LIBROSA = (
    _TF_HEAD
    + r"""
import librosa


def griffinlim_each(S):
    return np.stack([
        librosa.griffinlim(
            s.T, n_iter=32, hop_length=spec.hop_length, win_length=spec.win_length,
            n_fft=spec.n_fft, window=spec.window, center=spec.center, length=spec.clip_samples,
        )
        for s in S
    ])


dt, sc = timed(generate, griffinlim_each)
"""
)

_ZERO = (
    _TF_HEAD
    + r"""
dt, sc = timed(generate, lambda S: spec.istft(S.astype(np.complex64)))
"""
)

_TAIL = r"""
print(json.dumps({
    "seconds": dt,
    "sounds_per_s": count / dt,
    "setup_seconds": t_ready - t_import,
    "sc_median_db": float(np.median(np.concatenate(sc))),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code + _TAIL, *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _pack(model: str, count: int) -> dict:
    """Time a whole ``mbot render-pack`` process; a fresh wrapper process reads its peak RSS
    (RUSAGE_CHILDREN of this process would include the TensorFlow baselines)."""
    out = tempfile.mkdtemp(prefix="mbot-bench-")
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
        "dt = time.perf_counter() - t0\n"
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    cmd = [sys.executable, "-m", "mockingbot.cli.main", "render-pack", "--model", model]
    cmd += ["--count", str(count), "--out", f"{out}/p"]
    line = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True
    ).stdout.split()
    return {"seconds": float(line[0]), "peak_rss_mb": float(line[1])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", help="run folder or state file (TensorFlow generator)")
    ap.add_argument("--model", help="the same generator exported to ONNX")
    ap.add_argument("--rungs", action="store_true", help="render-pack time at every rung")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--pack-count", type=int, nargs="*", default=[], help="also time render-pack")
    ap.add_argument("--against", help="another model to time render-pack with, for a ratio")
    ap.add_argument("--repeat", type=int, default=2, help="render-pack timings per model")
    args = ap.parse_args()
    if args.rungs:
        _rungs(args.pack_count[0] if args.pack_count else 20, args.repeat)
        return
    if args.model is None:
        ap.error("--model is required (or --rungs)")
    from mockingbot.runtime.onnx_info import model_info

    meta = model_info(args.model)["mockingbot"] or {}
    if meta.get("output") == "waveform":
        ap.error(
            f"{args.model} is a waveform model: it emits audio itself, so there is no phase "
            f"retrieval to compare; time it with: mbot render-pack --count N --model {args.model}"
        )
    n, b = str(args.count), str(args.batch)
    if args.run is None:
        _packs(args)
        return
    rows = {
        "(a) runtime: onnxruntime + PGHI/fast GL": _child(_RUNTIME, args.model, n, b),
        "(b) TF + librosa griffinlim(32), per clip": _child(_LIBROSA, args.run, n, b),
        "(c) TF + zero phase (2022)": _child(_ZERO, args.run, n, b),
    }
    print(f"{args.count} sounds, batch {args.batch}, {os.cpu_count()} CPU cores")
    print(f"{'pipeline':<44} {'sounds/s':>9} {'ms/sound':>9} {'SC dB':>7} {'peak RSS MB':>12}")
    for name, r in rows.items():
        print(
            f"{name:<44} {r['sounds_per_s']:>9.1f} {1000 / r['sounds_per_s']:>9.2f} "
            f"{r['sc_median_db']:>7.1f} {r['peak_rss_mb']:>12.0f}"
        )
    a, bb, c = rows.values()
    print(
        f"throughput (a)/(b) = {a['sounds_per_s'] / bb['sounds_per_s']:.1f}x, "
        f"(a)/(c) = {a['sounds_per_s'] / c['sounds_per_s']:.2f}x; "
        f"SC (a) {a['sc_median_db']:.1f} dB vs (b) {bb['sc_median_db']:.1f} dB "
        f"vs (c) {c['sc_median_db']:.1f} dB"
    )
    _packs(args)


def _packs(args: argparse.Namespace) -> None:
    """Time ``render-pack`` for ``--model`` (and ``--against``), alternating, best of each."""
    models = [args.model] + ([args.against] if args.against else [])
    for count in args.pack_count:
        best: dict[str, dict] = {}
        for _ in range(max(1, args.repeat)):
            for m in models:
                r = _pack(m, count)
                if m not in best or r["seconds"] < best[m]["seconds"]:
                    best[m] = r
        for m, r in best.items():
            print(
                f"mbot render-pack --count {count} --model {m}: {r['seconds']:.1f} s wall "
                f"(best of {args.repeat}, whole process), peak RSS {r['peak_rss_mb']:.0f} MB"
            )
        if args.against:
            new, old = best[args.model]["seconds"], best[args.against]["seconds"]
            print(
                f"render-pack {count}: {args.model} takes {new / old:.2f}x the time of "
                f"{args.against}"
            )


def _rung_model(rate: int, name: str, folder: str) -> str:
    """The default preset's generator at ladder rung ``rate``, random weights, exported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from pathlib import Path

    from mockingbot.export.onnx_export import export_onnx
    from mockingbot.trainer.config import resolve_config
    from mockingbot.trainer.models import build_generator
    from mockingbot.trainer.state import state_arrays, write_state

    cfg = resolve_config(overrides={"spec": {"preset": name}})
    G = build_generator(cfg)
    info = {
        "config": cfg.to_dict(),
        "dataset": {"name": "random weights", "license": "none", "attribution": ""},
        "steps": 0,
    }
    state = write_state(
        Path(folder) / f"{name}.npz", state_arrays({"generator": G, "ema": G}), info
    )
    out = Path(folder) / f"rung-{rate}.onnx"
    export_onnx(state, out, name=f"rung-{rate}", force=True)
    return str(out)


def _rungs(count: int, repeat: int) -> None:
    """render-pack time per ladder rung (each rung's own process, best of ``repeat``)."""
    from mockingbot.spec import LADDER

    folder = tempfile.mkdtemp(prefix="mbot-rungs-")
    rows = []
    for rate, name in LADDER:
        model = _rung_model(rate, name, folder)
        best = min(_pack(model, count)["seconds"] for _ in range(max(1, repeat)))
        rows.append((rate, best))
        print(f"rung {rate}: {best:.1f} s", flush=True)
    print(f"mbot render-pack --count {count}, best of {repeat}, {os.cpu_count()} CPU cores")
    print(f"{'rate Hz':>7} {'s total':>8} {'s/sound':>8} {'vs 8 kHz':>9}")
    for rate, seconds in rows:
        print(f"{rate:>7} {seconds:>8.1f} {seconds / count:>8.3f} {seconds / rows[0][1]:>8.2f}x")


if __name__ == "__main__":
    main()
