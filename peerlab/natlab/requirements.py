"""What the lab needs from the machine, found or named with the command that installs it.

:func:`check_requirements` raises :class:`~peerlab.errors.LabUnavailable` for what is missing:
another operating system, a tool (with its Debian package and the ``apt-get install`` line), and,
from :func:`namespaces_refused`, namespaces this user may not create. ``ip`` and ``nft`` live in
``/usr/sbin``, which is often not on an ordinary user's PATH, so the sbin directories are looked
in too and the lab's processes get them on their PATH.
"""

from __future__ import annotations

import os
import shutil
import sys

from ..errors import LabUnavailable

__all__ = ["TOOLS", "IMPAIR_TOOLS", "SBIN", "search_path", "tool", "missing_tools", "check_requirements",
           "namespaces_refused"]

SBIN = "/usr/local/sbin:/usr/sbin:/sbin"
#: The tools the lab runs, and the Debian package of each.
TOOLS = {"ip": "iproute2", "ss": "iproute2", "nft": "nftables", "turnserver": "coturn",
         "unshare": "util-linux", "nsenter": "util-linux", "mount": "mount"}
#: What :meth:`Lab.impair <peerlab.natlab.Lab.impair>` needs besides (nftables has no queue statement here).
IMPAIR_TOOLS = {"iptables": "iptables"}


def search_path() -> str:
    """This process's PATH with the sbin directories after it: where the lab looks for its tools."""
    return os.environ.get("PATH", "/usr/bin:/bin") + ":" + SBIN


def tool(name: str) -> str:
    """The full path of tool ``name`` (``name`` itself if it is nowhere)."""
    return shutil.which(name, path=search_path()) or name


def missing_tools(tools: dict[str, str] = TOOLS) -> dict[str, str]:
    """The tools of ``tools`` not found (on PATH or in the sbin directories), each with its package."""
    return {name: package for name, package in tools.items() if shutil.which(name, path=search_path()) is None}


def check_requirements(tools: dict[str, str] = TOOLS) -> None:
    """Raise :class:`LabUnavailable` saying what is missing and how to get it; return if nothing is."""
    if not sys.platform.startswith("linux"):
        raise LabUnavailable(
            f"peerlab.natlab builds its networks with Linux network namespaces, and this is {sys.platform}. "
            "Run it on Linux (a virtual machine will do; a container only if it may create namespaces), "
            "or read the lesson's stored outputs.", missing=["Linux network namespaces"])
    missing = missing_tools(tools)
    if missing:
        packages = sorted(set(missing.values()))
        install = "apt-get install " + " ".join(packages)
        raise LabUnavailable(
            f"peerlab.natlab needs {', '.join(f'`{name}` ({missing[name]})' for name in missing)}, not found on "
            f"this machine. On Debian or Ubuntu: `sudo {install}` (coturn's package may start a system service; "
            "the lab needs none: `sudo systemctl disable --now coturn`).", missing=packages, install=install)


def namespaces_refused(stderr: str) -> LabUnavailable:
    """The error for namespaces this user may not create, with what ``unshare`` or ``mount`` said."""
    return LabUnavailable(
        "peerlab.natlab could not create its namespaces as this user: "
        f"{stderr.strip() or 'unshare failed'}. Unprivileged user namespaces are turned off here (Debian: "
        "`sudo sysctl kernel.unprivileged_userns_clone=1`; Ubuntu 24.04: "
        "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`), or this is a container that may "
        "not create them. Run it as root, or read the lesson's stored outputs.",
        missing=["network namespaces"])
