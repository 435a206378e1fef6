"""Client-side workload of tests/peers/makers/etcd_fixtures.py.

Drives a real etcd 3.4 cluster through Debian's etcdctl (ETCDCTL_API=3) so
the members write WAL segments and .snap files holding every kind of raft
entry a 3.4 server writes for v3 API traffic.  Debian's python has no etcd
client library, so every request is one etcdctl process; python is only used
for exact bytes (keys/values with newlines, quotes, NUL and non-UTF-8 bytes
are passed as argv bytes or on stdin) and for exact JSON (64-bit ids).

After every operation the status of the endpoint that served it (normally
the leader) is read with `etcdctl endpoint status -w json` and one JSON line
is appended to expected/ops.jsonl: what was done, what etcdctl printed,
raftIndex / raftAppliedIndex / raftTerm / revision / leader / member ids,
the difference to the previous line's raftIndex and the raft entries the
operation is expected to add (`entries`).
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import time

from ..wait import wait_until

ETCDCTL = os.environ.get("ETCDCTL", "etcdctl")
ROOT = ("root", "rootpw")
CTL_ERRORS = (OSError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired)


def hx(n):
    """64-bit id as etcd prints it (lower-case hex, no padding)."""
    return "%x" % (n & 0xFFFFFFFFFFFFFFFF)


def text(b, limit=600):
    s = b.decode("utf-8", "backslashreplace")
    return s if len(s) <= limit else s[:limit] + "...<%d chars>" % len(s)


class CtlError(OSError):
    """etcdctl failed (an OSError, so wait_until takes it as "not yet")."""


class Cluster:
    """The running members (name -> client URL), all peers' URLs, and the
    ops.jsonl being written."""

    def __init__(self, members, peer_urls, ops_path):
        self.members = dict(members)
        self.peer_url = dict(peer_urls)
        self.ops_path = ops_path
        self.seq = 0
        self.prev_index = None
        self.ids = {}                         # member id (int) -> name

    # -- etcdctl ----------------------------------------------------------
    def ctl(self, args, ep=None, user=None, stdin=None, check=True, timeout=60):
        endpoints = [self.members[ep]] if ep else list(self.members.values())
        cmd = [ETCDCTL, "--endpoints=" + ",".join(endpoints), "--dial-timeout=5s", "--command-timeout=30s"]
        if user:
            cmd.append("--user=%s:%s" % user)
        cmd += args
        p = subprocess.run(cmd, input=stdin if stdin is not None else b"", stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(os.environ, ETCDCTL_API="3"), timeout=timeout)
        if check and p.returncode != 0:
            shown = [a if isinstance(a, str) else text(a, 80) for a in cmd]
            raise CtlError("%s -> rc %d: %s" % (shown, p.returncode, text(p.stderr)))
        return p

    def raw_status(self, name):
        st = json.loads(self.ctl(["endpoint", "status", "-w", "json"], ep=name).stdout)[0]["Status"]
        h = st["header"]
        self.ids[h["member_id"]] = name
        return {
            "member": name,
            "member_id": hx(h["member_id"]),
            "cluster_id": hx(h["cluster_id"]),
            "leader_id": hx(st["leader"]),
            "raftIndex": st["raftIndex"],
            "raftAppliedIndex": st.get("raftAppliedIndex", 0),
            "raftTerm": st["raftTerm"],
            "revision": h["revision"],
            "header_raft_term": h["raft_term"],
            "version": st["version"],
            "dbSize": st["dbSize"],
            "dbSizeInUse": st.get("dbSizeInUse", 0),
            "isLearner": st.get("isLearner", False),
        }

    def status(self, name):
        """Status once the member applied everything it committed (the last
        one read if it does not within a few seconds)."""
        last = []

        def applied():
            last[:] = [self.raw_status(name)]
            return last[0]["raftAppliedIndex"] >= last[0]["raftIndex"] and last[0]
        try:
            return wait_until(applied, 5, "%s to apply what it committed" % name, interval=0.05, ignore=())
        except TimeoutError:
            return last[0]

    def leader(self, timeout=60):
        """The name of the member that says it leads."""
        def lead():
            for n in self.members:
                try:
                    st = self.raw_status(n)
                except CTL_ERRORS:
                    continue
                if st["leader_id"] == st["member_id"]:
                    return n
            return None
        return wait_until(lead, timeout, "a leader among %s" % list(self.members), interval=0.2)

    # -- recording ----------------------------------------------------------
    def record(self, kind, ep, entries, proc=None, **fields):
        st = self.status(ep)
        self.seq += 1
        d = {"seq": self.seq, "kind": kind}
        d.update(fields)
        d["endpoint"] = ep
        if proc is not None:
            d["rc"] = proc.returncode
            d["out"] = text(proc.stdout)
            if proc.returncode != 0:
                d["err"] = text(proc.stderr)
        d["entries"] = entries
        d["status"] = st
        d["raftIndex_delta"] = st["raftIndex"] - self.prev_index if self.prev_index is not None else None
        d["time_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.prev_index = st["raftIndex"]
        with open(self.ops_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(d, ensure_ascii=False, sort_keys=False) + "\n")
        return d

    # -- operations -----------------------------------------------------------
    @staticmethod
    def _auth_entries(user, entries):
        return (["authenticate"] if user else []) + entries

    def put(self, ep, key, value, lease=None, prev_kv=False, user=None, ignore_value=False, ignore_lease=False,
            verify=True, check=True, kind="put", pattern=None):
        key = key.encode() if isinstance(key, str) else key
        value = value.encode() if isinstance(value, str) else value
        flags = (("prev_kv", prev_kv), ("ignore_value", ignore_value), ("ignore_lease", ignore_lease))
        args = ["put"] + (["--lease=" + lease] if lease else []) + \
            ["--" + f.replace("_", "-") for f, on in flags if on] + ["--", key]
        # the value goes on stdin when argv cannot hold it (NUL; 1 MB is over
        # the 128 KiB single-argument limit); etcdctl reads stdin as is
        stdin = b""
        if ignore_value:
            pass
        elif len(value) > 4096 or b"\0" in value:
            stdin = value
        else:
            args.append(value)               # may be "" (empty value)
        p = self.ctl(args, ep=ep, user=user, stdin=stdin, check=check)
        f = {"key": text(key), "key_hex": key.hex()}
        if not ignore_value:
            f["value_len"] = len(value)
            f["value_sha256"] = hashlib.sha256(value).hexdigest()
            if pattern:
                f["value_pattern"] = pattern
            elif len(value) <= 80:
                f["value"] = text(value)
                f["value_hex"] = value.hex()
        if lease:
            f["lease"] = lease
        f.update((flag, True) for flag, on in flags if on)
        if user:
            f["user"] = user[0]
        d = self.record(kind, ep, self._auth_entries(user, ["put"]), p, **f)
        if verify and user is None and p.returncode == 0 and not ignore_value:
            self.check_value(ep, key, value)
        return d

    def check_value(self, ep, key, value):
        kvs = json.loads(self.ctl(["get", "-w", "json", "--", key], ep=ep).stdout).get("kvs", [])
        got = base64.b64decode(kvs[0].get("value", "")) if kvs else None
        if got != value:
            raise AssertionError("read back %r: got %r, want %r" % (key, got, value))

    def delete(self, ep, key, prefix=False, from_key=False, prev_kv=False, range_end=None, user=None):
        key = key.encode() if isinstance(key, str) else key
        flags = (("prefix", prefix), ("from_key", from_key), ("prev_kv", prev_kv))
        args = ["del"] + ["--" + f.replace("_", "-") for f, on in flags if on] + ["--", key]
        if range_end is not None:
            args.append(range_end)
        p = self.ctl(args, ep=ep, user=user)
        f = {"key": text(key), "key_hex": key.hex()}
        f.update((flag, True) for flag, on in flags[:2] if on)
        if range_end is not None:
            f["range_end"] = range_end
        if prev_kv:
            f["prev_kv"] = True
        f["deleted"] = int(p.stdout.split(b"\n")[0] or b"0")
        return self.record("delete_range", ep, self._auth_entries(user, ["delete_range"]), p, **f)

    def txn(self, ep, script, desc, user=None):
        p = self.ctl(["txn", "--interactive=false"], ep=ep, user=user, stdin=script.encode())
        res = p.stdout.split(b"\n")[0].decode()
        return self.record("txn", ep, self._auth_entries(user, ["txn"]), p, txn=desc, script=script,
                           succeeded=(res == "SUCCESS"))

    def compaction(self, ep, rev, physical=False):
        p = self.ctl(["compaction"] + (["--physical"] if physical else []) + [str(rev)], ep=ep)
        f = {"revision": rev}
        if physical:
            f["physical"] = True
        return self.record("compaction", ep, ["compaction"], p, **f)

    def lease_grant(self, ep, ttl, user=None):
        p = self.ctl(["lease", "grant", str(ttl)], ep=ep, user=user)
        m = re.match(rb"lease ([0-9a-f]+) granted with TTL\((\d+)s\)", p.stdout)
        if not m:
            raise CtlError("lease grant: unexpected output %r" % p.stdout)
        lid = m.group(1).decode()
        self.record("lease_grant", ep, self._auth_entries(user, ["lease_grant"]), p, lease=lid, ttl=ttl,
                    granted_ttl=int(m.group(2)))
        return lid

    def lease_revoke(self, ep, lid):
        return self.record("lease_revoke", ep, ["lease_revoke"], self.ctl(["lease", "revoke", lid], ep=ep),
                           lease=lid)

    def simple(self, kind, ep, args, entries, user=None, stdin=None, check=True, **fields):
        p = self.ctl(args, ep=ep, user=user, stdin=stdin, check=check)
        if user:
            fields["user"] = user[0]
        return self.record(kind, ep, self._auth_entries(user, entries), p,
                           argv=[a if isinstance(a, str) else text(a) for a in args], **fields)

    def wait_index_stable(self, ep, quiet=1.0, limit=30):
        """Until ep's raftIndex has not moved for `quiet` seconds (background
        entries settled); after `limit` seconds the status as it is."""
        seen = {"index": None, "since": time.monotonic()}

        def stable():
            st = self.status(ep)
            if st["raftIndex"] != seen["index"]:
                seen.update(index=st["raftIndex"], since=time.monotonic())
                return None
            return time.monotonic() - seen["since"] >= quiet and st
        try:
            return wait_until(stable, limit, "%s's raft index to settle" % ep, ignore=())
        except TimeoutError:
            return self.status(ep)

    def move_leader(self, to, note=None):
        """Moves leadership to member `to`; records the new term's no-op."""
        old = self.leader()
        tid = self.status(to)["member_id"]
        p = self.ctl(["move-leader", tid])
        new = self.leader()
        self.wait_index_stable(new, quiet=0.5)
        fields = {"note": note} if note else {}
        self.record("move_leader", new, ["leader no-op (empty EntryNormal) at the new term"], p,
                    from_member=old, to_member=to, to_member_id=tid, **fields)
        return new

    def wait_up(self, record=None, entries=(), note="", quiet=1.5, limit=60):
        """Until every member answers and one leads, then until the startup
        entries are in; records a line; returns the leader."""
        def up():
            for n in self.members:
                self.raw_status(n)
            return self.leader(timeout=5)
        lead = wait_until(up, limit, "the etcd cluster %s to be up" % list(self.members), interval=0.3,
                          ignore=CTL_ERRORS + (TimeoutError,))
        self.wait_index_stable(lead, quiet=quiet)
        if record:
            self.record(record, lead, list(entries), note=note)
        return lead

    def note(self, kind, entries=(), note="", wait_stable=0, **fields):
        lead = self.leader()
        if wait_stable:
            self.wait_index_stable(lead, quiet=wait_stable)
        self.record(kind, lead, list(entries), note=note, **fields)

    def status_all(self):
        """endpoint status -w json of every member, ids also in hex."""
        out = []
        for n in self.members:
            st = json.loads(self.ctl(["endpoint", "status", "-w", "json"], ep=n).stdout)[0]
            h = st["Status"]["header"]
            st.update(member=n, member_id_hex=hx(h["member_id"]), cluster_id_hex=hx(h["cluster_id"]),
                      leader_hex=hx(st["Status"]["leader"]))
            out.append(st)
        return out

    def member_list(self):
        """member list -w json, ids also in hex."""
        d = json.loads(self.ctl(["member", "list", "-w", "json"]).stdout)
        d["header"]["cluster_id_hex"] = hx(d["header"]["cluster_id"])
        d["header"]["member_id_hex"] = hx(d["header"]["member_id"])
        for m in d.get("members", []):
            m["ID_hex"] = hx(m["ID"])
        return d


