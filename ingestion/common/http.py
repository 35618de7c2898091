"""The one HTTP client: timeouts, retries honouring Retry-After, per-host pacing, streaming.

Every source fetches through ``HttpClient.download``, which streams the body to a file
while hashing it, so payloads of any size never sit in memory and the archive gets the
exact bytes the service sent together with their sha256.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from ingestion.common.errors import NoRecordsFound, SourceError

log = logging.getLogger(__name__)

USER_AGENT = (
    "osservatorio-metropolitano/0.1 "
    "(open-data pipeline of the Citta metropolitana di Milano Strategic Plan)"
)
# Response headers worth keeping in the archive manifest (never request headers: tokens).
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-encoding",
    "last-modified",
    "etag",
    "date",
    "x-soda2-fields",
    "x-soda2-types",
    "x-soda2-truth-last-modified",
    "x-socrata-requestid",
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 1 << 20


class RetryableHTTPError(Exception):
    """A response worth retrying (throttled, server error, body cut short)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Download:
    """What one successful request produced on disk."""

    url: str  # without the query string
    params: dict[str, str]
    status: int
    headers: dict[str, str]
    path: Path
    byte_size: int
    sha256: str


class HostPacer:
    """Keeps at least ``interval`` seconds between request starts to one host.

    Shared across clients in the process, since a service limits by caller, not by client.
    """

    _lock = threading.Lock()
    _next_slot: dict[str, float] = {}  # noqa: RUF012 - process-wide by design

    @classmethod
    def wait(cls, host: str, interval: float) -> None:
        if interval <= 0:
            return
        with cls._lock:
            now = time.monotonic()
            slot = max(now, cls._next_slot.get(host, now))
            cls._next_slot[host] = slot + interval
        if slot > now:
            time.sleep(slot - now)

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls._next_slot.clear()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """HTTP for one source: identifies the project, paces per host, retries what is transient."""

    def __init__(
        self,
        source: str,
        *,
        min_interval: float = 0.0,
        timeout: tuple[float, float] = (10.0, 300.0),
        max_attempts: int = 5,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        max_retry_after: float = 300.0,
        session: requests.Session | None = None,
    ) -> None:
        self.source = source
        self.min_interval = min_interval
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = wait_exponential(multiplier=backoff_initial, max=backoff_max)
        self.max_retry_after = max_retry_after
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = self.backoff(state)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is None:
            return backoff
        return min(self.max_retry_after, max(backoff, retry_after))

    def download(
        self,
        url: str,
        dest: Path,
        *,
        dataset: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Download:
        """Fetch ``url`` into ``dest``, retrying what is transient; else ``SourceError``."""
        params = dict(params or {})

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "%s/%s: attempt %d failed (%s); retrying in %.1fs",
                self.source,
                dataset,
                state.attempt_number,
                exc,
                state.next_action.sleep if state.next_action else 0,
            )

        retrying = Retrying(
            retry=retry_if_exception_type(
                (RetryableHTTPError, requests.ConnectionError, requests.Timeout)
            ),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, url, dest, dataset, params, dict(headers or {}))
        except RetryableHTTPError as exc:
            raise SourceError(
                self.source, dataset, f"{exc} (gave up after {self.max_attempts} attempts)"
            ) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            dest.unlink(missing_ok=True)
            raise SourceError(
                self.source,
                dataset,
                f"{type(exc).__name__} for {url} after {self.max_attempts} attempts: {exc}",
            ) from exc

    def _attempt(
        self,
        url: str,
        dest: Path,
        dataset: str,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> Download:
        HostPacer.wait(urlsplit(url).netloc, self.min_interval)
        with self.session.get(
            url, params=params, headers=headers, timeout=self.timeout, stream=True
        ) as response:
            status = response.status_code
            if status in RETRY_STATUSES:
                raise RetryableHTTPError(
                    f"HTTP {status} from {response.url}",
                    parse_retry_after(response.headers.get("Retry-After")),
                )
            if status >= 400:
                body = response.text[:300].strip()
                kind = NoRecordsFound if status == 404 and "NoRecords" in body else SourceError
                raise kind(self.source, dataset, f"HTTP {status} from {response.url}: {body!r}")
            digest = hashlib.sha256()
            size = 0
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with dest.open("wb") as out:
                    for chunk in response.raw.stream(CHUNK_BYTES, decode_content=True):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            except Exception as exc:  # urllib3 ProtocolError / IncompleteRead: body cut short
                dest.unlink(missing_ok=True)
                raise RetryableHTTPError(f"body of {response.url} cut short: {exc}") from exc
            expected = response.headers.get("Content-Length")
            encoded = response.headers.get("Content-Encoding")
            if expected and not encoded and int(expected) != size:
                dest.unlink(missing_ok=True)
                raise RetryableHTTPError(
                    f"body of {response.url} truncated: {size} of {expected} bytes"
                )
            kept = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
            return Download(
                url=url,  # as requested; the query is recorded apart, in params
                params=params,
                status=status,
                headers={k.lower(): v for k, v in kept.items()},
                path=dest,
                byte_size=size,
                sha256=digest.hexdigest(),
            )
