"""Every example of the README and of docs/ runs: TOML files load, Python blocks execute,
``cevns ...`` command lines exit 0 through :func:`cevns.cli.main`.

Code blocks are extracted from README.md and docs/*.md (fenced: ```toml, ```python,
```bash / ```console) and docs/*.rst (``.. code-block:: LANG``). Command lines that cannot
run here are listed in :data:`SKIPPED_COMMANDS` with the reason; lines that are too slow
verbatim are run with a smaller size, listed in :data:`SHRUNK_COMMANDS`. Nothing is skipped
silently: the test asserts how many examples of each kind ran, so a new example must be
run (or listed here) and a removed one noticed.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from conftest import release_data_root, release_folder

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("*.rst"))]


@dataclass(frozen=True)
class Block:
    """One code block: the file, the line of its first code line, its language and text."""

    source: str
    line: int
    lang: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.source}:{self.line}"


_FENCE = re.compile(r"^```(\w*)\s*$")
_RST = re.compile(r"^\.\. code-block::\s*(\w+)\s*$")


def extract_blocks(path: Path) -> list[Block]:
    """The fenced (Markdown) or ``code-block`` (reStructuredText) blocks of one document."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(ROOT).as_posix()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        rst = _RST.match(lines[i].strip()) if path.suffix == ".rst" else None
        if fence and path.suffix == ".md":
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            blocks.append(Block(name, i + 2, fence.group(1) or "text", "\n".join(lines[i + 1:j]) + "\n"))
            i = j + 1
        elif rst:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            start = j
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith((" ", "\t"))):
                j += 1
            body = "\n".join(lines[start:j])
            indent = min(len(x) - len(x.lstrip()) for x in lines[start:j] if x.strip())
            text = "\n".join(x[indent:] for x in body.splitlines()).rstrip() + "\n"
            blocks.append(Block(name, start + 1, rst.group(1), text))
            i = j
        else:
            i += 1
    return blocks


BLOCKS = [b for doc in DOCUMENTS for b in extract_blocks(doc)]
LANGS = {"toml": "toml", "python": "python", "bash": "shell", "console": "shell", "sh": "shell"}


def blocks_of(kind: str) -> list[Block]:
    return [b for b in BLOCKS if LANGS.get(b.lang) == kind]


def command_lines(block: Block) -> list[str]:
    """The command lines of a shell block: continuations joined, comments and prompts dropped."""
    joined = block.text.replace("\\\n", " ")
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not line or line.startswith("#"):
            continue
        out.append(" ".join(shlex.split(line, comments=True)))
    return out


# ---------------------------------------------------------------------------------------------
# Command lines: what is skipped (and why), what is run smaller, what ran.

SKIPPED_COMMANDS: dict[str, str] = {
    # installs and tool runs: .ci/run does them (the quick start verbatim in a fresh venv)
    "python3 -m venv": "creates a virtual environment; .ci/run runs the quick start verbatim",
    "pip install": "installs packages; .ci/run runs the quick start verbatim",
    "python -m pytest": "the test suite itself",
    "lint-imports": "a CI gate run by .ci/run",
    "mypy": "a CI gate run by .ci/run",
    "ruff check": "a CI gate run by .ci/run",
    "CEVNS_RELEASE_DATA=~/coherent-releases python -m pytest": "the test suite itself",
    # elided placeholders: the line is the same as the one above it with '...' for the axes
    "cevns scan coherent-csi-2017 ... --out nsi.npz --resume": "'...' stands for the axes of the line above",
    "cevns scan coherent-csi-2017 ... --out nsi.npz --dask": "'...' stands for the axes; needs a Dask cluster",
    # network
    "cevns release fetch": "downloads from a mirror URL (MIRROR is a placeholder; no network in tests)",
}

# README command → the command run, and why it differs (each costs seconds verbatim).
SHRUNK_COMMANDS: dict[str, tuple[str, str]] = {
    "cevns reproduce papoulias-kosmas --out results/": (
        "cevns reproduce papoulias-kosmas --out results/ --fast", "--fast added: coarse grids"),
    "cevns scan coherent-csi-2017 --param rn=4.5:5.5:101 --param eps_ee_dV=-1:1:101 --out r.npz --workers 2": (
        "cevns scan coherent-csi-2017 --param rn=4.5:5.5:5 --param eps_ee_dV=-1:1:5 --out r.npz --workers 2",
        "5x5 instead of 101x101 points (10^4 per-point predictions)"),
    "cevns fog Xe --out fog/": ("cevns fog Xe --masses 10,100 --exposures 1e-2:1e4:20 --sigmas 1e-49:1e-44:20 --out fog/",
                                "2 masses x 20 exposures instead of 100 x 200"),
    "cevns toys coherent-csi-2017 --free sin2_theta_w --n 10000 --out toys.npz --workers 2 --json": (
        "cevns toys coherent-csi-2017 --free sin2_theta_w --n 50 --out toys.npz --workers 2 --json",
        "50 pseudo-experiments instead of 10000"),
}

#: (README text, replacement): placeholders for files and folders the examples assume.
def _placeholders(tmp: Path) -> list[tuple[str, str]]:
    data = release_data_root()
    return [
        ("DIR1", str(data / "csi-2017")),
        ("DIR2", str(data / "lar-2020-analysisA")),
        ("~/data/csi-2017", str(data / "csi-2017")),
        ("~/data/lar", str(data / "lar-2020-analysisA")),
        ("~/data/csi-2021", str(data / "csi-2021")),
        ("~/data/xenonnt-8b", str(release_folder("xenonnt-8b"))),
        ("my-detector.toml", str(tmp / "my-detector.toml")),
        ("my-combination.toml", str(tmp / "my-combination.toml")),
    ]


