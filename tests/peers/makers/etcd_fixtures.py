"""Regenerates tests/fixtures/etcd/ from Debian's real etcd 3.4 server.

A real 3-member etcd 3.4 cluster (tests.peers' EtcdCluster, members e1, e2,
e3) on 127.0.0.1 with free ports and a temp data dir, --snapshot-count=40
(so several .snap files are written) and purging effectively off, driven
with etcdctl (etcd_workload.py runs the etcdctl processes and records what
the cluster reports):

  basic   puts (non-ASCII, binary-ish bytes, empty value, --prev-kv,
          --ignore-value, --ignore-lease), deletes (one key, --prefix,
          --from-key, a range, no match), txns (success and failure
          branches), compaction (plain and --physical), leases (grant, put
          --lease, keep-alive --once, revoke, one left to expire), alarm
          list, a learner added and removed, a member updated, auth (users,
          roles, permissions, auth enable, writes as root and alice, a
          denied write, password change, auth disable), move-leader
  restart e2 is stopped (SIGTERM) and started again (its WAL is reopened)
  big     70 values of 1,000,000 bytes (one repeated letter each) so every
          member cuts a second 64,000,000-byte WAL segment, then small writes
  kill    e3 is killed with SIGKILL in the middle of a burst of puts (its
          spare N.tmp and the preallocated zero tail of its last segment stay)
  final   a few writes on e1+e2, then e1 and e2 are stopped with SIGTERM

Output (--out, default <repo>/tests/fixtures/etcd):
  cluster/<member>/member/wal/*.wal.zst, *.tmp.zst   zstd -19 of every WAL file
  cluster/<member>/member/snap/*.snap               as written (snap/db is NOT kept)
  expected/README         versions, flags, what was done, observations
  expected/ops.jsonl      one line per operation with the endpoint status after it
  expected/members.json   etcdctl member list -w json (ids also in hex)
  expected/status.json    etcdctl endpoint status -w json before the kill / at the end
  expected/db.json        size, sha256 and `etcdctl snapshot status -w json` of each snap/db
  expected/<m>.files.tsv  name, size, sha256 of every ORIGINAL file in member/wal and member/snap
  expected/<m>.log        the member's zap log, trimmed (paths replaced)
  MANIFEST, .gitattributes

Everything is generated into a temp dir; on success --out is replaced as a
whole.  Environment: ETCD_FIXTURES_DEST (the default --out).  Note: on a
host running systemd, installing etcd-server also enables a system etcd on
the default ports 2379/2380; this maker does not use it.
"""
import hashlib
import json
import logging
import os
import re
import shutil
import threading

from .. import EtcdCluster, WorkDir, free_port, run, wait_until
from ..skip import missing
from . import common, etcd_readme
from . import etcd_workload as wl

log = logging.getLogger("makers")
GENERATOR = "scripts/make-etcd-fixtures"
MEMBERS = ("e1", "e2", "e3")
RESTARTED, KILLED = "e2", "e3"
TOKEN = "zabra-etcd-fixtures"
SNAPSHOT_COUNT = 40
BIG_COUNT, BIG_SIZE = 70, 1000000
SEGMENT = 64000000
BURST, KILL_AFTER = 60, 20
VECTOR_B = bytes.fromhex("04000000000000840804100000000000")  # a crc record with crc 0 (kVectorB in test_etcd_wal.cpp)
LOG_DROP = re.compile(r'"msg":"(sent MsgHeartbeat|received MsgHeartbeat|applied incoming|apply request took too long'
                      r'|request stats|recognized environment variable)')


