"""Show that reading a ``Cookie`` header takes time linear in its length.

Each shape is timed at two sizes, the second twice the first; a ratio near
2 means linear time (a quadratic scan would show about 4). Best of several
runs, to keep the machine's noise out. Run it with
``python benchmarks/cookie_scan.py`` (or in the tox ``bench`` env).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flashmw import FlashMiddleware
from flashmw.cookies import find_cookie_values

SECRET = "benchmark-secret-0123456789abcdefghijkl"  # noqa: S105 (not a real key)
REPEAT = 7

middleware = FlashMiddleware(lambda environ, start_response: [], secret_key=SECRET)
VALID = middleware._signer.sign(b'[[["message","hello"]],[]]', time.time())


def _one_long_cookie(size: int) -> str:
    return "x=" + "a" * size + "; flash=" + VALID


def _many_pairs(pairs: int) -> str:
    return "a=b; " * pairs + "flash=" + VALID


def _many_flash_candidates(count: int) -> str:
    # The worst case for the reader: every candidate is shaped like a signed
    # value, so each costs one HMAC before it is refused.
    return "flash=a.b.c; " * count + "flash=" + VALID


def _name_everywhere(count: int) -> str:
    # The name over and over, never followed by "=": every occurrence is a
    # match the scanner has to look at and reject.
    return "flash \t" * count + "; flash=" + VALID


def _white_space_runs(count: int) -> str:
    # Long runs of SP/HTAB around the name, walked from both sides.
    return ("flash" + " " * 1000 + "x") * count + "; flash=" + VALID


SHAPES: list[tuple[str, Callable[[int], str], int]] = [
    ("one 1 MB cookie", _one_long_cookie, 1_000_000),
    ("50,000 pairs", _many_pairs, 50_000),
    ("1,000 flash candidates", _many_flash_candidates, 1_000),
    ("name 100,000 times", _name_everywhere, 100_000),
    ("1,000 runs of 1,000 SP", _white_space_runs, 1_000),
]


def _best(work: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    """Time each shape at two sizes and print the ratio."""
    print(f"{'shape':<26}{'size':>12}{'bytes':>12}{'scan':>11}{'decode':>11}")
    for name, build, size in SHAPES:
        results = []
        for scale in (size, 2 * size):
            header = build(scale)
            scan = _best(partial(find_cookie_values, header, "flash"))
            load = _best(partial(middleware._load, header))
            messages = middleware._load(header)[0]
            assert messages == [("message", "hello")], messages
            results.append((scan, load))
            print(
                f"{name:<26}{scale:>12,}{len(header):>12,}"
                f"{scan * 1000:>9.2f}ms{load * 1000:>9.2f}ms"
            )
        ratio_scan = results[1][0] / results[0][0]
        ratio_load = results[1][1] / results[0][1]
        print(f"{'':<26}{'x2 size ->':>24}{ratio_scan:>10.2f}x{ratio_load:>10.2f}x")


if __name__ == "__main__":
    main()
