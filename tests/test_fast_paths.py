"""The hot path's fast routes give exactly what the general routes give."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import re
import secrets
from functools import partial
from typing import Any
from unittest import mock

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flashmw import (
    FlashMiddleware,
    FlashOverflowError,
    asgi,
    layout,
    signing,
    store,
    values,
)
from flashmw.cookies import MAX_SUFFIX, find_cookies
from flashmw.layout import Changes
from flashmw.state import Flash

from .harness import environ_headers
from .test_bites_layout_2 import FlakyStore

SECRET = "fast-path-secret-0123456789abcdefghijkl"
NOW = 1_800_000_000.0


def _app(environ: Any, start_response: Any) -> list[bytes]:
    return []


def _middleware(**options: Any) -> FlashMiddleware:
    return FlashMiddleware(_app, secret_key=SECRET, clock=lambda: NOW, **options)


def _cookie_header(set_cookies: list[str], before: str = "") -> str:
    jar = dict(pair.split("=", 1) for pair in before.split("; ") if pair)
    for header in set_cookies:
        name, _, rest = header.partition("=")
        value, _, attributes = rest.partition(";")
        if "Max-Age=0" in attributes:
            jar.pop(name, None)
        else:
            jar[name] = value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _adding(
    mw: FlashMiddleware, adds: list[tuple[str, Any]], cookie: str = ""
) -> Flash:
    """Return the flash of a request carrying ``cookie`` that added ``adds``."""
    flash = Flash(mw, environ_headers(cookie=cookie))
    for category, value in adds:
        flash.add(value, category)
    return flash


def _jar_after(mw: FlashMiddleware, requests: list[list[tuple[str, str]]]) -> str:
    """Return the ``Cookie`` header after ``requests``, each adding its messages."""
    header = ""
    for adds in requests:
        if adds:
            written = _adding(mw, adds, header)._core._set_cookies(200)
            header = _cookie_header(written, header)
    return header


def _summary(changes: Changes) -> Any:
    return (
        list(changes.drop),
        [
            (o.suffix, o.kind, [(e.name, e.value, e.stamp) for e in o.entries], o.value)
            for o in changes.outs
        ],
        changes.dropped_entries,
        changes.legacy_name,
    )


def _general(core: Any, consume: bool, **options: Any) -> Changes:
    """Return the general plan of ``core``'s request, to hold a fast route to."""
    assert core._loaded is not None
    return layout.plan_general(
        core._mw,
        core._loaded,
        messages=core._messages,
        values=core._values,
        marks=core._marks,
        consume=consume,
        write_id=core._write or "",
        now=NOW,
        https=False,
        **options,
    )


_categories = st.sampled_from(["info", "error", "warning"])
_texts = st.text(max_size=12)
_writes = st.lists(st.lists(st.tuples(_categories, _texts), max_size=4), max_size=3)
_any_length_texts = st.one_of(_texts, st.text(min_size=100, max_size=400))
_reads = st.lists(
    st.tuples(st.lists(_categories, max_size=2), st.booleans()), max_size=3
)


@given(
    earlier=_writes,
    reads=_reads,
    adds=st.lists(st.tuples(_categories, _texts), max_size=3),
    kept=st.booleans(),
    max_messages=st.sampled_from([3, 100]),
)
def test_plan_messages_is_plan_general(
    earlier: list[list[tuple[str, str]]],
    reads: list[tuple[list[str], bool]],
    adds: list[tuple[str, str]],
    kept: bool,
    max_messages: int,
) -> None:
    mw = _middleware(max_messages=max_messages)
    header = _jar_after(mw, earlier)
    flash = Flash(mw, environ_headers(cookie=header))
    # It reads what the earlier requests wrote (each cookie holds a message).
    assert bool(flash._core._state()) == bool(header)
    for categories, consume in reads:
        flash.get_flashed_messages(category_filter=categories, consume=consume)
    for category, text in adds:
        flash.add(text, category)
    if kept:
        flash.keep()
    # A request that only read draws a write id for its mark cookie: the
    # same one for both routes, so that their cookies compare.
    with mock.patch.object(layout, "new_write_id", return_value="readonly"):
        for consume in (True, False):
            general = _general(flash._core, consume)
            assert _summary(flash._core._plan(consume=consume)) == _summary(general)


