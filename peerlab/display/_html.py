"""HTML helpers shared by the views: escaping and the few inline styles (no external CSS or scripts)."""

from __future__ import annotations

import html
from typing import Any

TABLE_STYLE = "font-family:var(--jp-code-font-family, monospace);font-size:12px;border-collapse:collapse;"
CELL_STYLE = "padding:2px 8px;text-align:left;vertical-align:top;"
NOTE_STYLE = "font-size:11px;color:#666;margin-top:4px;font-family:var(--jp-ui-font-family, sans-serif);"


def esc(text: Any) -> str:
    """``text`` safe to put in HTML, inside elements and inside quoted attributes."""
    return html.escape(str(text), quote=True)
