"""Overlapping requests from one browser: no message lost, none shown twice.

Several tabs share one cookie jar. A request runs on the server when it
starts, with the cookies the jar holds then; its response reaches the jar
later, in any order with the others'. A model of the promises says, at the
start of every request, exactly what it must show:

- a message added by a request whose response arrived is shown by every
  request that reads it, until a response that consumed it arrives (or a
  clear that saw something, made by a request that started later, arrives);
- once a response that consumed a message arrived, no request shows it;
- a keyed value: the newest put wins (newest by the start of the request
  that put it); a value read, or cleared by a request that started later,
  never shows again, whatever other responses arrive afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from .conftest import ADAPTERS
from .harness import FakeClock, Harness, Result

# Limits large enough that nothing here overflows: overflow is tested apart.
ROOMY = {"max_cookies": 500, "max_total_size": 1_000_000, "max_messages": 1000}
KEYS = ["info", "error"]
CATEGORIES = ["message", "error"]


class Jar:
    """A browser's cookie jar: each ``Set-Cookie`` applies when it arrives."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def header(self) -> bytes | None:
        if not self.cookies:
            return None
        return "; ".join(f"{n}={v}" for n, v in self.cookies.items()).encode()

    def apply(self, result: Result) -> None:
        for line in result.set_cookies:
            pair, *attributes = line.split(";")
            name, _, value = pair.partition("=")
            if any(a.strip().lower() == "max-age=0" for a in attributes):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()


@dataclass
class Write:
    """What one request did, for the model."""

    start: int  # the order in which requests started (their stamp order)
    added: list[tuple[str, str]] = field(default_factory=list)  # (category, text)
    put: dict[str, str] = field(default_factory=dict)
    consumed: list[str] = field(default_factory=list)  # message texts
    read: dict[str, int] = field(default_factory=dict)  # key -> start of the put
    cleared: list[str | None] = field(default_factory=list)  # keys; None: all
    arrived: bool = False


class Model:
    """What the browser must see, from the writes that arrived."""

    def __init__(self) -> None:
        self.writes: list[Write] = []

    def _marks(self, key: str | None) -> int:
        """The newest start a clear or read hides, for ``key`` (-1: none)."""
        hidden = -1
        for write in self.writes:
            if not write.arrived:
                continue
            for cleared in write.cleared:
                if cleared is None or cleared == key:
                    # A clear hides what was written by requests that
                    # started before it.
                    hidden = max(hidden, write.start - 1)
            if key is not None and key in write.read:
                hidden = max(hidden, write.read[key])
        return hidden

    def messages(self) -> list[tuple[str, str]]:
        gone = {m for w in self.writes if w.arrived for m in w.consumed}
        everything = self._marks(None)
        return [
            message
            for write in sorted(self.writes, key=lambda w: w.start)
            if write.arrived and write.start > everything
            for message in write.added
            if message[1] not in gone
        ]

    def value(self, key: str) -> tuple[str | None, int]:
        hidden = self._marks(key)
        best: tuple[str | None, int] = (None, -1)
        for write in self.writes:
            newer = write.start > max(hidden, best[1])
            if write.arrived and key in write.put and newer:
                best = (write.put[key], write.start)
        return best


@dataclass
class Tab:
    """One tab: at most one request in flight."""

    pending: tuple[Write, Result] | None = None


_ACTIONS = st.sampled_from(
    [
        *("add", "add-error", "add-both", "show", "show-error", "peek", "keep"),
        "fail",
        *("put", "get", "clear-key", "clear"),
    ]
)
_STEP = st.one_of(
    st.tuples(st.just("start"), st.integers(0, 2), _ACTIONS, st.sampled_from(KEYS)),
    st.tuples(st.just("arrive"), st.integers(0, 2), st.just(""), st.just("")),
)


