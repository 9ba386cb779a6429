"""Compares announced waits with actual ones (loadtest/wait-accuracy.sh).

estimates.csv: id,answered_unix_ms,estimated_wait_seconds
left_queued.csv: id,left_queued_unix_ms
polls.csv (optional 4th argument): id,asked_unix_ms,estimated_wait_seconds,ahead
  (status checks of queued registrations; actual = what was left of the
  wait at the moment of the check)
Prints a Markdown report: the share within ±25 % (or 2 s), the signed
error's median and 90th percentile, and a per-second table of the mean
announced and actual wait, which shows whether the estimate follows the
drain rate as it changes.
"""

import csv
import sys
from collections import defaultdict


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def main():
    est_path, left_path, label = sys.argv[1], sys.argv[2], sys.argv[3]
    left = {row[0]: int(row[1]) for row in csv.reader(open(left_path)) if row}
    status = report(est_path, left, f"Wait estimates in the 202 receipts ({label})", None)
    if len(sys.argv) > 4:
        print()
        report(sys.argv[4], left, f"Wait estimates at status checks ({label})", "checks")
    return status


def report(est_path, left, title, kind):
    rows = []
    for row in csv.reader(open(est_path)):
        if not row or row[2] in ("", "undefined", "null"):
            continue
        ident, answered, est = row[0], int(row[1]), float(row[2])
        if ident in left:
            actual = max(0.0, (left[ident] - answered) / 1000)
            rows.append((answered, est, actual))
    if not rows:
        print(f"## {title}\n\nno matched estimates")
        return 1
    errors = [e - a for _, e, a in rows]
    within = sum(1 for _, e, a in rows if abs(e - a) <= max(0.25 * a, 2.0))
    actual = [a for _, _, a in rows]
    print(f"## {title}\n")
    print(f"- matched {kind or '202s'}: {len(rows)}")
    print(f"- within ±25 % (or 2 s): **{100 * within / len(rows):.1f} %**")
    print(f"- actual wait{' left at the check' if kind else ''}: median {pct(actual, 50):.1f} s, max {max(actual):.1f} s")
    print(
        f"- error (announced − actual): median {pct(errors, 50):+.1f} s, "
        f"p90 {pct(errors, 90):+.1f} s, p10 {pct(errors, 10):+.1f} s; "
        f"|error| p90 {pct([abs(e) for e in errors], 90):.1f} s\n"
    )
    start = min(r[0] for r in rows)
    by_sec = defaultdict(list)
    for answered, est, act in rows:
        by_sec[(answered - start) // 1000].append((est, act))
    print(f"| second of the run | {kind or '202s'} | mean announced s | mean actual s | within |")
    print("|---:|---:|---:|---:|---:|")
    for sec in sorted(by_sec):
        vals = by_sec[sec]
        ok = sum(1 for e, a in vals if abs(e - a) <= max(0.25 * a, 2.0))
        mean_e = sum(e for e, _ in vals) / len(vals)
        mean_a = sum(a for _, a in vals) / len(vals)
        print(f"| {sec} | {len(vals)} | {mean_e:.1f} | {mean_a:.1f} | {100 * ok / len(vals):.0f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
