"""What gives a model away: ``mbot evaluate``'s classifier on one feature group at a time.

Usage:
    python benchmarks/feature_groups.py PACK [PACK ...] --reference ~/catmeows
    python benchmarks/feature_groups.py --psi 0.5 0.7 1 1.25 --reference ~/catmeows

C2ST on all 125 features says *how* easily generated sounds are told from real ones; this
says *by what*. For each pack it scores :func:`mockingbot.evaluation.metrics.c2st_accuracy`
on each group of :data:`mockingbot.evaluation.features.FEATURE_NAMES` alone (band means,
band spreads, frame-to-frame roughness, duration, flatness, periodicity) and lists the
features whose generated mean sits furthest from the reference's, in reference standard
deviations, with the medians of the scalar ones.

``--psi`` renders packs itself first (``--count`` sounds, sizes 1:1, pack seed ``--seed``,
the model of ``--model`` or the shipped one) with every latent scaled by ψ: the "truncation
trick", which trades variety for typical samples. ψ = 1 is exactly ``mbot render-pack``.
Each such pack is also scored with the full ``mbot evaluate`` metrics. The scaling wraps
:func:`mockingbot.runtime.latents.sound_latents` inside this process only; the runtime has
no such option, because it did not help (docs/model-card.md, *Continued on the CPU*).

About 1 minute per pack of 500 on 2 cores, plus 1 minute for the reference's features.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from mockingbot.evaluation import features as F
from mockingbot.evaluation.inputs import generated_files, reference_files
from mockingbot.evaluation.metrics import c2st_accuracy

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "catmeows"
SCALARS = ("log_duration", "flatness_mean", "flatness_std", "harmonicity_mean", "harmonicity_std")


def groups() -> dict[str, list[int]]:
    """Feature group → column indices of the evaluation vector."""
    names = list(F.FEATURE_NAMES)
    out = {
        prefix: [i for i, n in enumerate(names) if n.startswith(prefix + "_")]
        for prefix in ("mel_mean", "mel_std", "mel_dstd")
    }
    out.update({n: [names.index(n)] for n in SCALARS})
    return out


def report(name: str, X_ref: np.ndarray, X_gen: np.ndarray, *, top: int = 8) -> None:
    """Print the per-group C2ST and the largest mean shifts of one generated set."""
    names = list(F.FEATURE_NAMES)
    scores = {g: c2st_accuracy(X_ref[:, idx], X_gen[:, idx]) for g, idx in groups().items()}
    print(f"\n{name}: {len(X_gen)} generated vs {len(X_ref)} reference clips")
    print(f"  C2ST, all features: {c2st_accuracy(X_ref, X_gen):.3f}")
    for g, score in scores.items():
        print(f"  C2ST, {g:<17}: {score:.3f}")
    sd = X_ref.std(axis=0)
    shift = (X_gen.mean(axis=0) - X_ref.mean(axis=0)) / np.where(sd < 1e-9, 1.0, sd)
    order = np.argsort(-np.abs(shift))[:top]
    print("  largest mean shifts (reference std): " + ", ".join(
        f"{names[i]} {shift[i]:+.2f}" for i in order
    ))  # fmt: skip
    for n in SCALARS:
        i = names.index(n)
        ref_med, gen_med = np.median(X_ref[:, i]), np.median(X_gen[:, i])
        if n == "log_duration":
            ref_s, gen_s = np.exp(ref_med), np.exp(gen_med)
            print(f"  median duration: reference {ref_s:.2f} s, generated {gen_s:.2f} s")
        else:
            print(f"  median {n}: reference {ref_med:.3f}, generated {gen_med:.3f}")


def render_scaled(psi: float, out: Path, *, model: Path | None, count: int, seed: int) -> Path:
    """``mbot render-pack --count COUNT --size-range 1:1 --seed SEED`` with latents × ψ."""
    import mockingbot.runtime.latents as lat
    from mockingbot.defaults import DEFAULT_OUTPUT_RATE_HZ
    from mockingbot.runtime.model import GeneratorModel
    from mockingbot.runtime.pack import render_pack
    from mockingbot.runtime.pack_settings import PackSettings

    original = lat.sound_latents

    def scaled(*args, **kwargs):
        return original(*args, **kwargs) * np.float32(psi)

    lat.sound_latents = scaled
    try:
        settings = PackSettings(
            count=count, seed=seed, size_range=(1.0, 1.0), output_rate=DEFAULT_OUTPUT_RATE_HZ
        )
        render_pack(GeneratorModel.load(model), out, settings)
    finally:
        lat.sound_latents = original
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("packs", nargs="*", type=Path, help="pack folders (or folders of audio)")
    ap.add_argument("--reference", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--psi", type=float, nargs="*", default=[], help="render packs, latents × ψ")
    ap.add_argument("--model", type=Path, default=None, help="ONNX model for --psi")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not args.packs and not args.psi:
        ap.error("give pack folders, or --psi values to render")

    X_ref, _, _ = F.features_for_files(reference_files(args.reference))
    for pack in args.packs:
        X_gen, _, _ = F.features_for_files(generated_files(pack))
        report(str(pack), X_ref, X_gen)
    with tempfile.TemporaryDirectory(prefix="mbot-psi-") as tmp:
        for psi in args.psi:
            from mockingbot.evaluation.report import evaluate

            pack = render_scaled(
                psi, Path(tmp) / f"psi-{psi:g}", model=args.model, count=args.count, seed=args.seed
            )
            result = evaluate(pack, args.reference, seed=0)
            metrics = ", ".join(f"{k} {v:.3f}" for k, v in result.metrics.items())
            print(f"\nψ = {psi:g}: {metrics}")
            report(f"ψ = {psi:g}", X_ref, result.X_generated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
