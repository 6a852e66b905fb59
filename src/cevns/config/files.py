"""Reading the package's TOML files: a shipped file by name, or a user's file by path.

Experiment files (:mod:`cevns.config.experiments`) and array files
(:mod:`cevns.stats.arrays`) are found and parsed the same way: a name is looked up in a
folder of package data, anything ending in ``.toml`` (or an existing path) is read from
disk; every problem is one line naming the file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from cevns.errors import InputError, InputTypeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found]  # installed only on Python < 3.11 (pyproject)

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

#: Raised by :func:`parse_toml` for malformed TOML.
TOMLDecodeError = tomllib.TOMLDecodeError


class ExperimentError(InputError):
    """A bad or incomplete experiment description; the message names file and field."""


def parse_toml(text: str) -> dict[str, Any]:
    """The tables of a TOML document; raises :data:`TOMLDecodeError`."""
    return tomllib.loads(text)


def shipped_files(folder: Traversable) -> dict[str, str]:
    """Name → one-line description of the TOML files of a package data ``folder``."""
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.removesuffix(".toml")):
        if entry.name.endswith(".toml"):
            out[entry.name[:-5]] = parse_toml(entry.read_text()).get("description", "")
    return out


def shipped_entry(name_or_path: str | PurePath, folder: Traversable) -> Traversable | None:
    """The shipped file of package data ``folder`` that :func:`read_toml_file` reads for
    ``name_or_path``, None when it reads a user's file (a ``.toml`` path, or an existing
    path that is no shipped name) or nothing."""
    entry = folder / f"{name_or_path}.toml"
    if Path(name_or_path).suffix == ".toml" or not entry.is_file():
        return None
    return entry


def read_toml_file(
    name_or_path: str | Path,
    folder: Traversable,
    kind: str,
    shipped: Callable[[], Mapping[str, str]],
    error: type[Exception],
) -> tuple[str, dict[str, Any], Path | None]:
    """(origin for messages, parsed TOML, directory of a user's file — None for a shipped
    one) of a file path or of a shipped name in the package data ``folder``; any problem
    is one line, raised as ``error``; a name that is neither text nor a path (None, a
    number) is a one-line :class:`cevns.errors.InputTypeError`."""
    if not isinstance(name_or_path, (str, PurePath)):
        raise InputTypeError.expected(f"{kind} name or file", "text like a shipped name or a path to a .toml file", name_or_path)
    path = Path(name_or_path)
    entry = shipped_entry(name_or_path, folder)
    if entry is not None:
        origin, text, base_dir = f"{name_or_path}.toml", entry.read_text(), None
    elif path.suffix == ".toml" or path.exists():
        origin, base_dir = str(path), path.parent
        try:
            text = path.read_text()
        except OSError as exc:
            raise error(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise error(f"{path}: not a UTF-8 text file") from None
    else:
        raise error(f"unknown {kind} {str(name_or_path)!r}; shipped: {', '.join(shipped())} (or give a .toml file)")
    try:
        return origin, parse_toml(text), base_dir
    except TOMLDecodeError as exc:
        raise error(f"{origin}: malformed TOML: {exc}") from None


__all__ = ["ExperimentError", "TOMLDecodeError", "parse_toml", "read_toml_file", "shipped_entry", "shipped_files"]
