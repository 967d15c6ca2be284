#!/usr/bin/env python3
"""The measuring half of bin/bench: load runs (through wrk), readiness timing, log analysis, resident memory and CPU
sampling, and the final report. bin/bench starts and stops the processes; this file only observes them.

Every subcommand writes one JSON fragment into the run directory (fragments/<name>.json); `report` merges them into
bench/results/<timestamp>.json and renders the Markdown summary. Only the Python standard library is used.
"""
import argparse
import datetime
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
WRK_SCRIPT = os.path.join(BENCH_DIR, "wrk.lua")


# ---------------------------------------------------------------------------------------------------------- helpers

def now_ms():
    return time.time() * 1000.0


def say(message):
    print(f"[bench] {message}", flush=True)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def fragment(run_dir, name):
    return os.path.join(run_dir, "fragments", name + ".json")


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-p * len(sorted_values) // 100)))  # ceil(p/100 * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def distribution(values):
    values = sorted(values)
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": values[-1], "mean": round(statistics.fmean(values), 2)}


def request(host, port, method, path, token=None, body=None, timeout=5.0, conn=None):
    """One HTTP/1.1 exchange; returns (status, headers dict lower-cased, body bytes). Reuses conn when given."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        if own:
            conn.close()


def split_url(url):
    match = re.match(r"http://([^:/]+):(\d+)(/.*)?$", url)
    if not match:
        raise SystemExit(f"not an http://host:port URL: {url}")
    return match.group(1), int(match.group(2)), match.group(3) or "/"


# ------------------------------------------------------------------------------------------------- process metrics

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def postgres_backends(databases):
    """PostgreSQL server processes serving one of these databases (their title names the database)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and any(f" {db} " in title for db in databases):
            found.append(int(entry))
    return found


class CpuMeter:
    """CPU time used by named groups of processes between start() and stop(), in milliseconds."""

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning pids
        self.start_ticks = {}
        self.hz = os.sysconf("SC_CLK_TCK")

    def _snapshot(self):
        snap = {}
        for name, pids in self.groups.items():
            snap[name] = {pid: cpu_ticks(pid) for pid in pids()}
        return snap

    def start(self):
        self.start_ticks = self._snapshot()

    def stop(self):
        end = self._snapshot()
        result = {}
        for name, pids in end.items():
            used = 0
            for pid, ticks in pids.items():
                if ticks is None:
                    continue
                used += ticks - (self.start_ticks.get(name, {}).get(pid) or 0)
            result[name] = round(used * 1000.0 / self.hz, 1)
        return result


def load_average():
    with open("/proc/loadavg") as f:
        one, five, fifteen = f.read().split()[:3]
    return [float(one), float(five), float(fifteen)]


# ------------------------------------------------------------------------------------------------------- logs

LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) ")
EVENT_LINE = re.compile(r" events - (published|handled) event=(\w+) id=(\S+) order=(\S+)(.*)$")
LAG = re.compile(r"lag_ms=(-?\d+)")


def log_time_ms(hh, mm, ss, ms, reference_ms):
    """A log line's wall-clock time (local HH:MM:SS.mmm) as epoch ms, on the day that puts it nearest the reference."""
    ref = datetime.datetime.fromtimestamp(reference_ms / 1000.0)
    midnight = ref.replace(hour=0, minute=0, second=0, microsecond=0)
    candidate = midnight + datetime.timedelta(hours=int(hh), minutes=int(mm), seconds=int(ss), milliseconds=int(ms))
    value = candidate.timestamp() * 1000.0
    if value - reference_ms > 12 * 3600 * 1000:
        value -= 24 * 3600 * 1000
    elif reference_ms - value > 12 * 3600 * 1000:
        value += 24 * 3600 * 1000
    return value


