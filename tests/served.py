"""eventdb served the way an operator serves it (`python -m eventdb serve`, uvicorn), in a
subprocess: for tests that need real HTTP, or a server that outlives its database."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from eventdb.config import DATABASE_URL_VARIABLE

STARTUP_SECONDS = 30.0


def run_eventdb(*arguments: str, database_url: str) -> str:
    """Run one `eventdb` command to completion; its output, or the test fails with it."""
    completed = subprocess.run(
        [sys.executable, "-m", "eventdb", *arguments],
        env={**os.environ, DATABASE_URL_VARIABLE: database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(
    database_url: str, log: Path, environment: Mapping[str, str] | None = None
) -> Iterator[str]:
    """The base URL of `eventdb serve` on a free port of 127.0.0.1, once /healthz says ok; the
    server's output goes to `log`. Stopped (SIGTERM, then SIGKILL) on the way out."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "eventdb", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, DATABASE_URL_VARIABLE: database_url, **(environment or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"eventdb serve exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"eventdb serve was not healthy within {STARTUP_SECONDS} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])
