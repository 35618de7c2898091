"""What every local replica shares: a threaded HTTP server on 127.0.0.1 (port chosen by the
OS), quiet handlers that pass each request to the replica, and the start/stop lifecycle.

A replica subclasses ``LocalReplica``, sets ``name`` (thread name and ``Server`` header) and
implements ``_handle(handler, send_body=...)``; it keeps unexpected exceptions in ``errors``.
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True
    replica: LocalReplica

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients that hang up are normal here; anything else is kept for tests."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            self.replica.errors.append(repr(exc))


class ReplicaHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections end on their own
    server: ReplicaServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def version_string(self) -> str:
        return f"{self.server.replica.name}/1.0"

    def do_GET(self) -> None:
        self.server.replica._handle(self, send_body=True)

    def do_HEAD(self) -> None:
        self.server.replica._handle(self, send_body=False)


class LocalReplica:
    """Start, stop and address of a replica; use it as a context manager."""

    name = "Replica"
    errors: list[str]
    _server: ReplicaServer | None = None
    _thread: threading.Thread | None = None

    def _handle(self, handler: ReplicaHandler, *, send_body: bool) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = ReplicaServer(("127.0.0.1", 0), ReplicaHandler)
        server.replica = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-thread",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the replica is not running (use it as a context manager)")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
