#!/usr/bin/env bash
# crates/domain must stay pure: no I/O crate anywhere in its dependency tree.
set -euo pipefail
cd "$(dirname "$0")/.."
forbidden='^(tokio|lapin|diesel|diesel-async|reqwest|actix-web|actix-rt|hyper|mio|tokio-postgres|async-std|smol)$'
found=$(cargo tree -p lonjak-domain -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u | grep -E "$forbidden" || true)
if [ -n "$found" ]; then
  echo "lonjak-domain depends on I/O crates: $found" >&2
  exit 1
fi
echo "lonjak-domain: no I/O dependencies"
