"""What node_workload prints and how: the normalized output (one JSON line
per step), the step runner, a raw-protocol session (full control over
connect, ping, close and disconnect), kazoo clients whose connect reply is
recorded, and a collector of watch events.

Normalization: everything that legitimately differs between two servers
that start from an empty data dir is mapped to something comparable:

  * session ids          -> "session#1", "session#2", ... in order of first
                            appearance (also in ephemeralOwner; 0 stays 0;
                            container / TTL owners stay as hex)
  * ctime / mtime        -> 0, "now" (a plausible epoch-ms value) or
                            "bad:<value>"; plus "mtime_rel": "=" / "!=" when
                            mzxid == czxid, ">=" / "<" otherwise
  * children lists       -> sorted (the server's order is unspecified)
  * watch events         -> sorted within one trigger
  * timings              -> classified (e.g. expiry "in-time" / "late")
  * session passwords    -> only their length
"""
import json
import socket
import struct
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.serialization import Auth, Close, Connect, ReplyHeader, int_struct
from kazoo.protocol.states import ZnodeStat

from tests.peers.fourlw import four_letter
from tests.peers.wait import wait_until
from tests.peers.workloads import zk_records
from tests.peers.workloads.zk_records import ZKError, exc_for

OP_TIMEOUT = 10.0           # seconds to wait for any single reply
T_START_MS = int(time.time() * 1000)

# ---------------------------------------------------------------------------
# output and normalization
# ---------------------------------------------------------------------------

_sessions = {}              # raw session id -> "session#N"
_consecutive_failures = 0
FATAL = ("KazooTimeoutError", "ConnectionLoss", "ConnectionClosedError",
         "SessionExpiredError", "ConnectionRefusedError", "ConnectionResetError",
         "BrokenPipeError", "EOFError", "socket.timeout", "TimeoutError")


class Abort(Exception):
    pass


def session_label(sid):
    if sid is None:
        return None
    if sid == 0:
        return 0
    if sid not in _sessions:
        _sessions[sid] = "session#%d" % (len(_sessions) + 1)
    return _sessions[sid]


def owner(v):
    """ephemeralOwner: 0, a session label, or hex for container/TTL markers."""
    if v == 0:
        return 0
    if v in _sessions:
        return _sessions[v]
    u = v & 0xFFFFFFFFFFFFFFFF
    if u == 0x8000000000000000 or (u >> 56) == 0xFF:
        return "0x%016x" % u
    return session_label(v)


def tclass(t):
    if t == 0:
        return 0
    now = int(time.time() * 1000)
    if T_START_MS - 600000 <= t <= now + 600000:
        return "now"
    return "bad:%d" % t


def nstat(st):
    if st is None:
        return None
    d = {
        "czxid": st.czxid, "mzxid": st.mzxid, "pzxid": st.pzxid,
        "version": st.version, "cversion": st.cversion, "aversion": st.aversion,
        "ephemeralOwner": owner(st.ephemeralOwner),
        "dataLength": st.dataLength, "numChildren": st.numChildren,
        "ctime": tclass(st.ctime), "mtime": tclass(st.mtime),
    }
    if st.mzxid == st.czxid:
        d["mtime_rel"] = "=" if st.mtime == st.ctime else "!="
    else:
        d["mtime_rel"] = ">=" if st.mtime >= st.ctime else "<"
    return d


def ndata(b):
    if b is None:
        return None
    b = bytes(b)
    try:
        s = b.decode("utf-8")
        if s.isprintable():
            return s
    except UnicodeDecodeError:
        pass
    return "hex:" + b.hex()


def nacl(acls):
    if acls is None:
        return None
    return ["%s:%s:%d" % (a.id.scheme, a.id.id, a.perms) for a in acls]


def err_name(e):
    if isinstance(e, socket.timeout):
        return "socket.timeout"
    return type(e).__name__


OUT = [sys.stdout]          # where emit() writes (set_output)


def set_output(f):
    OUT[0] = f


