"""The Grafana dashboard's queries, for scripts/check-deploy.sh and
scripts/check-dashboard-metrics.sh.

  rules DASHBOARD OUT        every query as a recording rule, so that
                             `promtool check rules OUT` parses it as PromQL
  lint DASHBOARD             datasource variable, units, $__rate_interval
  names DASHBOARD            the metric names the queries read, one a line
  scrape NAMES URL...        which names a live scrape of URL... lacks

Grafana's variables are replaced by values of the same type before parsing:
range variables by a duration, others by a label value.
"""

import json
import re
import sys
import urllib.request

import yaml

RANGE_VARS = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan", "atan2",
    # aggregation operators may take `by (...)` before their parentheses
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
    "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}


def queries(path):
    with open(path) as f:
        dashboard = json.load(f)
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel, target["expr"]


def substitute(expr):
    for var, value in RANGE_VARS.items():
        expr = expr.replace(var, value)
    return re.sub(r"\$\{?\w+\}?", "x", expr)


def rules(path, out):
    group = {"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": substitute(expr)}
        for i, (_, expr) in enumerate(queries(path))
    ]}
    with open(out, "w") as f:
        yaml.safe_dump({"groups": [group]}, f, sort_keys=False)
    print(f"{len(group['rules'])} queries")
    return 0


def lint(path):
    with open(path) as f:
        dashboard = json.load(f)
    problems = []
    variables = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    if not variables:
        problems.append("no datasource variable")
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        title = panel["title"]
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"{title}: datasource is not the variable")
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            problems.append(f"{title}: no unit")
        for target in panel["targets"]:
            for window in re.findall(r"\brate\([^\[]*\[([^\]]+)\]", target["expr"]):
                if window != "$__rate_interval":
                    problems.append(f"{title}: rate over [{window}], not [$__rate_interval]")
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers that are not
    functions, keywords, label names or label values."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)      # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)                  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)                 # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word = match.group(0)
        rest = expr[match.end():].lstrip()
        if word.lower() in KEYWORDS or rest.startswith("("):
            continue
        names.add(word)
    return names


def names(path):
    found = set()
    for _, expr in queries(path):
        found |= metric_names(substitute(expr))
    for name in sorted(found):
        print(name)
    return 0


def scraped_names(text):
    """Sample names of a Prometheus or OpenMetrics exposition, including the
    series an empty family would have (counter X: X_total; histogram X:
    X_bucket, X_sum, X_count)."""
    found = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            suffixes = {"counter": ["_total", ""], "histogram": ["_bucket", "_sum", "_count"],
                        "summary": ["_sum", "_count", ""]}.get(kind.strip(), [""])
            found |= {name + s for s in suffixes}
        elif line and not line.startswith("#"):
            found.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return found


def scrape(names_path, *urls):
    with open(names_path) as f:
        wanted = [line.strip() for line in f if line.strip()]
    found = set()
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                got = scraped_names(answer.read().decode())
            print(f"scraped {url}: {len(got)} names")
            found |= got
        except OSError as error:
            print(f"unreachable {url}: {error}")
    missing = [n for n in wanted if n not in found]
    for name in wanted:
        print(f"{'ok     ' if name in found else 'MISSING'} {name}")
    print(f"{len(wanted) - len(missing)} of {len(wanted)} dashboard metrics found in the live scrape")
    return 1 if missing else 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.exit({"rules": rules, "lint": lint, "names": names, "scrape": scrape}[command](*args))
