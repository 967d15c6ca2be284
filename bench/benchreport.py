"""Merges the fragments of a bin/bench run into one JSON document and renders it as Markdown, goals first."""
import glob
import json
import os

from benchtool import read_json, write_json

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
MIB = 1024.0


def load_fragments(run_dir):
    fragments = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "fragments", "*.json"))):
        fragments[os.path.basename(path)[:-5]] = read_json(path)
    return fragments


def peak_rss(run_dir, phases):
    """Highest RSS (MiB) per process name within the given phases ([start, end] epoch ms), from the sampler."""
    peaks = {}
    try:
        lines = open(os.path.join(run_dir, "rss.samples")).read().split("\n")
    except OSError:
        return peaks
    for line in lines:
        parts = line.split()
        if len(parts) != 4:
            continue
        stamp, name, _pid, rss = int(parts[0]), parts[1], parts[2], int(parts[3])
        if any(start <= stamp <= end for start, end in phases):
            peaks[name] = max(peaks.get(name, 0), round(rss / MIB, 1))
    return peaks


def ratio(a, b, digits=2):
    return round(a / b, digits) if a and b else None


TLS_OFF = "-tls-off"  # the suffix of section 6's fragments and phases: the system started with CLUSTER_TLS=off


def build(run_dir):
    f = load_fragments(run_dir)
    doc = {"run": f.get("machine", {})}

    # 1. proxies
    names = ["gateway", "gateway-nojwt", "nginx", "haproxy", "direct"]
    proxy = {"runs": {}, "paced": {}}
    for name in names:
        if f.get(f"proxy-{name}"):
            proxy["runs"][name] = f[f"proxy-{name}"]
        if f.get(f"proxy-{name}-paced"):
            proxy["paced"][name] = f[f"proxy-{name}-paced"]
    runs = proxy["runs"]

    def rps(name):
        return runs.get(name, {}).get("rps")

    proxy["ratios"] = {
        "gateway/nginx": ratio(rps("gateway"), rps("nginx")),
        "gateway/haproxy": ratio(rps("gateway"), rps("haproxy")),
        "gateway/direct": ratio(rps("gateway"), rps("direct")),
        "gateway-nojwt/nginx": ratio(rps("gateway-nojwt"), rps("nginx")),
        "gateway-nojwt/haproxy": ratio(rps("gateway-nojwt"), rps("haproxy")),
        "gateway-nojwt/direct": ratio(rps("gateway-nojwt"), rps("direct")),
    }
    paced = proxy["paced"]
    if paced.get("gateway") and paced.get("direct"):
        proxy["added_p99_at_half_nginx_ms"] = round(
            (paced["gateway"]["latency_us"]["p99"] - paced["direct"]["latency_us"]["p99"]) / 1000.0, 3)
    # A paced run that did not hold its rate (the machine, or the target, could not keep up) measured something else
    # than the latency at that rate: the added p99 then compares runs at different loads, and meets no goal.
    held = {name: run["rps"] >= 0.95 * run["target_rate"] for name, run in paced.items() if run.get("target_rate")}
    proxy["paced_rate_held"] = held
    if paced.get("gateway-nojwt") and paced.get("direct"):
        proxy["added_p99_at_half_nginx_nojwt_ms"] = round(
            (paced["gateway-nojwt"]["latency_us"]["p99"] - paced["direct"]["latency_us"]["p99"]) / 1000.0, 3)
    proxy["settings"] = f.get("proxy-settings", {})
    doc["proxy"] = proxy

    # 2. saga and 3. outbox
    saga = {}
    for db in ("postgresql", "h2"):
        s = f.get(f"saga-{db}")
        if not s:
            continue
        peak = next((step for step in s["steps"] if step["name"] == s.get("peak")), None)
        s["peak_step"] = peak
        saga[db] = s
    saga["pgbench"] = f.get("pgbench")
    doc["saga"] = saga
    outbox = {}
    pg = saga.get("postgresql")
    if pg:
        light = next((p for p in pg.get("paced", []) if p["target_rate"] and p["target_rate"] <= 50), None)
        outbox["light"] = {"load": f"{light['target_rate']} orders/s", "lag_ms": light["outbox_lag_ms"]} if light else None
        if pg.get("peak_step"):
            outbox["peak"] = {"load": f"{pg['peak_step']['name']} ({pg['peak_step']['completed_per_s']} orders/s)",
                              "lag_ms": pg["peak_step"]["outbox_lag_ms"]}
    doc["outbox"] = outbox

    doc["tls"] = tls_cost(f, proxy, saga)

    # 4. cluster
    doc["cluster"] = {"cold_start": {db: f.get(f"cold-start-{db}") for db in ("postgresql", "postgresql" + TLS_OFF, "h2")
                                     if f.get(f"cold-start-{db}")},
                      "kill": f.get("kill"), "bare": f.get("cold-start-bare")}

    # 5. memory
    phases = f.get("phases", {})
    memory = {"idle": (f.get("memory") or {}).get("snapshots", {})}
    for system in ("postgresql", "postgresql" + TLS_OFF, "h2"):
        windows = [v for k, v in phases.items() if k.startswith(system + "-load")]
        if windows:
            memory.setdefault("peak", {})[system] = peak_rss(run_dir, windows)
    memory["jvm_options"] = (f.get("machine") or {}).get("java_options", "")
    memory["jvm_options_file"] = (f.get("machine") or {}).get("jvm_options_file", "")
    doc["memory"] = memory
    doc["goals"] = goals(doc)
    return doc


