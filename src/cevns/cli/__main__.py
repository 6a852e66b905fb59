"""``python -m cevns.cli ARGS`` runs the command line, like ``cevns ARGS``."""

import sys

from cevns.cli import main

sys.exit(main())
