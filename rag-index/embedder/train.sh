#!/usr/bin/env bash
# Reproduces models/embedder/ from the shipped package selection (CPU, ~15 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=rag-index/embedder/.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r rag-index/embedder/requirements.txt
fi
rm -rf models/embedder.tmp
nice -n 10 "$VENV/bin/python" rag-index/embedder/train.py --data rag-index/data --out models/embedder.tmp "$@"
# both model.onnx (fp32) and model_quantized.onnx (int8, the default) are shipped: ~9 MB together
cp models/embedder/README.md models/embedder.tmp/README.md 2>/dev/null || true   # keep the model card
rm -rf models/embedder && mv models/embedder.tmp models/embedder
