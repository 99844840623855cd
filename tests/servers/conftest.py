"""The real-server matrix: marker, fixtures and the pass/fail table.

Every test here is marked ``servers`` and runs only under
``tox -e servers`` (which sets ``FLASHMW_SERVERS=1``); elsewhere it is
skipped with one line saying so. At the end of the run a table shows
each server, app and protocol against each check.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from . import matrix

HERE = Path(__file__).parent

#: The table's columns: check name -> heading.
CHECKS = {
    "flow": "flow",
    "stream": "stream",
    "head": "HEAD",
    "bad-cookie": "bad cookie",
    "latin1-cookie": "latin-1 cookie",
    "crumbs": "cookie crumbs",
}
#: (case id, check) -> outcome, filled in as the tests report.
OUTCOMES: dict[tuple[str, str], str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``servers`` (test_servers.py skips itself if off)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.servers)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    callspec = getattr(item, "callspec", None)
    check = item.get_closest_marker("check")
    if callspec is None or check is None or HERE not in item.path.parents:
        return report
    case: matrix.Case = callspec.params["case"]
    key = (case.id, check.args[0])
    if report.when == "call" or report.outcome != "passed":
        if hasattr(report, "wasxfail"):
            outcome = "XFAIL" if report.skipped else "XPASS"
        elif report.skipped:
            outcome = "SKIP"
        else:
            outcome = report.outcome.upper().replace("PASSED", "PASS")
            outcome = outcome.replace("FAILED", "FAIL")
        OUTCOMES.setdefault(key, outcome)
        if outcome == "FAIL":
            OUTCOMES[key] = outcome
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the server matrix as a table, when it ran."""
    if not OUTCOMES:
        return
    rows = [["server", "version", "iface", "app", "protocol", *CHECKS.values()]]
    notes: dict[str, str] = {}
    for case in matrix.cases():
        version = case.server.version()
        row = [
            case.server.name,
            version or "-",
            case.server.interface,
            case.app,
            case.protocol,
        ]
        for check in CHECKS:
            outcome = OUTCOMES.get((case.id, check), "")
            if outcome == "XFAIL":
                reason = case.known(check) or ""
                mark = f"[{len(notes) + 1}]" if reason not in notes else notes[reason]
                notes.setdefault(reason, mark)
                outcome = f"XFAIL {notes[reason]}"
            row.append(outcome)
        if not any(row[5:]):
            continue
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    write = terminalreporter.write_line
    terminalreporter.write_sep("=", "servers")
    for index, row in enumerate(rows):
        write(
            "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=False)
            ).rstrip()
        )
        if index == 0:
            write("  ".join("-" * width for width in widths))
    for reason, mark in notes.items():
        write(f"{mark} {reason}")
    for server in matrix.SERVERS:
        missing = server.missing()
        if missing:
            write(f"skipped {server.name} ({server.interface}): {missing}")


@pytest.fixture(scope="session")
def launcher(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[matrix.Launcher]:
    """Starts the server each case needs, one at a time; stops the last."""
    made: list[matrix.TLS] = []

    def tls() -> matrix.TLS:
        if not made:
            made.append(matrix.make_tls(tmp_path_factory.mktemp("tls")))
        return made[0]

    with matrix.launcher(tls) as started:
        yield started
