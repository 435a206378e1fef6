"""The write-load generator of tests/peers/bench/node.py, run by it as a
process of its own (python3 -m tests.peers.bench.node_client ...).

Creates --writes persistent znodes with unique paths and --size bytes of data
under --prefix, against one ZooKeeper-protocol server, with many requests in
flight: --procs worker processes share --conns sessions, each session keeps
--inflight create requests outstanding (a closed loop: a reply lets the next
request go).  A create counts as a write once its reply says OK (both servers
reply only after the txn is fsynced).

Two client implementations, same workload:
  --mode raw    (default) the ZooKeeper wire protocol written directly:
                requests pipelined on a non-blocking socket, one selector loop
                per process, replies parsed in place.  Cheap per request, so
                the servers, not Python, set the pace.
  --mode kazoo  kazoo's create_async, one KazooClient per session.  Kazoo
                costs much more CPU per request (its own threads, request
                objects, a callback thread), so it often saturates a core
                before the server does; kept for reference.

Phases: every worker connects and does its share of --warmup writes (not
measured; JIT and caches), then all wait on a barrier; the parent samples
the server (mntr, srvr zxid, /proc CPU) and releases them; the measured
writes run; a second barrier; the parent samples again; the sessions are
closed.  Prints one JSON object on stdout (latencies in ms, CPU in seconds).
A run that stalls (no reply for --stall seconds) or loses connections is
reported in the JSON ("stalled", "conn_lost", "errors"), not hidden.
"""

import argparse
import json
import multiprocessing as mp
import os
import selectors
import socket
import struct
import sys
import time

from .. import connect, fourlw
from .timing import cpu_seconds

OK = 0
PERMS_ALL = 31
CREATE = 1
PING = 11
CLOSE = -11


