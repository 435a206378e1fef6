#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Helpers for scripts/plan-vs-ensemble (run with Debian's /usr/bin/python3).

Sub-commands:
  proxy       TCP proxy for the servers' quorum and election traffic.  Every
              route is one ordered server pair (src -> dst), so the proxy knows
              who talks to whom; a server can be cut off (all its routes) and
              put back through a control socket.  While a server is cut off its
              open connections are frozen (nothing is read or forwarded, so the
              peers see silence, not a reset, as with a network partition) and
              new connections to or from it are closed at once; when it is put
              back, the frozen connections are closed.
  ctl         send one command to the proxy: "block SID", "unblock", "status"
  roles       print "sid mode" for each server that answers the 'srvr' 4lw
  wait-roles  wait until the listed servers form a quorum: one leader, the
              others followers; print the leader's sid
  write       create COUNT znodes (SIZE bytes each) through the listed servers
  isolate-write
              connect a session to the leader only, cut the leader off through
              the proxy, then send COUNT creates that it logs as proposals but
              can never commit; exit without waiting for them
  leader-sync read the leader's log from a byte offset and print, as JSON, the
              sync decision its LearnerHandler made for a learner sid
  report      print the table for all situations; exit 1 on any mismatch
"""

import argparse
import glob
import json
import logging
import os
import re
import select
import socket
import sys
import threading
import time

from zk_records import four_letter

log = logging.getLogger("plan_vs_ensemble")


# ---------------------------------------------------------------------------
# proxy
# ---------------------------------------------------------------------------

class Proxy:
    def __init__(self, routes, ctl_path):
        self.routes = routes            # (listen_port, target_port, src, dst, kind)
        self.ctl_path = ctl_path
        self.blocked = set()
        self.lock = threading.Lock()    # guards blocked and conns
        self.conns = []

    def is_blocked(self, src, dst):
        return src in self.blocked or dst in self.blocked

    # one connection: two sockets pumped by one thread
    def pump(self, c):
        a, b = c["a"], c["b"]
        frozen = False
        try:
            while True:
                with c["lock"]:
                    blk = self.is_blocked(c["src"], c["dst"])
                if blk:
                    frozen = True
                    time.sleep(0.05)
                    continue
                if frozen:
                    break           # put back after a cut: drop the connection
                r, _, _ = select.select([a, b], [], [], 0.1)
                done = False
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        done = True
                        break
                    other = b if s is a else a
                    with c["lock"]:
                        if self.is_blocked(c["src"], c["dst"]):
                            frozen = True   # cut while reading: the data is lost
                            break
                        other.sendall(data)
                if done:
                    break
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass
            with self.lock:
                if c in self.conns:
                    self.conns.remove(c)

    def acceptor(self, lsock, target, src, dst, kind):
        while True:
            cs, _ = lsock.accept()
            threading.Thread(target=self.handle, args=(cs, target, src, dst, kind),
                             daemon=True).start()

    def handle(self, cs, target, src, dst, kind):
        # A real network refuses a connection to a port nobody listens on yet
        # (a leader that is still starting); the learner then retries.  Here the
        # proxy has already accepted, so it retries the target for a while
        # instead of closing at once, which the learner would take as a broken
        # leader and go back to election.  (Election connections are closed at
        # once, as a refused connect would be.)
        deadline = time.time() + (4.0 if kind == "quorum" else 0.0)
        ts = None
        while ts is None:
            with self.lock:
                blk = self.is_blocked(src, dst)
            if blk:
                cs.close()
                return
            try:
                ts = socket.create_connection(("127.0.0.1", target), timeout=2.0)
                ts.settimeout(None)
            except OSError:
                if time.time() > deadline:
                    cs.close()
                    return
                time.sleep(0.1)
        for s in (cs, ts):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c = {"a": cs, "b": ts, "src": src, "dst": dst, "kind": kind,
             "lock": threading.Lock()}
        with self.lock:
            self.conns.append(c)
        self.pump(c)

    def control(self, cmd):
        words = cmd.split()
        if not words:
            return "error: empty command"
        if words[0] == "block" and len(words) == 2:
            sid = int(words[1])
            with self.lock:
                self.blocked.add(sid)
                conns = list(self.conns)
            # wait until no pump is in the middle of forwarding for this sid
            for c in conns:
                if self.is_blocked(c["src"], c["dst"]):
                    with c["lock"]:
                        pass
            return "ok blocked %s" % sorted(self.blocked)
        if words[0] == "unblock":
            with self.lock:
                self.blocked.clear()
            # frozen connections close themselves within a poll interval
            time.sleep(0.3)
            return "ok unblocked"
        if words[0] == "status":
            with self.lock:
                return "blocked=%s conns=%d" % (sorted(self.blocked), len(self.conns))
        return "error: unknown command %r" % cmd

    def serve(self):
        for lp, tp, src, dst, kind in self.routes:
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", lp))
            ls.listen(16)
            threading.Thread(target=self.acceptor, args=(ls, tp, src, dst, kind),
                             daemon=True).start()
        if os.path.exists(self.ctl_path):
            os.unlink(self.ctl_path)
        cs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        cs.bind(self.ctl_path)
        cs.listen(4)
        print("proxy ready: %d routes" % len(self.routes), flush=True)
        while True:
            conn, _ = cs.accept()
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    data += chunk
                reply = self.control(data.decode().strip())
                print("ctl: %s -> %s" % (data.decode().strip(), reply), flush=True)
                conn.sendall((reply + "\n").encode())


def cmd_proxy(args):
    routes = []
    for spec in args.route:
        lp, tp, src, dst, kind = spec.split(":")
        routes.append((int(lp), int(tp), int(src), int(dst), kind))
    Proxy(routes, args.ctl).serve()


def ctl(path, command, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall((command + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    s.close()
    reply = data.decode().strip()
    if not reply.startswith(("ok", "blocked=")):
        raise RuntimeError("proxy: %s" % reply)
    return reply


def cmd_ctl(args):
    print(ctl(args.ctl, " ".join(args.command)))


# ---------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------

def parse_servers(spec):
    """'1=127.0.0.1:23801,2=...' -> {1: '127.0.0.1:23801', ...}"""
    out = {}
    for item in spec.split(","):
        sid, hp = item.split("=", 1)
        out[int(sid)] = hp
    return out


def server_mode(hostport):
    try:
        out = four_letter(hostport, timeout=2.0)
    except OSError:
        return None
    for line in out.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None     # "This ZooKeeper instance is not currently serving requests"


def cmd_roles(args):
    for sid, hp in sorted(parse_servers(args.servers).items()):
        print(sid, server_mode(hp) or "-")


def cmd_wait_roles(args):
    servers = parse_servers(args.servers)
    deadline = time.time() + args.timeout
    modes = {}
    while time.time() < deadline:
        modes = {sid: server_mode(hp) for sid, hp in servers.items()}
        leaders = [s for s, m in modes.items() if m == "leader"]
        if len(leaders) == 1 and all(m in ("leader", "follower") for m in modes.values()):
            print(leaders[0])
            return 0
        time.sleep(0.2)
    print("wait-roles: no quorum after %.0fs: %s" % (args.timeout, modes), file=sys.stderr)
    return 1


def kazoo_client(hosts, timeout=10.0):
    from kazoo.client import KazooClient
    logging.getLogger("kazoo").setLevel(logging.CRITICAL)
    zk = KazooClient(hosts=hosts, timeout=timeout)
    zk.start(timeout=20)
    return zk


def cmd_write(args):
    zk = kazoo_client(args.hosts)
    zk.ensure_path(args.prefix)
    data = (b"zabra-plan-" * (args.size // 11 + 1))[:args.size]
    n = 0
    batch = 500
    while n < args.count:
        k = min(batch, args.count - n)
        futs = [zk.create_async("%s/n%07d" % (args.prefix, n + i), data) for i in range(k)]
        for f in futs:
            f.get(timeout=60)
        n += k
    zk.stop()
    zk.close()
    print("wrote %d znodes under %s" % (n, args.prefix))


def cmd_isolate_write(args):
    zk = kazoo_client(args.host, timeout=args.session_timeout)
    zk.ensure_path(args.prefix)           # committed: the session works
    print("session 0x%x on %s" % (zk.client_id[0], args.host), flush=True)
    print(ctl(args.ctl, "block %d" % args.sid), flush=True)
    futs = [zk.create_async("%s/u%03d" % (args.prefix, i), b"never-committed")
            for i in range(args.count)]
    time.sleep(args.linger)
    done = sum(1 for f in futs if f.ready() and f.successful())
    print("sent %d creates to the cut-off leader; %d acknowledged (expected 0)"
          % (len(futs), done), flush=True)
    # no close: closeSession could not commit either; just go
    sys.stdout.flush()
    os._exit(0)


# ---------------------------------------------------------------------------
# the leader's decision, from its log
# ---------------------------------------------------------------------------

LINE = re.compile(r"^\S+ \S+ \[(?P<thread>[^\]]*)\] (?P<level>[A-Z]+) (?P<logger>\S+) - (?P<msg>.*)$")


def hx(s):
    return "0x%x" % int(s, 16)


def leader_decision(text, sid):
    """The first sync of learner `sid` in a LearnerHandler log excerpt, or None."""
    sync = None
    thread = None
    lines = []
    for raw in text.splitlines():
        m = LINE.match(raw)
        if not m:
            continue
        if "LearnerHandler" not in m["logger"]:
            continue
        msg = m["msg"]
        if thread is None:
            mm = re.match(r"Synchronizing with Learner sid: (\d+) maxCommittedLog=0x(\w+) "
                          r"minCommittedLog=0x(\w+) lastProcessedZxid=0x(\w+) peerLastZxid=0x(\w+)",
                          msg)
            if mm and int(mm[1]) == sid:
                thread = m["thread"]
                sync = {"line": raw, "max": hx(mm[2]), "min": hx(mm[3]), "lp": hx(mm[4]),
                        "peer": hx(mm[5])}
                lines.append(msg)
            continue
        if m["thread"] != thread:
            continue
        lines.append(msg)
        if msg.startswith("Sending snapshot last zxid") or msg.startswith("Sending NEWLEADER") \
                or "GOODBYE" in msg or msg.startswith("Unexpected exception"):
            break
    if sync is None:
        return None
    d = {"sync": sync, "messages": lines, "complete": False, "kind": None, "op": None,
         "op_zxid": None, "forward": None, "snap_zxid": None, "notes": []}
    peer = int(sync["peer"], 16)
    peer_new_epoch = (peer & 0xffffffff) == 0
    for msg in lines[1:]:
        mm = re.match(r"Sending DIFF zxid=0x(\w+)\s+for peer sid: (\d+)", msg)
        if mm:
            d["op"], d["op_zxid"] = "DIFF", hx(mm[1])
            continue
        mm = re.match(r"Sending TRUNC to follower zxidToSend=0x(\w+) for peer sid:\s*(\d+)", msg)
        if mm:
            d["op"], d["op_zxid"] = "TRUNC", hx(mm[1])
            continue
        mm = re.match(r"Sending TRUNC zxid=0x(\w+)\s+for peer sid: (\d+)", msg)
        if mm:
            # queueCommittedProposals logs "Sending TRUNC" for the empty DIFF it
            # queues for a new-epoch learner; a real TRUNC there is never
            # logged for such a learner (that branch is an else of it).
            if peer_new_epoch:
                d["op"], d["op_zxid"] = "DIFF", hx(mm[1])
                d["notes"].append("'Sending TRUNC' logged for a new-epoch peer: it is a DIFF")
            else:
                d["op"], d["op_zxid"] = "TRUNC_WALK", hx(mm[1])
            continue
        mm = re.match(r"Start forwarding 0x(\w+) for peer sid: (\d+)", msg)
        if mm:
            d["forward"] = hx(mm[1])
            continue
        mm = re.match(r"Sending snapshot last zxid of peer is 0x(\w+), zxid of leader is 0x(\w+), "
                      r"send zxid of db as 0x(\w+)", msg)
        if mm:
            d["snap_zxid"] = hx(mm[3])
            d["kind"] = "SNAP"
            d["complete"] = True
            continue
        for key in ("Cannot send TRUNC", "Detected gap", "Unhandled scenario", "Forcing snapshot sync",
                    "Using committedLog", "Use txnlog and committedLog"):
            if msg.startswith(key):
                d["notes"].append(msg)
        if msg.startswith("Sending NEWLEADER"):
            d["complete"] = True
    if d["kind"] is None and d["complete"]:
        if d["op"] == "TRUNC":
            d["kind"] = "TRUNC"
        elif d["op"] == "TRUNC_WALK":
            d["kind"] = "TRUNC+DIFF"
        elif d["op"] == "DIFF":
            d["kind"] = "EMPTY_DIFF" if d["forward"] == sync["peer"] else "DIFF"
        else:
            d["kind"] = "?"
    if d["op"] == "TRUNC_WALK":
        d["op"] = "TRUNC"
    return d


def cmd_leader_sync(args):
    deadline = time.time() + args.timeout
    d = None
    while time.time() < deadline:
        with open(args.log, "rb") as f:
            f.seek(args.offset)
            text = f.read().decode("utf-8", "replace")
        d = leader_decision(text, args.sid)
        if d is not None and d["complete"]:
            break
        time.sleep(0.3)
    if d is None:
        print("leader-sync: no 'Synchronizing with Learner sid: %d' in %s after byte %d"
              % (args.sid, args.log, args.offset), file=sys.stderr)
        return 1
    with open(args.log, "rb") as f:
        f.seek(args.offset)
        text = f.read().decode("utf-8", "replace")
    d["sync_count"] = len(re.findall(r"Synchronizing with Learner sid: %d " % args.sid, text))
    json.dump(d, sys.stdout, indent=1)
    print()
    return 0 if d["complete"] else 1


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def compare(lead, plan):
    """List of (field, leader value, zabra value) that differ."""
    diffs = []
    if lead is None or plan is None:
        return [("input", "leader decision" if lead is None else "-",
                 "zabra output" if plan is None else "-")]
    kind = lead["kind"]
    if kind != plan.get("kind"):
        diffs.append(("kind", kind, plan.get("kind")))
    if lead["sync"]["peer"] != plan.get("peer_zxid"):
        diffs.append(("peer zxid", lead["sync"]["peer"], plan.get("peer_zxid")))
    if kind == plan.get("kind"):
        if kind in ("DIFF", "EMPTY_DIFF") and lead["op_zxid"] != plan.get("diff_zxid"):
            diffs.append(("DIFF zxid", lead["op_zxid"], plan.get("diff_zxid")))
        if kind in ("TRUNC", "TRUNC+DIFF") and lead["op_zxid"] != plan.get("trunc_to"):
            diffs.append(("TRUNC zxid", lead["op_zxid"], plan.get("trunc_to")))
        if lead["forward"] is not None and lead["forward"] != plan.get("current_zxid"):
            diffs.append(("forwarding from (current zxid)", lead["forward"], plan.get("current_zxid")))
    return diffs


def describe_leader(d):
    if d is None:
        return "(none)"
    s = d["kind"] or "?"
    if d["op"] == "DIFF":
        s += " diff=%s" % d["op_zxid"]
    elif d["op"] == "TRUNC":
        s += " trunc=%s" % d["op_zxid"]
    if d["kind"] == "SNAP":
        s += " snap=%s" % d["snap_zxid"]
    s += " peer=%s" % d["sync"]["peer"]
    if d["forward"]:
        s += " fwd=%s" % d["forward"]
    return s


def describe_plan(p):
    if p is None:
        return "(none)"
    s = p.get("kind", "?")
    if p.get("kind") in ("DIFF", "EMPTY_DIFF"):
        s += " diff=%s" % p.get("diff_zxid")
    if p.get("kind") in ("TRUNC", "TRUNC+DIFF"):
        s += " trunc=%s" % p.get("trunc_to")
    if p.get("count"):
        s += " n=%s" % p.get("count")
    s += " peer=%s" % p.get("peer_zxid")
    if p.get("current_zxid"):
        s += " cur=%s" % p.get("current_zxid")
    return s


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def cmd_report(args):
    rows = []
    details = []
    for sdir in sorted(glob.glob(os.path.join(args.dir, "[0-9]*"))):
        name = open(os.path.join(sdir, "name")).read().strip()
        lead = load_json(os.path.join(sdir, "leader.json"))
        plan = load_json(os.path.join(sdir, "zabra.json"))
        diffs = compare(lead, plan)
        rows.append((name, describe_leader(lead), describe_plan(plan), "yes" if not diffs else "NO"))
        sync = lead["sync"] if lead else None
        info = []
        if sync:
            info.append("  leader: maxCommittedLog=%s minCommittedLog=%s lastProcessedZxid=%s peerLastZxid=%s"
                        % (sync["max"], sync["min"], sync["lp"], sync["peer"]))
            for n in lead["notes"]:
                info.append("  leader note: %s" % n)
            if lead.get("sync_count", 1) > 1:
                info.append("  leader note: the learner synced %d times; the first sync is compared"
                            % lead["sync_count"])
        if plan:
            info.append("  zabra: rule=%s reason=%s" % (plan.get("rule"), plan.get("reason")))
        details.append((name, diffs, info, sync, lead, sdir))

    w = [max(len(r[i]) for r in rows + [("situation", "leader decided (its log)", "zabra plan", "match")])
         for i in range(4)]
    hdr = ("situation", "leader decided (its log)", "zabra plan", "match")
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)))
    print("  ".join("-" * w[i] for i in range(4)))
    for r in rows:
        print("  ".join(r[i].ljust(w[i]) for i in range(4)))
    print()
    bad = 0
    for name, diffs, info, sync, lead, sdir in details:
        print("%s:" % name)
        for line in info:
            print(line)
        if diffs:
            bad += 1
            print("  MISMATCH:")
            for field, a, b in diffs:
                print("    %-30s leader %-20s zabra %s" % (field, a, b))
            if sync:
                print("  leader's Synchronizing line:\n    %s" % sync["line"])
                print("  leader's LearnerHandler messages for this sync:")
                for m in lead["messages"]:
                    print("    %s" % m)
            txt = os.path.join(sdir, "zabra.txt")
            if os.path.exists(txt):
                print("  zabra plan (text):")
                for line in open(txt).read().splitlines():
                    print("    %s" % line)
            ls = os.path.join(sdir, "leader-files.txt")
            if os.path.exists(ls):
                print("  leader copy's version-2:")
                print("    " + " ".join(open(ls).read().split()))
            hist = os.path.join(sdir, "leader-history.txt")
            if os.path.exists(hist):
                lines = open(hist).read().splitlines()
                print("  leader server's history (database loads, syncs, leadership, "
                      "non-periodic snapshots)%s:" % (", last 30" if len(lines) > 30 else ""))
                for line in lines[-30:]:
                    print("    %s" % line)
    print()
    if bad:
        print("plan-vs-ensemble: %d of %d situation(s) MISMATCH" % (bad, len(rows)))
        return 1
    print("plan-vs-ensemble: all %d situation(s) match" % len(rows))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("proxy")
    s.add_argument("--ctl", required=True)
    s.add_argument("--route", action="append", required=True,
                   help="listen_port:target_port:src_sid:dst_sid:kind")
    s.set_defaults(fn=cmd_proxy)

    s = sub.add_parser("ctl")
    s.add_argument("--ctl", required=True)
    s.add_argument("command", nargs="+")
    s.set_defaults(fn=cmd_ctl)

    for name, fn in (("roles", cmd_roles), ("wait-roles", cmd_wait_roles)):
        s = sub.add_parser(name)
        s.add_argument("--servers", required=True, help="sid=host:port,...")
        s.add_argument("--timeout", type=float, default=60.0)
        s.set_defaults(fn=fn)

    s = sub.add_parser("write")
    s.add_argument("--hosts", required=True)
    s.add_argument("--prefix", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--size", type=int, default=16)
    s.set_defaults(fn=cmd_write)

    s = sub.add_parser("isolate-write")
    s.add_argument("--host", required=True)
    s.add_argument("--sid", type=int, required=True)
    s.add_argument("--ctl", required=True)
    s.add_argument("--prefix", required=True)
    s.add_argument("--count", type=int, default=3)
    s.add_argument("--linger", type=float, default=1.5)
    s.add_argument("--session-timeout", type=float, default=60.0)
    s.set_defaults(fn=cmd_isolate_write)

    s = sub.add_parser("leader-sync")
    s.add_argument("--log", required=True)
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--sid", type=int, required=True)
    s.add_argument("--timeout", type=float, default=60.0)
    s.set_defaults(fn=cmd_leader_sync)

    s = sub.add_parser("report")
    s.add_argument("--dir", required=True)
    s.set_defaults(fn=cmd_report)

    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rc = args.fn(args)
    sys.exit(rc or 0)


if __name__ == "__main__":
    main()
