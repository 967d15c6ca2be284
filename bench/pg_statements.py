#!/usr/bin/env python3
"""Which SQL statements PostgreSQL spent its time on during each step of a bin/bench run.

PostgreSQL's pg_stat_statements keeps cumulative counters per statement; this samples them while the benchmark runs
and, afterwards, subtracts the samples around each saga step (the steps' windows are in the run's fragments):

  python3 bench/pg_statements.py sample --out /tmp/pgss --seconds 900 &     # before bin/bench
  python3 bench/pg_statements.py steps --samples /tmp/pgss --run-dir bench/work/<stamp> [--top 8]

pg_stat_statements must be loaded (as root: ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements',
restart the cluster, CREATE EXTENSION pg_stat_statements in the database "postgres"); bench/profiling.md says more.
The samples are taken as the postgres user through psql, every 2 s.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

QUERY = ("SELECT queryid, calls, total_exec_time, rows, shared_blks_hit + shared_blks_read, "
         "regexp_replace(left(query, 200), '\\s+', ' ', 'g') FROM pg_stat_statements")


def cmd_sample(args):
    os.makedirs(args.out, exist_ok=True)
    end = time.time() + args.seconds
    while time.time() < end:
        at = int(time.time() * 1000)
        result = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-At", "-F", "\t",
                                 "-c", QUERY], capture_output=True, text=True, cwd="/")
        if result.returncode != 0:
            sys.exit(f"pg_stat_statements cannot be read: {result.stderr.strip()}")
        with open(os.path.join(args.out, f"{at}.tsv"), "w") as f:
            f.write(result.stdout)
        time.sleep(args.interval)


def load(path):
    rows = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 6:
            rows[parts[0]] = (int(parts[1]), float(parts[2]), int(parts[3]), int(parts[4] or 0), parts[5])
    return rows


def between(samples, start_ms, end_ms, top):
    """The statements' time between the last sample before start_ms and the first after end_ms, dearest first."""
    taken = sorted((int(os.path.basename(p)[:-4]), p) for p in glob.glob(os.path.join(samples, "*.tsv")))
    before = [s for s in taken if s[0] <= start_ms]
    after = [s for s in taken if s[0] >= end_ms]
    if not before or not after:
        return None
    (t0, p0), (t1, p1) = before[-1], after[0]
    first, last = load(p0), load(p1)
    rows = []
    for key, (calls, total, nrows, blocks, text) in last.items():
        c0, tot0, r0, b0, _ = first.get(key, (0, 0.0, 0, 0, ""))
        if calls > c0:
            rows.append((total - tot0, calls - c0, nrows - r0, blocks - b0, text))
    rows.sort(reverse=True)
    return (t1 - t0) / 1000.0, sum(r[0] for r in rows), rows[:top]


def cmd_steps(args):
    for fragment in sorted(glob.glob(os.path.join(args.run_dir, "fragments", "saga-*.json"))):
        saga = json.load(open(fragment))
        steps = saga.get("steps", []) + saga.get("paced", []) + [s for s in (saga.get("capacity"), saga.get("overload"))
                                                                  if s]
        for step in steps:
            found = between(args.samples, step["started_ms"], step["ended_ms"], args.top)
            if not found:
                continue
            window, total, rows = found
            print(f"{os.path.basename(fragment)[:-5]} {step['name']}: {step['completed_per_s']} completed/s; "
                  f"PostgreSQL executed statements for {total:.0f} ms in a {window:.1f} s window")
            for ms, calls, nrows, blocks, text in rows:
                print(f"  {ms:8.0f} ms {calls:7d} calls {ms / calls * 1000:9.1f} us/call {blocks / calls:8.1f} "
                      f"buffers/call  {text[:110]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sample")
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, default=900)
    p.add_argument("--interval", type=float, default=2)
    p.set_defaults(func=cmd_sample)
    p = sub.add_parser("steps")
    p.add_argument("--samples", required=True)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--top", type=int, default=8)
    p.set_defaults(func=cmd_steps)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
