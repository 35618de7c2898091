"""Serve the latest release, portal included, on 127.0.0.1 (``make serve``).

The server's root is the release folder, not its ``site/``: the pages link to the data with
``../data/...``, so the release is served whole and ``/`` redirects to ``/site/``. By default
it serves ``<releases>/latest`` through the symlink, unresolved, so once a new publication
switches ``latest`` the next request already sees the new release. Any static host works the
same way; this is the one that needs nothing but Python.

    python -m exports.portal.serve [--release DIR | --releases DIR] [--host H] [--port P]

``OSSERVATORIO_PORTAL_HOST`` and ``OSSERVATORIO_PORTAL_PORT`` change the defaults
(127.0.0.1:8000); binding anything but loopback is a deliberate choice.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from exports.portal.build import SITE

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LATEST_LINK = "latest"
LATEST_FILE = "LATEST"


class ReleaseHandler(SimpleHTTPRequestHandler):
    """Static files of one release; ``/`` goes to the portal's home page."""

    extensions_map = {  # noqa: RUF012 (the base class declares it a plain dict too)
        **SimpleHTTPRequestHandler.extensions_map,
        ".csv": "text/csv; charset=utf-8",
        ".json": "application/json",
        ".jsonld": "application/ld+json",
        ".ttl": "text/turtle; charset=utf-8",
        ".md": "text/markdown; charset=utf-8",
        ".parquet": "application/vnd.apache.parquet",
        ".duckdb": "application/octet-stream",
        ".zip": "application/zip",
        "": "text/plain; charset=utf-8",  # SHA256SUMS, LATEST
    }

    def do_GET(self) -> None:
        if self._redirect_root():
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        if self._redirect_root():
            return
        super().do_HEAD()

    def _redirect_root(self) -> bool:
        if self.path.split("?", 1)[0] not in ("", "/"):
            return False
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", f"/{SITE}/")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True


def default_releases_root() -> Path:
    """Where publications go: the settings' releases folder (``<exports>/releases``)."""
    from osservatorio.settings import Settings

    return Settings.from_env().releases_dir


def latest_release_dir(releases_root: Path) -> Path:
    """The path that serves the latest release: the ``latest`` symlink itself (followed on
    every request), else the release the ``LATEST`` file names (hosts without symlinks)."""
    link = releases_root / LATEST_LINK
    if link.is_dir():
        return link
    named = releases_root / LATEST_FILE
    if named.is_file():
        release = releases_root / named.read_text(encoding="utf-8").strip()
        if release.is_dir():
            return release
    raise FileNotFoundError(
        f"no published release in {releases_root}: publish one first (a release holds site/)"
    )


def make_server(release_dir: Path, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``release_dir`` (not started); port 0 picks a free port."""
    if not (release_dir / SITE / "index.html").is_file():
        raise FileNotFoundError(f"{release_dir} has no portal ({SITE}/index.html)")
    handler = functools.partial(ReleaseHandler, directory=os.fspath(release_dir))
    return ThreadingHTTPServer((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--release", type=Path, help="a release folder to serve")
    where.add_argument("--releases", type=Path, help="the releases folder (serves its latest)")
    parser.add_argument("--host", default=os.environ.get("OSSERVATORIO_PORTAL_HOST", DEFAULT_HOST))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("OSSERVATORIO_PORTAL_PORT", DEFAULT_PORT))
    )
    args = parser.parse_args(argv)
    try:
        release_dir = args.release or latest_release_dir(args.releases or default_releases_root())
        server = make_server(release_dir, args.host, args.port)
    except (FileNotFoundError, OSError) as error:
        print(f"serve: {error}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"Serving {release_dir} at http://{host}:{port}/{SITE}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
