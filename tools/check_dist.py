"""Build flashmw as a packager would and test what users install.

``tox -e package`` runs this. It fails unless:

1. ``python -m build`` (isolated; the wheel is built from the sdist) prints
   no warning;
2. ``twine check --strict`` passes both distributions (the long description
   renders on a package index);
3. the wheel holds exactly the files in ``tests/packaging/expected-wheel.txt``
   (package data and ``py.typed`` in, tests and examples out) and the sdist
   holds the license, the changelog and the test suite;
4. the test suite passes against the wheel installed, with its declared
   dependencies, in a fresh virtualenv, run from a copy of the checkout
   without the ``flashmw`` directory, so only the installed package can be
   imported.

Arguments after ``--`` go to pytest, e.g. ``tox -e package -- -x -q``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_WHEEL = ROOT / "tests" / "packaging" / "expected-wheel.txt"
#: Files an sdist must carry, relative to its top directory.
SDIST_REQUIRED = (
    "LICENSE",
    "CHANGES.md",
    "README.md",
    "PKG-INFO",
    "tox.ini",
    "tests/conftest.py",
    "tests/harness.py",
    "tests/fixtures/cookies-0.1.0.json",
)
#: Names that never belong in a distribution.
STRAY = re.compile(r"(^|/)(__pycache__|\.tox|\.git|mutants|build|dist)(/|$)|\.py[co]$")
#: Not copied for the test run: the package itself, and local clutter.
NOT_COPIED = shutil.ignore_patterns(
    "flashmw",
    "*.egg-info",
    ".git",
    ".tox",
    "build",
    "dist",
    "mutants",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


def run(
    command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """Run ``command``, echo its output, and return it; exit if it fails."""
    print("$", " ".join(command), flush=True)
    result = subprocess.run(  # noqa: S603 (our own fixed commands)
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
    )
    print(result.stdout, end="", flush=True)
    if result.returncode:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}")
    return result.stdout


def build(outdir: Path) -> tuple[Path, Path]:
    """Build the sdist and, from it, the wheel; fail on any warning."""
    env = dict(os.environ)
    # With this set, setuptools warns that it skips byte-compiling: a
    # warning about the shell, not about the package.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    output = run(
        [sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)], env=env
    )
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    if warnings:
        raise SystemExit("the build printed warnings:\n" + "\n".join(warnings))
    (sdist,) = outdir.glob("*.tar.gz")
    (wheel,) = outdir.glob("*.whl")
    return sdist, wheel


def expected_wheel_files() -> list[str]:
    lines = EXPECTED_WHEEL.read_text(encoding="utf-8").splitlines()
    return sorted(line for line in lines if line and not line.startswith("#"))


def check_wheel(wheel: Path) -> None:
    """Compare the wheel's files with the expected list, version aside."""
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if not name.endswith("/")]
    actual = sorted(
        re.sub(r"^flashmw-[^/]+\.dist-info/", "flashmw-*.dist-info/", name)
        for name in names
    )
    expected = expected_wheel_files()
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing or extra:
        raise SystemExit(
            f"{wheel.name} differs from {EXPECTED_WHEEL.relative_to(ROOT)}:\n"
            + "".join(f"  missing: {name}\n" for name in missing)
            + "".join(f"  unexpected: {name}\n" for name in extra)
        )
    print(f"{wheel.name}: the {len(actual)} expected files")


def check_sdist(sdist: Path) -> None:
    """The sdist carries the license, the changelog and a runnable suite."""
    with tarfile.open(sdist) as archive:
        names = [name.partition("/")[2] for name in archive.getnames()]
    missing = [name for name in SDIST_REQUIRED if name not in names]
    stray = [name for name in names if STRAY.search(name)]
    if missing or stray:
        raise SystemExit(
            f"{sdist.name}: missing {missing or 'nothing'}, stray {stray or 'none'}"
        )
    print(f"{sdist.name}: {len(names)} entries, with {', '.join(SDIST_REQUIRED)}")


def test_installed(wheel: Path, work: Path, pytest_args: list[str]) -> None:
    """Run the test suite against ``wheel`` installed in a fresh virtualenv."""
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run([str(python), "-m", "pip", "install", "-q", f"{wheel}[test]"])
    checkout = work / "checkout"
    shutil.copytree(ROOT, checkout, ignore=NOT_COPIED)
    where = run(
        [str(python), "-c", "import flashmw; print(flashmw.__file__)"], cwd=checkout
    ).strip()
    if not Path(where).is_relative_to(venv):
        raise SystemExit(f"flashmw imported from {where}, not from the wheel")
    run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", *pytest_args],
        cwd=checkout,
    )


def main(argv: list[str]) -> None:
    """Build, check and test; any failure exits non-zero with the reason."""
    with tempfile.TemporaryDirectory(prefix="flashmw-package-") as temp:
        work = Path(temp)
        sdist, wheel = build(work / "dist")
        run(
            [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)]
        )
        check_wheel(wheel)
        check_sdist(sdist)
        test_installed(wheel, work, argv)
    print("package: built without warnings, checked, and tested as installed")


if __name__ == "__main__":
    main(sys.argv[1:])
