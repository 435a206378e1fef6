"""Load generator and checker of node_crash (kill -9 under load).

    python3 -m tests.peers.checks.node_crash_load load  HOST:PORT JOURNAL --round R [--clients N] [--window W]
    python3 -m tests.peers.checks.node_crash_load check HOST:PORT JOURNAL [--eph-round R] [--ephemerals-gone]

load: N kazoo clients, each keeping up to W asynchronous writes in flight:
  creates of unique persistent paths with random data (/crash/r<R>/...),
  sequential creates (/crash/seq/...), ephemerals (/crash/eph/...), setData
  on four hot nodes (/crash/hot/h0..h3, shared by all clients), multis (two
  creates + a hot setData) and deletes of paths this client created earlier.
  Before a write is sent, an "intent" line goes to JOURNAL.intents (flushed,
  not fsynced: only the server gets killed).  When the server acknowledges a
  write, its records go to JOURNAL; a writer thread fsyncs JOURNAL and only
  then counts the write as acknowledged.  The load stops when a client loses
  its connection (the server was killed) or after --max-seconds; it prints
  "LOAD-STARTED" once the setup is done and the writes begin, and at the end
  one JSON summary line.  It leaves with os._exit, so no session is closed.

check: reads JOURNAL (+ .intents) and checks through kazoo that every
  acknowledged write survived: acknowledged creates exist with their data
  (unless a delete of them was sent), acknowledged deletes are gone, every hot
  node's version is at least the newest acknowledged one, with that write's
  data at that version or an attempted (intended) write's data above it; no
  two acknowledged sets got the same version of a hot node; the ephemerals
  acknowledged in round --eph-round exist and belong to their session; no
  node exists under /crash that no write ever tried to create.  With
  --ephemerals-gone every ephemeral of every round must be gone (run it after
  the session timeout).  Prints one JSON summary line; exit 0 ok, 1 failures
  (listed on stderr), 3 could not connect.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import threading
import time

from kazoo.exceptions import NoNodeError
from kazoo.protocol.states import KazooState

from tests.peers.kazoo_util import connect

ROOT = "/crash"
HOT = ["%s/hot/h%d" % (ROOT, i) for i in range(4)]


def digest(b):
    return hashlib.sha1(bytes(b)).hexdigest()[:16]


# ---------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------


class Journal:
    """Acknowledged writes: appended by a writer thread, fsynced, then counted."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")
        self.fi = open(path + ".intents", "a", encoding="utf-8")
        self.ilock = threading.Lock()
        self.cv = threading.Condition()
        self.queue = []
        self.stopping = False
        self.acked = 0          # writes whose journal lines are fsynced
        self.records = 0
        self.fsyncs = 0
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def intent(self, rec):
        line = json.dumps(rec, separators=(",", ":")) + "\n"
        with self.ilock:
            self.fi.write(line)
            self.fi.flush()

    def ack(self, recs):
        with self.cv:
            self.queue.append(recs)
            self.cv.notify()

    def _run(self):
        while True:
            with self.cv:
                while not self.queue and not self.stopping:
                    self.cv.wait()
                batch, self.queue = self.queue, []
                stop = self.stopping
            if batch:
                for recs in batch:
                    for r in recs:
                        self.f.write(json.dumps(r, separators=(",", ":")) + "\n")
                self.f.flush()
                os.fsync(self.f.fileno())
                self.fsyncs += 1
                self.acked += len(batch)
                self.records += sum(len(r) for r in batch)
            elif stop:
                return

    def close(self):
        with self.cv:
            self.stopping = True
            self.cv.notify()
        self.t.join()
        self.f.close()
        with self.ilock:
            self.fi.close()


