"""A second live view: it shows what the settings page flashed on its way out."""

from __future__ import annotations

from typing import Any

from pyview import LiveView, LiveViewSocket


class AboutLiveView(LiveView[dict[str, Any]]):  # type: ignore[misc]
    """A page with nothing of its own but the flash."""

    async def mount(self, socket: LiveViewSocket[dict[str, Any]], session: Any) -> None:
        socket.context = {}
