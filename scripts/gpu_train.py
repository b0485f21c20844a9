"""Train the default recipe on a GPU machine that has JAX but no TensorFlow.

Two steps, because the GPU machine sees only the repository (not the data set):

    # here: the training clips as arrays, in the state's own spec and data context
    python scripts/gpu_train.py prepare ../shared/datasets/catmeows \\
        --state src/mockingbot/runtime/models/default-state.npz --out .gpu/features.npy

    # there (KERAS_BACKEND is set by this script). A JAX image without Keras needs three
    # wheels beside the repository, fetched here for its Python (3.12 on the H200 image):
    #   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \\
    #     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \\
    #     -d .whl keras==3.15.1 namex optree
    #   (there) pip install --no-index --no-deps --target /tmp/site .whl/*.whl
    #           export PYTHONPATH=/tmp/site
    python scripts/gpu_train.py train --state src/mockingbot/runtime/models/default-state.npz \\
        --features .gpu/features.npy --out "$OUT/state.npz" --seconds 420

This session's two runs on one H200 (jax 0.11.2): 78 steps/s after a ~30-s compile,
49 159 steps in 690 s of training.

The result is a training state file: copy it over
``src/mockingbot/runtime/models/default-state.npz`` and continue on any machine with
``scripts/train-default-model.sh`` (``mbot train --init-from``). The state is rewritten every
minute, so a machine taken back mid-run still returns a whole one. The model card says how
this was used and what it gave.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _importable() -> None:
    """Make ``mockingbot`` importable from a bare checkout (no pip install on the GPU image)."""
    sys.path.insert(0, str(ROOT / "src"))


def prepare(args: argparse.Namespace) -> None:
    """Write the data set's training arrays (float16) in the state's spec and context."""
    import numpy as np

    from mockingbot.trainer.config import TrainConfig
    from mockingbot.trainer.data import load_features
    from mockingbot.trainer.state import read_state

    _, info = read_state(args.state)
    cfg = TrainConfig.from_dict(info["config"])
    feats = load_features(args.data_dir, spec=cfg.spec, context=cfg.data.context)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, feats.features.astype(np.float16))
    print(f"{len(feats)} clips {feats.features.shape[1:]} → {args.out}")


def parse_sets(items: list[str]) -> dict:
    """``["train.stats_match=100", "train.g_lr=1e-4"]`` → nested overrides (values as TOML).

    >>> parse_sets(["train.stats_match=100", "train.g_lr=1e-4"])
    {'train': {'stats_match': 100, 'g_lr': 0.0001}}
    """
    import tomllib

    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or not section or not name:
            raise SystemExit(f"--set wants SECTION.KEY=VALUE, got {item!r}")
        out.setdefault(section, {})[name] = tomllib.loads(f"v = {value.strip()}")["v"]
    return out


def train(args: argparse.Namespace) -> None:
    """Run :func:`mockingbot.trainer.jax_loop.train_state` and print its summary."""
    import numpy as np

    from mockingbot.trainer.jax_loop import train_state

    t0 = time.perf_counter()
    features = np.load(args.features)
    import jax

    print(f"jax {jax.__version__} on {jax.devices()}", flush=True)
    result = train_state(
        args.state,
        features,
        args.out,
        seconds=args.seconds,
        max_steps=args.max_steps,
        device=args.device,
        seed=args.seed,
        overrides=parse_sets(args.set),
        log=lambda m: print(m, flush=True),
    )
    print(
        f"done: {result['steps']} steps in {result['seconds']:.0f} s "
        f"({result['steps_per_second']:.1f} step/s at the end), state at step "
        f"{result['total_steps']} → {args.out}  [{time.perf_counter() - t0:.0f} s in all]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="write the training arrays for the GPU machine")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("train", help="train on the GPU machine (Keras on JAX)")
    t.add_argument("--state", type=Path, required=True)
    t.add_argument("--features", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--seconds", type=float, default=420.0)
    t.add_argument("--max-steps", type=int, default=None)
    t.add_argument("--device", default="gpu")
    t.add_argument("--seed", type=int, default=0, help="this sitting's random stream")
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="change the recipe from here on (e.g. train.stats_match=100); repeatable",
    )
    args = parser.parse_args()
    if args.command == "train":
        os.environ["KERAS_BACKEND"] = "jax"  # before keras is imported anywhere
    _importable()
    (prepare if args.command == "prepare" else train)(args)


if __name__ == "__main__":
    main()