def emit(step, **kw):
    """One output line: the step name first (readable diffs), then the
    result keys, everything else sorted."""
    rest = json.dumps(kw, sort_keys=True, ensure_ascii=False)
    head = json.dumps({"step": step}, ensure_ascii=False)
    line = head[:-1] + (", " + rest[1:] if kw else "}")
    print(line, file=OUT[0], flush=True)


def note_failure(name):
    global _consecutive_failures
    if name in FATAL:
        _consecutive_failures += 1
        if _consecutive_failures >= 5:
            emit("abort", reason="server stopped answering (%s)" % name)
            raise Abort()
    else:
        _consecutive_failures = 0


def wait(ar):
    return ar.get(timeout=OP_TIMEOUT)


def run(step, client, fn, fmt=lambda r: r, extra=None):
    """Run fn() (which returns a value or raises), print the normalized result
    or the exception class name, plus the client's last reply zxid."""
    out = {}
    try:
        r = fn()
        out["ok"] = fmt(r)
        note_failure(None)
    except Abort:
        raise
    except Exception as e:          # noqa: BLE001 -- every failure is a result
        r = None
        out["error"] = err_name(e)
        note_failure(out["error"])
    if client is not None:
        out["zxid"] = client.last_zxid
    if extra:
        out.update(extra)
    emit(step, **out)
    return r


# kazoo does not keep the negotiated session timeout: record connect replies.
_connect_replies = []
_orig_connect_deserialize = Connect.deserialize.__func__


def _recording_deserialize(cls, buf, offset):
    res = _orig_connect_deserialize(cls, buf, offset)
    _connect_replies.append(res[0])
    return res


Connect.deserialize = classmethod(_recording_deserialize)


def call(zk, request):
    """Send any protocol record through kazoo and wait for the answer."""
    return zk_records.call(zk, request, OP_TIMEOUT)


def nresult(r):
    """Normalize a multi / create2 result element."""
    if isinstance(r, ZKError):
        return "ZKError(%d)" % r.code
    if isinstance(r, Exception):
        return type(r).__name__
    if isinstance(r, ZnodeStat):
        return {"stat": nstat(r)}
    if isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], ZnodeStat):
        return {"path": r[0], "stat": nstat(r[1])}
    return r


def nmulti(results):
    return [nresult(r) for r in results]


# ---------------------------------------------------------------------------
# raw protocol session (full control over connect / ping / disconnect)
# ---------------------------------------------------------------------------

class RawSession(object):
    def __init__(self, hostport, timeout_ms, session_id=0, passwd=b"\0" * 16,
                 last_zxid=0):
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=OP_TIMEOUT)
        self.xid = 0
        self.last_zxid = 0
        self.events = []
        body = Connect(0, last_zxid, timeout_ms, session_id, passwd, False).serialize()
        self._send(body)
        buf = self._recv_frame()
        self.reply, _ = _orig_connect_deserialize(Connect, buf, 0)
        self.session_id = self.reply.session_id
        self.passwd = self.reply.passwd

    def describe(self):
        r = self.reply
        return {"session": session_label(r.session_id), "timeout": r.time_out,
                "protocol_version": r.protocol_version,
                "passwd_len": len(r.passwd) if r.passwd is not None else None,
                "read_only": r.read_only}

    def _send(self, body):
        self.sock.sendall(int_struct.pack(len(body)) + bytes(body))

    def _recv_exact(self, n):
        chunks = []
        while n:
            d = self.sock.recv(n)
            if not d:
                raise EOFError("connection closed by server")
            chunks.append(d)
            n -= len(d)
        return b"".join(chunks)

    def _recv_frame(self):
        n = int_struct.unpack(self._recv_exact(4))[0]
        return self._recv_exact(n)

    def _request(self, xid, rtype, body):
        self._send(struct.pack("!ii", xid, rtype) + bytes(body))

    def _reply_for(self, xid):
        while True:
            buf = self._recv_frame()
            hdr, off = ReplyHeader.deserialize(buf, 0)
            if hdr.xid == -1:          # watch event
                self.events.append(buf)
                continue
            if hdr.zxid > 0:
                self.last_zxid = hdr.zxid
            if hdr.xid == xid:
                return hdr, buf, off

    def call(self, req):
        self.xid += 1
        self._request(self.xid, req.type, req.serialize())
        hdr, buf, off = self._reply_for(self.xid)
        if hdr.err:
            raise exc_for(hdr.err)
        if hasattr(req, "deserialize") and len(buf) > off:
            return req.deserialize(buf, off)
        return None

    def ping(self):
        self._request(-2, 11, b"")
        self._reply_for(-2)

    def auth(self, scheme, cred):
        self._request(-4, 100, Auth(0, scheme, cred).serialize())
        hdr, _, _ = self._reply_for(-4)
        if hdr.err:
            raise exc_for(hdr.err)

    def close_session(self):
        self.xid += 1
        self._request(self.xid, Close.type, b"")
        self._reply_for(self.xid)

    def drop(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def wait_eof(self, limit):
        """True if the server closes the connection within `limit` seconds."""
        deadline = time.time() + limit
        while time.time() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.time()))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return False
            except OSError:
                return True
            if not d:
                return True
        return False


