"""Sphinx configuration of the cevns API reference.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The per-layer API pages, the import-layer contract, the table of what the package computes
and the table of physics parameters are generated here, at build time, into ``docs/_generated``
from the package itself (:func:`pkgutil.walk_packages` over every layer, so a new module is
documented without editing the docs), from ``pyproject.toml`` (``[tool.importlinter]``),
from the README (its "What it computes" table) and from
:func:`cevns.physics.parameters.parameter_table`. Only the hand-written pages
(``index.rst``) are tracked in git.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import cevns

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"

project = "cevns"
author = "cevns developers"
copyright = "2026, cevns developers"
release = cevns.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
exclude_patterns = ["_build", "figures"]
templates_path: list[str] = []
html_theme = "alabaster"
html_title = f"cevns {release}"

# The docstrings are numpydoc-ish (``Parameters`` / ``Returns`` sections); Google-style
# parsing would turn ordinary lines such as "Note: ..." into sections.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Types such as "array (..., bins)" are prose, not cross-references to classes.
napoleon_use_param = False

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {
    "members": True,
    # document each object once, where it is defined: a module's ``__all__`` may re-export
    # names of other modules (the sub-package ``__init__`` files do, lazily)
    "ignore-module-all": True,
}
# The JAX backend needs the ``jax`` extra; without it its page is built from a mock.
autodoc_mock_imports = [] if importlib.util.find_spec("jax") else ["jax"]

#: (layer package or module, page title); the order of the pages, top layer first.
LAYERS: list[tuple[str, str]] = [
    ("cevns.cli", "Command line: cevns.cli"),
    ("cevns.reproduce", "Reproductions: cevns.reproduce"),
    ("cevns.releases", "Data releases (COHERENT, XENONnT): cevns.releases"),
    ("cevns.backends", "Backends: cevns.backends"),
    ("cevns.stats", "Statistics: cevns.stats"),
    ("cevns.plotting", "Figures: cevns.plotting"),
    ("cevns.config", "Experiments as data: cevns.config"),
    ("cevns.rates", "Event rates: cevns.rates"),
    ("cevns.detector", "Detector response: cevns.detector"),
    ("cevns.sources", "Neutrino sources: cevns.sources"),
    ("cevns.physics", "Physics: cevns.physics"),
    ("cevns.units", "Units and constants: cevns.units"),
    ("cevns.runtime", "Run time: cevns.runtime"),
    ("cevns.errors", "Errors: cevns.errors"),
]


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def modules_of(name: str) -> list[str]:
    """``name`` and, for a package, every public module below it (depth first, sorted)."""
    module = importlib.import_module(name)
    found = [name]
    if hasattr(module, "__path__"):
        for info in sorted(pkgutil.walk_packages(module.__path__, prefix=f"{name}."), key=lambda i: i.name):
            if not any(part.startswith("_") for part in info.name.split(".")):
                found.append(info.name)
    return found


def layer_page(name: str, title: str) -> str:
    """One page: the layer's docstring, then every module of it with its members."""
    modules = modules_of(name)
    lines = [_title(title), f".. automodule:: {name}", "   :no-members:", ""]
    if len(modules) == 1:  # a single-module layer: its members on the same page
        lines[2] = "   :members:"
        return "\n".join(lines) + "\n"
    for sub in modules[1:]:
        lines += [_title(f"``{sub}``", "-"), f".. automodule:: {sub}", ""]
    return "\n".join(lines) + "\n"


# --- docstrings --------------------------------------------------------------------------

# Physics docstrings write absolute values as |U_e4|², |q|, which reST would read as
# substitution references. Outside literals, roles and line blocks / grid tables, a pipe
# is escaped before the docstring is parsed: the source stays readable for ``help()``.
_INLINE_MARKUP = re.compile(r"(``.+?``|:\w+:`[^`]*`|`[^`]*`_?)")


def escape_pipes(line: str) -> str:
    """``line`` with every pipe outside inline literals and roles escaped."""
    stripped = line.strip()
    if stripped == "|" or stripped.startswith(("| ", "+-", "+=")):  # line block or grid table
        return line
    pieces = _INLINE_MARKUP.split(line)
    return "".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(pieces))