class EventLog:
    """Follows a service's log and indexes its event lines by order; read incrementally, so it can be polled."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = ""
        self.published = {}  # (event type, order) -> ms
        self.handled = []  # (ms, event type, order, lag ms)
        self.lock = threading.Lock()
        self.on_published = None  # called with (event type, order) for each new published line

    def poll(self):
        with self.lock:
            self._poll()

    def _poll(self):
        try:
            with open(self.path, "r", errors="replace") as f:
                f.seek(self.offset)
                chunk = f.read()
                self.offset = f.tell()
        except OSError:
            return
        text = self.partial + chunk
        lines = text.split("\n")
        self.partial = lines.pop()
        reference = now_ms()
        for line in lines:
            event = EVENT_LINE.search(line)
            if not event:
                continue
            stamp = LOG_LINE.match(line)
            if not stamp:
                continue
            at = log_time_ms(*stamp.groups(), reference)
            kind, event_type, _event_id, order = event.group(1), event.group(2), event.group(3), event.group(4)
            if kind == "published":
                self.published.setdefault((event_type, order), at)
                if self.on_published:
                    self.on_published(event_type, order)
            else:
                lag = LAG.search(event.group(5))
                if lag and "outcome=applied" in event.group(5):
                    self.handled.append((at, event_type, order, int(lag.group(1))))


def log_lines_matching(path, pattern, after_ms):
    """(epoch ms, line) of the lines matching pattern, at or after after_ms."""
    found = []
    regex = re.compile(pattern)
    last_stamp = None  # a line without a time stamp (Hazelcast's member list) belongs to the last line with one
    try:
        with open(path, errors="replace") as f:
            for line in f:
                stamp = LOG_LINE.match(line)
                if stamp:
                    last_stamp = stamp.groups()
                if not regex.search(line) or last_stamp is None:
                    continue
                at = log_time_ms(*last_stamp, after_ms)
                if at >= after_ms - 1:
                    found.append((at, line.rstrip("\n")))
    except OSError:
        pass
    return found


# ------------------------------------------------------------------------------------------------------- wrk

def run_wrk(url, token, connections, duration_s, threads=2, rate=None, orders=False, addrs=None, skus=100,
            out_path=None, label="", client_tls=None):
    """Runs wrk with bench/wrk.lua and returns its JSON result plus req/s; bounded by duration + 30 s.

    client_tls: (certificate, key, bench/wrk-client-cert.c built) for an https URL whose server requires a client
    certificate, which wrk then presents on every connection."""
    out_path = out_path or f"/tmp/bench-wrk-{os.getpid()}.json"
    threads = max(1, min(threads, connections))
    env = dict(os.environ, BENCH_TOKEN=token, BENCH_OUT=out_path, BENCH_THREADS=str(threads), BENCH_SKUS=str(skus))
    for name in ("BENCH_RATE", "BENCH_ORDERS", "BENCH_ADDRS", "BENCH_TLS_CERT", "BENCH_TLS_KEY"):
        env.pop(name, None)
    if rate:
        env["BENCH_RATE"] = str(rate)
    if orders:
        env["BENCH_ORDERS"] = "1"
    if addrs:
        env["BENCH_ADDRS"] = addrs
    if client_tls:
        cert, key, preload = client_tls
        env.update(BENCH_TLS_CERT=cert, BENCH_TLS_KEY=key,
                   LD_PRELOAD=" ".join(p for p in (preload, env.get("LD_PRELOAD")) if p))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--timeout", "10s", "-s", WRK_SCRIPT, url]
    if os.path.exists(out_path):
        os.remove(out_path)
    started = now_ms()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration_s + 30)
    ended = now_ms()
    result = read_json(out_path)
    if completed.returncode != 0 or result is None:
        raise RuntimeError(f"wrk failed ({label}): {completed.stderr.strip() or completed.stdout.strip()}")
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    errors = result["errors"]
    result["error_count"] = sum(errors.values())
    result["connections"] = connections
    result["threads"] = threads
    result["target_rate"] = rate
    result["started_ms"] = started
    result["ended_ms"] = ended
    return result


def ms(us):
    return None if us is None else round(us / 1000.0, 3)


def latency_ms(result):
    lat = result["latency_us"]
    return {k: ms(lat[k]) for k in ("p50", "p90", "p99", "p99_9", "max", "mean")}


# ------------------------------------------------------------------------------------------------ subcommands

def cmd_token(args):
    host, port, _ = split_url(args.url)
    deadline = time.time() + 30
    while True:
        status, _, body = request(host, port, "POST", "/api/auth/token",
                                  body={"username": args.user, "password": args.password})
        if status == 200:
            print(json.loads(body)["access_token"])
            return
        if time.time() > deadline:
            raise SystemExit(f"token request answered {status}: {body[:300]!r}")
        time.sleep(0.5)


def cmd_restock(args):
    host, port, _ = split_url(args.url)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    for i in range(1, args.skus + 1):
        status, _, body = request(host, port, "POST", f"/api/inventory/{args.prefix}{i}/restock", token=args.token,
                                  body={"quantity": args.quantity}, conn=conn)
        if status != 200:
            raise SystemExit(f"restock of {args.prefix}{i} answered {status}: {body[:300]!r}")
    conn.close()


def cmd_wait_ready(args):
    """Polls every URL until it answers 200 and records when, counted from --start-ms (when the JVMs were spawned)."""
    targets = dict(item.split("=", 1) for item in args.url)
    pids = dict(item.split("=", 1) for item in (args.pid or []))
    ready = {}
    deadline = time.time() + args.timeout
    proxied = None
    while len(ready) < len(targets) or (args.proxied and proxied is None):
        for name, url in targets.items():
            if name in ready:
                continue
            host, port, path = split_url(url)
            try:
                status, _, _ = request(host, port, "GET", path, timeout=1.0)
            except OSError:
                status = None
            if status == 200:
                ready[name] = round(now_ms() - args.start_ms)
                say(f"  {name} ready {ready[name] / 1000:.1f} s after start")
        if args.proxied and proxied is None and len(ready) == len(targets):
            host, port, path = split_url(args.proxied)
            try:
                token = open(args.token_file).read().strip() if args.token_file and os.path.exists(args.token_file) \
                    else None
                status, _, _ = request(host, port, "GET", path, token=token, timeout=1.0)
            except OSError:
                status = None
            if status in (200, 404):  # routed to an instance: 404 is the service's own answer for an unknown SKU
                proxied = round(now_ms() - args.start_ms)
        for name, pid in pids.items():
            if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z":
                raise SystemExit(f"{name} (pid {pid}) exited while starting; see its log")
        if time.time() > deadline:
            missing = [n for n in targets if n not in ready]
            raise SystemExit(f"not ready after {args.timeout} s: {', '.join(missing) or 'proxied request'}")
        time.sleep(0.02)
    result = {"ready_ms": ready, "all_ready_ms": max(ready.values())}
    if args.proxied:
        result["first_proxied_answer_ms"] = proxied
    if args.out:
        write_json(args.out, result)


def cmd_rss_sampler(args):
    """Samples VmRSS of the processes listed in --pids-file ("name pid" lines) until killed or --max-seconds."""
    deadline = time.time() + args.max_seconds
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(args.out, "a") as out:
        while not stop and time.time() < deadline:
            try:
                entries = [line.split() for line in open(args.pids_file) if line.strip()]
            except OSError:
                entries = []
            stamp = int(now_ms())
            for name, pid in entries:
                rss = rss_kib(int(pid))
                if rss is not None:
                    out.write(f"{stamp} {name} {pid} {rss}\n")
            out.flush()
            time.sleep(args.interval)


def cmd_proxy_run(args):
    """One section-1 measurement: warm-up, then the measured run, with the CPU used by the proxy's processes."""
    token = open(args.token_file).read().strip()
    client_tls = (args.client_cert, args.client_key, args.wrk_preload) if args.client_cert else None
    if args.warmup > 0:
        run_wrk(args.url, token, args.connections, args.warmup, rate=args.rate, addrs=args.addrs, label=args.name,
                client_tls=client_tls)
    proxy_pids = [int(p) for p in (args.proxy_pid or [])]

    def pids():
        found = []
        for pid in proxy_pids:
            found.append(pid)
            found.extend(children(pid))
        return found

    backends = [int(p) for p in (args.backend_pid or [])]
    meter = CpuMeter({"proxy": pids, "backends": lambda: backends})
    load_before = load_average()
    meter.start()
    result = run_wrk(args.url, token, args.connections, args.duration, rate=args.rate, addrs=args.addrs,
                     label=args.name, client_tls=client_tls)
    cpu = meter.stop()
    result["cpu_ms"] = cpu
    result["proxy_cpu_us_per_request"] = round(cpu["proxy"] * 1000 / max(1, result["requests"]), 1) \
        if proxy_pids else None
    result["backend_cpu_us_per_request"] = round(cpu["backends"] * 1000 / max(1, result["requests"]), 1)
    result["load_average_before"] = load_before
    result["name"] = args.name
    lat = latency_ms(result)
    paced = f" at {args.rate}/s" if args.rate else ""
    say(f"  {args.name}{paced}: {result['rps']:.0f} req/s, p50 {lat['p50']} ms, p99 {lat['p99']} ms, "
        f"p99.9 {lat['p99_9']} ms, errors {result['error_count']}"
        + (f", proxy CPU {result['proxy_cpu_us_per_request']} us/req" if proxy_pids else ""))
    path = fragment(args.run_dir, f"proxy-{args.name}{'-paced' if args.rate else ''}")
    earlier = read_json(path)
    if earlier and not args.rate:
        # Best of the series (run in opposite orders): the machine's other work only ever takes away.
        attempts = earlier.get("attempts", [earlier["rps"]]) + [result["rps"]]
        if earlier["rps"] > result["rps"]:
            result = earlier
        result["attempts"] = attempts
    write_json(path, result)


