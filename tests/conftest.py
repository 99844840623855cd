"""Fixtures: an injected clock and one harness per adapter."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from .harness import ASGIHarness, FakeClock, Harness, WSGIHarness

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ADAPTERS: dict[str, Callable[..., Harness]] = {
    "wsgi": WSGIHarness,
    "asgi": ASGIHarness,
}

MakeHarness = Callable[..., Harness]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=sorted(ADAPTERS))
def make(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[MakeHarness]:
    """Build a harness of one adapter; keyword options go to the middleware."""
    adapter = ADAPTERS[request.param]
    built: list[Harness] = []

    def factory(**options: Any) -> Harness:
        options.setdefault("clock", clock)
        harness = adapter(**options)
        built.append(harness)
        return harness

    yield factory
    for harness in built:
        harness.close()


@pytest.fixture
def harness(make: MakeHarness) -> Harness:
    return make()
