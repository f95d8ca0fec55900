"""Every view shows its ``text()`` form as ``repr()``, in IPython's pretty printer and as ``text/plain``.

``text()`` is the same on every run and machine: what nbval compares and what a terminal shows.
"""

from __future__ import annotations

from typing import Any


class TextRepr:
    """``repr()`` and IPython's pretty printer show ``text()``."""

    def text(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text())


class WidgetTextRepr(TextRepr):
    """For an ipywidget (listed before it among the bases): its ``text/plain`` is ``text()`` too.

    ipywidgets would put its own, cut at 110 characters, beside the widget view.
    """

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]  # the widget's, next in the MRO
        bundle["text/plain"] = self.text()
        return bundle
