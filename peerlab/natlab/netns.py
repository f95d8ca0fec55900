"""This kernel behind a NAT: move the thread that runs the cells into one of the lab's networks, and back.

Lesson 10's learner runs the guide's steps in the notebook's own kernel, so the kernel must sit in
the lab's ``left`` private network. ``setns(2)`` with ``CLONE_NEWNET`` moves the *calling thread*
into another network namespace, and nothing else: every socket already open stays in the namespace
it was made in (the kernel's ZeroMQ sockets to JupyterLab keep working, and so do their threads),
while every socket the thread opens from then on (aiortc's and aioice's, the WebSocket to the lab's
``peerlab serve``), and every interface it lists, is the lab's. In a Jupyter kernel the cells run on
the main thread, so :func:`enter` is called from a cell (Python 3.11 has no ``os.setns``: libc's
``setns`` through ctypes).

Who may do it (measured on Debian 12, kernel 6.x):

- **root**: yes, in and back out.
- **an ordinary user**: no. Entering a network namespace needs ``CAP_SYS_ADMIN`` in the caller's own
  user namespace and in the one that owns the target; an ordinary user's lab is owned by a user
  namespace the kernel is not in, and a running kernel cannot join one (``setns`` refuses a user
  namespace to a process with several threads). :func:`enter` says so and what works instead: a
  kernel *started* in a user namespace of its own (``unshare --user --map-root-user jupyter lab``,
  or ``make lab`` under it) is root there, builds its lab in that user namespace, and enters it;
  it cannot go back into the machine's own network, which that user namespace does not own, so
  :func:`leave` then says to restart the kernel instead.

:class:`~peerlab.natlab.Lab` calls :func:`leave` when it is torn down, so a kernel never stays in
a network that no longer exists (where it can.)
"""

from __future__ import annotations

import ctypes
import errno
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import LabError, LabUnavailable
from .topology import SITES

if TYPE_CHECKING:
    from .lab import Lab

__all__ = ["enter", "leave", "where", "left_behind", "CLONE_NEWNET"]

CLONE_NEWNET = 0x40000000


@dataclass
class _Moved:
    """Where the moving thread is: which lab, which host, and the way back."""

    lab: str        # the lab's id
    name: str       # the lab's name, for the words
    host: str
    thread: int     # the native id of the thread that moved
    home: int       # a file descriptor of the network namespace it came from: the way back
    stranded: bool = False  # the lab is gone and the thread could not go back


_moved: _Moved | None = None


def _setns(fd: int) -> int:
    """libc's setns(fd, CLONE_NEWNET) for the calling thread; 0, or the errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    return 0 if libc.setns(fd, CLONE_NEWNET) == 0 else ctypes.get_errno()


def _refused(lab: Lab, host: str, error: int) -> LabUnavailable:
    if os.geteuid() != 0:
        return LabUnavailable(
            f"this kernel may not enter the lab's {host!r} network: it runs as an ordinary user, and only a "
            "process inside the user namespace that owns the lab's networks may enter them (a running kernel "
            "cannot join one). Start JupyterLab in a user namespace of your own, where you are root and the lab "
            "is yours: `unshare --user --map-root-user make lab` (or `unshare -r jupyter lab`), then run this "
            "notebook again; or run it as root, or read its stored outputs.", missing=["CAP_SYS_ADMIN"])
    return LabUnavailable(f"this kernel may not enter the lab's {host!r} network: setns() said "
                          f"{os.strerror(error)}. A container may forbid setns(2); run it on the machine itself, "
                          "or read the lesson's stored outputs.", missing=["setns"])


def enter(lab: Lab, host: str = "left") -> str:
    """Move the calling thread into ``host``'s network of ``lab`` (built); returns where it is, in words.

    Run from a notebook cell, that is the kernel's main thread: the peer connections the cells make
    from then on are behind ``host``'s NAT. Again with the same lab and host, it stays and says so.
    """
    global _moved
    if host not in {site.name for site in SITES}:
        raise ValueError(f"host is one of {', '.join(repr(s.name) for s in SITES)}, not {host!r}")
    path = lab.namespace_path(host)  # raises LabError when the lab is not built
    moved = _moved
    thread = threading.get_native_id()
    if moved is not None and moved.thread != thread:
        raise LabError("another thread of this process is in the lab already; enter from that thread, "
                       "or leave() there first")
    if moved is not None and (moved.lab, moved.host) == (lab.id, host):
        return "already there: " + where()
    home = moved.home if moved is not None else os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        if moved is None:
            os.close(home)
        raise LabError(f"the lab's {host!r} network is not there ({path}: {exc.strerror})") from exc
    try:
        error = _setns(target)
    finally:
        os.close(target)
    if error:
        if moved is None:
            os.close(home)
        if error in (errno.EPERM, errno.EACCES):
            raise _refused(lab, host, error)
        raise LabError(f"setns() into the lab's {host!r} network failed: {os.strerror(error)}")
    _moved = _Moved(lab.id, lab.name, host, thread, home)
    return where()


def leave() -> str:
    """Move the thread that entered back into the network it came from; returns where it is, in words.

    A kernel that started in a user namespace of its own may not go back (see the module's notes):
    it stays, and the words say to restart the kernel.
    """
    global _moved
    moved = _moved
    if moved is None:
        return where()
    if moved.thread != threading.get_native_id():
        raise LabError("leave() from the thread that entered the lab (in a notebook: from a cell)")
    error = _setns(moved.home)
    if error:
        return (f"this kernel cannot go back to the machine's own network ({os.strerror(error)}: it started in a "
                "user namespace, which does not own that network), so it stays in the lab's "
                f"{moved.host!r} network; restart the kernel to leave it.")
    os.close(moved.home)
    _moved = None
    return where()


def left_behind(lab: Lab) -> str | None:
    """Called as ``lab`` is torn down: leave it if this thread is in it; words if it could not."""
    moved = _moved
    if moved is None or moved.lab != lab.id or moved.thread != threading.get_native_id():
        return None
    words = leave()
    if _moved is None:
        return None
    _moved.stranded = True
    return words


def where() -> str:
    """Where the thread that entered is (or this thread, if none did), in words."""
    moved = _moved
    if moved is None:
        return "this kernel is in the machine's own network"
    site = next(s for s in SITES if s.name == moved.host)
    if moved.stranded:
        return (f"this kernel is still in what was the lab {moved.name!r}'s {site.name!r} network, cut off since the "
                "lab was torn down: restart the kernel to use the machine's own network again")
    return (f"this kernel is in the lab's {site.name!r} network: its address is {site.address}, behind the NAT "
            f"router {site.router} ({site.gateway}), which the public network sees as {site.wan}")
