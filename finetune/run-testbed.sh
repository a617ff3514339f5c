#!/usr/bin/env bash
# The testbed experiment end to end (docs/reports/finetune-testbed.md), from the repository root.
# CPU only; about 1 h on a 2-core machine shared with other work (most of it generation and comparison).
# STAGE=data starts from the committed answers (finetune/data/testbed-answers.jsonl.gz) instead of
# regenerating them; STAGE=all regenerates them from the committed prompts.
set -euo pipefail
STAGE="${STAGE:-data}"
OUT="${OUT:-finetune/runs/exp}"
PY=finetune/.venv/bin/python
SG=(npx tsx src/cli.ts)
mkdir -p "$OUT"
bash finetune/setup.sh

# v3 (the shipped adapter): v2's recipe (list answers + the model's own code answers) with every answer
# generated through the slopguard gateway, i.e. exactly what the served model returns. v1 trained on list
# answers only and broke code answers (docs/reports/finetune-testbed.md).
answers=finetune/data/testbed-gateway-answers.jsonl.gz
code=finetune/data/testbed-gateway-code-answers.jsonl.gz
if [[ "$STAGE" == all ]]; then
  PORT="${PORT:-18555}"
  "${SG[@]}" serve --port "$PORT" > "$OUT/gateway.log" 2>&1 &
  gw=$!
  trap 'kill $gw 2>/dev/null' EXIT
  until curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null; do sleep 1; done
  zcat finetune/data/testbed-answers.jsonl.gz | python3 -c 'import sys,json
for l in sys.stdin:
    d=json.loads(l); d.pop("answer",None); d.pop("run",None); print(json.dumps(d))' > "$OUT/list-prompts.jsonl"
  zcat finetune/data/testbed-code-answers.jsonl.gz | python3 -c 'import sys,json
for l in sys.stdin:
    d=json.loads(l); d.pop("answer",None); d.pop("run",None); print(json.dumps(d))' > "$OUT/code-prompts.jsonl"
  for kind in list code; do
    tokens=$([[ $kind == list ]] && echo 128 || echo 256)
    pids=()
    for s in 0 1; do  # two shards keep both of the gateway's sequences busy
      "${SG[@]}" finetune generate --prompts "$OUT/$kind-prompts.jsonl" --base-url "http://127.0.0.1:$PORT/v1" \
        --out "$OUT/$kind-answers.$s.jsonl" --run "testbed-base-greedy-gateway-$kind" --max-tokens "$tokens" --shard "$s/2" &
      pids+=($!)
    done
    wait "${pids[@]}"
    cat "$OUT/$kind-answers.0.jsonl" "$OUT/$kind-answers.1.jsonl" > "$OUT/$kind-answers.jsonl"
  done
  kill $gw
  answers="$OUT/list-answers.jsonl" code="$OUT/code-answers.jsonl"
fi

# keep answers whose packages all exist (+ repaired lists), hold out eval prompts, mix package-free code
"${SG[@]}" finetune data --source "$answers" "$code" --out "$OUT/data" --repair
nice -n 10 $PY finetune/train.py --config finetune/configs/testbed.yaml --data "$OUT/data/train.jsonl" --out "$OUT/train"
$PY finetune/export_gguf_lora.py --adapter "$OUT/train/adapter" --base models/testbed/hf \
  --out "$OUT/testbed-finetuned-v3.gguf" --name slopguard-testbed-finetuned-v3

# base vs adapter on the same held-out prompts: batched HF (all sets + HumanEval), then the served GGUF
nice -n 10 "${SG[@]}" finetune compare --engine hf --adapter-hf "$OUT/train/adapter" --out "$OUT/cmp-hf"
nice -n 10 "${SG[@]}" finetune compare --engine gguf --adapter "$OUT/testbed-finetuned-v3.gguf" \
  --sets heldout_pypi --limit 100 --no-humaneval --out "$OUT/cmp-gguf"
# code answers intact? install-line and degenerate share (the rate alone cannot show a broken adapter)
python3 finetune/code_health.py --set paper_python_code_150 base="$OUT/cmp-hf/base.json" adapter="$OUT/cmp-hf/adapter.json"