@given(
    adds=st.lists(
        st.tuples(
            _categories,
            st.one_of(st.text(max_size=20), st.text(min_size=100, max_size=300)),
        ),
        min_size=1,
        max_size=5,
    ),
    max_messages=st.integers(1, 6),
    max_cookies=st.integers(1, 3),
    max_total_size=st.sampled_from([300, 450, 700, 1200, 4096]),
    max_cookie_size=st.sampled_from([300, 600, 4093]),
)
def test_fits_alone_is_the_general_limits_check(
    adds: list[tuple[str, str]],
    max_messages: int,
    max_cookies: int,
    max_total_size: int,
    max_cookie_size: int,
) -> None:
    # A first write (no cookie in the jar) under any limits: the shortcut
    # of _fit decides what the general count decides.
    mw = _middleware(
        max_messages=max_messages,
        max_cookies=max_cookies,
        max_total_size=max_total_size,
        max_cookie_size=max_cookie_size,
    )
    flash = _adding(mw, adds)
    shortcut = _summary(flash._core._plan(consume=True))
    with mock.patch.object(layout, "_fits_alone", return_value=False):
        general = _summary(flash._core._plan(consume=True))
    assert shortcut == general


@given(
    earlier=st.lists(
        st.lists(st.tuples(_categories, _any_length_texts), max_size=3), max_size=3
    ),
    reads=_reads,
    adds=st.lists(st.tuples(_categories, _any_length_texts), max_size=3),
    max_cookie_size=st.sampled_from([300, 600, 4093]),
    max_total_size=st.sampled_from([700, 1500, 4096]),
)
@example(  # a request that reads a large message back from the store
    earlier=[[("info", "x" * 400)]],
    reads=[([], True)],
    adds=[],
    max_cookie_size=300,
    max_total_size=4096,
)
def test_plan_with_a_store_is_plan_general(
    earlier: list[list[tuple[str, str]]],
    reads: list[tuple[list[str], bool]],
    adds: list[tuple[str, str]],
    max_cookie_size: int,
    max_total_size: int,
) -> None:
    # With a store, a response whose messages fit takes the fast routes: it
    # gives what the general plan gives with the store's offload, which
    # moves what does not fit into the store.
    mw = _middleware(
        store=FlakyStore(),
        max_cookie_size=max_cookie_size,
        max_total_size=max_total_size,
    )
    header = _jar_after(mw, earlier)
    flash = Flash(mw, environ_headers(cookie=header))
    for categories, consume in reads:
        flash.get_flashed_messages(category_filter=categories, consume=consume)
    for category, text in adds:
        flash.add(text, category)
    core = flash._core
    core._state()
    loaded = core._loaded
    assert loaded is not None
    with (
        mock.patch.object(layout, "new_write_id", return_value="readonly"),
        mock.patch.object(secrets, "token_urlsafe", return_value="key"),
    ):
        for consume in (True, False):
            general = _general(
                core,
                consume,
                offload=partial(store.offload, mw, loaded, now=NOW, https=False),
            )
            assert _summary(core._plan(consume=consume)) == _summary(general)


@given(
    adds=st.lists(
        st.tuples(
            _categories,
            st.one_of(
                st.text(max_size=20),
                st.text(min_size=100, max_size=300),
                st.integers(),
                st.lists(st.integers(), max_size=2),
            ),
        ),
        max_size=5,
    ),
    max_messages=st.integers(1, 6),
    max_total_size=st.sampled_from([300, 450, 700, 1200, 4096]),
    max_cookie_size=st.sampled_from([300, 600, 4093]),
    read=st.one_of(st.none(), st.lists(_categories, max_size=2)),
    consume=st.booleans(),
    dry=st.booleans(),
)
@example(
    adds=[],
    max_messages=1,
    max_total_size=300,
    max_cookie_size=300,
    read=None,
    consume=False,
    dry=False,
)
@example(  # a message too big for one cookie: the general plan drops it
    adds=[("info", "x" * 300)],
    max_messages=6,
    max_total_size=4096,
    max_cookie_size=300,
    read=None,
    consume=False,
    dry=False,
)
@example(  # what the request itself read and consumed is not written
    adds=[("info", "a"), ("error", "b")],
    max_messages=6,
    max_total_size=4096,
    max_cookie_size=4093,
    read=["info"],
    consume=True,
    dry=False,
)
def test_plan_first_write_is_plan_general(  # noqa: PLR0917 (drawn by @given)
    adds: list[tuple[str, Any]],
    max_messages: int,
    max_total_size: int,
    max_cookie_size: int,
    read: list[str] | None,
    consume: bool,
    dry: bool,
) -> None:
    # A request without flash cookies that wrote (a form's POST): its own
    # route gives what the general plan gives, under any limits, or sends
    # it there (for what is not plain text, splits, drops, and what the
    # request read itself); with dry=True (on_overflow="error") both raise
    # or neither does.
    mw = _middleware(
        max_messages=max_messages,
        max_total_size=max_total_size,
        max_cookie_size=max_cookie_size,
    )
    flash = _adding(mw, adds, "theme=dark")
    if read is not None:
        flash.get_flashed_messages(category_filter=read)
    core = flash._core
    core._state()  # loaded, even with nothing added or read
    assert core._loaded is layout.NOTHING

    def plan(route: Any) -> Any:
        try:
            return _summary(route())
        except FlashOverflowError as error:
            return str(error)

    fast = plan(lambda: core._plan(consume=consume, dry=dry))
    general = plan(lambda: _general(core, consume, dry=dry))
    assert fast == general


