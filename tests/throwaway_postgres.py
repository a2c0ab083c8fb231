"""A PostgreSQL server of a test's own, in a temporary folder on a free port, that the test may
stop and start: the shared server other tests use is never touched.

Made with the installed `initdb` and `pg_ctl`; PostgreSQL refuses to run as root, so as root they
run as the `postgres` user (runuser).
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.served import free_port


def find_bin() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: Debian keeps them out of PATH, under a version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def why_not() -> str | None:
    """Why a throwaway server cannot be made here, or None when it can."""
    if find_bin() is None:
        return "initdb is not installed (PostgreSQL server binaries)"
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            return "running as root without runuser: PostgreSQL will not run as root"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run PostgreSQL as"
    return None


class ThrowawayPostgres:
    def __init__(self) -> None:
        bin_dir = find_bin()
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="eventdb-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c full_page_writes=off"
        )
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop at once, as a crash would: no checkpoint, every connection cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def is_running(self) -> bool:
        status = self._command("pg_ctl", "-D", str(self.data), "status")
        return subprocess.run(status, capture_output=True, check=False).returncode == 0

    def remove(self) -> None:
        if self.is_running():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        completed = subprocess.run(
            self._command(program, *arguments),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 0, f"{program}: {completed.stdout}{completed.stderr}"

    def _command(self, program: str, *arguments: str) -> list[str]:
        command = [str(self.bin_dir / program), *arguments]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command
