"""zabra-node, our ZooKeeper-compatible server (man/zabra-node.8): the same
zoo.cfg keys as ZooKeeperServer (dataDir, dataLogDir, clientPort,
clientPortAddress, tickTime, min/maxSessionTimeout, snapCount, preAllocSize,
snapSizeLimitInKb, autopurge.snapRetainCount, maxClientCnxns,
4lw.commands.whitelist, zookeeper.extendedTypesEnabled,
znode.container.checkIntervalMs); other keys are kept and shown by `conf`."""
import os

from .ensemble import Ensemble
from .server import Server
from .skip import binary
from .workdir import WorkDir
from .zookeeper import ZooKeeperServer

STAND_IN = "zk"     # $ZABRA_NODE=zk: a real ZooKeeper in zabra-node's place


def zookeeper_stands_in():
    """True when $ZABRA_NODE is "zk": a check of zabra-node then runs a real
    ZooKeeper in its place, which checks the check (it must pass, or fail
    only where the check says ZooKeeper differs)."""
    return os.environ.get("ZABRA_NODE") == STAND_IN


def node_under_test(**server_opts):
    """A ZabraNode, or a ZooKeeperServer (waiting for "Snapshot loaded in"
    before it counts as ready) when zookeeper_stands_in()."""
    if zookeeper_stands_in():
        server_opts.setdefault("ready_log_line", "Snapshot loaded in")
        return ZooKeeperServer(**server_opts)
    return ZabraNode(**server_opts)


class ZabraNode(Server):
    """binary: default $ZABRA_NODE or <repo>/build/node/zabra-node.
    args: more command-line arguments (e.g. ["--force-recover"]) put before
    the config path; sets: {key: value} passed as --set key=value."""
    KIND = "node"

    def __init__(self, *a, binary_path=None, args=None, sets=None, **kwargs):
        super().__init__(*a, **kwargs)
        self.binary = binary_path or binary("zabra-node")
        self.args = list(args or [])
        self.sets = dict(sets or {})

    def argv(self):
        if not self.binary:
            raise FileNotFoundError("zabra-node not found: set $ZABRA_NODE or build <repo>/build/node/zabra-node")
        argv = [self.binary] + self.args
        for k, v in self.sets.items():
            argv += ["--set", "%s=%s" % (k, v)]
        return argv + [self.cfg_path]


class ZabraEnsemble(Ensemble):
    """The same interface as ZooKeeperEnsemble.  n == 1: one standalone
    zabra-node (counted as the leader); n > 1: an ensemble of zabra-nodes,
    which is a ZooKeeperEnsemble whose members are all zabra-node (mixed
    ensembles: ZooKeeperEnsemble(zabra_sids=...))."""

    def __new__(cls, n=1, workdir=None, name="node", **server_opts):
        if n > 1:
            from .zookeeper import ZooKeeperEnsemble
            return ZooKeeperEnsemble(n, workdir=workdir if workdir is not None else WorkDir(name), name=name,
                                     zabra_sids=tuple(range(1, n + 1)), **server_opts)
        return super().__new__(cls)

    def __init__(self, n=1, workdir=None, name="node", **server_opts):
        super().__init__(n, workdir if workdir is not None else WorkDir(name))
        for s in self.sids:
            self.servers[s] = ZabraNode(name="%s%d" % (name, s), workdir=self.workdir, **server_opts)
