"""Instructions per request under valgrind: ``python -m benchmarks.instructions``.

CPU time on a shared machine moves by 10-30% between runs; the number of
machine instructions a request executes does not. This runs one contestant
(bare WSGI flashmw unless told otherwise) under ``valgrind --tool=cachegrind``
twice, with ``count`` and ``2 * count`` requests after a warm-up, and prints
the difference divided by ``count``: the instructions of one request, with
the interpreter's start-up and the warm-up cancelled out. It does the same
for the app without flash machinery, and prints the overhead (with minus
without), which is what ``tox -e bench`` times. Hash seeds are fixed so
that two runs of the same code agree to within about 2k instructions.

It is a guide for optimising (is this change cheaper?), not a substitute for
``tox -e bench``: instructions do not count cache misses or allocation.
Needs ``valgrind`` on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence

from benchmarks.contestants import SCENARIOS, build
from benchmarks.drivers import ASGIDriver, WSGIDriver
from benchmarks.run import _check

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _requests(name: str, scenario: str, count: int, app: str) -> None:
    """Run ``count`` requests of ``scenario`` after a warm-up (the child's job).

    ``app`` is ``"with"`` (the app with flash machinery) or ``"without"``.
    """
    (contestant,) = build([name])
    driver = ASGIDriver() if contestant.protocol == "asgi" else WSGIDriver()
    request = _check(contestant, driver)[scenario]
    target = contestant.with_app if app == "with" else contestant.without_app
    driver.run(target, request, 300)
    driver.run(target, request, count)
    if isinstance(driver, ASGIDriver):
        driver.close()


def _instructions(name: str, scenario: str, count: int, app: str = "with") -> int:
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--child",
        name,
        scenario,
        str(count),
        app,
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        command, capture_output=True, text=True, env=env, check=True
    )
    found = _REFS.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr}")
    return int(found.group(1).replace(",", ""))


def main(argv: Sequence[str] | None = None) -> int:
    """Print instructions per request for each scenario; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions")
    parser.add_argument("--contestant", default="flashmw-wsgi")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="count only this scenario (repeatable; default: all)",
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, scenario, count, app = args.child
        _requests(name, scenario, int(count), app)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    for scenario in args.scenario or SCENARIOS:
        per_request = {}
        for app in ("with", "without"):
            once = _instructions(args.contestant, scenario, args.count, app)
            twice = _instructions(args.contestant, scenario, 2 * args.count, app)
            per_request[app] = (twice - once) / args.count
        print(
            f"{scenario}: {per_request['with']:,.0f} instructions per request, "
            f"{per_request['without']:,.0f} without flash machinery: "
            f"{per_request['with'] - per_request['without']:,.0f} overhead"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
