"""Reading release files: numeric tables, bin edges from bin centres, row-major grids, the
YAML parameter files, and matching an experiment's bins to a release's.

Shared by the release modules (:mod:`cevns.releases.csi_2017`, ...). Every function raises a
one-line :class:`~cevns.errors.InputError` naming the file (and line) that is missing or malformed.

YAML is read with PyYAML (``yaml.safe_load`` semantics: plain data only, no object tags)
through :class:`ReleaseYamlLoader`, which resolves plain scalars as the YAML 1.2 core schema
does: ``1e-3`` and ``2E5`` are numbers (YAML 1.1, PyYAML's default, reads them as strings),
``yes``/``no``/``on``/``off``, sexagesimal ``1:30`` and dates stay strings, and a repeated key
is an error rather than silently overwritten.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from cevns.errors import InputError


def frozen(a: Any) -> np.ndarray:
    """A read-only float copy of ``a``."""
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


def require_file(folder: Path, name: str) -> Path:
    """``folder / name``, which must be a file (InputError otherwise)."""
    path = folder / name
    if not path.is_file():
        raise InputError(f"missing release file {name} in {folder}")
    return path


def release_folder(folder: str | Path, what: str) -> Path:
    """``folder`` as a path, which must be a folder (InputError naming ``what`` otherwise)."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise InputError(f"{what} release folder {path} does not exist or is not a folder")
    return path


def read_text(path: Path) -> str:
    """The file's text (InputError if it cannot be read or is not UTF-8)."""
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from None


def read_table(path: Path, columns: int, delimiter: str | None = None) -> np.ndarray:
    """Numeric table (rows, ``columns``) of finite values; lines starting with '#' and
    blank lines are skipped; fields split on ``delimiter`` (default: whitespace)."""
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split(delimiter) if delimiter else stripped.split()
        if len(fields) != columns:
            raise InputError(f"{path}, line {number}: expected {columns} columns, got {len(fields)}")
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise InputError(f"{path}, line {number}: non-numeric value in {stripped!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise InputError(f"{path}, line {number}: non-finite value in {stripped!r}")
        rows.append(values)
    if not rows:
        raise InputError(f"{path}: no data rows")
    return np.array(rows)


def edges_from_centres(path: Path, centres: np.ndarray, low: float, width: float, what: str) -> np.ndarray:
    """Edges low, low + width, … that have ``centres`` as midpoints (else InputError)."""
    n = centres.size
    edges = low + width * np.arange(n + 1)
    if not np.allclose(centres, 0.5 * (edges[:-1] + edges[1:]), rtol=0, atol=1e-6 * width):
        raise InputError(f"{path}: {what} bin centres are not the {n} bins of width {width:g} from {low:g}")
    return edges


def grid_from_table(path: Path, table: np.ndarray, axes: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """Reshape the last column of a table whose leading columns enumerate the bin centres of
    ``axes`` (centres, name) in row-major order (last axis fastest) into an array; checks the
    ordering."""
    shape = tuple(c.size for c, _ in axes)
    if table.shape[0] != math.prod(shape):
        raise InputError(f"{path}: expected {math.prod(shape)} rows ({' × '.join(map(str, shape))}), got {table.shape[0]}")
    mesh = np.meshgrid(*[c for c, _ in axes], indexing="ij")
    for k, (m, (_, name)) in enumerate(zip(mesh, axes)):
        if not np.allclose(table[:, k], m.ravel(), rtol=0, atol=1e-9 * max(1.0, float(np.abs(m).max()))):
            raise InputError(f"{path}: rows are not ordered by {', '.join(n for _, n in axes)} bin (column {k + 1}: {name})")
    return table[:, -1].reshape(shape)


def matching_slice(edges: np.ndarray, wanted: np.ndarray, what: str) -> slice:
    """The bins of ``edges`` spanned by ``wanted`` (which must be consecutive edges of it;
    InputError naming ``what`` otherwise)."""
    i = int(np.argmin(np.abs(edges - wanted[0])))
    j = i + wanted.size - 1
    if j >= edges.size or not np.allclose(edges[i : j + 1], wanted, rtol=0, atol=1e-9 * max(1.0, float(np.abs(edges).max()))):
        shown = ", ".join(f"{e:g}" for e in edges)
        raise InputError(f"{what} bins {', '.join(f'{e:g}' for e in wanted)} do not match the release's bins ({shown})")
    return slice(i, j)


# --- YAML -----------------------------------------------------------------------------------
_FLOAT = "tag:yaml.org,2002:float"


class ReleaseYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the YAML 1.2 core schema for plain scalars (null, true /
    false, decimal integers (``010`` is ten), floats with a point or an exponent, ``.inf``, ``.nan``) and no
    duplicate keys (module docstring)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: PyYAML reports it itself
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _core_schema_resolvers() -> None:
    """Give :class:`ReleaseYamlLoader` its own plain-scalar resolvers (PyYAML's SafeLoader
    keeps its YAML 1.1 ones)."""
    ReleaseYamlLoader.yaml_implicit_resolvers = {}
    for tag, pattern, first in (
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", list("-+0123456789")),
        (_FLOAT, r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$", list("-+0123456789.")),
        (_FLOAT, r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.")),
    ):
        ReleaseYamlLoader.add_implicit_resolver(tag, re.compile(pattern), first)
    # decimal only: PyYAML's YAML 1.1 constructor would read 010 as octal 8
    ReleaseYamlLoader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node)))


_core_schema_resolvers()


def read_yaml(text: str, origin: str = "<yaml>") -> dict[str, Any]:
    """Parse a release's YAML parameter file with :class:`ReleaseYamlLoader`; the document
    must be a mapping. InputError naming ``origin`` and the line on any YAML error."""
    try:
        data = yaml.load(text, Loader=ReleaseYamlLoader)  # a SafeLoader subclass: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        reason = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise InputError(f"{origin}{where}: {reason}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{origin}: {' '.join(str(exc).split())}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{origin}: expected a mapping of keys, got {type(data).__name__}")
    return data


def read_yaml_file(path: Path) -> dict[str, Any]:
    """:func:`read_yaml` of a file."""
    return read_yaml(read_text(path), str(path))


__all__ = [
    "ReleaseYamlLoader",
    "edges_from_centres",
    "frozen",
    "grid_from_table",
    "matching_slice",
    "read_table",
    "read_text",
    "read_yaml",
    "read_yaml_file",
    "release_folder",
    "require_file",
]
