"""wait_until: poll a predicate until it holds or a deadline passes."""
import time


def wait_until(predicate, timeout, what, interval=0.1, ignore=(OSError,)):
    """Calls predicate() until it returns a true value, and returns that value.

    Exceptions of the types in `ignore` count as "not yet" (the last one is
    quoted in the message); any other exception propagates at once, so a
    predicate can fail fast (e.g. a server that died).  After `timeout`
    seconds: TimeoutError("timed out after 5.0 s waiting for <what> (last: ...)").
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except ignore as e:
            last = e
        now = time.monotonic()
        if now >= deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s (last: %s)" % (timeout, what, _show(last)))
        time.sleep(min(interval, deadline - now))


def _show(v):
    if isinstance(v, BaseException):
        return "%s: %s" % (type(v).__name__, v)
    s = repr(v)
    return s if len(s) <= 200 else s[:200] + "..."
