#!/usr/bin/env bash
# Reproduce the default model shipped in runtime/models/default.onnx, and the side-by-side with
# the 2022 recipe reported in docs/model-card.md.
#
#   bash scripts/train-default-model.sh [CATMEOWS_DIR] [WORK_DIR]
#
# Needs `pip install -e ".[train,dev]"`. On a 2-core CPU the default run takes about 1.5 hours
# of wall time; it can be stopped (Ctrl-C) and resumed at any point by running this again.
set -euo pipefail
data="${1:-../shared/datasets/catmeows}"
work="${2:-runs}"
attribution="CatMeows: A Publicly-Available Dataset of Cat Vocalizations — L. A. Ludovico, S. Ntalampiras, G. Presti, S. Cannas, M. Battini, S. Mattiello (MMM 2021), doi:10.5281/zenodo.4008297. Licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)."
meta=(--dataset-name CatMeows --license "CC BY 4.0" --attribution "$attribution")

train() {  # train RUN_DIR PRESET STEPS: start, or resume when the run exists
  if [ -f "$1/config.json" ]; then
    mbot train --resume "$1" --steps "$3"
  else
    mbot train "$data" --out "$1" --preset "$2" --steps "$3" "${meta[@]}"
  fi
}

# 1. The default recipe (trainer/presets/default.toml: batch 32, seed 0). The shipped model
#    stopped at 6 233 steps (80 CPU-minutes); that run was stopped once at step 3 788 and
#    resumed, and a resume reshuffles the data from that step on, so a straight run matches it
#    step for step only up to 3 788.
train "$work/default" default 6233
mbot export onnx "$work/default" -o "$work/catmeows.onnx" --name catmeows --force --parity-tolerance 5e-4

# 2. The 2022 recipe, for the side-by-side: 750 steps ≈ 41 CPU-minutes (see the model card).
train "$work/seed2022" seed-2022 750
mbot export onnx "$work/seed2022" -o "$work/seed2022.onnx" --name seed-2022 --force

# 3. 500 sounds from each, evaluated against the data.
for m in catmeows seed2022; do
  mbot render-pack --model "$work/$m.onnx" --count 500 --size-range 1:1 --out "$work/pack-$m" --force
  # The seed-2022 pack trims to 13-ms clicks and has no usable clip: evaluate says so (exit 2).
  mbot evaluate "$work/pack-$m" --reference "$data" --json > "$work/eval-$m.json" ||
    echo "no evaluation for $m (see the model card)"
done

# 4. Ship it.
cp "$work/catmeows.onnx" runtime/models/default.onnx
