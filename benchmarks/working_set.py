"""The same work alone and beside a framework: ``python -m benchmarks.working_set``.

Around a Flask route flashmw executes about the instructions it executes
around a bare app (``benchmarks.instructions``: S2 173k against 161k), yet
``tox -e bench`` times it at 2-3x. This shows why by timing bare WSGI
flashmw (with minus without, in µs) three ways in each scenario:

- **alone**, as the bench's bare row does;
- **beside Flask**: the same bare requests, each followed by a request to
  a Flask app without flash machinery (in both the with and the without
  loop, so its own cost cancels out): only its working set is in between;
- **Flask route**: flashmw around the Flask route, the bench's row.

When the second and third agree, the gap to bare is not work flashmw
does around Flask but the cost of its own work once Flask's code and data
have passed through the CPU's caches and branch predictors. The stdlib
floor's decode and encode are timed alone and beside Flask too, for
comparison: they are a few calls into C.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import floor
from benchmarks.contestants import SCENARIOS, build
from benchmarks.drivers import WSGIDriver, _discard_start
from benchmarks.run import _check


def _request(app: Any, environ: dict[str, Any]) -> None:
    body = app(environ.copy(), _discard_start)
    for _chunk in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _per_round(calls: list[Callable[[], object]], count: int) -> float:
    """Return the µs of CPU time one round of ``calls`` takes on average."""
    began = time.process_time()
    for _ in range(count):
        for call in calls:
            call()
    return (time.process_time() - began) / count * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.working_set")
    parser.add_argument("--repeats", type=int, default=7, help="timing rounds")
    parser.add_argument("--count", type=int, default=2000, help="requests a round")
    args = parser.parse_args(argv)
    bare, flask = build(["flashmw-wsgi", "flashmw-wsgi-flask"])
    for contestant in (bare, flask):
        if contestant.error:
            print(f"{contestant.label}: {contestant.error}", file=sys.stderr)
            return 1
    driver = WSGIDriver()
    bare_requests = _check(bare, driver)
    flask_requests = _check(flask, driver)
    floor.check()

    def beside(scenario: str) -> Callable[[], None]:
        return _bound(flask.without_app, flask_requests[scenario])

    # Each row: what one round calls with flash machinery, and without.
    rows: dict[str, tuple[list[Callable[[], object]], list[Callable[[], object]]]]
    rows = {}
    for scenario in SCENARIOS:
        with_bare = _bound(bare.with_app, bare_requests[scenario])
        without_bare = _bound(bare.without_app, bare_requests[scenario])
        rows[f"flashmw {scenario} alone"] = ([with_bare], [without_bare])
        rows[f"flashmw {scenario} beside Flask"] = (
            [with_bare, beside(scenario)],
            [without_bare, beside(scenario)],
        )
        rows[f"flashmw {scenario} Flask route"] = (
            [_bound(flask.with_app, flask_requests[scenario])],
            [_bound(flask.without_app, flask_requests[scenario])],
        )
    for label, work, scenario in (
        ("floor decode 3", floor.decode_three, "S2"),
        ("floor encode 1", floor.encode_one, "S3"),
    ):
        rows[f"{label} alone"] = ([work], [])
        rows[f"{label} beside Flask"] = ([work, beside(scenario)], [beside(scenario)])
    times: dict[str, list[float]] = {name: [] for name in rows}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(args.repeats):
            for name, (with_calls, without_calls) in rows.items():
                spent = _per_round(with_calls, args.count)
                times[name].append(spent - _per_round(without_calls, args.count))
    finally:
        if enabled:
            gc.enable()
    print(f"CPU µs per request, with minus without (median of {args.repeats} rounds)")
    for name, values in times.items():
        print(f"  {name:34s} {statistics.median(values):6.1f}")
    return 0


def _bound(app: Any, environ: dict[str, Any]) -> Callable[[], None]:
    return lambda: _request(app, environ)


if __name__ == "__main__":
    sys.exit(main())
