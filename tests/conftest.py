"""Shared test fixtures: in-process CLI runs, tool requirements."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pytest


@dataclass
class CliResult:
    status: int
    out: str
    err: str


def run_cli(argv: Sequence[str]) -> CliResult:
    """Run ``romtool`` in-process with a fixed width and no colour; capture its output."""
    from romtool.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main([str(a) for a in argv])
    return CliResult(status, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[object]:
    """``cli(*args)`` runs romtool in-process and returns a CliResult."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
    # Keep the user's real settings out of tests.
    monkeypatch.setenv("ROMTOOL_CONFIG", os.devnull)
    yield lambda *args: run_cli(args)


def require_tool(name: str) -> str:
    """Return the path of an external program, or skip the test saying which one is missing.

    CI installs every tool; with ROMTOOL_NO_SKIP=1 a missing tool fails instead of skipping.
    """
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed (CI installs it; see .ci/run)"
        if os.environ.get("ROMTOOL_NO_SKIP") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def require_file(path: str, package: str) -> str:
    """Return ``path`` if it exists, or skip naming the Debian package that ships it."""
    if not os.path.exists(path):
        msg = f"{path} is missing (Debian package {package}; CI installs it)"
        if os.environ.get("ROMTOOL_NO_SKIP") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path
