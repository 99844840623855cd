"""Run the fuzz targets only when asked for, on a budget, and count inputs.

The fuzz targets are slower than the unit tests and are run by their own tox
environment (``tox -e fuzz``), so a plain ``pytest`` or ``pytest tests``
leaves them out. They run when the command line names this directory (or a
file in it), or when ``FLASHMW_FUZZ=1`` is set.

Budget, from the environment:

- ``FLASHMW_FUZZ_EXAMPLES``: Hypothesis examples per round of each target
  (default 300).
- ``FLASHMW_FUZZ_SECONDS``: keep running rounds of each target until this
  many seconds have passed for it (default 0: one round).
- ``FLASHMW_FUZZ_REPORT``: a path to write the figures to as JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .budget import TALLIES

_HERE = Path(__file__).parent


def _requested(config: pytest.Config) -> bool:
    if os.environ.get("FLASHMW_FUZZ"):
        return True
    base = config.invocation_params.dir
    for arg in config.invocation_params.args:
        if arg.startswith("-"):
            continue
        path = (base / arg.split("::")[0]).resolve()
        if path == _HERE or _HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the fuzz targets out of runs that did not ask for them."""
    if collection_path.parent == _HERE and collection_path.name.startswith("test_"):
        return None if _requested(config) else True
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print, and optionally record, how many inputs each target tried."""
    if not TALLIES:
        return
    terminalreporter.section("flashmw fuzz figures")
    total_inputs = total_crashes = 0
    for name, tally in sorted(TALLIES.items()):
        terminalreporter.write_line(
            f"{name}: {tally.inputs} inputs, {tally.crashes} crashes, "
            f"{tally.seconds:.1f}s"
        )
        total_inputs += tally.inputs
        total_crashes += tally.crashes
    terminalreporter.write_line(
        f"total: {total_inputs} inputs, {total_crashes} crashes"
    )
    report = os.environ.get("FLASHMW_FUZZ_REPORT")
    if report:
        figures = {name: vars(tally) for name, tally in sorted(TALLIES.items())}
        Path(report).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
