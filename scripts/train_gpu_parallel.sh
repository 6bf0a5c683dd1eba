#!/usr/bin/env bash
# Three fine-tunes of the default model side by side on one GPU (a 10 M-parameter model leaves a
# GPU mostly idle, so parallel runs cost little each), then the final EMA weights of each, exported
# and packed into $OUT as 15 MB parts (cat them and untar).
#   usage: OUT=dir scripts/train_gpu_parallel.sh MINUTES [extra train args, e.g. --batch-size 4]
# Needs prep/dwm.train.npz and prep/dwm.val.npz (docs/MODEL_CARD.md, "Training").
set -u
export PYTHONPATH=src PYTHONUNBUFFERED=1
minutes=${1:-7}; shift || true
out=${OUT:-out/gpu_parallel}
work=$(mktemp -d)
mkdir -p "$out" "$work/pack"
nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
python3 - "$work/noaug.json" <<'PY'
import json, sys
cfg = json.load(open("configs/beat_style_gpu.json"))
cfg["train"]["tempo_augment"] = []
json.dump(cfg, open(sys.argv[1], "w"), indent=1)
PY
limit=$(python3 -c "print(int($minutes * 60 + 150))")
run() {
  local name=$1; shift
  timeout "$limit" python3 -m dancegen train --prepared prep/dwm.train.npz --out "$work/$name" \
    --time-budget "$minutes" --quiet "$@" >"$work/$name.log" 2>&1
  echo "$name: exit $?"
}
start=$(date +%s)
run realism --config configs/realism.json --init-from default "$@" &
run beat_style --config configs/beat_style_gpu.json --init-from default "$@" &
run beat_style_noaug --config "$work/noaug.json" --init-from default "$@" &
sleep 90; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv 2>/dev/null
wait
echo "wall: $(( $(date +%s) - start )) s"
for name in realism beat_style beat_style_noaug; do
  echo "== $name"; grep -h "time budget\|trained to\|Error\|error" "$work/$name.log" | tail -5
  mkdir -p "$work/pack/$name"
  cp "$work/$name.log" "$work/$name/log.csv" "$work/pack/$name/" 2>/dev/null
  [ -d "$work/$name/checkpoint" ] && python3 -m dancegen export "$work/$name/checkpoint" "$work/pack/$name/final"
done
tar -C "$work/pack" -cf "$work/pack.tar" .
split -b 15M "$work/pack.tar" "$out/pack.tar.part."
ls -la "$out"
