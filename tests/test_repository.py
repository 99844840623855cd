"""The repository itself: what git ignores must not hide tracked files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_gitignore_lists_no_tracked_file() -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to compare .gitignore with")
    # Our own fixed command line, nothing from outside the test.
    listed = subprocess.run(  # noqa: S603
        [git, "ls-files", "--cached", "--ignored", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout == "", f"tracked files that .gitignore lists:\n{listed.stdout}"
