"""The image viewer: a shared image shown large, over the chat.

A preview in the log is a button ("View cat.png larger"); clicking it, or
Enter or Space on it, opens one modal ``<dialog>`` named "Image: cat.png":
the file's name as its heading, the image as large as the window allows,
a "Download" link to the original and a "Close" button. Escape, Close or a
click beside the image closes it, and focus goes back to the preview that
opened it. The dialog is built once, from DOM nodes (``textContent``, never
markup), the first time it is needed; every sentence comes from ``wording``.
"""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from flack_client import wording
from flack_client.log_view import element


class ImageViewer:
    """One modal dialog showing one image at a time."""

    def __init__(self) -> None:
        self.dialog = element("dialog", "viewer")
        bar = element("div", "viewer__bar")
        self.title = element("h2", "viewer__title")
        bar.append(self.title)
        self.download = element("a", "button button--quiet viewer__download", wording.DOWNLOAD)
        bar.append(self.download)
        self.close_button = element("button", "button viewer__close", wording.CLOSE)
        self.close_button.type = "button"
        # Focus lands on Close when the dialog opens: nothing else in it is
        # worth starting from, and Enter right away closes it again.
        self.close_button.autofocus = True
        bar.append(self.close_button)
        self.dialog.append(bar)
        self.stage = element("div", "viewer__stage")
        self.image = element("img", "viewer__image")
        self.image.setAttribute("decoding", "async")
        self.stage.append(self.image)
        self.dialog.append(self.stage)
        self._opener: Any = None
        # Kept for the page's lifetime, like the page's other listeners.
        self._proxies = [create_proxy(self._on_click), create_proxy(self._on_close)]
        self.dialog.addEventListener("click", self._proxies[0])
        self.dialog.addEventListener("close", self._proxies[1])
        js.document.body.append(self.dialog)

    @property
    def is_open(self) -> bool:
        """Whether the viewer is showing an image."""
        return bool(self.dialog.open)

    def show(self, opener: Any, name: str, url: str) -> None:
        """Show the image at ``url`` (a path on this origin, checked by the
        protocol) called ``name``; ``opener`` gets the focus back."""
        self._opener = opener
        self.dialog.setAttribute("aria-label", wording.viewer_label(name))
        self.title.textContent = name
        self.image.alt = name
        self.image.src = url
        self.download.href = url
        self.download.setAttribute("download", name)
        self.download.setAttribute("aria-label", wording.download_label(name))
        if not self.dialog.open:
            self.dialog.showModal()
        self.close_button.focus()

    def close(self) -> None:
        """Close the viewer (the ``close`` event then moves the focus)."""
        if self.dialog.open:
            self.dialog.close()

    def _on_click(self, event: Any) -> None:
        target = event.target
        # The dialog fills the window: a click on it or on the stage is a
        # click beside the image, which closes it, as in every photo viewer.
        # (JS objects compare with isSameNode: each crossing makes a new proxy.)
        if any(target.isSameNode(node) for node in (self.close_button, self.dialog, self.stage)):
            self.close()

    def _on_close(self, _event: Any) -> None:
        # Escape, Close or a click beside the image: back to the preview that
        # opened it (Chromium may do this by itself; older ones do not). If
        # the log was redrawn meanwhile, the preview's new node.
        opener, self._opener = self._opener, None
        url = self.image.getAttribute("src")
        self.image.removeAttribute("src")  # stop a large download nobody watches
        if opener is not None and not opener.isConnected and url:
            opener = js.document.querySelector(f'button[data-view-url="{js.CSS.escape(url)}"]')
        if opener:
            opener.focus()