def tls_cost(f, proxy, saga):
    """Section 6: the same runs with TLS on (sections 1 and 2) and off (the system started again without it)."""
    tls = {"proxy": {}, "saga": None, "ratios": {}}
    for name in ("gateway", "direct"):
        on, off = proxy["runs"].get(name), f.get(f"proxy-{name}{TLS_OFF}")
        if on and off:
            tls["proxy"][name] = {"on": on, "off": off}
            tls["ratios"][f"{name} req/s"] = ratio(on["rps"], off["rps"], 3)
            tls["ratios"][f"{name} p99"] = ratio(on["latency_us"]["p99"], off["latency_us"]["p99"], 3)
    on_saga, off_saga = saga.get("postgresql"), f.get(f"saga-postgresql{TLS_OFF}")
    off_step = next((step for step in (off_saga or {}).get("steps", []) if step["name"] == off_saga.get("peak")), None)
    on_step = next((step for step in (on_saga or {}).get("steps", [])
                    if off_step and step["connections"] == off_step["connections"]), None)
    if on_step and off_step:
        tls["saga"] = {"connections": off_step["connections"], "on": on_step, "off": off_step,
                       "warmup": off_saga.get("warmup")}
        tls["ratios"]["saga completed/s"] = ratio(on_step["completed_per_s"], off_step["completed_per_s"], 3)
    return tls


def difference(on_over_off):
    """0.93 -> "7.0 % less"."""
    change = (1 - on_over_off) * 100
    return f"{abs(change):.1f} % {'less' if change >= 0 else 'more'}"


