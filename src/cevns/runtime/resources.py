"""Resource guards: refuse, before allocating, work that would not fit in memory.

A request such as a bin width of 10⁻⁹ (10¹⁰ bins), a 40000 × 40000 scan grid or 10¹¹
pseudo-experiments used to allocate until the machine ran out of memory (a
:class:`MemoryError` traceback, or worse, the system swapping for minutes). The code that
allocates a large array now first estimates its size with the functions below and calls
:func:`check_memory`, which raises :class:`MemoryLimitError` (one line: what, the estimate,
the limit, how to raise it) when the estimate exceeds the limit.

The limit is :data:`DEFAULT_FRACTION` of the memory available now (``MemAvailable`` of
``/proc/meminfo``, capped by the cgroup limit of a container; ``sysconf`` elsewhere;
:data:`FALLBACK_BYTES` when neither can be read), or the value in GiB of the environment
variable :data:`MEMORY_LIMIT_ENV` (``CEVNS_MEMORY_LIMIT_GB``), which overrides it.

Time: a task that fits in memory may still run for days (a scan grid of 10⁸ points
computed point by point). :func:`check_time` refuses, with :class:`TimeLimitError`, work
whose estimated CPU time (points × the time of a few points, measured by the caller)
exceeds :data:`DEFAULT_MAX_HOURS`, or the hours in :data:`MAX_HOURS_ENV`
(``CEVNS_MAX_HOURS``).

The estimates are deliberately simple — the largest arrays of the task times the bytes
per element — and err on the high side by small factors (temporaries); they guard
against orders of magnitude, not against the last 10 %.

Disk: work that writes files of its own size (a scan grid backed by memory-mapped files,
see :mod:`cevns.stats.scans`) is estimated with :func:`check_disk` against the free space
of its folder (:func:`shutil.disk_usage`) and refused with :class:`DiskLimitError` (one
line: what, the estimate, the free space) before anything is written.

Imports: the standard library and :mod:`cevns.errors` only.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

from cevns.errors import InputError

__all__ = [
    "address_space_headroom",
    "DEFAULT_FRACTION",
    "FALLBACK_BYTES",
    "GiB",
    "DEFAULT_MAX_HOURS",
    "DiskLimitError",
    "MAX_HOURS_ENV",
    "MEMORY_LIMIT_ENV",
    "MemoryLimitError",
    "TimeLimitError",
    "available_memory",
    "check_disk",
    "free_disk",
    "check_memory",
    "check_time",
    "grid_bytes",
    "memory_limit",
    "predictor_bytes",
    "time_limit",
]

#: Bytes in a GiB.
GiB = 1024**3
#: Environment variable: the memory limit in GiB (a positive number), instead of the default.
MEMORY_LIMIT_ENV = "CEVNS_MEMORY_LIMIT_GB"
#: The default limit: this fraction of the memory available when the check is made.
DEFAULT_FRACTION = 0.5
#: Available memory assumed when the system does not say (bytes).
FALLBACK_BYTES = 8 * GiB
#: Bytes of one float64.
FLOAT = 8


#: Environment variable: the CPU-time limit in hours (a positive number), instead of the default.
MAX_HOURS_ENV = "CEVNS_MAX_HOURS"
#: The default CPU-time limit of one command, in hours: far beyond any shipped study (a
#: per-point 2-D scan of 10⁵ points takes under an hour), so that it catches only the
#: mistyped grid or count (10⁸ points instead of 10³) before it runs for a day.
DEFAULT_MAX_HOURS = 4.0


class MemoryLimitError(InputError):
    """A task whose estimated memory exceeds the limit: refused before allocating."""


class DiskLimitError(InputError):
    """A task whose estimated files exceed the free disk space: refused before writing."""


class TimeLimitError(InputError):
    """A task whose estimated CPU time exceeds the limit: refused before it starts."""


def _meminfo_available(text: str) -> int | None:
    """``MemAvailable`` (bytes) of a ``/proc/meminfo`` text, None if absent."""
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key.strip() == "MemAvailable":
            parts = rest.split()
            if parts and parts[0].isdigit():
                return int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return None


def _cgroup_headroom() -> int | None:
    """Bytes a cgroup-v2 container may still allocate (``memory.max`` − ``memory.current``),
    None without a limit."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        current = Path("/sys/fs/cgroup/memory.current").read_text().strip()
    except OSError:
        return None
    if not (limit.isdigit() and current.isdigit()):  # "max": no limit
        return None
    return max(int(limit) - int(current), 0)