# ---------------------------------------------------------------------------
# the workloads
# ---------------------------------------------------------------------------
def basic(c, learner_url):
    """put/delete/txn/compaction/lease/alarm/member/auth/move-leader; returns the leader."""
    L = c.leader()
    # puts
    c.put(L, "foo", "bar")
    c.put(L, "foo", "bar2", prev_kv=True)
    c.put(L, "foo2", "x y z")
    c.put(L, "foo2", b"", ignore_value=True)
    c.put(L, "empty", b"")
    c.put(L, "zzz/1", "one")
    c.put(L, "zzz/2", "two")
    c.delete(L, "zzz/", from_key=True)                  # range_end "\0"
    c.put(L, "ключ/日本語/ü", "värde ✓ ünïcödé — 値")
    c.put(L, b'bin/line1\nline2 "quoted" \xff\xfe\ttab',
          b'v\x00al\nwith "quote" \'single\' \\ back\xff\xc0 byte\r\n')
    c.put(L, "bin/trailing-newline", b"ends with newline\n")
    c.put(L, "-dash-key", "-dash-value")
    for k, v in (("dir/a", "1"), ("dir/b", "2"), ("dir/c", "3"), ("dir2/x", "x")):
        c.put(L, k, v)
    # deletes
    c.delete(L, "foo2")
    c.delete(L, "dir/", prefix=True)
    c.delete(L, "dir2/x", prev_kv=True)
    c.delete(L, "nothing-here")                         # deletes 0 keys, still an entry
    c.put(L, "r/1", "1")
    c.put(L, "r/2", "2")
    c.put(L, "r/3", "3")
    c.delete(L, "r/1", range_end="r/3")                 # [r/1, r/3)
    # txn
    c.put(L, "t/k", "v1")
    c.put(L, "t/other", "o")
    script = ('value("t/k") = "v1"\nmod("t/k") > "0"\n\n'
              'put t/k v2\nget t/k\n\n'
              'put t/k vFail\ndel t/other\n\n')
    d = c.txn(L, script, "value(t/k)=v1 && mod(t/k)>0 ? put t/k=v2, get t/k : put t/k=vFail, del t/other")
    assert d["succeeded"], d
    d = c.txn(L, script, "same txn again: value is now v2 -> failure branch")
    assert not d["succeeded"], d
    c.txn(L, 'version("t/k") = "3"\n\nput t/k v4\n\n\n', "version(t/k)=3 ? put t/k=v4 : (nothing)")
    # compaction
    c.compaction(L, c.status(L)["revision"] - 8)
    c.put(L, "c/after-compaction", "1")
    c.compaction(L, c.status(L)["revision"] - 1, physical=True)
    # leases
    lid = c.lease_grant(L, 600)
    c.put(L, "l/key", "leased", lease=lid)
    c.put(L, "l/key2", "leased2", lease=lid)
    c.put(L, "l/key2", "same lease, new value", ignore_lease=True)
    c.simple("lease_keepalive_once", L, ["lease", "keep-alive", "--once", lid], [], lease=lid,
             note="renew is served by the leader's lessor; no raft entry in 3.4 "
                  "without --experimental-enable-lease-checkpoint")
    c.simple("lease_timetolive", L, ["lease", "timetolive", "--keys", lid], [], lease=lid, note="read only")
    c.lease_revoke(L, lid)
    lid2 = c.lease_grant(L, 3)
    c.put(L, "l/expiring", "gone in 3s", lease=lid2)
    wait_until(lambda: not json.loads(c.ctl(["get", "--keys-only", "-w", "json", "l/expiring"], ep=L).stdout)
               .get("kvs"), 30, "lease %s to expire" % lid2, interval=0.2)
    c.wait_index_stable(L, quiet=1.0)
    c.record("lease_expired", L, ["lease_revoke"], lease=lid2,
             note="the leader's lessor revoked the expired lease through raft "
                  "(a lease_revoke entry nobody asked for)")
    # alarm (GET goes through raft in 3.4)
    c.simple("alarm_list", L, ["alarm", "list"], ["alarm"], note="AlarmRequest action GET")
    # membership
    p = c.ctl(["member", "add", "e4", "--learner", "--peer-urls=" + learner_url], ep=L)
    m = re.search(rb"Member ([0-9a-f]+) added to cluster ([0-9a-f]+)", p.stdout)
    if not m:
        raise CtlError("member add: unexpected output %r" % p.stdout)
    lrn = m.group(1).decode()
    c.record("conf_change_add_learner", L, ["conf_change AddLearnerNode"], p, name="e4", member_id=lrn,
             peer_urls=[learner_url], note="never started")
    c.simple("conf_change_remove", L, ["member", "remove", lrn], ["conf_change RemoveNode"], member_id=lrn,
             name="e4")
    # update a voting member with its own peer URL (UpdateNode, no real change)
    F = [n for n in c.members if n != L][0]
    fid = c.status(F)["member_id"]
    c.simple("conf_change_update", L, ["member", "update", fid, "--peer-urls=" + c.peer_url[F]],
             ["conf_change UpdateNode"], member_id=fid, name=F, peer_urls=[c.peer_url[F]],
             note="same peer URL as before")
    auth(c, L)
    # leadership transfer (new term, leader no-op)
    L2 = c.move_leader([n for n in c.members if n != L][-1])
    c.put(L2, "after-move-leader", "new term")
    return L2


