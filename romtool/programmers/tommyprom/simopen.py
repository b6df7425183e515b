"""``tommyprom:sim``: the real TommyPROM driver against the simulated sketch, in process.

The sketch (:mod:`romtool.programmers.sim.tommyprom.sketch`) sits behind a simulated 115200
baud cable on a virtual clock; the part is the one chosen with ``-c``, and the sketch's family
follows it (or ``family=`` to model a sketch built for something else).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from romtool.chips.spec import ChipSpec
from romtool.errors import UsageError
from romtool.programmers.registry import OpenContext, ProgrammerSpec
from romtool.programmers.sim.chips import ChipModel
from romtool.programmers.sim.inprocess import (
    SimulatedSocket,
    chip_faults,
    link_option,
    state_option,
)
from romtool.programmers.sim.link import LinkModel
from romtool.programmers.sim.port import StreamPort
from romtool.programmers.sim.tommyprom.prom import Family
from romtool.programmers.sim.tommyprom.sketch import SketchConfig, TommyPromSketch
from romtool.programmers.tommyprom.driver import TommyPromProgrammer
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings

LINK_OPTIONS = frozenset({"baud", "latency", "disconnect"})
"""Cable options of ``tommyprom:sim``."""
FAMILIES = {"28c": Family.EEPROM_28C, "sst39sf": Family.SST39SF, "27": Family.READ_ONLY}


class SimTommyPromProgrammer(SimulatedSocket, TommyPromProgrammer):
    """A :class:`TommyPromProgrammer` whose Arduino and chip are simulated.

    Args:
        part: the part in the socket.
        state: file keeping the chip contents between runs.
        link: the cable model (115200 baud, 1 ms latency by default).
        config: the sketch's compile-time choices.
        faults: chip-model faults.
        locked: the part starts SDP-locked.
        chip: an existing chip model (tests keep one across sessions).
        settings, trace, lock: as for :class:`TommyPromProgrammer`.
    """

    def __init__(
        self,
        part: ChipSpec,
        *,
        state: Path | None = None,
        link: LinkModel | None = None,
        config: SketchConfig | None = None,
        faults: dict[str, Any] | None = None,
        locked: bool = False,
        chip: ChipModel | None = None,
        settings: Settings | None = None,
        trace: Any = None,
        lock: bool = False,
    ) -> None:
        super().__init__(
            self._connect, settings=settings, trace=trace, label="tommyprom:sim", lock=lock
        )
        self._init_socket(part, state=state, link=link, faults=faults, locked=locked, chip=chip)
        self.sketch = TommyPromSketch(self.chip_model, config or SketchConfig())

    def _connect(self) -> ByteLink:
        # The host clock starts at 0 at each open: the modeled time is that of this run.
        return StreamPort(self._new_link(), self.sketch)


def open_sim_tommyprom(
    spec: ProgrammerSpec, context: OpenContext, *, lock: bool
) -> SimTommyPromProgrammer:
    """Factory for ``tommyprom:sim`` (options checked by the caller).

    Raises:
        UsageError: no part, or a bad option value.
    """
    part = context.part
    if part is None:
        raise UsageError("tommyprom:sim needs the part in its socket", hint="give it with -c PART")
    opts = spec.options
    family = None
    if "family" in opts:
        family = FAMILIES.get(opts["family"].lower())
        if family is None:
            raise UsageError(f"bad family={opts['family']!r}", hint="one of " + ", ".join(FAMILIES))
    crc = opts.get("crc", "no").lower() in ("1", "yes", "true", "on")
    link = link_option(opts, LINK_OPTIONS)
    return SimTommyPromProgrammer(
        part,
        state=state_option(opts),
        link=link,
        config=SketchConfig(family=family, crc=crc),
        faults=chip_faults(opts),
        settings=context.settings,
        trace=context.trace,
        lock=lock,
    )
