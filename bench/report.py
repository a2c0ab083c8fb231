"""The suite's tables, in Markdown: one per engine, growth with the data, and the targets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bench.loadgen import Load

if TYPE_CHECKING:
    from bench.run import Run

FLOOR = "`{ __typename }`"


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    value = seconds * 1e3
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def times(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def overhead(single: Load, many: Load) -> str:
    return (
        f"load generator against a trivial asyncio server: 1 connection p50 {ms(single.p50)} ms, "
        f"{single.rate:,.0f} req/s; 8 connections {many.rate:,.0f} req/s; client CPU "
        f"{single.cpu_per_request * 1e6:.0f} µs a request"
    )


def loaded(run: Run) -> str:
    return (
        f"  {run.engine}: loaded {run.entries:,} entries in {run.load_seconds:.1f} s "
        f"({run.entries / run.load_seconds:,.0f} entries/s through eventdb.loading), measured"
    )


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def engine_table(engine: str, runs: Sequence[Run]) -> str:
    sqlite = engine == "sqlite"
    header = [
        "size",
        "question",
        "raw SQL ms" + (" (sqlite3)" if sqlite else " (asyncpg)"),
        *(["aiosqlite ms"] if sqlite else []),
        "query layer ms (x raw)",
        "schema.execute ms (x raw)",
        "HTTP p50 ms (x floor)",
        "HTTP p99 ms",
        "req/s [conns] (% floor)",
        "statements: request, at 10 / 100",
        "hops",
    ]
    lines = [f"### {engine}", "", _row(header), _row(["---"] * len(header))]
    for run in runs:
        assert run.floor is not None
        assert run.floor_rate is not None
        floor, floor_rate = run.floor, run.floor_rate
        lines.append(
            _row(
                [
                    run.world.label,
                    FLOOR,
                    "—",
                    *(["—"] if sqlite else []),
                    "—",
                    "—",
                    f"{ms(floor.p50)} (1.0x)",
                    ms(floor.p99),
                    f"{floor_rate.rate:,.0f} [{floor_rate.connections}] (100%)",
                    "0",
                    "0",
                ]
            )
        )
        for name, figures in run.figures.items():
            single, many = run.http[name], run.rate[name]
            counts = (
                f"{figures.at_ten} / {figures.at_hundred}"
                if figures.at_ten is not None
                else "one answer"
            )
            lines.append(
                _row(
                    [
                        run.world.label,
                        name,
                        ms(figures.raw),
                        *([ms(figures.driver)] if sqlite else []),
                        f"{ms(figures.layer)} ({times(figures.layer / figures.raw)})",
                        f"{ms(figures.execute)} ({times(figures.execute / figures.raw)})",
                        f"{ms(single.p50)} ({times(single.p50 / floor.p50)})",
                        ms(single.p99),
                        f"{many.rate:,.1f} [{many.connections}] "
                        f"({many.rate / floor_rate.rate:.0%})",
                        f"{figures.statements}, {counts}",
                        str(figures.hops),
                    ]
                )
            )
    return "\n".join([*lines, ""])


def _by_engine(runs: Sequence[Run]) -> dict[str, list[Run]]:
    found: dict[str, list[Run]] = {}
    for run in runs:
        found.setdefault(run.engine, []).append(run)
    for listed in found.values():
        listed.sort(key=lambda run: run.world.controls)
    return found


def growth_table(runs: Sequence[Run]) -> str:
    """Each question's query-layer and HTTP times at every size, and largest over smallest."""
    by_engine = _by_engine(runs)
    sizes = sorted(
        {run.world.label: run.world.controls for run in runs}.items(), key=lambda i: i[1]
    )
    if len(sizes) < 2:
        return "(growth: one size only)\n"
    labels = [label for label, _ in sizes]
    header = [
        "engine",
        "question",
        *(f"layer ms {label}" for label in labels),
        *(f"HTTP p50 ms {label}" for label in labels),
        f"layer {labels[-1]} / {labels[0]}",
        f"HTTP {labels[-1]} / {labels[0]}",
    ]
    lines = ["### Growth with the data", "", _row(header), _row(["---"] * len(header))]
    for engine, listed in by_engine.items():
        if len(listed) < 2:
            continue
        for name in listed[0].figures:
            layer = [run.figures[name].layer for run in listed]
            http = [run.http[name].p50 for run in listed]
            lines.append(
                _row(
                    [
                        engine,
                        name,
                        *(ms(value) for value in layer),
                        *(ms(value) for value in http),
                        times(layer[-1] / layer[0]),
                        times(http[-1] / http[0]),
                    ]
                )
            )
    return "\n".join([*lines, ""])