def auth(c, L):
    """Users, roles, permissions; writes as root and alice (one denied)."""
    def op(kind, args, name=None, user=None, stdin=None, **fields):
        if name is not None:
            fields = dict(name=name, **fields)
        c.simple(kind, L, args, [kind], user=user, stdin=stdin, **fields)
    op("auth_user_add", ["user", "add", "root:rootpw"], "root")
    op("auth_role_add", ["role", "add", "root"], "root")
    op("auth_user_grant_role", ["user", "grant-role", "root", "root"], "root", role="root")
    op("auth_role_add", ["role", "add", "r1"], "r1")
    op("auth_role_grant_permission", ["role", "grant-permission", "r1", "readwrite", "/a", "/b"], "r1",
       perm="READWRITE", key="/a", range_end="/b")
    op("auth_role_grant_permission", ["role", "grant-permission", "--prefix", "r1", "read", "/c/"], "r1",
       perm="READ", key="/c/", range_end="/c0")
    op("auth_user_add", ["user", "add", "alice:alicepw"], "alice")
    op("auth_user_grant_role", ["user", "grant-role", "alice", "r1"], "alice", role="r1")
    op("auth_user_add", ["user", "add", "bob:bobpw"], "bob")
    op("auth_user_grant_role", ["user", "grant-role", "bob", "r1"], "bob", role="r1")
    op("auth_user_revoke_role", ["user", "revoke-role", "bob", "r1"], "bob", role="r1")
    op("auth_user_delete", ["user", "delete", "bob"], "bob")
    op("auth_role_add", ["role", "add", "r2"], "r2")
    op("auth_role_revoke_permission", ["role", "revoke-permission", "--prefix", "r1", "/c/"], "r1",
       key="/c/", range_end="/c0")
    op("auth_role_delete", ["role", "delete", "r2"], "r2")
    op("auth_user_get", ["user", "get", "alice"], "alice")
    op("auth_user_list", ["user", "list"])
    op("auth_role_get", ["role", "get", "r1"], "r1")
    op("auth_role_list", ["role", "list"])
    op("auth_enable", ["auth", "enable"])
    c.put(L, "/auth/by-root", "written as root", user=ROOT)
    c.put(L, "/a/alice", "written as alice", user=("alice", "alicepw"))
    c.put(L, "/z/denied", "alice may not write here", user=("alice", "alicepw"), check=False, kind="put_denied")
    op("auth_user_change_password", ["user", "passwd", "alice", "--interactive=false"], "alice", user=ROOT,
       stdin=b"alicepw2\n", note="new password alicepw2")
    c.put(L, "/a/alice2", "after the password change", user=("alice", "alicepw2"))
    c.txn(L, 'value("/a/alice") = "written as alice"\n\nput /a/txn yes\n\nput /a/txn no\n\n',
          "as alice: value(/a/alice)=... ? put /a/txn=yes : put /a/txn=no", user=("alice", "alicepw2"))
    op("auth_disable", ["auth", "disable"], user=ROOT)
    c.put(L, "after-auth", "auth is off again")


