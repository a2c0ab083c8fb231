"""A load generator for one HTTP/1.1 endpoint: N keep-alive connections, each sending one fixed
POST and reading the answer by its Content-Length, on raw asyncio streams.

httpx spends more per request than the server under test; this spends ~40 µs of client CPU.
Measure that overhead yourself: `python -m bench.loadgen` runs it against a trivial asyncio
server (`python -m bench.loadgen --serve PORT`) in a process of its own, as the server under
test is.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Load:
    """What one run of the generator saw."""

    connections: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    elapsed: float = 0.0
    client_cpu: float = 0.0  # this process's CPU seconds while it ran
    failures: int = 0  # answers whose status was not 200

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[98]

    @property
    def cpu_per_request(self) -> float:
        return self.client_cpu / len(self.latencies) if self.latencies else 0.0


def post(path: str, body: bytes, host: str = "127.0.0.1") -> bytes:
    """The bytes of a keep-alive POST of a JSON `body`."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One response's status and body (Content-Length framing only: what we are sent)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    return status, await reader.readexactly(length)


async def run(
    port: int,
    request: bytes,
    *,
    connections: int = 1,
    duration: float = 1.0,
    most: int | None = None,
    least: int = 1,
    host: str = "127.0.0.1",
) -> Load:
    """Send `request` over `connections` connections at once, each sending its next request when
    the last is answered, until `duration` seconds have passed and each has sent `least`, or
    `most` requests have been sent in all."""
    load = Load(connections)
    sent = 0

    async def connection() -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        try:
            mine = 0
            while (most is None or sent < most) and (
                time.perf_counter() < deadline or mine < least
            ):
                sent += 1
                mine += 1
                started = time.perf_counter()
                writer.write(request)
                status, _ = await read_response(reader)
                load.latencies.append(time.perf_counter() - started)
                if status != 200:
                    load.failures += 1
        finally:
            writer.close()

    cpu, started = time.process_time(), time.perf_counter()
    deadline = started + duration
    await asyncio.gather(*(connection() for _ in range(connections)))
    load.elapsed = time.perf_counter() - started
    load.client_cpu = time.process_time() - cpu
    return load


async def answer_trivially(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
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
    server = await asyncio.start_server(answer_trivially, "127.0.0.1", port)
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


async def overhead(port: int, duration: float) -> tuple[Load, Load]:
    """The generator against a trivial server in a process of its own: one connection (its
    latency floor), then eight (its rate ceiling)."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.loadgen", "--serve", str(port)
    )
    try:
        await wait_for_port(port)
        request = post("/graphql", b'{"query": "{ __typename }"}')
        await run(port, request, duration=0.2)
        single = await run(port, request, duration=duration)
        many = await run(port, request, connections=8, duration=duration)
        return single, many
    finally:
        server.terminate()
        await server.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help="be the trivial server")
    parser.add_argument("--port", type=int, default=18_765)
    parser.add_argument("--duration", type=float, default=2.0)
    options = parser.parse_args(argv)
    if options.serve:
        asyncio.run(serve_trivially(options.serve))
        return
    single, many = asyncio.run(overhead(options.port, options.duration))
    for load in (single, many):
        print(
            f"{load.connections} connection(s): {load.rate:,.0f} req/s, p50 "
            f"{load.p50 * 1e6:.0f} µs, p99 {load.p99 * 1e6:.0f} µs, client CPU "
            f"{load.cpu_per_request * 1e6:.0f} µs a request"
        )


if __name__ == "__main__":
    main()
