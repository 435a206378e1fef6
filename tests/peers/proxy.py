"""A loopback TCP proxy whose two directions can each be cut, delayed or
dropped; one background thread (selectors) per proxy.

    p = Proxy(target=server_port)          # listens on a free 127.0.0.1 port
    p.start()
    p.up.drop()        # client -> target bytes are read and discarded
    p.down.delay(0.5)  # target -> client bytes arrive 0.5 s late
    p.restore()        # both directions back to plain forwarding
    p.cut()            # close every connection (RST), refuse new ones
    p.stop()

up is client -> target, down is target -> client.  A TCP connection cannot
be open in one direction only, so cutting either direction closes the
link's connections and refuses (accepts and resets) new ones until both are
restored.  drop keeps connections open: the peer sees silence, as in a
partition.  A connection that lost bytes to drop is reset when drop ends
(reset_after_drop, the default): TCP never delivers a stream with a hole, so
the peers reconnect as they would after a real partition.  Control calls
return once the proxy thread has applied them.
"""
import collections
import errno
import queue
import selectors
import socket
import struct
import threading
import time

from .ports import HOST, free_port

UP, DOWN = "up", "down"
_BACKLOG_LIMIT = 1 << 20        # stop reading a side while this much waits to be written
_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class Direction:
    """One direction's state and counters (bytes forwarded and dropped)."""

    def __init__(self, proxy, name):
        self._proxy = proxy
        self.name = name
        self.mode = "pass"      # pass | drop | cut
        self.delay_s = 0.0
        self.forwarded = 0
        self.dropped = 0

    def cut(self):
        self._proxy._set(self, mode="cut")

    def drop(self):
        self._proxy._set(self, mode="drop")

    def delay(self, seconds):
        self._proxy._set(self, delay=float(seconds))

    def restore(self):
        """Plain forwarding again: no cut, no drop, no delay."""
        self._proxy._set(self, mode="pass", delay=0.0)

    def __repr__(self):
        return "<%s %s delay=%.3g fwd=%d drop=%d>" % (self.name, self.mode, self.delay_s, self.forwarded, self.dropped)


class _Pipe:
    """One direction of one connection."""

    def __init__(self):
        self.queue = collections.deque()   # (due, bytes) held back by a delay
        self.out = bytearray()             # due, to be written
        self.eof = False                   # the source closed its side
        self.shut = False                  # we passed the EOF on

    def backlog(self):
        return len(self.out) + sum(len(b) for _, b in self.queue)


class _Conn:
    def __init__(self, client, retry_until, header_pending=False):
        self.client = client
        self.target = None
        self.connecting = True
        self.retry_until = retry_until
        self.retry_at = 0.0
        self.pipes = {UP: _Pipe(), DOWN: _Pipe()}
        self.gap = False        # bytes were dropped: the stream has a hole
        self.recorded = None    # {UP: bytearray, DOWN: bytearray} when the proxy records
        self.header = bytearray() if header_pending else None   # the election header, until rewritten

    def src_dst(self, d):
        return (self.client, self.target) if d == UP else (self.target, self.client)


