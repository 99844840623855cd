"""Unseen-request rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

import pytest

from flashmw import FlashMiddleware

from .harness import SECRET, Harness, scenario_wsgi_app


def _consumed(harness: Harness, headers: dict[str, str]) -> bool:
    harness.open("/add?m=hi")
    assert harness.open("/show", headers=headers).body == [["message", "hi"]]
    return bool(harness.open("/show").body == [])


@pytest.mark.parametrize(
    ("headers", "consumed"),
    [
        ({"Sec-Purpose": "foo,prefetch"}, False),
        ({"Sec-Purpose": "prefetchX"}, True),
        ({"Sec-Purpose": "Xprefetch"}, True),
        ({"Sec-Fetch-Dest": "imageX"}, True),
        ({"Sec-Fetch-Dest": " image\t"}, False),
        # A no-break space (obs-text, allowed in a field value) is no blank.
        ({"Sec-Purpose": "prefetch\xa0"}, True),
        ({"Sec-Fetch-Dest": "image\xa0"}, True),
    ],
)
def test_which_header_values_mark_an_unseen_request(
    harness: Harness, headers: dict[str, str], consumed: bool
) -> None:
    assert _consumed(harness, headers) is consumed


def test_a_bad_speculative_token_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"speculative_headers\['sec-purpose'\]"):
        FlashMiddleware(
            scenario_wsgi_app,
            secret_key=SECRET,
            speculative_headers={"sec-purpose": ["a b"]},
        )
    with pytest.raises(ValueError, match=r"^subresource_destinations"):
        FlashMiddleware(
            scenario_wsgi_app, secret_key=SECRET, subresource_destinations=["a b"]
        )
