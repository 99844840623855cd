"""Template proxy rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

import pytest

from flashmw.jinja2 import flash_proxy


def test_a_private_name_is_refused_by_its_name() -> None:
    # Python's protocol lookups (copy, pickle) are refused without a request,
    # and the error names the attribute asked for, as Python's own does.
    with pytest.raises(AttributeError) as caught:
        flash_proxy.__deepcopy__  # noqa: B018
    assert caught.value.args == ("__deepcopy__",)
    assert not hasattr(flash_proxy, "_private")
