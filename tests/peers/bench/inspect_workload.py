#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Client-side workload for scripts/bench-inspect: a large, real data set.

Drives a real ZooKeeper 3.8 server with kazoo (python3-kazoo 2.8, run with
Debian's /usr/bin/python3) through its async API, keeping about --batch
requests in flight at a time, so that the server writes a few hundred
thousand txns (several logs with snapCount=100000) and a big tree.

Sub-command (takes --hosts host:port):
  fill      phase 1: create --nodes znodes under --parents parents (10-100
            bytes of data each); phase 2: --sets setData and --deletes
            deletes on random existing znodes, interleaved; a few --multis
            (create + setData + check in one multi). Prints the number of
            txns issued and the rate.
"""

import argparse
import logging
import random
import sys
import time

from kazoo.client import KazooClient

ALPHA = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def connect(hosts, limit=60.0):
    zk = KazooClient(hosts=hosts, timeout=30.0)
    zk.start(timeout=limit)
    return zk


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


def cmd_fill(args):
    rng = random.Random(args.seed)
    zk = connect(args.hosts)
    parents = ["/bench/p%02d" % k for k in range(args.parents)]
    zk.ensure_path("/bench")
    for p in parents:
        zk.create(p, b"parent")
    total = 1 + args.parents

    names = ["%s/node-%07d" % (parents[i % args.parents], i) for i in range(args.nodes)]

    def creates():
        for i, p in enumerate(names):
            yield "create", (p, payload(rng, i, 0))

    total += run_batches(zk, creates(), args.batch, "create")

    # phase 2: deletes from one random subset, setData on the others,
    # interleaved (never both on one node in the same batch)
    idx = list(range(args.nodes))
    rng.shuffle(idx)
    dels = idx[:args.deletes]
    keep = idx[args.deletes:]

    def mixed():
        gen = {}
        d = 0
        for k in range(args.sets):
            i = keep[rng.randrange(len(keep))]
            gen[i] = gen.get(i, 0) + 1
            yield "set", (names[i], payload(rng, i, gen[i]))
            # spread the deletes evenly over the sets
            while d < len(dels) and d * args.sets < (k + 1) * len(dels):
                yield "delete", (names[dels[d]],)
                d += 1
        while d < len(dels):
            yield "delete", (names[dels[d]],)
            d += 1

    total += run_batches(zk, mixed(), args.batch, "setData+delete")

    def multis():
        for m in range(args.multis):
            p = "%s/multi-%06d" % (parents[m % args.parents], m)
            yield "multi", [("create", p, payload(rng, m, 0)),
                            ("set_data", p, payload(rng, m, 1)),
                            ("check", p, 1)]

    if args.multis:
        total += run_batches(zk, multis(), args.batch, "multi")

    zk.stop()                          # closeSession
    zk.close()
    total += 2                         # createSession + closeSession
    print("  txns issued: %d; znodes under /bench: %d" % (total, 1 + args.parents + args.nodes - args.deletes + args.multis))


def main():
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["fill"])
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--parents", type=int, default=8)
    ap.add_argument("--nodes", type=int, default=230000)
    ap.add_argument("--sets", type=int, default=70000)
    ap.add_argument("--deletes", type=int, default=20000)
    ap.add_argument("--multis", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    cmd_fill(args)


if __name__ == "__main__":
    main()