def _needs_release(command: str) -> bool:
    return any(key in command for key in ("DIR1", "DIR2", "~/data/", "coherent-sns"))


def _skip_reason(command: str) -> str | None:
    for prefix, reason in SKIPPED_COMMANDS.items():
        if command.startswith(prefix):
            return reason
    return None


#: How many examples the documents hold that run here; update when adding an example.
EXPECTED = {"toml": 3, "python": 5, "shell": 35}


def test_every_example_is_counted():
    """A new example must run (or be listed as skipped with its reason): the counts are pinned."""
    shell = [c for b in blocks_of("shell") for c in command_lines(b)]
    runnable = [c for c in shell if _skip_reason(c) is None]
    counted = {"toml": len(blocks_of("toml")), "python": len(blocks_of("python")), "shell": len(runnable)}
    assert counted == EXPECTED, f"examples changed: {counted} (expected {EXPECTED}); update the lists of this test"
    unknown = {b.lang for b in BLOCKS} - set(LANGS) - {"text"}
    assert not unknown, f"code blocks of an unknown language: {unknown}"
    for prefix in SKIPPED_COMMANDS:
        assert any(c.startswith(prefix) for c in shell), f"stale skip entry: {prefix!r}"
    for original in SHRUNK_COMMANDS:
        assert original in shell, f"stale shrink entry: {original!r}"


def _toml_text(first_line: str) -> str:
    """The README's TOML example whose first line is ``first_line``."""
    (block,) = [b for b in blocks_of("toml") if b.text.startswith(first_line)]
    return block.text


@pytest.mark.parametrize("block", blocks_of("toml"), ids=lambda b: b.id)
def test_toml_example_loads(block: Block, tmp_path: Path):
    data = tomllib.loads(block.text)
    path = tmp_path / f"{data['name']}.toml"
    path.write_text(block.text, encoding="utf-8")
    members = data.get("member", [])
    if any("release" in m for m in members):  # a combination of data releases
        from cevns.releases.combinations import load_combination

        dirs = {m["release"]: release_data_root() / m["release"] for m in members if "release" in m}
        missing = [str(d) for d in dirs.values() if not d.is_dir()]
        if missing:
            pytest.skip(f"needs the data release(s) {', '.join(missing)}")
        combination = load_combination(str(path), release_dirs=dirs, verify=False)
        assert combination is not None
    elif members:  # a detector array
        from cevns.stats.array_files import load_array

        array = load_array(str(path))
        assert len(array.members) == len(members)
    else:
        from cevns.config.experiments import load_experiment

        exp = load_experiment(str(path))
        assert exp.binned_counts().total > 0


@pytest.mark.parametrize("block", blocks_of("python"), ids=lambda b: b.id)
def test_python_example_runs(block: Block, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if "jax" in block.text:
        pytest.importorskip("jax")
    registered = "register_source_type(" in block.text
    try:
        # dont_inherit: the example runs without this module's ``from __future__ import annotations``
        exec(compile(block.text, block.id, "exec", dont_inherit=True), {"__name__": "readme_example"})
    finally:
        if registered:
            from cevns.config.sources import source_types, unregister_source_type

            if "my-source" in source_types():
                unregister_source_type("my-source")


def _shell_cases() -> list[pytest.param]:
    cases = []
    for block in blocks_of("shell"):
        for command in command_lines(block):
            if _skip_reason(command) is None:
                cases.append(pytest.param(command, id=f"{block.id}:{command[:60]}"))
    return cases


@pytest.mark.parametrize("command", _shell_cases())
def test_command_example_runs(command: str, tmp_path: Path, monkeypatch, capsys, reproduced):
    from cevns.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my-detector.toml").write_text(_toml_text('name = "my-detector"'), encoding="utf-8")
    (tmp_path / "my-combination.toml").write_text(_toml_text('name = "csi2017-lar2020"'), encoding="utf-8")
    if "xenonnt-8b" in command and not release_folder("xenonnt-8b").is_dir():
        pytest.skip(f"needs the XENONnT release under {release_folder('xenonnt-8b')}")
    elif _needs_release(command) and "xenonnt-8b" not in command:
        missing = [r for r in ("csi-2017", "csi-2021", "lar-2020-analysisA") if not (release_data_root() / r).is_dir()]
        if missing:
            pytest.skip(f"needs the data release(s) {', '.join(missing)} under {release_data_root()}")
        monkeypatch.setenv("CEVNS_RELEASE_DATA", str(release_data_root()))
    run = SHRUNK_COMMANDS.get(command, (command, ""))[0]
    for text, replacement in _placeholders(tmp_path):
        run = run.replace(text, replacement)
    words = shlex.split(run)
    assert words[0] == "cevns", f"not a cevns command: {command!r} (list it in SKIPPED_COMMANDS with a reason)"
    if words[1] == "reproduce" and len(words) == 6 and words[3] == "--out" and words[5] == "--fast":
        # the same command, `cevns reproduce NAME --out DIR --fast` through cevns.cli.main, run
        # once per session by conftest's `reproduced` fixture (shared with the reproduction tests)
        assert (reproduced(words[2]) / "index.html").is_file()
        return
    if words[1] == "init":  # it writes the template and refuses to overwrite: start without the file
        (tmp_path / "my-detector.toml").unlink()
    os.environ.pop("COLUMNS", None)
    status = main(words[1:])
    captured = capsys.readouterr()
    assert status == 0, f"{command!r} exited {status}: {captured.err[-2000:]}"
