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


async def test_the_api_benchmark_runs_quickly_and_prints_its_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await bench_module("api").main(["--quick"])
    printed = capsys.readouterr().out
    assert "stateOf" in printed
    assert "100-event page" in printed
