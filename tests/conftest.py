"""Shared test fixtures: in-process CLI runs, tool requirements, served simulators."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
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


@dataclass
class SimProcess:
    """A simulated programmer served by ``python -m MODULE`` in a process of its own."""

    proc: subprocess.Popen[str]
    lines: list[str]
    """The first lines it printed (the specs to reach it)."""

    @property
    def spec(self) -> str:
        return self.lines[0]

    def stop(self, timeout_s: float = 10.0) -> int:
        """SIGTERM (the server saves its state file) unless it has ended; its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout_s)


@pytest.fixture
def sim_process() -> Iterator[Callable[..., SimProcess]]:
    """``sim_process(module, *args, lines=1)`` runs ``python -m module args`` and reads the
    ``lines`` spec lines it prints first; whatever is still running is killed at teardown."""
    started: list[SimProcess] = []

    def start(module: str, *args: object, lines: int = 1) -> SimProcess:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *(str(a) for a in args)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        served = SimProcess(proc, [proc.stdout.readline().strip() for _ in range(lines)])
        started.append(served)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait()
        if served.proc.stdout is not None:
            served.proc.stdout.close()


class _Silent:
    """A device that takes every byte and never answers: nothing is on the cable."""

    def __init__(self) -> None:
        self.output: Callable[[bytes, float], None] = lambda data, t_us: None

    def receive(self, data: bytes, t0_us: float, dt_us: float = 0.0) -> None:
        pass


@pytest.fixture
def silent_port() -> Callable[[], object]:
    """A ``connect`` for drivers: an in-process port (115200 baud) to a device that is silent."""
    from romtool.programmers.sim.clock import VirtualClock
    from romtool.programmers.sim.link import Link, LinkModel
    from romtool.programmers.sim.port import StreamPort

    cable = Link(LinkModel(), VirtualClock())
    return lambda: StreamPort(cable, _Silent())
