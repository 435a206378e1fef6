"""Temporary work directories, removed at exit unless kept.

A directory is kept when it was made with keep=True, when PEERS_KEEP is set
in the environment, or when the run failed: an uncaught exception, a
SystemExit with a non-zero status through tests.peers.run(), or
mark_failed().  Processes are killed (procs.kill_all) before removal.
"""
import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from . import procs

_lock = threading.Lock()
_dirs = []              # WorkDir objects to remove at exit
_failed = False


class WorkDir:
    def __init__(self, name="peers", keep=False, parent=None):
        self.path = tempfile.mkdtemp(prefix="zabra-%s." % name, dir=parent)
        self.keep = keep or bool(os.environ.get("PEERS_KEEP"))
        with _lock:
            _dirs.append(self)

    def sub(self, *parts):
        """A subdirectory, created."""
        p = os.path.join(self.path, *parts)
        os.makedirs(p, exist_ok=True)
        return p

    def file(self, *parts):
        """A path inside (its parent directory created)."""
        p = os.path.join(self.path, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def copy(self, src, *parts):
        """A copy of directory `src` (its files, modes and times; sparse files
        stay sparse, as ZooKeeper's preallocated logs) in sub(*parts); returns
        that path."""
        dst = self.sub(*parts)
        subprocess.run(["cp", "-a", "--sparse=always", os.path.join(str(src), "."), dst + "/"], check=True,
                       stdin=subprocess.DEVNULL, timeout=600)
        return dst

    def __str__(self):
        return self.path

    def __fspath__(self):
        return self.path


def mark_failed():
    """Keep every work dir of this run."""
    global _failed
    _failed = True


def cleanup():
    procs.kill_all()
    with _lock:
        dirs = list(_dirs)
        _dirs.clear()
    for d in dirs:
        if d.keep or _failed:
            print("work dir kept: %s" % d.path, file=sys.stderr)
        else:
            shutil.rmtree(d.path, ignore_errors=True)


_previous_hook = sys.excepthook


def _excepthook(typ, value, tb):
    mark_failed()
    _previous_hook(typ, value, tb)


sys.excepthook = _excepthook
atexit.register(cleanup)


def sha256_file(path):
    """The sha256 of a file's bytes, in hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