class Browser:
    """Tabs over one jar, checking each request against the model."""

    def __init__(self, harness: Harness, clock: FakeClock) -> None:
        self.harness = harness
        self.clock = clock
        self.jar = Jar()
        self.model = Model()
        self.tabs = [Tab(), Tab(), Tab()]
        self.count = 0

    def start(self, tab: int, action: str, key: str) -> None:
        if self.tabs[tab].pending is not None:
            return
        self.count += 1
        # About 2 ms per request (1/512 s: exact in binary, so no two
        # requests share a millisecond): stamps follow the order of starts.
        self.clock.advance(1 / 512)
        write = Write(start=self.count)
        expected = self.model.messages()
        text = f"m{self.count}"
        path, check = self._request(action, key, text, write, expected)
        result = self.harness.raw(self.jar.header(), path)
        check(result)
        self.model.writes.append(write)
        self.tabs[tab].pending = (write, result)

    def _request(  # noqa: PLR0911 (one return per action reads as the model)
        self,
        action: str,
        key: str,
        text: str,
        write: Write,
        expected: list[tuple[str, str]],
    ) -> tuple[str, Any]:
        shown = [[c, m] for c, m in expected]
        value, put_by = self.model.value(key)

        def shows(body: Any) -> Any:
            def check(result: Result) -> None:
                assert result.status < 500 or action == "fail"
                assert result.body == body

            return check

        if action in ("add", "add-error"):
            category = "error" if action == "add-error" else "message"
            write.added.append((category, text))
            return f"/flash?m={text}&c={category}", shows("redirect")
        if action == "add-both":
            # One write, two categories: a filtered read consumes one of
            # them and leaves the other in the same cookie.
            write.added += [("message", text), ("error", f"{text}e")]
            return f"/flash?m={text}|{text}e&c=message|error", shows("redirect")
        if action == "show":
            write.consumed = [m for _, m in expected]
            return "/show", shows(shown)
        if action == "show-error":
            errors = [[c, m] for c, m in expected if c == "error"]
            write.consumed = [m for _, m in errors]
            return "/show?c=error", shows(errors)
        if action == "peek":
            return "/show?peek=1", shows(shown)
        if action == "keep":
            return "/keep", shows([m for _, m in expected])
        if action == "fail":
            write.added.append(("message", text))
            return f"/status?s=500&m={text}", shows([*(m for _, m in expected), text])
        if action == "put":
            write.put[key] = text
            return f"/put?k={key}&v={text}", shows("redirect")
        if action == "get":
            if value is not None:
                write.read[key] = put_by
            return f"/get?k={key}", shows({key: value})
        if action == "clear-key":
            # A clear that finds nothing writes nothing.
            if value is not None:
                write.cleared.append(key)
            return f"/clear?k={key}", shows("ok")
        if expected or any(self.model.value(k)[0] is not None for k in KEYS):
            write.cleared.append(None)
        return "/clear", shows("ok")

    def arrive(self, tab: int) -> None:
        pending = self.tabs[tab].pending
        if pending is None:
            return
        write, result = pending
        self.jar.apply(result)
        write.arrived = True
        self.tabs[tab].pending = None

    def settle(self) -> None:
        """Let every response arrive, then look once more: the model says what."""
        for tab in range(3):
            self.arrive(tab)
        self.start(0, "show", "info")
        for key in KEYS:
            self.arrive(0)
            self.start(0, "get", key)


def _run(adapter: str, steps: list[tuple[str, int, str, str]]) -> None:
    clock = FakeClock()
    harness = ADAPTERS[adapter](clock=clock, **ROOMY)
    try:
        browser = Browser(harness, clock)
        for kind, tab, action, key in steps:
            if kind == "start":
                browser.start(tab, action, key)
            else:
                browser.arrive(tab)
        browser.settle()
    finally:
        harness.close()


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
@settings(max_examples=150)
@given(steps=st.lists(_STEP, max_size=30))
def test_overlapping_requests_keep_every_promise(
    adapter: str, steps: list[tuple[str, int, str, str]]
) -> None:
    _run(adapter, steps)


class OverlappingTabs(RuleBasedStateMachine):
    """The same promises as a Hypothesis state machine: tabs start and answer.

    Each rule is one event of the browser (a tab sends a request, or a
    response reaches the jar); Hypothesis picks the interleaving and shrinks
    a failure to its shortest sequence of events. Every request is checked
    against the model as it runs, and the teardown lets everything arrive
    and looks once more.
    """

    adapter = ""  # set by each adapter's subclass below

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.harness = ADAPTERS[self.adapter](clock=self.clock, **ROOMY)
        self.browser = Browser(self.harness, self.clock)

    @rule(tab=st.integers(0, 2), action=_ACTIONS, key=st.sampled_from(KEYS))
    def send(self, tab: int, action: str, key: str) -> None:
        self.browser.start(tab, action, key)

    @rule(tab=st.integers(0, 2))
    def answer(self, tab: int) -> None:
        self.browser.arrive(tab)

    def teardown(self) -> None:
        try:
            self.browser.settle()
        finally:
            self.harness.close()


class _WSGITabs(OverlappingTabs):
    adapter = "wsgi"


class _ASGITabs(OverlappingTabs):
    adapter = "asgi"


