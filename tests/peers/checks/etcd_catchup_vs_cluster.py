"""`zabra plan`'s SNAPSHOT against what a real etcd 3.4 leader sends a follower that fell behind.

A 3-member etcd cluster (Debian's etcd-server 3.4, the harness's EtcdCluster, --snapshot-count 100)
runs twice:

  compacted  a follower is stopped (SIGTERM); 5300 small keys are written through the leader's
             gRPC gateway (more than etcd's 5000 catch-up entries plus a snapshot interval, so
             the running leader compacts its raft log past the stopped follower)
  restarted  a follower is stopped; 350 keys are written (the others snapshot past it), the two
             others are stopped and started again (a restarted member's raft log starts after
             its newest .snap); planned with --catch-up-entries 0

Each time the leader's data dir is copied while it idles, then

    zabra plan --leader <copy> --learner <stopped follower> --json

runs, and the follower is started again.  The leader's log says what it really sent: "sending
database snapshot" (rafthttp) with snapshot-index and bytes, "sending merged snapshot" (etcdserver)
with bytes; the follower's "applying snapshot" has incoming-leader-snapshot-index.

Checked: zabra's kind is SNAPSHOT; its snapshot_index is the leader's snapshot-index (its applied
index, not the .snap's); snapshot and planned entries together reach the leader's last entry; its
snapshot_bytes (the leader's snap/db size) is within 1 MiB + 10% of etcd's bytes (the db as bbolt
snapshots it plus the raft message with the v2 store, so near but not equal).  Two differences are
explained and accepted, each only when shown:
  * started, the follower publishes its attributes through raft; when the leader applies that entry
    before it sends (a race), the snapshot is one index past the copy's log: accepted only when
    `zabra dump` shows that entry is the follower's publish;
  * a running etcd does not sync its WAL for a commit change alone, so the copy's last HardState can
    lag: the plan's index is then the recorded commit, below the leader's last entry, with the rest
    planned as entries: accepted when etcd's index lies after that commit, up to the last entry.
In "restarted" the plan also runs on the leader's files as it left them when stopped (what the
fixture has): etcd's index must be the plan's plus only entries the restart itself wrote (the new
term's empty entry, the members' attribute publishes), as `zabra dump` shows them.

Run: python3 -m tests.peers.checks.etcd_catchup_vs_cluster [-k]   (-k keeps the work dir)
"""
import argparse
import json
import shutil
import subprocess
import threading
import time

from tests.peers import EtcdCluster, WorkDir, binary, run, skip_unless, wait_until

SNAPSHOT_COUNT = 100
WRITES = 5300          # > 5000 catch-up entries + a snapshot interval past the stopped member
# etcd's own defaults (the harness keeps every file): a real member purges all but 5 .snap and 5 .wal
PURGE_AS_ETCD_DOES = ["--max-snapshots", "5", "--max-wals", "5"]
PLAN_EXITS = (0, 10, 11, 12, 13)

T0 = time.monotonic()