class Saga:
    """Drives orders through the gateway and reads what happened to them from the services' logs."""

    def __init__(self, args):
        self.args = args
        self.token = open(args.token_file).read().strip()
        self.orders_log = EventLog(args.order_log)
        self.inventory_logs = [EventLog(p) for p in args.inventory_log]
        self.url = args.gateway.rstrip("/") + "/api/orders"
        self.pids = {}
        for item in args.pid or []:
            name, pid = item.split("=", 1)
            self.pids.setdefault(name, []).append(int(pid))
        databases = args.pg_database or []
        groups = {name: (lambda p=pids: p) for name, pids in self.pids.items()}
        if databases:
            groups["postgresql"] = lambda: postgres_backends(databases)
        self.meter = CpuMeter(groups)

    def poll(self):
        self.orders_log.poll()
        for log in self.inventory_logs:
            log.poll()

    def placed_between(self, start, end):
        return {order: at for (event_type, order), at in self.orders_log.published.items()
                if event_type == "OrderPlaced" and start <= at <= end}

    def settled(self, order):
        for outcome in ("OrderConfirmed", "OrderRejected"):
            at = self.orders_log.published.get((outcome, order))
            if at is not None:
                return outcome, at
        return None, None

    def drain(self, placed, timeout_s):
        """Waits until every order placed in the step is settled; returns how long that took after the step."""
        started = time.time()
        while True:
            self.poll()
            waiting = [o for o in placed if self.settled(o)[0] is None]
            if not waiting or time.time() - started > timeout_s:
                return round((time.time() - started) * 1000), len(waiting)
            time.sleep(0.2)

    def closed_step(self, name, clients, duration_s):
        """clients in flight at once: each places an order, waits until order-service settles it, places the next."""
        host, port, _ = split_url(self.args.gateway)
        waiting = {}  # order -> threading.Event
        guard = threading.Lock()

        def settled(event_type, order):
            if event_type in ("OrderConfirmed", "OrderRejected"):
                with guard:
                    event = waiting.pop(order, None)
                if event:
                    event.set()

        self.poll()
        self.orders_log.on_published = settled
        stop = threading.Event()

        def follow():  # the log is the client's view of the saga: every 2 ms, as a browser would poll far slower
            while not stop.is_set():
                self.orders_log.poll()
                time.sleep(0.002)

        post_ms, failures, timeouts = [], [], [0]
        deadline = time.time() + duration_s

        def client(index):
            conn = http.client.HTTPConnection(host, port, timeout=10)
            import random
            rnd = random.Random(index * 7919 + int(time.time()))
            while time.time() < deadline:
                body = {"items": [{"sku": f"BENCH-{rnd.randint(1, self.args.skus)}", "quantity": 1}]}
                started = time.perf_counter()
                try:
                    status, _, data = request(host, port, "POST", "/api/orders", token=self.token, body=body,
                                              conn=conn)
                except (OSError, http.client.HTTPException) as e:
                    failures.append(str(e))
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=10)
                    continue
                post_ms.append((time.perf_counter() - started) * 1000)
                if status != 202:
                    failures.append(f"HTTP {status}")
                    continue
                order = json.loads(data)["id"]
                event = threading.Event()
                with guard:
                    waiting[order] = event
                if self.settled(order)[0] is not None:  # settled before we started waiting
                    with guard:
                        waiting.pop(order, None)
                    continue
                if not event.wait(self.args.order_timeout):
                    timeouts[0] += 1
                    with guard:
                        waiting.pop(order, None)
            conn.close()

        load_before = load_average()
        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        self.meter.start()
        started_ms = now_ms()
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(duration_s + self.args.order_timeout + 5)
        ended_ms = now_ms()
        cpu = self.meter.stop()
        stop.set()
        follower.join(1)
        self.orders_log.on_published = None
        self.poll()
        placed = self.placed_between(started_ms - 50, ended_ms + 50)
        drain_ms, unsettled = self.drain(placed, self.args.drain_timeout)
        window_s = (ended_ms - started_ms) / 1000.0
        latencies, confirmed, rejected = [], 0, 0
        for order, at in placed.items():
            outcome, settled_at = self.settled(order)
            if outcome == "OrderConfirmed":
                confirmed += 1
                latencies.append(settled_at - at)
            elif outcome == "OrderRejected":
                rejected += 1
        post = distribution([round(v, 3) for v in post_ms])
        step = {
            "name": name,
            "connections": clients,
            "mode": "closed loop: each client waits for its order to be settled",
            "target_rate": None,
            "duration_s": round(window_s, 2),
            "accepted": len(post_ms) - len(failures),
            "accepted_per_s": round(len(placed) / window_s, 1),
            "errors": {"failed": len(failures), "not_settled_in_time": timeouts[0]},
            "post_latency_ms": {k: post.get(k) for k in ("p50", "p90", "p99", "max", "mean")},
            "placed_in_logs": len(placed),
            "confirmed": confirmed,
            "rejected": rejected,
            "unsettled_after_drain": unsettled,
            "completed_per_s": round((confirmed + rejected) / window_s, 1),
            "drain_ms": drain_ms,
            "accepted_to_confirmed_ms": distribution(latencies),
            "outbox_lag_ms": self.lags(placed),
            "cpu_ms": cpu,
            "cpu_ms_per_order": {k: round(v / max(1, len(placed)), 3) for k, v in cpu.items()},
            "load_average_before": load_before,
            "started_ms": started_ms,
            "ended_ms": ended_ms,
        }
        a2c = step["accepted_to_confirmed_ms"]
        say(f"  {clients} in flight: {step['completed_per_s']:.0f} completed/s, POST p50 {post.get('p50')} ms "
            f"p99 {post.get('p99')} ms, accepted->CONFIRMED p50 {a2c.get('p50')} ms p99 {a2c.get('p99')} ms"
            + (f", {len(failures)} failed" if failures else "") + (f", {timeouts[0]} timed out" if timeouts[0] else ""))
        return step

    def wait_all_settled(self, timeout_s):
        """Waits until every order in the log is settled; (ms waited, how many are not)."""
        started = time.time()
        while True:
            self.poll()
            placed = [o for (t, o) in self.orders_log.published if t == "OrderPlaced"]
            left = sum(1 for o in placed if self.settled(o)[0] is None)
            if not left or time.time() - started > timeout_s:
                return round((time.time() - started) * 1000), left
            time.sleep(0.5)

    def step(self, name, connections, duration_s, rate=None):
        self.poll()
        load_before = load_average()
        self.meter.start()
        result = run_wrk(self.url, self.token, connections, duration_s, orders=True, rate=rate,
                         skus=self.args.skus, label=name)
        cpu = self.meter.stop()
        # The log's clock has ms resolution and the first/last request straddle wrk's own start/end by a little.
        start, end = result["started_ms"] - 50, result["ended_ms"] + 50
        time.sleep(0.3)
        self.poll()
        placed = self.placed_between(start, end)
        drain_ms, unsettled = self.drain(placed, self.args.drain_timeout)
        confirmed, rejected, latencies = 0, 0, []
        window_s = result["duration_us"] / 1e6
        settled_in_window = 0
        for order, at in placed.items():
            outcome, settled_at = self.settled(order)
            if outcome is None:
                continue
            if outcome == "OrderConfirmed":
                confirmed += 1
                latencies.append(settled_at - at)
            else:
                rejected += 1
            if settled_at <= result["ended_ms"]:
                settled_in_window += 1
        lags = self.lags(placed)
        accepted = result["requests"] - result["errors"]["status"]
        step = {
            "name": name,
            "connections": connections,
            "target_rate": rate,
            "duration_s": round(window_s, 2),
            "accepted": accepted,
            "accepted_per_s": round(accepted / window_s, 1),
            "errors": result["errors"],
            "post_latency_ms": latency_ms(result),
            "placed_in_logs": len(placed),
            "confirmed": confirmed,
            "rejected": rejected,
            "unsettled_after_drain": unsettled,
            "completed_per_s": round(settled_in_window / window_s, 1),
            "drain_ms": drain_ms,
            "accepted_to_confirmed_ms": distribution(latencies),
            "outbox_lag_ms": lags,
            "cpu_ms": cpu,
            "cpu_ms_per_order": {k: round(v / max(1, accepted), 3) for k, v in cpu.items()},
            "load_average_before": load_before,
            "started_ms": result["started_ms"],
            "ended_ms": result["ended_ms"],
        }
        a2c = step["accepted_to_confirmed_ms"]
        say(f"  {name}: {step['accepted_per_s']:.0f} accepted/s, {step['completed_per_s']:.0f} completed/s, "
            f"POST p50 {step['post_latency_ms']['p50']} ms p99 {step['post_latency_ms']['p99']} ms, "
            f"accepted->CONFIRMED p50 {a2c.get('p50')} ms p99 {a2c.get('p99')} ms, drained in {drain_ms} ms"
            + (f", {unsettled} NOT settled" if unsettled else ""))
        return step

    def lags(self, placed):
        """Outbox commit-to-handled latency of the events of the step's orders, per hop and together."""
        hops = {}
        for log in self.inventory_logs + [self.orders_log]:
            for _at, event_type, order, lag in log.handled:
                if order in placed:
                    hops.setdefault(event_type, []).append(lag)
        result = {event_type: distribution(values) for event_type, values in hops.items()}
        result["all"] = distribution([v for values in hops.values() for v in values])
        return result


