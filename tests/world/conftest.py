"""Shared pieces for the world's tests: the mini scenario and one session cache for the whole session."""

import pytest

from hollow.sessions.cache import SessionCache
from hollow.world.load import load_scenario
from hollow.world.timeline import run_world


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> SessionCache:
    return SessionCache(tmp_path_factory.mktemp("sessions"))


@pytest.fixture(scope="session")
def mini():
    return load_scenario("ftx_mini").scenario


@pytest.fixture(scope="session")
def mini_run(mini, cache):
    return run_world(mini, cache)
