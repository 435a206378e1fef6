"""Exit 77 (ctest's SKIP_RETURN_CODE) when a peer is missing, and where to
find our own binaries."""
import importlib
import os
import shutil
import sys

SKIP = 77
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZK_JAR = "/usr/share/java/zookeeper.jar"
SLF4J_SIMPLE = "/usr/share/java/slf4j-simple.jar"
SLF4J_NOP = "/usr/share/java/slf4j-nop.jar"

# our binaries: environment variable, else <repo>/$BUILD_DIR (default build)
_BINARIES = {"zabra": ("ZABRA", "tools/zabra"), "zabra-node": ("ZABRA_NODE", "node/zabra-node"),
             "zabra_election_probe": ("ZABRA_ELECTION_PROBE", "tests/zabra_election_probe")}


def binary(name):
    """The path of "zabra" or "zabra-node" ($ZABRA / $ZABRA_NODE, else
    <repo>/build/...), or None when it is not an executable file."""
    var, rel = _BINARIES[name]
    path = os.environ.get(var) or os.path.join(REPO, os.environ.get("BUILD_DIR", "build"), rel)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def skip(why):
    """Prints why and exits 77."""
    print("%s: skipped: %s" % (os.path.basename(sys.argv[0]) or "peers", why), file=sys.stderr)
    sys.exit(SKIP)


def missing(what):
    """Why `what` is unusable, or None.  what: "java", "zookeeper" (java and
    Debian's jar), "etcd", "etcdctl", "kazoo", "zabra", "zabra-node", or a path."""
    if what == "java":
        return None if shutil.which(os.environ.get("JAVA", "java")) else "java not found (apt-get install default-jre-headless)"
    if what == "zookeeper":
        return (missing("java")
                or (None if os.access(ZK_JAR, os.R_OK) else "%s missing (apt-get install zookeeper)" % ZK_JAR))
    if what in ("etcd", "etcdctl"):
        var = what.upper()
        return None if (os.environ.get(var) or shutil.which(what)) else \
            "%s not found (apt-get install etcd-server etcd-client)" % what
    if what == "kazoo":
        try:
            importlib.import_module("kazoo.client")
            return None
        except ImportError:
            return "%s cannot import kazoo (use /usr/bin/python3; apt-get install python3-kazoo)" % sys.executable
    if what in _BINARIES:
        return None if binary(what) else "%s not built (set $%s or build %s)" % (
            what, _BINARIES[what][0], os.path.join(REPO, "build", _BINARIES[what][1]))
    return None if os.access(what, os.X_OK) else "%s missing or not executable" % what


def skip_unless(*what):
    """Exits 77 with a message when any of `what` is missing (see missing())."""
    for w in what:
        why = missing(w)
        if why:
            skip(why)