def cmd_saga(args):
    saga = Saga(args)
    out = {"database": args.database, "steps": [], "skus": args.skus}
    best, flat = None, 0
    warmup = [int(c) for c in (args.warmup_steps or "").split(",") if c]
    for connections in warmup:
        say("  warm-up, not recorded:")
        saga.closed_step("warmup", connections, args.warmup_duration or args.duration)
        time.sleep(1)
    if warmup:
        out["warmup"] = {"steps": warmup, "duration_s": args.warmup_duration or args.duration}
    for connections in [int(c) for c in args.steps.split(",")]:
        step = saga.closed_step(f"c{connections}", connections, args.duration)
        out["steps"].append(step)
        write_json(fragment(args.run_dir, f"saga-{args.database}"), out)
        rate = step["completed_per_s"]
        # Two steps in a row that do not beat the best by the growth margin: the machine is noisy, one is not enough.
        flat = flat + 1 if best is not None and rate < best["completed_per_s"] * (1 + args.growth) else 0
        if best is None or rate > best["completed_per_s"]:
            best = step
        if flat >= 2:
            out["stopped"] = "completed orders/s stopped growing"
        elif step["completed_per_s"] < args.behind * step["accepted_per_s"] or step["unsettled_after_drain"]:
            # The API accepts orders faster than the saga settles them: more connections only grow the outbox backlog
            # (nothing pushes back on the POSTs), and the next step would first have to work through it.
            out["stopped"] = (f"the saga fell behind: {step['completed_per_s']:.0f} completed/s for "
                              f"{step['accepted_per_s']:.0f} accepted/s")
        if out.get("stopped"):
            say(f"  {out['stopped']}; peak {best['completed_per_s']:.0f} completed/s at {best['name']}")
            break
        time.sleep(1)
    out["peak"] = best["name"]
    waited, left = saga.wait_all_settled(args.settle_timeout)
    out["backlog_before_paced"] = {"waited_ms": waited, "unsettled": left}
    if left:
        say(f"  {left} orders still unsettled after {waited} ms: the paced runs start with a backlog")
    for rate in [int(r) for r in (args.paced or "").split(",") if r]:
        step = saga.step(f"paced{rate}", args.paced_connections, args.duration, rate=rate)
        out.setdefault("paced", []).append(step)
        write_json(fragment(args.run_dir, f"saga-{args.database}"), out)
    if args.paced_peak_fraction:
        # The latency goal's load: a share of the peak just measured, so that it means the same on any machine.
        rate = max(1, round(args.paced_peak_fraction * best["completed_per_s"]))
        say(f"  paced at {args.paced_peak_fraction:g} of the peak: {rate} orders/s")
        step = saga.step(f"paced{rate}", args.paced_connections, args.duration, rate=rate)
        step["peak_fraction"] = args.paced_peak_fraction
        out.setdefault("paced", []).append(step)
        write_json(fragment(args.run_dir, f"saga-{args.database}"), out)
    if args.overload:
        # The closed-loop peak is not what the saga settles when nothing waits for it: wrk's open loop lets the
        # relays batch far more, so twice the closed peak may still be below capacity, refuse nothing and prove
        # nothing. The capacity is measured first, open loop at three times the closed peak (completed/s within the
        # step, the backlog growing throughout), and the overload is twice that.
        waited, left = saga.wait_all_settled(args.settle_timeout)
        probe_rate = max(1, round(3 * best["completed_per_s"]))
        say(f"  open-loop capacity: offering {probe_rate} orders/s (3x the closed-loop peak)")
        probe = saga.step(f"capacity{probe_rate}", args.paced_connections, args.duration, rate=probe_rate)
        probe["refused"] = probe["errors"]["status"]
        out["capacity"] = probe
        capacity = max(best["completed_per_s"], probe["completed_per_s"])
        out["capacity_per_s"] = capacity
        write_json(fragment(args.run_dir, f"saga-{args.database}"), out)
        # Open loop above the capacity: order-service refuses what its PENDING bound (ORDER_MAX_PENDING) does not
        # admit, with 503 (wrk's non-2xx count), so what it accepts must still settle at about the capacity, with a
        # bounded wait. Twice a step's length: the backlog first has to grow to the bound before refusals start.
        waited, left = saga.wait_all_settled(args.settle_timeout)
        rate = max(1, round(args.overload * capacity))
        say(f"  open loop at {args.overload:g}x the capacity ({capacity:.0f}/s): {rate} orders/s")
        step = saga.step(f"overload{rate}", args.paced_connections, 2 * args.duration, rate=rate)
        step["overload_factor"] = args.overload
        step["capacity_per_s"] = capacity
        step["refused"] = step["errors"]["status"]
        step["refused_per_s"] = round(step["refused"] / step["duration_s"], 1)
        step["backlog_before"] = {"waited_ms": waited, "unsettled": left}
        say(f"  refused {step['refused']} ({step['refused_per_s']:.0f}/s), accepted {step['accepted']}, "
            f"{step['unsettled_after_drain']} accepted orders not settled after the drain")
        out["overload"] = step
    write_json(fragment(args.run_dir, f"saga-{args.database}"), out)


