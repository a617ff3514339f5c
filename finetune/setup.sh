#!/usr/bin/env bash
# Makes finetune/.venv and installs finetune/requirements.txt into it.
# Idempotent and cache-friendly: an existing venv whose requirements stamp matches is reused as is.
# Usage: bash finetune/setup.sh            (from the repository root, or from anywhere)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${FINETUNE_VENV:-$here/.venv}"
req="$here/requirements.txt"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null || { echo "setup.sh: $python not found; install Python >= 3.10" >&2; exit 3; }
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "setup.sh: $venv is up to date"
  exit 0
fi

"$python" -m venv "$venv"
# Offline mirrors on this kind of machine; elsewhere pip's own configuration (PIP_INDEX_URL, pip.conf) applies.
args=()
if [[ -d /opt/pypi/simple ]]; then
  args+=(--index-url file:///opt/pypi/simple)
  [[ -d /opt/pypi-more/simple ]] && args+=(--extra-index-url file:///opt/pypi-more/simple)
fi
[[ -d /opt/wheels ]] && args+=(--find-links /opt/wheels)
# pip warns once per package missing from one of the two mirrors; those lines are noise.
"$venv/bin/python" -m pip install --quiet "${args[@]}" -r "$req" 2> >(grep -v "is ignored: it is neither" >&2)
echo "$want" > "$stamp"
echo "setup.sh: installed $(wc -l < "$req") requirement lines into $venv"
