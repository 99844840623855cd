"""The cookie layout's rules that mutation testing found unpinned (issue 16).

Each test fails on at least one mutant of ``flashmw/layout.py`` that the
rest of the suite let through. They speak in requests, responses and the
cookie jar; the forged cookies are signed with the harness's own key, so
only the layout's checks stand between them and the app.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from flashmw import Flash, layout
from flashmw.testing import make_cookie

from .conftest import MakeHarness
from .harness import ROUTES, SECRET, FakeClock, Harness, Reply

WRITE = "abcdefgh"  # a write id as the layout makes them: 8 characters


@pytest.fixture
def route(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Add a route to the scenario app for one test."""

    def add(path: str, handler: Any) -> None:
        monkeypatch.setitem(ROUTES, path, handler)

    return add


def forge(harness: Harness, suffix: str, document: Any) -> bytes:
    """Return ``flash.<suffix>=<value>``: ``document`` signed with the app's key."""
    mw = harness.app
    value = mw._signer.sign(json.dumps(document).encode(), mw._clock())
    return f"flash.{suffix}={value}".encode()


def message_document(suffix: str, stamps: Any) -> Any:
    """A message cookie's document; ``stamps``: ``[[ms, write id], [call numbers]]``."""
    return [[["message", "hi"]], [["m", [suffix, stamps]]]]


def now_ms(clock: FakeClock) -> int:
    return int(clock() * 1000)


def one_write(clock: FakeClock) -> Any:
    """The stamps of one message written now."""
    return [[now_ms(clock), WRITE], [1]]


def test_a_well_formed_forged_message_cookie_reads(
    harness: Harness, clock: FakeClock
) -> None:
    # The control for the malformed ones below: the same cookie, well formed.
    cookie = forge(harness, "abc", message_document("abc", one_write(clock)))
    assert harness.raw(cookie).body == [["message", "hi"]]


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param([["now", WRITE], [1], [7]], id="one-part-too-many"),
        pytest.param([["now", WRITE]], id="one-part-too-few"),
        pytest.param([["now", WRITE, 1], [1]], id="write-of-three"),
        pytest.param([["now"], [1]], id="write-of-one"),
        pytest.param(["now", [1]], id="write-not-a-list"),
        pytest.param([["now", 5], [1]], id="write-id-not-str"),
        pytest.param([["1800000000000", WRITE], [1]], id="milliseconds-not-int"),
        pytest.param([["now", WRITE], ["1"]], id="sequence-not-int"),
        pytest.param([["now", WRITE], 1], id="sequences-not-a-list"),
        pytest.param([["now", WRITE], [1, 2]], id="a-sequence-too-many"),
        pytest.param([["now", WRITE], []], id="a-sequence-too-few"),
        pytest.param({"now": WRITE}, id="not-a-list"),
    ],
)
def test_a_malformed_stamp_reads_as_empty(
    harness: Harness, clock: FakeClock, stamp: Any
) -> None:
    if type(stamp) is list and type(stamp[0]) is list:
        stamp[0] = [now_ms(clock) if part == "now" else part for part in stamp[0]]
    response = harness.raw(forge(harness, "abc", message_document("abc", stamp)))
    assert response.status == 200
    assert response.body == []
    # ... and the response deletes the cookie that can never show.
    assert any("flash.abc=" in h and "Max-Age=0" in h for h in response.set_cookies)


def _keys_of(items: list[Any]) -> Any:
    """A JSON object as long as ``items``, whose keys are two-letter text.

    Iterating it yields as many items as iterating ``items`` does, and a
    two-letter key even unpacks into a pair: only a type check tells it
    from the list it stands in for.
    """
    return {f"{chr(97 + index)}{chr(97 + index)}": index for index in range(len(items))}


