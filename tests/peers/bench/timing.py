"""What the benchmarks share: progress lines, timed runs of a tool (wall
time, peak RSS, exit status) through Proc, medians, CPU time of a process,
the machine and build they ran on, and the bench binaries of a build."""
import itertools
import os
import shutil
import sys
import time

from ..procs import Proc
from ..workdir import WorkDir
from ..skip import REPO, binary, skip, skip_unless
from ..zookeeper import classpath

T0 = time.monotonic()
TIME = "/usr/bin/time"          # GNU time (package time): the peak RSS of a child
TCK = os.sysconf("SC_CLK_TCK")


def say(text):
    """A progress line with the seconds since the start, on stderr."""
    print("[%4ds] %s" % (time.monotonic() - T0, text), file=sys.stderr, flush=True)


def median(values):
    v = sorted(values)
    n = len(v)
    return (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2) if n else None


def ratio(a, b):
    return a / b if a and b else 0.0


def cpu_ticks(pid):
    """(utime, stime) of a process in clock ticks: all its threads, and a
    zombie's totals (fields 14 and 15 of proc(5))."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]), int(fields[12])


def cpu_seconds(pid):
    ut, st = cpu_ticks(pid)
    return (ut + st) / TCK


def build_dir():
    """$BUILD_DIR (default build), absolute."""
    b = os.environ.get("BUILD_DIR", "build")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


def bench_binary(name):
    """<build>/tests/<name> (zabra_bench_decode, zabra_make_etcd_segment,
    zabra_make_big_data_dir), or None when it is not built."""
    path = os.path.join(build_dir(), "tests", name)
    return path if os.access(path, os.X_OK) else None


def require(*bench_tools):
    """Exits 77 (skip) unless zabra, GNU time and the named bench binaries
    (zabra_bench_decode, ...) are there; returns the binaries' paths."""
    skip_unless("zabra")
    if need_time():
        skip(need_time())
    paths = [bench_binary(name) for name in bench_tools]
    for name, path in zip(bench_tools, paths):
        if not path:
            skip("%s not built (cmake --build build --target %s; BUILD_DIR names another build dir)" % (name, name))
    return paths


def build_type(tool):
    """CMAKE_BUILD_TYPE of the build tree a binary (<build>/<dir>/<tool>) lives in, or "?"."""
    cache = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(tool))), "CMakeCache.txt")
    try:
        for line in open(cache):
            if line.startswith("CMAKE_BUILD_TYPE:"):
                return line.split("=", 1)[1].strip() or "?"
    except OSError:
        pass
    return "?"


def zabra_binary(warn=True):
    """The zabra binary ($ZABRA or <repo>/build/tools/zabra); warns when its build is not Release."""
    z = binary("zabra")
    if z and warn and build_type(z) not in ("Release", "?"):
        print("warning: %s is a '%s' build, not Release" % (z, build_type(z)), file=sys.stderr)
    return z


def git_commit(short=False):
    """HEAD of the repo, with a note when the work tree has changes."""
    rc, head = tool_output(["git", "-C", REPO, "rev-parse"] + (["--short"] if short else []) + ["HEAD"])
    if rc != 0 or not head.strip():
        return "?"
    dirty, _ = tool_output(["git", "-C", REPO, "diff", "--quiet", "HEAD", "--"])
    return head.strip() + (" (working tree has uncommitted changes)" if dirty else "")


def machine():
    """"2 CPUs, <model>, 7.8 GB RAM, load 1.0 0.9 0.8" """
    model = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = int(line.split()[1])
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    return "%d CPUs, %s, %.1f GB RAM, load %s" % (os.cpu_count(), model, mem / 1048576, load)


def package_version(pkg):
    rc, out = tool_output(["dpkg-query", "-W", "-f=${Version}", pkg])
    return out.strip() if rc == 0 and out.strip() else "?"


def read_info(data, key):
    """The value of "<key>: value" in <data>/bench-info.txt (what a cached data set was made of), or None."""
    try:
        for line in open(os.path.join(data, "bench-info.txt")):
            if line.startswith(key + ": "):
                return line.split(": ", 1)[1].rstrip("\n")
    except OSError:
        pass
    return None


def write_info(data, params, *more, took=None):
    """<data>/bench-info.txt: params, more lines, and when it was generated (in `took` seconds)."""
    with open(os.path.join(data, "bench-info.txt"), "w") as f:
        f.write("params: %s\n" % params)
        for line in more:
            f.write(line + "\n")
        f.write("generated: %s%s\n" % (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                                      "" if took is None else " in %d s" % took))


def need_time():
    """The reason GNU time is unusable, or None."""
    return None if os.access(TIME, os.X_OK) else "%s missing (apt-get install time)" % TIME


def run_tool(argv, name, workdir, timeout=3600.0):
    """Runs a tool to its end through Proc, stdout to <workdir>/<name>.out,
    stderr to <workdir>/<name>.err; returns (exit status, stdout, stderr)."""
    out = os.path.join(str(workdir), name + ".out")
    proc = Proc(argv, name, os.path.join(str(workdir), name + ".err"), stdout=out)
    rc = proc.start().wait(timeout)
    err = "".join(line for line in proc.log_text().splitlines(True) if not line.startswith("### "))
    return rc, open(out).read(), err


