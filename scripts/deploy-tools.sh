#!/usr/bin/env bash
# Installs what the deployment checks need, when missing, and says so:
#   * kubectl (kustomize built in): Debian package `kubectl`;
#   * promtool: Debian package `prometheus` (without recommends, so no
#     node exporter appears to take port 9100);
#   * kubernetes-validate, check-jsonschema, checkov (PyPI, pinned) in their
#     own virtualenv, so that they never change the machine's Python packages.
# Source it: it exports DEPLOY_TOOLS_BIN (the virtualenv's bin directory).
set -euo pipefail

DEPLOY_TOOLS_DIR=${DEPLOY_TOOLS_DIR:-$HOME/.cache/lonjak/deploy-tools}
# Pinned: a new release of a checker must not turn CI red on its own.
deploy_tools_pins=(kubernetes-validate==1.37.0 check-jsonschema==0.39.0 checkov==3.3.30)

deploy_tools_apt() { # package
  echo "[deploy-tools] $1 not found; installing it with apt-get (--no-install-recommends)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "[deploy-tools] not root: install Debian's '$1' package by hand" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null; }
}

command -v kubectl >/dev/null || deploy_tools_apt kubectl
command -v promtool >/dev/null || deploy_tools_apt prometheus

stamp="$DEPLOY_TOOLS_DIR/.pins"
if [ ! -x "$DEPLOY_TOOLS_DIR/bin/checkov" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${deploy_tools_pins[*]}" ]; then
  echo "[deploy-tools] installing ${deploy_tools_pins[*]} into $DEPLOY_TOOLS_DIR (a virtualenv)"
  python3 -m venv "$DEPLOY_TOOLS_DIR"
  "$DEPLOY_TOOLS_DIR/bin/pip" install -q --disable-pip-version-check "${deploy_tools_pins[@]}"
  echo "${deploy_tools_pins[*]}" >"$stamp"
fi
export DEPLOY_TOOLS_BIN="$DEPLOY_TOOLS_DIR/bin"
