"""One HTTP request that ends by a deadline, whatever the server does: stall, trickle, or close half-way.

urllib's `timeout` is per socket operation: a server that sends one byte a second is never timed out, and one that
never answers blocks for the whole timeout on every retry. Here every socket a request opens is watched: at the
deadline a timer shuts it down, which wakes the read blocked on it, and the request fails as timed out. The socket
timeout is also the time left, so a plain stall ends at the deadline without the timer's help.
"""
from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request


class DeadlineExceeded(TimeoutError):
    """The deadline passed before the request's reply was read to its end."""


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        return self.ends - time.monotonic()

    def expired(self) -> bool:
        return self.left() <= 0


class _Watch:
    """Shuts down the sockets opened under it once the deadline passes (and closes the watch on exit)."""

    def __init__(self, deadline: Deadline):
        self.deadline, self.sockets, self.fired = deadline, [], False
        self.timer = threading.Timer(max(0.0, deadline.left()), self.fire)
        self.timer.daemon = True
        self.lock = threading.Lock()

    def add(self, sock: socket.socket) -> socket.socket:
        with self.lock:
            self.sockets.append(sock)
            if self.fired:
                self.shut(sock)
        return sock

    def fire(self) -> None:
        with self.lock:
            self.fired = True
            for sock in self.sockets:
                self.shut(sock)

    @staticmethod
    def shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # already closed
            pass

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()


def _watched(connection_class, watch: _Watch):
    def make(host, **kwargs):
        conn = connection_class(host, **kwargs)
        create = conn._create_connection  # socket.create_connection, looked up per connection by http.client

        def create_watched(*args, **kw):
            return watch.add(create(*args, **kw))
        conn._create_connection = create_watched
        return conn
    return make


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch):
        super().__init__()
        self.watch = watch

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self.watch), req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch):
        super().__init__()
        self.watch = watch

    def https_open(self, req):
        return self.do_open(_watched(http.client.HTTPSConnection, self.watch), req,
                            context=self._context)


def fetch(request: urllib.request.Request, deadline: Deadline) -> tuple[int, bytes]:
    """(status, body) of one request, read to its end before the deadline, or DeadlineExceeded.

    An HTTP error status is returned, not raised: the caller decides what to retry. Proxies (http_proxy etc.) are
    honoured as by urlopen.
    """
    if deadline.expired():
        raise DeadlineExceeded(f"no time left of {deadline.seconds:g} s")
    with _Watch(deadline) as watch:
        opener = urllib.request.build_opener(_HTTP(watch), _HTTPS(watch))
        try:
            try:
                response = opener.open(request, timeout=max(0.001, deadline.left()))
            except urllib.error.HTTPError as err:
                response = err
            with response:
                status, body = response.status, response.read()
        except (OSError, http.client.HTTPException) as err:
            if watch.fired or deadline.expired() or isinstance(getattr(err, "reason", err), TimeoutError):
                raise DeadlineExceeded(f"no complete reply within {deadline.seconds:g} s") from None
            raise
    if watch.fired:  # the shutdown can look like an ordinary end of the reply (e.g. amid the headers)
        raise DeadlineExceeded(f"no complete reply within {deadline.seconds:g} s")
    return status, body
