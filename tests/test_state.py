"""The Flash object and the helpers that find it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

import flashmw
from flashmw import (
    Flash,
    FlashError,
    FlashMiddleware,
    FlashNotInstalled,
    current_flash,
    get_flash,
)

from .harness import SECRET


def test_public_names() -> None:
    assert set(flashmw.__all__) >= {
        "FlashMiddleware",
        "Flash",
        "get_flash",
        "current_flash",
        "flash",
        "get_flashed_messages",
        "put_flash",
        "clear_flash",
        "FlashError",
        "FlashNotInstalled",
    }
    assert all(hasattr(flashmw, name) for name in flashmw.__all__)


def test_without_the_middleware_the_errors_say_how_to_install_it() -> None:
    with pytest.raises(FlashNotInstalled, match=r"FlashMiddleware\(app, secret_key"):
        get_flash({})
    with pytest.raises(FlashNotInstalled, match="ASGIFlashMiddleware"):
        current_flash()
    with pytest.raises(FlashError):
        flashmw.flash("lost")
    assert issubclass(FlashNotInstalled, LookupError)


def _module_level_app(environ: Any, start_response: Any) -> Any:
    request = Request(environ)
    if request.path == "/flash":
        flashmw.flash("Saved.", "info")
        flashmw.put_flash("error", "Name cannot be blank.")
        flashmw.put_flash("warning", "Expires soon.")
        flashmw.clear_flash("warning")
        return Response("ok")(environ, start_response)
    if request.path == "/clear":
        flashmw.clear_flash()
        return Response("ok")(environ, start_response)
    assert current_flash() is get_flash(environ)
    body = repr(
        [
            flashmw.get_flashed_messages(with_categories=True),
            current_flash().get("error"),
            current_flash().get("warning"),
        ]
    )
    return Response(body)(environ, start_response)


def test_module_level_helpers_follow_the_current_request() -> None:
    client = Client(FlashMiddleware(_module_level_app, secret_key=SECRET))
    client.get("/flash")
    assert client.get("/").text == repr(
        [[("info", "Saved.")], "Name cannot be blank.", None]
    )
    client.get("/flash")
    client.get("/clear")
    assert client.get("/").text == repr([[], None, None])


def test_current_flash_is_per_thread() -> None:
    seen: dict[str, list[str]] = {}
    barrier = threading.Barrier(8)

    def app(environ: Any, start_response: Any) -> Any:
        name = Request(environ).args["name"]
        flashmw.flash(f"for {name}")
        barrier.wait()  # every thread is inside its request at once
        seen[name] = current_flash().get_flashed_messages()
        return Response("ok")(environ, start_response)

    middleware = FlashMiddleware(app, secret_key=SECRET)
    threads = [
        threading.Thread(target=Client(middleware).get, args=(f"/?name={n}",))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {str(n): [f"for {n}"] for n in range(8)}


def _flash_with(app_body: Any) -> Flash:
    captured: list[Flash] = []

    def app(environ: Any, start_response: Any) -> Iterable[bytes]:
        flash = get_flash(environ)
        captured.append(flash)
        app_body(flash)
        return Response("ok")(environ, start_response)

    Client(FlashMiddleware(app, secret_key=SECRET)).get("/")
    return captured[0]


def test_mapping_reads() -> None:
    def body(flash: Flash) -> None:
        flash.put("info", "Saved.")
        flash.put("error", {"fields": ["name"]})
        assert flash["info"] == "Saved."
        assert flash.get("missing", "default") == "default"
        assert flash.info == "Saved."
        assert flash.missing is None
        assert "error" in flash
        assert "missing" not in flash
        assert len(flash) == 2
        assert list(flash) == ["info", "error"]
        assert flash.keys() == ["info", "error"]
        assert flash.values() == ["Saved.", {"fields": ["name"]}]
        assert flash.items() == [("info", "Saved."), ("error", {"fields": ["name"]})]
        with pytest.raises(KeyError):
            flash["missing"]
        with pytest.raises(AttributeError):
            flash._private  # noqa: B018

    _flash_with(body)


def test_method_names_are_read_through_the_mapping() -> None:
    def body(flash: Flash) -> None:
        flash.put("get", "a key called get")
        assert callable(flash.get)
        assert flash["get"] == "a key called get"

    _flash_with(body)


def test_truth_covers_both_styles() -> None:
    def body(flash: Flash) -> None:
        assert not flash
        flash.add("list message")
        assert flash
        assert len(flash) == 0

    _flash_with(body)


def test_a_single_category_filter_string_names_one_category() -> None:
    def body(flash: Flash) -> None:
        flash.add("bad", "error")
        flash.add("fine", "info")
        assert flash.get_flashed_messages(category_filter="error") == ["bad"]
        assert flash.get_flashed_messages(category_filter=["info"]) == ["fine"]

    _flash_with(body)


def test_repr_does_not_consume() -> None:
    def body(flash: Flash) -> None:
        assert repr(flash) == "<Flash (not loaded)>"
        flash.add("hi")
        assert "hi" in repr(flash)
        assert flash.get_flashed_messages() == ["hi"]

    flash = _flash_with(body)
    assert flash.touched


def test_an_untouched_flash_is_not_decoded() -> None:
    flash = _flash_with(lambda flash: None)
    assert not flash.touched