def say(msg):
    print("[%5.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


class Failed(Exception):
    pass


def put_many(cluster, sid, count, prefix):
    """count puts through member sid's gateway, from 4 threads."""
    errors = []

    def worker(start):
        try:
            for i in range(start, count, 4):
                cluster.put(sid, "%s/%05d" % (prefix, i), "value %d" % i)
        except Exception as e:      # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise Failed("writes through %s failed: %s" % (cluster.member(sid), errors[0]))


def log_events(text, message):
    """The zap log lines of `text` whose msg is `message`, as dicts."""
    out = []
    for line in text.splitlines():
        if message not in line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("msg") == message:
            out.append(ev)
    return out


def wait_idle(cluster, sid):
    """Until sid's committed and applied indexes agree and stop moving; returns the applied index."""
    last = [None]

    def idle():
        st = cluster.status(sid)
        cur = (st["raftIndex"], st["raftAppliedIndex"]) if st else None
        settled = cur is not None and cur == last[0] and cur[0] == cur[1]
        last[0] = cur
        return settled and cur[1]
    return wait_until(idle, 60, "etcd %s to idle" % cluster.member(sid), interval=0.5)


def wal_entries(data_dir, first, last):
    """The raft entries first..last of data_dir's WAL as `zabra dump` decodes them (a later write wins)."""
    r = subprocess.run([binary("zabra"), "dump", "--format", "json", "--start-index", str(first), "--end-index",
                        str(last + 1), data_dir], capture_output=True, text=True, timeout=60)
    by_index = {}
    for line in r.stdout.splitlines():
        rec = json.loads(line)
        if rec.get("record") == "entry":
            by_index[rec["index"]] = rec
    return [by_index.get(i) for i in range(first, last + 1)]


def is_publish(entry, member_hex=None):
    path = ((entry or {}).get("request") or {}).get("path", "")
    return path.startswith("/0/members/") and path.endswith("/attributes") and \
        (member_hex is None or path == "/0/members/%s/attributes" % member_hex)


def run_plan(leader_dir, follower_dir, extra):
    argv = [binary("zabra"), "plan", "--leader", leader_dir, "--learner", follower_dir, "--json"] + extra
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if r.returncode not in PLAN_EXITS:
        raise Failed("zabra plan exited %d: %s" % (r.returncode, r.stderr.strip()))
    return json.loads(r.stdout)


def scenario(name, work, restart_survivors):
    """One cluster: a follower stopped, writes, (the others restarted), the plan, the follower back."""
    cluster = EtcdCluster(3, workdir=work.sub(name), snapshot_count=SNAPSHOT_COUNT, token="zabra-etcd-catchup",
                          extra_flags=PURGE_AS_ETCD_DOES)
    m = cluster.member
    try:
        say("%s: starting e1 e2 e3 in %s (snapshot-count %d)" % (name, cluster.workdir, SNAPSHOT_COUNT))
        leader = cluster.start()
        follower = next(s for s in cluster.sids if s != leader)
        say("%s: leader %s; stopping follower %s" % (name, m(leader), m(follower)))
        put_many(cluster, leader, 20, "before")
        cluster.stop(follower)
        survivors = [s for s in cluster.sids if s != follower]
        writes = 3 * SNAPSHOT_COUNT + 50 if restart_survivors else WRITES
        say("%s: writing %d keys through %s" % (name, writes, m(leader)))
        put_many(cluster, leader, writes, "k")
        stopped_dir = {}
        plan_args = []
        if restart_survivors:
            # Started again, a member's raft log begins after its newest .snap.
            for s in sorted(survivors, key=lambda x: x == leader):
                cluster.stop(s)
            for s in survivors:  # their files as they were left: what the fixture has
                stopped_dir[s] = shutil.copytree(cluster.data_dir(s), work.file(name, m(s) + "-stopped"))
            say("%s: stopped %s (SIGTERM), copied their dirs; starting them again" % (name, [m(s) for s in survivors]))
            for s in survivors:     # neither serves before the other is up: wait for the pair
                cluster.start(s, wait=False)
            plan_args = ["--catch-up-entries", "0"]
        leader2 = cluster.wait_for_leader(survivors)
        if leader2 != leader and not restart_survivors:
            raise Failed("leadership moved from %s to %s during the writes" % (m(leader), m(leader2)))
        leader = leader2
        applied = wait_idle(cluster, leader)
        copy = shutil.copytree(cluster.data_dir(leader), work.file(name, m(leader) + "-copy"))
        saved = [e.get("snapshot-index") for e in log_events(cluster.procs[leader].log_text(), "saved snapshot")]
        say("%s: leader %s: applied index %s, snapshots ...%s; copied its dir" % (name, m(leader), applied, saved[-3:]))

        plan = run_plan(copy, cluster.data_dir(follower), plan_args)
        stopped_plan = None
        if restart_survivors:
            stopped_plan = run_plan(stopped_dir[leader], cluster.data_dir(follower), plan_args)
            say("%s: zabra plan on %s's stopped files: kind %s, snapshot_index %s, append %s.." % (
                name, m(leader), stopped_plan.get("kind"), stopped_plan.get("snapshot_index"),
                stopped_plan.get("append_first")))
        say("%s: zabra plan %s: kind %s, snapshot_index %s (from %s), snapshot_bytes %s, append %s..%s, "
            "leader .snap %s" % (name, " ".join(plan_args), plan.get("kind"), plan.get("snapshot_index"),
                                 plan.get("snapshot_index_from"), plan.get("snapshot_bytes"),
                                 plan.get("append_first"), plan.get("append_last"), plan.get("leader_snap_index")))

        say("%s: starting %s again" % (name, m(follower)))
        leader_since = cluster.procs[leader].log_size()
        follower_since = cluster.procs[follower].log_size()
        cluster.start(follower, wait=False)
        cluster.wait_for_leader(cluster.sids)
        sent = wait_until(lambda: log_events(cluster.procs[leader].log_text(leader_since),
                                             "sending database snapshot"),
                          60, "%s's 'sending database snapshot' to %s" % (m(leader), m(follower)), interval=0.3)
        merged = log_events(cluster.procs[leader].log_text(leader_since), "sending merged snapshot")
        applying = log_events(cluster.procs[follower].log_text(follower_since), "applying snapshot")
        real_index = sent[0].get("snapshot-index")
        real_bytes = sent[0].get("bytes")
        say("%s: etcd: leader 'sending database snapshot' snapshot-index %s bytes %s; 'sending merged snapshot' "
            "bytes %s; follower 'applying snapshot' incoming-leader-snapshot-index %s" % (
                name, real_index, real_bytes, [e.get("bytes") for e in merged],
                [e.get("incoming-leader-snapshot-index") for e in applying]))

        follower_id = format(cluster.status(follower)["member_id"], "x")
        cluster.close()
        return compare(name, cluster, leader, plan, stopped_plan, real_index, real_bytes, sent[0], follower_id,
                       m(follower))
    finally:
        cluster.close()


def compare(name, cluster, leader, plan, stopped_plan, real_index, real_bytes, sent, follower_id, follower_name):
    """Prints zabra's plan against what etcd did; True when every check holds."""
    index, size = plan.get("snapshot_index"), plan.get("snapshot_bytes")
    last, commit = plan.get("leader_last_index"), plan.get("leader_commit")
    if not all(isinstance(v, int) for v in (index, last, commit, real_index)):
        raise Failed("no index to compare: zabra %s, etcd %s" % (plan, sent))
    leader_dir = cluster.data_dir(leader)
    # The follower, started again, publishes its attributes through raft; when that entry is
    # applied before the leader gets to send, the snapshot is one entry past the copy's log.
    published = real_index == last + 1 and is_publish(wal_entries(leader_dir, real_index, real_index)[0],
                                                      follower_id)
    reached = real_index - 1 if published else real_index
    if published:
        say("%s: entry %d is %s's attribute publish, applied before the snapshot went out"
            % (name, real_index, follower_name))
    # A running etcd does not sync its WAL for a commit change alone: the copy's last HardState may
    # lag its commit (the record is still in etcd's write buffer), and the plan's index, read from
    # the files, is then below the leader's last entry, with the rest planned as entries.
    lagged = commit == index < reached <= last
    if lagged:
        say("%s: the copy's WAL records commit %d while its entries reach %d: etcd had not flushed its last "
            "commit record" % (name, commit, last))
    appended = plan.get("append_last") or index
    checks = [
        ("kind", plan.get("kind"), "SNAPSHOT", plan.get("kind") == "SNAPSHOT"),
        ("snapshot index" + (" (+ the publish)" if published else "") + (" (WAL commit lags)" if lagged else ""),
         index, real_index, index == reached or lagged),
        ("entries planned up to the last", appended, reached, appended == reached),
    ]
    if stopped_plan is not None:
        # From the files the leader left when stopped: exact up to what was written after them,
        # which can only be the restart's own entries (the new term's empty entry, publishes).
        sidx = stopped_plan.get("snapshot_index")
        later = wal_entries(leader_dir, sidx + 1, real_index) \
            if isinstance(sidx, int) and sidx <= real_index else None
        restart_only = later is not None and all(
            e is not None and (e.get("data_len") == 0 or is_publish(e)) for e in later)
        checks.append(("from stopped files (+%d restart)" % len(later or []), sidx, real_index,
                       stopped_plan.get("kind") == "SNAPSHOT" and restart_only and
                       stopped_plan.get("append_first") is None))
    if size is None or real_bytes is None:
        checks.append(("snapshot bytes", size, real_bytes, False))
    else:
        # etcd's count: the db as bbolt snapshots it, plus the raft message with the v2 store.
        checks.append(("bytes: db file (etcd's %+d)" % (real_bytes - size), size, real_bytes,
                       abs(size - real_bytes) <= (1 << 20) + real_bytes // 10))
    print("%s: %-34s %10s %10s  result" % (name, "check", "zabra", "etcd"))
    for what, got, want, good in checks:
        print("%s: %-34s %10s %10s  %s" % (name, what, got, want, "ok" if good else "MISMATCH"))
    ok = all(c[3] for c in checks)
    if not ok:
        print("%s: zabra's reason: %s" % (name, plan.get("reason")))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    skip_unless("etcd", "zabra")
    work = WorkDir("etcd-catchup", keep=args.keep)
    ok = scenario("compacted", work, restart_survivors=False)
    ok = scenario("restarted", work, restart_survivors=True) and ok
    print("etcd-catchup-vs-cluster: " + ("every plan matches" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    run(main)