def _process_docstring(app: object, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    lines[:] = [escape_pipes(line) for line in lines]


def setup(app: Any) -> None:
    app.connect("autodoc-process-docstring", _process_docstring)


# --- tables ------------------------------------------------------------------------------

_CODE = re.compile(r"`([^`]+)`")


def md_inline_to_rst(text: str, module_links: bool = False) -> str:
    """Markdown table-cell text → reStructuredText: code spans become literals (or module
    links), escaped pipes stay escaped, a trailing-underscore word is not a reference."""
    parts = []
    pos = 0
    for match in _CODE.finditer(text):
        parts.append(_escape_rst(text[pos : match.start()]))
        code = match.group(1).replace("\\|", "|")
        span = f":mod:`{code}`" if module_links and re.fullmatch(r"cevns(\.\w+)*", code) else f"``{code}``"
        # reST inline markup must be separated from adjacent word characters: an escaped
        # space (rendered as nothing) does it
        before = "\\ " if match.start() > 0 and re.match(r"\w", text[match.start() - 1]) else ""
        after = "\\ " if match.end() < len(text) and re.match(r"\w", text[match.end()]) else ""
        parts.append(before + span + after)
        pos = match.end()
    parts.append(_escape_rst(text[pos:]))
    return "".join(parts).strip()


def _escape_rst(text: str) -> str:
    text = text.replace("\\|", "|")
    text = re.sub(r"([|\\])", r"\\\1", text)
    # a word ending in "_" would be a hyperlink reference
    return re.sub(r"_(?=\W|$)", r"\\_", text)


def markdown_table(markdown: str, heading: str) -> list[list[str]]:
    """Rows (header first) of the first pipe table after the line ``heading``."""
    lines = markdown.splitlines()
    start = lines.index(heading)
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            if not all(re.fullmatch(r"\s*:?-+:?\s*", c) for c in cells):
                rows.append([c.strip() for c in cells])
        elif rows:
            break
    if not rows:
        raise ValueError(f"no table after {heading!r} in README.md")
    return rows


def list_table(rows: list[list[str]], widths: str) -> str:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in rows:
        out.append(f"   * - {row[0]}")
        out.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(out) + "\n"


def models_page() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = markdown_table(readme, "## What it computes")
    rows = [[md_inline_to_rst(c, module_links=(i == 1)) for i, c in enumerate(row)] for row in rows]
    numbers = markdown_table(readme, "### Numbers it reproduces (tested)")
    numbers = [[md_inline_to_rst(c) for c in row] for row in numbers]
    return "\n".join(
        [
            _title("What it computes"),
            "The physics of each module and where it comes from (the README's table; every",
            "formula's docstring cites its own source).",
            "",
            list_table(rows, "12 22 66"),
            _title("Numbers it reproduces (tested)", "-"),
            list_table(numbers, "40 30 30"),
        ]
    )


def parameters_page() -> str:
    from cevns.physics.parameters import parameter_table

    rows = [["name", "unit", "default", "meaning"]]
    for row in parameter_table():
        rows.append(
            [
                f"``{row['name']}``",
                _escape_rst(row["unit"]) or "—",
                _escape_rst(row["default"]),
                md_inline_to_rst(row["description"]),
            ]
        )
    return "\n".join(
        [
            _title("Physics parameters"),
            "Every named physics parameter (``cevns params``; ``--param NAME=VALUE`` on the",
            "command line, ``[parameters]`` in an experiment file, a ``{name: value}`` mapping in",
            "Python), generated from :func:`cevns.physics.parameters.parameter_table`. Default",
            "``experiment``: the value the experiment file sets.",
            "",
            list_table(rows, "20 8 14 58"),
        ]
    )


def contract_page() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    out = [
        _title("Import contract"),
        "Layers import downward only: a module may import from its own layer's package and",
        "from every layer below it, never from one above. Layers on one line are independent",
        "of each other. ``lint-imports`` checks this contract (``[tool.importlinter]`` in",
        "``pyproject.toml``, from which this page is generated); CI runs it.",
        "",
    ]
    for contract in pyproject["tool"]["importlinter"]["contracts"]:
        if contract.get("type") != "layers":
            continue
        out += [_title(contract["name"], "-"), ".. list-table::", "   :header-rows: 1", "", "   * - layer (top first)"]
        for layer in contract["layers"]:
            names = [n.strip() for n in layer.split("|")]
            out.append("   * - " + ", ".join(f":mod:`{n}`" for n in names))
        out.append("")
    return "\n".join(out) + "\n"


def write_if_changed(path: Path, text: str) -> None:
    """Sphinx rebuilds a page whose source file is touched: write only on change."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate() -> None:
    GENERATED.mkdir(exist_ok=True)
    names = []
    for name, title in LAYERS:
        page = name.removeprefix("cevns.")
        write_if_changed(GENERATED / f"{page}.rst", layer_page(name, title))
        names.append(page)
    toctree = [".. toctree::", "   :maxdepth: 2", "   :caption: API reference, layer by layer (top first)", ""]
    write_if_changed(GENERATED / "api_toctree.inc", "\n".join(toctree + [f"   _generated/{n}" for n in names]) + "\n")
    write_if_changed(GENERATED / "models.rst", models_page())
    write_if_changed(GENERATED / "parameters.rst", parameters_page())
    write_if_changed(GENERATED / "contract.rst", contract_page())


generate()
