"""The client-side workload of tests/peers/bench/inspect.py: a large, real
data set.

fill() drives a real ZooKeeper 3.8 server with kazoo (python3-kazoo 2.8, run
with Debian's /usr/bin/python3) through its async API, keeping about `batch`
requests in flight at a time, so that the server writes a few hundred
thousand txns (several logs with snapCount=100000) and a big tree:
phase 1 creates `nodes` znodes under `parents` parents (10-100 bytes of data
each); phase 2 issues `sets` setData and `deletes` deletes on random existing
znodes, interleaved; then `multis` multis (create + setData + check in one).
Prints the number of txns issued and the rates.
"""
import random
import sys
import time

from ..kazoo_util import connect

ALPHA = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
_r = random.Random(7)
POOL = bytes(_r.choice(ALPHA) for _ in range(1 << 16))


def payload(rng, i, gen):
    """10..100 bytes: a small JSON-ish record, as applications store."""
    n = rng.randint(10, 100)
    head = b'{"id":%d,"g":%d,"v":"' % (i, gen)
    k = max(0, n - len(head) - 2)
    o = rng.randrange(len(POOL) - 128)
    return (head + POOL[o:o + k] + b'"}')[:n]


def run_batches(zk, ops, batch, label):
    """ops: iterable of (kind, args); issue them async, batch at a time."""
    t0 = time.time()
    last = t0
    done = 0
    pending = []
    errors = 0

    def drain():
        nonlocal errors
        for r in pending:
            try:
                r.get(timeout=120)
            except Exception as e:              # counted, not fatal: still a txn
                errors += 1
                if errors <= 5:
                    print("  %s: %r" % (label, e), file=sys.stderr)
        pending.clear()

    for kind, a in ops:
        if kind == "create":
            pending.append(zk.create_async(a[0], a[1]))
        elif kind == "set":
            pending.append(zk.set_async(a[0], a[1]))
        elif kind == "delete":
            pending.append(zk.delete_async(a[0]))
        elif kind == "multi":
            t = zk.transaction()
            for op in a:
                getattr(t, op[0])(*op[1:])
            pending.append(t.commit_async())
        done += 1
        if len(pending) >= batch:
            drain()
            now = time.time()
            if now - last >= 15:
                print("  %s: %d ops, %.0f/s" % (label, done, done / (now - t0)))
                sys.stdout.flush()
                last = now
    drain()
    dt = time.time() - t0
    print("  %s: %d ops in %.1fs (%.0f/s), %d failed" % (label, done, dt, done / max(dt, 1e-9), errors))
    sys.stdout.flush()
    if errors > done // 100:
        raise SystemExit("%s: too many failures (%d)" % (label, errors))
    return done


def fill(hosts, parents=8, nodes=230000, sets=70000, deletes=20000, multis=2000, batch=1000, seed=20240601):
    """The whole workload on `hosts` (a string or a harness server)."""
    rng = random.Random(seed)
    zk = connect(hosts, timeout=60.0, session_timeout=30.0)
    parent_paths = ["/bench/p%02d" % k for k in range(parents)]
    zk.ensure_path("/bench")
    for p in parent_paths:
        zk.create(p, b"parent")
    total = 1 + parents

    names = ["%s/node-%07d" % (parent_paths[i % parents], i) for i in range(nodes)]

    def creates():
        for i, p in enumerate(names):
            yield "create", (p, payload(rng, i, 0))

    total += run_batches(zk, creates(), batch, "create")

    # phase 2: deletes from one random subset, setData on the others,
    # interleaved (never both on one node in the same batch)
    idx = list(range(nodes))
    rng.shuffle(idx)
    dels = idx[:deletes]
    keep = idx[deletes:]

    def mixed():
        gen = {}
        d = 0
        for k in range(sets):
            i = keep[rng.randrange(len(keep))]
            gen[i] = gen.get(i, 0) + 1
            yield "set", (names[i], payload(rng, i, gen[i]))
            # spread the deletes evenly over the sets
            while d < len(dels) and d * sets < (k + 1) * len(dels):
                yield "delete", (names[dels[d]],)
                d += 1
        while d < len(dels):
            yield "delete", (names[dels[d]],)
            d += 1

    total += run_batches(zk, mixed(), batch, "setData+delete")

    def multi_ops():
        for m in range(multis):
            p = "%s/multi-%06d" % (parent_paths[m % parents], m)
            yield "multi", [("create", p, payload(rng, m, 0)),
                            ("set_data", p, payload(rng, m, 1)),
                            ("check", p, 1)]

    if multis:
        total += run_batches(zk, multi_ops(), batch, "multi")

    zk.stop()                          # closeSession
    zk.close()
    total += 2                         # createSession + closeSession
    print("  txns issued: %d; znodes under /bench: %d" % (total, 1 + parents + nodes - deletes + multis))
