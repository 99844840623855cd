"""Mutation testing of flashmw with mutmut: ``tox -e mutation``.

Runs mutmut 3 on the modules of ``flashmw/`` one module at a time, in a
scratch copy of the checkout (``build/mutation/``, kept between runs so
mutmut only re-tests the functions that changed), with the fast part of the
test suite. Then prints, per module, the mutation score and every surviving
mutant with its diff.

Two kinds of mutant do not count:

- *message* mutants, by rule, never listed: a mutant whose only change is
  the text of a string literal in a ``raise`` statement or in a call to
  ``logger.*`` or ``warnings.warn``. Messages are for people; tests that
  pin their wording are brittle, so no test is asked to kill these.
- *equivalent* mutants, listed in ``tools/mutation-equivalent.txt``, each
  with a fingerprint of its diff and a one-line reason: they behave exactly
  as the original, so no test can kill them. An entry whose fingerprint no
  longer matches (the code moved) is reported as stale and counted again.

Usage::

    python tools/mutation.py                      # every module
    python tools/mutation.py signing cookies      # these modules
    python tools/mutation.py --changed origin/main  # modules changed since a ref
    python tools/mutation.py --jobs 1 --fail-under 97

Score = killed / (all mutants - message mutants - equivalent mutants).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "mutation"
EQUIVALENT = ROOT / "tools" / "mutation-equivalent.txt"
#: What the scratch copy holds (the tests import the examples and read docs).
COPIED = ("flashmw", "tests", "examples", "docs", "README.md", "tox.ini")
#: The fast test subset: no browser, no fuzzing budget, no demo server.
TEST_SELECTION = [
    "tests",
    "--ignore=tests/browser",
    "--ignore=tests/fuzz",
    "--ignore=tests/test_demo.py",
]
#: Slimmer subsets for the core modules, whose every function most tests
#: reach: each survivor runs all the tests that cover its function, so this
#: is what a run costs. SLOW_SELECTION leaves out the docs snippets (15 of
#: the subset's 26 seconds; examples, not edge cases) and two property
#: tests of 1 to 2 seconds each; CORE_SELECTION also the ASGI half of the
#: adapter-neutral tests, for modules that never see the protocol (state.py
#: does: it builds str headers for WSGI and bytes for ASGI).
SLOW_SELECTION = [
    "--ignore=tests/test_docs.py",
    "--deselect=tests/test_bounds.py::"
    "test_any_value_with_tag_like_keys_round_trips_through_the_middleware",
    "--deselect=tests/test_asgi.py::"
    "test_hundreds_of_concurrent_clients_never_see_each_others_flashes",
]
CORE_SELECTION = [*SLOW_SELECTION, "-k", "not asgi"]
#: Per module, what its run leaves out on top of the fast subset: the
#: modules whose runs would take more than about 15 minutes on one worker.
#: (Changing this resets that module's cached verdicts.)
EXTRA_SELECTION: dict[str, list[str]] = {
    "layout": CORE_SELECTION,
    "state": SLOW_SELECTION,
    # base turns header names into the adapter's keys: both halves.
    "base": SLOW_SELECTION,
    # Only a middleware given store= reaches these modules past check_store
    # (which every construction calls: a broken check fails these tests
    # too), and every such test is in test_store*.py or docs/store.md.
    "store": ["-k", "store or redis"],
    "redis": ["-k", "store or redis"],
    # Only Django's MESSAGE_STORAGE and the PyView bridge reach these; their
    # tests (and docs pages) carry the framework's name.
    "django": ["-k", "django"],
    "pyview": ["-k", "pyview"],
    # values and signing never see the protocol either; their survivors
    # and infinite-loop timeouts cost a run of the subset each.
    "values": CORE_SELECTION,
    "signing": CORE_SELECTION,
    # The adapters need both halves of the adapter-neutral tests (and the
    # other adapter's tests cannot reach them); not the docs snippets.
    "wsgi": SLOW_SELECTION,
    "asgi": SLOW_SELECTION,
}
#: Modules with nothing to mutate (re-exports and exception classes only).
SKIPPED = {"__init__", "errors"}
#: Calls whose string arguments are messages: ``logger.x(...)``, ``warnings.warn``.
MESSAGE_CALLS = {("logger", None), ("warnings", "warn")}
KILLED = {"killed", "timeout", "caught by type check", "segfault"}

SETUP_CFG = """\
[mutmut]
source_paths = flashmw
only_mutate = flashmw/{module}.py
also_copy =
    tox.ini
    examples
    docs
    README.md
