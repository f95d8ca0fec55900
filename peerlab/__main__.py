"""``python -m peerlab serve``: the same as the ``peerlab`` command."""

import sys

from .cli import main

sys.exit(main())
