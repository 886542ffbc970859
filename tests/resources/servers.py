"""Throwaway servers for the real-server tests: a PostgreSQL cluster in a temp folder.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user
(Debian's package creates it). The server listens on a free loopback port, with its
socket in the cluster's folder, trusts local connections, and is stopped at the end.
Returns None with a reason when the binaries (or psycopg) are absent, so tests skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Postgres", "find_postgres", "start_postgres"]


@dataclass
class Postgres:
    url: str  # the `postgres` database; tests create their own next to it
    folder: Path
    pg_ctl: str
    user: str | None

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        _run([self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"], self.user)
        shutil.rmtree(self.folder, ignore_errors=True)


def find_postgres() -> tuple[str | None, str]:
    """The folder of initdb/pg_ctl, or None and why not."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg is not installed (pip install -e '.[postgres]')"
    candidates = [os.path.dirname(p) for p in filter(None, [shutil.which("initdb")])]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if os.access(os.path.join(folder, "initdb"), os.X_OK) and os.access(
            os.path.join(folder, "pg_ctl"), os.X_OK
        ):
            return folder, ""
    return None, "PostgreSQL server binaries (initdb, pg_ctl) not found (apt-get install postgresql-15)"


def _run(cmd: list[str], user: str | None, **kw) -> subprocess.CompletedProcess:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres() -> tuple[Postgres | None, str]:
    folder, why = find_postgres()
    if folder is None:
        return None, why
    user = None
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no `postgres` user to run initdb as"
        user = "postgres"
    tmp = Path(tempfile.mkdtemp(prefix="fullcourt-pg-"))
    os.chmod(tmp, 0o755)
    if user:
        shutil.chown(tmp, user)
    data = tmp / "data"
    initdb = _run([os.path.join(folder, "initdb"), "-D", str(data), "-A", "trust", "-U",
                   "postgres", "--no-sync", "-E", "UTF8"], user)  # fmt: skip
    if initdb.returncode:
        shutil.rmtree(tmp, ignore_errors=True)
        return None, f"initdb failed: {initdb.stderr.strip()[:200]}"
    pg_ctl = os.path.join(folder, "pg_ctl")
    for _ in range(3):
        port = _free_port()
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")  # fmt: skip
        started = _run([pg_ctl, "-D", str(data), "-l", str(tmp / "log"), "-o", opts, "-w",
                        "-t", "60", "start"], user)  # fmt: skip
        if started.returncode == 0:
            url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            deadline = time.monotonic() + 30
            import psycopg

            while True:
                try:
                    psycopg.connect(url, connect_timeout=2).close()
                    break
                except psycopg.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            return Postgres(url, tmp, pg_ctl, user), ""
    log = (tmp / "log").read_text() if (tmp / "log").exists() else started.stderr
    shutil.rmtree(tmp, ignore_errors=True)
    return None, f"pg_ctl start failed: {log.strip()[-300:]}"