pytest_add_cli_args = -p no:cacheprovider
pytest_add_cli_args_test_selection =
{selection}
use_git_change_detection = false
"""


@dataclass
class Mutant:
    name: str
    status: str
    diff: str
    fingerprint: str
    kind: str = "real"  # "real", "message" or "equivalent"


@dataclass
class Report:
    module: str
    mutants: list[Mutant] = field(default_factory=list)

    def count(self, kind: str, status: set[str] | None = None) -> int:
        return sum(
            1
            for m in self.mutants
            if m.kind == kind and (status is None or m.status in status)
        )

    @property
    def counted(self) -> int:
        return self.count("real")

    @property
    def killed(self) -> int:
        return self.count("real", KILLED)

    @property
    def survivors(self) -> list[Mutant]:
        return [m for m in self.mutants if m.kind == "real" and m.status not in KILLED]


def modules_changed_since(ref: str) -> list[str]:
    """Return the modules of flashmw/ that differ from ``ref`` (committed or not)."""
    output = subprocess.run(  # noqa: S603
        ["git", "diff", "--name-only", ref, "--", "flashmw/"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "flashmw/"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {
        Path(line).stem for line in (output + untracked).split() if line.endswith(".py")
    }
    return sorted(name for name in names if (ROOT / "flashmw" / f"{name}.py").exists())


def all_modules() -> list[str]:
    return sorted(p.stem for p in (ROOT / "flashmw").glob("*.py"))


def scratch(module: str) -> Path:
    """The scratch copy for one module: mutmut keeps its cache there."""
    return BUILD / module


def sync_scratch(module: str) -> None:
    """Refresh the scratch copy of the checkout, keeping mutmut's cache."""
    work = scratch(module)
    work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source, target = ROOT / name, work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if source.is_dir():
            shutil.copytree(
                source, target, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, target)


