"""The Jinja2 globals: Flask and PyView templates render unchanged."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from jinja2 import DictLoader, Environment
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from flashmw import (
    FlashMiddleware,
    FlashNotInstalled,
    current_flash,
    get_flashed_messages,
)
from flashmw.jinja2 import FlashProxy, flash_proxy, install
from flashmw.testing import make_cookie, read_flash

from .harness import SECRET

# Flask's flashing pattern, as its documentation and tutorials write it.
FLASK_LIST = """\
{% with messages = get_flashed_messages() %}
  {% if messages %}
    <ul class=flashes>
    {% for message in messages %}
      <li>{{ message }}</li>
    {% endfor %}
    </ul>
  {% endif %}
{% endwith %}"""

FLASK_CATEGORIES = """\
{% with messages = get_flashed_messages(with_categories=true) %}
  {% if messages %}
    <ul class=flashes>
    {% for category, message in messages %}
      <li class="{{ category }}">{{ message }}</li>
    {% endfor %}
    </ul>
  {% endif %}
{% endwith %}"""

FLASK_FILTER = """\
{% with errors = get_flashed_messages(category_filter=["error"]) %}
{% if errors %}{% for msg in errors %}<li>{{ msg }}</li>{% endfor %}{% endif %}
{% endwith %}"""

# PyView's flash guide.
PYVIEW = """\
{% if flash.info %}
<div class="flash-info" id="flash-info">
  {{ flash.info }}
</div>
{% endif %}

{% if flash.error %}
<div class="flash-error" id="flash-error">
  {{ flash.error }}
</div>
{% endif %}"""

TEMPLATES = {
    "flask_list": FLASK_LIST,
    "flask_categories": FLASK_CATEGORIES,
    "flask_filter": FLASK_FILTER,
    "pyview": PYVIEW,
    "item": "{{ flash['info'] }}|{{ flash['missing'] is none }}"
    "|{{ flash.gone is none }}",
    "look": "{{ 'info' in flash }} {{ flash | length }} {{ flash | list }}"
    " {{ 'yes' if flash else 'no' }}",
    "get": "{{ flash.get('info', 'none') }}",
}

ENV = install(Environment(loader=DictLoader(TEMPLATES), autoescape=True))


def _squash(html: str) -> str:
    return " ".join(html.split())


def render_app(env: Environment) -> Any:
    """A WSGI app rendering the template named by the path, under flashmw."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        name = Request(environ).path.strip("/")
        html = env.get_template(name).render()
        return Response(html, mimetype="text/html")(environ, start_response)

    return FlashMiddleware(app, secret_key=SECRET)


MW = render_app(ENV)


def render(
    name: str,
    messages: list[Any] | None = None,
    values: dict[str, Any] | None = None,
    mw: Any = MW,
) -> tuple[str, Any]:
    """Render template ``name`` with this flash waiting; return HTML and response."""
    client = Client(mw)
    cookie = make_cookie(mw, messages or [], values)
    client.set_cookie(cookie.name, cookie.value)
    response = client.get(f"/{name}")
    return _squash(response.get_data(as_text=True)), response


def test_flask_template_lists_messages_and_consumes_them() -> None:
    html, response = render("flask_list", ["Record saved.", ("error", "Bad input.")])
    assert html == (
        "<ul class=flashes> <li>Record saved.</li> <li>Bad input.</li> </ul>"
    )
    assert read_flash(MW, response) is not None
    assert not read_flash(MW, response)


def test_flask_template_with_categories() -> None:
    html, _ = render("flask_categories", [("error", "Bad input."), "Saved."])
    assert html == (
        '<ul class=flashes> <li class="error">Bad input.</li> '
        '<li class="message">Saved.</li> </ul>'
    )


def test_flask_template_with_category_filter_keeps_the_rest() -> None:
    html, response = render("flask_filter", [("error", "Bad input."), "Saved."])
    assert html == "<li>Bad input.</li>"
    state = read_flash(MW, response)
    assert state is not None
    assert state.messages == [("message", "Saved.")]


def test_flask_template_without_messages_renders_nothing() -> None:
    html, response = render("flask_list")
    assert html == ""
    assert read_flash(MW, response) is None  # nothing stored, nothing written


