"""Shared fixtures: stores (SQLite and PostgreSQL), local sites, the seed pages."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from tests.sites import Site

REPO = Path(__file__).resolve().parents[1]
SEEDS_DIR = Path(os.environ.get("WIRECRAWL_SEEDS", REPO.parent / "shared" / "seeds"))
REALPAGES_DIR = Path(os.environ.get("WIRECRAWL_REALPAGES", REPO.parent / "shared" / "realpages"))
REQUIRE_SERVICES = os.environ.get("WIRECRAWL_REQUIRE_SERVICES") == "1"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _service_missing(name: str) -> None:
    msg = f"{name} is not answering on 127.0.0.1; these tests need it"
    if REQUIRE_SERVICES:
        pytest.fail(msg + " (CI requires it: .ci/run should have started it)")
    pytest.skip(msg)


@pytest.fixture
def site():
    with Site() as s:
        yield s


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def postgres_admin_url():
    if not _answers("127.0.0.1", 5432):
        _service_missing("PostgreSQL")
    return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_url(postgres_admin_url):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"wirecrawl_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, data_dir):
    """Run a test once against SQLite and once against PostgreSQL."""
    if request.param == "sqlite":
        return None  # the default: a SQLite file in the data directory
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(data_dir, database_url):
    from storage.store import Store

    s = Store(database_url, data_dir)
    yield s
    s.close()


@pytest.fixture
def seeds_dir():
    if not SEEDS_DIR.is_dir() or not any(SEEDS_DIR.glob("*.txt")):
        pytest.skip(f"seed pages not found at {SEEDS_DIR} (set WIRECRAWL_SEEDS to their folder)")
    return SEEDS_DIR


@pytest.fixture(scope="session")
def realpages_dir():
    if not (REALPAGES_DIR / "evaldata.json").is_file():
        pytest.skip(f"real pages not found at {REALPAGES_DIR} (set WIRECRAWL_REALPAGES to their folder)")
    return REALPAGES_DIR