def tests_fingerprint() -> str:
    """A hash of every file under tests/: it changes when a test is added."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "tests").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_mutmut(module: str, jobs: int, retest: list[str] | None = None) -> None:
    """Run mutmut on ``module``; with ``retest``, re-run only those mutants.

    mutmut keeps a verdict until the function it mutates changes, so a
    survivor stays a survivor after a test that kills it is added: the
    caller passes the last run's survivors when the tests have changed.
    """
    work = scratch(module)
    arguments = [*TEST_SELECTION, *EXTRA_SELECTION.get(module, [])]
    selection = "\n".join(f"    {arg}" for arg in arguments)
    (work / "setup.cfg").write_text(
        SETUP_CFG.format(module=module, selection=selection)
    )
    env = {**os.environ, "HYPOTHESIS_PROFILE": "dev"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    what = f"{len(retest)} survivor(s) of " if retest else ""
    print(f"== mutmut on {what}flashmw/{module}.py ({jobs} worker(s))", flush=True)
    subprocess.run(  # noqa: S603 (our own command line)
        [
            sys.executable,
            "-m",
            "mutmut",
            "run",
            "--max-children",
            str(jobs),
            *(retest or []),
        ],
        cwd=work,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,  # a spinner; the verdicts are read below
    )


def mutate(
    module: str, jobs: int, equivalents: dict[str, tuple[str, str]], stale: list[str]
) -> Report:
    """Run mutmut on ``module`` and return its report.

    A mutant that survived an earlier run is tested again when the tests
    have changed since (mutmut alone would keep its verdict until the code
    it mutates changes).
    """
    sync_scratch(module)
    fingerprint = tests_fingerprint()  # of the tests this run uses
    mark = scratch(module) / "tests.sha256"
    meta = scratch(module) / "mutants" / "flashmw" / f"{module}.py.meta"
    decided: set[str] = set()
    if meta.exists():
        verdicts = json.loads(meta.read_text())["exit_code_by_key"]
        decided = {name for name, code in verdicts.items() if code is not None}
    run_mutmut(module, jobs)
    report = collect(module, equivalents, stale)
    if decided and (not mark.exists() or mark.read_text() != fingerprint):
        retest = [m.name for m in report.survivors if m.name in decided]
        if retest:
            run_mutmut(module, jobs, retest)
            report = collect(module, equivalents, stale)
    mark.write_text(fingerprint)
    return report


def message_lines(source: str) -> set[str]:
    """Return the stripped lines of every raise and message call in ``source``.

    A message built first (``message = "..."``, then ``raise X(message)``)
    counts too: its assignment is the message.
    """
    lines = source.splitlines()
    found: set[str] = set()

    def add(node: ast.AST) -> None:
        start = getattr(node, "lineno", 1)
        end = getattr(node, "end_lineno", None) or start
        found.update(line.strip() for line in lines[start - 1 : end])

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) or (
            isinstance(node, ast.Call) and _is_message_call(node.func)
        ):
            add(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for assign in _message_assignments(node):
                add(assign)
    return found


def _message_assignments(function: ast.AST) -> list[ast.Assign]:
    """The ``name = <str>`` assignments whose name is raised as ``X(name)``."""
    raised = {
        arg.id
        for node in ast.walk(function)
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
        for arg in node.exc.args
        if isinstance(arg, ast.Name)
    }
    return [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in raised
        and isinstance(node.value, (ast.Constant, ast.JoinedStr, ast.BinOp))
    ]


def _is_message_call(func: ast.expr) -> bool:
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return False
    return (func.value.id, None) in MESSAGE_CALLS or (
        func.value.id,
        func.attr,
    ) in MESSAGE_CALLS


def _code_tokens(line: str) -> list[str]:
    """The tokens of a line of code, with every string literal blanked."""
    try:
        tokens = list(
            tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
        )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [line]
    return [
        "<str>" if tok.type == tokenize.STRING else tok.string
        for tok in tokens
        if tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]


def _message_tokens(lines: list[str]) -> list[str]:
    """Tokens of ``lines`` with each run of string literals (or ``None``) as one."""
    out: list[str] = []
    for line in lines:
        for code in _code_tokens(line):
            blank = "<str>" if code == "None" else code
            if blank == "<str>" and out and out[-1] == blank:
                continue
            out.append(blank)
    return out


def is_message_mutant(diff: str, messages: set[str]) -> bool:
    """Tell whether a mutant only changes (or drops) the text of a message."""
    body = diff.splitlines()[2:]
    removed = [line[1:] for line in body if line.startswith("-")]
    added = [line[1:] for line in body if line.startswith("+")]
    if not removed or not all(line.strip() in messages for line in removed):
        return False
    return _message_tokens(removed) == _message_tokens(added)


def load_equivalents() -> dict[str, tuple[str, str]]:
    """Return ``{mutant name: (fingerprint, reason)}`` from the list."""
    entries: dict[str, tuple[str, str]] = {}
    if not EQUIVALENT.exists():
        return entries
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, fingerprint, reason = line.split(maxsplit=2)
        entries[name] = (fingerprint, reason)
    return entries


def collect(
    module: str, equivalents: dict[str, tuple[str, str]], stale: list[str]
) -> Report:
    """Read mutmut's verdicts for one module and classify its mutants."""
    work = scratch(module)
    sys.path.insert(0, str(work))
    cwd = Path.cwd()
    os.chdir(work)
    try:
        # Imported here: mutmut reads its config from the working directory.
        from mutmut.configuration import reset_config  # noqa: PLC0415
        from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: PLC0415
        from mutmut.stats import status_by_exit_code  # noqa: PLC0415

        reset_config()  # mutmut caches the first module's config
        path = f"flashmw/{module}.py"
        meta = json.loads(Path("mutants", path + ".meta").read_text())
        messages = message_lines(Path(path).read_text(encoding="utf-8"))
        report = Report(module)
        for name, code in sorted(meta["exit_code_by_key"].items(), key=_natural):
            diff = get_diff_for_mutant(name, path=path)
            status = status_by_exit_code[code]
            report.mutants.append(
                _classify(name, status, diff, messages, equivalents, stale)
            )
        # The next module's run puts this module's file back unmutated: keep
        # the diffs now, for --report-only.
        saved = [[m.name, m.status, m.diff] for m in report.mutants]
        (work / f"report-{module}.json").write_text(json.dumps(saved))
        return report
    finally:
        os.chdir(cwd)
        sys.path.remove(str(work))


