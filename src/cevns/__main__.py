"""``python -m cevns ARGS`` runs the command line, like ``cevns ARGS``.

The quiet start-up signal handlers (:mod:`cevns.runtime.signals`) are installed before the
command line and its imports are loaded, so Ctrl-C or SIGTERM during start-up prints no
traceback."""

import sys

from cevns.runtime.signals import install_startup_handlers

install_startup_handlers()

from cevns.cli import main  # noqa: E402  after the handlers, on purpose

sys.exit(main())
