"""Shared fixtures; ``SHARED`` is the reference-data folder beside the project (tests that
need it skip when it is absent, and ``python -m pytest -rs`` says why).

The COHERENT data releases may come from your own folder instead: set
``CEVNS_RELEASE_DATA`` to a folder holding one sub-folder per release, named as in the
registry (``csi-2017``, ``csi-2021``, ``lar-2020-analysisA``) — the same meaning as for
``cevns fit/scan/reproduce``. The ``shared_dir`` fixture then gives a view of the
reference data whose ``coherent-data-releases`` is that folder (the rest, if present,
from ``SHARED``); a release missing there skips the tests that need it."""

import os
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"

# The command line's disk cache of built experiments (cevns.config.experiment_cache) is off
# in the tests, also in the processes they start: tests change registries and data in
# their own process, and each test of the CLI should build what it predicts. The cache's
# own tests turn it on in a temporary folder.
os.environ["CEVNS_CACHE_DIR"] = "off"

#: environment variable naming a folder of release sub-folders (see the module docstring)
RELEASE_DATA_ENV = "CEVNS_RELEASE_DATA"


def release_data_root() -> Path:
    """The folder of the data releases: ``$CEVNS_RELEASE_DATA`` if set, else the shared copies."""
    own = os.environ.get(RELEASE_DATA_ENV)
    return Path(own).expanduser() if own else SHARED / "coherent-data-releases"


#: releases kept in their own folder of the shared reference data (not under coherent-data-releases)
_OWN_FOLDERS = {"xenonnt-8b": "XENONnT__cevns_data_release"}


def release_folder(name: str) -> Path:
    """The folder of the data release ``name``: ``$CEVNS_RELEASE_DATA/<name>`` if set, else its
    shared copy."""
    if not os.environ.get(RELEASE_DATA_ENV) and name in _OWN_FOLDERS:
        return SHARED / _OWN_FOLDERS[name]
    return release_data_root() / name


@pytest.fixture(scope="session")
def _reference_view(tmp_path_factory) -> Path | None:
    own = os.environ.get(RELEASE_DATA_ENV)
    if not own:
        return SHARED if SHARED.is_dir() else None
    folder = Path(own).expanduser().resolve()
    if not folder.is_dir():
        return None
    view = tmp_path_factory.mktemp("reference-view") / "reference-data"
    view.mkdir()
    if SHARED.is_dir():
        for entry in SHARED.iterdir():
            if entry.name != "coherent-data-releases":
                (view / entry.name).symlink_to(entry)
    (view / "coherent-data-releases").symlink_to(folder, target_is_directory=True)
    return view


@pytest.fixture
def shared_dir(_reference_view) -> Path:
    if _reference_view is None:
        own = os.environ.get(RELEASE_DATA_ENV)
        pytest.skip(f"{RELEASE_DATA_ENV}={own} is not a folder" if own else
                    f"../shared/reference-data is not available (or set {RELEASE_DATA_ENV} to a folder of the releases: "
                    "csi-2017/, csi-2021/, lar-2020-analysisA/)")
    return _reference_view


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory):
    """``reproduced(name)`` → the folder of ``cevns reproduce name --fast``, run once per
    session through the CLI (so every reproduction's test and the browser test share it).
    A reproduction that reads data releases gets them from :func:`release_folder`
    (``--data-release NAME=DIR``); the test skips when one is absent."""
    from cevns.cli import main
    from cevns.reproduce import required_releases

    done: dict[str, Path] = {}

    def run(name: str) -> Path:
        if name not in done:
            releases = [(r, release_folder(r)) for r in required_releases(name)]
            missing = [str(folder) for _, folder in releases if not folder.is_dir()]
            if missing:
                pytest.skip(f"{name} needs the data release(s) {', '.join(missing)}")
            extra = [arg for r, folder in releases for arg in ("--data-release", f"{r}={folder}")]
            out = tmp_path_factory.mktemp(name)
            assert main(["reproduce", name, "--out", str(out), "--fast", *extra]) == 0
            done[name] = out
        return done[name]

    return run


@pytest.fixture(scope="module")
def csi():
    """The COHERENT CsI 2017 likelihood (:class:`~cevns.stats.fits.ExperimentLikelihood`) of
    the shipped experiment file; a module may define its own ``csi`` instead."""
    from cevns.config.experiments import load_experiment
    from cevns.stats.fits import ExperimentLikelihood

    exp = load_experiment("coherent-csi-2017")
    return ExperimentLikelihood(exp.predictor(), exp.measurement())


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test left open (tests that call figure-making steps or
    the CLI many times in one process would otherwise pass matplotlib's 20-figure warning,
    which the warning filter turns into an error in whichever test comes next)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
