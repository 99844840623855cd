"""Turning measurements into a terminal table, JSON and a bar chart."""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

#: The scenarios, in the order of the table's columns.
SCENARIOS = ("S1", "S2", "S3")
#: Worst flashmw variant against the best peer anywhere, per scenario.
PEER_TARGETS = {"S1": 0.25, "S2": 1.0, "S3": 1.0}
#: Bare WSGI flashmw's S2 + S3 against the floor's decode + encode.
FLOOR_TARGET = 1.1
#: flashmw inside a framework against that framework's own flashing, S2 and
#: S3: (flashmw contestant, peer contestant, limit).
FRAMEWORK_TARGETS = (
    ("flashmw-asgi-starlette", "starlette", 0.6),
    ("flashmw-wsgi-flask", "flask", 0.25),
    ("flashmw-wsgi-django", "django", 0.25),
)
#: Live memory blocks per request that count as growth (a leak of one
#: object per request shows as about 1).
GROWTH_LIMIT = 0.001

_PACKAGES = (
    "flashmw",
    "flask",
    "werkzeug",
    "django",
    "starlette",
    "litestar",
    "itsdangerous",
)


def machine() -> dict[str, Any]:
    """Describe the machine, the Python and the library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.partition(":")[2].strip()
                    break
    except OSError:
        pass  # not Linux: platform's answer stands
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": versions,
    }


def _timed(results: dict[str, Any], flashmw: bool) -> list[dict[str, Any]]:
    return [
        c
        for c in results["contestants"]
        if c["flashmw"] is flashmw and not c["error"] and c["scenarios"]
    ]


def _signed(results: dict[str, Any]) -> list[dict[str, Any]]:
    # encrypt=True and store= are opt-in (AES-GCM on top, a server store):
    # their rows are shown, and the targets are about flashmw as most apps
    # run it.
    opt_in = ("encrypted", "store")
    return [
        c
        for c in _timed(results, True)
        if not any(word in c["name"] for word in opt_in)
    ]


def _overhead(contestant: dict[str, Any], scenario: str) -> float:
    return float(contestant["scenarios"][scenario]["overhead_us"])


def _row(
    target: str,
    ours: dict[str, Any],
    mine: float,
    *,
    against: str,
    theirs: float,
    limit: float,
) -> dict[str, Any]:
    ratio = mine / theirs if theirs > 0 else float("inf")
    return {
        "target": target,
        "flashmw": ours["label"],
        "flashmw_us": round(mine, 3),
        "against": against,
        "against_us": round(theirs, 3),
        "ratio": round(ratio, 3),
        "limit": limit,
        "met": ratio <= limit,
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Compare flashmw with the floor and its peers, as the issue's table does."""
    ours, peers = _signed(results), _timed(results, False)
    by_name = {c["name"]: c for c in _timed(results, True) + peers}
    out: list[dict[str, Any]] = []
    if not ours:
        return out
    bare = by_name.get("flashmw-wsgi")
    if bare is not None:
        total = _overhead(bare, "S2") + _overhead(bare, "S3")
        out.append(
            _row(
                f"bare WSGI S2+S3 <= {FLOOR_TARGET}x floor",
                bare,
                total,
                against="floor (decode 3 + encode 1)",
                theirs=results["floor"]["total_us"],
                limit=FLOOR_TARGET,
            )
        )
    for scenario, limit in PEER_TARGETS.items():
        if not peers:
            break
        best = min(peers, key=lambda c: _overhead(c, scenario))
        worst = max(ours, key=lambda c: _overhead(c, scenario))
        out.append(
            _row(
                f"{scenario} worst <= {limit}x best peer",
                worst,
                _overhead(worst, scenario),
                against=best["label"],
                theirs=_overhead(best, scenario),
                limit=limit,
            )
        )
    for mine, theirs, limit in FRAMEWORK_TARGETS:
        if mine not in by_name or theirs not in by_name:
            continue
        for scenario in ("S2", "S3"):
            out.append(
                _row(
                    f"{scenario} in-framework <= {limit}x",
                    by_name[mine],
                    _overhead(by_name[mine], scenario),
                    against=by_name[theirs]["label"],
                    theirs=_overhead(by_name[theirs], scenario),
                    limit=limit,
                )
            )
    growth = [
        (c, data)
        for c in ours
        for data in c["scenarios"].values()
        if "growth_blocks" in data
    ]
    if growth:
        contestant, data = max(
            growth,
            key=lambda item: item[1]["growth_blocks"] / item[1]["growth_requests"],
        )
        per_request = data["growth_blocks"] / data["growth_requests"]
        out.append(
            {
                "target": "memory growth per request",
                "flashmw": contestant["label"],
                "flashmw_us": None,
                "against": f"{GROWTH_LIMIT} blocks per request",
                "against_us": None,
                "ratio": round(per_request, 6),
                "limit": GROWTH_LIMIT,
                "met": per_request <= GROWTH_LIMIT,
                "detail": f"+{data['growth_blocks']} blocks after "
                f"{data['growth_requests']:,} requests",
            }
        )
    return out


def _best_peer(results: dict[str, Any], scenario: str) -> float | None:
    peers = _timed(results, False)
    return min(_overhead(c, scenario) for c in peers) if peers else None


