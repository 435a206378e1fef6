"""For checks.rollback_vs_zk: a data dir `zabra rollback --to T` rolled back,
compared with the one ZooKeeper's own TRUNC to T left, up to T."""
import json
import os
import re

from ..workdir import sha256_file
from ..workloads.zk_sync import hx, zabra


def epoch(z):
    return z >> 32


def dump(d):
    """(txns, log ends) of a data dir's logs, from `zabra dump --format json`;
    each txn with "z", its zxid as an int."""
    p = zabra("dump", "--format", "json", "--data", "hex", d)
    if p.returncode != 0:
        raise RuntimeError("zabra dump %s failed (exit %d): %s" % (d, p.returncode, p.stderr))
    txns, ends = [], []
    for line in p.stdout.splitlines():
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
    d = {k: v for k, v in r.items() if k != "z"}
    d["file"] = os.path.basename(r["file"])
    return d


def hash_tree(d):
    """{path relative to d: sha256} of every file under d."""
    return {os.path.relpath(os.path.join(top, n), d): sha256_file(os.path.join(top, n))
            for top, _, names in os.walk(d) for n in names}


def files(d):
    """{name: (size, sha256)} of the files in d/version-2."""
    v2 = os.path.join(d, "version-2")
    return {n: (os.path.getsize(os.path.join(v2, n)), sha256_file(os.path.join(v2, n)))
            for n in sorted(os.listdir(v2)) if os.path.isfile(os.path.join(v2, n))}


def named_zxid(name):
    m = re.match(r"^(log|snapshot)\.([0-9a-fA-F]+)$", name)
    return (m[1], int(m[2], 16)) if m else (None, None)


def by_zxid(names):
    return sorted(names, key=lambda n: (named_zxid(n)[1] or -1, n))


def describe_range(rs):
    if not rs:
        return "none"
    types = {}
    for r in rs:
        types[r["type"]] = types.get(r["type"], 0) + 1
    return "%d txns %s..%s (%s)" % (len(rs), rs[0]["zxid"], rs[-1]["zxid"],
                                   ", ".join("%d %s" % (n, t) for t, n in sorted(types.items())))


def compare(check, orig, rolled, after, T):
    """orig: the before copy, untouched; rolled: the before copy after zabra
    rollback --to T; after: the learner's dir after ZooKeeper's TRUNC to T.
    check(cond, what) records each check."""
    orig_t, _ = dump(orig)
    rb_t, rb_ends = dump(rolled)
    af_t, af_ends = dump(after)
    af_le = [r for r in af_t if r["z"] <= T]
    af_gt = [r for r in af_t if r["z"] > T]
    orig_gt = [r for r in orig_t if r["z"] > T]
    rb_gt = [r for r in rb_t if r["z"] > T]

    print("    TRUNC zxid T = %s (epoch %d, counter 0x%x)" % (hx(T), epoch(T), T & 0xffffffff))
    print("    before (the old leader's data dir while it was stopped, before it rejoined):")
    print("      txns <= T: %d; txns > T (logged, never committed): %s"
          % (len(orig_t) - len(orig_gt), describe_range(orig_gt)))
    print("    before, rolled back by zabra rollback --to T:")
    print("      txns: %d, last %s" % (len(rb_t), rb_t[-1]["zxid"] if rb_t else "-"))
    print("    after (the same server after ZooKeeper's TRUNC, its sync and the new leader's writes):")
    print("      txns <= T: %d; txns > T: %s" % (len(af_le), describe_range(af_gt)))
    check(T in {r["z"] for r in orig_t}, "T %s is a txn in the before copy's logs" % hx(T))
    check(len(orig_gt) > 0, "the before copy has txns after T (the uncommitted proposals): %d" % len(orig_gt))
    check(not rb_gt, "after zabra rollback no txn > T is left (%d)" % len(rb_gt))
    check(bool(rb_t) and rb_t[-1]["z"] == T, "the rolled-back logs end at T")
    kb, ka = [key(r) for r in rb_t], [key(r) for r in af_le]
    check(kb == ka, "(zxid, type, path) of the rolled-back logs == ZooKeeper's logs restricted to zxid <= T "
          "(%d == %d txns)" % (len(kb), len(ka)))
    if kb != ka:
        sb, sa = set(kb), set(ka)
        for k in sorted(sb - sa)[:10]:
            print("       only in zabra's result:      %s" % (k,))
        for k in sorted(sa - sb)[:10]:
            print("       only in ZooKeeper's result:  %s" % (k,))
        if sb == sa:
            print("       the same txns in a different order")
    check([full(r) for r in rb_t] == [full(r) for r in af_le],
          "every field of those txns (session, cxid, time, data, file, offset) is the same too")
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
    compare_files(check, orig, rolled, after, T, af_gt)


