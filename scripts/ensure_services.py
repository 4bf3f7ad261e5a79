"""Make sure the PostgreSQL and Redis that the tests use are up, and the database exists.

Used by `make test`. A local server that is installed but stopped is started (Debian's
pg_ctlcluster, redis-server); a remote one is only waited for. Settings come from DATABASE_URL and
REDIS_URL with the defaults of CONTRACT.md §1.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import redis
from psycopg2 import sql

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
WAIT_SECONDS = 30


def wait_for(check, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            check()
            return
        except Exception as error:
            if time.monotonic() > deadline:
                sys.exit(f"{what} is not reachable: {error}")
            time.sleep(0.5)


def postgres_connect(url, dbname: str = "postgres"):
    return psycopg2.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname=dbname,
        connect_timeout=3,
    )


def start_postgres() -> None:
    if shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir():
        for version in sorted(os.listdir("/etc/postgresql")):
            print(f"starting PostgreSQL {version}")
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)


def ensure_postgres() -> None:
    url = urlparse(DATABASE_URL)
    try:
        postgres_connect(url).close()
    except psycopg2.OperationalError:
        if url.hostname not in LOCAL_HOSTS:
            wait_for(lambda: postgres_connect(url).close(), "PostgreSQL")
        start_postgres()
        wait_for(lambda: postgres_connect(url).close(), "PostgreSQL")
    name = url.path.lstrip("/") or "aftersales"
    connection = postgres_connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"creating database {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # pytest-django drops and recreates test_<name> (test_<name>_gw0, _gw1 … with parallel workers);
        # a process left over from an interrupted run would hold a connection and make that fail, so end
        # such sessions first.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE (datname = %s OR datname LIKE %s) AND pid <> pg_backend_pid()",
            [f"test_{name}", f"test_{name}\\_gw%"],
        )
    connection.close()


def ensure_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
        return
    except redis.exceptions.ConnectionError:
        host = urlparse(REDIS_URL).hostname
        if host in LOCAL_HOSTS and shutil.which("redis-server"):
            print("starting Redis")
            Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
            Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
            port = str(urlparse(REDIS_URL).port or 6379)
            subprocess.run(
                [
                    "redis-server",
                    "--daemonize",
                    "yes",
                    "--bind",
                    "127.0.0.1",
                    "-::1",
                    "--port",
                    port,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    "/var/lib/redis",
                    "--logfile",
                    "/var/log/redis/ci.log",
                ],
                check=False,
            )
    wait_for(client.ping, "Redis")


if __name__ == "__main__":
    ensure_postgres()
    ensure_redis()
    print("PostgreSQL and Redis are ready")