class Maker:
    def __init__(self, work):
        self.work = work
        self.out = work.sub("out")
        self.exp = os.path.join(self.out, "expected")
        os.makedirs(self.exp)
        self.cluster = EtcdCluster(3, workdir=work, snapshot_count=SNAPSHOT_COUNT, token=TOKEN)
        self.sid = {self.cluster.member(s): s for s in self.cluster.sids}
        self.learner_port = free_port()          # e4: added as a learner, never started
        url = "http://127.0.0.1:%d"
        self.c = wl.Cluster({m: url % self.cluster.client_port[s] for m, s in self.sid.items()},
                            {m: url % self.cluster.peer_port[s] for m, s in self.sid.items()},
                            os.path.join(self.exp, "ops.jsonl"))
        self.facts = {}                            # for the README

    def data(self, m):
        return self.cluster.data_dir(self.sid[m])

    def wal_segments(self, m):
        wal = os.path.join(self.data(m), "member", "wal")
        return wal, sorted((n for n in os.listdir(wal) if re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]{16}\.wal", n)),
                           key=lambda n: n.encode())

    def run(self):
        c, cl = self.c, self.cluster
        log.info("starting e1 e2 e3 (client ports %s, peer ports %s, snapshot-count %d)",
                 sorted(cl.client_port.values()), sorted(cl.peer_port.values()), SNAPSHOT_COUNT)
        cl.start(wait=False)
        L = c.wait_up("cluster_up", ["conf_change AddNode e1/e2/e3 (term 1)", "leader no-op",
                                     "v2 PUT /0/members/<id>/attributes x3", "v2 PUT /0/version"],
                      "bootstrap entries, order of the publish/version entries varies", quiet=2)
        log.info("  leader: %s", L)
        log.info("basic workload (put/delete/txn/compaction/lease/alarm/member/auth/move-leader)")
        log.info("  leader: %s", wl.basic(c, "http://127.0.0.1:%d" % self.learner_port))

        # restart e2 (a follower): its WAL is reopened and appended to
        L = wl.ensure_not_leader(c, RESTARTED, "restarted")
        log.info("restart %s (SIGTERM, start again; leader is %s)", RESTARTED, L)
        rid = c.status(RESTARTED)["member_id"]
        cl.stop(self.sid[RESTARTED])
        cl.start(self.sid[RESTARTED], wait=False)
        c.wait_up("member_restart", ["v2 PUT /0/members/%s/attributes (published again by the restarted member)"
                                     % rid], "%s stopped with SIGTERM and started again" % RESTARTED, quiet=2)

        # big values: cut a second WAL segment on every member
        log.info("big workload: %d values of %d bytes, then small writes", BIG_COUNT, BIG_SIZE)
        wl.big(c, BIG_COUNT, BIG_SIZE)
        for m in MEMBERS:
            n = len(self.wal_segments(m)[1])
            if n < 2:
                raise AssertionError("%s has only %d WAL segment(s) after the big values" % (m, n))

        # kill e3 with SIGKILL in the middle of a burst of writes
        L = wl.ensure_not_leader(c, KILLED, "killed")
        before_kill = c.status_all()
        log.info("burst of puts to %s; SIGKILL %s (pid %s) after %d of them", L, KILLED,
                 cl.procs[self.sid[KILLED]].pid, KILL_AFTER)
        progress, failed = [0], []

        def burst():
            try:
                wl.burst(c, L, BURST, progress)
            except BaseException as e:          # reported by the main thread
                failed.append(e)
        t = threading.Thread(target=burst, name="burst")
        t.start()
        wait_until(lambda: progress[0] >= KILL_AFTER or not t.is_alive(), 120, "%d burst puts" % KILL_AFTER,
                   interval=0.05)
        killed_after = progress[0]
        cl.kill(self.sid[KILLED])
        t.join(600)
        if t.is_alive() or failed:
            raise AssertionError("the burst failed: %s" % (failed or "still running after 600 s"))
        log.info("  %s killed after %d of %d burst puts had returned", KILLED, killed_after, BURST)
        del c.members[KILLED]
        c.note("member_killed", wait_stable=1,
               note="%s killed with SIGKILL while the burst was running (after %d of %d puts had returned)"
               % (KILLED, killed_after, BURST),
               member=KILLED, signal="SIGKILL", burst_puts_done_at_kill=killed_after)

        # final writes, status, stop
        log.info("final writes on %s", " ".join(c.members))
        wl.final(c)
        at_end = c.status_all()
        with open(os.path.join(self.exp, "members.json"), "w") as f:
            json.dump(c.member_list(), f, indent=1)
            f.write("\n")
        with open(os.path.join(self.exp, "status.json"), "w") as f:
            f.write('{\n"note": "before_kill: all members just before %s was killed; at_end: the surviving members '
                    'after the last write, before they were stopped",\n"killed": "%s",\n' % (KILLED, KILLED))
            for key, value in (("before_kill", before_kill), ("at_end", at_end)):
                f.write('"%s":\n%s\n%s' % (key, json.dumps(value, indent=1), ",\n" if key == "before_kill" else ""))
            f.write("}\n")
        with open(os.path.join(self.exp, "status.json")) as f:
            json.load(f)
        L = c.leader()
        log.info("stopping followers, then the leader %s (SIGTERM)", L)
        for m in [m for m in c.members if m != L] + [L]:
            cl.stop(self.sid[m])
        self.facts.update(killed_after=killed_after)

    def check_data(self):
        log.info("checking the data dirs")
        for m in MEMBERS:
            wal, segs = self.wal_segments(m)
            if len(segs) < 2:
                raise AssertionError("%s: fewer than 2 WAL segments" % m)
            with open(os.path.join(wal, segs[0]), "rb") as f:
                if f.read(16) != VECTOR_B:
                    raise AssertionError("%s: %s does not start with a crc-0 CRC record" % (m, segs[0]))
            for s in segs[:-1]:
                size = os.path.getsize(os.path.join(wal, s))
                if size < SEGMENT:
                    raise AssertionError("%s: finished segment %s is %d bytes (< %d)" % (m, s, size, SEGMENT))
            size = os.path.getsize(os.path.join(wal, segs[-1]))
            if size != SEGMENT:
                raise AssertionError("%s: active segment %s is %d bytes, not %d" % (m, segs[-1], size, SEGMENT))
            snaps = [n for n in os.listdir(os.path.join(self.data(m), "member", "snap")) if n.endswith(".snap")]
            if len(snaps) < 2:
                raise AssertionError("%s: fewer than 2 .snap files" % m)
            tmps = sorted(n for n in os.listdir(wal) if n.endswith(".tmp"))
            if m == KILLED and not tmps:
                raise AssertionError("%s was killed but left no *.tmp spare" % m)
            log.info("  %s: %d segments (%s), %d .snap, tmp: %s", m, len(segs), " ".join(segs), len(snaps),
                     " ".join(tmps) or "none")

    def write_files(self):
        log.info("compressing WAL files, copying .snap files, recording sizes and hashes")
        db = []
        for m in MEMBERS:
            src = os.path.join(self.data(m), "member")
            dst = os.path.join(self.out, "cluster", m, "member")
            rows = ["# original files of cluster/%s/member (generated by %s)\n" % (m, GENERATOR),
                    "# path<TAB>size<TAB>sha256 of the original bytes<TAB>stored as (- = not committed)\n"]
            files = [os.path.join(d, n) for d in ("wal", "snap") for n in os.listdir(os.path.join(src, d))
                     if os.path.isfile(os.path.join(src, d, n))]
            for f in sorted(files, key=lambda p: p.encode()):
                size, digest = os.path.getsize(os.path.join(src, f)), common.sha256_file(os.path.join(src, f))
                os.makedirs(os.path.dirname(os.path.join(dst, f)), exist_ok=True)
                if f.startswith("wal/"):
                    stored = f + ".zst"
                    common.tool(["zstd", "-19", "-q", "-o", os.path.join(dst, stored), os.path.join(src, f)],
                                timeout=1800).check_returncode()
                    back = common.tool(["zstd", "-dc", os.path.join(dst, stored)], timeout=600).stdout
                    if hashlib.sha256(back).hexdigest() != digest:
                        raise AssertionError("%s: %s.zst does not restore" % (m, f))
                elif f.endswith(".snap"):
                    stored = f
                    shutil.copyfile(os.path.join(src, f), os.path.join(dst, stored))
                else:
                    stored = None
                if stored:
                    os.chmod(os.path.join(dst, stored), 0o644)
                rows.append("%s\t%d\t%s\t%s\n" % (f, size, digest, "cluster/%s/member/%s" % (m, stored)
                                                    if stored else "-"))
            with open(os.path.join(self.exp, m + ".files.tsv"), "w") as out:
                out.writelines(rows)
            # snap/db is not committed: its size, hash and what etcdctl says about a copy
            copy = self.work.file("db-" + m)
            shutil.copyfile(os.path.join(src, "snap", "db"), copy)
            st = common.tool(["etcdctl", "snapshot", "status", copy, "-w", "json"],
                             env=dict(os.environ, ETCDCTL_API="3"))
            st.check_returncode()
            db.append('"%s": {"path": "cluster/%s/member/snap/db", "size": %d, "sha256": "%s", '
                      '"snapshot_status": %s}' % (m, m, os.path.getsize(copy), common.sha256_file(copy),
                                                  st.stdout.decode().strip()))
            os.remove(copy)
        with open(os.path.join(self.exp, "db.json"), "w") as f:
            f.write("{\n" + ",\n".join(db) + "\n}\n")
        with open(os.path.join(self.exp, "db.json")) as f:
            json.load(f)
        # trimmed member logs: zap JSON lines without the noisiest ones, temp paths replaced
        for m in MEMBERS:
            with open(self.cluster.procs[self.sid[m]].log, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            with open(os.path.join(self.exp, m + ".log"), "w") as f:
                f.writelines(self.sanitize(l)[:600] + "\n" for l in lines if not LOG_DROP.search(l))

    def sanitize(self, text):
        text = re.sub(re.escape(self.work.path) + r"/(e\d+)\b", r"<data>/\1", text)
        return text.replace(self.work.path + "/", "<tmp>/")


def main():
    ap = common.parser("make-etcd-fixtures", __doc__, "tests/fixtures/etcd", "ETCD_FIXTURES_DEST")
    args = ap.parse_args()
    common.setup_logging()
    # no stray ETCD_* / ETCDCTL_* settings from the caller's environment
    for v in [v for v in os.environ if re.match(r"ETCD(CTL)?_", v)]:
        del os.environ[v]
    os.environ["ETCDCTL_API"] = "3"
    common.ensure_packages(["etcd-server", "etcd-client", "zstd"])
    why = missing("etcd") or missing("etcdctl") or (None if shutil.which("zstd") else "zstd not found")
    if why:
        raise SystemExit("make-etcd-fixtures: error: " + why)
    version = common.tool(["etcd", "--version"], timeout=60).stdout.decode()
    if not re.search(r"^etcd Version: 3\.4\.", version, re.M):
        raise SystemExit("make-etcd-fixtures: error: expected etcd 3.4, got: %s" % version)
    m = Maker(WorkDir("etcdfix", keep=args.keep))
    m.run()
    m.check_data()
    m.write_files()
    etcd_readme.write(m, GENERATOR, version)
    common.write_manifest(m.out, GENERATOR, "files are byte-exact etcd output (WAL files zstd-compressed)")
    size, _ = common.tree_size(m.out)
    if size >= 2 * 1024 * 1024:
        log.warning("warning: fixture is larger than 2 MiB")
    common.install(m.out, args.out)


if __name__ == "__main__":
    run(main)