def jstr(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


ACL_OPEN = struct.pack(">ii", 1, PERMS_ALL) + jstr("world") + jstr("anyone")


def connect_raw(host, port, timeout_ms):
    """Blocking connect + session handshake; returns the socket."""
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = struct.pack(">iqiq", 0, 0, timeout_ms, 0) + struct.pack(">i", 16) + b"\0" * 16 + b"\0"
    s.sendall(struct.pack(">i", len(body)) + body)
    hdr = recv_exact(s, 4)
    (n,) = struct.unpack(">i", hdr)
    resp = recv_exact(s, n)
    _proto, negotiated, sid = struct.unpack_from(">iiq", resp, 0)
    if negotiated <= 0 or sid == 0:
        raise RuntimeError("session refused by %s:%d" % (host, port))
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed during handshake")
        buf += chunk
    return bytes(buf)


def create_frame(xid, path, data):
    body = struct.pack(">ii", xid, CREATE) + jstr(path) + struct.pack(">i", len(data)) + data + ACL_OPEN + b"\0\0\0\0"
    return struct.pack(">i", len(body)) + body


def simple_call(s, xid, op, payload=b""):
    """Blocking request/reply on a handshaken socket; returns (err, body)."""
    body = struct.pack(">ii", xid, op) + payload
    s.sendall(struct.pack(">i", len(body)) + body)
    while True:
        (n,) = struct.unpack(">i", recv_exact(s, 4))
        resp = recv_exact(s, n)
        rxid, _zxid, err = struct.unpack_from(">iqi", resp, 0)
        if rxid == xid:
            return err, resp[16:]


def four_letter(host, port, word):
    """The reply, or "" when the server does not answer."""
    try:
        return fourlw.four_letter("%s:%d" % (host, port), word)
    except OSError:
        return ""


def server_sample(host, port, pid):
    m = {}
    for line in four_letter(host, port, "mntr").splitlines():
        k, _, v = line.partition("\t")
        m[k.strip()] = v.strip()
    zxid = None
    for line in four_letter(host, port, "srvr").splitlines():
        if line.startswith("Zxid:"):
            zxid = int(line.split(":", 1)[1].strip(), 16)
    cpu = None
    if pid:
        try:
            cpu = cpu_seconds(pid)
        except OSError:
            cpu = None
    with open("/proc/stat") as f:
        cols = [int(x) for x in f.readline().split()[1:]]
    idle = cols[3] + cols[4]
    total = sum(cols[:8])
    fs = m.get("zk_cnt_fsynctime")
    return {
        "fsyncs": int(fs) if fs not in (None, "") else None,
        "zxid": zxid,
        "cpu": cpu,
        "idle": idle,
        "total": total,
        "t": time.monotonic(),
    }


# ---------------------------------------------------------------------------
# raw protocol worker
# ---------------------------------------------------------------------------
class RawConn:
    __slots__ = ("sock", "rbuf", "wbuf", "pending", "todo", "xid", "name", "seq", "dead", "last_send")

    def __init__(self, sock, name):
        self.sock = sock
        self.rbuf = bytearray()
        self.wbuf = bytearray()
        self.pending = {}
        self.todo = 0
        self.xid = 0
        self.name = name
        self.seq = 0
        self.dead = False
        self.last_send = time.monotonic()


def raw_phase(conns, per_conn, prefix, data, inflight, stall_s, lat, res):
    """Run per_conn[i] creates on conns[i]; appends latencies (s) to lat."""
    sel = selectors.DefaultSelector()
    for c, n in zip(conns, per_conn):
        c.todo = n
        sel.register(c.sock, selectors.EVENT_READ, c)
    perf = time.perf_counter
    unpack = struct.unpack_from
    remaining = sum(per_conn)
    last_progress = time.monotonic()

    def fill(c):
        now = perf()
        while c.todo > 0 and len(c.pending) < inflight:
            c.xid += 1
            c.seq += 1
            c.todo -= 1
            c.wbuf += create_frame(c.xid, "%s/%s-%d" % (prefix, c.name, c.seq), data)
            c.pending[c.xid] = now
        flush(c)

    def flush(c):
        if c.wbuf:
            try:
                n = c.sock.send(c.wbuf)
            except BlockingIOError:
                n = 0
            except OSError:
                kill(c, "send failed")
                return
            del c.wbuf[:n]
            c.last_send = time.monotonic()
        sel.modify(c.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if c.wbuf else 0), c)

    def kill(c, why):
        nonlocal remaining
        if c.dead:
            return
        c.dead = True
        res["conn_lost"] += 1
        res["lost_requests"] += len(c.pending) + c.todo
        res["notes"].append("%s: %s with %d in flight, %d not sent" % (c.name, why, len(c.pending), c.todo))
        remaining -= len(c.pending) + c.todo
        c.pending.clear()
        c.todo = 0
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass

    for c in conns:
        fill(c)
    last_progress = time.monotonic()
    while remaining > 0:
        events = sel.select(timeout=1.0)
        if not events:
            if time.monotonic() - last_progress > stall_s:
                res["stalled"] = True
                outstanding = sum(len(c.pending) for c in conns)
                res["notes"].append("no reply for %.0fs with %d requests in flight" % (stall_s, outstanding))
                for c in conns:
                    kill(c, "stall")
                break
            continue
        for key, mask in events:
            c = key.data
            if c.dead:
                continue
            if mask & selectors.EVENT_WRITE:
                flush(c)
                if c.dead:
                    continue
            if not (mask & selectors.EVENT_READ):
                continue
            try:
                chunk = c.sock.recv(1 << 18)
            except BlockingIOError:
                continue
            except OSError as e:
                kill(c, "recv failed: %s" % e)
                continue
            if not chunk:
                kill(c, "closed by server")
                continue
            buf = c.rbuf
            buf += chunk
            now = perf()
            off = 0
            blen = len(buf)
            while blen - off >= 4:
                (n,) = unpack(">i", buf, off)
                if blen - off - 4 < n:
                    break
                xid, _zxid, err = unpack(">iqi", buf, off + 4)
                off += 4 + n
                t0 = c.pending.pop(xid, None)
                if t0 is None:
                    continue  # ping reply, watch event
                remaining -= 1
                if err == OK:
                    lat.append(now - t0)
                else:
                    res["errors"][str(err)] = res["errors"].get(str(err), 0) + 1
            if off:
                del buf[:off]
                t = time.monotonic()
                if t - last_progress > res["max_gap_s"]:
                    res["max_gap_s"] = t - last_progress
                last_progress = t
            if c.todo > 0:
                fill(c)
    sel.close()


