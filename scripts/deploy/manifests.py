"""Offline checks of rendered Kubernetes manifests (scripts/check-deploy.sh).

  split RENDERED BUILTIN_OUT CUSTOM_OUT   built-in kinds / custom resources
  crds RENDERED CRDS_DIR                  custom resources against the CRDs
  rules RENDERED OUT                      PrometheusRule groups as a rules file

Custom resources are validated with jsonschema (Draft 4) against each CRD's
openAPIV3Schema for the resource's apiVersion, read from CRDS_DIR at check
time, with unknown fields rejected. A custom kind with no CRD there is an error, not a skip.
"""

import re
import sys
from pathlib import Path

import yaml
from jsonschema import Draft4Validator

BUILTIN_GROUPS = {"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2",
                  "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1"}


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def is_builtin(doc):
    return doc["apiVersion"] in BUILTIN_GROUPS


def split(rendered, builtin_out, custom_out):
    docs = load(rendered)
    builtin = [d for d in docs if is_builtin(d)]
    custom = [d for d in docs if not is_builtin(d)]
    with open(builtin_out, "w") as f:
        yaml.safe_dump_all(builtin, f, sort_keys=False)
    with open(custom_out, "w") as f:
        yaml.safe_dump_all(custom, f, sort_keys=False)
    print(f"{len(builtin)} built-in, {len(custom)} custom resources")


def crd_schemas(crds_dir):
    schemas = {}
    for path in sorted(Path(crds_dir).glob("*.yaml")):
        for crd in load(path):
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = version["schema"]["openAPIV3Schema"]
                fix_go_patterns(schema)
                close_objects(schema)
                schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def fix_go_patterns(node):
    """RE2 allows an inline flag after `^`; Python only at the very start."""
    if isinstance(node, dict):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and pattern.startswith("^(?i)"):
            node["pattern"] = "(?i)^" + pattern[len("^(?i)"):]
        for value in node.values():
            fix_go_patterns(value)
    elif isinstance(node, list):
        for value in node:
            fix_go_patterns(value)


def close_objects(node):
    """Unknown fields are errors, as with `kubectl apply --validate=strict`:
    every object schema that lists its properties, and does not ask to keep
    unknown ones, gets additionalProperties: false."""
    if isinstance(node, dict):
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for value in node.values():
            close_objects(value)
    elif isinstance(node, list):
        for value in node:
            close_objects(value)


def crds(rendered, crds_dir):
    schemas = crd_schemas(crds_dir)
    failures = 0
    for doc in load(rendered):
        key = (doc["apiVersion"], doc["kind"])
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        schema = schemas.get(key)
        if schema is None:
            print(f"FAIL {name}: no CRD for {key[0]} {key[1]} in {crds_dir}")
            failures += 1
            continue
        errors = sorted(Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
        for error in errors:
            path = ".".join(str(p) for p in error.path) or "(root)"
            print(f"FAIL {name}: {path}: {error.message}")
        failures += len(errors)
        if not errors:
            print(f"ok   {name} ({key[0]})")
    return 1 if failures else 0


def rules(rendered, out):
    groups = []
    for doc in load(rendered):
        if doc["kind"] == "PrometheusRule":
            groups.extend(doc["spec"]["groups"])
    if not groups:
        print("FAIL no PrometheusRule in the rendered manifests")
        return 1
    with open(out, "w") as f:
        yaml.safe_dump({"groups": groups}, f, sort_keys=False)
    return 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "split":
        split(*args)
        sys.exit(0)
    sys.exit({"crds": crds, "rules": rules}[command](*args))