def cmd_kill_watch(args):
    """Keeps GETs flowing through the gateway, kill -9s the victim, and records what the clients saw."""
    host, port, path = split_url(args.url)
    token = open(args.token_file).read().strip()
    records = []
    lock = threading.Lock()
    stop_at = time.time() + args.duration

    def client():
        conn = http.client.HTTPConnection(host, port, timeout=10)
        while time.time() < stop_at:
            started = now_ms()
            try:
                status, headers, _ = request(host, port, "GET", path, token=token, conn=conn)
                served = headers.get("x-served-by", "")
            except (OSError, http.client.HTTPException):
                status, served = 0, ""
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
            ended = now_ms()
            with lock:
                records.append((started, ended, status, served))
            time.sleep(args.pause_ms / 1000.0)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    for t in threads:
        t.start()
    time.sleep(args.kill_after)
    killed_at = now_ms()
    os.kill(args.victim_pid, signal.SIGKILL)
    say(f"  kill -9 {args.victim_name} (pid {args.victim_pid})")
    for t in threads:
        t.join(args.duration + 15)
    before = [r for r in records if r[1] < killed_at]
    after = [r for r in records if r[0] >= killed_at]
    baseline = sorted(r[1] - r[0] for r in before)
    slow_threshold = max(50.0, 5 * (percentile(baseline, 99) or 10))
    failed = [r for r in after if r[2] != 200]
    slow = [r for r in after if r[1] - r[0] > slow_threshold]
    disturbed = failed + slow
    victim = f"127.0.0.1:{args.victim_port}"
    time.sleep(0.5)
    gateway_gone = log_lines_matching(args.gateway_log, rf"instance gone service=\S+ endpoint={re.escape(victim)}",
                                      killed_at)
    gateway_open = log_lines_matching(args.gateway_log, rf"circuit breaker \S+@{re.escape(victim)} OPEN", killed_at)
    survivors = {}
    for item in args.survivor_log:
        name, path_ = item.split("=", 1)
        removed = log_lines_matching(path_, rf"removed stale record service=\S+ endpoint={re.escape(victim)}",
                                     killed_at)
        members = log_lines_matching(path_, r"Members \{size:", killed_at)
        survivors[name] = {
            "member_removed_ms": round(members[0][0] - killed_at) if members else None,
            "record_removed_ms": round(removed[0][0] - killed_at) if removed else None,
        }
    record_removed = [s["record_removed_ms"] for s in survivors.values() if s["record_removed_ms"] is not None]
    members_removed = [s["member_removed_ms"] for s in survivors.values() if s["member_removed_ms"] is not None]

    def first(lines):
        return round(lines[0][0] - killed_at) if lines else None

    routed_around = [v for v in (first(gateway_open), first(gateway_gone)) if v is not None]
    result = {
        "victim": args.victim_name,
        "clients": args.clients,
        "requests_before": len(before),
        "requests_after": len(after),
        "failed_after_kill": len(failed),
        "slow_threshold_ms": round(slow_threshold, 1),
        "slow_after_kill": len(slow),
        "last_failed_ms": round(max(r[1] for r in failed) - killed_at) if failed else None,
        "last_disturbed_ms": round(max(r[1] for r in disturbed) - killed_at) if disturbed else 0,
        "max_latency_after_kill_ms": round(max((r[1] - r[0] for r in after), default=0), 1),
        "gateway_breaker_open_ms": first(gateway_open),
        "gateway_instance_dropped_ms": first(gateway_gone),
        "gateway_routes_around_ms": min(routed_around) if routed_around else None,
        "cluster_member_removed_ms": min(members_removed) if members_removed else None,
        "survivors_dropped_record_ms": min(record_removed) if record_removed else None,
        "survivors": survivors,
    }
    say(f"  after kill -9: {len(failed)} failed and {len(slow)} slow (> {slow_threshold:.0f} ms) of {len(after)} "
        f"requests, last disturbed at +{result['last_disturbed_ms']} ms; breaker open +{result['gateway_breaker_open_ms']} ms, "
        f"member removed +{result['cluster_member_removed_ms']} ms, record dropped by survivors "
        f"+{result['survivors_dropped_record_ms']} ms, gateway dropped it +{result['gateway_instance_dropped_ms']} ms")
    write_json(fragment(args.run_dir, "kill"), result)


