#!/usr/bin/env bash
# Continue training the default model from its committed training state, export it, measure it.
#
#   bash scripts/train-default-model.sh [CATMEOWS_DIR] [WORK_DIR] [STEPS]
#
# Sessions end and machines change, so the default model's training lives in the repository:
# src/mockingbot/runtime/models/default-state.npz holds its generator, EMA and discriminator (float16, ~6.5 MB)
# and its cumulative steps and cost. This script starts a run from that state on a fresh
# machine (or resumes the run it started earlier in WORK_DIR), refreshing the state file at
# every checkpoint, so `git commit src/mockingbot/runtime/models/default-state.npz` at any moment keeps the
# progress. Stop it with Ctrl-C (a checkpoint is written) and run it again to continue.
#
# With no state file it trains from scratch. On a machine with a GPU and JAX but no
# TensorFlow, scripts/gpu_train.py continues the same state there (see its docstring).
#
# Needs `pip install -e ".[train,dev]"`. A 2-core CPU gives about 0.7–0.9 steps/s.
set -euo pipefail
data="${1:-../shared/datasets/catmeows}"
work="${2:-runs}"
steps="${3:-3000}"
state="src/mockingbot/runtime/models/default-state.npz"
attribution="CatMeows: A Publicly-Available Dataset of Cat Vocalizations — L. A. Ludovico, S. Ntalampiras, G. Presti, S. Cannas, M. Battini, S. Mattiello (MMM 2021), doi:10.5281/zenodo.4008297. Licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)."
meta=(--dataset-name CatMeows --license "CC BY 4.0" --attribution "$attribution")
run="$work/default"

# 1. Train: resume this machine's run, or start one from the committed state (or from scratch).
if [ -f "$run/config.json" ]; then
  mbot train --resume "$run" --steps "$steps"
elif [ -f "$state" ]; then
  mbot train "$data" --out "$run" --init-from "$state" --save-state "$state" --steps "$steps" "${meta[@]}"
else
  mbot train "$data" --out "$run" --save-state "$state" --steps "$steps" "${meta[@]}"
fi

# 2. Export the state (the EMA generator at the cumulative step count) and measure it.
mbot export onnx "$state" -o "$work/catmeows.onnx" --name catmeows --force
mbot render-pack --model "$work/catmeows.onnx" --count 500 --size-range 1:1 --out "$work/pack-catmeows" --force
mbot evaluate "$work/pack-catmeows" --reference "$data" --json > "$work/eval-catmeows.json"
echo "measured: $work/eval-catmeows.json. Ship it (after comparing with the model card) with:"
echo "  cp $work/catmeows.onnx src/mockingbot/runtime/models/default.onnx"
