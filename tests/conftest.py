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