def goals(doc):
    rows = []
    proxy = doc.get("proxy", {})
    r = proxy.get("ratios", {})
    rows.append(("Gateway throughput vs nginx", ">= 1.0x", r.get("gateway/nginx"),
                 lambda v: v >= 1.0, lambda v: f"{v}x" + (f" (without JWT at the gateway: {r['gateway-nojwt/nginx']}x)"
                                                       if r.get("gateway-nojwt/nginx") else "")))
    added = proxy.get("added_p99_at_half_nginx_ms")
    rate = (proxy.get("paced", {}).get("gateway") or {}).get("target_rate")
    held = proxy.get("paced_rate_held", {})
    short = [name for name in ("gateway", "direct") if not held.get(name, True)]
    rows.append((f"Added p99 over direct at half nginx's peak ({rate} req/s)", "<= 1 ms", added,
                 lambda v: v <= 1.0 and not short,
                 lambda v: f"{v:+.2f} ms"
                           + (f" (without JWT: {proxy['added_p99_at_half_nginx_nojwt_ms']} ms)"
                              if proxy.get("added_p99_at_half_nginx_nojwt_ms") is not None else "")
                           + (f"; {' and '.join(short)} fell short of the rate" if short else "")))
    pg = doc.get("saga", {}).get("postgresql") or {}
    peak = pg.get("peak_step") or {}
    pgbench_runs = (doc.get("saga", {}).get("pgbench") or {}).get("runs") or [{}]
    bound = pgbench_runs[0].get("script_runs_per_s")
    closed = peak.get("completed_per_s")
    # The saga's throughput is what it settles while orders wait for it (the open-loop steps, whose backlog never
    # empties); the closed loop's peak is bound by its clients' round trips (N in flight / the time an order takes).
    open_loop = [st["completed_per_s"] for st in (pg.get("capacity"), pg.get("overload")) if st]
    completed = max(open_loop) if open_loop else closed
    rows.append(("Saga completed orders/s on PostgreSQL (open loop, backlogged) vs the pgbench bound of its unbatched "
                 "transactions", ">= 1.0x",
                 ratio(completed, bound) if completed and bound else None, lambda v: v >= 1.0,
                 lambda v: f"{v}x: {completed:.0f}/s against pgbench {bound:.0f}/s; closed loop "
                           f"{closed:.0f}/s with {peak.get('connections')} orders in flight "
                           f"({ratio(closed, bound)}x)"))
    third = next((p for p in pg.get("paced", []) if p.get("peak_fraction")), None)
    p99 = (third or {}).get("accepted_to_confirmed_ms", {}).get("p99")
    rows.append((f"Accepted-to-CONFIRMED p99 at a third of the peak ({(third or {}).get('target_rate')} orders/s, "
                 f"PostgreSQL)", "< 50 ms", p99, lambda v: v < 50,
                 lambda v: f"{v:.0f} ms (p50 {third['accepted_to_confirmed_ms'].get('p50'):.0f} ms)"))
    over = pg.get("overload")
    if over:
        capacity = over.get("capacity_per_s") or completed
        # Little's law: a backlog held at ORDER_MAX_PENDING drains in about bound/capacity; twice that is the wait an
        # accepted order may see, whatever the offered load.
        bound_ms = 2 * 1000 * 1000.0 / capacity if capacity else None
        a2c_p99 = over["accepted_to_confirmed_ms"].get("p99")
        rows.append((f"Bounded acceptance, open loop at {over['overload_factor']:g}x the capacity "
                     f"({over['target_rate']} orders/s offered)",
                     "refusals counted; completed/s >= 0.9x capacity; all accepted settle; accepted→CONFIRMED p99 "
                     "<= 2x ORDER_MAX_PENDING / capacity",
                     over["completed_per_s"] / capacity if capacity else None,
                     lambda v: v >= 0.9 and over["refused"] > 0 and not over["unsettled_after_drain"]
                     and a2c_p99 is not None and bound_ms is not None and a2c_p99 <= bound_ms,
                     lambda v: f"{v:.2f}x ({over['completed_per_s']:.0f} of {capacity:.0f}/s); refused "
                               f"{over['refused']} ({over['refused_per_s']:.0f}/s); "
                               f"{over['unsettled_after_drain']} accepted not settled; p99 {fmt(a2c_p99, 0)} ms "
                               f"(bound {fmt(bound_ms, 0)} ms)"))
    outbox = doc.get("outbox", {})
    for key in ("light", "peak"):
        lag = ((outbox.get(key) or {}).get("lag_ms") or {}).get("all") or {}
        rows.append((f"Outbox commit-to-handled p50, {key} load ({(outbox.get(key) or {}).get('load')})", "< 5 ms",
                     lag.get("p50"), lambda v: v < 5, lambda v: f"{v} ms"))
        rows.append((f"Outbox commit-to-handled p99, {key} load", "< 50 ms", lag.get("p99"),
                     lambda v: v < 50, lambda v, worst=lag.get("max"): f"{v} ms (max {worst} ms)"))
    cold = doc.get("cluster", {}).get("cold_start", {})
    for db, c in cold.items():
        if db.endswith(TLS_OFF):
            continue  # shown in section 4; the goal is the product's, with TLS on
        value = c.get("first_proxied_answer_ms") or c.get("all_ready_ms")
        bare = (doc.get("cluster", {}).get("bare") or {}).get("all_joined_ms")
        if bare:
            rows.append((f"Cold start to a routed request, whole system ({db}), vs bare clustered nodes", "<= 1.5x",
                         value / bare if value else None, lambda v: v <= 1.5,
                         lambda v, total=value: f"{v:.2f}x ({total / 1000.0:.1f} s vs {bare / 1000.0:.1f} s)"))
        else:
            rows.append((f"Cold start to a routed request, whole system ({db})", "< 10 s",
                         value / 1000.0 if value else None, lambda v: v < 10, lambda v: f"{v:.1f} s"))
    kill = doc.get("cluster", {}).get("kill") or {}
    routed = kill.get("gateway_routes_around_ms")
    rows.append(("kill -9 of an instance to the gateway routing around it", "< 5 s",
                 routed / 1000.0 if routed is not None else None, lambda v: v < 5,
                 lambda v: f"{v:.2f} s (survivors drop its record at "
                           f"{(kill.get('survivors_dropped_record_ms') or 0) / 1000:.1f} s)"))
    peaks = doc.get("memory", {}).get("peak", {})
    worst = None
    for system, values in peaks.items():
        if system.endswith(TLS_OFF):
            continue
        for name, value in values.items():
            if worst is None or value > worst[1]:
                worst = (f"{name}, {system}", value)
    rows.append(("RSS per service under load (worst)", "<= 256 MiB", worst[1] if worst else None,
                 lambda v: v <= 256, lambda v: f"{v:.0f} MiB ({worst[0]})"))
    tls = doc.get("tls", {})
    gateway, s6 = tls.get("proxy", {}).get("gateway"), tls.get("saga")
    rows.append(("Gateway throughput, TLS on against off (section 6)", ">= 0.90x (at most 10 % less)",
                 tls.get("ratios", {}).get("gateway req/s"), lambda v: v >= 0.9,
                 lambda v: f"{v:.2f}x ({difference(v)}): {gateway['on']['rps']:.0f} against "
                           f"{gateway['off']['rps']:.0f} req/s; p99 {gateway['on']['latency_us']['p99'] / 1000:.1f} "
                           f"against {gateway['off']['latency_us']['p99'] / 1000:.1f} ms"))
    in_flight = f", {s6['connections']} in flight" if s6 else ""
    rows.append((f"Saga completed orders/s on PostgreSQL, TLS on against off (section 6{in_flight})",
                 ">= 0.90x (at most 10 % less)", tls.get("ratios", {}).get("saga completed/s"), lambda v: v >= 0.9,
                 lambda v: f"{v:.2f}x ({difference(v)}): {s6['on']['completed_per_s']:.0f} against "
                           f"{s6['off']['completed_per_s']:.0f}/s"))
    result = []
    for goal, target, value, check, show in rows:
        result.append({"goal": goal, "target": target, "measured": value,
                       "shown": show(value) if value is not None else "not measured",
                       "met": bool(check(value)) if value is not None else None})
    return result


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(doc):
    run = doc.get("run", {})
    out = []
    w = out.append
    w("# Benchmarks")
    w("")
    w(f"Measured by `bin/bench` on {run.get('started', '?')} (run `{run.get('run_id', '?')}`), "
      f"branch `{run.get('git_branch', '?')}` at `{run.get('git_commit', '?')}`{' (with uncommitted changes)' if run.get('git_dirty') else ''}.")
    w("")
    w("Reproduce with:")
    w("")
    w("```sh")
    w(run.get("command", "bin/bench"))
    w("```")
    w("")
    w("| machine | |")
    w("| --- | --- |")
    w(f"| CPU | {run.get('cpu_model', '?')}, `nproc` = {run.get('nproc', '?')} |")
    w(f"| memory | {run.get('memory', '?')} |")
    w(f"| Java | {run.get('java_version', '?')} |")
    w(f"| kernel | {run.get('kernel', '?')} |")
    w(f"| PostgreSQL | {run.get('postgresql', '?')} |")
    w(f"| tools | {run.get('tools', '?')} |")
    w(f"| load average (1/5/15 min) | at start {run.get('load_start', '?')}, at end {run.get('load_end', '?')} |")
    w(f"| duration | {run.get('duration_s', '?')} s |")
    w("")
    w("Other work ran on this machine at the same time (the load averages above say how much), and every process of "
      "the benchmark (load generator, proxies, JVMs, PostgreSQL) shares its cores: read the figures as this "
      "machine's, not as capacity planning numbers. Each figure is one run"
      + (" (--quick: short runs)." if run.get("quick") else ", but for the unpaced proxy runs, which are the better of two."))
    w("")
    w("## Goals")
    w("")
    w("| goal | target | measured | |")
    w("| --- | --- | --- | --- |")
    for g in doc["goals"]:
        mark = "met" if g["met"] else ("**not met**" if g["met"] is False else "–")
        w(f"| {g['goal']} | {g['target']} | {g['shown']} | {mark} |")
    w("")

    proxy = doc.get("proxy", {})
    s = proxy.get("settings", {})
    w("## 1. Gateway against nginx, HAProxy and direct calls")
    w("")
    w(f"`GET /api/inventory/{{sku}}` with a bearer token, two inventory-service instances (PostgreSQL) behind each "
      f"proxy; wrk, {s.get('threads', 2)} threads, {s.get('connections', '?')} connections, "
      f"{s.get('warmup_s', '?')} s warm-up then {s.get('duration_s', '?')} s measured, one target after the other, "
      f"after {s.get('jit_warmup_s', '?')} s of the same load through the gateway (and through each newly started "
      f"gateway JVM): its hot paths are compiled only after some seconds at full load. "
      f"Proxies: the gateway ({s.get('gateway_instances', '?')} event loops), nginx ({s.get('workers', '?')} workers, "
      f"`upstream` round-robin, `keepalive 64`), HAProxy ({s.get('workers', '?')} threads, `balance roundrobin`, "
      f"`http-reuse always`); \"direct\" spreads the wrk threads over the two instances. wrk speaks plain HTTP to "
      f"the gateway and the proxies; every hop to a service is HTTPS with a client certificate of the deployment's "
      f"CA (`CLUSTER_TLS=on`, as bin/run runs the system): the gateway presents its own, nginx, HAProxy and direct "
      f"wrk the `operator` one (wrk through bench/wrk-client-cert.c), each checks the instance's certificate "
      f"against the CA and the name `inventory-service`, and keeps its connections alive and (nginx, HAProxy) its "
      f"TLS sessions, so a handshake is rare. The services verify the token "
      f"in every case; nginx and HAProxy pass it through. \"gateway, no JWT\" is the same gateway jar with the token "
      f"verifier replaced on its class path by one that accepts any bearer token without looking at it "
      f"(bench/java/, never in the product jar): it shows what verification at the edge costs, everything else equal. "
      f"Proxy CPU is the CPU time the proxy's processes used during the run, per request (µs).")
    w("")
    w("| target | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | proxy CPU µs/req | backends CPU µs/req |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    labels = {"gateway": "gateway (JWT verified)", "gateway-nojwt": "gateway, no JWT", "nginx": "nginx",
              "haproxy": "HAProxy", "direct": "direct"}
    for name, r in proxy.get("runs", {}).items():
        lat = r["latency_us"]
        w(f"| {labels.get(name, name)} | {r['rps']:.0f} | {lat['p50'] / 1000:.2f} | {lat['p90'] / 1000:.2f} | "
          f"{lat['p99'] / 1000:.2f} | {lat['p99_9'] / 1000:.2f} | {r['error_count']} | "
          f"{fmt(r.get('proxy_cpu_us_per_request'), 0)} | {fmt(r.get('backend_cpu_us_per_request'), 0)} |")
    w("")
    r = proxy.get("ratios", {})
    w(f"Throughput ratios: gateway/nginx **{fmt(r.get('gateway/nginx'), 2)}**, gateway/HAProxy "
      f"**{fmt(r.get('gateway/haproxy'), 2)}**, gateway/direct **{fmt(r.get('gateway/direct'), 2)}**; without JWT at "
      f"the gateway {fmt(r.get('gateway-nojwt/nginx'), 2)}, {fmt(r.get('gateway-nojwt/haproxy'), 2)} and "
      f"{fmt(r.get('gateway-nojwt/direct'), 2)}.")
    w("")
    if proxy.get("paced"):
        rate = next(iter(proxy["paced"].values()))["target_rate"]
        w(f"At a fixed rate of {rate} req/s (half nginx's peak), same connections, wrk paced by bench/wrk.lua:")
        w("")
        w("| target | achieved req/s | p50 ms | p99 ms | p99.9 ms | added p99 over direct |")
        w("| --- | ---: | ---: | ---: | ---: | ---: |")
        direct = proxy["paced"].get("direct")
        for name, r in proxy["paced"].items():
            lat = r["latency_us"]
            added = (lat["p99"] - direct["latency_us"]["p99"]) / 1000 if direct and name != "direct" else None
            w(f"| {labels.get(name, name)} | {r['rps']:.0f} | {lat['p50'] / 1000:.2f} | {lat['p99'] / 1000:.2f} | "
              f"{lat['p99_9'] / 1000:.2f} | {'' if added is None else f'{added:+.2f} ms'} |")
        w("")

    saga = doc.get("saga", {})
    w("## 2. The saga end to end")
    w("")
    w("`POST /api/orders` (one line, one of 100 SKUs at random, stocked far beyond the run) through the gateway. "
      "Steps: *N in flight* is N clients (bench/benchtool.py), each placing an order and waiting until order-service "
      "settles it (its `published event=OrderConfirmed` log line, followed every 2 ms) before placing the next, so "
      "N sagas are under way at any time; N doubles until completed orders/s stop growing by 5 % twice in a row. "
      "Then wrk paces orders at fixed rates over 64 connections, whatever the saga does (open loop). "
      "*accepted/s*: 202 answers per second; *completed/s*: orders of the step settled within the step; "
      "*accepted→CONFIRMED*: from order-service logging the commit of the `PENDING` order "
      "(`published event=OrderPlaced`) to logging the commit of `CONFIRMED` (`published event=OrderConfirmed`), "
      "ms resolution. POST latency: the client's (Python's for the steps, wrk's for the paced runs). "
      "CPU ms/order: CPU time of each process group during the step, per order (PostgreSQL: the backends serving "
      "the two databases); the load generator's own CPU is not counted.")
    w("")
    for db, label in (("postgresql", "PostgreSQL"), ("h2", "H2 (embedded default)")):
        s = saga.get(db)
        if not s:
            continue
        w(f"### {label}")
        w("")
        overload = ([s["capacity"]] if s.get("capacity") else []) + ([s["overload"]] if s.get("overload") else [])
        groups = sorted({k for step in s["steps"] + s.get("paced", []) + overload for k in step["cpu_ms_per_order"]})
        w("| step | accepted/s | completed/s | POST p50 ms | POST p99 ms | accepted→CONFIRMED p50 ms | p99 ms | "
          "max ms | drain ms | " + " | ".join(f"CPU {g} ms/order" for g in groups) + " |")
        w("| --- " + "| ---: " * (8 + len(groups)) + "|")
        for step in s["steps"] + s.get("paced", []) + overload:
            a2c = step["accepted_to_confirmed_ms"]
            name = f"{step['connections']} in flight" if not step.get("target_rate") else \
                f"paced {step['target_rate']}/s ({step['connections']} connections)"
            if step["name"].startswith("capacity"):
                name = f"open loop {step['target_rate']}/s = 3x the peak: the capacity ({step['connections']} connections)"
            if step.get("overload_factor"):
                name = f"open loop {step['target_rate']}/s = {step['overload_factor']:g}x the capacity ({step['connections']} connections)"
            if step["name"] == s.get("peak"):
                name = f"**{name} (peak)**"
            left = f" ({step['unsettled_after_drain']} not settled)" if step["unsettled_after_drain"] else ""
            w(f"| {name} | {step['accepted_per_s']:.0f} | {step['completed_per_s']:.0f} | "
              f"{fmt(step['post_latency_ms']['p50'], 1)} | {fmt(step['post_latency_ms']['p99'], 1)} | "
              f"{fmt(a2c.get('p50'), 0)} | {fmt(a2c.get('p99'), 0)} | {fmt(a2c.get('max'), 0)} | {step['drain_ms']}{left} | "
              + " | ".join(fmt(step["cpu_ms_per_order"].get(g), 2) for g in groups) + " |")
        if s.get("stopped"):
            w("")
            w(f"Stepping stopped: {s['stopped']}.")
        if s.get("files_mib"):
            w("")
            w("H2 database files at the end of the run: " + ", ".join(
                f"{name} {size} MiB" for name, size in s["files_mib"].items()) + ".")
        if s.get("stopped"):
            pass
        elif s["steps"] and s.get("peak") == s["steps"][-1]["name"]:
            w("")
            w(f"Completed orders/s were still growing at the largest step ({s['steps'][-1]['connections']} in flight).")
        if s.get("overload"):
            o = s["overload"]
            capacity = o.get("capacity_per_s") or max(st['completed_per_s'] for st in s['steps'])
            w("")
            w(f"Bounded acceptance (`ORDER_MAX_PENDING`, default 1000): at {o['target_rate']} orders/s offered for "
              f"{o['duration_s']:.0f} s, order-service refused {o['refused']} ({o['refused_per_s']:.0f}/s, 503 with "
              f"Retry-After) and accepted {o['accepted']}; {o['completed_per_s']:.0f} completed/s against the "
              f"capacity's {capacity:.0f} (the closed-loop peak: "
              f"{max(st['completed_per_s'] for st in s['steps']):.0f}); accepted→CONFIRMED p99 "
              f"{fmt(o['accepted_to_confirmed_ms'].get('p99'), 0)} ms (max {fmt(o['accepted_to_confirmed_ms'].get('max'), 0)} ms); "
              f"{o['unsettled_after_drain']} accepted orders not settled {o['drain_ms']} ms after the step.")
        backlog = s.get("backlog_before_paced") or {}
        if backlog.get("unsettled"):
            w(f" The paced runs started with {backlog['unsettled']} orders of the steps still unsettled.")
        w("")
    pgb = saga.get("pgbench")
    if pgb:
        w("### PostgreSQL alone (pgbench)")
        w("")
        w(f"`bench/pgbench-saga.sql`: per order, the saga's five short write transactions with the same statements "
          f"on the same schema (place, reserve, mark delivered, settle, mark delivered; `PgbenchScriptTest` checks "
          f"both against the services), `-M prepared`, {pgb['duration_s']} s, as many clients as the saga's two "
          f"connection pools together.")
        w("")
        w("| clients | saga-equivalent orders/s | short write transactions/s | latency avg ms |")
        w("| ---: | ---: | ---: | ---: |")
        for row in pgb["runs"]:
            w(f"| {row['clients']} | {fmt(row['script_runs_per_s'], 0)} | {fmt(row.get('commits_per_s'), 0)} | "
              f"{fmt(row['latency_avg_ms'], 2)} |")
        pg = saga.get("postgresql")
        if pg and pg.get("peak_step") and pgb["runs"] and pgb["runs"][0]["script_runs_per_s"]:
            share = pg["peak_step"]["completed_per_s"] / pgb["runs"][0]["script_runs_per_s"]
            w("")
            w(f"The saga's peak on PostgreSQL is **{share:.0%}** of what PostgreSQL alone does with the same "
              f"transactions on this machine (with the whole saga sharing the same two cores).")
        w("")

    w("## 3. Outbox: commit to handled")
    w("")
    w("From the consumers' `handled ... outcome=applied lag_ms=N`: the handling time (after the consumer's commit) "
      "minus the event's `time`, set in the emitting transaction just before its commit. Both hops of the saga: "
      "`OrderPlaced` (order-service → inventory-service) and `InventoryReserved` (inventory-service → order-service). "
      "PostgreSQL.")
    w("")
    w("| load | hop | n | p50 ms | p90 ms | p99 ms | max ms |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for key, value in (doc.get("outbox") or {}).items():
        if not value:
            continue
        for hop, d in value["lag_ms"].items():
            if d.get("n"):
                w(f"| {key}: {value['load']} | {hop} | {d['n']} | {d['p50']} | {d['p90']} | {d['p99']} | {d['max']} |")
    w("")

    cluster = doc.get("cluster", {})
    w("## 4. Cluster timings")
    w("")
    w("All JVMs spawned at once (as bin/run does) with fresh databases; times after the spawn. The phases come from "
      "each JVM's log (the first line of each: `starting`, Hazelcast's member list, `database ready`, `ready in`); "
      "the last column is the first 200 of its `/ready` (a service's on its `OPS_PORT`), polled every 20 ms. The "
      "gateway has no database. TLS is on but for the system marked tls-off (section 6).")
    w("")
    phase_names = ["main() reached", "cluster joined", "database migrated", "ready"]
    w("| system | JVM | " + " | ".join(phase_names) + " | `/ready` answers 200 |")
    w("| --- | --- | " + "---: | " * (len(phase_names) + 1))
    for db, c in cluster.get("cold_start", {}).items():
        phases = c.get("phases_ms", {})
        for name, ms in c["ready_ms"].items():
            p = phases.get(name, {})
            w(f"| {db} | {name} | " + " | ".join(fmt_ms(p.get(ph)) for ph in phase_names) + f" | {fmt_ms(ms)} |")
        w(f"| {db} | **whole system, first request routed by the gateway** | | | | | "
          f"**{fmt_ms(c.get('first_proxied_answer_ms'))}** |")
    w("")
    bare = cluster.get("bare")
    if bare:
        w(f"The peer, in the same run: {bare['nodes']} bare clustered nodes (`BareClusterNode` of the gateway's "
          f"test-jar: `ClusterNode` with the same Hazelcast, event-bus and TLS settings and JVM options, no database, "
          f"no verticle) spawned at once on the same seeds: first node started {fmt_ms(bare.get('first_started_ms'))}, "
          f"every node counting all {bare['nodes']} members **{fmt_ms(bare.get('all_joined_ms'))}** after the spawn.")
        w("")
    kill = cluster.get("kill")
    if kill:
        w(f"`kill -9` of {kill['victim']} while {kill['clients']} clients keep sending GETs through the gateway "
          f"(times after the kill):")
        w("")
        w("| event | after |")
        w("| --- | ---: |")
        w(f"| gateway opens the instance's circuit breaker (stops routing to it) | {fmt_ms(kill['gateway_breaker_open_ms'])} |")
        w(f"| Hazelcast removes the member (first survivor to log it) | {fmt_ms(kill['cluster_member_removed_ms'])} |")
        w(f"| survivors' janitor removes its discovery record | {fmt_ms(kill['survivors_dropped_record_ms'])} |")
        w(f"| gateway drops the instance from its list | {fmt_ms(kill['gateway_instance_dropped_ms'])} |")
        w(f"| last client request failed or slower than {kill['slow_threshold_ms']:.0f} ms | "
          f"{fmt_ms(kill['last_disturbed_ms'])} |")
        w("")
        w(f"Clients saw {kill['failed_after_kill']} failed and {kill['slow_after_kill']} slow answers out of "
          f"{kill['requests_after']} after the kill (a GET that fails on the dead instance is retried on the other); "
          f"the slowest took {kill['max_latency_after_kill_ms']} ms.")
        w("")

    memory = doc.get("memory", {})
    w("## 5. Resident memory (RSS)")
    w("")
    w(f"VmRSS from /proc, MiB. Idle: after start-up, before any load; peak: highest sample (every 0.5 s) during the "
      f"load sections. The JVMs run as bin/run runs them: `java @deploy/jvm.options -jar`"
      f"{(' (`' + memory['jvm_options_file'] + '`)') if memory.get('jvm_options_file') else ''}"
      f"{(', and JAVA_TOOL_OPTIONS `' + memory['jvm_options'] + '`') if memory.get('jvm_options') else ''}.")
    w("")
    names = sorted({n for snap in memory.get("idle", {}).values() for n in snap}
                   | {n for p in memory.get("peak", {}).values() for n in p})
    w("| process | " + " | ".join(f"idle ({k})" for k in memory.get("idle", {})) + " | "
      + " | ".join(f"peak ({k})" for k in memory.get("peak", {})) + " |")
    w("| --- " + "| ---: " * (len(memory.get("idle", {})) + len(memory.get("peak", {}))) + "|")
    for name in names:
        w(f"| {name} | " + " | ".join(fmt(snap.get(name), 0) for snap in memory.get("idle", {}).values()) + " | "
          + " | ".join(fmt(p.get(name), 0) for p in memory.get("peak", {}).values()) + " |")
    w("")
    tls_markdown(doc, w)
    notes = os.path.join(BENCH_DIR, "profiling.md")
    if os.path.exists(notes):
        w(open(notes).read().rstrip())
        w("")
    return "\n".join(out) + "\n"


def tls_markdown(doc, w):
    tls = doc.get("tls") or {}
    if not tls.get("proxy") and not tls.get("saga"):
        return
    s6 = tls.get("saga")
    warmup = ((s6 or {}).get("warmup") or {}).get("steps", [])
    w("## 6. The cost of TLS")
    w("")
    w("The PostgreSQL system started again in the same run, every JVM with `CLUSTER_TLS=off` (plain event bus and "
      "API ports, no certificates; for development only), on fresh databases, warmed up as in section 1; then the "
      "gateway and direct runs of section 1, as many of them (the better kept), and the saga"
      + (f" at {s6['connections']} in flight, the number of its peak with TLS on, " + (
          f"after the steps that came before the peak there ({', '.join(map(str, warmup))} in flight, unrecorded), "
          f"so that both systems' JVMs had placed as many orders before the step compared" if warmup else
          "its first step there too") if s6 else "")
      + ", with one inventory-service as in section 2. *TLS on* is sections 1 and 2. The client's hop to the gateway "
      "is plain HTTP in both; with TLS on, the gateway's connections to the services and the event bus are mutual "
      "TLS, and direct wrk calls the services over HTTPS with a client certificate. The saga with TLS on ran on "
      "databases that already held the orders of its earlier steps, without TLS on fresh ones, which may favour "
      "TLS off. One run each on a shared machine: the load average before each run says how busy it was.")
    w("")
    w("| measurement | TLS off | TLS on | on/off |")
    w("| --- | ---: | ---: | ---: |")

    def row(label, off, on, digits=1, compared=True):
        w(f"| {label} | {fmt(off, digits)} | {fmt(on, digits)} | {fmt(ratio(on, off, 3), 3) if compared else ''} |")

    for name, label in (("gateway", "gateway (JWT verified)"), ("direct", "direct")):
        pair = tls.get("proxy", {}).get(name)
        if not pair:
            continue
        on, off = pair["on"], pair["off"]
        row(f"{label}: req/s", off["rps"], on["rps"], 0)
        for p in ("p50", "p99"):
            row(f"{label}: {p} ms", off["latency_us"][p] / 1000, on["latency_us"][p] / 1000, 2)
        if name == "gateway":
            row(f"{label}: gateway CPU µs/req", off.get("proxy_cpu_us_per_request"),
                on.get("proxy_cpu_us_per_request"), 0)
        row(f"{label}: backends CPU µs/req", off.get("backend_cpu_us_per_request"),
            on.get("backend_cpu_us_per_request"), 0)
        row(f"{label}: load average before (1 min)", (off.get("load_average_before") or [None])[0],
            (on.get("load_average_before") or [None])[0], 2, compared=False)
    if s6:
        on, off = s6["on"], s6["off"]
        label = f"saga, {s6['connections']} in flight"
        row(f"{label}: completed/s", off["completed_per_s"], on["completed_per_s"], 0)
        row(f"{label}: POST p99 ms", off["post_latency_ms"]["p99"], on["post_latency_ms"]["p99"], 1)
        for p in ("p50", "p99"):
            row(f"{label}: accepted→CONFIRMED {p} ms", off["accepted_to_confirmed_ms"].get(p),
                on["accepted_to_confirmed_ms"].get(p), 0)
        for group in sorted(set(on["cpu_ms_per_order"]) | set(off["cpu_ms_per_order"])):
            row(f"{label}: CPU {group} ms/order", off["cpu_ms_per_order"].get(group),
                on["cpu_ms_per_order"].get(group), 2)
        row(f"{label}: load average before (1 min)", (off.get("load_average_before") or [None])[0],
            (on.get("load_average_before") or [None])[0], 2, compared=False)
    w("")


def fmt_ms(value):
    return "–" if value is None else f"{value / 1000:.2f} s"


FINDINGS_MARKER = "<!-- Above: written by bin/bench. Below: findings written by hand, kept by every run. -->"


def report(args):
    doc = build(args.run_dir)
    write_json(args.json, doc)
    text = markdown(doc)
    with open(args.md, "w") as f:
        f.write(text)
    if args.docs:
        os.makedirs(os.path.dirname(args.docs), exist_ok=True)
        # The findings below the marker (profiles, before-and-after comparisons, what stands in the way of a goal) are
        # written by hand: a run replaces the figures above it and keeps them.
        kept = ""
        if os.path.exists(args.docs):
            with open(args.docs) as f:
                old = f.read()
            if FINDINGS_MARKER in old:
                kept = old[old.index(FINDINGS_MARKER):]
        with open(args.docs, "w") as f:
            f.write(text.rstrip("\n") + "\n\n" + (kept or FINDINGS_MARKER + "\n"))
    print(text[:text.find("## 1.")] if "## 1." in text else text)