@given(
    start=st.one_of(
        st.integers(0, 3 * 65536),
        st.integers(1, 40).map(lambda block: block * 4096 - 3),
    ),
    count=st.integers(1, 8),
)
def test_new_write_id_is_the_long_way(start: int, count: int) -> None:
    # The cached head and the table of last characters give the id that
    # base64 of the prefix and the counter gives, block after block.
    with (
        mock.patch.object(layout, "_writes", itertools.count(start)),
        mock.patch.object(layout, "_prefix", (-1, b"")),
        mock.patch.object(layout, "_head", (-1, "")),
    ):
        for number in range(start, start + count):
            assert layout.new_write_id() == layout._write_id(number)


_json_texts = st.one_of(
    st.text(alphabet=' []{}",:0123456789.eE-+tfnrulasNIiy\\u', max_size=30),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=8,
    ).map(lambda v: json.dumps(v, ensure_ascii=False)),
)


def _outcome(parse: Any, text: str | bytes) -> Any:
    try:
        return ("ok", repr(parse(text)))
    except RecursionError:
        return ("recursion",)
    except ValueError as exc:
        return ("error", type(exc))


@given(_json_texts, st.sampled_from(["", " ", "\n", "x"]))
def test_parse_is_the_decoder(text: str, around: str) -> None:
    for candidate in (text, around + text, text + around):
        assert _outcome(values._parse, candidate) == _outcome(
            values._decoder.decode, candidate
        )


def _parse_short(text: str) -> Any:
    return values._parse(text, values._scan_short_ints)


@given(_json_texts, st.integers(0, 3))
def test_short_int_scan_is_the_decoder_below_the_digit_bound(
    text: str, padding: int
) -> None:
    # Ints around the bound, with digits elsewhere to take the text over it.
    longest = "9" * (values.MAX_INT_DIGITS - padding)
    for candidate in (text, f"[{longest},{text}]", f"[-{longest}9,{text}]"):
        decoded = _outcome(values._decoder.decode, candidate)
        if sum(char in "0123456789" for char in candidate) <= values.MAX_INT_DIGITS:
            assert _outcome(_parse_short, candidate) == decoded
        loaded = _outcome(values.TaggedJSONSerializer().loads, candidate.encode())
        # loads() refuses more than the decoder (tags, surrogates), never less.
        assert loaded[0] != "ok" or decoded[0] == "ok"


_plain = st.text(max_size=20)
_values = st.one_of(
    _plain,
    st.integers(),
    st.lists(st.one_of(_plain, st.integers(), st.booleans()), max_size=3),
    st.tuples(_plain, st.integers()),
    st.lists(st.lists(st.one_of(_plain, st.integers()), max_size=4), max_size=3),
    st.tuples(_plain, st.lists(st.lists(st.one_of(_plain, st.integers()), max_size=4))),
)