def cmd_pgbench(args):
    """PostgreSQL alone, on the saga's short write transactions (bench/pgbench-saga.sql), at the saga's pool sizes."""
    env = dict(os.environ, PGPASSWORD=args.password, PGCONNECT_TIMEOUT="5")
    results = []
    for clients in [int(c) for c in args.clients.split(",")]:
        command = [args.pgbench, "-h", args.host, "-p", str(args.port), "-U", args.user, "-n", "-M", "prepared",
                   "-c", str(clients), "-j", str(min(2, clients)), "-T", str(args.duration),
                   "-f", args.script, args.database]
        completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.duration + 60)
        if completed.returncode != 0:
            raise SystemExit(f"pgbench failed: {completed.stderr.strip()}")
        text = completed.stdout
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
        latency = re.search(r"latency average = ([\d.]+) ms", text)
        runs = re.search(r"number of transactions actually processed: (\d+)", text)
        row = {"clients": clients, "script_runs_per_s": float(tps.group(1)) if tps else None,
               "latency_avg_ms": float(latency.group(1)) if latency else None,
               "script_runs": int(runs.group(1)) if runs else None,
               "commits_per_script_run": args.commits_per_run}
        if row["script_runs_per_s"]:
            row["commits_per_s"] = round(row["script_runs_per_s"] * args.commits_per_run, 1)
        results.append(row)
        say(f"  pgbench -c {clients}: {row['script_runs_per_s']:.0f} saga-equivalent orders/s "
            f"({row.get('commits_per_s', 0):.0f} short write transactions/s), latency {row['latency_avg_ms']} ms")
    write_json(fragment(args.run_dir, "pgbench"), {"duration_s": args.duration, "runs": results,
                                                   "load_average_after": load_average()})


