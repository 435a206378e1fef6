"""What the ensemble checks share: failures, and the tree read through every member must be the same."""
import json

from tests.peers.checks.node_zk_compat_workload import dump_tree


class Failed(AssertionError):
    pass


class Failures:
    """Problems collected to report together at the end."""

    def __init__(self):
        self.items = []

    def add(self, msg):
        print("    FAIL: " + msg)
        self.items.append(msg)


def check(cond, msg):
    if not cond:
        raise Failed(msg)


def say(msg):
    print(msg, flush=True)


def same_tree_everywhere(ens, work, label, sids=None):
    """Dumps the tree through every (given) member; all must be equal. Returns the node count."""
    trees = {}
    sids = list(sids or ens.sids)
    for s in sids:
        out = work.file("tree-%s-%d.json" % (label, s))
        dump_tree(ens.servers[s], out)
        with open(out) as f:
            trees[s] = json.load(f)
        # each server stamps /zookeeper/config with its own start time (two ZooKeepers differ there too)
        trees[s].get("/zookeeper/config", {}).get("stat", {}).pop("mtime", None)
    first = trees[sids[0]]
    for s in sids[1:]:
        if trees[s] != first:
            diff = [p for p in sorted(set(first) | set(trees[s])) if first.get(p) != trees[s].get(p)]
            raise Failed("%s: the tree through server %d differs from server %d's at %d paths, e.g. %s"
                         % (label, s, sids[0], len(diff), diff[:3]))
    return len(first)
