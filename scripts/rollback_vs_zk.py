#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Helpers for scripts/rollback-vs-zk (run with Debian's /usr/bin/python3).

The ensemble machinery (loopback proxy, roles, writes, a leader cut off with
uncommitted proposals, the leader's sync decision read from its log) is
scripts/plan_vs_ensemble.py, imported as is.

Sub-commands:
  proxy, ctl, wait-roles, write, isolate-write, leader-sync
                as in plan_vs_ensemble.py (the same functions)
  learner-trunc the zxid a learner says it truncates to ("Truncating log to get
                in sync with the leader 0x..."), read from its log after a byte
                offset
  srvr          wait until a server answers 'srvr' with a Mode line; print its
                Mode and Zxid as JSON
  wait-same-zxid
                wait until all listed servers report the same Zxid
  compare       compare a data dir zabra rolled back with the one ZooKeeper's
                own TRUNC left, up to the TRUNC zxid; exit 1 on a mismatch
  tree-check    check through kazoo that a node exists and has no children
                (the uncommitted creates under it are gone)
"""

import argparse
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plan_vs_ensemble as pve           # noqa: E402
from zk_records import four_letter       # noqa: E402


def hx(z):
    return "0x%x" % z


def epoch(z):
    return z >> 32


# ---------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------

def srvr(hostport):
    try:
        out = four_letter(hostport, timeout=2.0)
    except OSError:
        return None
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    if "Mode" not in info:
        return None
    return info


def cmd_srvr(args):
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        info = srvr(args.host)
        if info is not None:
            print(json.dumps({"mode": info.get("Mode"), "zxid": info.get("Zxid"),
                              "version": info.get("Zookeeper version")}))
            return 0
        time.sleep(0.2)
    print("srvr: %s did not answer with a Mode line in %.0fs" % (args.host, args.timeout), file=sys.stderr)
    return 1


def cmd_wait_same_zxid(args):
    hosts = args.hosts.split(",")
    deadline = time.time() + args.timeout
    z = {}
    while time.time() < deadline:
        z = {}
        for h in hosts:
            info = srvr(h)
            z[h] = info.get("Zxid") if info else None
        vals = set(z.values())
        if len(vals) == 1 and None not in vals:
            print(vals.pop())
            return 0
        time.sleep(0.2)
    print("wait-same-zxid: no agreement after %.0fs: %s" % (args.timeout, z), file=sys.stderr)
    return 1


def cmd_learner_trunc(args):
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        with open(args.log, "rb") as f:
            f.seek(args.offset)
            text = f.read().decode("utf-8", "replace")
        m = re.search(r"Truncating log to get in sync with the leader 0x([0-9a-fA-F]+)", text)
        if m:
            print(hx(int(m[1], 16)))
            return 0
        time.sleep(0.2)
    print("learner-trunc: no 'Truncating log' line in %s after byte %d" % (args.log, args.offset),
          file=sys.stderr)
    return 1


def cmd_tree_check(args):
    zk = pve.kazoo_client(args.host)
    try:
        ok = True
        if zk.exists(args.node) is None:
            print("tree-check: %s does not exist" % args.node)
            ok = False
        else:
            kids = zk.get_children(args.node)
            print("tree-check: %s exists with %d children%s"
                  % (args.node, len(kids), (": " + ", ".join(sorted(kids)[:5])) if kids else ""))
            ok = len(kids) == args.children
        for p in args.absent or []:
            if zk.exists(p) is not None:
                print("tree-check: %s exists (it must not)" % p)
                ok = False
        return 0 if ok else 1
    finally:
        zk.stop()
        zk.close()


# ---------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------

def dump(zabra, d):
    p = subprocess.run([zabra, "dump", "--format", "json", "--data", "hex", d],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if p.returncode not in (0,):
        raise SystemExit("zabra dump %s failed (exit %d): %s" % (d, p.returncode, p.stderr.decode()))
    txns, ends = [], []
    for line in p.stdout.decode().splitlines():
        r = json.loads(line)
        if r.get("record") == "txn":
            r["z"] = int(r["zxid"], 16)
            txns.append(r)
        elif r.get("record") == "log_end":
            ends.append(r)
    return txns, ends


def key(r):
    return (r["zxid"], r["type"], r.get("path") or "")


def full(r):
    """Everything a record says except the dir it was read from."""
    d = {k: v for k, v in r.items() if k not in ("z",)}
    d["file"] = os.path.basename(r["file"])
    return d


def files(d):
    v2 = os.path.join(d, "version-2")
    out = {}
    for n in sorted(os.listdir(v2)):
        p = os.path.join(v2, n)
        if os.path.isfile(p):
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            out[n] = (os.path.getsize(p), h.hexdigest())
    return out


def named_zxid(name):
    m = re.match(r"^(log|snapshot)\.([0-9a-fA-F]+)$", name)
    return (m[1], int(m[2], 16)) if m else (None, None)


def describe_range(rs):
    if not rs:
        return "none"
    types = {}
    for r in rs:
        types[r["type"]] = types.get(r["type"], 0) + 1
    return "%d txns %s..%s (%s)" % (len(rs), rs[0]["zxid"], rs[-1]["zxid"],
                                   ", ".join("%d %s" % (n, t) for t, n in sorted(types.items())))


def cmd_compare(args):
    T = int(args.trunc, 16)
    bad = []

    def check(cond, what):
        print("  %-4s %s" % ("ok" if cond else "FAIL", what))
        if not cond:
            bad.append(what)

    orig_t, _ = dump(args.zabra, args.orig)
    rb_t, rb_ends = dump(args.zabra, args.rolled)
    af_t, af_ends = dump(args.zabra, args.after)
    af_le = [r for r in af_t if r["z"] <= T]
    af_gt = [r for r in af_t if r["z"] > T]
    orig_gt = [r for r in orig_t if r["z"] > T]
    rb_gt = [r for r in rb_t if r["z"] > T]

    print("TRUNC zxid T = %s (epoch %d, counter 0x%x)" % (hx(T), epoch(T), T & 0xffffffff))
    print("before (the old leader's data dir while it was stopped, before it rejoined):")
    print("  txns <= T: %d; txns > T (logged, never committed): %s"
          % (len(orig_t) - len(orig_gt), describe_range(orig_gt)))
    print("before, rolled back by zabra rollback --to T:")
    print("  txns: %d, last %s" % (len(rb_t), rb_t[-1]["zxid"] if rb_t else "-"))
    print("after (the same server after ZooKeeper's TRUNC, its sync and the new leader's writes):")
    print("  txns <= T: %d; txns > T: %s" % (len(af_le), describe_range(af_gt)))
    print()
    print("checks:")
    check(T in {r["z"] for r in orig_t}, "T %s is a txn in the before copy's logs" % hx(T))
    check(len(orig_gt) > 0, "the before copy has txns after T (the uncommitted proposals): %d" % len(orig_gt))
    check(not rb_gt, "after zabra rollback no txn > T is left (%d)" % len(rb_gt))
    check(bool(rb_t) and rb_t[-1]["z"] == T, "the rolled-back logs end at T")
    kb, ka = [key(r) for r in rb_t], [key(r) for r in af_le]
    same = kb == ka
    check(same, "(zxid, type, path) of the rolled-back logs == ZooKeeper's logs restricted to zxid <= T "
          "(%d == %d txns)" % (len(kb), len(ka)))
    if not same:
        sb, sa = set(kb), set(ka)
        for k in sorted(sb - sa)[:10]:
            print("       only in zabra's result:      %s" % (k,))
        for k in sorted(sa - sb)[:10]:
            print("       only in ZooKeeper's result:  %s" % (k,))
        if sb == sa:
            print("       the same txns in a different order")
    fb, fa = [full(r) for r in rb_t], [full(r) for r in af_le]
    check(fb == fa, "every field of those txns (session, cxid, time, data, file, offset) is the same too")
    dmg = [e for e in rb_ends + af_ends if e.get("kind") != "clean"]
    check(not dmg, "both dirs' logs end cleanly (%s)" % (
        "; ".join("%s: %s %s" % (os.path.basename(e["file"]), e.get("kind"), e.get("detail")) for e in dmg)
        or "no damage, no torn tail"))
    check(all(epoch(r["z"]) > epoch(T) for r in af_gt),
          "ZooKeeper's txns > T are all of a later epoch (none of the uncommitted proposals survived): %s"
          % describe_range(af_gt))
    removed = {r["z"] for r in orig_gt}
    check(not (removed & {r["z"] for r in af_t}),
          "none of the %d removed zxids is in ZooKeeper's result" % len(removed))

    fo, fr, fz = files(args.orig), files(args.rolled), files(args.after)
    print()
    print("files in version-2 (size, sha256[:12]):")
    names = sorted(set(fo) | set(fr) | set(fz), key=lambda n: (named_zxid(n)[1] or -1, n))
    print("  %-22s %-24s %-24s %-24s" % ("file", "before", "rolled back (zabra)", "after (ZooKeeper)"))

    def cell(fs, n):
        return "%d %s" % (fs[n][0], fs[n][1][:12]) if n in fs else "-"
    for n in names:
        print("  %-22s %-24s %-24s %-24s" % (n, cell(fo, n), cell(fr, n), cell(fz, n)))
    print()
    # logs named <= T: the ones ZooKeeper kept (cut or untouched) must be byte-identical
    kept_logs = [n for n in fz if named_zxid(n)[0] == "log" and named_zxid(n)[1] <= T]
    rb_logs = [n for n in fr if named_zxid(n)[0] == "log"]
    check(sorted(rb_logs) == sorted(kept_logs),
          "the logs zabra kept are the logs ZooKeeper kept (named <= T): %s" % " ".join(sorted(kept_logs)))
    for n in sorted(set(kept_logs) & set(rb_logs)):
        check(fr[n] == fz[n], "%s is byte-identical in both (%d bytes%s)"
              % (n, fz[n][0], "" if fo.get(n) == fz[n] else
                 ", cut from %d" % fo[n][0] if n in fo else ""))
    orig_logs_gt = [n for n in fo if named_zxid(n)[0] == "log" and named_zxid(n)[1] > T]
    moved = [n for n in fo if n not in fr]
    cut = [n for n in fo if n in fr and fo[n] != fr[n]]
    print("  zabra: cut %s; moved aside %s" % (" ".join(cut) or "nothing", " ".join(moved) or "nothing"))
    zk_deleted = [n for n in fo if n not in fz]
    zk_cut = [n for n in fo if n in fz and fo[n][0] != fz[n][0] and named_zxid(n)[0] == "log"]
    print("  ZooKeeper: cut %s; deleted %s" % (" ".join(zk_cut) or "nothing", " ".join(zk_deleted) or "nothing"))
    check(sorted(zk_deleted) == sorted(orig_logs_gt) or not orig_logs_gt,
          "ZooKeeper deleted exactly the logs named after T (%s)" % (" ".join(orig_logs_gt) or "none"))
    snaps_gt_orig = [n for n in fo if named_zxid(n)[0] == "snapshot" and named_zxid(n)[1] > T]
    snaps_gt_rb = [n for n in fr if named_zxid(n)[0] == "snapshot" and named_zxid(n)[1] > T]
    check(not snaps_gt_rb, "no snapshot named after a zxid > T in the rolled-back dir (%s)"
          % (" ".join(snaps_gt_rb) or "none"))
    if snaps_gt_orig:
        left = [n for n in snaps_gt_orig if n in fz]
        check(left == snaps_gt_orig, "ZooKeeper's TRUNC left the snapshot(s) named after T in place "
              "(ZOOKEEPER-4837): %s" % " ".join(left))
    else:
        print("  note the before copy had no snapshot named after a zxid > T (the cut-off leader names a "
              "snapshot after the last zxid it applied, which is <= T), so ZOOKEEPER-4837 does not show here")
    backups = [d for d in os.listdir(args.rolled) if d.startswith("zabra-backup-")]
    if backups:
        bdir = os.path.join(args.rolled, backups[0])
        bfiles = sorted(n for n in os.listdir(bdir))
        print("  zabra's backup dir %s holds: %s" % (backups[0], " ".join(bfiles)))
    check(len(backups) == 1, "zabra made one backup dir in the data dir (%d)" % len(backups))

    # what else differs, and why
    print()
    print("what else differs between the rolled-back dir and ZooKeeper's, and why:")
    only_z = [n for n in fz if n not in fr]
    only_r = [n for n in fr if n not in fz]
    diff = [n for n in fz if n in fr and fz[n] != fr[n]]
    for n in sorted(only_z, key=lambda n: (named_zxid(n)[1] or -1, n)):
        k, z = named_zxid(n)
        if k == "log" and z > T:
            why = ("a log ZooKeeper started after the TRUNC for the new leader's txns (%s)"
                   % describe_range([r for r in af_gt if os.path.basename(r["file"]) == n]))
        elif k == "snapshot" and z >= T:
            why = "a snapshot ZooKeeper took at NEWLEADER of the TRUNC sync (named after %s)" % hx(z)
        elif k == "snapshot":
            why = "a snapshot ZooKeeper took"
        else:
            why = "?"
        print("  only in ZooKeeper's: %-20s %s" % (n, why))
    for n in sorted(only_r):
        print("  only in zabra's:     %-20s %s" % (n, "?"))
    for n in sorted(diff):
        k, z = named_zxid(n)
        if n in ("currentEpoch", "acceptedEpoch"):
            why = "%s -> %s: the learner took the new leader's epoch; zabra rollback leaves epochs alone" % (
                open(os.path.join(args.rolled, "version-2", n)).read().strip(),
                open(os.path.join(args.after, "version-2", n)).read().strip())
        elif k == "snapshot":
            why = ("ZooKeeper wrote this snapshot again at NEWLEADER (the same zxid, the tree at T; "
                   "sessions and timestamps differ)")
        else:
            why = "?"
        print("  differs:             %-20s %s" % (n, why))
    unexplained = [n for n in only_r] + [n for n in only_z if named_zxid(n)[0] is None] + \
        [n for n in diff if n not in ("currentEpoch", "acceptedEpoch") and named_zxid(n)[0] != "snapshot"]
    check(not unexplained, "nothing else differs (%s)" % (" ".join(unexplained) or "ok"))
    print()
    if bad:
        print("compare: %d check(s) FAILED" % len(bad))
        return 1
    print("compare: all checks hold")
    return 0


# ---------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("proxy")
    s.add_argument("--ctl", required=True)
    s.add_argument("--route", action="append", required=True)
    s.set_defaults(fn=pve.cmd_proxy)

    s = sub.add_parser("ctl")
    s.add_argument("--ctl", required=True)
    s.add_argument("command", nargs="+")
    s.set_defaults(fn=pve.cmd_ctl)

    s = sub.add_parser("wait-roles")
    s.add_argument("--servers", required=True)
    s.add_argument("--timeout", type=float, default=60.0)
    s.set_defaults(fn=pve.cmd_wait_roles)

    s = sub.add_parser("write")
    s.add_argument("--hosts", required=True)
    s.add_argument("--prefix", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--size", type=int, default=16)
    s.set_defaults(fn=pve.cmd_write)

    s = sub.add_parser("isolate-write")
    s.add_argument("--host", required=True)
    s.add_argument("--sid", type=int, required=True)
    s.add_argument("--ctl", required=True)
    s.add_argument("--prefix", required=True)
    s.add_argument("--count", type=int, default=3)
    s.add_argument("--linger", type=float, default=1.5)
    s.add_argument("--session-timeout", type=float, default=60.0)
    s.set_defaults(fn=pve.cmd_isolate_write)

    s = sub.add_parser("leader-sync")
    s.add_argument("--log", required=True)
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--sid", type=int, required=True)
    s.add_argument("--timeout", type=float, default=60.0)
    s.set_defaults(fn=pve.cmd_leader_sync)

    s = sub.add_parser("learner-trunc")
    s.add_argument("--log", required=True)
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--timeout", type=float, default=30.0)
    s.set_defaults(fn=cmd_learner_trunc)

    s = sub.add_parser("srvr")
    s.add_argument("--host", required=True)
    s.add_argument("--timeout", type=float, default=30.0)
    s.set_defaults(fn=cmd_srvr)

    s = sub.add_parser("wait-same-zxid")
    s.add_argument("--hosts", required=True)
    s.add_argument("--timeout", type=float, default=30.0)
    s.set_defaults(fn=cmd_wait_same_zxid)

    s = sub.add_parser("compare")
    s.add_argument("--zabra", required=True)
    s.add_argument("--orig", required=True, help="the before copy, untouched")
    s.add_argument("--rolled", required=True, help="the before copy after zabra rollback")
    s.add_argument("--after", required=True, help="the learner's dir after ZooKeeper's TRUNC")
    s.add_argument("--trunc", required=True, help="T, 0x hex")
    s.set_defaults(fn=cmd_compare)

    s = sub.add_parser("tree-check")
    s.add_argument("--host", required=True)
    s.add_argument("--node", required=True)
    s.add_argument("--children", type=int, default=0)
    s.add_argument("--absent", action="append")
    s.set_defaults(fn=cmd_tree_check)

    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rc = args.fn(args)
    sys.exit(rc or 0)


if __name__ == "__main__":
    main()
