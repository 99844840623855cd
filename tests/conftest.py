"""Fixtures: an injected clock and one harness per adapter."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from .harness import FakeClock, Harness, WSGIHarness

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ADAPTERS: dict[str, Callable[..., Harness]] = {"wsgi": WSGIHarness}

MakeHarness = Callable[..., Harness]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=sorted(ADAPTERS))
def make(request: pytest.FixtureRequest, clock: FakeClock) -> MakeHarness:
    """Build a harness of one adapter; keyword options go to the middleware."""
    adapter = ADAPTERS[request.param]

    def factory(**options: Any) -> Harness:
        options.setdefault("clock", clock)
        return adapter(**options)

    return factory


@pytest.fixture
def harness(make: MakeHarness) -> Harness:
    return make()
