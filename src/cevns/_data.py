"""The package's data folder (``cevns/data``) without importing :mod:`importlib.resources`.

``importlib.resources.files("cevns")`` imports ``importlib.resources`` (and through it
``tempfile``, ``shutil``, ``zipfile``, ...) and its reader machinery. (Where pydantic
validates, its plugin scan imports ``importlib.metadata`` and with it most of these
anyway; what is saved there is the readers, and elsewhere the whole import.) When the
package lies in a folder on disk (a normal or editable install), that call returns that
folder as a :class:`pathlib.Path`; :func:`data_path` returns the same path directly and
asks :mod:`importlib.resources` only otherwise (a zip import).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import sys

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

#: The folder of this module, the package folder when it is imported from disk.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def data_path(*parts: str) -> Union[Path, "Traversable"]:
    """``cevns/data/<parts...>``: a :class:`pathlib.Path` when the package is a folder on
    disk (what ``importlib.resources.files("cevns") / "data" / ...`` returns then), else
    the :mod:`importlib.resources` traversable."""
    if os.path.isdir(os.path.join(_PACKAGE_DIR, "data")):
        return Path(_PACKAGE_DIR, "data", *parts)
    from importlib import resources  # pragma: no cover  (a zip-imported package)

    entry = resources.files("cevns") / "data"  # pragma: no cover
    for part in parts:  # pragma: no cover
        entry = entry / part
    return entry  # pragma: no cover


__all__ = ["data_path"]