class Worker:
    def __init__(self, idx, args, journal, lost, rng):
        self.idx = idx
        self.args = args
        self.j = journal
        self.lost = lost
        self.rng = rng
        self.n = 0
        self.sem = threading.Semaphore(args.window)
        self.created = []           # persistent paths acked by this client (delete candidates)
        self.lock = threading.Lock()
        self.sent = 0
        self.unresolved = 0
        self.errors = {}
        self.zk = connect(args.hostport, timeout=15, session_timeout=args.session_timeout)
        self.zk.add_listener(self._state)
        self.sid = self.zk.client_id[0]
        self.thread = threading.Thread(target=self.run, daemon=True)

    def _state(self, state):
        if state != KazooState.CONNECTED:
            self.lost.set()

    def data(self, tag, maxlen=1200):
        pad = self.rng.randrange(0, maxlen + 1)
        return (tag + ":").encode() + os.urandom(pad)

    def _done(self, ar, on_ok):
        try:
            if ar.successful():
                recs = on_ok(ar.value)
                if recs:
                    self.j.ack(recs)
            else:
                name = type(ar.exception).__name__
                with self.lock:
                    self.errors[name] = self.errors.get(name, 0) + 1
        finally:
            self.sem.release()

    def issue(self):
        R, C = self.args.round, self.idx
        self.n += 1
        n = self.n
        x = self.rng.random()
        tag = "r%dc%dn%d" % (R, C, n)
        if x < 0.93 and x >= 0.86:
            with self.lock:
                cand = self.created.pop(self.rng.randrange(len(self.created))) if self.created else None
            if cand is not None:
                self.j.intent({"k": "di", "p": cand})
                ar = self.zk.delete_async(cand)
                ar.rawlink(lambda ar: self._done(ar, lambda v: [{"k": "x", "p": cand, "r": R}]))
                self.sent += 1
                return
            x = 0.0                     # nothing to delete yet: a create instead
        if x < 0.45:
            path = "%s/r%d/c%d-%06d" % (ROOT, R, C, n)
            d = self.data(tag)
            self.j.intent({"k": "ci", "p": path})

            def ok(v, path=path, d=d):
                with self.lock:
                    self.created.append(path)
                return [{"k": "c", "p": v, "h": digest(d), "n": len(d), "r": R}]
            self.zk.create_async(path, d).rawlink(lambda ar: self._done(ar, ok))
        elif x < 0.55:
            prefix = "%s/seq/r%dc%d-" % (ROOT, R, C)
            d = self.data(tag, 200)
            self.j.intent({"k": "ci", "p": prefix, "seq": 1})
            self.zk.create_async(prefix, d, sequence=True).rawlink(
                lambda ar: self._done(ar, lambda v: [{"k": "c", "p": v, "h": digest(d), "n": len(d), "r": R}]))
        elif x < 0.75:
            hot = self.rng.choice(HOT)
            d = self.data(tag, 300)
            self.j.intent({"k": "si", "p": hot, "h": digest(d)})
            self.zk.set_async(hot, d).rawlink(
                lambda ar: self._done(ar, lambda st: [{"k": "s", "p": hot, "v": st.version, "mz": st.mzxid,
                                                       "h": digest(d), "r": R}]))
        elif x < 0.86:
            pa = "%s/r%d/m%d-%06d-a" % (ROOT, R, C, n)
            pb = "%s/r%d/m%d-%06d-b" % (ROOT, R, C, n)
            hot = self.rng.choice(HOT)
            da, db, dh = self.data(tag + "a", 400), self.data(tag + "b", 400), self.data(tag + "h", 300)
            self.j.intent({"k": "ci", "p": pa})
            self.j.intent({"k": "ci", "p": pb})
            self.j.intent({"k": "si", "p": hot, "h": digest(dh)})
            t = self.zk.transaction()
            t.create(pa, da)
            t.create(pb, db)
            t.set_data(hot, dh)

            def ok(res, pa=pa, pb=pb, hot=hot, da=da, db=db, dh=dh):
                if len(res) != 3 or any(isinstance(r, Exception) for r in res):
                    with self.lock:
                        self.errors["MultiFailed"] = self.errors.get("MultiFailed", 0) + 1
                    return None
                with self.lock:
                    self.created.extend([pa, pb])
                st = res[2]
                return [{"k": "c", "p": res[0], "h": digest(da), "n": len(da), "r": R, "m": 1},
                        {"k": "c", "p": res[1], "h": digest(db), "n": len(db), "r": R, "m": 1},
                        {"k": "s", "p": hot, "v": st.version, "mz": st.mzxid, "h": digest(dh), "r": R, "m": 1}]
            t.commit_async().rawlink(lambda ar: self._done(ar, ok))
        else:
            path = "%s/eph/r%dc%d-%06d" % (ROOT, R, C, n)
            d = self.data(tag, 200)
            sid = self.sid
            self.j.intent({"k": "ci", "p": path})
            self.zk.create_async(path, d, ephemeral=True).rawlink(
                lambda ar: self._done(ar, lambda v: [{"k": "c", "p": v, "h": digest(d), "n": len(d), "r": R,
                                                      "e": sid}]))
        self.sent += 1

    def run(self):
        deadline = time.time() + self.args.max_seconds
        try:
            while not self.lost.is_set() and time.time() < deadline:
                if not self.sem.acquire(timeout=0.2):
                    continue
                try:
                    self.issue()
                except Exception as e:      # noqa: BLE001 -- the connection is gone
                    self.sem.release()
                    name = type(e).__name__
                    with self.lock:
                        self.errors[name] = self.errors.get(name, 0) + 1
                    self.lost.set()
                    break
        finally:
            # wait (bounded) for the answers or failures of what is in flight;
            # kazoo may report ConnectionLoss for them only much later, and a
            # request without an answer by now is unacknowledged anyway
            end = time.time() + self.args.drain_seconds
            self.unresolved = self.args.window
            while self.unresolved and self.sem.acquire(timeout=max(0.0, end - time.time())):
                self.unresolved -= 1