def table(results: dict[str, Any]) -> str:
    """Render the results as the text table printed at the end of a run."""
    best = {s: _best_peer(results, s) for s in SCENARIOS}
    floor = results["floor"]
    width = max(len(c["label"]) for c in results["contestants"]) + 2
    head = f"{'contestant':<{width}}" + "".join(
        f"{s + ' µs':>10}{'x peer':>7}" for s in SCENARIOS
    )
    lines = [
        "Flash machinery overhead per request (µs; median of "
        f"{results['settings']['repeats']} repeats of with minus without)",
        head + f"{'S2+S3':>9}{'x floor':>8}",
        "-" * (len(head) + 17),
    ]
    notes = []
    for contestant in results["contestants"]:
        row = f"{contestant['label']:<{width}}"
        if contestant["error"]:
            lines.append(row + "not timed: " + contestant["error"])
            continue
        for scenario in SCENARIOS:
            value = _overhead(contestant, scenario)
            against = best[scenario]
            ratio = f"{value / against:.2f}" if against else "-"
            row += f"{value:>10.1f}{ratio:>7}"
        both = _overhead(contestant, "S2") + _overhead(contestant, "S3")
        row += f"{both:>9.1f}{both / floor['total_us']:>8.2f}"
        if contestant["note"]:
            notes.append(f"  {contestant['label']}: {contestant['note']}")
            row += " *"
        lines.append(row)
    lines.append(
        f"{'floor (stdlib)':<{width}}{'':>17}"
        f"{floor['decode_three_us']:>10.1f}{'dec3':>7}"
        f"{floor['encode_one_us']:>10.1f}{'enc1':>7}"
        f"{floor['total_us']:>9.1f}{1:>8.2f}"
    )
    if notes:
        lines += ["", "* notes:", *notes]
    lines += ["", "Memory (tracemalloc peak KiB per request, with minus without):"]
    for contestant in results["contestants"]:
        if contestant["error"]:
            continue
        cells = []
        for scenario, data in contestant["scenarios"].items():
            cell = f"{scenario} {data['peak_bytes_overhead'] / 1024:6.1f}"
            if "growth_blocks" in data:
                cell += (
                    f" (+{data['growth_blocks']} blocks after "
                    f"{data['growth_requests']:,} requests)"
                )
            cells.append(cell)
        lines.append(f"  {contestant['label']:<{width}}" + "  ".join(cells))
    lines += ["", "Targets (issue 14; ratios are flashmw / the other, same run):"]
    for target in results["targets"]:
        verdict = "met" if target["met"] else "NOT met"
        if target["flashmw_us"] is None:
            lines.append(
                f"  {target['target']:<30} {target['flashmw']}: "
                f"{target['detail']} ({target['ratio']} per request, "
                f"limit {target['limit']})  {verdict}"
            )
            continue
        lines.append(
            f"  {target['target']:<30} {target['flashmw_us']:6.1f} µs "
            f"({target['flashmw']}) / {target['against_us']:.1f} µs "
            f"({target['against']}) = {target['ratio']:.2f}x  {verdict}"
        )
    m = results["machine"]
    lines += [
        "",
        f"{results['date']}  {m['cpu']}, {m['cores']} cores, {m['system']}, "
        f"{m['python']}",
        "  " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v is not None),
    ]
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write the results as indented JSON."""
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def chart(results: dict[str, Any], path: Path) -> None:
    """Draw the overhead of each contestant per scenario as grouped bars.

    :raises ImportError: without matplotlib (it is only in the bench env).
    """
    import matplotlib  # noqa: PLC0415 (only the bench env has it)

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt  # noqa: PLC0415

    scenarios = list(SCENARIOS)
    timed = [c for c in results["contestants"] if not c["error"] and c["scenarios"]]
    ours = [c for c in timed if c["flashmw"]]
    peers = [c for c in timed if not c["flashmw"]]
    blues = [
        "#08306b",
        "#08519c",
        "#2171b5",
        "#4292c6",
        "#6baed6",
        "#9ecae1",
        "#c6dbef",
        "#dbe9f6",
    ]
    warm = ["#a50f15", "#ef6548", "#fdae6b", "#fdd0a2"]
    colours = blues[: len(ours)] + warm[: len(peers)]
    bar = 0.8 / max(len(timed), 1)
    figure, axes = plt.subplots(figsize=(11, 5.5), dpi=110)
    for index, (contestant, colour) in enumerate(
        zip(ours + peers, colours, strict=True)
    ):
        xs = [s + (index - (len(timed) - 1) / 2) * bar for s in range(len(scenarios))]
        values = [_overhead(contestant, s) for s in scenarios]
        bars = axes.bar(xs, values, bar * 0.95, label=contestant["label"], color=colour)
        axes.bar_label(bars, labels=[f"{v:.1f}" for v in values], fontsize=7)
    floor = results["floor"]
    for x, value, text in (
        (1, floor["decode_three_us"], "floor: decode 3"),
        (2, floor["encode_one_us"], "floor: encode 1"),
    ):
        axes.hlines(value, x - 0.45, x + 0.45, colors="black", linestyles="dashed")
        axes.annotate(
            text,
            (x - 0.45, value),
            textcoords="offset points",
            xytext=(0, 3),
            fontsize=7,
        )
    axes.set_xticks(
        range(len(scenarios)),
        ["S1 untouched", "S2 consume (3 messages)", "S3 flash and redirect"],
    )
    axes.set_ylabel("overhead per request, µs (lower is better)")
    m = results["machine"]
    axes.set_title(
        "Flash message overhead: flashmw against Flask, Django and Starlette\n"
        f"{m['cpu']}, {m['cores']} cores, {m['python']}, {results['date'][:10]}",
        fontsize=10,
    )
    axes.legend(fontsize=8, loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
