"""The served API passes every GraphQL-over-HTTP server audit of the `graphql-http` package (the
spec's reference audits), run by node against `eventdb serve` on the Derna article.

The package is pinned in package.json / package-lock.json here; `.ci/run` installs it with
`npm ci --prefix tests/conformance`. Without node or that install the test is skipped.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import DERNA
from tests.served import run_eventdb, served

HERE = Path(__file__).parent
AUDIT_SECONDS = 120


def _node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the graphql-http audits run on node")
    if not (HERE / "node_modules" / "graphql-http").is_dir():
        pytest.skip("graphql-http is not installed: run `npm ci --prefix tests/conformance`")
    return node


def test_every_graphql_over_http_audit_passes(tmp_path: Path) -> None:
    node = _node_or_skip()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'eventdb.sqlite3'}"
    run_eventdb("init", database_url=database_url)
    run_eventdb("load", str(DERNA), database_url=database_url)

    with served(database_url, tmp_path / "server.log") as base_url:
        audit = subprocess.run(
            [node, str(HERE / "audit.mjs"), f"{base_url}/graphql"],
            capture_output=True,
            text=True,
            timeout=AUDIT_SECONDS,
            check=False,
        )

    assert audit.returncode == 0, audit.stderr
    results = [json.loads(line) for line in audit.stdout.splitlines()]
    failures = [
        f"{r['status']}: {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"
    ]
    print(f"{len(results)} audits, {len(results) - len(failures)} ok")
    assert results, "the audit suite ran no audit"
    assert not failures, "\n".join(failures)
