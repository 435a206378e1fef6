#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Client-side workloads for scripts/make-etcd-fixtures.

Drives a real etcd 3.4 cluster through Debian's etcdctl (ETCDCTL_API=3) so the
members write WAL segments and .snap files holding every kind of raft entry a
3.4 server writes for v3 API traffic.  Debian's python has no etcd client
library, so every request is one etcdctl process; python is only used for
exact bytes (keys/values with newlines, quotes, NUL and non-UTF-8 bytes are
passed as argv bytes or on stdin) and for exact JSON (64-bit ids overflow jq).

After every operation the status of the endpoint that served it (normally the
leader) is read with `etcdctl endpoint status -w json` and one JSON line is
appended to --ops (expected/ops.jsonl): what was done, what etcdctl printed,
raftIndex / raftAppliedIndex / raftTerm / revision / leader / member ids, the
difference to the raftIndex of the previous line and the raft entries the
operation is expected to add (`entries`).

Sub-commands (all take --member NAME=URL for every running member and --ops):
  wait-up     wait until every member answers, a leader exists and the raft
              index is stable; record a `cluster_up` line
  basic       put/delete/txn/compaction/lease/alarm/member/auth/move-leader
  note        record a line for something the shell did (restart, kill)
  big         --count values of --size bytes (one repeated letter each) to
              cut a WAL segment, then a few varied small writes
  leader      print the name of the current leader
  ensure-not-leader NAME   move leadership away from NAME if it leads
  burst       --count small puts; progress (number done) in --progress
  final       a few writes on the surviving members
  status-all  endpoint status of every listed member as JSON on stdout
  members     `member list -w json` as JSON on stdout (ids also in hex)
