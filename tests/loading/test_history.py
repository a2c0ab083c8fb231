"""Corrections and retractions close versions, never erase them: the past stays readable."""

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.db.models import ControlVersion, EventVersion
from eventdb.errors import NotFound
from eventdb.loading import writing
from eventdb.queries.refs import resolve
from tests.helpers import DERNA, holders, load, snapshot, write

ISIS_LOSES_DERNA_EARLIER = """\
control:
  - id: derna-isis-controls
    location: derna
    actor: isis
    status: controls
    valid: 2014-11/2015-03
    citations: [{source: article, quote: "corrected: ISIS lost the centre earlier"}]
"""


async def moment() -> datetime:
    """An instant strictly between two writes."""
    await asyncio.sleep(0.01)
    instant = datetime.now(UTC)
    await asyncio.sleep(0.01)
    return instant


async def isis_in_derna(engine: AsyncEngine, day: date, at: datetime | None = None) -> list[str]:
    held, _ = await holders(engine, "derna", day, at)
    return [f"{status} {sure.value}" for actor, status, sure in held if actor == "isis"]


async def test_a_correction_is_read_now_and_the_old_version_as_known_before(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await load(engine, DERNA)
    before_correction = await moment()
    report = await load(
        engine, write(tmp_path, "fix.yaml", ISIS_LOSES_DERNA_EARLIER), note="checked dates"
    )
    assert report.counts["control"] == {"added": 0, "corrected": 1, "retracted": 0, "unchanged": 0}

    assert await isis_in_derna(engine, date(2015, 5, 1)) == []
    assert await isis_in_derna(engine, date(2015, 5, 1), before_correction) == ["controls DEFINITE"]
    async with engine.connect() as connection:
        versions = (
            await connection.execute(
                select(
                    ControlVersion.valid, ControlVersion.superseded_at, ControlVersion.change_note
                )
                .order_by(ControlVersion.id)
                .where(ControlVersion.valid.in_(["2014-11/2015-06", "2014-11/2015-03"]))
            )
        ).all()
    assert [(valid, closed is not None, note) for valid, closed, note in versions] == [
        ("2014-11/2015-06", True, None),
        ("2014-11/2015-03", False, "checked dates"),
    ]


async def test_a_retraction_removes_a_fact_now_but_not_from_the_past(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await load(engine, DERNA)
    before_retraction = await moment()
    retraction = "control:\n  - {id: derna-isis-controls, retracted: true}\n"
    report = await load(engine, write(tmp_path, "retract.yaml", retraction))
    assert report.counts["control"]["retracted"] == 1

    assert await isis_in_derna(engine, date(2015, 3, 1)) == []
    assert await isis_in_derna(engine, date(2015, 3, 1), before_retraction) == ["controls DEFINITE"]
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(ControlVersion)) == 4


async def test_loading_a_retraction_again_changes_nothing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await load(engine, DERNA)
    retraction = write(
        tmp_path, "r.yaml", "control:\n  - {id: derna-isis-controls, retracted: true}\n"
    )
    await load(engine, retraction)
    before = await snapshot(engine)
    again = await load(engine, retraction)
    assert again.counts["control"] == {"added": 0, "corrected": 0, "retracted": 0, "unchanged": 1}
    assert not again.changed
    assert await snapshot(engine) == before


async def test_a_retracted_fact_comes_back_when_loaded_again(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await load(engine, DERNA)
    await load(
        engine,
        write(tmp_path, "r.yaml", "control:\n  - {id: derna-isis-controls, retracted: true}\n"),
    )
    restored = await load(engine, DERNA)
    assert restored.counts["control"]["added"] == 1
    assert await isis_in_derna(engine, date(2015, 3, 1)) == ["controls DEFINITE"]


async def test_what_was_not_yet_known_is_not_found(engine: AsyncEngine) -> None:
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    await load(engine, DERNA)
    async with engine.connect() as connection:
        with pytest.raises(NotFound, match="as known at 2000-01-01"):
            await connection.run_sync(resolve, "location", "derna", long_ago)


async def test_a_load_that_fails_while_writing_leaves_the_database_as_it_was(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await load(engine, write(tmp_path, "sources.yaml", "sources:\n  - {id: s, title: S}\n"))
    before = await snapshot(engine)
    real_insert = writing._insert
    calls = 0

    async def failing_insert(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("the machine died midway through the write")
        await real_insert(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writing, "_insert", failing_insert)
    with pytest.raises(RuntimeError, match="midway"):
        await load(engine, DERNA)
    assert calls == 5
    assert await snapshot(engine) == before

    monkeypatch.setattr(writing, "_insert", real_insert)
    assert (await load(engine, DERNA)).counts["event"]["added"] == 9


async def test_a_dry_run_reports_and_writes_nothing(engine: AsyncEngine) -> None:
    before = await snapshot(engine)
    report = await load(engine, DERNA, dry_run=True)
    assert report.counts["event"]["added"] == 9
    assert "dry run: nothing was written" in report.lines()
    assert await snapshot(engine) == before


async def test_json_and_json_lines_load_the_same_facts_as_yaml(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    import yaml

    document = yaml.safe_load(DERNA.read_text())
    as_json = write(tmp_path, "derna.json", json.dumps(document, default=str))
    lines = [
        json.dumps({"type": kind, **entry}, default=str)
        for key, kind in [
            ("sources", "source"),
            ("actors", "actor"),
            ("locations", "location"),
            ("events", "event"),
            ("affiliations", "affiliation"),
            ("control", "control"),
        ]
        for entry in document[key]
    ]
    as_lines = write(tmp_path, "derna.jsonl", "\n".join(lines) + "\n")

    first = await load(engine, as_json)
    assert first.counts["event"]["added"] == 9
    # The same facts in another format are recognized as unchanged, even YAML's dates.
    for same in (as_lines, DERNA):
        assert not (await load(engine, same)).changed


async def test_a_date_written_unquoted_in_yaml_is_kept_as_written(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await load(
        engine,
        write(tmp_path, "s.yaml", "sources:\n  - {id: s, title: S, published: 2016-12-07}\n"),
    )
    async with engine.connect() as connection:
        from eventdb.db.models import SourceVersion

        assert await connection.scalar(select(SourceVersion.published)) == "2016-12-07"


async def test_events_keep_the_claims_that_disagree(engine: AsyncEngine) -> None:
    await load(engine, DERNA)
    async with engine.connect() as connection:
        accepted = await connection.scalar(
            select(EventVersion.valid).where(EventVersion.title.like("Attack on the American%"))
        )
    assert accepted == "2012-09-11"


async def test_a_load_that_leaves_an_actor_two_open_twin_records_warns(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await load(engine, DERNA)
    edited = "control:\n  - {location: derna, actor: isis, valid: 2014-11/2015-07}\n"
    report = await load(engine, write(tmp_path, "edit.yaml", edited))
    assert report.counts["control"]["added"] == 1
    assert len(report.warnings) == 1
    warning = str(report.warnings[0])
    assert "'isis' has another open 'controls' record for 'derna'" in warning
    assert "'derna-isis-controls'" in warning