@pytest.mark.parametrize(
    "position",
    ["document", "entries", "meta", "head", "body", "stamps", "written", "seqs"],
)
def test_a_dict_that_iterates_like_the_list_reads_as_empty(
    harness: Harness, clock: FakeClock, position: str
) -> None:
    # A document signed with the server's key, the right shape in all but
    # the type of one container: an object of the same length. Unpacking
    # alone would take some of them (a two-letter key as an entry is the
    # pair ("a", "a")); every one reads as empty.
    written: Any = [now_ms(clock), WRITE]
    seqs: Any = [1]
    entries: Any = [["message", "hi"]]
    if position == "written":
        written = _keys_of(written)
    if position == "seqs":
        seqs = _keys_of(seqs)
    if position == "entries":
        entries = _keys_of(entries)
    stamps: Any = [written, seqs]
    if position == "stamps":
        stamps = _keys_of(stamps)
    body: Any = ["abc", stamps]
    if position == "body":
        body = _keys_of(body)
    head: Any = ["m", body]
    if position == "head":
        head = _keys_of(head)
    meta: Any = [head]
    if position == "meta":
        meta = _keys_of(meta)
    document: Any = [entries, meta]
    if position == "document":
        document = _keys_of(document)
    response = harness.raw(forge(harness, "abc", document))
    assert response.status == 200
    assert response.body == []


@pytest.mark.parametrize(
    "position",
    [
        "document",
        "entries",
        "meta",
        "head",
        "body",
        "stamps",
        "written",
        "seqs",
        "item",
    ],
)
def test_decode_refuses_a_number_for_a_list_with_a_value_error(
    harness: Harness, clock: FakeClock, position: str
) -> None:
    # decode's contract (flashmw.testing relies on it): a ValueError for
    # anything but a cookie this layout wrote, never a TypeError.
    parts: dict[str, Any] = {"written": [now_ms(clock), WRITE], "seqs": [1]}
    parts["item"] = ["message", "hi"]
    parts["entries"] = [parts["item"]]
    parts["stamps"] = [parts["written"], parts["seqs"]]
    parts["body"] = ["abc", parts["stamps"]]
    parts["head"] = ["m", parts["body"]]
    parts["meta"] = [parts["head"]]
    parts["document"] = [parts["entries"], parts["meta"]]
    container = next(
        (p for p in parts.values() if any(v is parts[position] for v in p)),
        None,
    )
    if container is None:
        parts["document"] = 5
    else:
        container[[v is parts[position] for v in container].index(True)] = 5
    mw = harness.app
    value = mw._signer.sign(json.dumps(parts["document"]).encode(), mw._clock())
    with pytest.raises(ValueError, match=r"payload|stamp"):
        layout.decode(mw, "flash.abc", value, mw._clock())


def test_decode_refuses_a_number_for_a_mark_cookies_stamps(harness: Harness) -> None:
    # The same contract for a mark cookie, whose stamps are one per entry.
    mw = harness.app
    document = [[["", 1]], [["x", ["abc", 5]]]]
    value = mw._signer.sign(json.dumps(document).encode(), mw._clock())
    with pytest.raises(ValueError, match=r"not a flash cookie"):
        layout.decode(mw, "flash.abc", value, mw._clock())


def test_a_malformed_mark_stamp_hides_nothing(
    harness: Harness, clock: FakeClock
) -> None:
    # A clear-everything mark whose stamp has a fifth element is not a mark:
    # the message written before it still shows.
    message = forge(harness, "abc", message_document("abc", one_write(clock)))
    stamp: list[Any] = [now_ms(clock), WRITE, 2, int(clock())]
    mark: Any = [[["", 1]], [["x", ["def", [[*stamp, 0]]]]]]
    response = harness.raw(message + b"; " + forge(harness, "def", mark))
    assert response.body == [["message", "hi"]]
    # The control: the same mark, well formed, hides it.
    mark = [[["", 1]], [["x", ["def", [stamp]]]]]
    response = harness.raw(message + b"; " + forge(harness, "def", mark))
    assert response.body == []


