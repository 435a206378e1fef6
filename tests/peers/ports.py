"""Free TCP ports on 127.0.0.1.

The kernel picks a port that is free now (bind to port 0); a process-wide set
makes sure one run never hands out the same port twice, even when the first
user has not bound it yet.  Between this call and the server's own bind the
port could in theory be taken by someone else; the kernel's ephemeral range
makes that rare, and a server that fails to bind dies with a clear log.
"""
import socket
import threading

HOST = "127.0.0.1"

_lock = threading.Lock()
_given = set()


def free_port():
    """A port on 127.0.0.1 that is free now and not handed out before in this process."""
    for _ in range(1000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        with _lock:
            if port not in _given:
                _given.add(port)
                return port
    raise RuntimeError("no free port on %s after 1000 tries" % HOST)


def free_ports(n):
    """n distinct free ports."""
    return [free_port() for _ in range(n)]


def port_is_free(port):
    """True when nothing listens on 127.0.0.1:port (bind test, TIME_WAIT is no conflict)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def accepts(port, timeout=1.0):
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def closed_by_peer(sock, timeout):
    """Whether the other end closes `sock` within `timeout` s (what it sends meanwhile is read and dropped)."""
    import time
    sock.settimeout(0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False
