"""Shared by the browser tests that drive a Jupyter server (JupyterLab, formgrader)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base: str
    token: str


@contextmanager
def jupyter_server(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path, name: str
) -> Iterator[Server]:
    """Start ``command`` (a Jupyter server application) on 127.0.0.1, a free port and a
    random token, from ``cwd``, its output in ``log``; yield it once its API answers.

    A server that exits or does not answer within 60 s fails the calling test with
    the end of its log; the server is stopped when the block ends.
    """
    port, token = free_port(), secrets.token_hex(16)
    command = [
        *command, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        command.append("--ServerApp.allow_root=True")
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{name} did not start:\n{log.read_text()[-3000:]}")
                    time.sleep(0.3)
            yield Server(base, token)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