def do_load(args):
    rng = random.Random(args.seed if args.seed is not None else os.urandom(8))
    j = Journal(args.journal)
    lost = threading.Event()
    setup = connect(args.hostport, timeout=15, session_timeout=args.session_timeout)
    for p in ("%s/r%d" % (ROOT, args.round), ROOT + "/seq", ROOT + "/eph", ROOT + "/hot"):
        setup.ensure_path(p)
    for h in HOT:
        if setup.exists(h) is None:
            setup.create(h, b"init")
    setup.stop()
    setup.close()
    workers = [Worker(i, args, j, lost, random.Random(rng.random())) for i in range(args.clients)]
    t0 = time.time()
    print("LOAD-STARTED", flush=True)
    for w in workers:
        w.thread.start()
    lost.wait(args.max_seconds + 1)
    t_lost = time.time()
    for w in workers:
        w.thread.join()
    j.close()
    errors = {}
    for w in workers:
        for k, v in w.errors.items():
            errors[k] = errors.get(k, 0) + v
    summary = {"round": args.round, "acked": j.acked, "records": j.records, "fsyncs": j.fsyncs,
               "sent": sum(w.sent for w in workers), "errors": errors,
               "unresolved": sum(w.unresolved for w in workers),
               "lost": lost.is_set(), "seconds": round(t_lost - t0, 3),
               "sessions": ["0x%x" % w.sid for w in workers]}
    print(json.dumps(summary, sort_keys=True), flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)                          # no closeSession, no kazoo teardown


# ---------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------


