"""The project's own error types: how ``cevns`` tells a user's mistake from a bug.

:class:`CevnsError` is the root of every error that ``cevns`` raises on purpose, to report
something the user can fix. :class:`InputError` is bad input: an argument of a Python
function outside its domain, a value in an experiment or array TOML file, an option on the
command line, a data-release folder that is not what it should be. It subclasses
:class:`ValueError` as well, so code that catches ``ValueError`` from the Python API keeps
working. :class:`InputTypeError` is an argument of the wrong type (a string where an
isotope or a mapping is expected, ``None`` for a target name); it subclasses
:class:`TypeError` as well.

:class:`OutputError` is a file or folder that cannot be written (a read-only folder, a
full disk): the environment, not a bug; its message names the file and the reason the
operating system gave.

The command line reports a :class:`CevnsError` as one line ``error: ...`` with exit status
2; any other exception is a bug in ``cevns`` and is shown with its traceback.

This module is the bottom layer of the package: it imports nothing from ``cevns``, so
every other module may use it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CevnsError", "InputError", "InputTypeError", "OutputError", "unknown_name"]


def unknown_name(what: str, value: object, known: Iterable[str], listing: str = "known") -> str:
    """The message for a name that is not one of ``known``: ``unknown WHAT 'VALUE'; known: A, B``
    (``listing`` replaces "known", e.g. "known sets")."""
    return f"unknown {what} {value!r}; {listing}: {', '.join(known)}"


class CevnsError(Exception):
    """An error that ``cevns`` raises on purpose, with a message meant for the user."""


class InputError(CevnsError, ValueError):
    """Bad input, from Python, a TOML file or the command line: the message says which
    value is wrong and why."""

    @classmethod
    def unknown(cls, what: str, value: object, known: Iterable[str], listing: str = "known") -> InputError:
        """The error for a name that is not one of ``known`` (:func:`unknown_name`)."""
        return cls(unknown_name(what, value, known, listing))


class InputTypeError(CevnsError, TypeError):
    """An argument of the wrong type, from Python: the message names the argument, the
    type it must have and the type it got."""

    @classmethod
    def expected(cls, what: str, kind: str, value: object) -> InputTypeError:
        """The error for ``value`` given as ``what``, which must be ``kind``:
        ``WHAT must be KIND, got TYPE VALUE``."""
        shown = repr(value)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        return cls(f"{what} must be {kind}, got {type(value).__name__} {shown}")


class OutputError(CevnsError):
    """A result that cannot be written: the message names the file and the operating
    system's reason (no space left on device, permission denied, read-only file system)."""

    @classmethod
    def writing(cls, path: object, exc: OSError) -> OutputError:
        """The error for ``exc``, raised while writing ``path``: ``cannot write PATH: REASON``."""
        reason = exc.strerror or str(exc) or type(exc).__name__
        return cls(f"cannot write {path}: {reason}")