def load_report(
    module: str, equivalents: dict[str, tuple[str, str]], stale: list[str]
) -> Report:
    """Return the report the last run of ``module`` saved, classified anew."""
    work = scratch(module)
    saved = json.loads((work / f"report-{module}.json").read_text())
    messages = message_lines((ROOT / "flashmw" / f"{module}.py").read_text("utf-8"))
    report = Report(module)
    for name, status, diff in saved:
        report.mutants.append(
            _classify(name, status, diff, messages, equivalents, stale)
        )
    return report


def _classify(  # noqa: PLR0917
    name: str,
    status: str,
    diff: str,
    messages: set[str],
    equivalents: dict[str, tuple[str, str]],
    stale: list[str],
) -> Mutant:
    body = "\n".join(diff.splitlines()[2:])
    mutant = Mutant(name, status, diff, hashlib.sha256(body.encode()).hexdigest()[:10])
    if is_message_mutant(diff, messages):
        mutant.kind = "message"
    elif name in equivalents:
        if equivalents[name][0] == mutant.fingerprint:
            mutant.kind = "equivalent"
        else:
            stale.append(name)
    return mutant


def _natural(item: tuple[str, object]) -> tuple[str, int]:
    head, _, number = item[0].rpartition("_")
    return head, int(number) if number.isdigit() else 0


def print_reports(reports: list[Report], stale: list[str]) -> float:
    print()
    print(
        f"{'module':<10} {'mutants':>7} {'message':>7} {'equiv':>5} {'counted':>7} "
        f"{'killed':>6} {'survived':>8} {'score':>7}"
    )
    counted = killed = 0
    for r in reports:
        score = 100.0 * r.killed / r.counted if r.counted else 100.0
        print(
            f"{r.module:<10} {len(r.mutants):>7} {r.count('message'):>7} "
            f"{r.count('equivalent'):>5} {r.counted:>7} {r.killed:>6} "
            f"{len(r.survivors):>8} {score:>6.1f}%"
        )
        counted += r.counted
        killed += r.killed
    total = 100.0 * killed / counted if counted else 100.0
    print(
        f"{'total':<10} {'':>7} {'':>7} {'':>5} {counted:>7} {killed:>6} "
        f"{counted - killed:>8} {total:>6.1f}%"
    )
    for r in reports:
        for m in r.survivors:
            print(f"\n-- {m.name} ({m.status}, fingerprint {m.fingerprint})")
            print("\n".join(m.diff.splitlines()[2:]))
    for name in stale:
        print(f"\nstale entry in {EQUIVALENT.name} (re-examine): {name}")
    return total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module names, e.g. signing")
    parser.add_argument(
        "--changed", "--since", metavar="REF", help="only modules changed since REF"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="mutmut workers (default 2)"
    )
    parser.add_argument(
        "--fail-under", type=float, default=0.0, help="minimum score in %%"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="do not run mutmut; report the last results",
    )
    args = parser.parse_args(argv)
    modules = args.modules or (
        modules_changed_since(args.changed) if args.changed else all_modules()
    )
    modules = [m for m in modules if m not in SKIPPED]
    unknown = [m for m in modules if not (ROOT / "flashmw" / f"{m}.py").exists()]
    if unknown:
        parser.error(f"no such module in flashmw/: {', '.join(unknown)}")
    if not modules:
        print("no module to mutate")
        return 0
    equivalents = load_equivalents()
    stale: list[str] = []
    reports = []
    for module in modules:
        if args.report_only:
            reports.append(load_report(module, equivalents, stale))
            continue
        reports.append(mutate(module, args.jobs, equivalents, stale))
    score = print_reports(reports, stale)
    if score < args.fail_under:
        print(f"\nmutation score {score:.1f}% is under {args.fail_under}%")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
