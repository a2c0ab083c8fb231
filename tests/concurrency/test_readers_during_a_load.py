"""50 readers over HTTP while a large load commits in another process: no reader gets an error,
and each answer is the database before the load or after it, never a half-loaded state.

The load adds, in one transaction, control of Derna in 2030 and 20,000 events of a kind the
fixture does not have; every reader asks for both in one request (`stateOf` and a 100-event
page). Before: no controller and no event; after: the controller and every event. An answer with
one and not the other, or with some of the events, would be half of a write.
"""

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eventdb.config import DATABASE_URL_VARIABLE
from tests.helpers import DERNA
from tests.served import run_eventdb, served

READERS = 50
EVENTS = 20_000
PAGE = 100
QUESTION = """
query($first: Int!) {
  stateOf(location: "derna", at: "2030-06-15") {
    contested controllers { actor { slug } status certainty }
  }
  events(kinds: ["skirmish"], first: $first) {
    totalCount
    edges { node { slug date location { slug } participants { role actor { slug } }
                   citations { source { slug } } } }
  }
}
"""
BEFORE = "before"
AFTER = "after"
# Generous bounds that only catch a hang: the load takes seconds.
LOAD_SECONDS = 240
REQUEST_SECONDS = 60


def load_file(folder: Path) -> Path:
    """Control of Derna through 2030 by Haftar's forces, and EVENTS skirmishes there."""
    entries: list[dict[str, Any]] = [
        {
            "type": "control",
            "location": "derna",
            "actor": "haftar-forces",
            "status": "controls",
            "valid": "2030-01-01/2030-12-31",
            "citations": [{"source": "article"}],
        }
    ]
    entries += [
        {
            "type": "event",
            "id": f"skirmish-{number}",
            "title": f"Skirmish {number}",
            "kind": "skirmish",
            "date": f"2030-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
            "location": "derna",
            "participants": [
                {"actor": "haftar-forces", "role": "perpetrator"},
                {"actor": "shura-council-derna", "role": "target"},
            ],
            "citations": [{"source": "article"}],
        }
        for number in range(EVENTS)
    ]
    path = folder / "skirmishes.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    return path


def state_of(data: dict[str, Any]) -> str:
    """BEFORE or AFTER the load, or an AssertionError describing a state that is neither."""
    controllers = data["stateOf"]["controllers"]
    events = data["events"]
    if controllers == [] and events == {"totalCount": 0, "edges": []}:
        return BEFORE
    held = [{"actor": {"slug": "haftar-forces"}, "status": "controls", "certainty": "DEFINITE"}]
    nodes = [edge["node"] for edge in events["edges"]]
    if (
        controllers == held
        and events["totalCount"] == EVENTS
        and len(nodes) == PAGE
        and all(node["slug"].startswith("skirmish-") for node in nodes)
        and all(len(node["participants"]) == 2 and node["citations"] for node in nodes)
    ):
        return AFTER
    raise AssertionError(
        f"a half-loaded state: controllers {controllers}, {events['totalCount']} events, "
        f"{len(nodes)} on the page"
    )


@dataclass
class Seen:
    """What the readers saw, in order, and how many answers came while the load ran."""

    states: list[list[str]] = field(default_factory=lambda: [[] for _ in range(READERS)])
    during_load: int = 0
    every_reader_answered: asyncio.Event = field(default_factory=asyncio.Event)


async def reader(
    base_url: str, number: int, seen: Seen, loading: asyncio.Event, done: asyncio.Event
) -> None:
    """Ask until the load is over, then once more, over a keep-alive connection of its own.

    One connection a reader, always busy: with one pool shared by all, a connection left idle
    past uvicorn's keep-alive timeout (5 s) could be closed by the server just as the client
    sent a request on it, a client's race that says nothing about the database.
    """
    body = {"query": QUESTION, "variables": {"first": PAGE}}
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_SECONDS, limits=limits
    ) as client:
        while True:
            finished = done.is_set()
            response = await client.post("/graphql", json=body)
            assert response.status_code == 200, response.text
            answer = response.json()
            assert "errors" not in answer, answer["errors"]
            seen.states[number].append(state_of(answer["data"]))
            if all(seen.states):
                seen.every_reader_answered.set()
            if loading.is_set() and not done.is_set():
                seen.during_load += 1
            if finished:
                return


async def run_load(database_url: str, path: Path) -> subprocess.CompletedProcess[str]:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "eventdb", "load", str(path)),
        env={**os.environ, DATABASE_URL_VARIABLE: database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), LOAD_SECONDS)
    assert process.returncode is not None
    return subprocess.CompletedProcess(
        ["eventdb", "load"], process.returncode, stdout.decode(), stderr.decode()
    )


async def test_readers_see_the_database_before_or_after_a_load_never_half_of_it(
    initialised_url: str, tmp_path: Path
) -> None:
    run_eventdb("load", str(DERNA), database_url=initialised_url)
    path = load_file(tmp_path)
    seen = Seen()
    loading, done = asyncio.Event(), asyncio.Event()
    with served(initialised_url, tmp_path / "server.log") as base_url:
        readers = [
            asyncio.create_task(reader(base_url, number, seen, loading, done))
            for number in range(READERS)
        ]
        try:
            # Every reader has an answer from before the load (or one of them failed).
            answered = asyncio.create_task(seen.every_reader_answered.wait())
            await asyncio.wait(
                [answered, *readers], timeout=REQUEST_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            for task in readers:
                if task.done():
                    task.result()
            assert answered.done(), "the readers were not answered"
            loading.set()
            started = time.monotonic()
            loaded = await run_load(initialised_url, path)
            took = time.monotonic() - started
            done.set()
            await asyncio.gather(*readers)
        finally:
            for task in readers:
                task.cancel()

    assert loaded.returncode == 0, loaded.stderr
    assert f"events: {EVENTS} added" in loaded.stdout
    assert seen.during_load > 0, "no reader was answered while the load ran"
    answers = sum(len(states) for states in seen.states)
    print(f"{answers} answers, {seen.during_load} while the load ran ({took:.1f} s)")
    for states in seen.states:
        assert states[0] == BEFORE
        assert states[-1] == AFTER
        # Once a reader has seen the load it never sees the database without it again.
        assert states == sorted(states, key=[BEFORE, AFTER].index)
