#!/usr/bin/env bash
# Several recipes from the committed default state, side by side on one borrowed GPU.
#
# Why: one H200 sitting is ~40 000 steps of the default recipe, and one process leaves most
# of the card idle (the step is small). Running a few recipe variants at once costs the same
# device minutes as one, and their states come back for `mbot export onnx` + `mbot evaluate`
# here, so the choice of recipe is measured, not guessed.
#
#   bash scripts/gpu_sweep.sh SECONDS NAME[:SECTION.KEY=VALUE,...] ...
#   e.g. bash scripts/gpu_sweep.sh 500 control fm100:train.stats_match=100
#
# Needs .gpu/features.npy (scripts/gpu_train.py prepare) and, on an image without Keras,
# the wheels in .whl/ (see scripts/gpu_train.py). Writes $OUT/NAME.npz and $OUT/NAME.log.
# DEVICE names the card in each state's history (e.g. DEVICE="gpu (H200)").
#
# Session 6, one H200: three processes got 23.3-23.8 steps/s each (70 in all, one alone 78):
# the card was already busy, so this buys a controlled comparison, not extra steps.
set -u
seconds=$1; shift
out=${OUT:-out}; mkdir -p "$out"
if ! KERAS_BACKEND=jax python3 -c "import keras" 2>/dev/null; then
  pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
# Each process gets a share of the card's memory instead of JAX's default 75 %.
export XLA_PYTHON_CLIENT_MEM_FRACTION=$(python3 -c "print(round(0.9 / $#, 2))")
seed=0
for job in "$@"; do
  name=${job%%:*}; sets=()
  if [[ $job == *:* ]]; then IFS=, read -ra kv <<<"${job#*:}"; for s in "${kv[@]}"; do sets+=(--set "$s"); done; fi
  python3 scripts/gpu_train.py train --state src/mockingbot/runtime/models/default-state.npz \
    --features .gpu/features.npy --out "$out/$name.npz" --seconds "$seconds" --seed "$seed" \
    --device "${DEVICE:-gpu}, one of $# runs sharing it" \
    "${sets[@]}" >"$out/$name.log" 2>&1 &
  seed=$((seed + 1))
done
sleep 90; nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
wait
tail -n 2 "$out"/*.log
