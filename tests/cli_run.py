"""What the CLI tests share: run ``cevns`` in-process and read its one-line errors."""

from __future__ import annotations

from cevns.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``cevns ARGS`` through :func:`cevns.cli.main`: (exit status, stdout, stderr)."""
    rc = main(list(args))
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def one_error_line(err: str) -> str:
    """The single non-blank line of ``err``, which must start with ``error: ``."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]
