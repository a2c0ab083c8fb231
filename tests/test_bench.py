"""The benchmarks still run: a quick pass on SQLite, so they cannot rot unnoticed."""

import asyncio

import pytest

from bench import load, loadgen, run, soak


async def test_the_load_benchmark_runs_quickly_and_prints_its_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await load.main(["--quick"])
    printed = capsys.readouterr().out
    assert "entries/s" in printed
    assert "\nsqlite " in printed
    assert "reading with line numbers kept" in printed


async def test_the_query_suite_runs_quickly_and_prints_its_tables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await run.main(["--quick"])
    printed = capsys.readouterr().out
    assert "load generator against a trivial asyncio server" in printed
    assert "### sqlite" in printed
    for question in (
        "stateOf",
        "controlMap",
        "controlMapGeoJSON",
        "100-event page",
        "affiliations(at)",
        "includeMembers",
    ):
        assert f"| 1k | {question} |" in printed
    assert "### Targets of issue 6" in printed
    assert "statements per request flat from 10 to 100 results | sqlite |" in printed


async def test_the_soak_runs_quickly_with_no_errors_and_flat_memory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await soak.main(["--quick"]) == 0
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
