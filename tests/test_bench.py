"""The benchmarks still run: a quick pass on SQLite, so they cannot rot unnoticed."""

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "bench"


def bench_module(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


async def test_the_load_benchmark_runs_quickly_and_prints_its_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await bench_module("load").main(["--quick"])
    printed = capsys.readouterr().out
    assert "entries/s" in printed
    assert "\nsqlite " in printed
    assert "reading with line numbers kept" in printed


async def test_the_api_benchmark_runs_quickly_and_prints_its_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await bench_module("api").main(["--quick"])
    printed = capsys.readouterr().out
    assert "stateOf" in printed
    assert "100-event page" in printed


async def test_the_soak_runs_quickly_with_no_errors_and_flat_memory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await bench_module("soak").main(["--quick"]) == 0
    printed = capsys.readouterr().out
    assert "sqlite     stateOf" in printed
    assert "sqlite     100-event page" in printed
    assert "flat" in printed
    assert printed.rstrip().endswith("ok")


ANSWERS = {
    b"ok": (200, b'{"data": {"x": 1}}'),
    b"field error": (200, b'{"data": null, "errors": [{"message": "no"}]}'),
    b"server error": (500, b"Internal Server Error"),
}


async def test_the_load_generator_counts_every_kind_of_error() -> None:
    """A server of a few lines answers each body its own way: the soak is only as good as the
    generator's idea of an error."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            status, body = ANSWERS[await reader.readexactly(length)]
            writer.write(
                b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body)
            )
            await writer.drain()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loadgen = bench_module("loadgen")
    try:
        results = {
            body: await loadgen.run(
                f"http://127.0.0.1:{port}/graphql", body, concurrency=2, seconds=0.2
            )
            for body in ANSWERS
        }
    finally:
        server.close()
    assert results[b"ok"].errors == 0
    assert results[b"ok"].requests > 0
    assert results[b"field error"].errors == results[b"field error"].requests > 0
    assert results[b"field error"].examples[0].startswith("errors:")
    assert results[b"server error"].errors == results[b"server error"].requests > 0
    assert results[b"server error"].examples[0].startswith("HTTP 500")
