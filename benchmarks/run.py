"""Measure per-request overhead of every contestant, then report it.

For each scenario and contestant the app with flash machinery and the same
app without it are timed back to back; the overhead of one repeat is the
difference of their means. Every repeat runs every contestant (in a rotated
order, alternating which of the pair goes first), so slow drift of the
machine hits all of them alike, and the table shows medians over repeats.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import floor, report
from benchmarks.contestants import PATHS, SCENARIOS, Contestant, build
from benchmarks.drivers import ASGIDriver, Driver, WSGIDriver, growth, timed
from benchmarks.traffic import cookie_header

RESULTS = Path(__file__).resolve().parent / "results"
#: Contestants whose memory is also watched over many requests: flashmw
#: without a framework, so that any growth seen is flashmw's own.
_GROWTH_WATCHED = ("flashmw-wsgi", "flashmw-asgi")


class CheckFailed(Exception):
    """A contestant did not do what the scenario requires."""


@dataclass
class Series:
    """One contestant in one scenario: the two apps, the request, the count."""

    contestant: Contestant
    scenario: str
    driver: Driver
    request: dict[str, Any]
    count: int = 0
    with_s: list[float] = field(default_factory=list)
    without_s: list[float] = field(default_factory=list)


def _check(contestant: Contestant, driver: Driver) -> dict[str, dict[str, Any]]:
    """Self-check a contestant; return the request of each scenario.

    :raises CheckFailed: with what went wrong.
    """
    name = contestant.cookie_name
    seeded = driver.check(
        contestant.with_app, driver.request(PATHS["seed"], cookie_header(None))
    )
    if seeded.status != 200 or seeded.cookie(name) != "set":
        raise CheckFailed(f"seeding answered {seeded.status}, {seeded.set_cookies}")
    # The cookies a browser would send next: whatever the middleware itself
    # wrote, however many and whatever their names.
    flash_cookie = seeded.value(name)
    carried = {pair.partition("=")[0] for pair in flash_cookie.split("; ")}
    requests = {}
    for scenario in SCENARIOS:
        header = cookie_header(None if scenario == "S3" else flash_cookie)
        request = driver.request(PATHS[scenario], header)
        status = 302 if scenario == "S3" else 200
        body = b"3" if scenario == "S2" else None
        for app, expected in (
            (contestant.with_app, contestant.expected[scenario]),
            (contestant.without_app, "absent"),
        ):
            outcome = driver.check(app, request)
            problems = []
            if outcome.status != status:
                problems.append(f"status {outcome.status}, not {status}")
            if body is not None and outcome.body != body:
                problems.append(f"body {outcome.body!r}, not {body!r}")
            if outcome.cookie(name) != expected:
                problems.append(f"cookie {outcome.cookie(name)}, not {expected}")
            elif expected == "deleted" and outcome.deleted(name) != carried:
                problems.append(
                    f"deleted {sorted(outcome.deleted(name))}, not {sorted(carried)}"
                )
            if problems:
                which = "with" if app is contestant.with_app else "without"
                raise CheckFailed(f"{scenario} {which}: {'; '.join(problems)}")
        requests[scenario] = request
    return requests


def _calibrate(series: Series, target: float) -> None:
    for app in (series.contestant.with_app, series.contestant.without_app):
        series.driver.run(app, series.request, 20)  # warm caches and imports
    per_request = series.driver.run(series.contestant.with_app, series.request, 50)
    series.count = max(20, int(target / max(per_request, 1e-7)))


def _time_floor(function: Callable[[], object], count: int) -> float:
    gc.collect()
    gc.disable()
    try:
        began = time.process_time()
        for _ in range(count):
            function()
        return (time.process_time() - began) / count
    finally:
        gc.enable()


def _median_us(values: Sequence[float]) -> float:
    return statistics.median(values) * 1e6


def _quartiles_us(values: Sequence[float]) -> list[float]:
    if len(values) < 2:
        return [values[0] * 1e6] * 2
    q = statistics.quantiles(values, n=4)
    return [q[0] * 1e6, q[2] * 1e6]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status (1 if a contestant is broken)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repeats", type=int, default=15, help="timing rounds")
    parser.add_argument(
        "--target-ms", type=float, default=25.0, help="length of one timed series"
    )
    parser.add_argument(
        "--growth", type=int, default=100_000, help="requests of the memory watch"
    )
    parser.add_argument("--only", nargs="*", default=(), help="contestant names")
    parser.add_argument(
        "--quick", action="store_true", help="a short run to try things out"
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--chart", type=Path, default=RESULTS / "latest.png")
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.target_ms, args.growth = 5, 10.0, 10_000

    started = time.perf_counter()
    floor.check()
    wsgi, asgi = WSGIDriver(), ASGIDriver()
    contestants = build(args.only)
    series: list[Series] = []
    for contestant in contestants:
        if contestant.error:
            continue
        driver: Driver = wsgi if contestant.protocol == "wsgi" else asgi
        try:
            requests = _check(contestant, driver)
        # A contestant may fail in any way its framework can; that is what
        # the check is for, and the report says how.
        except Exception as exc:  # noqa: BLE001
            contestant.error = f"self-check failed: {type(exc).__name__}: {exc}"
            continue
        for scenario in SCENARIOS:
            series.append(Series(contestant, scenario, driver, requests[scenario]))

    target = args.target_ms / 1000
    for one in series:
        _calibrate(one, target)
    floor_count = max(
        100, int(target / max(_time_floor(floor.decode_three, 200), 1e-7))
    )
    floor_s: dict[str, list[float]] = {"decode": [], "encode": []}

    for repeat in range(args.repeats):
        print(f"repeat {repeat + 1}/{args.repeats}", file=sys.stderr, flush=True)
        shift = repeat % max(len(series), 1)
        for one in series[shift:] + series[:shift]:
            pair = [("without", one.contestant.without_app)]
            pair.append(("with", one.contestant.with_app))
            if repeat % 2:
                pair.reverse()
            for which, app in pair:
                seconds = timed(one.driver, app, one.request, one.count)
                (one.with_s if which == "with" else one.without_s).append(seconds)
        floor_s["decode"].append(_time_floor(floor.decode_three, floor_count))
        floor_s["encode"].append(_time_floor(floor.encode_one, floor_count))

    print("memory", file=sys.stderr, flush=True)
    memory = _memory(series, args.growth)
    asgi.close()

    results = _results(contestants, series, floor_s, memory, args)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report.write_json(results, args.json)
    print(report.table(results))
    print(f"JSON: {args.json}")
    if not args.no_chart:
        try:
            report.chart(results, args.chart)
            print(f"chart: {args.chart}")
        except ImportError:
            print("chart: skipped (matplotlib is not installed)")
    return 1 if any(c.error for c in contestants) else 0


def _memory(series: list[Series], growth_count: int) -> dict[tuple[str, str], Any]:
    """Peak bytes per request with tracemalloc, and growth over many requests."""
    out: dict[tuple[str, str], Any] = {}
    tracemalloc.start()
    try:
        for one in series:
            peaks = {}
            for which, app in (
                ("with", one.contestant.with_app),
                ("without", one.contestant.without_app),
            ):
                one.driver.peaks(app, one.request, 20)
                peaks[which] = statistics.median(
                    one.driver.peaks(app, one.request, 200)
                )
            out[one.contestant.name, one.scenario] = {
                "peak_bytes_with": peaks["with"],
                "peak_bytes_without": peaks["without"],
                "peak_bytes_overhead": peaks["with"] - peaks["without"],
            }
    finally:
        tracemalloc.stop()
    for one in series:
        if one.contestant.name in _GROWTH_WATCHED:
            blocks = growth(
                one.driver, one.contestant.with_app, one.request, growth_count
            )
            out[one.contestant.name, one.scenario]["growth_blocks"] = blocks
            out[one.contestant.name, one.scenario]["growth_requests"] = growth_count
    return out


def _results(
    contestants: list[Contestant],
    series: list[Series],
    floor_s: dict[str, list[float]],
    memory: dict[tuple[str, str], Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    by_key = {(s.contestant.name, s.scenario): s for s in series}
    entries = []
    for contestant in contestants:
        scenarios = {}
        for scenario in SCENARIOS:
            one = by_key.get((contestant.name, scenario))
            if one is None:
                continue
            overheads = [
                w - wo for w, wo in zip(one.with_s, one.without_s, strict=True)
            ]
            scenarios[scenario] = {
                "overhead_us": round(_median_us(overheads), 3),
                "overhead_iqr_us": [round(v, 3) for v in _quartiles_us(overheads)],
                "with_us": round(_median_us(one.with_s), 3),
                "without_us": round(_median_us(one.without_s), 3),
                "requests_per_sample": one.count,
                **memory.get((contestant.name, scenario), {}),
            }
        entries.append(
            {
                "name": contestant.name,
                "label": contestant.label,
                "flashmw": contestant.flashmw,
                "protocol": contestant.protocol,
                "note": contestant.note,
                "error": contestant.error,
                "scenarios": scenarios,
            }
        )
    decode_us = _median_us(floor_s["decode"])
    encode_us = _median_us(floor_s["encode"])
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "machine": report.machine(),
        "settings": {"repeats": args.repeats, "target_ms": args.target_ms},
        "floor": {
            "decode_three_us": round(decode_us, 3),
            "encode_one_us": round(encode_us, 3),
            "total_us": round(decode_us + encode_us, 3),
        },
        "contestants": entries,
    }
    results["targets"] = report.targets(results)
    return results
