"""Shared fixtures; ``SHARED`` is the reference-data folder beside the project (tests that
need it skip when it is absent)."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/reference-data is not available")
    return SHARED


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory):
    """``reproduced(name)`` → the folder of ``cevns reproduce name --fast``, run once per
    session through the CLI (so every reproduction's test and the browser test share it)."""
    from cevns.cli import main

    done: dict[str, Path] = {}

    def run(name: str) -> Path:
        if name not in done:
            out = tmp_path_factory.mktemp(name)
            assert main(["reproduce", name, "--out", str(out), "--fast"]) == 0
            done[name] = out
        return done[name]

    return run
