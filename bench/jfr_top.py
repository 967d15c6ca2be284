#!/usr/bin/env python3
"""Summarises a JFR recording's CPU samples: the hottest methods by self time and by total (inclusive) time, and the
threads sampled. Usage: jfr_top.py recording.jfr [limit] [--json out.json]"""
import collections
import json
import subprocess
import sys


def frames_of(event):
    stack = event.get("values", {}).get("stackTrace") or {}
    result = []
    for frame in stack.get("frames", []) or []:
        method = frame.get("method", {})
        cls = method.get("type", {}).get("name", "?")
        result.append(f"{cls}.{method.get('name', '?')}")
    return result


def thread_of(event):
    thread = event.get("values", {}).get("sampledThread") or {}
    return thread.get("javaName") or thread.get("osName") or "?"


def summarise(path, limit=25):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(out)["recording"]["events"]
    self_counts, total_counts, threads = collections.Counter(), collections.Counter(), collections.Counter()
    for event in events:
        frames = frames_of(event)
        if not frames:
            continue
        self_counts[frames[0]] += 1
        for name in set(frames):
            total_counts[name] += 1
        name = thread_of(event)
        threads[name.rstrip("0123456789-")] += 1
    n = max(1, len(events))
    return {
        "samples": len(events),
        "threads": [{"thread": t, "share": round(c / n, 3)} for t, c in threads.most_common(10)],
        "self": [{"method": m, "share": round(c / n, 3)} for m, c in self_counts.most_common(limit)],
        "total": [{"method": m, "share": round(c / n, 3)} for m, c in total_counts.most_common(limit)],
    }


def callers(path, pattern, depth=6, limit=15):
    """The call paths (up to depth frames above) that lead to frames containing pattern."""
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(out)["recording"]["events"]
    paths = collections.Counter()
    for event in events:
        frames = frames_of(event)
        for i, frame in enumerate(frames):
            if pattern in frame:
                paths[" <- ".join(f.split("/")[-1] for f in frames[i:i + depth])] += 1
                break
    n = max(1, len(events))
    for p, c in paths.most_common(limit):
        print(f"{c / n:6.1%}  {p}")


def main():
    if "--callers" in sys.argv:
        i = sys.argv.index("--callers")
        callers(sys.argv[1], sys.argv[i + 1], int(sys.argv[i + 2]) if len(sys.argv) > i + 2 else 6)
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    limit = int(args[1]) if len(args) > 1 else 25
    result = summarise(args[0], limit)
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['samples']} CPU samples")
    print("threads:", ", ".join(f"{t['thread']} {t['share']:.0%}" for t in result["threads"]))
    for key in ("self", "total"):
        print(f"\n-- {key} --")
        for row in result[key]:
            print(f"{row['share']:6.1%}  {row['method']}")


if __name__ == "__main__":
    main()