def cmd_rss_now(args):
    entries = [line.split() for line in open(args.pids_file) if line.strip()]
    snapshot = {}
    for name, pid in entries:
        rss = rss_kib(int(pid))
        if rss is not None:
            snapshot[name] = round(rss / 1024, 1)
    say("  RSS " + ", ".join(f"{k} {v:.0f} MiB" for k, v in snapshot.items()))
    path = fragment(args.run_dir, "memory")
    memory = read_json(path, {})
    memory.setdefault("snapshots", {})[args.label] = snapshot
    write_json(path, memory)


def cmd_note(args):
    """Records a small JSON value (or a number/string) under a fragment key."""
    path = fragment(args.run_dir, args.fragment)
    value = read_json(path, {})
    try:
        parsed = json.loads(args.value)
    except ValueError:
        parsed = args.value
    node = value
    keys = args.key.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = parsed
    write_json(path, value)


STARTUP_PHASES = [  # (phase, the first log line that ends it)
    ("main() reached", r"\] (NodeLifecycle|ServiceHost|Gateway) - starting "),
    ("cluster joined", r"\] ClusterService - "),
    ("database migrated", r"\] Database - database ready"),
    ("ready", r"(ready in \d+ ms|gateway listening on port)"),
]


def cmd_ready_log(args):
    """Where each JVM's start-up went, from its log: ms after the spawn at which each phase ended."""
    result = {}
    for item in args.log:
        name, path = item.split("=", 1)
        phases = {}
        for phase, pattern in STARTUP_PHASES:
            lines = log_lines_matching(path, pattern, args.start_ms - 60_000)
            if lines:
                phases[phase] = round(lines[0][0] - args.start_ms)
        result[name] = phases
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("token")
    p.add_argument("--url", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("restock")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--prefix", default="BENCH-")
    p.add_argument("--skus", type=int, default=100)
    p.add_argument("--quantity", type=int, default=1_000_000_000)
    p.set_defaults(func=cmd_restock)

    p = sub.add_parser("wait-ready")
    p.add_argument("--start-ms", type=float, required=True)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--url", action="append", required=True, help="name=http://host:port/ready")
    p.add_argument("--pid", action="append", help="name=pid: fail at once when it exits")
    p.add_argument("--proxied", help="a GET through the gateway that must be routed")
    p.add_argument("--token-file")
    p.add_argument("--out")
    p.set_defaults(func=cmd_wait_ready)

    p = sub.add_parser("rss-sampler")
    p.add_argument("--pids-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--max-seconds", type=float, default=3600)
    p.set_defaults(func=cmd_rss_sampler)

    p = sub.add_parser("rss-now")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--pids-file", required=True)
    p.add_argument("--label", required=True)
    p.set_defaults(func=cmd_rss_now)

    p = sub.add_parser("proxy-run")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rate", type=int)
    p.add_argument("--addrs")
    p.add_argument("--proxy-pid", action="append")
    p.add_argument("--backend-pid", action="append")
    p.add_argument("--client-cert", help="PEM certificate wrk presents (an https URL that requires one)")
    p.add_argument("--client-key", help="its PEM key")
    p.add_argument("--wrk-preload", help="bench/wrk-client-cert.c built, which makes wrk present them")
    p.set_defaults(func=cmd_proxy_run)

    p = sub.add_parser("saga")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--database", required=True)
    p.add_argument("--gateway", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--order-log", required=True)
    p.add_argument("--inventory-log", action="append", required=True)
    p.add_argument("--steps", default="2,4,8,16,32,64,128")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--growth", type=float, default=0.05, help="a step must beat the best by this much to go on")
    p.add_argument("--drain-timeout", type=float, default=30, help="seconds a step's orders may take to settle")
    p.add_argument("--behind", type=float, default=0.85,
                   help="stop stepping when completed/s falls below this share of accepted/s")
    p.add_argument("--settle-timeout", type=float, default=90, help="wait for the backlog before the paced runs")
    p.add_argument("--order-timeout", type=float, default=15, help="how long a client waits for its order")
    p.add_argument("--paced", default="", help="comma-separated paced rates (orders/s) after the steps")
    p.add_argument("--paced-connections", type=int, default=64)
    p.add_argument("--paced-peak-fraction", type=float, default=0,
                   help="then a paced step at this share of the peak's completed/s (the latency goal's load)")
    p.add_argument("--overload", type=float, default=0,
                   help="then an open-loop step at this multiple of the peak's completed/s (bounded acceptance)")
    p.add_argument("--warmup-duration", type=float, default=0,
                   help="seconds of each warm-up step (the steps' --duration when not given)")
    p.add_argument("--warmup-steps", default="",
                   help="comma-separated numbers in flight of unrecorded steps run first")
    p.add_argument("--skus", type=int, default=100)
    p.add_argument("--pid", action="append", help="name=pid, CPU accounted per name")
    p.add_argument("--pg-database", action="append", help="PostgreSQL databases whose backends' CPU is accounted")
    p.set_defaults(func=cmd_saga)

    p = sub.add_parser("kill-watch")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--victim-pid", type=int, required=True)
    p.add_argument("--victim-name", required=True)
    p.add_argument("--victim-port", type=int, required=True)
    p.add_argument("--gateway-log", required=True)
    p.add_argument("--survivor-log", action="append", required=True, help="name=path")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--pause-ms", type=float, default=5)
    p.add_argument("--kill-after", type=float, default=3)
    p.add_argument("--duration", type=float, default=15)
    p.set_defaults(func=cmd_kill_watch)

    p = sub.add_parser("pgbench")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--pgbench", default="pgbench")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--user", default="saga")
    p.add_argument("--password", default="saga")
    p.add_argument("--database", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--clients", default="16")
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--commits-per-run", type=int, default=5)
    p.set_defaults(func=cmd_pgbench)

    p = sub.add_parser("note")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--fragment", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--value", required=True)
    p.set_defaults(func=cmd_note)

    p = sub.add_parser("ready-log")
    p.add_argument("--log", action="append", required=True, help="name=path")
    p.add_argument("--start-ms", type=float, required=True, help="when the JVMs were spawned")
    p.set_defaults(func=cmd_ready_log)

    p = sub.add_parser("report")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--docs")
    p.set_defaults(func=lambda a: __import__("benchreport").report(a))

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    sys.path.insert(0, BENCH_DIR)
    main()