def capture(argv, name, workdir, timeout=3600.0, stderr=False, check=False):
    """A tool's stdout (run_tool), with stderr=True followed by its stderr.
    check: a non-zero exit status raises RuntimeError with the stderr's tail."""
    rc, out, err = run_tool(argv, name, workdir, timeout)
    if check and rc != 0:
        raise RuntimeError("%s exited with status %s:\n%s" % (" ".join(map(str, argv)), rc,
                                                                "\n".join(err.splitlines()[-20:])))
    return out + err if stderr else out


_scratch = []       # the WorkDir of tool_output, made on first use
_queries = itertools.count(1)


def tool_output(argv, timeout=60.0):
    """(exit status, stdout) of a short query (git, dpkg-query) run through Proc."""
    if not _scratch:
        _scratch.append(WorkDir("bench-tools"))
    return run_tool(argv, "query-%d" % next(_queries), _scratch[0], timeout)[:2]


def mount_of(path):
    """(fstype, source, options) of the filesystem holding path, from /proc/self/mounts."""
    path = os.path.realpath(path)
    best = ("", "?", "?", "")
    for line in open("/proc/self/mounts"):
        src, mnt, fstype, opts = line.split()[:4]
        mnt = mnt.replace("\\040", " ")
        if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[0]):
            best = (mnt, fstype, src, opts)
    return best[1:]


class Timer:
    """Runs tools one at a time through Proc, output to /dev/null, stderr to
    <workdir>/<name>.err; peak RSS from GNU time.  timeout: seconds a single
    run may take before it counts as hung (killed, an error)."""

    def __init__(self, workdir, timeout=3600.0):
        self.workdir = workdir
        self.timeout = timeout
        self.n = 0

    def run(self, argv, name="tool"):
        """One run: (wall seconds, peak RSS in KiB, exit status)."""
        self.n += 1
        rss_file = os.path.join(str(self.workdir), "time.out")
        proc = Proc([TIME, "-f", "%M", "-o", rss_file] + list(argv), name,
                    os.path.join(str(self.workdir), "%s.err" % name), stdout=os.devnull)
        t0 = time.monotonic()
        proc.start()
        rc = proc.wait(self.timeout, interval=0.002)       # polled: 2 ms of resolution
        wall = time.monotonic() - t0
        rss = 0
        try:
            lines = open(rss_file).read().split()
            rss = int(lines[-1]) if lines else 0
        except (OSError, ValueError):
            pass
        return wall, rss, rc


class Measurements:
    """Named measurements of a Timer: median wall time of `runs` runs, the
    peak RSS over them, the worst exit status, MB/s of `nbytes`."""

    def __init__(self, timer, runs=3, slow_limit=180.0):
        self.timer = timer
        self.runs = runs
        self.slow_limit = slow_limit
        self.rows = []          # dicts in the order measured
        self.by_key = {}

    def measure(self, key, label, argv, nbytes=0, of="-", slow=False, runs=None, **extra):
        """argv: a list, or a callable returning (wall, rss_kb, rc) for one run
        (several tools summed).  slow: a first run longer than slow_limit
        seconds is the only one."""
        say("  %s%s" % (label, " " + extra["input"] if "input" in extra else ""))
        n = runs or self.runs
        walls, rss, rc, note = [], 0, 0, ""
        for i in range(n):
            w, r, c = argv() if callable(argv) else self.timer.run(argv, key)
            walls.append(w)
            rss = max(rss, r)
            rc = c if abs(c or 0) > abs(rc) else rc
            if i == 0 and slow and n > 1 and w > self.slow_limit:
                note = "1 run (> %.0f s)" % self.slow_limit
                break
        med = median(walls)
        note = note or "median of %d" % len(walls)
        if rc:
            note += ", exit %d" % rc
        say("    %s s -> %.3f s, peak RSS %d MB%s" % (" ".join("%.3f" % w for w in walls), med, rss // 1024,
                                                       "" if not rc else " (exit %d)" % rc))
        row = dict(key=key, label=label, wall=med, rss_mb=rss / 1024, rc=rc, note=note, of=of,
                   mbps=(nbytes / 1e6 / med) if nbytes and med else None, **extra)
        self.rows.append(row)
        self.by_key[key] = row
        return row

    def wall(self, key):
        return self.by_key[key]["wall"] if key in self.by_key else None

    def rss_mb(self, key):
        return self.by_key[key]["rss_mb"] if key in self.by_key else None


def which_java():
    return shutil.which(os.environ.get("JAVA", "java")) or os.environ.get("JAVA", "java")


def zk_tool(main_class, *args, jvm=()):
    """The argv of one of ZooKeeper's own tools (TxnLogToolkit, SnapshotFormatter):
    Debian's jar, UTC, slf4j-simple at warn."""
    return ([which_java()] + list(jvm) + ["-Duser.timezone=UTC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                          "-cp", classpath(), "org.apache.zookeeper.server." + main_class]
            + [str(a) for a in args])
