#!/usr/bin/python3
"""A short ZooKeeper workload for the demo: `demo_workload.py HOST:PORT`.

Creates a small service registry under /demo (persistent, sequential and
ephemeral nodes, a multi, a refused write, a digest ACL), then closes its
sessions, so that the server's txn log shows each kind of txn.
"""
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, BadVersionError
from kazoo.security import make_digest_acl

hosts = sys.argv[1]
zk = KazooClient(hosts=hosts, timeout=10)
zk.start(timeout=10)
zk.create("/demo/config", b'{"replicas": 3}', makepath=True)
for i in range(3):
    zk.create("/demo/jobs/job-", f"job {i}".encode(), sequence=True, makepath=True)
worker = KazooClient(hosts=hosts, timeout=10)
worker.start(timeout=10)
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
assert isinstance(results[1], BadVersionError), results
zk.create("/demo/secret", b"s3cret", acl=[make_digest_acl("admin", "pw", all=True)])
print("workload: /demo has", sorted(zk.get_children("/demo")), "- workers:", zk.get_children("/demo/workers"))
worker.stop()  # closeSession: its ephemeral goes
zk.stop()
