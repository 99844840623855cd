"""The cookie layout's edges: forged documents, mark expiry and limits.

Documents here are signed with the server's own key, so they pass the
signature and reach the layout's decoder: what a leaked key (or a bug in
our own writer) would expose. Each must read as nothing and be deleted.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from flashmw import FlashOverflowError
from flashmw.base import BaseFlashMiddleware

from .conftest import MakeHarness
from .harness import FakeClock, Harness

#: A mark's stamp (with the second it was made after it).
STAMP = [1_800_000_000_000, "abcdefgh", 1]
#: The stamps of a cookie of one message: time, write id, call numbers.
STAMPS = [[1_800_000_000_000, "abcdefgh"], [1]]
NAME = "flash.abcdefgh0"


def _signed(harness: Harness, document: Any) -> bytes:
    mw: BaseFlashMiddleware[Any] = harness.app
    value = mw._signer.sign(json.dumps(document).encode(), mw._clock())
    return f"{NAME}={value}".encode()


def _message(stamps: Any) -> Any:
    return [[["message", "x"]], [["m", ["abcdefgh0", stamps]]]]


FORGED = [
    pytest.param({"m": 1}, id="not-a-list"),
    pytest.param([[["message", "x"]]], id="one-part"),
    pytest.param([{"message": "x"}, [["m", ["abcdefgh0", STAMPS]]]], id="entries-dict"),
    pytest.param([[["message", "x"]], {"m": 1}], id="meta-dict"),
    pytest.param([[["message", "x"]], ["m"]], id="meta-item-not-a-pair"),
    pytest.param([["message"], [["m", ["abcdefgh0", STAMPS]]]], id="entry-not-a-pair"),
    pytest.param([[[1, "x"]], [["m", ["abcdefgh0", STAMPS]]]], id="number-category"),
    pytest.param([["ab"], [["m", ["abcdefgh0", STAMPS]]]], id="entry-text"),
    pytest.param(
        [[[1, 0]], [["x", ["abcdefgh0", [[*STAMP, 1_800_000_000]]]]]],
        id="mark-number-target",
    ),
    pytest.param(
        [[["", 1, 2]], [["x", ["abcdefgh0", [[*STAMP, 1]]]]]], id="mark-triple"
    ),
    pytest.param(
        [[[None, 1]], [["x", ["abcdefgh0", [[*STAMP, 1]]]]]], id="mark-target"
    ),
    pytest.param([[["message", "x"]], []], id="no-meta"),
    pytest.param([[["message", "x"]], [["m", ["abcdefgh0"]]]], id="short-meta"),
    pytest.param([[["message", "x"]], [["m", "abcdefgh0"]]], id="meta-not-a-list"),
    pytest.param([[["message", "x"]], [["m", ["other0", STAMPS]]]], id="other-name"),
    pytest.param([[["message", "x"]], [["q", ["abcdefgh0", STAMPS]]]], id="kind"),
    pytest.param([[], [["m", ["abcdefgh0", [[1, "w"], []]]]]], id="empty"),
    pytest.param(_message([[1, "w"], []]), id="few-call-numbers"),
    pytest.param(_message([[1, "w"], [1, 2]]), id="many-call-numbers"),
    pytest.param(_message([STAMP]), id="a-stamp-per-entry"),
    pytest.param(_message([1, "w", [1]]), id="flat-write"),
    pytest.param(_message([[1, "w", 1], [1]]), id="write-triple"),
    pytest.param(_message([[1], [1]]), id="write-single"),
    pytest.param(_message(["w"]), id="stamp-text"),
    pytest.param(_message("w"), id="stamps-text"),
    pytest.param(_message([["1", "w"], [1]]), id="text-ms"),
    pytest.param(_message([[1, 2], [1]]), id="number-write"),
    pytest.param(_message([[1, "w"], ["1"]]), id="text-seq"),
    pytest.param(_message([[1, "w"], 1]), id="seq-not-a-list"),
    pytest.param(
        [[["k", "x"], ["k", "y"]], [["v", ["abcdefgh0", [[1, "w"], [1, 2]]]]]],
        id="key-twice",
    ),
    pytest.param([[["", 3]], [["x", ["abcdefgh0", [[*STAMP, 1]]]]]], id="mark-flag"),
    pytest.param([[["", 1]], [["x", ["abcdefgh0", [[*STAMP, "1"]]]]]], id="mark-made"),
    pytest.param([[["", 1]], [["x", ["abcdefgh0", [STAMP]]]]], id="mark-no-made"),
    pytest.param([[["", 1]], [["x", ["abcdefgh0", [*STAMP, 1]]]]], id="mark-flat"),
    pytest.param(
        [[["", 1], ["k", 0]], [["x", ["abcdefgh0", [[*STAMP, 1]]]]]],
        id="mark-few-stamps",
    ),
]


@pytest.mark.parametrize("document", FORGED)
def test_a_forged_document_reads_as_nothing_and_is_deleted(
    harness: Harness, caplog: pytest.LogCaptureFixture, document: Any
) -> None:
    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        result = harness.raw(_signed(harness, document), "/show")
    assert result.status == 200
    assert result.body == []
    assert [c.split("=")[0] for c in result.set_cookies] == [NAME]
    assert "Max-Age=0" in result.set_cookies[0]
    assert f"ignored a {NAME} cookie" in caplog.text


def test_a_well_formed_document_reads(harness: Harness, clock: FakeClock) -> None:
    # The control for the table above: the same shape, nothing forged.
    document = _message([[int(clock() * 1000), "abcdefgh"], [1]])
    assert harness.raw(_signed(harness, document), "/show").body == [["message", "x"]]


def test_a_mark_lives_a_minute(make: MakeHarness, clock: FakeClock) -> None:
    harness = make()
    old = harness.raw(None, "/put?k=info&v=older")  # a put still on its way
    clock.advance(0.01)  # the newer put starts later (a tie goes by write id)
    harness.open("/put?k=info&v=newer")
    assert harness.open("/get?k=info").body == {"info": "newer"}  # leaves a mark
    late = "; ".join(c.split(";")[0] for c in old.set_cookies)
    jar = harness.jar()
    assert jar is not None
    hidden = harness.raw(f"{jar}; {late}".encode(), "/get?k=info&peek=1")
    assert hidden.body == {"info": None}
    clock.advance(61)
    # Past the mark's minute the older value shows: the documented limit
    # for a request that takes longer than that.
    shown = harness.raw(f"{jar}; {late}".encode(), "/get?k=info")
    assert shown.body == {"info": "older"}


def test_two_marks_from_overlapping_reads_and_clears_merge(
    harness: Harness, clock: FakeClock
) -> None:
    harness.open("/put?k=info&v=one")
    harness.open("/flash?m=hello")
    jar = harness.jar()
    assert jar is not None
    read = harness.raw(jar.encode(), "/get?k=info")  # marks info
    clock.advance(1)
    cleared = harness.raw(jar.encode(), "/clear")  # marks everything, later
    both = "; ".join(
        line.split(";")[0]
        for line in [*read.set_cookies, *cleared.set_cookies]
        if "Max-Age=0" not in line
    )
    # Both marks hold, whichever arrived last: the value read and the
    # message cleared never show; a later write is not hidden by them.
    assert harness.raw(both.encode(), "/get?k=info").body == {"info": None}
    assert harness.raw(both.encode(), "/show").body == []
    later = harness.raw(both.encode(), "/put?k=info&v=two")
    written = "; ".join(c.split(";")[0] for c in later.set_cookies)
    after = harness.raw(f"{both}; {written}".encode(), "/get?k=info")
    assert after.body == {"info": "two"}


def test_an_entry_too_big_for_a_cookie_raises_with_on_overflow_error(
    make: MakeHarness,
) -> None:
    harness = make(on_overflow="error", max_cookie_size=400)
    with pytest.raises(FlashOverflowError, match="max_cookie_size=400"):
        harness.open(f"/flash?m={'x' * 500}")


def test_too_many_cookies_raise_with_on_overflow_error(make: MakeHarness) -> None:
    harness = make(on_overflow="error", max_cookies=3)
    for number in range(3):
        harness.open(f"/flash?m=m{number}")
    with pytest.raises(FlashOverflowError, match="max_cookies=3"):
        harness.open("/flash?m=one too many")
    assert [m for _, m in harness.open("/show").body] == ["m0", "m1", "m2"]
