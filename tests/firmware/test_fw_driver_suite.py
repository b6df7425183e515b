"""The romprog driver's own simulator tests, run again with the C firmware as the board.

``tests/programmers/test_romprog_sim.py`` tests the driver against the Python simulated board.
Here the same test functions run with :class:`SimProgrammer` and :class:`RomprogDevice`
replaced by the firmware's host build in lockstep on the same link and chip models, so the C
firmware meets every expectation the driver has of a board.

The link-fault matrix runs with one seed instead of three (bus round trips are the host
build's cost). Tests that look inside the Python board itself are left out: the two
request-cache tests read the Python board's profile and duplicate counter (the firmware's
cache is tested through the wire in test_fw_robust.py), and the no-VPP test configures a
Python board without VPP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from romtool.chips import all_chips, get_chip
from romtool.errors import ProgrammerError
from romtool.programmers.sim.busserver import LockstepDevice
from romtool.programmers.sim.chips import ChipModel
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link
from romtool.programmers.sim.romprog.port import SimPort
from romtool.programmers.sim.simprog import SimProgrammer
from tests.programmers import test_romprog_sim as suite

_boards: dict[int, LockstepDevice] = {}
_binary: list[Path] = []


def _board_for(chip: ChipModel) -> LockstepDevice:
    """One firmware process per chip model: replugging the cable keeps the board powered."""
    dev = _boards.get(id(chip))
    if dev is None:
        dev = LockstepDevice(_binary[0], chip)
        _boards[id(chip)] = dev
    return dev


class FirmwareSimProgrammer(SimProgrammer):
    """``sim:`` with the C firmware's host build as the board."""

    def _connect_sim(self) -> SimPort:
        self.sim_link = Link(self.link_model, VirtualClock())
        return SimPort(self.sim_link, _board_for(self.chip_model))


def _firmware_device(chip: ChipModel, *args: Any, **kwargs: Any) -> LockstepDevice:
    return _board_for(chip)


@pytest.fixture(autouse=True)
def _firmware_board(firmware_bin: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _binary[:] = [firmware_bin]
    monkeypatch.setattr(suite, "SimProgrammer", FirmwareSimProgrammer)
    monkeypatch.setattr(suite, "RomprogDevice", _firmware_device)
    yield
    for dev in _boards.values():
        dev.stop()
    _boards.clear()


SKIPPED = {
    "test_repeated_request_is_answered_from_the_cache_not_run_twice",
    "test_eprom_on_a_board_without_vpp_is_refused",
    "test_link_faults_are_survived_with_correct_contents",
    "test_every_part_in_the_database_programs_and_identifies",
    # Looks inside the Python board (its profile and duplicate counter); test_fw_robust.py
    # checks the same through the wire.
    "test_a_new_session_reusing_sequence_numbers_is_not_answered_from_the_cache",
}

for _name in dir(suite):
    if _name.startswith("test_") and _name not in SKIPPED:
        globals()[_name] = getattr(suite, _name)


FAULTS = [
    {"ber": 3e-4},
    {"drop": 3e-4},
    {"dup": 3e-4},
    {"stall": 2e-4},
    {"ber": 2e-4, "drop": 2e-4, "dup": 2e-4, "stall": 1e-4},
]


@pytest.mark.parametrize(
    "fault", FAULTS, ids=["bit-errors", "drops", "duplicates", "stalls", "all"]
)
def test_link_faults_with_the_firmware(fault: dict[str, float]) -> None:
    """The suite's link-fault matrix with one seed: every 28C64 byte costs ~60 bus round trips
    in the host build, and the firmware's handling does not depend on where the faults land."""
    suite.test_link_faults_are_survived_with_correct_contents(fault, 1)


BOARD_VCC_MV = (4500, 6500)
"""The board's VCC range (HELLO); its socket logic is 5 V."""


def _fits_the_board(name: str) -> bool:
    volts = get_chip(name).voltages
    return BOARD_VCC_MV[0] <= volts.vcc_read_mv <= BOARD_VCC_MV[1]


@pytest.mark.parametrize("name", [c.name for c in all_chips() if _fits_the_board(c.name)])
def test_every_5v_part_in_the_database(name: str) -> None:
    suite.test_every_part_in_the_database_programs_and_identifies(name)


@pytest.mark.parametrize("name", [c.name for c in all_chips() if not _fits_the_board(c.name)])
def test_low_voltage_parts_are_refused(name: str) -> None:
    """A 3.3 V part on 5 V socket logic would be driven past its absolute maximum: the
    firmware refuses the profile (VCC outside the board's range) before powering anything."""
    prog = suite.fresh(name)
    with prog, pytest.raises(ProgrammerError):
        prog.select(prog.part)
    assert prog.chip_model.vpp_mv is None