def test_pyview_template_reads_keys() -> None:
    html, response = render("pyview", values={"info": "Settings saved."})
    assert html == '<div class="flash-info" id="flash-info"> Settings saved. </div>'
    state = read_flash(MW, response)
    assert state is not None
    assert not state


def test_pyview_template_leaves_unread_keys_alone() -> None:
    html, response = render("pyview", values={"warning": "Expires soon."})
    assert html == ""
    assert read_flash(MW, response) is None


@pytest.mark.parametrize("name", ["flask_list", "pyview"])
def test_messages_are_autoescaped(name: str) -> None:
    html, _ = render(name, ["<b>bold</b>"], {"info": "<i>x</i> & y"})
    assert "<b>" not in html
    assert "<i>" not in html
    assert ("&lt;b&gt;bold&lt;/b&gt;" in html) or (
        "&lt;i&gt;x&lt;/i&gt; &amp; y" in html
    )


def test_markup_is_not_escaped_twice() -> None:
    html, _ = render("flask_list", [Markup("<b>bold</b> &amp; safe")])
    assert "<li><b>bold</b> &amp; safe</li>" in html
    html, _ = render("pyview", values={"info": Markup("<em>saved</em>")})
    assert "<em>saved</em>" in html


def test_item_reads_and_a_missing_key_is_none() -> None:
    html, response = render("item", values={"info": "hi"})
    assert html == "hi|True|True"
    state = read_flash(MW, response)
    assert state is not None
    assert not state


def test_membership_length_and_iteration_do_not_consume() -> None:
    html, response = render("look", ["m"], {"info": "hi", "error": "no"})
    assert html == "True 2 [&#39;info&#39;, &#39;error&#39;] yes"
    assert read_flash(MW, response) is None


def test_empty_flash_is_false() -> None:
    html, _ = render("look")
    assert html == "False 0 [] no"


def test_methods_pass_through() -> None:
    html, _ = render("get", values={"info": "hi"})
    assert html == "hi"
    html, _ = render("get")
    assert html == "none"


def test_install_replaces_existing_globals_and_returns_env() -> None:
    env = Environment(autoescape=True)
    env.globals["get_flashed_messages"] = "Flask's own"
    assert install(env) is env
    assert env.globals["flash"] is flash_proxy
    assert env.globals["get_flashed_messages"] is get_flashed_messages


def test_sandboxed_environment_works() -> None:
    env = install(SandboxedEnvironment(loader=DictLoader(TEMPLATES), autoescape=True))
    html, _ = render("pyview", values={"error": "No."}, mw=render_app(env))
    assert html == '<div class="flash-error" id="flash-error"> No. </div>'


def test_proxy_outside_a_request_raises() -> None:
    with pytest.raises(FlashNotInstalled):
        bool(flash_proxy)
    with pytest.raises(FlashNotInstalled):
        ENV.get_template("pyview").render()
    with pytest.raises(FlashNotInstalled):
        ENV.get_template("flask_list").render()


def test_proxy_repr_and_private_names_do_not_resolve() -> None:
    assert repr(FlashProxy()) == "<FlashProxy for current_flash()>"
    with pytest.raises(AttributeError):
        flash_proxy.__wrapped__  # noqa: B018
    assert not hasattr(flash_proxy, "_values")


def test_one_environment_serves_concurrent_requests() -> None:
    """Each thread sees its own request's flash through the shared proxy."""
    barrier = threading.Barrier(2)
    seen: dict[str, str] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        # Both requests are inside the middleware before either renders.
        barrier.wait(timeout=5)
        html = ENV.get_template("pyview").render()
        seen[environ["PATH_INFO"]] = _squash(html)
        assert current_flash() is environ["flashmw.flash"]
        return Response(html)(environ, start_response)

    mw = FlashMiddleware(app, secret_key=SECRET)

    def visit(path: str, text: str) -> Callable[[], None]:
        def run() -> None:
            client = Client(mw)
            cookie = make_cookie(mw, values={"info": text})
            client.set_cookie(cookie.name, cookie.value)
            client.get(path)

        return run

    threads = [
        threading.Thread(target=visit("/a", "for a")),
        threading.Thread(target=visit("/b", "for b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == {
        "/a": '<div class="flash-info" id="flash-info"> for a </div>',
        "/b": '<div class="flash-info" id="flash-info"> for b </div>',
    }