def raw_worker(idx, a, names, warm_per, meas_per, b_ready, b_done, q):
    host, port = a.host, a.port
    data = (os.urandom(a.size // 2 + 1).hex()[: a.size]).encode()
    res = {"errors": {}, "conn_lost": 0, "lost_requests": 0, "stalled": False, "notes": [], "max_gap_s": 0.0}
    conns = []
    try:
        for nm in names:
            s = connect_raw(host, port, a.session_timeout)
            s.setblocking(False)
            conns.append(RawConn(s, nm))
        wres = {"errors": {}, "conn_lost": 0, "lost_requests": 0, "stalled": False, "notes": [], "max_gap_s": 0.0}
        raw_phase(conns, warm_per, a.prefix + "/w", data, a.inflight, a.stall, [], wres)
        res["notes"].extend("warmup: " + n for n in wres["notes"])
        res["conn_lost"] += wres["conn_lost"]
        res["stalled"] = wres["stalled"]
        if wres["errors"]:
            res["notes"].append("warmup errors: %r" % (wres["errors"],))
    except Exception as e:  # noqa: BLE001 - reported, not raised
        res["notes"].append("setup/warmup failed: %r" % (e,))
    b_ready.wait()  # parent samples the server, then releases
    b_ready.wait()
    lat = []
    c0 = time.process_time()
    t0 = time.monotonic()
    if len(conns) == len(names) and not any(c.dead for c in conns):
        raw_phase(conns, meas_per, a.prefix + "/m", data, a.inflight, a.stall, lat, res)
    t1 = time.monotonic()
    c1 = time.process_time()
    b_done.wait()
    b_done.wait()  # parent sampled
    for c in conns:
        if c.dead:
            continue
        try:
            c.sock.setblocking(True)
            c.sock.settimeout(5)
            simple_call(c.sock, 0x7FFFFFF0, CLOSE)
        except OSError:
            pass
        c.sock.close()
    q.put((idx, t0, t1, c1 - c0, lat, res))


# ---------------------------------------------------------------------------
# kazoo worker
# ---------------------------------------------------------------------------
def kazoo_worker(idx, a, names, warm_per, meas_per, b_ready, b_done, q):
    import threading

    from kazoo.protocol.states import KazooState

    data = (os.urandom(a.size // 2 + 1).hex()[: a.size]).encode()
    res = {"errors": {}, "conn_lost": 0, "lost_requests": 0, "stalled": False, "notes": [], "max_gap_s": None}
    clients = []

    def listener(state):
        if state != KazooState.CONNECTED:
            res["conn_lost"] += 1
            res["notes"].append("kazoo state %s" % state)

    try:
        for _ in names:
            k = connect("%s:%d" % (a.host, a.port), timeout=15, session_timeout=a.session_timeout / 1000.0)
            k.add_listener(listener)
            clients.append(k)
    except Exception as e:  # noqa: BLE001
        res["notes"].append("connect failed: %r" % (e,))

    def phase(per, prefix, lat):
        lock = threading.Lock()
        total = sum(per)
        state = {"left": total}
        done = threading.Event()
        sem = threading.Semaphore(a.inflight * len(clients))
        perf = time.perf_counter
        if total == 0:
            return

        def make_cb(t0):
            def cb(ar):
                ok = ar.successful()
                dt = perf() - t0
                with lock:
                    if ok:
                        lat.append(dt)
                    else:
                        key = type(ar.exception).__name__
                        res["errors"][key] = res["errors"].get(key, 0) + 1
                    state["left"] -= 1
                    if state["left"] == 0:
                        done.set()
                sem.release()
            return cb

        jobs = []
        for ci, n in enumerate(per):
            jobs.extend((ci, s) for s in range(n))
        # interleave the sessions' requests
        jobs.sort(key=lambda j: (j[1], j[0]))
        for ci, s in jobs:
            if not sem.acquire(timeout=a.stall):
                res["stalled"] = True
                res["notes"].append("no reply for %.0fs" % a.stall)
                break
            path = "%s/%s-%d" % (prefix, names[ci], s + 1)
            clients[ci].create_async(path, data).rawlink(make_cb(perf()))
        if not done.wait(timeout=a.stall + 5):
            res["stalled"] = True
            with lock:
                res["lost_requests"] += state["left"]
                res["notes"].append("%d replies missing at the end" % state["left"])

    if len(clients) == len(names):
        phase(warm_per, a.prefix + "/w", [])
    b_ready.wait()
    b_ready.wait()
    lat = []
    c0 = time.process_time()
    t0 = time.monotonic()
    if len(clients) == len(names):
        phase(meas_per, a.prefix + "/m", lat)
    t1 = time.monotonic()
    c1 = time.process_time()
    b_done.wait()
    b_done.wait()
    for k in clients:
        try:
            k.remove_listener(listener)
            k.stop()
            k.close()
        except Exception:  # noqa: BLE001
            pass
    q.put((idx, t0, t1, c1 - c0, lat, res))


def split(total, parts):
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[i]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="HOST:PORT")
    ap.add_argument("--server-pid", type=int, default=0, help="for the server's CPU time (/proc/PID/stat)")
    ap.add_argument("--mode", choices=("raw", "kazoo"), default="raw")
    ap.add_argument("--writes", type=int, default=50000)
    ap.add_argument("--warmup", type=int, default=5000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--conns", type=int, default=8, help="sessions in all")
    ap.add_argument("--inflight", type=int, default=32, help="outstanding creates per session")
    ap.add_argument("--size", type=int, default=100, help="bytes of data per znode")
    ap.add_argument("--prefix", default="/bench")
    ap.add_argument("--session-timeout", type=int, default=30000, help="ms")
    ap.add_argument("--stall", type=float, default=30.0, help="seconds without a reply that count as a stall")
    a = ap.parse_args()
    a.host, _, port = a.server.rpartition(":")
    a.port = int(port)
    a.procs = max(1, min(a.procs, a.conns))

    # the parent znodes
    s = connect_raw(a.host, a.port, a.session_timeout)
    for p in (a.prefix, a.prefix + "/w", a.prefix + "/m"):
        err, _ = simple_call(s, 1, CREATE, jstr(p) + struct.pack(">i", 0) + ACL_OPEN + b"\0\0\0\0")
        if err not in (OK, -110):  # -110 NODEEXISTS
            sys.exit("node_client: create %s failed: error %d" % (p, err))
    simple_call(s, 2, CLOSE)
    s.close()

    conn_names = ["s%02d" % i for i in range(a.conns)]
    conn_proc = [i % a.procs for i in range(a.conns)]
    warm = split(a.warmup, a.conns)
    meas = split(a.writes, a.conns)
    ctx = mp.get_context("fork")
    b_ready = ctx.Barrier(a.procs + 1)
    b_done = ctx.Barrier(a.procs + 1)
    q = ctx.Queue()
    worker = raw_worker if a.mode == "raw" else kazoo_worker
    procs = []
    for pi in range(a.procs):
        mine = [i for i in range(a.conns) if conn_proc[i] == pi]
        p = ctx.Process(target=worker, args=(pi, a, [conn_names[i] for i in mine], [warm[i] for i in mine],
                                             [meas[i] for i in mine], b_ready, b_done, q))
        p.start()
        procs.append(p)

    limit = a.stall * 4 + 120
    b_ready.wait(timeout=limit)
    before = server_sample(a.host, a.port, a.server_pid)
    b_ready.wait(timeout=limit)
    b_done.wait(timeout=max(limit, 3600))
    after = server_sample(a.host, a.port, a.server_pid)
    b_done.wait(timeout=limit)
    results = [q.get(timeout=limit) for _ in procs]
    for p in procs:
        p.join(timeout=30)

    lat = []
    errors = {}
    notes = []
    conn_lost = lost = 0
    stalled = False
    gaps = []
    for _idx, _t0, _t1, _cpu, l, r in results:
        lat.extend(l)
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
        notes.extend(r["notes"])
        conn_lost += r["conn_lost"]
        lost += r["lost_requests"]
        stalled = stalled or r["stalled"]
        if r.get("max_gap_s") is not None:
            gaps.append(r["max_gap_s"])
    t_start = min(r[1] for r in results)
    t_end = max(r[2] for r in results)
    wall = max(t_end - t_start, 1e-9)
    client_cpu = sum(r[3] for r in results)
    proc_util = [r[3] / max(r[2] - r[1], 1e-9) for r in results]
    lat.sort()
    acked = len(lat)
    out = {
        "mode": a.mode,
        "writes": a.writes,
        "acked": acked,
        "errors": errors,
        "conn_lost": conn_lost,
        "lost_requests": lost,
        "stalled": stalled,
        "max_reply_gap_ms": max(gaps) * 1e3 if gaps else None,
        "notes": notes[:20],
        "wall_s": wall,
        "wps": acked / wall,
        "p50_ms": pct(lat, 50) * 1e3 if lat else None,
        "p99_ms": pct(lat, 99) * 1e3 if lat else None,
        "p999_ms": pct(lat, 99.9) * 1e3 if lat else None,
        "max_ms": lat[-1] * 1e3 if lat else None,
        "procs": a.procs,
        "conns": a.conns,
        "inflight": a.inflight,
        "client_cpu_s": client_cpu,
        "client_proc_util_max": max(proc_util),
        "server_cpu_s": (after["cpu"] - before["cpu"]) if before["cpu"] is not None and after["cpu"] is not None else None,
        "sample_wall_s": after["t"] - before["t"],
        "machine_busy": 1 - (after["idle"] - before["idle"]) / max(1, after["total"] - before["total"]),
        "fsyncs": (after["fsyncs"] - before["fsyncs"]) if before["fsyncs"] is not None and after["fsyncs"] is not None else None,
        "zxid_delta": (after["zxid"] - before["zxid"]) if before["zxid"] is not None and after["zxid"] is not None else None,
    }
    if out["server_cpu_s"] is not None:
        out["server_util"] = out["server_cpu_s"] / max(out["sample_wall_s"], 1e-9)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
