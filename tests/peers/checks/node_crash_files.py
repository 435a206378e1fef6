"""What node_crash reads from the data dir and the server logs, and the torn
write it leaves in a log: classify() judges `zabra verify --json` output after
a kill, intervals() checks the snapshot and log-roll intervals, tear_newest_log()
writes a record cut short after the newest log's last one."""
import json
import os
import re
import struct


# ---------------------------------------------------------------------------
# classify: `zabra verify --json` output after a kill -9 (or a clean stop)
# ---------------------------------------------------------------------------


def newest_log(log_dir):
    """The name of the newest txn log in log_dir, or None."""
    logs = [n for n in os.listdir(log_dir) if n.startswith("log.")]
    return max(logs, key=lambda n: int(n.split(".")[1], 16)) if logs else None


def classify(verify_output, log_dir, final=False):
    """(lines, unexpected): one line per finding, "expected" or "UNEXPECTED",
    then a summary line.  After a kill (not final), a log-torn-tail warning
    in the newest log is expected; notes (severity info) are listed but
    accepted."""
    findings, summary = [], None
    for line in verify_output.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("record") == "summary":
            summary = r
        else:
            findings.append(r)
    newest = newest_log(log_dir)
    out = []
    bad = 0
    for r in findings:
        name = os.path.basename(r.get("file") or "")
        ok = r.get("severity") == "info" or (
            not final and r.get("code") == "log-torn-tail" and name == newest)
        bad += not ok
        out.append("%s %s %s %s @%s zxid %s: %s" % ("expected" if ok else "UNEXPECTED", r.get("severity"),
                                               r.get("code"), name, r.get("offset"), r.get("zxid"),
                                               r.get("message")))
    if summary is None:
        out.append("UNEXPECTED no summary line in the verify output")
        bad += 1
    else:
        out.append("summary: %d errors, %d warnings, %d notes; %s logs, %s snapshots, zxid %s..%s, loads %s, "
              "%s digests compared" % (summary.get("errors", -1), summary.get("warnings", -1),
                                       summary.get("notes", -1), summary.get("logs"), summary.get("snapshots"),
                                       summary.get("first_zxid"), summary.get("last_zxid"),
                                       os.path.basename(summary.get("chosen_snapshot") or "-"),
                                       summary.get("digests_compared")))
    return out, bad


# ---------------------------------------------------------------------------
# intervals: snapshot / log-roll intervals from the server logs
# ---------------------------------------------------------------------------


