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

# v2 (the shipped adapter): the list answers of v1 plus the model's own code answers to 600 synthetic
# PyPI code prompts; v1 trained on list answers only and broke code answers (docs/reports/finetune-testbed.md).
answers=finetune/data/testbed-answers.jsonl.gz
code=finetune/data/testbed-code-answers.jsonl.gz
if [[ "$STAGE" == all ]]; then
  zcat finetune/data/testbed-train-prompts.jsonl.gz > "$OUT/prompts-run.jsonl"
  nice -n 10 $PY finetune/generate_hf.py --base models/testbed/hf --prompts "$OUT/prompts-run.jsonl" \
    --out "$OUT/answers-base.jsonl" --run testbed-base-greedy-hf --batch 384 --threads 1 --max-tokens 128 --resume
  zcat finetune/data/testbed-code-prompts.jsonl.gz > "$OUT/code-prompts.jsonl"
  nice -n 10 $PY finetune/generate_hf.py --base models/testbed/hf --prompts "$OUT/code-prompts.jsonl" \
    --out "$OUT/answers-code.jsonl" --run testbed-base-greedy-hf-code --batch 100 --threads 2 --max-tokens 256 --resume
  answers="$OUT/answers-base.jsonl" code="$OUT/answers-code.jsonl"
fi

# keep answers whose packages all exist (+ repaired lists), hold out eval prompts, mix package-free code
"${SG[@]}" finetune data --source "$answers" "$code" --out "$OUT/data" --repair
nice -n 10 $PY finetune/train.py --config finetune/configs/testbed.yaml --data "$OUT/data/train.jsonl" --out "$OUT/train"
$PY finetune/export_gguf_lora.py --adapter "$OUT/train/adapter" --base models/testbed/hf \
  --out "$OUT/testbed-finetuned-v2.gguf" --name slopguard-testbed-finetuned-v2

# base vs adapter on the same held-out prompts: batched HF (all sets + HumanEval), then the served GGUF
nice -n 10 "${SG[@]}" finetune compare --engine hf --adapter-hf "$OUT/train/adapter" --out "$OUT/cmp-hf"
nice -n 10 "${SG[@]}" finetune compare --engine gguf --adapter "$OUT/testbed-finetuned-v2.gguf" \
  --sets heldout_pypi --limit 100 --no-humaneval --out "$OUT/cmp-gguf"
# code answers intact? install-line and degenerate share (the rate alone cannot show a broken adapter)
python3 finetune/code_health.py --set paper_python_code_150 base="$OUT/cmp-hf/base.json" adapter="$OUT/cmp-hf/adapter.json"