def big(c, count, size):
    """count values of size bytes (one repeated letter each) to cut a WAL
    segment, then a few varied small writes."""
    L = c.leader()
    for i in range(count):
        letter = chr(ord("a") + i % 26)
        c.put(L, "big/%03d" % i, letter.encode() * size, verify=False, pattern="%r x %d" % (letter, size))
    c.put(L, "after-cut/1", "small")
    c.put(L, "after-cut/ü", "ünïcödé", prev_kv=True)
    c.delete(L, "big/", prefix=True, prev_kv=False)
    c.txn(L, 'create("after-cut/1") > "0"\n\nput after-cut/2 two\n\nput after-cut/2 none\n\n',
          "create(after-cut/1)>0 ? put after-cut/2=two : put after-cut/2=none")
    lid = c.lease_grant(L, 120)
    c.put(L, "after-cut/leased", "l", lease=lid)
    c.lease_revoke(L, lid)
    c.compaction(L, c.status(L)["revision"] - 2)
    c.simple("alarm_list", L, ["alarm", "list"], ["alarm"])
    c.put(L, "after-cut/last", "x")


def ensure_not_leader(c, name, when):
    """Moves leadership away from `name` if it leads; returns the leader."""
    L = c.leader()
    if L != name:
        return L
    return c.move_leader(sorted(n for n in c.members if n != name)[0],
                         note="so that %s is a follower when it is %s" % (name, when))


def burst(c, leader, count, progress):
    """count small puts to leader; progress[0] counts the ones that returned."""
    for i in range(count):
        c.put(leader, "burst/%04d" % i, ("burst value %d " % i) * 8, verify=False)
        progress[0] = i + 1


def final(c):
    L = c.leader()
    c.put(L, "final/1", "written while one member is down")
    c.delete(L, "burst/00", prefix=True)
    c.put(L, "final/2", "last write")
