#!/usr/bin/env bash
# Offline checks of everything under k8s/ and deploy/ (no cluster, no Docker):
#   1. `kubectl kustomize` builds every overlay (dev, prod) and every
#      component folder not yet listed in one (pending workers, simulators);
#   2. built-in kinds validate strictly against the Kubernetes schemas of a
#      pinned version (kubernetes-validate --strict);
#   3. custom resources validate against the upstream CRDs in ../shared/crds
#      (read from there, never copied here), unknown fields rejected;
#   4. checkov: no failed check but those in k8s/checkov-skips.txt, whose
#      reasons are printed;
#   5. promtool: the alert rules, and every dashboard query as PromQL; the
#      dashboard's panels use the datasource variable, units, $__rate_interval;
#   6. deploy/compose.yaml against the Compose specification's schema;
#   7. the dev object store's bucket configuration is deploy/seaweedfs/'s.
# Tools are installed when missing (scripts/deploy-tools.sh says what it does).
# The live check that every dashboard metric exists is
# scripts/check-dashboard-metrics.sh (it needs the running pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

KUBERNETES_VERSION=${KUBERNETES_VERSION:-1.33.0}
# shellcheck source=deploy-tools.sh
source scripts/deploy-tools.sh
py="$DEPLOY_TOOLS_BIN/python"

crds=${LONJAK_CRDS_DIR:-}
if [ -z "$crds" ]; then
  for candidate in "$repo/../shared/crds" "$repo/../../shared/crds"; do
    [ -d "$candidate" ] && crds=$(cd "$candidate" && pwd) && break
  done
fi
if [ -z "$crds" ] || [ ! -d "$crds" ]; then
  echo "[check-deploy] CRDs not found: set LONJAK_CRDS_DIR (../shared/crds)" >&2
  exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

echo "== kustomize build (kubectl $(kubectl version --client -o json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["kustomizeVersion"])' 2>/dev/null || echo ?) kustomize)"
overlays=(k8s/dev k8s/prod)
components=()
for dir in k8s/workers/* k8s/simulators/*; do
  [ -f "$dir/kustomization.yaml" ] && components+=("$dir")
done
for dir in "${overlays[@]}" "${components[@]}"; do
  name=${dir//\//_}
  if kubectl kustomize "$dir" >"$out/$name.yaml" 2>"$out/$name.err"; then
    echo "ok   $dir ($(grep -c '^kind:' "$out/$name.yaml") resources)"
  else
    fail "$dir does not build"; cat "$out/$name.err"; continue
  fi
  "$py" scripts/deploy/manifests.py split "$out/$name.yaml" "$out/$name.builtin.yaml" "$out/$name.custom.yaml" >/dev/null
done

echo "== built-in kinds, strict, Kubernetes $KUBERNETES_VERSION"
for dir in "${overlays[@]}" "${components[@]}"; do
  name=${dir//\//_}
  [ -s "$out/$name.builtin.yaml" ] || continue
  if "$DEPLOY_TOOLS_BIN/kubernetes-validate" --strict --quiet -k "$KUBERNETES_VERSION" "$out/$name.builtin.yaml" >"$out/$name.kv" 2>&1; then
    echo "ok   $dir"
  else
    fail "$dir"; cat "$out/$name.kv"
  fi
done

echo "== custom resources against the CRDs in $crds"
for dir in "${overlays[@]}" "${components[@]}"; do
  name=${dir//\//_}
  [ -s "$out/$name.custom.yaml" ] || continue
  echo "-- $dir"
  "$py" scripts/deploy/manifests.py crds "$out/$name.custom.yaml" "$crds" || fail "$dir: custom resources"
done

echo "== checkov (skipped checks and why: k8s/checkov-skips.txt)"
skips=$(grep -v '^#' k8s/checkov-skips.txt | awk 'NF {print $1}' | paste -sd, -)
grep -v '^#' k8s/checkov-skips.txt | awk 'NF {id=$1; $1=""; print "skip " id ":" $0}'
for dir in "${overlays[@]}"; do
  name=${dir//\//_}
  if "$DEPLOY_TOOLS_BIN/checkov" --quiet --compact --framework kubernetes --skip-check "$skips" \
       -f "$out/$name.yaml" >"$out/$name.checkov" 2>&1; then
    echo "ok   $dir: $(grep -o 'Passed checks: [0-9]*, Failed checks: [0-9]*, Skipped checks: [0-9]*' "$out/$name.checkov" || echo 'no findings')"
  else
    fail "$dir: checkov"; cat "$out/$name.checkov"
  fi
done

echo "== alert rules (promtool $(promtool --version 2>&1 | awk 'NR==1 {print $3}'))"
if ! { "$py" scripts/deploy/manifests.py rules "$out/k8s_prod.yaml" "$out/rules.yaml" &&
  promtool check rules "$out/rules.yaml"; }; then
  fail "alert rules"
fi

echo "== dashboard"
dashboard=k8s/base/monitoring/dashboards/lonjak.json
"$py" scripts/deploy/dashboard.py lint "$dashboard" || fail "dashboard conventions"
if ! { "$py" scripts/deploy/dashboard.py rules "$dashboard" "$out/dashboard-rules.yaml" &&
  promtool check rules "$out/dashboard-rules.yaml"; }; then
  fail "dashboard queries do not parse as PromQL"
fi

echo "== deploy/compose.yaml against the Compose specification"
"$DEPLOY_TOOLS_BIN/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml || fail "compose.yaml"

echo "== the dev object store's configuration is deploy/seaweedfs/'s"
for file in cors.xml lifecycle.xml s3.json; do
  cmp -s "deploy/seaweedfs/$file" "k8s/simulators/object-store/$file" ||
    fail "k8s/simulators/object-store/$file differs from deploy/seaweedfs/$file (copy it)"
done

if [ $status -eq 0 ]; then echo "[check-deploy] every check passed"; else echo "[check-deploy] FAILED"; fi
exit $status
