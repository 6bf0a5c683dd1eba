#!/usr/bin/env bash
# Several fine-tunes side by side on one GPU (a 10 M-parameter model leaves a GPU mostly idle, so
# parallel runs cost little each: three ran at 12.5-14.6 steps/s each on one H100), then the final
# EMA weights of each, exported and packed into $OUT as 15 MB parts (cat them and untar).
#   usage: OUT=dir scripts/train_gpu_parallel.sh PLAN MINUTES [extra train args, e.g. --batch-size 4]
# PLAN: one run per line, "name base-config json-patch [train args...]", e.g.
#   beat_style configs/beat_style_gpu.json {"model":{"dropout":0.2}} --init-from default
# Needs prep/dwm.train.npz and prep/dwm.val.npz (docs/MODEL_CARD.md, "Training").
set -u
export PYTHONPATH=src PYTHONUNBUFFERED=1
plan=$1; minutes=${2:-7}; shift 2 || true
out=${OUT:-out/gpu_parallel}
work=$(mktemp -d)
mkdir -p "$out" "$work/pack"
nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
limit=$(python3 -c "print(int($minutes * 60 + 150))")
names=()
start=$(date +%s)
while read -r name base patch args; do
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  names+=("$name")
  python3 -c "
import json, sys
cfg = json.load(open(sys.argv[1]))
for section, values in json.loads(sys.argv[2]).items():
    cfg[section].update(values)
json.dump(cfg, open(sys.argv[3], 'w'), indent=1)" "$base" "$patch" "$work/$name.json"
  # shellcheck disable=SC2086
  (timeout "$limit" python3 -m dancegen train --prepared prep/dwm.train.npz --out "$work/$name" \
    --config "$work/$name.json" --time-budget "$minutes" --quiet $args "$@" >"$work/$name.log" 2>&1
   echo "$name: exit $?") &
done <"$plan"
sleep 90; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv 2>/dev/null
wait
echo "wall: $(( $(date +%s) - start )) s"
for name in "${names[@]}"; do
  echo "== $name"; grep -h "time budget\|trained to\|Error\|error" "$work/$name.log" | tail -5
  mkdir -p "$work/pack/$name"
  cp "$work/$name.log" "$work/$name.json" "$work/$name/log.csv" "$work/pack/$name/" 2>/dev/null
  [ -d "$work/$name/checkpoint" ] && python3 -m dancegen export "$work/$name/checkpoint" "$work/pack/$name/final"
done
tar -C "$work/pack" -cf "$work/pack.tar" .
split -b 15M "$work/pack.tar" "$out/pack.tar.part."
ls -la "$out"
