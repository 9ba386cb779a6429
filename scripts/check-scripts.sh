#!/usr/bin/env bash
# Every shell script of the repository passes shellcheck (settings in
# .shellcheckrc). Installs shellcheck with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[check-scripts] shellcheck not found; installing it (apt-get install shellcheck)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
  else
    echo "[check-scripts] shellcheck not found: install it (Debian: apt-get install shellcheck)" >&2
    exit 1
  fi
fi
mapfile -t files < <(git ls-files '*.sh' .ci/run deploy/local/env.sh | sort -u)
shellcheck "${files[@]}"
echo "[check-scripts] ${#files[@]} scripts pass shellcheck"
