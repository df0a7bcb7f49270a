"""A throwaway PostgreSQL server in a temporary directory (tests and benchmarks).

``with throwaway_postgres(directory) as url:`` runs ``initdb`` and ``pg_ctl`` from the
PostgreSQL binaries (``pg_config --bindir``, else ``/usr/lib/postgresql/*/bin``) on a
free local port, creates the database ``optuna`` and yields its URL; the server is
stopped and its files removed afterwards. :func:`postgres_bindir` is None where no
server binary exists. As root, the server runs as the ``postgres`` user (PostgreSQL
refuses to run as root).
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path


def postgres_bindir():
    """The directory of ``initdb`` and ``pg_ctl``, or None."""
    candidates = []
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                              check=False)
        candidates.append(Path(done.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def why_no_server():
    """None when a throwaway server can start here, else the reason."""
    if postgres_bindir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres(directory):
    bindir = postgres_bindir()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    prefix = []
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = directory / "data", _free_port()

    def run(*command):
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False,
                              timeout=120)
        if done.returncode:
            raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
        "--no-sync", "-E", "UTF8")
    options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c max_connections=50")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w",
        "-o", options, "start")
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            "optuna")
        yield f"postgresql://postgres@127.0.0.1:{port}/optuna"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(data, ignore_errors=True)
