"""Moved: the records live in tests/peers/workloads/zk_records.py, four_letter
in tests/peers/fourlw.py.  This shim only keeps the scripts that still import
zk_records (node_workload.py, node_zk_compat.py, plan_vs_ensemble.py,
rollback_vs_zk.py) working until they are ported; delete it with the last."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.peers.fourlw import four_letter  # noqa: E402,F401
from tests.peers.workloads.zk_records import (CreateContainer, CreateTTL, RawCreate, RawCreate2,  # noqa: E402,F401
                                              read_path_stat, ser_create)

__all__ = ["CreateContainer", "CreateTTL", "RawCreate", "RawCreate2", "four_letter", "read_path_stat", "ser_create"]
