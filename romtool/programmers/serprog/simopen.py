"""``serprog:sim``: the real serprog driver against the simulated device, in process.

The device (:mod:`romtool.programmers.sim.serprog.device`) sits at the far end of a simulated
serial cable (:class:`~romtool.programmers.sim.link.Link`: baud, latency) on a virtual clock,
so a whole write runs in a fraction of a second of real time while durations, rates and ETAs
are the modeled ones. The part in the socket is the one chosen with ``-c``; ``state=FILE``
keeps its contents between commands.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from romtool.chips.spec import ChipSpec
from romtool.errors import UsageError
from romtool.programmers.busadapter import BusProgrammer
from romtool.programmers.registry import OpenContext, ProgrammerSpec
from romtool.programmers.serprog.driver import SerprogDriver
from romtool.programmers.sim.chips import ChipModel
from romtool.programmers.sim.inprocess import (
    SimulatedSocket,
    chip_faults,
    link_option,
    state_option,
)
from romtool.programmers.sim.link import LinkModel
from romtool.programmers.sim.port import StreamPort
from romtool.programmers.sim.serprog.device import DeviceConfig, SerprogDevice
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings
from romtool.units import parse_int

LINK_OPTIONS = frozenset({"baud", "latency", "disconnect"})
"""Cable options of ``serprog:sim`` (the other link faults are ``sim:`` only)."""


class SimSerprogProgrammer(SimulatedSocket, BusProgrammer):
    """A :class:`BusProgrammer` whose serprog board and chip are simulated.

    Args:
        part: the part in the simulated socket.
        state: file keeping the chip contents between runs (None: forgotten at close).
        link: the cable model.
        config: the board's answers and limits.
        faults: chip-model faults.
        chip: an existing chip model (tests keep one across sessions).
        settings, trace: as for :class:`SerprogDriver`.
    """

    def __init__(
        self,
        part: ChipSpec,
        *,
        state: Path | None = None,
        link: LinkModel | None = None,
        config: DeviceConfig | None = None,
        faults: dict[str, Any] | None = None,
        chip: ChipModel | None = None,
        settings: Settings | None = None,
        trace: Any = None,
    ) -> None:
        self._init_socket(part, state=state, link=link, faults=faults, chip=chip)
        self.device = SerprogDevice(self.chip_model, config or DeviceConfig())
        driver = SerprogDriver(self._connect, settings=settings, trace=trace, label="serprog:sim")
        super().__init__(driver)

    def _connect(self) -> ByteLink:
        # The host clock starts at 0 at each open: the modeled time is that of this run.
        return StreamPort(self._new_link(), self.device)


def open_sim_serprog(spec: ProgrammerSpec, context: OpenContext) -> SimSerprogProgrammer:
    """Factory for ``serprog:sim`` (options checked by the caller).

    Raises:
        UsageError: no part chosen, or a bad option value.
    """
    part = context.part
    if part is None:
        raise UsageError("serprog:sim needs the part in its socket", hint="give it with -c PART")
    opts = spec.options
    link = link_option(opts, LINK_OPTIONS)
    changes: dict[str, Any] = {}
    for key, field_name in (("lines", "address_lines"), ("serbuf", "serbuf"), ("opbuf", "opbuf")):
        if key in opts:
            changes[field_name] = parse_int(opts[key], what=key)
    try:
        config = replace(DeviceConfig(), **changes)
    except ValueError as exc:
        raise UsageError(f"bad serprog:sim option: {exc}") from None
    return SimSerprogProgrammer(
        part,
        state=state_option(opts),
        link=link,
        config=config,
        faults=chip_faults(opts),
        settings=context.settings,
        trace=context.trace,
    )
