from __future__ import annotations

import pytest

from hollow.sweep.plan import build_jobs


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> str:
    """One session cache for the sweep tests, warmed by the first sweep."""
    return str(tmp_path_factory.mktemp("sweep-cache"))


@pytest.fixture(scope="session")
def jobs():
    """ftx_mini over 2 seeds x 2 liquidity floors: four small runs."""
    points = [("house.liquidity_floor=0.1",), ("house.liquidity_floor=0.2",)]
    return build_jobs("ftx_mini", [], points, [1, 2])
