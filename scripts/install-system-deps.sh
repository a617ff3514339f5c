#!/usr/bin/env bash
# System packages the test suite uses: bubblewrap (the eval sandbox), redis-server
# (multi-replica state tests), kubectl (kustomize rendering) and chromium (the
# report render test), prometheus (promtool checks the alert rules). Debian/Ubuntu only; needs root.
set -euo pipefail
pkgs=(bubblewrap redis-server kubectl chromium prometheus)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