@pytest.mark.parametrize(
    ("everything", "made"),
    [
        pytest.param(2, "now", id="flag-not-0-or-1"),
        pytest.param(1, "1800000000", id="time-made-not-int"),
    ],
)
def test_a_malformed_mark_reads_as_no_mark(
    harness: Harness, clock: FakeClock, everything: int, made: Any
) -> None:
    message = forge(harness, "abc", message_document("abc", one_write(clock)))
    made = int(clock()) if made == "now" else made
    mark = [[["", everything]], [["x", ["def", [[now_ms(clock), WRITE, 2, made]]]]]]
    response = harness.raw(message + b"; " + forge(harness, "def", mark))
    assert response.status == 200
    assert response.body == [["message", "hi"]]


@pytest.mark.parametrize(("keys", "shown"), [(("k", "k"), None), (("j", "k"), "2")])
def test_a_value_cookie_with_a_key_twice_reads_as_empty(
    harness: Harness, clock: FakeClock, route: Any, keys: tuple[str, str], shown: Any
) -> None:
    route("/get-k", lambda flash, args: Reply(body=flash.get("k")))
    stamps = [[now_ms(clock), WRITE], [1, 2]]
    document = [[[keys[0], "1"], [keys[1], "2"]], [["v", ["abc", stamps]]]]
    assert harness.raw(forge(harness, "abc", document), "/get-k").body == shown


def test_a_cookie_of_two_kinds_reads_as_empty(
    harness: Harness, clock: FakeClock
) -> None:
    stamps = [[now_ms(clock), WRITE], [1]]
    document = [[["message", "hi"]], [["m", ["abc", stamps]], ["v", ["abc", stamps]]]]
    assert harness.raw(forge(harness, "abc", document)).body == []


def _pair(set_cookie: str) -> str:
    return set_cookie.split(";", maxsplit=1)[0]


@pytest.mark.parametrize("encrypt", [False, True], ids=["signed", "encrypted"])
def test_a_value_read_from_a_0_1_cookie_is_older_than_a_later_put(
    make: MakeHarness, clock: FakeClock, route: Any, encrypt: bool
) -> None:
    """A 0.1 cookie's entries are stamped at its signing time, in milliseconds.

    Tab 1 reads a value from a 0.1 cookie (its response marks the value
    read, at that stamp); tab 2, which never saw the old cookie, puts a new
    value a second later. The new value is newer than the mark: it shows.
    (An encrypted 0.1 cookie seals its signing time: its entries count from
    the request that reads it.)
    """
    route("/get-info", lambda flash, args: Reply(body=flash.get("info")))
    route("/put-new", lambda flash, args: Reply(body=flash.put("info", "new")))
    harness = make(encrypt=encrypt)
    options = {"secret_key": SECRET, "clock": clock, "encrypt": encrypt}
    legacy = make_cookie(options, [], {"info": "old"})
    read = harness.raw(legacy.header.encode(), "/get-info")
    assert read.body == "old"
    clock.advance(1)
    put = harness.raw(None, "/put-new")
    jar = [_pair(header) for header in read.set_cookies + put.set_cookies]
    live = "; ".join(pair for pair in jar if not pair.endswith("="))
    assert harness.raw(live.encode(), "/get-info").body == "new"


@pytest.mark.parametrize("slack", [0, -1])
def test_the_total_size_budget_counts_each_stored_cookie_exactly(
    make: MakeHarness, slack: int
) -> None:
    """``max_total_size`` counts ``name=value; `` for each cookie, to the byte.

    Two writes make two cookies. A budget of exactly their size keeps both;
    one byte less drops the older.
    """
    probe = make()
    first = _pair(probe.open("/add?m=one").set_cookies[0])
    second = _pair(probe.open("/add?m=two").set_cookies[0])
    total = len(first) + 2 + len(second) + 2
    harness = make(max_total_size=total + slack)
    harness.open("/add?m=one")
    harness.open("/add?m=two")
    shown = [message for _, message in harness.open("/show").body]
    assert shown == (["one", "two"] if slack == 0 else ["two"])


