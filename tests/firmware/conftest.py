"""Fixtures for the romprog firmware tests: the host build, and boards to run the driver on.

``board`` is parametrised over the two implementations of the romprog device side:

* ``pysim``: the Python simulated board (``romtool.programmers.sim.romprog``);
* ``cfw``: the C firmware's host build in lockstep with the same link model and chip model
  (``romtool.programmers.sim.busserver.LockstepDevice``).

The same test body runs against both, so the C firmware is held to everything the driver
expects of the simulated board.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from romtool.chips import get_chip
from romtool.chips.spec import ChipSpec
from romtool.programmers.romprog.driver import RomprogProgrammer
from romtool.programmers.sim.busserver import BoardFaults, LockstepDevice
from romtool.programmers.sim.chips import ChipModel, model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel
from romtool.programmers.sim.romprog.device import RomprogDevice
from romtool.programmers.sim.romprog.port import SimPort
from romtool.programmers.sim.simprog import SimProgrammer
from romtool.settings import Settings
from tests.conftest import require_tool

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "romprog"
CORE_SOURCES = ["src/rp_core.c", "src/rp_chip.c", "src/rp_cobs.c", "src/rp_crc.c"]
HOST_SOURCES = [*CORE_SOURCES, "hal/host/hal_host.c"]


@pytest.fixture(scope="session")
def firmware_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host build, compiled once per test session with one gcc run."""
    gcc = require_tool("gcc")
    out = tmp_path_factory.mktemp("romprog-host") / "romprog-host"
    cmd = [
        gcc,
        "-std=gnu11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-Wno-unused-parameter",
        "-Isrc",
        "-o",
        str(out),
        *HOST_SOURCES,
    ]
    res = subprocess.run(cmd, cwd=FIRMWARE, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    return out


@dataclass
class Board:
    """A romprog board with a chip model in its socket, reachable over a simulated link.

    ``connect()`` plugs in a new cable (a fresh :class:`Link` with ``link_model``); the board
    itself (and the chip) persist, as a real board stays powered when the cable is replugged.
    """

    kind: str
    part: ChipSpec
    chip: ChipModel
    link_model: LinkModel
    device: Any
    links: list[Link] = field(default_factory=list)

    def connect(self) -> SimPort:
        link = Link(self.link_model, VirtualClock())
        self.links.append(link)
        device = self.device() if callable(self.device) else self.device
        return SimPort(link, device)

    def programmer(self, settings: Settings | None = None) -> RomprogProgrammer:
        return RomprogProgrammer(self.connect, settings=settings, label=f"{self.kind}:test")

    @property
    def modeled_s(self) -> float:
        return self.links[-1].clock.now_s() if self.links else 0.0


BoardFactory = Callable[..., Board]


@pytest.fixture(params=["pysim", "cfw"])
def make_board(request: pytest.FixtureRequest) -> Iterator[BoardFactory]:
    """``make_board(part, link=LinkModel(), faults=BoardFaults(), **chip_faults)``."""
    kind: str = request.param
    started: list[LockstepDevice] = []

    def make(
        part: str,
        *,
        link: LinkModel | None = None,
        board_faults: BoardFaults | None = None,
        watchdog_ms: int | None = None,
        data: bytes | None = None,
        **chip_faults: Any,
    ) -> Board:
        spec = get_chip(part)
        chip = model_for(spec, clock=VirtualClock(), data=data, **chip_faults)
        if kind == "pysim":
            # A new simulated board per connection, as SimProgrammer does.
            def device() -> RomprogDevice:
                return RomprogDevice(chip)

            return Board(kind, spec, chip, link or LinkModel(), device)
        binary = request.getfixturevalue("firmware_bin")
        dev = LockstepDevice(binary, chip, watchdog_ms=watchdog_ms, faults=board_faults)
        started.append(dev)
        return Board(kind, spec, chip, link or LinkModel(), dev)

    yield make
    for dev in started:
        dev.stop()


__all__ = ["Board", "BoardFactory", "SimProgrammer"]