def available_memory() -> int | None:
    """Memory (bytes) that can be allocated now without swapping, or None if unknown:
    ``MemAvailable`` of ``/proc/meminfo`` (Linux), else the available physical pages
    (``os.sysconf``), capped by the headroom of a cgroup-v2 memory limit."""
    found: int | None = None
    try:
        found = _meminfo_available(Path("/proc/meminfo").read_text())
    except OSError:
        pass
    if found is None:
        try:
            found = int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            found = None
    headroom = _cgroup_headroom()
    if headroom is not None:
        found = headroom if found is None else min(found, headroom)
    return found if found is not None and found > 0 else None


def _positive_env(name: str, unit: str) -> float | None:
    """The positive finite number in environment variable ``name`` (None when unset or
    blank); anything else is a one-line :class:`~cevns.errors.InputError`."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} must be a positive number of {unit}, got {raw!r}")
    return value


def _vm_size(status: str) -> int | None:
    """Bytes of address space mapped by this process (``VmSize`` of ``/proc/self/status``)."""
    for line in status.splitlines():
        if line.startswith("VmSize:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def address_space_headroom() -> int | None:
    """Bytes of address space this process may still map under its soft ``RLIMIT_AS``
    (``ulimit -v``) — every allocation and memory-mapped file counts against it, so it
    caps what can be allocated as the memory does — or None when unlimited or unknown."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft == resource.RLIM_INFINITY or soft <= 0:
            return None
        used = _vm_size(Path("/proc/self/status").read_text())
    except (ImportError, OSError, ValueError):
        return None
    return None if used is None else max(int(soft) - used, 0)


def memory_limit() -> tuple[float, str]:
    """The limit in bytes and how it was set (for the message): ``$CEVNS_MEMORY_LIMIT_GB``
    if set, else :data:`DEFAULT_FRACTION` of :func:`available_memory` (of
    :data:`FALLBACK_BYTES` when unknown) or of :func:`address_space_headroom` where that is
    smaller. A bad value of the variable is an
    :class:`~cevns.errors.InputError`."""
    gb = _positive_env(MEMORY_LIMIT_ENV, "GiB")
    if gb is not None:
        return gb * GiB, f"{MEMORY_LIMIT_ENV}={os.environ[MEMORY_LIMIT_ENV].strip()}"
    available = available_memory()
    headroom = address_space_headroom()
    if headroom is not None and (available is None or headroom < available):
        return DEFAULT_FRACTION * headroom, (f"{DEFAULT_FRACTION:.0%} of the {headroom / GiB:.3g} GiB of address space left "
                                             "under this process's limit (ulimit -v)")
    if available is None:
        return DEFAULT_FRACTION * FALLBACK_BYTES, f"{DEFAULT_FRACTION:.0%} of an assumed {FALLBACK_BYTES / GiB:.0f} GiB"
    return DEFAULT_FRACTION * available, f"{DEFAULT_FRACTION:.0%} of the {available / GiB:.3g} GiB available"


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / GiB:.3g} GiB"


def check_memory(what: str, n_bytes: float, advice: str = "") -> None:
    """Raise :class:`MemoryLimitError` if ``what`` (a description: "a scan of 1.6e+09
    points") needs an estimated ``n_bytes`` beyond :func:`memory_limit`. ``advice``: what
    the user can change instead (appended to the message)."""
    if not n_bytes > 0:  # 0, or NaN from an impossible estimate: nothing to refuse
        return
    limit, source = memory_limit()
    if n_bytes <= limit:
        return
    hint = f"{advice}, or " if advice else ""
    raise MemoryLimitError(f"{what} needs about {_gib(n_bytes)} of memory, beyond the limit of {_gib(limit)} ({source}); "
                           f"{hint}set {MEMORY_LIMIT_ENV} to raise the limit")