def _live(*responses: Any) -> bytes:
    """The jar after ``responses`` reach the browser in this order."""
    jar: dict[str, str] = {}
    for response in responses:
        for header in response.set_cookies:
            name, _, value = _pair(header).partition("=")
            if "Max-Age=0" in header:
                jar.pop(name, None)
            else:
                jar[name] = value
    return "; ".join(f"{n}={v}" for n, v in jar.items()).encode()


def test_a_value_read_hides_an_older_value_that_arrives_late(
    harness: Harness, clock: FakeClock, route: Any
) -> None:
    """A read marks its key: an older value of that key arriving later stays hidden.

    Tab A puts ``info`` first, but its response is slow. Tab B puts
    ``info`` later and tab C reads it. When A's response lands at last,
    its older value must not show.
    """
    route("/put-v", lambda flash, args: Reply(body=flash.put("info", "A")))
    route("/put-w", lambda flash, args: Reply(body=flash.put("info", "B")))
    route("/get-info", lambda flash, args: Reply(body=flash.get("info")))
    slow = harness.raw(None, "/put-v")
    clock.advance(1)
    put = harness.raw(None, "/put-w")
    clock.advance(1)
    read = harness.raw(_live(put), "/get-info")
    assert read.body == "B"
    assert harness.raw(_live(put, read, slow), "/get-info").body is None
    # The control: without the read, A's older value loses to B's anyway.
    assert harness.raw(_live(put, slow), "/get-info").body == "B"


def test_clear_hides_older_messages_that_arrive_late(
    harness: Harness, clock: FakeClock, route: Any
) -> None:
    route("/add-late", lambda flash, args: Reply(body=flash.add("late")))
    route("/add-first", lambda flash, args: Reply(body=flash.add("first")))
    route("/clear-all", lambda flash, args: Reply(body=flash.clear()))
    slow = harness.raw(None, "/add-late")
    clock.advance(1)
    first = harness.raw(None, "/add-first")
    clock.advance(1)
    cleared = harness.raw(_live(first), "/clear-all")
    assert harness.raw(_live(first, cleared, slow)).body == []
    # The control: a message written after the clear shows.
    clock.advance(1)
    after = harness.raw(None, "/add-late")
    assert harness.raw(_live(first, cleared, after)).body == [["message", "late"]]


def _change_one(flash: Flash, args: dict[str, str]) -> Reply:
    flash["changed"].append(object())
    flash.add("new")
    flash.keep()
    return Reply(body="changed")


def test_rewriting_a_0_1_cookie_leaves_out_only_the_changed_value(
    make: MakeHarness, route: Any
) -> None:
    route("/change-one", _change_one)
    harness = make()
    cookie = make_cookie(harness.app, [], {"changed": ["ok"], "intact": "kept"})
    harness.put_in_jar(cookie.value, cookie.name)
    assert harness.open("/change-one").body == "changed"
    shown = harness.open("/get?k=changed,intact").body
    assert shown == {"changed": None, "intact": "kept"}


