"""A throwaway PostgreSQL cluster for the production-instance tests, from the OS packages.

The server binaries come from PATH or Debian's /usr/lib/postgresql/<version>/bin. Where they
are missing and the tests run as root with apt-get, Debian's ``postgresql`` package is
installed first. PostgreSQL refuses to run as root, so as root every server command runs as
the ``postgres`` OS user (``runuser``), in a folder that user owns.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2

from healthcare_dataops_tests.loopback import free_port

APT_TIMEOUT_S = 600
SERVER_START_TIMEOUT_S = 60
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The server cannot be had on this machine; the message says what is missing."""


@dataclasses.dataclass(frozen=True)
class Database:
    """One database and its owning role, reached over TCP with a password."""

    host: str
    port: int
    user: str
    password: str
    name: str

    def dagster_env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads its connection from."""
        return {
            "DAGSTER_POSTGRES_HOST": self.host,
            "DAGSTER_POSTGRES_PORT": str(self.port),
            "DAGSTER_POSTGRES_USER": self.user,
            "DAGSTER_POSTGRES_PASSWORD": self.password,
            "DAGSTER_POSTGRES_DB": self.name,
        }

    def connect(self):
        return psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                password=self.password, dbname=self.name, connect_timeout=10)


def find_server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl of one installation, newest version first."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_of, reverse=True)
    candidates += [Path(folder) for folder in versions]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _version_of(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


def install_with_apt() -> str | None:
    """Installs Debian's postgresql package; returns why it could not, or None."""
    if os.geteuid() != 0:
        return "not root, so apt-get cannot install the postgresql package"
    if shutil.which("apt-get") is None:
        return "apt-get not found, so the postgresql package cannot be installed"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"],
                    ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]):
        try:
            done = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"`{' '.join(command)}` took longer than {APT_TIMEOUT_S} s"
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed: {done.stderr.strip()[-500:]}"
    return None


def locate_or_install() -> Path:
    binaries = find_server_binaries()
    if binaries is not None:
        return binaries
    why = install_with_apt()
    binaries = find_server_binaries()
    if binaries is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) are not on PATH nor in "
            f"/usr/lib/postgresql/*/bin, and {why or 'installing postgresql did not provide them'}"
        )
    return binaries


class PostgresServer:
    """A cluster in a temporary folder, listening on 127.0.0.1 and a socket of its own."""

    def __init__(self, binaries: Path):
        self.binaries = binaries
        self.as_root = os.geteuid() == 0
        if self.as_root and shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root without `runuser` to start PostgreSQL as another user")
        # Not under pytest's tmp_path: as root that is private to root, and the server runs as
        # the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="healthcare-dataops-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.host = "127.0.0.1"
        if self.as_root:
            try:
                shutil.chown(self.folder, user=SUPERUSER)
            except LookupError as error:
                raise PostgresUnavailable(f"running as root and there is no `{SUPERUSER}` OS user") from error

    def _run(self, *command: str, timeout: float = SERVER_START_TIMEOUT_S) -> None:
        argv = [str(self.binaries / command[0]), *command[1:]]
        if self.as_root:
            argv = ["runuser", "-u", SUPERUSER, "--", *argv]
        done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=timeout, cwd=self.folder)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}\n{log}")

    def start(self) -> None:
        # Local socket connections are trusted (the harness's own); TCP needs the password,
        # as a production connection does.
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth-local=trust",
                  "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync")
        # Durability buys a throwaway cluster nothing; skipping it keeps the tests quick.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses={self.host} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", str(SERVER_START_TIMEOUT_S), "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def create_database(self, name: str) -> Database:
        """A new database owned by a new role of the same name, with a random password."""
        password = secrets.token_urlsafe(16)
        admin = psycopg2.connect(host=str(self.folder), port=self.port, user=SUPERUSER,
                                 dbname="postgres", connect_timeout=10)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', (password,))
                cursor.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
        finally:
            admin.close()
        return Database(host=self.host, port=self.port, user=name, password=password, name=name)
