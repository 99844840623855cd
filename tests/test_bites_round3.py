"""Hot-path rules that mutation testing found unpinned, round 3 (issue 16).

Each test fails on at least one mutant of the lead's speed changes that
the rest of the suite let through: the untagged shortcut of
``TaggedJSONSerializer.dumps``, the unseen-request check that asks once
whether any watched header is there, and the WSGI adapter's lookup of
those headers in the environ.
"""

from __future__ import annotations

from typing import Any

import pytest

from flashmw.values import TaggedJSONSerializer

serializer = TaggedJSONSerializer()

# -- values: dumps' shortcut and its tag path agree --------------------------


def _dumps_error(document: Any) -> type[BaseException] | None:
    try:
        serializer.dumps(document)
    except Exception as exc:  # noqa: BLE001 (the class is what is compared)
        return type(exc)
    return None


@pytest.mark.parametrize(
    "neighbour",
    [
        pytest.param(("tuple",), id="tuple-needs-a-tag"),
        pytest.param(["a", [["b", 1]]], id="plain-meta"),
    ],
)
def test_a_text_value_is_encoded_alike_whatever_its_neighbours(neighbour: Any) -> None:
    """A document's text values go through dumps the same way on both of its paths.

    With only text, dumps encodes the document as it is; with a value that
    needs a tag beside the text, it builds a tagged copy. The text itself
    is treated alike on both: the same bytes for good text, and the same
    error for a lone surrogate (which ``Flash`` refuses at the storing
    call, so only a direct caller of the serializer can pass one).
    """
    text = "café ☕"
    alone = serializer.dumps([[["message", text]], []])
    beside = serializer.dumps([[["message", text], ["info", neighbour]], []])
    assert beside.startswith(alone[: -len(b"],[]]")])
    assert serializer.loads(beside)[0][0] == ["message", text]

    bad = "\ud800"
    error = _dumps_error([[["message", bad]], []])
    assert error is not None
    assert _dumps_error([[["message", bad], ["info", neighbour]], []]) is error
    assert _dumps_error([[["message", bad]], [["key", neighbour]]]) is error