def _document(set_cookie: str) -> tuple[str, Any]:
    """The write id and the decoded document of a flash cookie being set."""
    name, _, value = _pair(set_cookie).partition("=")
    payload = value.split(".", maxsplit=1)[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return name.removeprefix("flash.")[:8], json.loads(data)


def test_the_layout_documents_are_known(harness: Harness) -> None:
    """The document each kind of cookie holds, to the byte (a format vector).

    ``[entries, [[kind, [suffix, stamps]]]]``. A cookie of messages or values
    holds one request's write: its stamps are ``[[milliseconds, write id],
    [call number of each entry]]``. A mark cookie's stamps are one per
    entry, ``[milliseconds, write id, call number, second made]``, and its
    entry is ``[key, 0]``, or ``["", 1]`` for everything.
    """
    ms, second = 1_800_000_000_000, 1_800_000_000
    (added,) = harness.open("/add?m=Hi&c=info").set_cookies
    write, document = _document(added)
    assert document == [
        [["info", "Hi"]],
        [["m", [f"{write}0", [[ms, write], [1]]]]],
    ]
    deleted, marked = harness.open("/clear").set_cookies
    assert deleted.startswith(f"flash.{write}0=;")
    cleared, document = _document(marked)
    assert document == [
        [["", 1]],
        [["x", [f"{cleared}0", [[ms + 1, cleared, 1, second]]]]],
    ]
    put, *_ = harness.open("/add?k=k&v=v").set_cookies
    put_write, document = _document(put)
    assert document == [
        [["k", "v"]],
        [["v", [f"{put_write}0", [[ms + 2, put_write], [1]]]]],
    ]
    read = [c for c in harness.open("/get?k=k").set_cookies if "Max-Age=0" not in c]
    (marked,) = [c for c in read if "Max-Age=60" in c]
    write, document = _document(marked)
    # The read's mark, merged with the clear's mark it found.
    stamps = [[ms + 1, cleared, 1, second], [ms + 2, put_write, 1, second]]
    assert document == [[["", 1], ["k", 0]], [["x", [f"{write}0", stamps]]]]


def test_two_tabs_reading_different_keys_both_mark_them_read(
    harness: Harness, clock: FakeClock, route: Any
) -> None:
    """Two overlapping requests that only read write marks under distinct names.

    Tab 1 shows ``a`` while tab 2 shows ``b``, both from the same cookie;
    whichever response lands last, neither value shows a second time.
    """
    route(
        "/put-ab",
        lambda flash, args: Reply(body=[flash.put("a", "A"), flash.put("b", "B")]),
    )
    route("/get-a", lambda flash, args: Reply(body=flash.get("a")))
    route("/get-b", lambda flash, args: Reply(body=flash.get("b")))
    route("/get-ab", lambda flash, args: Reply(body=[flash.get("a"), flash.get("b")]))
    put = harness.raw(None, "/put-ab")
    clock.advance(1)
    first, second = harness.raw(_live(put), "/get-a"), harness.raw(_live(put), "/get-b")
    assert (first.body, second.body) == ("A", "B")
    # Tab 1's read hides only ``a``: ``b``, in the same cookie, still shows.
    assert harness.raw(_live(put, first), "/get-ab").body == [None, "B"]
    assert harness.raw(_live(put, first, second), "/get-ab").body == [None, None]
    assert harness.raw(_live(put, second, first), "/get-ab").body == [None, None]


@pytest.mark.parametrize(
    ("count", "suffixes"),
    [
        (2, ["0a", "0b"]),
        (3, ["0a", "0ba", "0bb"]),
        (4, ["0aa", "0ab", "0ba", "0bb"]),
    ],
)
def test_a_write_too_big_for_one_cookie_is_split_in_halves(
    make: MakeHarness, count: int, suffixes: list[str]
) -> None:
    """Messages that do not fit one cookie go into halves, then quarters...

    Each half is named after its cookie's suffix plus ``a`` (the older
    half) or ``b``; each cookie here can hold one message, not two.
    """
    harness = make(max_cookie_size=500)
    sent = [f"{i}" * 200 for i in range(count)]
    cookies = harness.open("/add?m=" + "|".join(sent)).set_cookies
    names = [_pair(c).partition("=")[0] for c in cookies]
    write = names[0].removeprefix("flash.")[:8]
    assert names == [f"flash.{write}{suffix}" for suffix in suffixes]
    assert all(len(cookie) <= 500 for cookie in cookies)
    assert harness.open("/show").body == [["message", m] for m in sent]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param([[["message", "hi"]], [], []], id="three-parts"),
        pytest.param([[["message", "hi", "extra"]], []], id="entry-of-three"),
    ],
)
def test_a_0_1_document_of_the_wrong_shape_reads_as_empty(
    harness: Harness, document: Any
) -> None:
    mw = harness.app
    value = mw._signer.sign(json.dumps(document).encode(), mw._clock())
    assert harness.raw(f"flash={value}".encode()).body == []
    # The control: the same document, well formed, reads.
    value = mw._signer.sign(b'[[["message","hi"]],[]]', mw._clock())
    assert harness.raw(f"flash={value}".encode()).body == [["message", "hi"]]


