"""The fuzzing budget and the tally of inputs tried per target."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.errors import HypothesisException

F = TypeVar("F", bound=Callable[..., Any])

#: Hypothesis examples per round of one target.
EXAMPLES = int(os.environ.get("FLASHMW_FUZZ_EXAMPLES", "300"))
#: Seconds each target keeps running rounds for (0: exactly one round).
SECONDS = float(os.environ.get("FLASHMW_FUZZ_SECONDS", "0"))

#: Settings of every fuzz target: no deadline (a slow input is not a bug
#: here, an exception is), and no example database, so every round draws
#: fresh inputs instead of replaying old ones.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@dataclass
class Tally:
    """Inputs one target tried, and how many of them raised."""

    inputs: int = 0
    crashes: int = 0
    seconds: float = 0.0
    rounds: int = 0


TALLIES: dict[str, Tally] = {}


def counted(name: str) -> Callable[[F], F]:
    """Count every call of a property body under ``name``, and every raise."""
    tally = TALLIES.setdefault(name, Tally())

    def decorate(body: F) -> F:
        # functools.wraps keeps the signature Hypothesis reads for @given.
        @functools.wraps(body)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            tally.inputs += 1
            try:
                return body(*args, **kwargs)
            except HypothesisException:
                raise  # Hypothesis steering its own search, not a failure
            except Exception:
                tally.crashes += 1
                raise

        return wrapper  # type: ignore[return-value]

    return decorate


def run_rounds(name: str, target: Callable[[], None]) -> None:
    """Run a Hypothesis ``target`` once, then again until the budget is spent."""
    tally = TALLIES.setdefault(name, Tally())
    start = time.monotonic()
    while True:
        target()
        tally.rounds += 1
        tally.seconds = time.monotonic() - start
        if tally.seconds >= SECONDS:
            return
