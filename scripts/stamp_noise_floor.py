"""Give an ONNX model exported before noise floors existed its training data's noise floor.

    python scripts/stamp_noise_floor.py MODEL.onnx DATA_DIR [-o OUT.onnx]

Models exported since carry the floor ``mbot train`` measured (``mbot.dataset.noise_floor``,
:mod:`mockingbot.noisefloor`). An older model can get it afterwards: the floor is measured
from DATA_DIR exactly as training measures it (every usable recording, decoded at the
model's rate, on its STFT grid) and written into the metadata. The graph and weights are
untouched, so the content hash still matches. Used once, for the built-in model
(``src/mockingbot/runtime/models/default.onnx``, from CatMeows). Writes atomically; without
``-o`` the model is replaced in place.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import onnx
from onnx import helper

from mockingbot.dataset import load_dataset
from mockingbot.fileio import atomic_path
from mockingbot.model_meta import ModelMeta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("data", type=Path)
    ap.add_argument("-o", "--out", type=Path, default=None)
    args = ap.parse_args(argv)
    proto = onnx.load(str(args.model))
    props = {p.key: p.value for p in proto.metadata_props}
    meta = ModelMeta.from_props(props, source=str(args.model))
    floor = load_dataset(args.data, spec=meta.spec, context=meta.data_context).noise_floor
    if floor is None:
        print(f"error: no recording in {args.data} has a measurable noise floor", file=sys.stderr)
        return 2
    dataset = {**meta.dataset, "noise_floor": floor.to_dict()}
    new = ModelMeta(**{**meta.__dict__, "dataset": dataset})
    merged = {**props, **new.to_props()}
    del proto.metadata_props[:]
    helper.set_model_props(proto, merged)
    out = args.out or args.model
    with atomic_path(out) as tmp:
        Path(tmp).write_bytes(proto.SerializeToString())
    print(f"{out}: noise floor {floor.median_db:.1f} dB below the loudest frame (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
