"""The project's own error types: how ``cevns`` tells a user's mistake from a bug.

:class:`CevnsError` is the root of every error that ``cevns`` raises on purpose, to report
something the user can fix. :class:`InputError` is bad input: an argument of a Python
function outside its domain, a value in an experiment or array TOML file, an option on the
command line, a data-release folder that is not what it should be. It subclasses
:class:`ValueError` as well, so code that catches ``ValueError`` from the Python API keeps
working.

The command line reports a :class:`CevnsError` as one line ``error: ...`` with exit status
2; any other exception is a bug in ``cevns`` and is shown with its traceback.

This module is the bottom layer of the package: it imports nothing from ``cevns``, so
every other module may use it.
"""

from __future__ import annotations

__all__ = ["CevnsError", "InputError"]


class CevnsError(Exception):
    """An error that ``cevns`` raises on purpose, with a message meant for the user."""


class InputError(CevnsError, ValueError):
    """Bad input, from Python, a TOML file or the command line: the message says which
    value is wrong and why."""
