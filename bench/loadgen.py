"""A loopback HTTP/1.1 load generator: N keep-alive connections each POST one fixed body as fast
as the server answers, for a fixed time; it reports requests/s, p50, p99 and errors.

    python bench/loadgen.py --url http://127.0.0.1:8000/graphql --seconds 10 --concurrency 32 \\
        --query '{ stateOf(location: "derna", at: "2015-06-15") { contested } }'

Written on raw asyncio streams (httpx spends more time per request than the server does, so it
cannot drive a server hard from one core). Responses must carry Content-Length (uvicorn's do).
An error is a failed connection, a status other than 200, or a JSON body with an `errors` entry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

# Only a hang: a loopback answer takes milliseconds.
REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass
class Result:
    """What one run measured."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    errors: int = 0
    examples: list[str] = field(default_factory=list)  # the first few errors, to show

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Latency in seconds below which `share` of the answered requests fell."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[
            round(share * 100) - 1
        ]

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.examples) < 5:
            self.examples.append(what)


def request_bytes(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Status, whether the server keeps the connection, and the body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise ValueError("a response without Content-Length")
    body = await reader.readexactly(int(headers["content-length"]))
    return status, headers.get("connection", "").lower() != "close", body


def problem(status: int, body: bytes) -> str | None:
    """Why an answer is an error, or None."""
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f"not JSON: {body[:200]!r}"
    if not isinstance(answer, dict) or "data" not in answer:
        return f"not a GraphQL answer: {body[:200]!r}"
    if answer.get("errors"):
        return f"errors: {json.dumps(answer['errors'])[:300]}"
    return None


async def connection(host: str, port: int, request: bytes, deadline: float, result: Result) -> None:
    """One client: send, read the answer, send again, until the deadline."""
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while time.perf_counter() < deadline:
            if streams is None:
                try:
                    streams = await asyncio.open_connection(host, port)
                except OSError as error:
                    result.error(f"connect: {error}")
                    await asyncio.sleep(0.05)
                    continue
            reader, writer = streams
            started = time.perf_counter()
            try:
                writer.write(request)
                await writer.drain()
                status, keep, body = await asyncio.wait_for(
                    read_response(reader), REQUEST_TIMEOUT_SECONDS
                )
            except (
                OSError,
                EOFError,
                ValueError,
                TimeoutError,
                asyncio.IncompleteReadError,
            ) as error:
                result.error(f"{type(error).__name__}: {error}")
                writer.close()
                streams = None
                continue
            took = time.perf_counter() - started
            why = problem(status, body)
            if why is None:
                result.latencies.append(took)
            else:
                result.error(why)
            if not keep:
                writer.close()
                streams = None
    finally:
        if streams is not None:
            streams[1].close()


async def run(url: str, body: bytes, *, concurrency: int = 32, seconds: float = 10.0) -> Result:
    """POST `body` to `url` over `concurrency` keep-alive connections for `seconds`."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = request_bytes(host, port, parts.path or "/", body)
    result = Result()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(connection(host, port, request, deadline, result) for _ in range(concurrency))
    )
    result.seconds = time.perf_counter() - started
    return result


def graphql_body(query: str, variables: dict[str, object] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--query", default="{ __typename }")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args(argv)
    result = await run(
        options.url,
        graphql_body(options.query),
        concurrency=options.concurrency,
        seconds=options.seconds,
    )
    print(
        f"{result.requests} requests in {result.seconds:.1f} s: {result.rate:.0f}/s, "
        f"p50 {result.percentile(0.5) * 1e3:.1f} ms, p99 {result.percentile(0.99) * 1e3:.1f} ms, "
        f"{result.errors} errors"
    )
    for example in result.examples:
        print(f"  {example}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