def intervals(run_logs, log_names, sc, slack):
    """(lines, problems).  run_logs: the server logs of the runs, in order;
    log_names: the log file names seen in the data dir (listed after every
    kill); the server logs add the names of purged logs.  sc: snapCount;
    slack: txns that may be in flight when a snapshot is taken.

    ZooKeeper (SyncRequestProcessor) and zabra-node count txns; when the count
    passes snapCount/2 + a random roll in [0, snapCount/2), they roll the log
    (the next txn starts a new log file) and take a snapshot of the tree
    unless the previous snapshot is still being written ("too busy to snap,
    skipping").  A server start also begins a new log.  So, within one run:
      * log roll intervals (differences of consecutive log names) must lie in
        [snapCount/2 + 1, snapCount]: exact;
      * snapshot intervals (differences of consecutive snapshot zxids) in
        [snapCount/2 - slack, snapCount + slack] (a snapshot holds what was
        applied when it was taken: txns in flight), or a multiple of those
        bounds when snapshots in between were skipped as too busy.
    A log purged by a run that was killed between the unlink and its
    "purged" line leaves no trace: a snapshot inside a too long log interval
    stands for its roll (the name is inferred, and counted)."""
    names = {int(n.split(".")[1], 16) for n in log_names if n.startswith("log.")}
    runs = []
    for rl in run_logs:
        base, snaps, busy = None, [], 0
        with open(rl, encoding="utf-8", errors="replace") as f:
            for line in f:
                # zabra-node's lines, then ZooKeeper's (ZABRA_NODE=zk)
                m = (re.search(r"replayed \d+ txns; last zxid 0x([0-9a-f]+)", line) or
                     re.search(r"Snapshot loaded in \d+ ms, highest zxid is 0x([0-9a-f]+)", line))
                if m and base is None:
                    base = int(m.group(1), 16)
                m = (re.search(r"snapshot snapshot\.([0-9a-f]+) written", line) or
                     re.search(r"Snapshotting: 0x([0-9a-f]+) to", line))
                if m:
                    snaps.append(int(m.group(1), 16))
                m = (re.search(r"purged log\.([0-9a-f]+)", line) or
                     re.search(r"Creating new log file: log\.([0-9a-f]+)", line))
                if m:
                    names.add(int(m.group(1), 16))
                busy += "too busy to snap" in line.lower()
        if base is not None:
            runs.append((rl, base, sorted(set(snaps)), busy))
    rlo, rhi = sc // 2 + 1, sc
    snap_iv, roll_iv, skipped, bad = [], [], [], []
    inferred = 0
    busy_total = 0
    for k, (rl, base, snaps, busy) in enumerate(runs):
        busy_total += busy
        rname = os.path.basename(rl)
        end = runs[k + 1][1] if k + 1 < len(runs) else float("inf")
        logs = sorted(n for n in names if base < n <= end)
        if logs and logs[0] != base + 1:
            bad.append("run %d (%s) recovered to 0x%x but its first log is log.%x (expected log.%x)"
                       % (k, rname, base, logs[0], base + 1))
        # fill in rolls whose log name left no trace, from the snapshots
        full = list(logs)
        for a, b in zip(logs, logs[1:]):
            if b - a > rhi:
                for z in snaps:
                    if a + rlo - 1 <= z and z + rlo < b:
                        full.append(z + 1)
                        inferred += 1
        full = sorted(set(full))
        for a, b in zip(full, full[1:]):
            iv = b - a
            roll_iv.append(iv)
            if not rlo <= iv <= rhi:
                bad.append("log roll interval %d (log.%x -> log.%x, run %d: %s) outside [%d, %d]"
                           % (iv, a, b, k, rname, rlo, rhi))
        triggers = [n - 1 for n in full[1:]] if full and full[0] == base + 1 else [n - 1 for n in full]

        def trig(z):            # the roll a snapshot belongs to (taken at or a little after it)
            c = [t for t in triggers if t <= z and z - t <= slack]
            return max(c) if c else None
        prev, prev_t, skips_seen = base, None, 0
        for z in snaps:
            if z <= base:
                continue                            # the snapshot taken at start
            t = trig(z)
            skips = 0
            if t is not None:
                skips = sum(1 for x in triggers if (prev_t if prev_t is not None else base) < x < t)
            iv = z - prev
            lo, hi = (skips + 1) * (sc // 2) - slack, (skips + 1) * sc + slack
            if skips:
                skips_seen += skips
                skipped.append("%d (0x%x..0x%x, %s: %d snapshot(s) skipped)" % (iv, prev, z, rname, skips))
            else:
                snap_iv.append(iv)
            if not lo <= iv <= hi:
                bad.append("snapshot interval %d (0x%x..0x%x, run %d: %s) outside [%d, %d]"
                           % (iv, prev, z, k, rname, lo, hi))
            prev, prev_t = z, t
        if skips_seen > busy:
            bad.append("run %d (%s): %d snapshot(s) missing between rolls, but only %d 'too busy to snap' line(s)"
                       % (k, rname, skips_seen, busy))

    def desc(v):
        if not v:
            return "none"
        return "n=%d min=%d max=%d mean=%.1f" % (len(v), min(v), max(v), sum(v) / len(v))
    out = ["snapshot intervals (txns between consecutive snapshots of a run; allowed [%d, %d]): %s"
           % (sc // 2 - slack, sc + slack, desc(snap_iv)),
           "  list: %s" % " ".join(map(str, snap_iv))]
    if busy_total or skipped:
        out.append("  'too busy to snap, skipping' lines: %d; intervals spanning skipped snapshots: %s"
                   % (busy_total, "; ".join(skipped) or "none"))
    out.append("log roll intervals (txns per log file of a run; allowed [%d, %d]): %s%s"
               % (rlo, rhi, desc(roll_iv),
                  "; %d roll(s) inferred from snapshots (log purged without a trace)" % inferred if inferred else ""))
    out.append("  list: %s" % " ".join(map(str, roll_iv)))
    out += ["INTERVAL FAILED: " + b for b in bad]
    return out, bad


def tear_newest_log(log_dir):
    """Writes a record cut short (a write in flight, as a power cut leaves
    it: 40 of its 300 payload bytes) after the last whole record of the
    newest log, fsynced; returns "<log> torn at offset <n>"."""
    newest = newest_log(log_dir)
    path = os.path.join(log_dir, newest)
    with open(path, "r+b") as f:
        data = f.read()
        at = 16
        while at + 12 <= len(data):
            (length,) = struct.unpack(">i", data[at + 8:at + 12])
            if length <= 0 or at + 12 + length + 1 > len(data) or data[at + 12 + length] != 0x42:
                break
            at += 12 + length + 1
        f.seek(at)
        f.write(struct.pack(">qi", 0x0123456789ABCDEF, 300) + b"\xab" * 40)
        f.flush()
        os.fsync(f.fileno())
    return "%s torn at offset %d" % (newest, at)
