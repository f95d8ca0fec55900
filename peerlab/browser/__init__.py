"""The learner's own browser as a WebRTC peer: ``peerlab.browser.RTCPeerConnection``.

Its Python object has the API of :class:`peerlab.RTCPeerConnection` (the same lesson cells run
against either), and every call runs in the page that shows the notebook, on the browser's own
``RTCPeerConnection``. It needs the notebook open in JupyterLab in a browser; without one
(nbval, nbclient, a closed tab), every call fails within a few seconds with
:class:`BrowserUnavailable`, and a page that cannot reach the kernel says why
(:class:`BrowserUnlinked`). How calls travel (the widget's comm, or a WebSocket through the Jupyter
server or straight to 127.0.0.1; ``pc.link`` says which): :mod:`peerlab.browser.links`.
Its waits, state events and ``async with`` are the core's own (:mod:`peerlab.webrtc.waiting`);
its four state properties, one line each, are the browser's interface, which ``duplicates``
pairs on purpose.
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
    BrowserUnlinked,
    RTCPeerConnection,
)

__all__ = ["RTCPeerConnection", "BrowserDataChannel", "BrowserError", "BrowserMediaTrack", "BrowserPeerWidget",
           "BrowserUnavailable", "BrowserUnlinked", "CONNECT_TIMEOUT", "REPLY_TIMEOUT", "close_bridge"]
