"""The demo (scripts/demo builds, then runs this): zabra-node on a temporary
data dir, a short real ZooKeeper client workload (kazoo) against it, srvr,
a clean stop, then zabra verify / dump / stats on the ZooKeeper-format
files it wrote.  The work dir (config, server log, data) is kept.

    python3 -m tests.peers.demo       (ZABRA, ZABRA_NODE: the binaries)
"""
from kazoo.exceptions import BadVersionError, NodeExistsError
from kazoo.security import make_digest_acl

from tests.peers import WorkDir, ZabraNode, binary, connected, run, run_command, skip_unless


def workload(server):
    """A small service registry under /demo: persistent, sequential and
    ephemeral nodes, a multi, a refused write, a digest ACL; every session
    is closed at the end, so the txn log shows each kind of txn."""
    with connected(server) as zk:
        zk.create("/demo/config", b'{"replicas": 3}', makepath=True)
        for i in range(3):
            zk.create("/demo/jobs/job-", b"job %d" % i, sequence=True, makepath=True)
        with connected(server) as worker:
            worker.create("/demo/workers/w1", b"host-a:9000", ephemeral=True, makepath=True)
            zk.set("/demo/config", b'{"replicas": 5}')
            try:
                zk.create("/demo/config", b"again")
            except NodeExistsError:
                pass
            tx = zk.transaction()
            tx.create("/demo/leader", b"w1")
            tx.set_data("/demo/config", b'{"replicas": 7}', version=1)
            tx.commit()
            tx = zk.transaction()
            tx.delete("/demo/leader")
            tx.set_data("/demo/config", b"stale", version=0)
            results = tx.commit()
            if not isinstance(results[1], BadVersionError):
                raise AssertionError("the stale multi was not refused: %r" % (results,))
            zk.create("/demo/secret", b"s3cret", acl=[make_digest_acl("admin", "pw", all=True)])
            print("workload: /demo has", sorted(zk.get_children("/demo")),
                  "- workers:", zk.get_children("/demo/workers"))
        # the worker's session is closed here: its ephemeral goes


def main():
    skip_unless("kazoo", "zabra", "zabra-node")
    work = WorkDir("demo", keep=True)
    node = ZabraNode(workdir=work, tick_time=2000, snap_count=20, prealloc_kb=1024)
    print("== zabra-node %s   (log: %s)" % (node.cfg_path, node.log), flush=True)
    node.start()
    workload(node)
    print("\n== srvr (a four-letter word, formatted as ZooKeeper 3.8 does)")
    print(node.four_letter("srvr"), end="", flush=True)
    rc = node.stop()
    if rc != 0:
        print("demo: zabra-node exited with status %s (log %s)" % (rc, node.log))
        return 1
    for command, what in (("verify", ""), ("dump", "   (every txn zabra-node logged, in zxid order)"),
                          ("stats", "")):
        print("\n== zabra %s %s%s" % (command, node.data_dir, what), flush=True)
        rc, out = run_command([binary("zabra"), command, node.data_dir], "zabra-" + command,
                              work.file("zabra-%s.log" % command), 120)
        print(out, end="", flush=True)
        if rc != 0:
            print("demo: zabra %s exited with status %s" % (command, rc))
            return 1
    return 0


if __name__ == "__main__":
    run(main)
