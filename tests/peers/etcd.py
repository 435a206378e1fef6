"""Debian's etcd 3.4 (etcd-server) as an n-member cluster on 127.0.0.1.

Flags as scripts/make-etcd-fixtures and scripts/etcd-catchup-vs-cluster use
them; the members are sids 1..n named e1..en.  Status, put and get go
through etcd's gRPC gateway (HTTP/JSON on the client port), so no etcdctl
is needed; endpoints() gives etcdctl's --endpoints.
"""
import base64
import http.client
import json
import os
import shutil

from .members import Members
from .ports import HOST, free_port
from .procs import Proc
from .wait import wait_until
from .workdir import WorkDir


class EtcdCluster(Members):
    def __init__(self, n=3, workdir=None, name="etcd", snapshot_count=None, token="zabra-peers", log_level="info",
                 extra_flags=None, etcd=None, start_timeout=60.0, stop_timeout=15.0):
        self.n = n
        self.sids = list(range(1, n + 1))
        self.workdir = workdir if workdir is not None else WorkDir(name)
        self.etcd = etcd or os.environ.get("ETCD") or shutil.which("etcd") or "etcd"
        self.client_port = {s: free_port() for s in self.sids}
        self.peer_port = {s: free_port() for s in self.sids}
        self.snapshot_count = snapshot_count
        self.token = token
        self.log_level = log_level
        self.extra_flags = list(extra_flags or [])
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.procs = {s: Proc([], self.member(s), os.path.join(str(self.workdir), self.member(s) + ".log"))
                      for s in self.sids}

    def member(self, sid):
        return "e%d" % sid

    def data_dir(self, sid):
        return os.path.join(str(self.workdir), self.member(sid))

    def hostport(self, sid):
        return "%s:%d" % (HOST, self.client_port[sid])

    def endpoints(self, sids=None):
        return ",".join("http://" + self.hostport(s) for s in (sids or self.sids))

    def argv(self, sid):
        initial = ",".join("%s=http://%s:%d" % (self.member(s), HOST, self.peer_port[s]) for s in self.sids)
        client = "http://%s:%d" % (HOST, self.client_port[sid])
        peer = "http://%s:%d" % (HOST, self.peer_port[sid])
        argv = [self.etcd, "--name", self.member(sid), "--data-dir", self.data_dir(sid),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", initial, "--initial-cluster-state", "new",
                "--initial-cluster-token", self.token,
                "--max-snapshots", "1000", "--max-wals", "1000",
                "--logger", "zap", "--log-outputs", "stderr", "--log-level", self.log_level]
        if self.snapshot_count is not None:
            argv += ["--snapshot-count", str(self.snapshot_count)]
        return argv + self.extra_flags

    # -- life ------------------------------------------------------------------
    def start(self, sid=None, wait=True, timeout=None):
        """Starts one member or all; with wait, returns once the member answers
        (one) or the cluster has a leader (all: the leader's sid)."""
        for s in ([sid] if sid is not None else self.sids):
            if not self.procs[s].running:
                self.procs[s].argv = self.argv(s)
                self.procs[s].start()
        if not wait:
            return None
        if sid is not None:
            wait_until(lambda: self.procs[sid].check_alive() and self.status(sid), timeout or self.start_timeout,
                       "etcd %s to answer on %s" % (self.member(sid), self.hostport(sid)))
            return sid
        return self.wait_for_leader(timeout=timeout)

    def _process(self, sid):
        return self.procs[sid]

    # -- the gateway -------------------------------------------------------------
    def _post(self, sid, path, body, timeout=5.0):
        conn = http.client.HTTPConnection(HOST, self.client_port[sid], timeout=timeout)
        try:
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                raise OSError("etcd %s %s: HTTP %d: %s" % (self.member(sid), path, r.status, data[:200]))
            return json.loads(data)
        finally:
            conn.close()

    def status(self, sid):
        """The member's maintenance status (uint64 fields as ints: member_id,
        leader, raftIndex, raftTerm, raftAppliedIndex, ...), or None."""
        try:
            st = self._post(sid, "/v3/maintenance/status", {}, timeout=3.0)
        except (OSError, ValueError, http.client.HTTPException):
            return None
        out = {k: _int(v) for k, v in st.items() if k != "header"}
        header = st.get("header", {})
        out["member_id"] = _int(header.get("member_id", header.get("memberId", 0)))
        out.setdefault("leader", 0)
        return out

    def wait_for_leader(self, sids=None, timeout=None):
        """Until the given members (default: the running ones) agree on a
        leader among them; returns its sid."""
        sids = list(sids or self.running())
        seen = {}

        def check():
            for s in sids:
                self.procs[s].check_alive()
            seen.clear()
            seen.update({s: self.status(s) for s in sids})
            if not all(seen.values()):
                return None
            leaders = {st["leader"] for st in seen.values()}
            if len(leaders) != 1 or 0 in leaders:
                return None
            lead = leaders.pop()
            return next((s for s, st in seen.items() if st["member_id"] == lead), None)
        try:
            return wait_until(check, timeout or self.start_timeout, "an etcd leader among %s" % sids)
        except TimeoutError as e:
            raise TimeoutError("%s; leaders seen: %s" % (
                e, {s: st and "%x" % st["leader"] for s, st in seen.items()})) from None

    def leader(self, timeout=None):
        """The leader's sid, once the running members agree on one."""
        return self.wait_for_leader(timeout=timeout)

    wait_for_quorum = wait_for_leader     # ZooKeeperEnsemble's name

    def put(self, sid, key, value):
        self._post(sid, "/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def get(self, sid, key):
        """The value (bytes) of key read through member sid, or None."""
        kvs = self._post(sid, "/v3/kv/range", {"key": _b64(key)}).get("kvs") or []
        return base64.b64decode(kvs[0].get("value", "")) if kvs else None


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return v


def _b64(v):
    return base64.b64encode(v.encode() if isinstance(v, str) else v).decode()