"""

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time

ETCDCTL = os.environ.get("ETCDCTL", "etcdctl")
ENV = dict(os.environ, ETCDCTL_API="3")

ROOT = ("root", "rootpw")


def hx(n):
    """64-bit id as etcd prints it (lower-case hex, no padding)."""
    return "%x" % (n & 0xFFFFFFFFFFFFFFFF)


def text(b, limit=600):
    s = b.decode("utf-8", "backslashreplace")
    return s if len(s) <= limit else s[:limit] + "...<%d chars>" % len(s)


class CtlError(Exception):
    pass


class Cluster:
    def __init__(self, members, ops_path):
        self.members = dict(members)          # name -> client URL (running members)
        self.ops_path = ops_path
        self.seq = 0
        self.prev_index = None
        self.ids = {}                         # member id (int) -> name
        if ops_path and os.path.exists(ops_path):
            with open(ops_path, encoding="utf-8") as f:
                for line in f:
                    d = json.loads(line)
                    self.seq = d["seq"]
                    self.prev_index = d["status"]["raftIndex"]

    # -- etcdctl ----------------------------------------------------------
    def ctl(self, args, ep=None, user=None, stdin=None, check=True, timeout=60,
            endpoints=None):
        if endpoints is None:
            endpoints = [self.members[ep]] if ep else list(self.members.values())
        cmd = [ETCDCTL, "--endpoints=" + ",".join(endpoints),
               "--dial-timeout=5s", "--command-timeout=30s"]
        if user:
            cmd.append("--user=%s:%s" % user)
        cmd += args
        p = subprocess.run(cmd, input=stdin if stdin is not None else b"",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=ENV, timeout=timeout)
        if check and p.returncode != 0:
            shown = [a if isinstance(a, str) else text(a, 80) for a in cmd]
            raise CtlError("%s -> rc %d: %s" % (shown, p.returncode, text(p.stderr)))
        return p

    def raw_status(self, name):
        p = self.ctl(["endpoint", "status", "-w", "json"], ep=name)
        st = json.loads(p.stdout)[0]["Status"]
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
        """Status once the member applied everything it committed."""
        for _ in range(50):
            st = self.raw_status(name)
            if st["raftAppliedIndex"] >= st["raftIndex"]:
                return st
            time.sleep(0.05)
        return st

    def leader(self):
        last = None
        for _ in range(100):
            sts = {}
            for n in self.members:
                try:
                    sts[n] = self.raw_status(n)
                except (CtlError, ValueError, KeyError, IndexError) as e:
                    last = e
            for n, st in sts.items():
                if st["leader_id"] == st["member_id"]:
                    return n
            time.sleep(0.2)
        raise CtlError("no leader among %s (%s)" % (list(self.members), last))

    def name_of(self, hexid):
        for i, n in self.ids.items():
            if hx(i) == hexid:
                return n
        return None

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
        d["raftIndex_delta"] = (st["raftIndex"] - self.prev_index
                                if self.prev_index is not None else None)
        d["time_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.prev_index = st["raftIndex"]
        with open(self.ops_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(d, ensure_ascii=False, sort_keys=False) + "\n")
        return d

    # -- operations -----------------------------------------------------------
    def _auth_entries(self, user, entries):
        return (["authenticate"] if user else []) + entries

    def put(self, ep, key, value, lease=None, prev_kv=False, user=None,
            ignore_value=False, ignore_lease=False, verify=True, check=True,
            kind="put", pattern=None):
        key = key.encode() if isinstance(key, str) else key
        value = value.encode() if isinstance(value, str) else value
        args = ["put"]
        if lease:
            args.append("--lease=" + lease)
        if prev_kv:
            args.append("--prev-kv")
        if ignore_value:
            args.append("--ignore-value")
        if ignore_lease:
            args.append("--ignore-lease")
        # the value goes on stdin (argv cannot hold NUL, and 1 MB is over
        # the 128 KiB single-argument limit); etcdctl reads stdin as is
        stdin = b""
        args += ["--", key]
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
        for flag, on in (("prev_kv", prev_kv), ("ignore_value", ignore_value),
                         ("ignore_lease", ignore_lease)):
            if on:
                f[flag] = True
        if user:
            f["user"] = user[0]
        d = self.record(kind, ep, self._auth_entries(user, ["put"]), p, **f)
        if verify and user is None and p.returncode == 0 and not ignore_value:
            self.check_value(ep, key, value)
        return d

    def check_value(self, ep, key, value):
        g = self.ctl(["get", "-w", "json", "--", key], ep=ep)
        kvs = json.loads(g.stdout).get("kvs", [])
        got = base64.b64decode(kvs[0].get("value", "")) if kvs else None
        if got != value:
            raise CtlError("read back %r: got %r, want %r" % (key, got, value))

    def delete(self, ep, key, prefix=False, from_key=False, prev_kv=False,
               range_end=None, user=None):
        key = key.encode() if isinstance(key, str) else key
        args = ["del"]
        if prefix:
            args.append("--prefix")
        if from_key:
            args.append("--from-key")
        if prev_kv:
            args.append("--prev-kv")
        args += ["--", key]
        if range_end is not None:
            args.append(range_end)
        p = self.ctl(args, ep=ep, user=user)
        f = {"key": text(key), "key_hex": key.hex()}
        if prefix:
            f["prefix"] = True
        if from_key:
            f["from_key"] = True
        if range_end is not None:
            f["range_end"] = range_end
        if prev_kv:
            f["prev_kv"] = True
        f["deleted"] = int(p.stdout.split(b"\n")[0] or b"0")
        return self.record("delete_range", ep, self._auth_entries(user, ["delete_range"]), p, **f)

    def txn(self, ep, script, desc, user=None):
        p = self.ctl(["txn", "--interactive=false"], ep=ep, user=user, stdin=script.encode())
        res = p.stdout.split(b"\n")[0].decode()
        return self.record("txn", ep, self._auth_entries(user, ["txn"]), p,
                           txn=desc, script=script, succeeded=(res == "SUCCESS"))

    def compaction(self, ep, rev, physical=False):
        args = ["compaction"] + (["--physical"] if physical else []) + [str(rev)]
        p = self.ctl(args, ep=ep)
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
        self.record("lease_grant", ep, self._auth_entries(user, ["lease_grant"]), p,
                    lease=lid, ttl=ttl, granted_ttl=int(m.group(2)))
        return lid

    def lease_revoke(self, ep, lid):
        p = self.ctl(["lease", "revoke", lid], ep=ep)
        return self.record("lease_revoke", ep, ["lease_revoke"], p, lease=lid)

    def simple(self, kind, ep, args, entries, user=None, stdin=None, check=True, **fields):
        p = self.ctl(args, ep=ep, user=user, stdin=stdin, check=check)
        if user:
            fields["user"] = user[0]
        return self.record(kind, ep, self._auth_entries(user, entries), p,
                           argv=[a if isinstance(a, str) else text(a) for a in args],
                           **fields)

    def wait_index_stable(self, ep, quiet=1.0, limit=30):
        t0 = time.time()
        last, since = None, time.time()
        while time.time() - t0 < limit:
            st = self.status(ep)
            if st["raftIndex"] != last:
                last, since = st["raftIndex"], time.time()
            elif time.time() - since >= quiet:
                return st
            time.sleep(0.1)
        return self.status(ep)


# ---------------------------------------------------------------------------
# workloads
# ---------------------------------------------------------------------------

def wait_up(c, args):
    t0 = time.time()
    while True:
        try:
            ok = True
            for n in c.members:
                c.raw_status(n)
            L = c.leader()
            break
        except (CtlError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired) as e:
            if time.time() - t0 > args.limit:
                raise CtlError("cluster not up after %ds: %s" % (args.limit, e))
            time.sleep(0.3)
    # wait until startup entries (publish attributes, cluster version) are in
    st = c.wait_index_stable(L, quiet=args.quiet)
    if args.record:
        c.record(args.record, L, args.entries.split(",") if args.entries else [],
                 note=args.note or "")
    print(L)


def basic(c, args):
    L = c.leader()
    # --- puts ---------------------------------------------------------------
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
    # --- deletes --------------------------------------------------------------
    c.delete(L, "foo2")
    c.delete(L, "dir/", prefix=True)
    c.delete(L, "dir2/x", prev_kv=True)
    c.delete(L, "nothing-here")                         # deletes 0 keys, still an entry
    c.put(L, "r/1", "1")
    c.put(L, "r/2", "2")
    c.put(L, "r/3", "3")
    c.delete(L, "r/1", range_end="r/3")                 # [r/1, r/3)
    # --- txn ------------------------------------------------------------------
    c.put(L, "t/k", "v1")
    c.put(L, "t/other", "o")
    script = ('value("t/k") = "v1"\nmod("t/k") > "0"\n\n'
              'put t/k v2\nget t/k\n\n'
              'put t/k vFail\ndel t/other\n\n')
    d = c.txn(L, script, "value(t/k)=v1 && mod(t/k)>0 ? put t/k=v2, get t/k : put t/k=vFail, del t/other")
    assert d["succeeded"], d
    d = c.txn(L, script, "same txn again: value is now v2 -> failure branch")
    assert not d["succeeded"], d
    d = c.txn(L, 'version("t/k") = "3"\n\nput t/k v4\n\n\n',
              "version(t/k)=3 ? put t/k=v4 : (nothing)")
    # --- compaction -----------------------------------------------------------
    rev = c.status(L)["revision"]
    c.compaction(L, rev - 8)
    c.put(L, "c/after-compaction", "1")
    rev = c.status(L)["revision"]
    c.compaction(L, rev - 1, physical=True)
    # --- leases -----------------------------------------------------------------
    lid = c.lease_grant(L, 600)
    c.put(L, "l/key", "leased", lease=lid)
    c.put(L, "l/key2", "leased2", lease=lid)
    c.put(L, "l/key2", "same lease, new value", ignore_lease=True)
    c.simple("lease_keepalive_once", L, ["lease", "keep-alive", "--once", lid],
             [], lease=lid,
             note="renew is served by the leader's lessor; no raft entry in 3.4 "
                  "without --experimental-enable-lease-checkpoint")
    c.simple("lease_timetolive", L, ["lease", "timetolive", "--keys", lid], [], lease=lid,
             note="read only")
    c.lease_revoke(L, lid)
    lid2 = c.lease_grant(L, 3)
    c.put(L, "l/expiring", "gone in 3s", lease=lid2)
    t0 = time.time()
    while time.time() - t0 < 30:
        g = c.ctl(["get", "--keys-only", "-w", "json", "l/expiring"], ep=L)
        if not json.loads(g.stdout).get("kvs"):
            break
        time.sleep(0.2)
    else:
        raise CtlError("lease %s did not expire" % lid2)
    c.wait_index_stable(L, quiet=1.0)
    c.record("lease_expired", L, ["lease_revoke"], lease=lid2,
             note="the leader's lessor revoked the expired lease through raft "
                  "(a lease_revoke entry nobody asked for)")
    # --- alarm (GET goes through raft in 3.4) ----------------------------------
    c.simple("alarm_list", L, ["alarm", "list"], ["alarm"], note="AlarmRequest action GET")
    # --- membership -----------------------------------------------------------
    p = c.ctl(["member", "add", "e4", "--learner", "--peer-urls=" + args.learner_url], ep=L)
    m = re.search(rb"Member ([0-9a-f]+) added to cluster ([0-9a-f]+)", p.stdout)
    if not m:
        raise CtlError("member add: unexpected output %r" % p.stdout)
    lrn = m.group(1).decode()
    c.record("conf_change_add_learner", L, ["conf_change AddLearnerNode"], p,
             name="e4", member_id=lrn, peer_urls=[args.learner_url],
             note="never started")
    c.simple("conf_change_remove", L, ["member", "remove", lrn], ["conf_change RemoveNode"],
             member_id=lrn, name="e4")
    # update a voting member with its own peer URL (UpdateNode, no real change)
    F = [n for n in c.members if n != L][0]
    fid = c.status(F)["member_id"]
    c.simple("conf_change_update", L,
             ["member", "update", fid, "--peer-urls=" + args.peer_url[F]],
             ["conf_change UpdateNode"], member_id=fid, name=F,
             peer_urls=[args.peer_url[F]], note="same peer URL as before")
    # --- auth -------------------------------------------------------------------
    c.simple("auth_user_add", L, ["user", "add", "root:rootpw"], ["auth_user_add"], name="root")
    c.simple("auth_role_add", L, ["role", "add", "root"], ["auth_role_add"], name="root")
    c.simple("auth_user_grant_role", L, ["user", "grant-role", "root", "root"],
             ["auth_user_grant_role"], name="root", role="root")
    c.simple("auth_role_add", L, ["role", "add", "r1"], ["auth_role_add"], name="r1")
    c.simple("auth_role_grant_permission", L,
             ["role", "grant-permission", "r1", "readwrite", "/a", "/b"],
             ["auth_role_grant_permission"], name="r1", perm="READWRITE", key="/a",
             range_end="/b")
    c.simple("auth_role_grant_permission", L,
             ["role", "grant-permission", "--prefix", "r1", "read", "/c/"],
             ["auth_role_grant_permission"], name="r1", perm="READ", key="/c/",
             range_end="/c0")
    c.simple("auth_user_add", L, ["user", "add", "alice:alicepw"], ["auth_user_add"], name="alice")
    c.simple("auth_user_grant_role", L, ["user", "grant-role", "alice", "r1"],
             ["auth_user_grant_role"], name="alice", role="r1")
    c.simple("auth_user_add", L, ["user", "add", "bob:bobpw"], ["auth_user_add"], name="bob")
    c.simple("auth_user_grant_role", L, ["user", "grant-role", "bob", "r1"],
             ["auth_user_grant_role"], name="bob", role="r1")
    c.simple("auth_user_revoke_role", L, ["user", "revoke-role", "bob", "r1"],
             ["auth_user_revoke_role"], name="bob", role="r1")
    c.simple("auth_user_delete", L, ["user", "delete", "bob"], ["auth_user_delete"], name="bob")
    c.simple("auth_role_add", L, ["role", "add", "r2"], ["auth_role_add"], name="r2")
    c.simple("auth_role_revoke_permission", L,
             ["role", "revoke-permission", "--prefix", "r1", "/c/"],
             ["auth_role_revoke_permission"], name="r1", key="/c/", range_end="/c0")
    c.simple("auth_role_delete", L, ["role", "delete", "r2"], ["auth_role_delete"], name="r2")
    c.simple("auth_user_get", L, ["user", "get", "alice"], ["auth_user_get"], name="alice")
    c.simple("auth_user_list", L, ["user", "list"], ["auth_user_list"])
    c.simple("auth_role_get", L, ["role", "get", "r1"], ["auth_role_get"], name="r1")
    c.simple("auth_role_list", L, ["role", "list"], ["auth_role_list"])
    c.simple("auth_enable", L, ["auth", "enable"], ["auth_enable"])
    c.put(L, "/auth/by-root", "written as root", user=ROOT)
    c.put(L, "/a/alice", "written as alice", user=("alice", "alicepw"))
    c.put(L, "/z/denied", "alice may not write here", user=("alice", "alicepw"),
          check=False, kind="put_denied")
    c.simple("auth_user_change_password", L,
             ["user", "passwd", "alice", "--interactive=false"],
             ["auth_user_change_password"], user=ROOT, stdin=b"alicepw2\n",
             name="alice", note="new password alicepw2")
    c.put(L, "/a/alice2", "after the password change", user=("alice", "alicepw2"))
    c.txn(L, 'value("/a/alice") = "written as alice"\n\nput /a/txn yes\n\nput /a/txn no\n\n',
          "as alice: value(/a/alice)=... ? put /a/txn=yes : put /a/txn=no",
          user=("alice", "alicepw2"))
    c.simple("auth_disable", L, ["auth", "disable"], ["auth_disable"], user=ROOT)
    c.put(L, "after-auth", "auth is off again")
    # --- leadership transfer (new term, leader no-op) -------------------------
    F = [n for n in c.members if n != L][-1]
    fid = c.status(F)["member_id"]
    p = c.ctl(["move-leader", fid], ep=None)
    L2 = c.leader()
    c.wait_index_stable(L2, quiet=0.5)
    c.record("move_leader", L2, ["leader no-op (empty EntryNormal) at the new term"], p,
             from_member=L, to_member=F, to_member_id=fid)
    c.put(L2, "after-move-leader", "new term")
    print(L2)


def note(c, args):
    L = c.leader()
    if args.wait_stable:
        c.wait_index_stable(L, quiet=args.wait_stable)
    extra = json.loads(args.fields) if args.fields else {}
    c.record(args.kind, L, args.entries.split(",") if args.entries else [],
             note=args.note or "", **extra)


def big(c, args):
    L = c.leader()
    for i in range(args.count):
        letter = chr(ord("a") + i % 26)
        c.put(L, "big/%03d" % i, letter.encode() * args.size, verify=False,
              pattern="%r x %d" % (letter, args.size))
    # varied small traffic in the new segment
    c.put(L, "after-cut/1", "small")
    c.put(L, "after-cut/ü", "ünïcödé", prev_kv=True)
    c.delete(L, "big/", prefix=True, prev_kv=False)
    c.txn(L, 'create("after-cut/1") > "0"\n\nput after-cut/2 two\n\nput after-cut/2 none\n\n',
          "create(after-cut/1)>0 ? put after-cut/2=two : put after-cut/2=none")
    lid = c.lease_grant(L, 120)
    c.put(L, "after-cut/leased", "l", lease=lid)
    c.lease_revoke(L, lid)
    rev = c.status(L)["revision"]
    c.compaction(L, rev - 2)
    c.simple("alarm_list", L, ["alarm", "list"], ["alarm"])
    c.put(L, "after-cut/last", "x")


def ensure_not_leader(c, args):
    L = c.leader()
    if L != args.name:
        print(L)
        return
    T = sorted(n for n in c.members if n != args.name)[0]
    tid = c.status(T)["member_id"]
    p = c.ctl(["move-leader", tid])
    L2 = c.leader()
    c.wait_index_stable(L2, quiet=0.5)
    c.record("move_leader", L2, ["leader no-op (empty EntryNormal) at the new term"], p,
             from_member=L, to_member=T, to_member_id=tid,
             note="so that %s is a follower when it is killed" % args.name)
    print(L2)


def burst(c, args):
    L = args.leader
    for i in range(args.count):
        c.put(L, "burst/%04d" % i, ("burst value %d " % i) * 8, verify=False)
        with open(args.progress + ".new", "w") as f:
            f.write("%d\n" % (i + 1))
        os.replace(args.progress + ".new", args.progress)


def leader(c, args):
    print(c.leader())


def final(c, args):
    L = c.leader()
    c.put(L, "final/1", "written while one member is down")
    c.delete(L, "burst/00", prefix=True)
    c.put(L, "final/2", "last write")


def status_all(c, args):
    out = []
    for n in c.members:
        p = c.ctl(["endpoint", "status", "-w", "json"], ep=n)
        st = json.loads(p.stdout)[0]
        h = st["Status"]["header"]
        st["member"] = n
        st["member_id_hex"] = hx(h["member_id"])
        st["cluster_id_hex"] = hx(h["cluster_id"])
        st["leader_hex"] = hx(st["Status"]["leader"])
        out.append(st)
    json.dump(out, sys.stdout, indent=1)
    print()


def members(c, args):
    p = c.ctl(["member", "list", "-w", "json"])
    d = json.loads(p.stdout)
    d["header"]["cluster_id_hex"] = hx(d["header"]["cluster_id"])
    d["header"]["member_id_hex"] = hx(d["header"]["member_id"])
    for m in d.get("members", []):
        m["ID_hex"] = hx(m["ID"])
    json.dump(d, sys.stdout, indent=1)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd")
    ap.add_argument("name", nargs="?")
    ap.add_argument("--member", action="append", default=[], help="NAME=http://host:port")
    ap.add_argument("--peer", action="append", default=[], help="NAME=peer URL")
    ap.add_argument("--ops", default=None)
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("--quiet", type=float, default=1.5)
    ap.add_argument("--record", default=None)
    ap.add_argument("--entries", default="")
    ap.add_argument("--note", default="")
    ap.add_argument("--kind", default="note")
    ap.add_argument("--fields", default="")
    ap.add_argument("--wait-stable", type=float, default=0)
    ap.add_argument("--learner-url", default="")
    ap.add_argument("--count", type=int, default=70)
    ap.add_argument("--size", type=int, default=1000000)
    ap.add_argument("--leader", default=None)
    ap.add_argument("--progress", default=None)
    args = ap.parse_args()
    ms = [m.split("=", 1) for m in args.member]
    args.peer_url = dict(p.split("=", 1) for p in args.peer)
    c = Cluster(ms, args.ops)
    fn = {"wait-up": wait_up, "basic": basic, "note": note, "big": big,
          "ensure-not-leader": ensure_not_leader, "burst": burst, "final": final, "leader": leader,
          "status-all": status_all, "members": members}.get(args.cmd)
    if fn is None:
        ap.error("unknown sub-command %s" % args.cmd)
    fn(c, args)


if __name__ == "__main__":
    try:
        main()
    except CtlError as e:
        print("etcd_workload: %s" % e, file=sys.stderr)
        sys.exit(1)
