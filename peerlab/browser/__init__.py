"""The learner's own browser as a WebRTC peer: ``peerlab.browser.RTCPeerConnection``.

Its Python object has the API of :class:`peerlab.RTCPeerConnection` (the same lesson cells run
against either), and every call runs in the page that shows the notebook, on the browser's own
``RTCPeerConnection``. It needs the notebook open in JupyterLab in a browser; without one
(nbval, nbclient, a closed tab), every call fails within a few seconds with
:class:`BrowserUnavailable`. How calls travel, and why not over the widget's comm: see
:mod:`peerlab.browser.bridge`. Its waits, state events and ``async with`` are the core's own
(:mod:`peerlab.webrtc.waiting`); its four state properties, one line each, are the browser's
interface, which ``duplicates`` pairs on purpose.
"""

from .bridge import close_bridge
from .connection import (
    CONNECT_TIMEOUT,
    REPLY_TIMEOUT,
    BrowserDataChannel,
    BrowserError,
    BrowserMediaTrack,
    BrowserPeerWidget,
    BrowserUnavailable,
    RTCPeerConnection,
)

__all__ = ["RTCPeerConnection", "BrowserDataChannel", "BrowserError", "BrowserMediaTrack", "BrowserPeerWidget",
           "BrowserUnavailable", "CONNECT_TIMEOUT", "REPLY_TIMEOUT", "close_bridge"]