# -- the limits: what is dropped, and what the log says ------------------


def _dropped(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "dropped the" in r.getMessage()]


def _jar_of(make: MakeHarness, *paths: str) -> str:
    """The flash cookies that ``paths``, requested in turn, leave in a jar."""
    writer = make()
    for path in paths:
        writer.open(path)
    jar = writer.jar()
    assert jar is not None
    return jar


@pytest.mark.parametrize(("limit", "shown"), [(4, "abcd"), (3, "bcd"), (2, "cd")])
def test_max_cookies_keeps_the_newest_cookies(
    make: MakeHarness, limit: int, shown: str
) -> None:
    jar = _jar_of(make, "/add?m=a", "/add?m=b", "/add?m=c")
    harness = make(max_cookies=limit)
    harness.load_jar(jar)
    harness.open("/add?m=d")
    assert harness.open("/show").body == [["message", m] for m in shown]


def test_a_stored_cookie_dropped_whole_counts_all_its_messages(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """An older cookie is dropped whole: all its messages, all counted."""
    harness = make(max_messages=3)
    harness.open("/add?m=a|b|c")
    with caplog.at_level("WARNING", logger="flashmw"):
        assert len(harness.open("/add?m=d").set_cookies) == 2  # delete, set
    assert harness.open("/show").body == [["message", "d"]]
    (message,) = _dropped(caplog)
    assert "dropped the 3 oldest" in message


def test_this_responses_cookie_loses_only_its_oldest_message(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = make(max_messages=1)
    with caplog.at_level("WARNING", logger="flashmw"):
        assert len(harness.open("/add?m=a|b").set_cookies) == 1
    assert harness.open("/show").body == [["message", "b"]]
    assert "dropped the 1 oldest" in _dropped(caplog)[0]


def test_a_single_message_cookie_over_the_limit_is_not_written_empty(
    make: MakeHarness, route: Any
) -> None:
    def two_categories(flash: Flash, args: dict[str, str]) -> Reply:
        flash.add("a", "x")
        flash.add("b", "y")
        flash.add("c", "y")
        return Reply()

    route("/two-categories", two_categories)
    harness = make(max_messages=2)
    # The oldest message's cookie goes; no empty cookie takes its place.
    assert len(harness.open("/two-categories").set_cookies) == 1
    assert harness.open("/show").body == [["y", "b"], ["y", "c"]]


def test_messages_too_big_for_any_cookie_are_each_counted(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = make(max_cookie_size=500)
    with caplog.at_level("WARNING", logger="flashmw"):
        harness.open("/add?m=" + "|".join(["1" * 600, "2" * 600, "small"]))
    assert harness.open("/show").body == [["message", "small"]]
    assert "dropped the 2 oldest" in _dropped(caplog)[0]


@pytest.mark.parametrize(("extra", "shown"), [(0, "c"), (-1, "")])
def test_trimming_this_responses_cookie_counts_every_cookie_size(
    make: MakeHarness, route: Any, extra: int, shown: str
) -> None:
    """After trimming its own cookie, a response still counts the others.

    A stored keyed value (kept: messages go first) and three new messages
    in one cookie: with a budget for the value and one message, the cookie
    is trimmed to its newest message.
    """
    probe = make()
    value = _pair(probe.open("/add?k=k&v=v").set_cookies[0])
    one = _pair(probe.open("/add?m=a").set_cookies[0])
    budget = len(value) + 2 + len(one) + 2 + extra
    harness = make(max_total_size=budget)
    harness.open("/add?k=k&v=v")
    harness.open("/add?m=a|b|c")
    assert harness.open("/show?peek=1").body == [["message", m] for m in shown]


# -- marks: which one holds, and for how long -----------------------------


@pytest.mark.parametrize(
    ("later", "shown"),
    [(60, None), (60.5, None), (61, "A")],
)
def test_a_read_mark_lives_mark_age_seconds(
    harness: Harness, clock: FakeClock, route: Any, later: float, shown: Any
) -> None:
    """A mark hides older values for MARK_AGE (60) whole seconds after it was made.

    Long enough for any overlapping request to answer; after that an older
    value arriving (very) late is no longer hidden.
    """
    route("/put-v", lambda flash, args: Reply(body=flash.put("info", "A")))
    route("/put-w", lambda flash, args: Reply(body=flash.put("info", "B")))
    route("/get-info", lambda flash, args: Reply(body=flash.get("info")))
    slow = harness.raw(None, "/put-v")
    clock.advance(1)
    put = harness.raw(None, "/put-w")
    clock.advance(1)
    read = harness.raw(_live(put), "/get-info")
    clock.advance(later)
    assert harness.raw(_live(put, read, slow), "/get-info").body == shown


@pytest.mark.parametrize("order", ["newer-first", "older-first"])
def test_of_two_marks_for_a_key_the_newer_holds(
    harness: Harness, clock: FakeClock, route: Any, order: str
) -> None:
    route("/get-k", lambda flash, args: Reply(body=flash.get("k")))
    ms, made = now_ms(clock), int(clock())

    def mark(suffix: str, stamp_ms: int) -> bytes:
        document = [[["k", 0]], [["x", [suffix, [[stamp_ms, WRITE, 1, made]]]]]]
        return forge(harness, suffix, document)

    value = [[["k", "v"]], [["v", ["val", [[ms - 500, WRITE], [1]]]]]]
    marks = [mark("new", ms), mark("old", ms - 1000)]
    if order == "older-first":
        marks.reverse()
    cookies = b"; ".join([forge(harness, "val", value), *marks])
    response = harness.raw(cookies, "/get-k")
    assert response.status == 200
    assert response.body is None
    # The control: the older mark alone does not hide the value.
    alone = b"; ".join([forge(harness, "val", value), mark("old", ms - 1000)])
    assert harness.raw(alone, "/get-k").body == "v"


def test_a_value_shows_until_max_age_to_the_second(
    harness: Harness, clock: FakeClock
) -> None:
    harness.open("/put?k=info&v=kept")
    clock.advance(3600)
    assert harness.open("/get?k=info").body == {"info": "kept"}
    harness.open("/put?k=info&v=gone")
    clock.advance(3601)
    assert harness.open("/get?k=info").body == {"info": None}


def test_a_clear_after_a_read_leaves_only_the_clear_mark(harness: Harness) -> None:
    """A clear-everything mark replaces the key marks it covers (a format vector)."""
    harness.open("/add?k=k&v=v")
    harness.open("/add?m=m")
    harness.open("/get?k=k")  # marks k read, and keeps the message
    marked = [c for c in harness.open("/clear").set_cookies if "Max-Age=60" in c]
    (cookie,) = marked
    write, document = _document(cookie)
    assert document[0] == [["", 1]]
    assert document[1][0][1][0] == f"{write}0"


def test_a_response_that_only_deletes_still_fits_the_limits(
    make: MakeHarness,
) -> None:
    """Consuming one cookie from a jar over ``max_cookies`` trims the rest too."""
    jar = _jar_of(make, "/add?m=x&c=x", "/add?m=y&c=y", "/add?m=z&c=z")
    harness = make(max_cookies=1)
    harness.load_jar(jar)
    assert harness.open("/show?c=x").body == [["x", "x"]]
    assert harness.open("/show?peek=1").body == [["z", "z"]]
