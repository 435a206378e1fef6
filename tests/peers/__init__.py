"""tests.peers: the one harness for tests, fixture generators and benchmarks
that run the real peers (Debian's ZooKeeper 3.8 and etcd 3.4) and zabra-node.
See README.md.  Python stdlib + kazoo; run with /usr/bin/python3 from the
repo root: python3 -m tests.peers.<module>."""
import sys
import traceback

from .ensemble import Ensemble
from .etcd import EtcdCluster
from .fourlw import four_letter, four_letter_raw, mode, parse_srvr, srvr, zxid
from .kazoo_util import connect, connected
from .ports import accepts, free_port, free_ports, port_is_free
from .procs import Proc, ProcessDied, kill_all, run_command
from .proxy import Proxy
from .skip import SKIP, binary, missing, skip, skip_unless
from .wait import wait_until
from .workdir import WorkDir, mark_failed
from .zabra_node import ZabraEnsemble, ZabraNode, node_under_test, zookeeper_stands_in
from .zookeeper import ZooKeeperEnsemble, ZooKeeperServer, tool_argv


def run(main):
    """Runs main() and exits with its status (None is 0): 77 stays a skip, an
    exception prints its traceback and exits 1; any failure keeps the work
    dirs.  Every process started is killed before exit."""
    try:
        rc = main() or 0
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        rc = 1
    if rc not in (0, SKIP):
        mark_failed()
    sys.exit(rc)


__all__ = ["Ensemble", "EtcdCluster", "four_letter", "four_letter_raw", "mode", "parse_srvr", "srvr", "zxid", "connect",
           "connected", "accepts", "free_port", "free_ports", "port_is_free", "Proc", "ProcessDied", "kill_all",
           "run_command",
           "Proxy", "SKIP", "binary", "missing", "skip", "skip_unless", "wait_until", "WorkDir", "mark_failed",
           "ZabraEnsemble", "ZabraNode", "node_under_test", "zookeeper_stands_in", "ZooKeeperEnsemble", "ZooKeeperServer", "tool_argv", "run"]