class Proxy:
    def __init__(self, target, listen_port=None, name=None, connect_retry=0.0, reset_after_drop=True):
        """target: a port on 127.0.0.1, "host:port" or (host, port).
        connect_retry: seconds to keep retrying a refused connect to the
        target (the client's connection is held meanwhile) before resetting
        the client; 0 resets at once, as a refused connect would."""
        if isinstance(target, int):
            target = (HOST, target)
        elif isinstance(target, str):
            h, p = target.rsplit(":", 1)
            target = (h, int(p))
        self.target = target
        self.listen_port = listen_port or free_port()
        self.name = name or "proxy:%d->%s:%d" % (self.listen_port, target[0], target[1])
        self.connect_retry = connect_retry
        self.reset_after_drop = reset_after_drop
        self.up = Direction(self, UP)
        self.down = Direction(self, DOWN)
        self.accepted = 0
        self.refused = 0
        # record = True: every connection accepted from then on keeps the bytes
        # read from each side, as read (before any drop or delay), in
        # `recordings` ({"up": bytearray, "down": bytearray} per connection,
        # in accept order).
        self.record = False
        self.recordings = []
        # election_address = "host:port": the proxy rewrites the address in the
        # QuorumCnxManager header that opens each connection (int64 protocol,
        # int64 sid, int32 n, n bytes) to this one.  A server connects back to
        # the address a header names, so without this the callback would
        # bypass the proxy and a partition would leak (doc/zab-election.md).
        self.election_address = None
        self._conns = set()
        self._masks = {}
        self._calls = queue.Queue()
        self._thread = None
        self._stopping = False

    @property
    def hostport(self):
        return "%s:%d" % (HOST, self.listen_port)

    @property
    def connections(self):
        return len(self._conns)

    # -- control (any thread) -------------------------------------------------
    def cut(self):
        self._call(lambda: self._apply((self.up, self.down), mode="cut"))

    def drop(self):
        self._call(lambda: self._apply((self.up, self.down), mode="drop"))

    def delay(self, seconds):
        self._call(lambda: self._apply((self.up, self.down), delay=float(seconds)))

    def restore(self):
        self._call(lambda: self._apply((self.up, self.down), mode="pass", delay=0.0))

    def _set(self, direction, mode=None, delay=None):
        self._call(lambda: self._apply((direction,), mode, delay))

    def _apply(self, directions, mode=None, delay=None):
        for d in directions:
            if mode is not None:
                d.mode = mode
            if delay is not None:
                d.delay_s = delay
        dropping = self.up.mode == "drop" or self.down.mode == "drop"
        for c in list(self._conns):
            if self._is_cut() or (c.gap and not dropping and self.reset_after_drop):
                self._close(c, rst=True)

    def _is_cut(self):
        return self.up.mode == "cut" or self.down.mode == "cut"

    def _call(self, fn, timeout=10.0):
        if self._thread is None or not self._thread.is_alive():
            fn()
            return
        done = threading.Event()
        box = []

        def run():
            try:
                fn()
            except BaseException as e:  # handed to the caller
                box.append(e)
            done.set()
        self._calls.put(run)
        self._wake()
        if not done.wait(timeout):
            raise TimeoutError("%s: the proxy thread did not answer within %.0f s" % (self.name, timeout))
        if box:
            raise box[0]

    # -- life -----------------------------------------------------------------
    def start(self):
        if self._thread is not None:
            return self
        self._sel = selectors.DefaultSelector()
        self._listen = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listen.bind((HOST, self.listen_port))
        self._listen.listen(64)
        self._listen.setblocking(False)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._listen, selectors.EVENT_READ, "listen")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=10.0):
        """Closes every connection and the listening port."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("%s: the proxy thread did not stop within %.0f s" % (self.name, timeout))

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass

    # -- the loop (proxy thread) ----------------------------------------------
    def _run(self):
        try:
            while not self._stopping:
                while True:
                    try:
                        self._calls.get_nowait()()
                    except queue.Empty:
                        break
                now = time.monotonic()
                wake_at = now + 0.2
                for c in list(self._conns):
                    wake_at = min(wake_at, self._tick(c, now))
                self._update_masks()
                for key, mask in self._sel.select(max(0.0, wake_at - time.monotonic())):
                    self._event(key, mask)
        finally:
            for c in list(self._conns):
                self._close(c)
            for s in (self._listen, self._wake_r, self._wake_w):
                s.close()
            self._sel.close()
            while True:     # callers waiting on a call that will never run: run it
                try:
                    self._calls.get_nowait()()
                except queue.Empty:
                    break

    def _tick(self, c, now):
        """Timers of one connection; returns when it next needs attention."""
        nxt = now + 0.2
        if c.connecting and c.target is None:
            if c.retry_at <= now:
                self._connect(c)
            else:
                nxt = min(nxt, c.retry_at)
        if c not in self._conns:
            return nxt
        for d, p in c.pipes.items():
            while p.queue and p.queue[0][0] <= now:
                p.out += p.queue.popleft()[1]
            if p.queue:
                nxt = min(nxt, p.queue[0][0])
            if p.eof and not p.queue and not p.out and not p.shut:
                p.shut = True
                try:
                    c.src_dst(d)[1].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        if c.pipes[UP].shut and c.pipes[DOWN].shut:
            self._close(c)
        return nxt

    def _event(self, key, mask):
        if key.data == "wake":
            try:
                while self._wake_r.recv(4096):
                    pass
            except (BlockingIOError, OSError):
                pass
        elif key.data == "listen":
            self._accept()
        else:
            c, side = key.data
            if c not in self._conns:
                return
            if side == "target" and c.connecting:
                self._connected(c)
                return
            if mask & selectors.EVENT_WRITE:
                self._write(c, DOWN if side == "client" else UP)
            if c in self._conns and mask & selectors.EVENT_READ:
                self._read(c, UP if side == "client" else DOWN)

    def _accept(self):
        while True:
            try:
                cs, _ = self._listen.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if self._is_cut():
                self.refused += 1
                cs.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
                cs.close()
                continue
            self.accepted += 1
            cs.setblocking(False)
            cs.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = _Conn(cs, time.monotonic() + self.connect_retry, header_pending=self.election_address is not None)
            if self.record:
                c.recorded = {UP: bytearray(), DOWN: bytearray()}
                self.recordings.append(c.recorded)
            self._conns.add(c)
            self._connect(c)

    def _connect(self, c):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(self.target)
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self._connect_failed(c)
            return
        c.target = s

    def _connected(self, c):
        err = c.target.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._unregister(c.target)
            c.target.close()
            c.target = None
            self._connect_failed(c)
            return
        c.connecting = False
        c.target.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _connect_failed(self, c):
        now = time.monotonic()
        if now < c.retry_until:
            c.retry_at = now + 0.1
        else:
            self._close(c, rst=True)

    def _read(self, c, d):
        src = c.src_dst(d)[0]
        p = c.pipes[d]
        try:
            data = src.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(c, rst=True)
            return
        if not data:
            p.eof = True
            return
        if c.recorded is not None:
            c.recorded[d] += data
        if d == UP and c.header is not None:
            data = self._rewrite_header(c, data)
            if not data:
                return
        direction = self.up if d == UP else self.down
        if direction.mode == "drop":
            direction.dropped += len(data)
            c.gap = True
        elif direction.delay_s > 0 or p.queue:
            p.queue.append((time.monotonic() + direction.delay_s, data))
        else:
            p.out += data

    def _rewrite_header(self, c, data):
        """Holds the first bytes of a connection until its header is whole,
        then passes it on with the address replaced (a pre-3.5 header, the
        sid alone, or one it cannot read, passes as it is)."""
        c.header += data
        h = c.header
        if len(h) < 8:
            return b""
        protocol = struct.unpack(">q", bytes(h[:8]))[0]
        if protocol >= 0 or protocol not in (-65536, -65535):
            out, c.header = bytes(h), None
            return out
        if len(h) < 20:
            return b""
        n = struct.unpack(">i", bytes(h[16:20]))[0]
        if n <= 0 or n > 2048:
            out, c.header = bytes(h), None
            return out
        if len(h) < 20 + n:
            return b""
        address = self.election_address.encode()
        out = bytes(h[:16]) + struct.pack(">i", len(address)) + address + bytes(h[20 + n:])
        c.header = None
        return out

    def _write(self, c, d):
        dst = c.src_dst(d)[1]
        p = c.pipes[d]
        if not p.out:
            return
        try:
            n = dst.send(p.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(c, rst=True)
            return
        del p.out[:n]
        (self.up if d == UP else self.down).forwarded += n

    def _update_masks(self):
        for c in self._conns:
            up, down = c.pipes[UP], c.pipes[DOWN]
            cm = 0
            if not c.connecting and not up.eof and up.backlog() < _BACKLOG_LIMIT:
                cm |= selectors.EVENT_READ
            if down.out:
                cm |= selectors.EVENT_WRITE
            self._mask(c.client, cm, (c, "client"))
            if c.target is not None:
                if c.connecting:
                    tm = selectors.EVENT_WRITE
                else:
                    tm = 0
                    if not down.eof and down.backlog() < _BACKLOG_LIMIT:
                        tm |= selectors.EVENT_READ
                    if up.out:
                        tm |= selectors.EVENT_WRITE
                self._mask(c.target, tm, (c, "target"))

    def _mask(self, s, mask, data):
        old = self._masks.get(s, 0)
        if mask == old:
            return
        if old == 0:
            self._sel.register(s, mask, data)
        elif mask == 0:
            self._sel.unregister(s)
        else:
            self._sel.modify(s, mask, data)
        if mask:
            self._masks[s] = mask
        else:
            self._masks.pop(s, None)

    def _unregister(self, s):
        if self._masks.pop(s, 0):
            self._sel.unregister(s)

    def _close(self, c, rst=False):
        self._conns.discard(c)
        for s in (c.client, c.target):
            if s is None:
                continue
            self._unregister(s)
            if rst:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
                except OSError:
                    pass
            s.close()

    def __repr__(self):
        return "<Proxy %s conns=%d %r %r>" % (self.name, len(self._conns), self.up, self.down)