def read_jsonl(path):
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def do_check(args):
    acked = read_jsonl(args.journal)
    intents = read_jsonl(args.journal + ".intents")
    created = {}                # path -> record
    deleted = set()
    hot_acks = {}               # path -> {version: set(hash)}
    for r in acked:
        if r["k"] == "c":
            created[r["p"]] = r
        elif r["k"] == "x":
            deleted.add(r["p"])
        elif r["k"] == "s":
            hot_acks.setdefault(r["p"], {}).setdefault(r["v"], set()).add(r["h"])
    del_intents = {r["p"] for r in intents if r["k"] == "di"}
    set_intents = {}
    for r in intents:
        if r["k"] == "si":
            set_intents.setdefault(r["p"], set()).add(r["h"])
    create_intents = {r["p"] for r in intents if r["k"] == "ci" and not r.get("seq")}
    seq_prefixes = {r["p"] for r in intents if r["k"] == "ci" and r.get("seq")}

    failures = []

    def fail(msg):
        failures.append(msg)

    try:
        zk = connect(args.hostport, timeout=15, session_timeout=10.0)
    except Exception as e:       # noqa: BLE001
        print("check: cannot connect to %s: %s" % (args.hostport, e), file=sys.stderr)
        return 3
    t0 = time.time()

    def fetch(paths):
        """{path: (data, stat) or None}, pipelined."""
        out = {}
        paths = list(paths)
        for i in range(0, len(paths), 2000):
            chunk = paths[i:i + 2000]
            ars = [(p, zk.get_async(p)) for p in chunk]
            for p, ar in ars:
                try:
                    out[p] = ar.get(timeout=60)
                except NoNodeError:
                    out[p] = None
        return out

    stats = {"acked_records": len(acked), "creates": len(created), "deletes": len(deleted)}

    # 1. ephemerals of the round just killed first (their sessions are only
    #    restored for one session timeout), or all of them when they must be gone
    eph = {p: r for p, r in created.items() if "e" in r}
    if args.ephemerals_gone:
        got = fetch(eph)
        present = [p for p, v in got.items() if v is not None]
        for p in present[:20]:
            fail("ephemeral %s (session 0x%x, round %d) still exists after its session timed out; owner 0x%x"
                 % (p, eph[p]["e"], eph[p]["r"], got[p][1].ephemeralOwner))
        if len(present) > 20:
            fail("... and %d more ephemerals still exist" % (len(present) - 20))
        stats["ephemerals_left"] = len(present)
    elif args.eph_round is not None:
        mine = {p: r for p, r in eph.items() if r["r"] == args.eph_round}
        got = fetch(mine)
        for p, r in sorted(mine.items()):
            v = got[p]
            if v is None:
                fail("acknowledged ephemeral %s (session 0x%x) is missing" % (p, r["e"]))
                continue
            data, st = v
            if st.ephemeralOwner != r["e"]:
                fail("ephemeral %s: owner 0x%x, expected session 0x%x" % (p, st.ephemeralOwner, r["e"]))
            if digest(data) != r["h"] or len(data) != r["n"]:
                fail("ephemeral %s: data differs (len %d, expected %d)" % (p, len(data), r["n"]))
        stats["ephemerals_checked"] = len(mine)

    # 2. persistent creates and deletes
    persist = {p: r for p, r in created.items() if "e" not in r}
    got = fetch(set(persist) | deleted)
    missing = 0
    for p, r in sorted(persist.items()):
        if p in deleted:
            continue
        v = got[p]
        if v is None:
            if p in del_intents:
                continue            # a delete was in flight when the server died
            missing += 1
            if missing <= 20:
                fail("acknowledged create %s (round %d) is missing" % (p, r["r"]))
            continue
        data, st = v
        if digest(data) != r["h"] or len(data) != r["n"]:
            fail("%s: data differs from the acknowledged create (len %d, expected %d)" % (p, len(data), r["n"]))
        if st.version != 0:
            fail("%s: version %d, nothing but its create was ever sent" % (p, st.version))
    if missing > 20:
        fail("... %d acknowledged creates missing in all" % missing)
    for p in sorted(deleted):
        if got[p] is not None:
            fail("acknowledged delete of %s: the node is back" % p)

    # 3. hot nodes
    hot = {}
    hgot = fetch(HOT)
    for h in HOT:
        acks = hot_acks.get(h, {})
        for v, hs in acks.items():
            if len(hs) > 1:
                fail("%s: %d different acknowledged setData calls all returned version %d" % (h, len(hs), v))
        if hgot[h] is None:
            if acks:
                fail("hot node %s is missing" % h)
            continue
        data, st = hgot[h]
        maxv = max(acks) if acks else 0
        hd = digest(data)
        hot[h] = {"version": st.version, "max_acked": maxv, "mzxid": "0x%x" % st.mzxid}
        if st.version < maxv:
            fail("%s: version %d is older than the last acknowledged set (version %d)" % (h, st.version, maxv))
        elif st.version == maxv and acks and hd not in acks[maxv]:
            fail("%s: at the acknowledged version %d, but with other data" % (h, maxv))
        elif st.version > maxv and hd not in set_intents.get(h, set()):
            fail("%s: version %d (> acknowledged %d) holds data no client ever sent" % (h, st.version, maxv))
    stats["hot"] = hot

    # 4. nothing that no one tried to create
    phantoms = []
    try:
        dirs = [ROOT + "/" + c for c in zk.get_children(ROOT) if c.startswith("r")]
    except NoNodeError:
        dirs = []
    for d in dirs + [ROOT + "/seq", ROOT + "/eph"]:
        try:
            kids = zk.get_children(d)
        except NoNodeError:
            continue
        for k in kids:
            p = d + "/" + k
            if p in created or p in create_intents:
                continue
            if d == ROOT + "/seq" and any(p.startswith(s) for s in seq_prefixes):
                continue
            phantoms.append(p)
    for p in phantoms[:20]:
        fail("%s exists, but no client ever tried to create it" % p)
    stats["phantoms"] = len(phantoms)
    stats["seconds"] = round(time.time() - t0, 3)
    stats["failures"] = len(failures)
    zk.stop()
    zk.close()
    for f in failures:
        print("CHECK FAILED: " + f, file=sys.stderr)
    print(json.dumps(stats, sort_keys=True), flush=True)
    return 1 if failures else 0


OPTIONS = (("--round", 1, "load: the round (names its paths)"),
           ("--clients", 4, "load: kazoo clients"),
           ("--window", 16, "load: writes in flight per client"),
           ("--session-timeout", 10.0, "load: the clients' session timeout (s)"),
           ("--max-seconds", 30.0, "load: stop after this long even if the server lives"),
           ("--drain-seconds", 2.0, "load: how long to wait for answers in flight"),
           ("--seed", None, "load: the random seed"),
           ("--eph-round", None, "check: the round whose ephemerals must exist"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("load", "check"))
    ap.add_argument("hostport", help="HOST:PORT")
    ap.add_argument("journal")
    for option, default, what in OPTIONS:
        ap.add_argument(option, type=type(default) if default is not None else int, default=default, help=what)
    ap.add_argument("--ephemerals-gone", action="store_true", help="check: every ephemeral must be gone")
    args = ap.parse_args()
    return do_load(args) if args.mode == "load" else do_check(args)


if __name__ == "__main__":
    sys.exit(main())
