"""``python -m peerlab.natlab``: the lab's command line (``demo``, ``check``); see :mod:`peerlab.natlab.cli`."""

import sys

from .cli import main

sys.exit(main())