def _judged(
    values: list[tuple[str, float]], good: Callable[[float], bool], shown: str
) -> tuple[str, str]:
    figures = ", ".join(f"{label}: {shown.format(value)}" for label, value in values)
    met = [good(value) for _, value in values]
    verdict = "yes" if all(met) else "no" if not any(met) else "partly"
    return figures, verdict


def targets_table(runs: Sequence[Run]) -> str:
    header = ["target", "engine", "figures", "met?"]
    lines = ["### Targets of issue 6", "", _row(header), _row(["---"] * len(header))]

    def add(target: str, engine: str, judged: tuple[str, str]) -> None:
        lines.append(_row([target, engine, *judged]))

    for engine, listed in _by_engine(runs).items():

        def each(value: Callable[[Run], float]) -> list[tuple[str, float]]:
            return [(run.world.label, value(run)) for run in listed]  # noqa: B023

        def http(run: Run, name: str) -> float:
            assert run.floor is not None
            return run.http[name].p50 / run.floor.p50

        def rate(run: Run, name: str) -> float:
            assert run.floor_rate is not None
            return run.rate[name].rate / run.floor_rate.rate

        def raw(run: Run, name: str) -> float:
            return run.http[name].p50 / run.figures[name].raw

        add(
            f"stateOf HTTP p50 ≤ 1.5 x {FLOOR}",
            engine,
            _judged(each(lambda run: http(run, "stateOf")), lambda x: x <= 1.5, "{:.2f}x"),
        )
        add(
            f"stateOf req/s ≥ 60% of {FLOOR}'s",
            engine,
            _judged(each(lambda run: rate(run, "stateOf")), lambda x: x >= 0.6, "{:.0%}"),
        )
        add(
            f"100-event page HTTP p50 ≤ 5 x {FLOOR}",
            engine,
            _judged(each(lambda run: http(run, "100-event page")), lambda x: x <= 5, "{:.1f}x"),
        )
        add(
            "controlMapGeoJSON (every place) HTTP p50 ≤ 3 x raw SQL",
            engine,
            _judged(each(lambda run: raw(run, "controlMapGeoJSON")), lambda x: x <= 3, "{:.1f}x"),
        )
        add(
            "nested controlMap (every place) HTTP p50 ≤ 15 x raw SQL",
            engine,
            _judged(each(lambda run: raw(run, "controlMap")), lambda x: x <= 15, "{:.1f}x"),
        )
        if len(listed) > 1:
            first, last = listed[0], listed[-1]
            for name in ("stateOf", "affiliations(at)"):
                layer = last.figures[name].layer / first.figures[name].layer
                end_to_end = last.http[name].p50 / first.http[name].p50
                add(
                    f"{name} at {last.world.label} ≤ 2 x at {first.world.label}",
                    engine,
                    (
                        f"query layer {layer:.2f}x, HTTP p50 {end_to_end:.2f}x",
                        "yes" if layer <= 2 and end_to_end <= 2 else "no",
                    ),
                )
        grown = [
            f"{run.world.label} {name} {f.at_ten}→{f.at_hundred}"
            for run in listed
            for name, f in run.figures.items()
            if f.at_ten is not None and f.at_ten != f.at_hundred
        ]
        add(
            "statements per request flat from 10 to 100 results",
            engine,
            ("; ".join(grown) or "equal for every question, every size", "no" if grown else "yes"),
        )
    return "\n".join([*lines, ""])
