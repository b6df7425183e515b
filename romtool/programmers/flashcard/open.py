"""The ``flashcard:`` spec: a FlashCard in this PC, or the simulated one.

Spec strings::

    flashcard:0xD0000            the card at physical 0xD0000, through /dev/mem
    flashcard:D000               the same, as a real-mode segment (as flashimg asks for it)
    flashcard:auto               probe E0000, D8000, D0000, C8000 (flashimg's order) by chip id
    flashcard:D000,size=64K      the window the card's switches decode (32K default)
    flashcard:D000,mem=FILE      a file standing for physical memory instead of /dev/mem
    flashcard:sim                the simulated card (see below)

Simulator options (``flashcard:sim[,KEY=VALUE]...``): ``at=ADDR`` where the driver looks
(default: where the card is, or ``auto``); ``card=ADDR`` where the simulated card's switches
put it (default 0xD0000); ``size=`` the window (32K, 64K or 128K); ``bank=N`` the bank switches
(which ``size``-sized part of the chip is visible); ``chip=PART`` the part in the socket
(default: the ``-c`` part, else AM29F010); ``state=FILE`` the chip contents between runs;
``protect=1`` the write-protect jumper; ``erase_fault=dq5|hang``; and the chip faults of the
``sim:`` programmer (``stuck0=``, ``stuck1=``, ``weak=``, ``dead=1``, ``empty=1``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from romtool.chips.db import get_chip
from romtool.errors import UsageError
from romtool.fileio import write_atomic
from romtool.programmers.flashcard.driver import FlashCardDriver, devmem_opener
from romtool.programmers.flashcard.programmer import FlashCardProgrammer
from romtool.programmers.flashcard.window import DEFAULT_WINDOW, WindowError, parse_card_address
from romtool.programmers.registry import OpenContext, ProgrammerSpec, check_options
from romtool.programmers.transports.mmio import DEV_MEM, IsaMemory
from romtool.ranges import Range
from romtool.units import parse_size

if TYPE_CHECKING:
    from romtool.programmers.sim.chips.base import ChipModel

OPTIONS = {"size", "mem", "mem-device", "mem_device"}
SIM_OPTIONS = {
    "size", "at", "card", "bank", "chip", "state", "protect", "erase_fault",
    "stuck0", "stuck1", "weak", "dead", "empty",
}  # fmt: skip
DEFAULT_SIM_CHIP = "AM29F010"
"""The chip Etherboot's flashimg expects on the FlashCard."""


def _address(text: str | None) -> int | None:
    if text is None:
        raise UsageError(
            "flashcard needs an address",
            hint="e.g. flashcard:0xD0000, flashcard:D000 or flashcard:auto",
        )
    if text.lower() == "auto":
        return None
    return parse_card_address(text)


def _size(options: dict[str, str]) -> int:
    if "size" not in options:
        return DEFAULT_WINDOW
    return parse_size(options["size"], what="FlashCard window size")


def open_flashcard(spec: ProgrammerSpec, context: OpenContext) -> FlashCardProgrammer:
    """Factory for ``flashcard:`` specs (see :mod:`romtool.programmers.registry`).

    Raises:
        UsageError: a bad address, size or option (before anything is opened).
        WindowError: the address or size breaks the board's rules.
    """
    if spec.target is not None and spec.target.lower() == "sim":
        return open_sim_flashcard(spec, context)
    check_options(spec, OPTIONS)
    opts = spec.options
    path = opts.get("mem") or opts.get("mem-device") or opts.get("mem_device") or DEV_MEM
    driver = FlashCardDriver(
        _address(spec.target),
        size=_size(opts),
        memory=devmem_opener(os.path.expanduser(path)),
        source=path,
    )
    return FlashCardProgrammer(driver)


class _SimFlashCardProgrammer(FlashCardProgrammer):
    """The simulated card: saves the chip to ``state`` at close."""

    def __init__(self, driver: FlashCardDriver, chip: ChipModel, state: Path | None) -> None:
        super().__init__(driver)
        self.chip_model = chip
        self.state = state

    def close(self) -> None:
        super().close()
        if self.state is not None:
            write_atomic(self.state, self.chip_model.snapshot(), force=True)


def open_sim_flashcard(spec: ProgrammerSpec, context: OpenContext) -> FlashCardProgrammer:
    """``flashcard:sim``: the real driver and adapter over the simulated upper memory area.

    Raises:
        UsageError: a bad option; WindowError: the driver's address breaks the rules.
    """
    from romtool.programmers.sim.flashcard import sim_machine
    from romtool.programmers.sim.inprocess import (
        chip_faults,
        flag_option,
        socket_chip,
        state_option,
    )

    check_options(spec, SIM_OPTIONS)
    opts = spec.options
    if "chip" in opts:
        part = get_chip(opts["chip"])
    elif context.part is not None:
        part = context.part
    else:
        part = get_chip(DEFAULT_SIM_CHIP)
    size = _size(opts)
    card_base = parse_card_address(opts.get("card", "0xD0000"))
    bank = parse_size(opts["bank"], what="bank") if opts.get("bank") not in (None, "0") else 0
    state = state_option(opts)
    chip = socket_chip(part, state, faults=chip_faults(opts))
    try:
        machine = sim_machine(
            chip,
            card_base=card_base,
            size=size,
            bank=bank,
            write_protect=flag_option(opts, "protect"),
            erase_fault=opts.get("erase_fault") or None,
        )
    except ValueError as exc:
        raise WindowError(f"flashcard:sim: {exc}") from None
    at = _address(opts["at"]) if "at" in opts else card_base

    def opener(region: Range, writable: bool) -> IsaMemory:
        return machine.view(region, writable=writable)

    driver = FlashCardDriver(
        at,
        size=size,
        memory=opener,
        clock=machine,
        source="simulated ISA bus",
    )
    return _SimFlashCardProgrammer(driver, chip, state)
