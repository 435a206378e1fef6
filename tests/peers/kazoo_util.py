"""A started, quiet kazoo client."""
import contextlib
import logging


def _hosts(hosts):
    if isinstance(hosts, str):
        return hosts
    if hasattr(hosts, "hosts"):            # an ensemble
        return hosts.hosts()
    if hasattr(hosts, "hostport"):         # a server
        return hosts.hostport
    return ",".join(h if isinstance(h, str) else h.hostport for h in hosts)


def connect(hosts, timeout=20.0, session_timeout=10.0, **kwargs):
    """A KazooClient connected to `hosts` ("h:p,h:p", a server, an ensemble or
    a list of either), started within `timeout` seconds; kazoo's own logging
    is silenced (errors surface as exceptions).  The caller stops it:
    zk.stop(); zk.close() (or use connected())."""
    from kazoo.client import KazooClient
    logging.getLogger("kazoo").setLevel(logging.CRITICAL)
    zk = KazooClient(hosts=_hosts(hosts), timeout=session_timeout, **kwargs)
    try:
        zk.start(timeout=timeout)
    except Exception:
        zk.stop()
        zk.close()
        raise
    return zk


@contextlib.contextmanager
def connected(hosts, timeout=20.0, **kwargs):
    """with connected(server) as zk: ...  (stopped and closed afterwards)"""
    zk = connect(hosts, timeout, **kwargs)
    try:
        yield zk
    finally:
        zk.stop()
        zk.close()
