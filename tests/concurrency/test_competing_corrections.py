"""Two curators correct one fact at the same moment, both from the same version: one correction
wins, the other is refused as a CONFLICT naming the version it now is, and history holds every
winning version and nothing of the losers. Twenty rounds, on each engine."""

import asyncio
from typing import Any

import pytest

from eventdb import curation
from tests.api.conftest import Api
from tests.api.test_curation import CORRECT_ACTOR, CREATE_ACTOR, FRONT, HISTORY, as_, token

ROUNDS = 20


def both_write_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each write waits at the door of the transaction until the other has arrived too, so the
    two race for the write lock instead of one finishing before the other has begun."""
    apply = curation.apply
    door = asyncio.Barrier(2)  # opens for each pair, round after round

    async def together(*arguments: Any, **options: Any) -> Any:
        await asyncio.wait_for(door.wait(), 30)
        return await apply(*arguments, **options)

    monkeypatch.setattr(curation, "apply", together)


async def test_two_corrections_from_one_version_at_once_one_wins_one_conflicts(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, ben = await token(api, "Ada"), await token(api, "Ben")
    created = await as_(api, ada, CREATE_ACTOR, input=FRONT)
    version = created["data"]["createActor"]["version"]
    both_write_at_once(monkeypatch)
    winners: list[str] = []

    for round_ in range(ROUNDS):
        names = {ada: f"Front {round_} by Ada", ben: f"Front {round_} by Ben"}
        answers: list[dict[str, Any]] = await asyncio.gather(
            *(
                as_(api, secret, CORRECT_ACTOR, input={**FRONT, "name": name}, expected=version)
                for secret, name in names.items()
            )
        )
        won = [answer for answer in answers if "errors" not in answer]
        lost = [answer for answer in answers if "errors" in answer]
        assert len(won) == 1, answers
        assert len(lost) == 1, answers
        [error] = lost[0]["errors"]
        corrected = won[0]["data"]["correctActor"]
        assert error["extensions"]["code"] == "CONFLICT", error
        assert error["extensions"]["currentVersion"] == corrected["version"]
        assert lost[0]["data"] is None
        assert corrected["version"] > version
        version = corrected["version"]
        winners.append(corrected["name"])

    history = (await api.data(HISTORY, kind="ACTOR", ref=FRONT["id"]))["history"]
    assert [entry["fact"]["name"] for entry in history] == [FRONT["name"], *winners]
    assert [entry["supersededAt"] is None for entry in history] == [False] * ROUNDS + [True]
