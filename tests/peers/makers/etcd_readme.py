"""expected/README of the etcd fixture set (tests/peers/makers/etcd_fixtures.py):
versions, flags, what was done, a summary of ops.jsonl, the original files
and what this etcd was seen to do."""
import collections
import json
import os
import re
import time

from . import common


def ops_summary(ops_path):
    with open(ops_path, encoding="utf-8") as f:
        ops = [json.loads(line) for line in f]
    kinds = collections.Counter(o["kind"] for o in ops)
    idx = [o["status"]["raftIndex"] for o in ops]
    terms = sorted({o["status"]["raftTerm"] for o in ops})
    odd = [o for o in ops[1:] if o["raftIndex_delta"] != len(o["entries"])]
    lines = ["%d lines, raftIndex %d..%d, raftTerm %s, revision %d..%d" % (
                 len(ops), min(idx), max(idx), ",".join(map(str, terms)),
                 ops[0]["status"]["revision"], ops[-1]["status"]["revision"]),
             "kinds: " + ", ".join("%s=%d" % kv for kv in sorted(kinds.items())),
             "raftIndex_delta == len(entries) on %d of %d lines after the first" % (len(ops) - 1 - len(odd),
                                                                                  len(ops) - 1)]
    lines += ["  differs: seq %d %s delta %s expected %d %s" % (o["seq"], o["kind"], o["raftIndex_delta"],
                                                               len(o["entries"]), o["entries"]) for o in odd]
    return lines, bool(odd)


def indent(lines, n):
    return "\n".join(" " * n + line for line in lines)


def write(m, generator, etcd_version):
    """m: the etcd_fixtures.Maker after its run."""
    from .etcd_fixtures import BIG_COUNT, BIG_SIZE, BURST, KILLED, MEMBERS, RESTARTED, SNAPSHOT_COUNT, TOKEN
    cl = m.cluster
    summary, odd = ops_summary(os.path.join(m.exp, "ops.jsonl"))
    for line in summary:
        common.log.info("  %s", line)
    ctl_version = common.tool(["etcdctl", "version"], timeout=60).stdout.decode().splitlines()
    zstd = common.tool(["zstd", "--version"], timeout=60).stdout.decode().splitlines()[0]
    zstd = re.sub(r"^\** *| *\**$", "", zstd)
    ports = lambda d: " ".join(str(d[s]) for s in cl.sids)   # noqa: E731
    initial = ",".join("%s=http://127.0.0.1:%d" % (cl.member(s), cl.peer_port[s]) for s in cl.sids)

    def tmps(member):
        wal = os.path.join(m.data(member), "member", "wal")
        return sorted(n for n in os.listdir(wal) if n.endswith(".tmp"))
    killed_tmp = "".join(t + " " for t in tmps(KILLED))
    clean_tmp = "".join(t + " " for x in MEMBERS if x != KILLED for t in tmps(x))
    if odd:
        delta = ("raftIndex_delta differed from the expected entry count on the lines listed in the summary above\n"
                 "  (background entries interleaved there); on all other lines raftIndex after a write is that "
                 "write's index.")
    else:
        delta = ("raftIndex_delta matched the expected entry count on every line of this run: no background\n"
                 "  traffic interleaved, so raftIndex right after a write is that write's index exactly.")
    files = []
    for x in MEMBERS:
        files.append("  %s:" % x)
        for d in ("wal", "snap"):
            path = os.path.join(m.data(x), "member", d)
            for n in sorted(os.listdir(path), key=lambda n: n.encode()):
                files.append("    %s/%s %d%s" % (d, n, os.path.getsize(os.path.join(path, n)),
                                                "   (not committed)" if n == "db" else ""))
    text = README.format(
        generator=generator, date=time.strftime("%Y-%m-%d", time.gmtime()),
        etcd_pkg=common.dpkg_version("etcd-server"), ctl_pkg=common.dpkg_version("etcd-client"), zstd=zstd,
        versions=indent(etcd_version.splitlines() + ctl_version, 2), client_ports=ports(cl.client_port),
        peer_ports=ports(cl.peer_port), learner_port=m.learner_port, initial=initial, token=TOKEN,
        snapshot_count=SNAPSHOT_COUNT, restarted=RESTARTED, big_count=BIG_COUNT, big_size=BIG_SIZE,
        killed=KILLED, burst=BURST, killed_after=m.facts["killed_after"], summary=indent(summary, 4),
        files="\n".join(files), delta=delta, clean_tmp=clean_tmp or "none", killed_tmp=killed_tmp or "no tmp")
    with open(os.path.join(m.exp, "README"), "w") as f:
        f.write(text)


