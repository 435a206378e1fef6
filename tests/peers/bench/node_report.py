"""The summary table of tests/peers/bench/node.py: per run, per server
(medians), the strace runs, the ratio, and warnings about anything that
makes the numbers doubtful (errors, stalls, lost connections, a client
bottleneck, a busy machine)."""
import statistics


def other(d, ncpu):
    """Cores used by other processes during a run."""
    w = d.get("sample_wall_s") or 0
    if not w or d.get("server_cpu_s") is None:
        return 0.0
    return d["machine_busy"] * ncpu - (d["client_cpu_s"] + d["server_cpu_s"]) / w


def f(v, fmt):
    return "-" if v is None else fmt % v


def summary(rows, traces, ncpu, zk_version):
    """rows: the timed runs' results, traces: the strace runs' (dicts from node.py)."""
    names = {"zk": "ZooKeeper " + zk_version, "node": "zabra-node"}
    # per (server, run): the attempt with the least foreign CPU load
    best = {}
    for d in rows:
        k = (d["server"], d["run"])
        if k not in best or other(d, ncpu) < other(best[k], ncpu):
            best[k] = d
    chosen = sorted(best.values(), key=lambda d: (d["run"], d["server"] != "zk"))

    print("per run (the attempt with the least foreign load; all attempts are in the work dir with -k):")
    print("  %-16s %3s %9s %7s %7s %8s %8s %9s %7s %6s %6s %6s" % (
        "server", "run", "writes/s", "p50 ms", "p99 ms", "max ms", "gap ms", "fsync/txn", "srvCPU", "client", "busy", "other"))
    for d in chosen:
        fpt = d["fsyncs"] / d["zxid_delta"] if d.get("fsyncs") is not None and d.get("zxid_delta") else None
        util = d.get("server_util")
        print("  %-16s %3d %9s %7s %7s %8s %8s %9s %7s %6s %6s %6s" % (
            names[d["server"]], d["run"], f(d.get("wps"), "%.0f"), f(d.get("p50_ms"), "%.2f"), f(d.get("p99_ms"), "%.2f"),
            f(d.get("max_ms"), "%.1f"), f(d.get("max_reply_gap_ms"), "%.0f"), f(fpt, "%.4f"), f(util, "%.2f"),
            f(d.get("client_proc_util_max"), "%.2f"), f(d.get("machine_busy"), "%.2f"),
            "%.2f" % other(d, ncpu)))
    print("  (srvCPU: server cores busy; client: busiest client process, fraction of a core;"
          " busy: fraction of all %d cores busy; other: cores used by other processes)" % ncpu)
    print()

    def med(kind, key):
        vals = [d[key] for d in chosen if d["server"] == kind and d.get(key) is not None]
        return statistics.median(vals) if vals else None

    per_server = {}
    for kind in ("zk", "node"):
        ds = [d for d in chosen if d["server"] == kind]
        fpts = [d["fsyncs"] / d["zxid_delta"] for d in ds if d.get("fsyncs") is not None and d.get("zxid_delta")]
        cpw = [d["server_cpu_s"] / d["acked"] * 1e6 for d in ds if d.get("server_cpu_s") is not None and d.get("acked")]
        tr = [t for t in traces if t["server"] == kind]
        stp = None
        if tr and tr[0].get("total_zxid"):
            stp = tr[0]["strace_calls"] / tr[0]["total_zxid"]
        per_server[kind] = {
            "wps": med(kind, "wps"), "p50": med(kind, "p50_ms"), "p99": med(kind, "p99_ms"), "max": med(kind, "max_ms"), "gap": med(kind, "max_reply_gap_ms"),
            "fpt": statistics.median(fpts) if fpts else None, "cpw": statistics.median(cpw) if cpw else None,
            "strace": stp, "runs": len(ds),
        }

    if traces:
        print("strace runs (one extra, untimed run per server, whole server life: startup, warmup, measured, shutdown):")
        print("  %-16s %8s %10s %7s %10s %10s %13s %12s" % (
            "server", "txns", "fdatasync", "fsync", "f/txn", "mntr cnt", "mntr cnt/txn", "writes/s"))
        for t in sorted(traces, key=lambda d: d["server"] != "zk"):
            z = t.get("total_zxid") or 0
            print("  %-16s %8d %10d %7d %10s %10d %13s %12s" % (
                names[t["server"]], z, t.get("strace_fdatasync", 0), t.get("strace_fsync", 0),
                f(t["strace_calls"] / z if z else None, "%.4f"), t.get("total_mntr_fsyncs", 0),
                f(t.get("total_mntr_fsyncs", 0) / z if z else None, "%.4f"), f(t.get("wps"), "%.0f")))
        print("  (mntr cnt: zk_cnt_fsynctime at the end of that run; strace slows fsyncs, so batches and f/txn differ"
              " from the timed runs)")
        print()

    print("median of %d runs per server:" % max(s["runs"] for s in per_server.values()))
    print("  %-16s %9s %7s %7s %8s %7s %10s %10s %11s %12s" % (
        "server", "writes/s", "p50 ms", "p99 ms", "max ms", "gap ms", "fsyncs/txn", "txns/fsync", "strace f/txn", "srv CPU us/w"))
    for kind in ("zk", "node"):
        s = per_server[kind]
        print("  %-16s %9s %7s %7s %8s %7s %10s %10s %11s %12s" % (
            names[kind], f(s["wps"], "%.0f"), f(s["p50"], "%.2f"), f(s["p99"], "%.2f"), f(s["max"], "%.1f"),
            f(s["gap"], "%.0f"),
            f(s["fpt"], "%.4f"), f(1 / s["fpt"] if s["fpt"] else None, "%.1f"), f(s["strace"], "%.4f"),
            f(s["cpw"], "%.1f")))
    zw, nw = per_server["zk"]["wps"], per_server["node"]["wps"]
    if zw and nw:
        print("  ratio zabra-node / ZooKeeper writes/s: %.2fx" % (nw / zw))
    print("  (gap ms: the longest time no reply at all arrived at a client process;"
          " fsyncs/txn: mntr zk_cnt_fsynctime delta / srvr zxid delta over the measured phase;"
          " strace f/txn: fdatasync+fsync calls over the server's whole life / its last zxid, from one extra untimed run;"
          " srv CPU us/w: server CPU time per acknowledged write)")

    warn = []
    for d in rows:
        tag = "%s run %d attempt %d" % (names[d["server"]], d["run"], d["attempt"])
        if d.get("client_failed"):
            warn.append("%s: the client failed (status %s); see %s/client.stderr" % (tag, d.get("client_rc"), d["dir"]))
        if not d.get("alive", True):
            warn.append("%s: the server DIED during the run (log %s/server.log)" % (tag, d["dir"]))
        if d.get("errors"):
            warn.append("%s: error replies %s" % (tag, d["errors"]))
        if d.get("conn_lost") or d.get("lost_requests"):
            warn.append("%s: %s connections lost, %s requests without reply: %s" % (
                tag, d.get("conn_lost"), d.get("lost_requests"), "; ".join(d.get("notes", [])[:3])))
        if d.get("stalled"):
            warn.append("%s: STALLED: %s" % (tag, "; ".join(d.get("notes", [])[:3])))
        if d.get("acked") is not None and d.get("zxid_delta") is not None and not d.get("client_failed") \
                and d["zxid_delta"] != d["acked"] + sum(d.get("errors", {}).values()):
            warn.append("%s: %d writes acknowledged but the zxid moved by %d" % (tag, d["acked"], d["zxid_delta"]))
        if d.get("log_problems"):
            warn.append("%s: %d suspicious server log lines (%s/server.log)" % (tag, d["log_problems"], d["dir"]))
    for d in traces:
        if not d.get("alive", True) or d.get("client_failed") or d.get("stalled") or d.get("conn_lost"):
            warn.append("%s strace run: misbehaved: %s" % (names[d["server"]], {k: d.get(k) for k in (
                "alive", "client_failed", "stalled", "conn_lost", "notes")}))
    def client_cores(d):
        return d["client_cpu_s"] / d["sample_wall_s"] if d.get("sample_wall_s") else 0
    cb = [d for d in chosen if (d.get("client_proc_util_max") or 0) > 0.85
          or (d.get("server_util") is not None and d["server_util"] < 0.5 and client_cores(d) > 2 * d["server_util"])]
    if cb:
        warn.append("CLIENT BOTTLENECK in %s: a client process saturated a core, or the client burnt more than twice"
                    " the server's CPU while the server was mostly idle; those numbers measure the client, not the server"
                    % ", ".join("%s run %d (client %.2f cores, busiest process %.2f, server %.2f)" % (
                        names[d["server"]], d["run"], client_cores(d), d["client_proc_util_max"], d["server_util"])
                        for d in cb))
    sat = [d for d in chosen if (d.get("machine_busy") or 0) > 0.9]
    if sat:
        cl = statistics.median([d["client_cpu_s"] / d["sample_wall_s"] for d in sat])
        warn.append("all %d cores were busy (>90%%) in %d of %d runs: client (~%.2f cores) and server compete for CPU,"
                    " so writes/s is CPU-bound, not fsync-bound" % (ncpu, len(sat), len(chosen), cl))
    noisy = [d for d in chosen if other(d, ncpu) > 0.35]
    if noisy:
        warn.append("other processes used > 0.35 cores during %s" % ", ".join(
            "%s run %d (%.2f)" % (names[d["server"]], d["run"], other(d, ncpu)) for d in noisy))
    print()
    if warn:
        print("warnings:")
        for w in warn:
            print("  - " + w)
    else:
        print("no warnings: no errors, stalls, lost connections or client bottleneck")
