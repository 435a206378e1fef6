#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Helpers for scripts/top-vs-ensemble (run with Debian's /usr/bin/python3).

Sub-commands:
  free-ports N     print N distinct free TCP ports on 127.0.0.1 (bound at once, then closed)
  now              print the monotonic clock (CLOCK_MONOTONIC, shared by all processes)
  wait-roles       plan_vs_ensemble.py's: wait for one leader and followers, print the leader's sid
  trickle          write small znodes at a steady rate for a while (a session on the given hosts)
  watch            run a command (zabra top ... --json), store every stdout line with its
                   arrival time (monotonic) as "T<TAB>LINE", and the exit status in OUT.rc
  check-once       (a) one --once --json array: one leader, two followers, the right servers
  check-failover   (b) the stream around a SIGKILL of the leader
  check-stall      (c) the stream around a SIGSTOP / SIGCONT of a follower
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plan_vs_ensemble as pve      # noqa: E402  (wait-roles, server_mode, kazoo_client)

SERVING = ("leader", "follower", "observer", "standalone")


class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


def now():
    return time.monotonic()


# ---------------------------------------------------------------------------

def cmd_free_ports(args):
    socks = []
    try:
        for _ in range(args.n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        print(" ".join(str(s.getsockname()[1]) for s in socks))
    finally:
        for s in socks:
            s.close()
    return 0


def cmd_now(args):
    print("%.6f" % now())
    return 0


def cmd_trickle(args):
    zk = pve.kazoo_client(args.hosts)
    zk.ensure_path(args.prefix)
    end = now() + args.seconds
    n = 0
    step = 1.0 / args.rate
    nxt = now()
    while now() < end:
        zk.create("%s/t%06d" % (args.prefix, n), b"top")
        n += 1
        nxt += step
        time.sleep(max(0.0, nxt - now()))
    zk.stop()
    zk.close()
    print("trickle: %d writes under %s in %.0f s" % (n, args.prefix, args.seconds))
    return 0


def cmd_watch(args):
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    with open(args.out, "w") as out:
        out.write("#start\t%.6f\n" % now())
        out.flush()
        for raw in p.stdout:
            t = now()
            out.write("%.6f\t%s\n" % (t, raw.decode("utf-8", "replace").rstrip("\n")))
            out.flush()
    rc = p.wait()
    with open(args.out + ".rc", "w") as f:
        f.write("%d\n" % rc)
    return 0


def read_stream(path):
    """[(t, rows)], start time, exit status"""
    lines, start = [], None
    with open(path) as f:
        for ln in f:
            t, _, text = ln.rstrip("\n").partition("\t")
            if t == "#start":
                start = float(text)
                continue
            try:
                rows = json.loads(text)
            except ValueError as e:
                raise Failed("line %d of %s is not JSON (%s): %r" % (len(lines) + 1, path, e, text[:200]))
            check(isinstance(rows, list), "line %d is not a JSON array" % (len(lines) + 1))
            lines.append((float(t), rows))
    rc = None
    if os.path.exists(path + ".rc"):
        rc = int(open(path + ".rc").read().strip())
    return lines, start, rc


def by_server(rows):
    return {r["server"]: r for r in rows}


def check_row_shape(row, servers):
    need = ("server", "state", "zxid", "epoch", "counter", "lag", "age", "leader_changes", "error")
    for k in need:
        check(k in row, "row without %r: %s" % (k, row))
    check(row["server"] in servers, "unknown server %r (asked for %s)" % (row["server"], servers))
    z = row["zxid"]
    if z is None:
        check(row["epoch"] is None and row["counter"] is None, "no zxid but epoch/counter: %s" % row)
    else:
        check(isinstance(z, str) and z.startswith("0x"), "zxid not \"0x...\": %r" % z)
        v = int(z, 16)
        check(row["epoch"] == v >> 32 and row["counter"] == v & 0xffffffff,
              "epoch/counter %s/%s do not match zxid %s" % (row["epoch"], row["counter"], z))


def fmt_states(rows):
    return " ".join("%s=%s%s" % (r["server"].rsplit(":", 1)[1], r["state"],
                                 "(%s)" % r["zxid"] if r["zxid"] else "") for r in rows)


# ---------------------------------------------------------------------------
# (a)
# ---------------------------------------------------------------------------

def cmd_check_once(args):
    servers = args.hosts.split(",")
    with open(args.file) as f:
        text = f.read()
    check(text.count("\n") == 1 and text.endswith("\n"), "--once printed %d lines, not 1" % text.count("\n"))
    rows = json.loads(text)
    check([r["server"] for r in rows] == servers,
          "servers %s, expected %s in that order" % ([r["server"] for r in rows], servers))
    for r in rows:
        check_row_shape(r, servers)
    leaders = [r["server"] for r in rows if r["state"] == "leader"]
    followers = [r["server"] for r in rows if r["state"] == "follower"]
    check(len(leaders) == 1, "%d leaders: %s" % (len(leaders), fmt_states(rows)))
    check(len(followers) == 2, "%d followers: %s" % (len(followers), fmt_states(rows)))
    check(leaders[0] == args.leader, "zabra says the leader is %s, srvr said %s" % (leaders[0], args.leader))
    lead = by_server(rows)[leaders[0]]
    for r in rows:
        check(r["error"] is None, "error on %s: %s" % (r["server"], r["error"]))
        check(r["leader_changes"] == 0, "leader_changes %s in a single sample" % r["leader_changes"])
        if r["state"] == "follower":
            if r["epoch"] == lead["epoch"]:
                check(r["lag"] == lead["counter"] - r["counter"],
                      "lag %s of %s is not the leader's counter minus its own" % (r["lag"], r["server"]))
            check(r["lag"] is not None and 0 <= r["lag"] <= 5,
                  "follower %s lag %s on an idle ensemble" % (r["server"], r["lag"]))
        # with the mntr whitelisted, the mntr-only fields are there
        check(r["watches"] is not None and r["data_size"] is not None,
              "no mntr fields on %s (watches %s, data_size %s)" % (r["server"], r["watches"], r["data_size"]))
    print("  (a) %s; exit %s" % (fmt_states(rows), args.rc))
    check(args.rc == 0, "exit status %s on a healthy ensemble, expected 0" % args.rc)
    return 0


# ---------------------------------------------------------------------------
# (b)
# ---------------------------------------------------------------------------

def cmd_check_failover(args):
    servers = args.hosts.split(",")
    lines, start, rc = read_stream(args.file)
    dead = args.killed
    survivors = [s for s in servers if s != dead]
    check(len(lines) == args.count, "%d lines, expected %d (--count %d)" % (len(lines), args.count, args.count))
    before = [(t, rows) for t, rows in lines if t < args.kill_at]
    after = [(t, rows) for t, rows in lines if t > args.kill_at]
    check(before, "no line before the kill")
    for t, rows in lines:
        check([r["server"] for r in rows] == servers, "line at %.3f: servers %s" % (t, [r["server"] for r in rows]))
        for r in rows:
            check_row_shape(r, servers)
        check(len({r["leader_changes"] for r in rows}) == 1, "rows disagree on leader_changes: %s" % rows)
    for t, rows in before:
        b = by_server(rows)
        check(b[dead]["state"] == "leader", "before the kill (+%.2fs): %s" % (t - start, fmt_states(rows)))
        check(b[dead]["leader_changes"] == 0, "leader_changes %s before the kill" % b[dead]["leader_changes"])
    # timeline of states
    print("  (b) %s stream (t relative to the SIGKILL of %s; a line is shown when a state changes):"
          % (args.label, dead))
    prev = None
    for t, rows in lines:
        desc = "%s  leader_changes=%d" % (fmt_states(rows), rows[0]["leader_changes"])
        if desc != prev:
            print("      %+7.2fs  %s" % (t - args.kill_at, desc))
        prev = desc
    # the dead one shows refused, from some line on, until the end
    refused = [i for i, (t, rows) in enumerate(lines) if by_server(rows)[dead]["state"] == "refused"]
    check(refused, "the killed leader %s never shows as refused" % dead)
    first_ref = refused[0]
    check(all(by_server(rows)[dead]["state"] == "refused" for t, rows in lines[first_ref:]),
          "the killed leader is not refused in every line after the first refused one")
    check(lines[first_ref][0] > args.kill_at, "refused before the kill?")
    # a new leader among the survivors
    new = [(i, [s for s in survivors if by_server(rows)[s]["state"] == "leader"])
           for i, (t, rows) in enumerate(lines) if t > args.kill_at]
    with_leader = [(i, ls) for i, ls in new if ls]
    check(with_leader, "no survivor ever became leader after the kill")
    i0, ls0 = with_leader[0]
    new_leader = ls0[0]
    check(len(ls0) == 1, "two leaders at once: %s" % ls0)
    final = by_server(lines[-1][1])
    check(final[new_leader]["state"] == "leader", "the new leader %s is %s in the last line"
          % (new_leader, final[new_leader]["state"]))
    other = [s for s in survivors if s != new_leader][0]
    check(final[other]["state"] == "follower", "the other survivor %s is %s in the last line"
          % (other, final[other]["state"]))
    check(final[new_leader]["epoch"] > by_server(before[-1][1])[dead]["epoch"],
          "the new leader's epoch %s is not above the old one's %s"
          % (final[new_leader]["epoch"], by_server(before[-1][1])[dead]["epoch"]))
    t_new = lines[i0][0] - args.kill_at
    t_ref = lines[first_ref][0] - args.kill_at
    leaderless = sum(1 for t, rows in lines if t > args.kill_at and not any(r["state"] == "leader" for r in rows))
    print("      killed leader refused %.2fs after the kill; new leader %s seen %.2fs after it; %d line(s) "
          "without a leader in between" % (t_ref, new_leader, t_new, leaderless))
    # one failover is one leader change
    changes = [rows[0]["leader_changes"] for t, rows in lines[i0:]]
    print("      leader_changes from the new leader's first line on: %s; exit %s" % (sorted(set(changes)), rc))
    check(all(c == 1 for c in changes),
          "leader_changes is %s after one failover (%s -> %s), expected 1 (zabra top counts the leaderless "
          "gap of the election as a change of its own?)" % (sorted(set(changes)), dead, new_leader))
    check(rc == 1, "exit status %s with a quorum but one server down, expected 1" % rc)
    return 0


# ---------------------------------------------------------------------------
# (c)
# ---------------------------------------------------------------------------

def cmd_check_stall(args):
    servers = args.hosts.split(",")
    lines, start, rc = read_stream(args.file)
    stopped = args.stopped
    others = [s for s in servers if s != stopped]
    check(len(lines) == args.count, "%d lines, expected %d" % (len(lines), args.count))
    for t, rows in lines:
        check([r["server"] for r in rows] == servers, "servers %s" % [r["server"] for r in rows])
        for r in rows:
            check_row_shape(r, servers)
    times = [t for t, _ in lines]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # lines whose poll began after the SIGSTOP and ended before the SIGCONT
    # (a poll takes at most --timeout, plus a little)
    during = [(t, rows) for t, rows in lines if args.stop_at + args.timeout + 0.1 < t < args.cont_at]
    # the gaps between lines of the stalled period, and when the line came after the previous one
    during_gaps = [b - a for (a, _), (b, _) in zip(lines, lines[1:]) if args.stop_at < a and b < args.cont_at]
    print("  (c) stream (t relative to the SIGSTOP of %s; SIGCONT at %+.2fs):" % (stopped, args.cont_at - args.stop_at))
    prev_t = start
    for t, rows in lines:
        b = by_server(rows)
        print("      %+7.2fs  (+%.3fs)  %s  ages %s" % (
            t - args.stop_at, t - prev_t, fmt_states(rows),
            "/".join("%.3f" % b[s]["age"] for s in servers)))
        prev_t = t
    check(len(during) >= 5, "only %d lines while the follower was stopped" % len(during))
    for t, rows in during:
        b = by_server(rows)
        check(b[stopped]["state"] == "timeout", "+%.2fs: the stopped follower is %s, not timeout"
              % (t - args.stop_at, b[stopped]["state"]))
        check(b[stopped]["error"], "+%.2fs: a timeout row without an error text" % (t - args.stop_at))
        for s in others:
            check(b[s]["state"] in ("leader", "follower"), "+%.2fs: %s is %s while another server is stopped"
                  % (t - args.stop_at, s, b[s]["state"]))
            check(b[s]["age"] < 0.25, "+%.2fs: %s has age %.3f" % (t - args.stop_at, s, b[s]["age"]))
    # the live rows keep changing: the writer's txns show up in their zxids
    for s in others:
        counters = [by_server(rows)[s]["counter"] for t, rows in during]
        moved = sum(1 for a, b in zip(counters, counters[1:]) if b > a)
        print("      %s: zxid counter %s -> %s over the stall, advanced in %d of %d consecutive lines"
              % (s, counters[0], counters[-1], moved, len(counters) - 1))
        check(counters[-1] > counters[0], "%s's zxid did not advance while %s was stopped" % (s, stopped))
        check(moved >= (len(counters) - 1) * 0.7, "%s's zxid advanced in only %d of %d lines"
              % (s, moved, len(counters) - 1))
    # arrival times: each line within about the interval of the previous one
    srt = sorted(gaps)
    med = srt[len(srt) // 2]
    print("      gaps between lines (s): all %d: min %.3f median %.3f max %.3f; while stopped (%d): min %.3f max %.3f"
          % (len(gaps), srt[0], med, srt[-1], len(during_gaps), min(during_gaps), max(during_gaps)))
    print("      first line %.3fs after the start" % (times[0] - start))
    # Polls start every interval; a line comes when its poll ends: at once when
    # every server answers, after --timeout when one does not.  So the first
    # line of the stall comes up to interval + timeout after the previous one,
    # the first line after it up to timeout early; every other gap is the interval.
    for g in gaps:
        check(g < args.interval + args.timeout + 0.1, "a line came %.3fs after the previous one (interval %.1f, "
              "timeout %.1f)" % (g, args.interval, args.timeout))
        check(g > args.interval - args.timeout - 0.1, "a line came only %.3fs after the previous one" % g)
    for g in during_gaps:
        check(abs(g - args.interval) < 0.1, "while the follower was stopped a line came %.3fs after the previous "
              "one (interval %.1f)" % (g, args.interval))
    check(times[0] - start < args.timeout + 0.5, "the first line came %.3fs after the start" % (times[0] - start))
    # the follower came back
    final = by_server(lines[-1][1])
    check(final[stopped]["state"] == "follower", "after SIGCONT the follower is %s in the last line"
          % final[stopped]["state"])
    print("      exit %s" % rc)
    check(rc == 0, "exit status %s with every server back, expected 0" % rc)
    return 0


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="sub", required=True)
    s = sub.add_parser("free-ports")
    s.add_argument("n", type=int)
    sub.add_parser("now")
    s = sub.add_parser("wait-roles")
    s.add_argument("--servers", required=True)
    s.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("trickle")
    s.add_argument("--hosts", required=True)
    s.add_argument("--prefix", required=True)
    s.add_argument("--seconds", type=float, required=True)
    s.add_argument("--rate", type=float, default=10)
    s = sub.add_parser("watch")
    s.add_argument("--out", required=True)
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s = sub.add_parser("check-once")
    s.add_argument("--file", required=True)
    s.add_argument("--hosts", required=True)
    s.add_argument("--leader", required=True)
    s.add_argument("--rc", type=int, required=True)
    s = sub.add_parser("check-failover")
    s.add_argument("--file", required=True)
    s.add_argument("--hosts", required=True)
    s.add_argument("--killed", required=True)
    s.add_argument("--kill-at", type=float, required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--label", default="")
    s = sub.add_parser("check-stall")
    s.add_argument("--file", required=True)
    s.add_argument("--hosts", required=True)
    s.add_argument("--stopped", required=True)
    s.add_argument("--stop-at", type=float, required=True)
    s.add_argument("--cont-at", type=float, required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--interval", type=float, required=True)
    s.add_argument("--timeout", type=float, required=True)
    args = ap.parse_args()
    try:
        if args.sub == "wait-roles":
            return pve.cmd_wait_roles(args)
        return {"free-ports": cmd_free_ports, "now": cmd_now, "trickle": cmd_trickle, "watch": cmd_watch,
                "check-once": cmd_check_once, "check-failover": cmd_check_failover,
                "check-stall": cmd_check_stall}[args.sub](args)
    except Failed as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
