"""The settings live view from PyView's flash guide, unchanged but for ``leave``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyview import LiveView, LiveViewSocket, is_connected

BLANK_NAME = "Name cannot be blank."
SAVED = "Settings saved."
LEAVING = "See you soon."
SIGNED_OUT = "Signed out."


@dataclass
class Context:
    """What the template shows besides ``flash``."""

    name: str = ""


class SettingsLiveView(LiveView[Context]):  # type: ignore[misc]
    """Save a display name; say how it went with ``put_flash``."""

    async def mount(self, socket: LiveViewSocket[Context], session: Any) -> None:
        socket.context = Context()

    async def handle_event(
        self, event: str, payload: dict[str, Any], socket: LiveViewSocket[Context]
    ) -> None:
        if event == "save":
            # A form event's value is parsed by PyView into lists.
            name = "".join(payload.get("name", [""])).strip()
            if not name:
                socket.put_flash("error", BLANK_NAME)
                return
            socket.context.name = name
            socket.put_flash("info", SAVED)
        elif event == "leave" and is_connected(socket):
            # flashmw carries the flash to /about with the navigation.
            socket.put_flash("info", LEAVING)
            await socket.push_navigate("/about")
        elif event == "sign-out" and is_connected(socket):
            # A full page load to a plain HTTP page keeps it too.
            socket.put_flash("info", SIGNED_OUT)
            await socket.redirect("/")
