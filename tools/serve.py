"""Serve the built site on 127.0.0.1: ``python -m tools.serve [--port N]``.

The browser test uses :func:`serving` to serve the site from a thread.
"""

from __future__ import annotations

import argparse
import functools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tools.paths import HTML


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that does not log every request to stderr."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".woff": "font/woff",
        ".woff2": "font/woff2",
        ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a missing page with the site's ``404.html`` (status 404), as GitHub Pages does."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@contextmanager
def serving(directory: Path = HTML, port: int = 0, page: str = "index.html") -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 from a background thread; yield the base URL.

    Raises
    ------
    FileNotFoundError
        If ``directory`` has no ``page`` (the site, or the report, is not built).
    """
    if not (directory / page).is_file():
        raise FileNotFoundError(f"no {page} in {directory}: build it first (the site: `make site`)")
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the built course site locally.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dir", type=Path, default=HTML)
    args = parser.parse_args(argv)
    try:
        with serving(args.dir, args.port) as url:
            print(f"Serving {args.dir} at {url} (Ctrl-C to stop)")
            threading.Event().wait()
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
