"""Profile flashmw alone in one scenario: ``python -m benchmarks.profile S2``.

Runs the bare WSGI (or, with ``--asgi``, the bare ASGI) contestant under
:mod:`cProfile` and prints the functions that cost the most, so that an
optimisation starts from a measurement rather than a guess.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections.abc import Sequence

from benchmarks.contestants import build
from benchmarks.drivers import ASGIDriver, Driver, WSGIDriver
from benchmarks.run import _check


def main(argv: Sequence[str] | None = None) -> int:
    """Profile one scenario; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("scenario", choices=("S1", "S2", "S3"))
    parser.add_argument("--asgi", action="store_true", help="the ASGI adapter")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25, help="rows to print")
    args = parser.parse_args(argv)
    name = "flashmw-asgi" if args.asgi else "flashmw-wsgi"
    (contestant,) = build([name])
    if contestant.error:
        print(contestant.error, file=sys.stderr)
        return 1
    driver: Driver = ASGIDriver() if args.asgi else WSGIDriver()
    request = _check(contestant, driver)[args.scenario]
    driver.run(contestant.with_app, request, 1000)
    profiler = cProfile.Profile()
    profiler.enable()
    driver.run(contestant.with_app, request, args.requests)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