@given(
    st.lists(st.tuples(_plain, _values), max_size=3),
    st.lists(st.tuples(_plain, _values), max_size=2),
)
def test_dumps_is_the_tag_walk(first: list[Any], second: list[Any]) -> None:
    # The flash document's values as lists (what the layout writes) or as
    # anything else: the short route must write the bytes the walk writes.
    document = [[list(p) for p in first], [list(p) for p in second]]
    try:
        expected: Any = values._encoder.encode(
            [[[name, values._tag(v, 0)] for name, v in part] for part in document]
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        expected = type(exc)
    try:
        got: Any = values.TaggedJSONSerializer().dumps(document)
    except (TypeError, ValueError) as exc:
        got = type(exc)
    assert got == expected


_base64url = st.text(alphabet="ABCXYZabcxyz0189-_", min_size=1, max_size=10)


@given(
    st.sampled_from([layout.MESSAGES, layout.VALUES]),
    _base64url,
    st.integers(0, 2**53),
    st.one_of(st.just(""), _base64url),
    st.lists(
        st.tuples(st.text(max_size=8), st.one_of(st.text(max_size=12), _values)),
        max_size=4,
    ),
    st.lists(st.integers(1, 10**6), min_size=4, max_size=4, unique=True),
)
def test_plain_data_is_dumps_of_the_document(  # noqa: PLR0917 (drawn by @given)
    kind: str,
    suffix: str,
    ms: int,
    write: str,
    pairs: list[tuple[str, Any]],
    seqs: list[int],
) -> None:
    # The short route writes exactly the serializer's bytes for the
    # document, or says it cannot (a value that is not text).
    entries = [
        layout.Entry(name, value, (ms, write, seq))
        for (name, value), seq in zip(pairs, seqs, strict=False)
    ]
    out = layout.Out(suffix, kind, entries)
    got = layout.plain_data(out)
    if not pairs or any(type(value) is not str for _, value in pairs):
        assert got is None
        return
    try:
        expected = values.TaggedJSONSerializer().dumps(layout._document(out))
    except UnicodeEncodeError:
        assert got is None  # a lone surrogate: the general route decides
        return
    assert got == expected


def test_plain_data_takes_the_default_serializer_only() -> None:
    # Another serializer (even a subclass) gets the document itself.
    seen: list[Any] = []

    class Recording(values.TaggedJSONSerializer):
        def dumps(self, obj: Any) -> bytes:
            seen.append(obj)
            return super().dumps(obj)

    mw = _middleware(serializer=Recording())
    flash = Flash(mw, environ_headers())
    flash.add("Saved.", "info")
    seen.clear()
    flash._core._set_cookies(200)
    # Once: the cookie's document (the entry-by-entry pass is for failures).
    assert [document[0] for document in seen] == [[["info", "Saved."]]]
    # The default one never encodes a document of plain text: not for a
    # first write, nor for one beside a cookie the browser holds (each
    # plans by a route of its own).
    plain = _middleware()
    first = Flash(plain, environ_headers())
    first.add("Saved.", "info")
    with mock.patch.object(
        values.TaggedJSONSerializer, "dumps", side_effect=AssertionError
    ):
        header = _cookie_header(first._core._set_cookies(200))
        assert header.startswith("flash.")
        second = Flash(plain, environ_headers(cookie=header))
        second.add("Saved again.", "info")
        assert len(second._core._set_cookies(200)) == 1


@given(
    st.binary(min_size=1, max_size=100), st.text(alphabet="abcXYZ09-_.", max_size=300)
)
def test_pad_signature_is_hmac(key: bytes, text: str) -> None:
    expected = signing._signature(hmac.new(key, digestmod=hashlib.sha256), text)
    assert signing._pad_signature(signing._pads(key), text) == expected


def test_write_ids_are_unique_across_counter_cycles() -> None:
    ids = [layout.new_write_id() for _ in range(70_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 8 for i in ids)


def _loaded_summary(loaded: layout.Loaded) -> Any:
    return (
        [(e.name, e.value, e.stamp) for e in loaded.messages],
        [c.name for c in loaded.cookies],
        [c.name for c in loaded.garbage],
        loaded.newest,
        loaded.marks,
        loaded.reads,
        loaded.values,
    )


_ages = st.one_of(st.sampled_from([3600, 60, 0]), st.integers(0, 7200))


@given(
    earlier=_writes,
    ages=st.lists(_ages, min_size=3, max_size=3),
    max_age=st.sampled_from([60, 3600]),
    order=st.randoms(use_true_random=False),
)
def test_resolve_messages_is_resolve_general(
    earlier: list[list[tuple[str, str]]],
    ages: list[int],
    max_age: int,
    order: random.Random,
) -> None:
    now = NOW
    mw = FlashMiddleware(_app, secret_key=SECRET, clock=lambda: now, max_age=10**6)
    header = ""
    for request, age in zip(earlier, ages, strict=False):
        now = NOW - age  # written that long ago: some are past max_age
        if request:
            written = _adding(mw, request, header)._core._set_cookies(200)
            header = _cookie_header(written, header)
    found = _decoded(mw, header)
    order.shuffle(found)  # a browser sends cookies in any order
    fast = layout.resolve_messages(found, int(NOW * 1000) - max_age * 1000)
    general = layout.resolve_general(found, max_age * 1000, int(NOW * 1000))
    assert _loaded_summary(fast) == _loaded_summary(general)


def _decoded(mw: FlashMiddleware, header: str) -> list[layout.Stored]:
    """Decode the flash cookies of ``header`` (all valid: this test wrote them)."""
    return [
        layout.decode(mw, name, value, NOW)
        for name, value in find_cookies(header, mw.cookie_name)
    ]


# find_cookies before its tail regex, kept as the reference for the test below.
_OWS = " \t"
_SUFFIX_RUN = re.compile(f"[0-9a-zA-Z_-]{{0,{MAX_SUFFIX + 1}}}")


def _scanned(header: str, name: str) -> list[tuple[str, str]]:
    """find_cookies as it was before its tail regex: the reference."""
    found: list[tuple[str, str]] = []
    end = len(header)
    at = header.find(name)
    while at >= 0:
        before = at - 1
        while before >= 0 and header[before] in _OWS:
            before -= 1
        after = at + len(name)
        if after < end and header[after] == ".":
            # Up to one character past the longest suffix, so that a longer
            # one is seen and refused.
            run = _SUFFIX_RUN.match(header, after + 1)
            stop = run.end() if run else after + 1  # the pattern matches ""
            if stop == after + 1 or stop - after - 1 > MAX_SUFFIX:
                at = header.find(name, at + 1)
                continue
            after = stop
        full = header[at:after]
        while after < end and header[after] in _OWS:
            after += 1
        if (before < 0 or header[before] == ";") and (
            after < end and header[after] == "="
        ):
            stop = header.find(";", after)
            if stop < 0:
                stop = end
            value = header[after + 1 : stop].strip(_OWS)
            if value[:1] == '"' and len(value) >= 2 and value[-1] == '"':
                value = value[1:-1]
            found.append((full, value))
            at = header.find(name, stop)
        else:
            at = header.find(name, at + 1)
    return found


_cookie_pieces = st.sampled_from(
    [
        "flash",
        ".",
        ".a",
        ".Ab-_9",
        "." + "x" * (MAX_SUFFIX - 1),
        "." + "x" * MAX_SUFFIX,
        "." + "x" * (MAX_SUFFIX + 1),
        "x",
        "=",
        ";",
        " ",
        "\t",
        "\u00a0",
        '"',
        "v",
        ",",
    ]
)


@settings(max_examples=1000)
@given(st.lists(_cookie_pieces, max_size=20), st.sampled_from(["flash", "a.b", "f+"]))
def test_find_cookies_is_the_scanner(pieces: list[str], name: str) -> None:
    header = "".join(pieces).replace("flash", name)
    assert find_cookies(header, name) == _scanned(header, name)


# Header fields as ASGI servers send them (lower-case bytes names, each once)
# and as they may come otherwise: upper case, repeated, not bytes, not a list.
_field_names = st.sampled_from(
    [b"cookie", b"Cookie", b"host", b"hx-request", b"HX-Request", b"x-1", b"\xc0b"]
)
_bytes_types = st.sampled_from([bytes, bytes, bytearray, memoryview])


@given(
    st.lists(
        st.tuples(_field_names, st.binary(max_size=6), _bytes_types, _bytes_types),
        max_size=6,
    ),
    st.sampled_from([list, tuple, iter]),
)
@example([(b"host", b"a", bytes, bytes), (b"host", b"b", bytes, bytes)], list)
@example([(b"x-1", b"a", bytes, bytes), (b"Cookie", b"b", bytes, bytes)], tuple)
@example([(b"cookie", b"a", bytearray, bytes)], list)
@example([(b"cookie", b"a", memoryview, memoryview)], list)
def test_field_map_is_the_general_loop(
    drawn: list[tuple[bytes, bytes, Any, Any]], container: Any
) -> None:
    fields = [(as_name(n), as_value(v)) for n, v, as_name, as_value in drawn]
    general = asgi._field_map_general(fields)
    assert all(type(k) is bytes and type(v) is bytes for k, v in general.items())
    headers = asgi._ScopeHeaders({"headers": container(fields)})
    assert {bytes(key) for key in headers.keys()} == set(general)  # noqa: SIM118
    for key, value in general.items():
        assert headers.get(key) == value.decode("latin-1")
