"""A local replica of a static file server: fixed bytes per path and query, with faults.

Many sources are just files behind a URL (ISPRA's yearly CSV, Min. Salute's CSVs, file
drops): this replica serves whatever bytes a test registers, on 127.0.0.1 and an
OS-chosen port, from a background thread, so each source's tests only describe its files.

* ``add(path, body, query=..., content_type=..., content_encoding=..., chunked=...)``
  registers an answer. ``query`` is matched as a set of name/value pairs, in any order,
  ignoring empty pairs (``?&aa=2024`` is ``?aa=2024``); ``query=None`` answers any query
  for which no exact entry exists. ``content_encoding="gzip"`` compresses the body on the
  wire (``Content-Encoding: gzip``), ``chunked=True`` sends it with
  ``Transfer-Encoding: chunked`` and no ``Content-Length``, as scripts that stream do.
  Anything unregistered is a 404 HTML page (``not_found``).
* ``GET`` and ``HEAD``; every request is recorded in ``requests`` with its raw target, the
  parsed query and the status and headers it was answered with.

Faults form one FIFO queue, whatever the path: each request takes at most one.

* ``fail_next(status, retry_after=...)``: 429 with ``Retry-After``, 500/503 bursts, any
  status with any body;
* ``stall_next(seconds)``: sleep before answering (a slow answer past the client timeout);
* ``truncate_next()``: the full ``Content-Length`` but half the body, then close;
* ``cut_next()``: chunked, the connection closed in the middle of a chunk, so there is no
  length to compare (a connection cut mid-body);
* ``replace_next(body)``: other bytes under the registered headers (a malformed payload, an
  HTML page where a CSV is expected);
* ``mutate_next(transform)``: the registered bytes passed through ``transform`` (a renamed
  or missing column, duplicated rows, ``reencode("utf-8", "latin-1")`` for Latin-1 where
  UTF-8 is expected).
"""

from __future__ import annotations

import contextlib
import gzip
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.replicas.server import LocalReplica, ReplicaHandler

TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
NOT_FOUND_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1></body></html>\n"
)

Transform = Callable[[bytes], bytes]


def reencode(source: str, target: str) -> Transform:
    """A transform re-encoding text, e.g. ``reencode("utf-8", "latin-1")``; a BOM is dropped
    when the target is not a Unicode encoding (a Latin-1 server sends none)."""

    def transform(body: bytes) -> bytes:
        text = body.decode(source)
        if not target.lower().startswith("utf"):
            text = text.removeprefix("\ufeff")
        return text.encode(target)

    return transform


