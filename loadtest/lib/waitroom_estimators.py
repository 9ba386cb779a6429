"""Replays wait estimators against a waiting-room run.

    python3 loadtest/lib/waitroom_estimators.py RESULTS_DIR CEILING

RESULTS_DIR holds `series.log` (one line a second: time, admitted-up-to
mark, positions issued, admission rate, shared drain rate, its spread,
seconds stalled, intake backlog) and `tickets.csv` (position, joined,
first estimated, announced estimate, admitted, used; epoch seconds), both
written by loadtest/waitroom.sh. For every ticket that was announced a
wait and then admitted, each estimator is asked what it would have said at
the moment of the announcement, from the series as it stood then, and its
answer is compared with the wait that followed. CEILING is the admission
ceiling (`admission.global_per_sec`).

Prints, per estimator, the share within ±25 % (or 2 s), and the median
and 90th-percentile error: which rate predicts the queue's movement.
"""

import bisect
import csv
import statistics
import sys


def load_series(path):
    rows = []
    for line in open(path):
        parts = line.split()
        if len(parts) != 8:
            continue
        t, mark, issued, admit, drain, std, stalled, depth = map(float, parts)
        rows.append(dict(t=t, mark=mark, issued=issued, admit=admit, drain=drain,
                         std=std, stalled=stalled, depth=depth))
    return rows


def at(series, times, t):
    """The last sample at or before `t`."""
    i = bisect.bisect_right(times, t) - 1
    return series[max(i, 0)]


def mark_speed(series, times, t, window):
    """Tickets admitted per second over the `window` seconds before `t`."""
    now = at(series, times, t)
    then = at(series, times, t - window)
    dt = now["t"] - then["t"]
    return (now["mark"] - then["mark"]) / dt if dt > 0 else 0.0


def estimators(ceiling):
    def drain_capped(s, series, times, t):
        return min(s["drain"], ceiling) if s["drain"] > 0 else s["admit"]

    def ceiling_unless_busy(s, series, times, t):
        return min(s["drain"], ceiling) if s["depth"] > 0 and s["drain"] > 0 else ceiling

    def speed(window):
        def f(s, series, times, t):
            v = mark_speed(series, times, t, window)
            return v if v > 0 else ceiling
        return f

    def speed_or_ceiling(window):
        # The queue's own speed once it is up to it, the ceiling before.
        def f(s, series, times, t):
            v = mark_speed(series, times, t, window)
            return max(v, min(s["drain"], ceiling)) if v > 0 else ceiling
        return f

    return {
        "drain, capped at the ceiling (before)": drain_capped,
        "ceiling unless the intake is backed up": ceiling_unless_busy,
        "queue speed over 10 s": speed(10),
        "queue speed over 30 s": speed(30),
        "queue speed over 30 s, at least the drain": speed_or_ceiling(30),
    }


def main():
    out, ceiling = sys.argv[1], float(sys.argv[2])
    series = load_series(f"{out}/series.log")
    times = [s["t"] for s in series]
    tickets = []
    for row in csv.reader(open(f"{out}/tickets.csv")):
        pos, _joined, est_at, _est, adm = row[:5]
        if est_at and adm and pos:
            tickets.append((float(pos), float(est_at), float(adm)))
    print(f"{len(tickets)} tickets announced a wait and admitted; {len(series)} samples")
    for name, rate_of in estimators(ceiling).items():
        errors, good = [], 0
        for pos, est_at, adm in tickets:
            s = at(series, times, est_at)
            ahead = max(pos - s["mark"] - 1, 0)
            rate = rate_of(s, series, times, est_at)
            estimate = ahead / rate if rate > 0 else 86_400.0
            actual = adm - est_at
            errors.append(estimate - actual)
            good += abs(estimate - actual) <= max(0.25 * actual, 2.0)
        errors.sort()
        p90 = errors[int(0.9 * (len(errors) - 1))] if errors else 0
        print(f"- {name}: {100 * good / max(len(tickets), 1):.1f} % within ±25 %; "
              f"error median {statistics.median(errors) if errors else 0:+.1f} s, p90 {p90:+.1f} s")


if __name__ == "__main__":
    main()
