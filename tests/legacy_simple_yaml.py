"""The hand-written YAML reader that ``cevns.releases`` used before it read YAML with PyYAML
(``parse_simple_yaml`` of the former ``cevns/releases/data.py``), kept verbatim as the
independent reference the PyYAML reader is checked against (tests/test_data_releases.py):
both must give the same values for every YAML file of the shared releases.

It parses the block-style YAML subset of the COHERENT parameter files; it is test code only.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_+\-]*)\s*:(?:\s+(.*?))?\s*$")


def _yaml_scalar(text: str) -> Any:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "~", ""):
        return None
    for cast in (int, float):
        try:
            return cast(t)
        except ValueError:
            pass
    return t


def parse_simple_yaml(text: str, origin: str = "<yaml>") -> dict[str, Any]:
    """Parse the block-style YAML subset of the COHERENT parameter files: nested mappings
    by indentation, sequences of mappings (``- name: a``), literal block scalars (``|``),
    multi-line plain scalars, and int/float/bool/null/string scalars. No flow collections,
    anchors, tags or multiple documents (a ValueError names the line otherwise).

    (Written when PyYAML was not a dependency of the package.)
    """
    raw = text.replace("\t", "    ").splitlines()
    lines = [(len(ln) - len(ln.lstrip(" ")), ln.strip(), k + 1) for k, ln in enumerate(raw)]

    def significant(i: int) -> int:
        while i < len(lines) and (not lines[i][1] or lines[i][1].startswith("#")):
            i += 1
        return i

    def block_scalar(i: int, parent: int) -> tuple[str, int]:
        body: list[str] = []
        j = i
        while j < len(lines) and (not lines[j][1] or lines[j][0] > parent):
            body.append(raw[j])
            j += 1
        while body and not body[-1].strip():
            body.pop()
        indent = min((len(b) - len(b.lstrip(" ")) for b in body if b.strip()), default=0)
        return "\n".join(b[indent:] for b in body) + ("\n" if body else ""), j

    def node(i: int, indent: int) -> tuple[Any, int]:
        i = significant(i)
        if i < len(lines) and lines[i][1].startswith("- "):
            return sequence(i, lines[i][0])
        return mapping(i, indent)

    def sequence(i: int, indent: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        while True:
            i = significant(i)
            if i >= len(lines) or lines[i][0] != indent or not lines[i][1].startswith("- "):
                return items, i
            col, content, number = lines[i]
            rest = content[1:].lstrip()
            sub = col + (len(content) - len(rest))
            if _KEY.match(rest):
                lines[i] = (sub, rest, number)
                value, i = mapping(i, sub)
            else:
                value, i = _yaml_scalar(rest), i + 1
            items.append(value)

    def mapping(i: int, indent: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        while True:
            i = significant(i)
            if i >= len(lines) or lines[i][0] < indent:
                return out, i
            col, content, number = lines[i]
            if col > indent:
                raise ValueError(f"{origin}, line {number}: unexpected indentation")
            m = _KEY.match(content)
            if not m or content.startswith("- "):
                raise ValueError(f"{origin}, line {number}: expected 'key: value', got {content!r}")
            key, rest = m.group(1), (m.group(2) or "")
            if key in out:
                raise ValueError(f"{origin}, line {number}: duplicate key {key!r}")
            if rest in ("|", "|-", "|+", ">", ">-"):
                value, i = block_scalar(i + 1, col)
                if rest.startswith(">"):
                    value = " ".join(value.split()) + "\n"
                if rest.endswith("-"):
                    value = value.rstrip("\n")
            elif rest:
                if rest[0] in "[{&*!":
                    raise ValueError(f"{origin}, line {number}: flow collections, anchors and tags are not supported")
                parts, i = [rest], i + 1
                while (j := significant(i)) < len(lines) and lines[j][0] > col and not _KEY.match(lines[j][1]):
                    parts.append(lines[j][1])
                    i = j + 1
                value = _yaml_scalar(" ".join(parts))
            else:
                j = significant(i + 1)
                if j < len(lines) and (lines[j][0] > col or (lines[j][0] == col and lines[j][1].startswith("- "))):
                    if lines[j][1].startswith("- ") or _KEY.match(lines[j][1]):
                        value, i = node(j, lines[j][0])
                    else:  # multi-line plain scalar starting on the next line
                        parts = []
                        while j < len(lines) and lines[j][0] > col:
                            parts.append(lines[j][1])
                            j = significant(j + 1)
                        value, i = _yaml_scalar(" ".join(parts)), j
                else:
                    value, i = None, i + 1
            out[key] = value

    result, end = mapping(significant(0), 0)
    end = significant(end)
    if end < len(lines):
        raise ValueError(f"{origin}, line {lines[end][2]}: unexpected content {lines[end][1]!r}")
    return result
