"""The benchmarks still run: a quick pass on SQLite, so they cannot rot unnoticed."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "bench"


def bench_module(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
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


async def test_the_query_suite_runs_quickly_and_prints_its_tables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench import run

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
