"""Every Python snippet in README.md and docs/*.md runs, as written.

Each page's ```python blocks run in order, in one namespace, in a fresh
interpreter (pages may configure Django or start servers, which must not
leak into the other tests), with ``FLASH_SECRET`` set to a test secret. A
block whose first line is ``# not run`` is shown but skipped. The source
handed to Python keeps the page's line numbers, so a traceback names the
page and the line that broke.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import SECRET

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = "# not run"
_FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")


def python_source(markdown: str) -> str:
    """Return the page's runnable Python, every other line left blank.

    Blocks are fenced with ``` or ~~~ and the info string ``python``; the
    result has as many lines as the page, so line numbers match it.
    """
    out: list[str] = []
    fence: str | None = None
    keep = False
    first = False
    for line in markdown.splitlines():
        if fence is None:
            opened = _FENCE.match(line)
            if opened:
                fence = opened.group(1)
                keep = opened.group(2).strip() == "python"
                first = True
            out.append("")
            continue
        if line.strip() == fence:
            fence = None
            out.append("")
            continue
        if first:
            first = False
            if line.strip().startswith(SKIP):
                keep = False
        out.append(line if keep else "")
    return "\n".join(out) + "\n"


RUNNER = """
import sys
from pathlib import Path
from tests.test_docs import python_source
path = sys.argv[1]
code = compile(python_source(Path(path).read_text(encoding="utf-8")), path, "exec")
exec(code, {"__name__": "__main__"})
"""


def run_page(path: Path) -> subprocess.CompletedProcess[str]:
    """Run a page's snippets in a fresh interpreter from the repository root."""
    return subprocess.run(  # noqa: S603 (our own interpreter and runner)
        [sys.executable, "-c", RUNNER, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLASH_SECRET": SECRET, "PYTHONWARNINGS": "error"},
        check=False,
    )


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_snippet_runs(page: Path) -> None:
    result = run_page(page)
    assert result.returncode == 0, result.stderr


def test_a_broken_snippet_fails_and_names_its_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n```python\nx = 1\n```\n\nText.\n\n```python\nassert x == 2\n```\n"
    )
    result = run_page(page)
    assert result.returncode != 0
    assert f'File "{page}", line 10' in result.stderr
    assert "AssertionError" in result.stderr


def test_blocks_run_in_order_and_not_run_blocks_are_skipped(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n"
        "```python\n# not run\nraise SystemExit(3)\n```\n"
        "```pycon\n>>> raise SystemExit(4)\n```\n"
        "~~~python\nx += 1\n~~~\n"
        "```python\nimport os\nassert x == 2 and os.environ['FLASH_SECRET']\n```\n"
    )
    result = run_page(page)
    assert result.returncode == 0, result.stderr


def test_python_source_keeps_line_numbers() -> None:
    page = "text\n```python\na = 1\n```\nmore\n"
    assert python_source(page).splitlines() == ["", "", "a = 1", "", ""]