def raw_connect_outcome(hostport, timeout_ms, session_id=0, passwd=b"\0" * 16,
                        last_zxid=0):
    """Connect and report what the server answered (or that it refused)."""
    try:
        s = RawSession(hostport, timeout_ms, session_id, passwd, last_zxid)
    except Exception as e:           # noqa: BLE001
        return None, {"error": err_name(e)}
    return s, s.describe()


# ---------------------------------------------------------------------------
# 4lw
# ---------------------------------------------------------------------------

def pick_lines(text, keys, sep):
    out = {}
    for line in text.splitlines():
        if sep in line:
            k, v = line.split(sep, 1)
            k, v = k.strip(), v.strip()
            if k in keys:
                out[k] = v
    return out


def fourlw_step(step, hostport, cmd, keys=None, sep=":"):
    try:
        text = four_letter(hostport, cmd)
        res = {"ok": text.strip() if keys is None else pick_lines(text, keys, sep)}
    except Exception as e:           # noqa: BLE001
        res = {"error": err_name(e)}
    emit(step, **res)


# ---------------------------------------------------------------------------
# kazoo clients and watches
# ---------------------------------------------------------------------------

def connect_step(hostport, step, timeout=10.0):
    zk = KazooClient(hosts=hostport, timeout=timeout)
    del _connect_replies[:]
    try:
        zk.start(timeout=OP_TIMEOUT)
    except Exception as e:           # noqa: BLE001
        emit(step, error=err_name(e))
        note_failure(err_name(e))
        return zk
    sid, pw = zk.client_id
    cr = _connect_replies[-1] if _connect_replies else None
    emit(step, ok={"session": session_label(sid), "passwd_len": len(pw),
                   "timeout": cr.time_out if cr else None,
                   "protocol_version": cr.protocol_version if cr else None,
                   "read_only": cr.read_only if cr else None},
         zxid=zk.last_zxid)
    return zk


class Events(object):
    """Collects watch events delivered to watcher callbacks."""

    def __init__(self):
        self.cv = threading.Condition()
        self.items = []

    def watcher(self, tag):
        def w(ev):
            with self.cv:
                self.items.append([tag, ev.type, ev.path])
                self.cv.notify_all()
        return w

    def take(self, expect, limit=3.0, settle=0.3):
        """Wait until `expect` events arrived (or `limit` s), then `settle` s
        more for unexpected extra events; return them sorted."""
        deadline = time.time() + limit
        with self.cv:
            while len(self.items) < expect and time.time() < deadline:
                self.cv.wait(0.05)
        time.sleep(settle)
        with self.cv:
            got, self.items = self.items, []
        return sorted(got)




def poll(pred, limit, what):
    """Polls pred() (any exception counts as "not yet") for up to `limit`
    seconds; True when it held, False when time ran out: the workload
    prints the outcome instead of failing."""
    try:
        wait_until(pred, limit, what, interval=0.05, ignore=(Exception,))
        return True
    except TimeoutError:
        return False