def compare_files(check, orig, rolled, after, T, af_gt):
    fo, fr, fz = files(orig), files(rolled), files(after)
    print("    files in version-2 (size, sha256[:12]):")
    print("      %-22s %-24s %-24s %-24s" % ("file", "before", "rolled back (zabra)", "after (ZooKeeper)"))

    def cell(fs, n):
        return "%d %s" % (fs[n][0], fs[n][1][:12]) if n in fs else "-"
    for n in by_zxid(set(fo) | set(fr) | set(fz)):
        print("      %-22s %-24s %-24s %-24s" % (n, cell(fo, n), cell(fr, n), cell(fz, n)))
    # logs named <= T: the ones ZooKeeper kept (cut or untouched) must be byte-identical
    kept_logs = [n for n in fz if named_zxid(n)[0] == "log" and named_zxid(n)[1] <= T]
    rb_logs = [n for n in fr if named_zxid(n)[0] == "log"]
    check(sorted(rb_logs) == sorted(kept_logs),
          "the logs zabra kept are the logs ZooKeeper kept (named <= T): %s" % " ".join(sorted(kept_logs)))
    for n in sorted(set(kept_logs) & set(rb_logs)):
        check(fr[n] == fz[n], "%s is byte-identical in both (%d bytes%s)"
              % (n, fz[n][0], "" if fo.get(n) == fz[n] else ", cut from %d" % fo[n][0] if n in fo else ""))
    orig_logs_gt = [n for n in fo if named_zxid(n)[0] == "log" and named_zxid(n)[1] > T]
    print("    zabra: cut %s; moved aside %s" % (" ".join(n for n in fo if n in fr and fo[n] != fr[n]) or "nothing",
                                                 " ".join(n for n in fo if n not in fr) or "nothing"))
    zk_deleted = [n for n in fo if n not in fz]
    zk_cut = [n for n in fo if n in fz and fo[n][0] != fz[n][0] and named_zxid(n)[0] == "log"]
    print("    ZooKeeper: cut %s; deleted %s" % (" ".join(zk_cut) or "nothing", " ".join(zk_deleted) or "nothing"))
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
        print("    note: the before copy had no snapshot named after a zxid > T (the cut-off leader names a "
              "snapshot after the last zxid it applied, which is <= T), so ZOOKEEPER-4837 does not show here")
    backups = [d for d in os.listdir(rolled) if d.startswith("zabra-backup-")]
    if backups:
        print("    zabra's backup dir %s holds: %s"
              % (backups[0], " ".join(sorted(os.listdir(os.path.join(rolled, backups[0]))))))
    check(len(backups) == 1, "zabra made one backup dir in the data dir (%d)" % len(backups))
    explain_differences(check, rolled, after, T, af_gt, fr, fz)


def explain_differences(check, rolled, after, T, af_gt, fr, fz):
    """What else differs between the rolled-back dir and ZooKeeper's, and why."""
    print("    what else differs between the rolled-back dir and ZooKeeper's, and why:")
    only_z = [n for n in fz if n not in fr]
    only_r = [n for n in fr if n not in fz]
    diff = [n for n in fz if n in fr and fz[n] != fr[n]]
    for n in by_zxid(only_z):
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
        print("      only in ZooKeeper's: %-20s %s" % (n, why))
    for n in sorted(only_r):
        print("      only in zabra's:     %-20s ?" % n)
    for n in sorted(diff):
        if n in ("currentEpoch", "acceptedEpoch"):
            why = "%s -> %s: the learner took the new leader's epoch; zabra rollback leaves epochs alone" % tuple(
                open(os.path.join(d, "version-2", n)).read().strip() for d in (rolled, after))
        elif named_zxid(n)[0] == "snapshot":
            why = ("ZooKeeper wrote this snapshot again at NEWLEADER (the same zxid, the tree at T; "
                   "sessions and timestamps differ)")
        else:
            why = "?"
        print("      differs:             %-20s %s" % (n, why))
    unexplained = only_r + [n for n in only_z if named_zxid(n)[0] is None] + \
        [n for n in diff if n not in ("currentEpoch", "acceptedEpoch") and named_zxid(n)[0] != "snapshot"]
    check(not unexplained, "nothing else differs (%s)" % (" ".join(unexplained) or "ok"))
