"""A loopback HTTP/1.1 load generator: N keep-alive connections, each POSTing one fixed body as
soon as the previous answer is read (Content-Length framing), on raw asyncio streams; it reports
requests/s, p50, p99, errors and its own CPU a request.

    python -m bench.loadgen --url http://127.0.0.1:8000/graphql --seconds 10 --concurrency 32 \\
        --query '{ stateOf(location: "derna", at: "2015-06-15") { contested } }'
    python -m bench.loadgen          # its own overhead, against a trivial server

httpx spends more per request than the server under test, so it cannot drive a server hard from
the other core; this spends a few tens of µs. An error is a failed connection, a status other
than 200, or a body that is not a GraphQL answer or has an `errors` entry.
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
class Load:
    """What one run of the generator saw."""

    connections: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per good answer
    elapsed: float = 0.0
    client_cpu: float = 0.0  # this process's CPU seconds while it ran
    errors: int = 0
    examples: list[str] = field(default_factory=list)  # the first few errors, to show

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rate(self) -> float:
        """Good answers a second (errors, such as failed connects, are not counted)."""
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        """Latency in seconds below which `share` of the good answers fell."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[
            round(share * 100) - 1
        ]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def cpu_per_request(self) -> float:
        return self.client_cpu / self.requests if self.requests else 0.0

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.examples) < 5:
            self.examples.append(what)


def request_bytes(host: str, port: int, path: str, body: bytes) -> bytes:
    """A keep-alive POST of a JSON `body`."""
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


async def _client(
    host: str, port: int, request: bytes, deadline: float, least: int, load: Load
) -> None:
    """One client: send, read the answer, send again, until the deadline has passed and it has
    sent `least` requests."""
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    sent = 0
    try:
        while time.perf_counter() < deadline or sent < least:
            if streams is None:
                try:
                    streams = await asyncio.open_connection(host, port, limit=1 << 20)
                except OSError as error:
                    load.error(f"connect: {error}")
                    sent += 1
                    await asyncio.sleep(0.05)
                    continue
            reader, writer = streams
            sent += 1
            started = time.perf_counter()
            try:
                writer.write(request)
                await writer.drain()
                status, keep, body = await asyncio.wait_for(
                    read_response(reader), REQUEST_TIMEOUT_SECONDS
                )
            except (
                OSError,
                EOFError,  # IncompleteReadError
                ValueError,
                IndexError,
                TimeoutError,
                asyncio.LimitOverrunError,  # a head past the stream's limit
            ) as error:  # a broken connection or a malformed answer
                load.error(f"{type(error).__name__}: {error}")
                writer.close()
                streams = None
                continue
            took = time.perf_counter() - started
            why = problem(status, body)
            if why is None:
                load.latencies.append(took)
            else:
                load.error(why)
            if not keep:
                writer.close()
                streams = None
    finally:
        if streams is not None:
            streams[1].close()


async def run(
    url: str, body: bytes, *, concurrency: int = 1, seconds: float = 1.0, least: int = 0
) -> Load:
    """POST `body` to `url` over `concurrency` keep-alive connections for `seconds`, each
    connection sending at least `least` requests."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = request_bytes(host, port, parts.path or "/", body)
    load = Load(concurrency)
    cpu, started = time.process_time(), time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(host, port, request, deadline, least, load) for _ in range(concurrency))
    )
    load.elapsed = time.perf_counter() - started
    load.client_cpu = time.process_time() - cpu
    return load


def graphql_body(query: str, variables: dict[str, object] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


async def _answer_trivially(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    response = b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"data":{}}'
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            writer.write(response)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def serve_trivially(port: int) -> None:
    server = await asyncio.start_server(_answer_trivially, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


async def wait_for_port(port: int, seconds: float = 30.0) -> None:
    """Until something listens on `port` (or `seconds` pass: then raise TimeoutError)."""
    async with asyncio.timeout(seconds):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
            else:
                writer.close()
                return


async def overhead(port: int, seconds: float) -> tuple[Load, Load]:
    """The generator against a trivial server in a process of its own: one connection (its
    latency floor), then eight (its rate ceiling)."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.loadgen", "--serve", str(port)
    )
    try:
        await wait_for_port(port)
        url, body = f"http://127.0.0.1:{port}/graphql", graphql_body("{ __typename }")
        await run(url, body, seconds=0.2)
        single = await run(url, body, seconds=seconds)
        many = await run(url, body, concurrency=8, seconds=seconds)
        return single, many
    finally:
        server.terminate()
        await server.wait()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="the endpoint to load; without it, measure the overhead")
    parser.add_argument("--query", default="{ __typename }")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--serve", type=int, metavar="PORT", help="be the trivial server")
    parser.add_argument("--port", type=int, default=18_765, help="the trivial server's port")
    options = parser.parse_args(argv)
    if options.serve:
        await serve_trivially(options.serve)
        return 0
    loads: tuple[Load, ...]
    if options.url is None:
        loads = await overhead(options.port, min(options.seconds, 2.0))
    else:
        body = graphql_body(options.query)
        concurrency, seconds = options.concurrency, options.seconds
        loads = (await run(options.url, body, concurrency=concurrency, seconds=seconds),)
    for load in loads:
        print(
            f"{load.connections} connection(s): {load.requests} requests in {load.elapsed:.1f} s, "
            f"{load.rate:,.0f}/s, p50 {load.p50 * 1e3:.2f} ms, p99 {load.p99 * 1e3:.2f} ms, "
            f"{load.errors} errors, client CPU {load.cpu_per_request * 1e6:.0f} µs a request"
        )
        for example in load.examples:
            print(f"  {example}")
    return 1 if any(load.errors for load in loads) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