README = r"""Produced by {generator} (with tests/peers/makers/etcd_workload.py) on {date}.

Versions
  Debian etcd-server {etcd_pkg}, etcd-client {ctl_pkg}; {zstd}
{versions}

Cluster
  3 members e1 e2 e3 on 127.0.0.1: client ports {client_ports}, peer ports {peer_ports}
  (a learner e4 with peer URL http://127.0.0.1:{learner_port} was added and removed, never started).
  etcd --name eN --data-dir <tmp>/eN --initial-cluster {initial}
       --initial-cluster-state new --initial-cluster-token {token}
       --snapshot-count {snapshot_count} --max-snapshots 1000 --max-wals 1000 --logger zap --log-outputs stderr
  (other settings default: heartbeat 100 ms, election 1000 ms, no pre-vote, no lease checkpointing, v2 API off).
  Member and cluster ids come from the peer URLs and the token; the ports are picked free in every run,
  so the ids differ from run to run, as do lease ids, request ids, the learner's id, timestamps and hashes.

What was done (every step and what the cluster reported after it: expected/ops.jsonl)
  1. bootstrap, then through etcdctl (ETCDCTL_API=3) against the leader: puts (UTF-8 key and value, a key with
     newline/quote/tab/0xff 0xfe bytes and a value with NUL/newline/quotes/0xff/CRLF given on stdin, an empty value,
     --prev-kv, --ignore-value, --ignore-lease, a key starting with '-'), deletes (one key, --prefix, --from-key i.e.
     range_end "\0", a [key, end) range, a key that does not exist), 3 txns (success branch, failure branch, one with
     an empty failure branch), compaction and compaction --physical, lease grant 600 / put --lease /
     keep-alive --once / timetolive / revoke, a 3 s lease left to expire (revoked by the leader), alarm list,
     member add e4 --learner + member remove, member update (same peer URL), auth: user add root, role add root,
     user grant-role root root, role r1 with readwrite [/a,/b) and a read --prefix /c/ (later revoked),
     user alice with r1, user bob (granted, revoked, deleted), role r2 (added, deleted), user get/list,
     role get/list, auth enable, puts as root and alice (one denied: /z/denied), user passwd alice (as root),
     a put and a txn as alice with the new password, auth disable (as root); then move-leader (new term).
  2. {restarted} (a follower) stopped with SIGTERM and started again.
  3. {big_count} puts of {big_size}-byte values (big/000.., one repeated letter each), which cuts a second WAL segment
     on every member; then small varied writes (put, delete --prefix of big/, txn, lease grant/put/revoke,
     compaction, alarm list).
  4. {killed} killed with SIGKILL (kill -9 <pid>) while a burst of {burst} small puts ran against the leader
     ({killed_after} puts had returned when the signal was sent); {killed} was a follower.
  5. three more writes on e1+e2, then both stopped with SIGTERM (followers first).

ops.jsonl: one JSON object per line: seq, kind, op fields (key as text with \xNN escapes and key_hex; value,
  value_hex (<= 80 bytes), value_len, value_sha256; lease / member ids in hex as etcdctl prints them; user for
  authenticated requests), endpoint (member that served it, the leader unless noted), rc/out/err of etcdctl,
  entries (the raft entries this step is expected to append, in order; "authenticate" precedes every request
  made with --user because each etcdctl process authenticates once), status (etcdctl endpoint status of that
  endpoint, read once raftAppliedIndex >= raftIndex: raftIndex = committed index, raftTerm, revision,
  member/leader/cluster ids in hex), raftIndex_delta (raftIndex minus the previous line's raftIndex).
  When raftIndex_delta == len(entries) the entry of a single-entry write is at index status.raftIndex, and
  for an authenticated one the authenticate entry is at raftIndex-1.
  Summary of this run:
{summary}

status.json: endpoint status -w json of all members just before the kill, and of e1+e2 at the end (ids
  decimal as etcd prints them, plus *_hex). members.json: member list -w json at the end.
db.json: size, sha256 and etcdctl snapshot status -w json (run on a copy after the members stopped) of each
  member/snap/db; the db files themselves are not committed (tens of MB).
<m>.files.tsv: every original file of member/wal and member/snap: path, size, sha256 of the original bytes,
  and the committed file (*.zst = zstd -19 of the original; "-" = not committed, only snap/db).
<m>.log: the member's zap log (heartbeat/apply chatter dropped, temp paths replaced).

Original files per member (path under cluster/<m>/member, size in bytes)
{files}

Observations (etcd 3.4.23 with this workload). Checked with a throw-away WAL decoder on the runs made while
writing this script (every raft entry of e1's log was accounted for by the "entries" of some ops.jsonl line,
in order); details that depend on timing (where a Save crosses the segment limit, what the killed member had
written) were the same in those runs but are not re-checked when the fixture is regenerated.
* Bootstrap: indexes 1-3 are ConfChange AddNode (term 1, request id 0) in member-id order, 4 is the term-2
  leader no-op, then the three v2 "PUT /0/members/<id>/attributes" (order varies) and "PUT /0/version" = 3.4.0.
* Each etcdctl process started with --user appends one "authenticate" entry (field 1012, simple token, no
  password) right before its request; the request's header carries the username.
* A write that auth denies is still a raft entry: the put to /z/denied by alice is logged (authenticate + put)
  and fails only when applied ("failed to apply request ... auth: permission denied" in the member log);
  the revision does not change. The same holds for a delete that matches no key and for compaction.
* Requests that only read but still go through raft in 3.4: "alarm list" (AlarmRequest action GET),
  "user get", "user list", "role get", "role list" (one entry each).
* "lease keep-alive --once" and "lease timetolive" add no entry (renewal is handled by the leader's lessor).
  No lease_checkpoint entries at all: checkpointing is off by default, and with
  --experimental-enable-lease-checkpoint 3.4 checkpoints only every 5 minutes (interval not settable by flag).
* A lease left to expire is revoked by the leader with a lease_revoke entry (with the member-attribute publish
  after a restart, the only entries no client asked for).
* member add --learner: ConfChange type 3 (AddLearnerNode) with context {{"id":..,"peerURLs":[..],"isLearner":true}}
  (no name: the learner never started); member remove: type 1 without context; member update with the same
  peer URL: type 2 (UpdateNode) with context {{"id":..,"peerURLs":[..]}} (no name).
* move-leader: the new leader appends one empty entry at term+1; nothing else.
* A member restarted with SIGTERM + start publishes its attributes again (one v2 PUT entry); the cluster
  version is not set again.
* {delta}
* WAL snapshot records (type 5) sit in the log at every .snap index (every snapshot-count+1 = 41 entries);
  each member's .snap file names match them.
* The cut: the first segment finishes a little over 64,000,000 bytes, with the 1 MB entry record that crossed
  the limit as its LAST record (no state record after it: that Save carried no HardState change), so its
  last entry index is one past the last commit recorded in it. The new segment starts with CRC, metadata and
  a state record (the previous HardState), immediately followed by another state record (the next Save's
  HardState, commit advanced) before its first entry. Its name index is the first segment's last entry + 1.
* Cleanly stopped members (SIGTERM) leave no *.tmp (the spare is deleted on close; seen here: {clean_tmp})
  and their active segment is still exactly 64,000,000 bytes (not truncated on close).
* The killed member ({killed}) left: {killed_tmp}(64,000,000 zero bytes; the pipeline counter is at 1 after
  one cut), and an active segment of 64,000,000 bytes whose records end in zeros; its last record was whole,
  and its last entry was appended before a HardState recording its commit (last entry index > last commit).
* The bbolt db files differ between members (sizes, hashes) even at the same revision; db.json has each.
"""