def grid_bytes(points: float, floats_per_point: float) -> float:
    """Bytes of ``floats_per_point`` float64 arrays over ``points`` entries (a float, so
    that a grid of 10¹² points does not overflow anything)."""
    return float(points) * floats_per_point * FLOAT


def predictor_bytes(n_bins: float, smeared: bool, nodes: int = 12, panels_per_bin: int = 2, log_panels: int = 48,
                    isotopes: int = 1) -> float:
    """Estimated peak bytes of the detector weights of a rate predictor
    (:func:`cevns.rates.prediction.prepare_rates`) with ``n_bins`` analysis bins.

    Smeared response: a (bins × recoil nodes) weight matrix per isotope, ~(``log_panels``
    + 8 kinks) × ``nodes`` recoil nodes, with about three temporaries of that size while
    it is built (bin response, CDF differences). Unsmeared: the weights are a dense (bins
    × nodes) matrix whose nodes are ``panels_per_bin`` × ``nodes`` per bin, so bins² ×
    ``panels_per_bin`` × ``nodes`` floats per isotope (twice, while concatenated). Plus
    the bin edges."""
    bins = float(n_bins)
    if smeared:
        per_isotope = 3.0 * bins * (log_panels + 8) * nodes
    else:
        per_isotope = 2.0 * bins * bins * panels_per_bin * nodes
    return FLOAT * (isotopes * per_isotope + bins + 1.0)


def time_limit() -> tuple[float, str]:
    """The CPU-time limit in seconds and how it was set (for the message):
    ``$CEVNS_MAX_HOURS`` if set, else :data:`DEFAULT_MAX_HOURS`. A bad value of the
    variable is an :class:`~cevns.errors.InputError`."""
    hours = _positive_env(MAX_HOURS_ENV, "hours")
    if hours is not None:
        return hours * 3600.0, f"{MAX_HOURS_ENV}={os.environ[MAX_HOURS_ENV].strip()}"
    return DEFAULT_MAX_HOURS * 3600.0, "the default"


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.3g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.3g} min"


def check_time(what: str, seconds: float, advice: str = "") -> None:
    """Raise :class:`TimeLimitError` if ``what`` (a description: "a scan of 1e+08 points")
    needs an estimated ``seconds`` of CPU time beyond :func:`time_limit`. ``advice``: what
    the user can change instead (appended to the message). Workers share the CPU time but
    do not reduce it, so the limit does not depend on them."""
    if not seconds > 0:  # 0, or NaN from an impossible estimate: nothing to refuse
        return
    limit, source = time_limit()
    if seconds <= limit:
        return
    hint = f"{advice}, or " if advice else ""
    raise TimeLimitError(f"{what} would take about {_duration(seconds)} of CPU time, beyond the limit of {_duration(limit)} "
                         f"({source}); {hint}set {MAX_HOURS_ENV} to raise the limit")


def free_disk(folder: str | Path) -> tuple[int, Path] | None:
    """Free bytes on the file system of ``folder`` (or of its nearest existing parent, for
    a folder still to be made) and that folder; None if the system does not say."""
    where = Path(folder).absolute()
    while not where.exists() and where.parent != where:
        where = where.parent
    try:
        return int(shutil.disk_usage(where).free), where
    except OSError:
        return None


def check_disk(what: str, n_bytes: float, folder: str | Path, advice: str = "") -> None:
    """Raise :class:`DiskLimitError` if ``what`` (a description: "a scan of 1e+09
    points") would write an estimated ``n_bytes`` into ``folder`` beyond the space free
    there (:func:`free_disk`). ``advice``: what the user can change instead. Nothing is
    refused when the free space cannot be read."""
    if not n_bytes > 0:
        return
    found = free_disk(folder)
    if found is None or n_bytes <= found[0]:
        return
    free, where = found
    hint = f"; {advice}" if advice else ""
    raise DiskLimitError(f"{what} needs about {_gib(n_bytes)} of disk in {where}, but only {_gib(free)} is free{hint}")