class Headers(dict[str, str]):
    """Header names lower-cased, looked up case-insensitively (``h["Accept"]`` works)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass(frozen=True)
class StaticFile:
    """One registered answer. ``body`` is the content before any Content-Encoding."""

    body: bytes
    content_type: str = "application/octet-stream"
    content_encoding: str | None = None  # "gzip" or None
    chunked: bool = False
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    """One request as the replica saw it, and what it answered."""

    method: str
    target: str  # the request target exactly as sent: path and raw query
    path: str  # decoded, without the query string
    query: dict[str, str]  # parsed, empty pairs dropped; the last value of a repeated name
    headers: Headers
    client: str
    received_at: float  # time.monotonic() on arrival, before any stall
    status: int | None = None  # None until answered (e.g. while stalling)
    response_headers: Headers = field(default_factory=Headers)


@dataclass(frozen=True)
class _Fault:
    kind: str  # "status" | "stall" | "truncate" | "cut" | "replace" | "mutate"
    answer: StaticFile | None = None
    seconds: float = 0.0
    transform: Transform | None = None


def _query_key(pairs: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset((k, v) for k, v in pairs if k)


class StaticFileReplica(LocalReplica):
    """Fixed files over HTTP, for integration tests of file-download clients."""

    name = "StaticFileReplica"

    def __init__(self, *, not_found: StaticFile | None = None) -> None:
        self.not_found = not_found or StaticFile(NOT_FOUND_PAGE, HTML_TYPE, status=404)
        self.errors: list[str] = []  # unexpected exceptions inside the replica
        self._files: dict[tuple[str, frozenset[tuple[str, str]] | None], StaticFile] = {}
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: deque[_Fault] = deque()

    # -- content ---------------------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes | StaticFile,
        *,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/octet-stream",
        content_encoding: str | None = None,
        chunked: bool = False,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Serve ``body`` at ``path`` (for ``query``, or any query when None); replaces."""
        if content_encoding not in (None, "gzip"):
            raise ValueError(f"unsupported content encoding {content_encoding!r}")
        answer = (
            body
            if isinstance(body, StaticFile)
            else StaticFile(
                body, content_type, content_encoding, chunked, status, dict(headers or {})
            )
        )
        key = None if query is None else _query_key(query.items())
        with self._lock:
            self._files[(path, key)] = answer

    def url(self, path: str, query: Mapping[str, str] | None = None) -> str:
        return self.base_url + path + (f"?{urlencode(query)}" if query else "")

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # -- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        body: str | bytes | None = None,
        content_type: str = TEXT_TYPE,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``Retry-After`` if given:
        a number is sent as whole seconds rounded up, a string verbatim, e.g. an HTTP date)."""
        if body is None:
            body = f"{status} {HTTPStatus(status).phrase}"
        raw = body.encode("utf-8") if isinstance(body, str) else body
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = (
                retry_after if isinstance(retry_after, str) else str(math.ceil(retry_after))
            )
        self._queue(
            times, _Fault("status", StaticFile(raw, content_type, status=status, headers=headers))
        )

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Sleep ``seconds`` before answering the next requests (normally) — for timeouts."""
        self._queue(times, _Fault("stall", seconds=seconds))

    def truncate_next(self, times: int = 1) -> None:
        """Send the full Content-Length but only half the body, then close the connection."""
        self._queue(times, _Fault("truncate"))

    def cut_next(self, times: int = 1) -> None:
        """Send the body chunked and close the connection in the middle of the chunk."""
        self._queue(times, _Fault("cut"))

    def replace_next(self, body: bytes, *, times: int = 1, content_type: str | None = None) -> None:
        """Serve ``body`` instead of the registered bytes (headers kept, type if given)."""
        self._queue(times, _Fault("replace", StaticFile(body, content_type or "")))

    def mutate_next(self, transform: Transform, *, times: int = 1) -> None:
        """Serve ``transform(registered bytes)`` instead of the registered bytes."""
        self._queue(times, _Fault("mutate", transform=transform))

    def _queue(self, times: int, fault: _Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    # -- request handling ------------------------------------------------------------------

    def _handle(self, handler: ReplicaHandler, *, send_body: bool) -> None:
        try:
            self._serve(handler, send_body=send_body)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True  # the client hung up (e.g. after its timeout)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            handler.close_connection = True
            with contextlib.suppress(OSError):
                self._send(handler, StaticFile(b"replica error", TEXT_TYPE, status=500), send_body)

    def _serve(self, handler: ReplicaHandler, *, send_body: bool) -> None:
        split = urlsplit(handler.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        record = RecordedRequest(
            method=handler.command,
            target=handler.path,
            path=unquote(split.path),
            query={k: v for k, v in pairs if k},
            headers=Headers(handler.headers.items()),
            client=handler.client_address[0],
            received_at=time.monotonic(),
        )
        with self._lock:
            self._requests.append(record)
            fault = self._faults.popleft() if self._faults else None
            answer = self._files.get((record.path, _query_key(pairs))) or self._files.get(
                (record.path, None), self.not_found
            )

        mode = "normal"
        if fault is not None:
            if fault.kind == "status" and fault.answer is not None:
                answer = fault.answer
            elif fault.kind == "stall":
                time.sleep(fault.seconds)
            elif fault.kind == "replace" and fault.answer is not None:
                answer = replace(
                    answer,
                    body=fault.answer.body,
                    content_type=fault.answer.content_type or answer.content_type,
                )
            elif fault.kind == "mutate" and fault.transform is not None:
                answer = replace(answer, body=fault.transform(answer.body))
            elif fault.kind in ("truncate", "cut"):
                mode = fault.kind
        self._send(handler, answer, send_body, mode=mode, record=record)

    def _send(
        self,
        handler: ReplicaHandler,
        answer: StaticFile,
        send_body: bool,
        *,
        mode: str = "normal",
        record: RecordedRequest | None = None,
    ) -> None:
        wire = answer.body
        headers = {"Content-Type": answer.content_type, **answer.headers}
        if answer.content_encoding == "gzip":
            wire = gzip.compress(wire, mtime=0)
            headers["Content-Encoding"] = "gzip"
        chunked = mode == "cut" or (answer.chunked and mode != "truncate")
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(len(wire))
        if mode != "normal":
            headers["Connection"] = "close"
        if record is not None:
            record.response_headers = Headers(headers.items())
            record.status = answer.status
        handler.send_response(answer.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if send_body:
            out = handler.wfile
            if mode == "truncate":
                out.write(wire[: len(wire) // 2])
            elif mode == "cut":
                out.write(f"{len(wire):x}\r\n".encode() + wire[: len(wire) // 2])
            elif chunked:
                if wire:
                    out.write(f"{len(wire):x}\r\n".encode() + wire + b"\r\n")
                out.write(b"0\r\n\r\n")
            else:
                out.write(wire)
        handler.wfile.flush()
        if mode != "normal":
            handler.close_connection = True
