"""Moved: the records are in tests/peers/workloads/zk_records.py, the
four-letter words in tests/peers/fourlw.py.  Kept for plan_vs_ensemble.py and
rollback_vs_zk.py until they are ported to tests/peers."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.peers.fourlw import four_letter  # noqa: E402,F401
