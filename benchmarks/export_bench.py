"""Export cost and the weight-storage variants, measured on a real run folder.

Run (needs the ``[train]`` extra)::

    python benchmarks/export_bench.py RUN_DIR [--count 500] [--batch 64] [--reps 5] [--json OUT]

For each weight storage the exporter offers (fp32, fp16) it runs ``export_onnx`` and
reports conversion time, parity (max abs vs TensorFlow, and whether it is within the
precision's default tolerance: the variants are exported with the check disabled so that
they can be measured at all) and file size. Three further variants are built from the fp32
export for comparison only — ``mbot export onnx`` does *not* offer them (docs/export.md
says why):

- ``int8-weights``: :func:`mockingbot.export.graph.store_weights` ``"int8"`` (symmetric
  per-output-channel int8 weights, ``DequantizeLinear`` in the graph, float32 compute);
- ``fp16-compute``: onnxruntime's float16 converter (``onnxruntime.transformers.float16``,
  the same code as onnxconverter-common), I/O kept float32 — the whole graph computes in
  half precision;
- ``dynamic-int8``: ``onnxruntime.quantization.quantize_dynamic`` (int8 weights and
  activations quantised on the fly, MatMulInteger/ConvInteger kernels).

Then it times ``count`` spectrograms at batch ``batch`` with onnxruntime (runtime session
settings: :class:`mockingbot.runtime.model.GeneratorModel`) for every variant and with
TensorFlow (the Keras generator in a ``tf.function``), the reps interleaved so that load
from other processes hits all alike; the median and the best rep are reported (on a shared
machine the best is the better estimate of the undisturbed speed). Spectral differences are vs
the fp32 ONNX model on the same latents (normalised units and dB of magnitude).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _unoffered_variants(fp32_path: Path, folder: Path) -> dict[str, Path]:
    """Variants measured for comparison only, built from the fp32 export."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.float16 import convert_float_to_float16

    from mockingbot.export import graph

    out = {}
    m8 = onnx.load(str(fp32_path))
    graph.store_weights(m8, "int8")
    out["int8-weights"] = folder / "int8-weights.onnx"
    onnx.save(m8, str(out["int8-weights"]))
    m16 = convert_float_to_float16(onnx.load(str(fp32_path)), keep_io_types=True)
    out["fp16-compute"] = folder / "fp16-compute.onnx"
    onnx.save(m16, str(out["fp16-compute"]))
    out["dynamic-int8"] = folder / "dynamic-int8.onnx"
    quantize_dynamic(str(fp32_path), str(out["dynamic-int8"]), weight_type=QuantType.QInt8)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    from mockingbot.trainer.rundir import read_run

    if read_run(args.run_dir)[0].model.output == "waveform":
        ap.error(
            f"{args.run_dir} is a waveform run: its only weight storage is fp32 and its parity "
            "is measured by mbot export onnx itself (docs/export.md, Waveform models)"
        )
    with tempfile.TemporaryDirectory(prefix="mbot-export-bench-") as tmp:
        return _bench(args, Path(tmp))


def _bench(args: argparse.Namespace, folder: Path) -> int:
    """Export, build, time and compare every variant inside ``folder`` (removed afterwards)."""
    import numpy as np
    import onnxruntime as ort
    import tensorflow as tf

    from mockingbot.export.onnx_export import PRECISIONS, export_onnx
    from mockingbot.export.parity import parity_latents, parity_limit, spectral_difference
    from mockingbot.runtime.model import GeneratorModel
    from mockingbot.trainer.load import load_generator

    ort.set_default_logger_severity(3)
    rows: dict[str, dict] = {}
    paths: dict[str, Path] = {}
    for precision in PRECISIONS:
        t = time.perf_counter()
        # measure every variant, even one its default tolerance would refuse
        res = export_onnx(
            args.run_dir, folder / f"{precision}.onnx", precision=precision, parity_tolerance=1e9
        )
        paths[precision] = res.path
        rows[precision] = {
            "offered": True,
            "export_seconds": round(time.perf_counter() - t, 2),
            "convert_seconds": round(res.convert_seconds, 2),
            "parity_max_abs_vs_tf": res.parity["max_abs"],
            "passes_default_tolerance": res.parity["max_abs"]
            <= parity_limit(precision, np.array([res.parity["output_peak"]])),
            "size_bytes": res.size_bytes,
        }
        print(f"exported {precision}: {res.size_bytes:,} bytes, parity {res.parity['max_abs']:.3g}")
    for name, p in _unoffered_variants(paths["fp32"], folder).items():
        paths[name] = p
        rows[name] = {"offered": False, "size_bytes": p.stat().st_size}

    keras_model, cfg, _, step = load_generator(args.run_dir)
    latent_dim = cfg.model.latent_dim
    z_all = parity_latents(latent_dim, distribution=cfg.model.latent_distribution, n=args.count)
    batches = [z_all[i : i + args.batch] for i in range(0, args.count, args.batch)]
    sig = [tf.TensorSpec((None, latent_dim), tf.float32)]
    tf_fn = tf.function(lambda z: keras_model(z, training=False), input_signature=sig)

    models = {name: GeneratorModel.load(p) for name, p in paths.items()}
    outputs = {name: np.concatenate([m.generate(b) for b in batches]) for name, m in models.items()}
    tf_out = np.concatenate([tf_fn(b).numpy() for b in batches])
    for name in models:
        rows[name]["vs_fp32"] = spectral_difference(outputs["fp32"], outputs[name], spec=cfg.spec)
        rows[name]["vs_tf"] = spectral_difference(tf_out, outputs[name], spec=cfg.spec)

    times: dict[str, list[float]] = {name: [] for name in [*models, "tensorflow"]}
    for _ in range(args.reps):
        for name, m in models.items():
            t = time.perf_counter()
            for b in batches:
                m.generate(b)
            times[name].append(time.perf_counter() - t)
        t = time.perf_counter()
        for b in batches:
            tf_fn(b).numpy()
        times["tensorflow"].append(time.perf_counter() - t)
    for name, ts in times.items():
        rows.setdefault(name, {"offered": False})["seconds_median"] = round(
            statistics.median(ts), 3
        )
        rows[name]["seconds_best"] = round(min(ts), 3)
        rows[name]["seconds_all"] = [round(x, 3) for x in ts]

    report = {
        "run_dir": str(args.run_dir),
        "step": step,
        "count": args.count,
        "batch": args.batch,
        "reps": args.reps,
        "ort_threads": models["fp32"].threads,
        "load_average": os.getloadavg(),
        "variants": rows,
    }
    print(f"\n{args.count} spectrograms at batch {args.batch}, {args.reps} reps (median, best)")
    print(
        f"{'variant':14} {'size MB':>8} {'median s':>8} {'best s':>7} {'max abs':>9} "
        f"{'mean abs':>9} {'max dB':>7} {'mean dB':>8}"
    )
    for name, r in rows.items():
        d = r.get("vs_fp32", {})
        print(
            f"{name:14} {r.get('size_bytes', 0) / 1e6:8.2f} {r['seconds_median']:8.3f} "
            f"{r['seconds_best']:7.3f} "
            f"{d.get('max_abs', float('nan')):9.2e} {d.get('mean_abs', float('nan')):9.2e} "
            f"{d.get('max_db', float('nan')):7.3f} {d.get('mean_db', float('nan')):8.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