_MACHINE_SETTINGS = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestOverlappingTabsWSGI = _WSGITabs.TestCase
TestOverlappingTabsWSGI.settings = _MACHINE_SETTINGS
TestOverlappingTabsASGI = _ASGITabs.TestCase
TestOverlappingTabsASGI.settings = _MACHINE_SETTINGS


# -- the scenarios of the issue, spelled out ---------------------------------


def _scenario(adapter: str, steps: list[tuple[str, int, str, str]]) -> None:
    _run(adapter, steps)


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_a_deletion_that_arrives_last_does_not_wipe_a_new_message(
    adapter: str,
) -> None:
    # [m0] in the jar; tab A's page reads m0 while tab B's POST adds m1;
    # B's response arrives first, A's deletion last: m1 must survive.
    _scenario(
        adapter,
        [
            ("start", 0, "add", "info"),
            ("arrive", 0, "", ""),
            ("start", 1, "show", "info"),  # A reads m0
            ("start", 2, "add", "info"),  # B adds m1
            ("arrive", 2, "", ""),
            ("arrive", 1, "", ""),
            ("start", 0, "show", "info"),  # m1, once
            ("arrive", 0, "", ""),
            ("start", 0, "show", "info"),  # nothing
        ],
    )


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_a_write_that_arrives_last_does_not_bring_back_a_shown_message(
    adapter: str,
) -> None:
    # The other order: A's deletion first, then B's cookie: m0 must not
    # come back with it.
    _scenario(
        adapter,
        [
            ("start", 0, "add", "info"),
            ("arrive", 0, "", ""),
            ("start", 1, "show", "info"),
            ("start", 2, "add", "info"),
            ("arrive", 1, "", ""),
            ("arrive", 2, "", ""),
            ("start", 0, "show", "info"),
        ],
    )


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_two_concurrent_writers_both_land(adapter: str) -> None:
    _scenario(
        adapter,
        [
            ("start", 0, "add", "info"),
            ("start", 1, "add-error", "info"),
            ("start", 2, "put", "info"),
            ("arrive", 1, "", ""),
            ("arrive", 0, "", ""),
            ("arrive", 2, "", ""),
            ("start", 0, "show", "info"),
        ],
    )


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_an_older_value_arriving_late_loses_to_the_newer_one_shown(
    adapter: str,
) -> None:
    _scenario(
        adapter,
        [
            ("start", 0, "put", "info"),  # older put, slow
            ("start", 1, "put", "info"),  # newer put
            ("arrive", 1, "", ""),
            ("start", 2, "get", "info"),  # shows the newer value
            ("arrive", 2, "", ""),
            ("arrive", 0, "", ""),  # the older one lands last
            ("start", 2, "get", "info"),  # nothing: it was replaced
        ],
    )


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_a_clear_is_not_undone_by_an_older_request(adapter: str) -> None:
    _scenario(
        adapter,
        [
            ("start", 0, "put", "info"),
            ("arrive", 0, "", ""),
            ("start", 1, "put", "info"),  # started before the clear
            ("start", 2, "clear", "info"),
            ("arrive", 2, "", ""),
            ("arrive", 1, "", ""),  # lands after the clear
            ("start", 0, "get", "info"),  # still cleared
        ],
    )


def test_the_model_sees_what_the_jar_holds() -> None:
    # The checker itself: a jar applies deletions and sets in order.
    jar = Jar()
    jar.apply(Result(200, None, [("Set-Cookie", "a=1; Path=/")]))
    jar.apply(
        Result(200, None, [("Set-Cookie", "b=2"), ("Set-Cookie", "a=; Max-Age=0")])
    )
    assert jar.header() == b"b=2"


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_two_overlapping_reads_keep_both_marks(adapter: str) -> None:
    # Two tabs read different keys at once; each response carries a mark.
    # Both marks must survive whichever arrives last, or an older value
    # still on its way would show again.
    _scenario(
        adapter,
        [
            ("start", 0, "put", "info"),  # an older "info", slow
            ("start", 1, "put", "info"),
            ("arrive", 1, "", ""),
            ("start", 1, "put", "error"),
            ("arrive", 1, "", ""),
            ("start", 1, "get", "info"),  # tab 1 reads info
            ("start", 2, "get", "error"),  # tab 2 reads error
            ("arrive", 1, "", ""),
            ("arrive", 2, "", ""),
            ("arrive", 0, "", ""),  # the older "info" lands last
            ("start", 1, "get", "info"),  # still hidden by tab 1's mark
        ],
    )
