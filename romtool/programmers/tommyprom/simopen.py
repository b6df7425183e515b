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
from romtool.fileio import write_atomic
from romtool.programmers.registry import OpenContext, ProgrammerSpec
from romtool.programmers.sim.chips import ChipModel, model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel, parse_link_options
from romtool.programmers.sim.serprog.port import StreamPort
from romtool.programmers.sim.simprog import chip_faults, load_state
from romtool.programmers.sim.tommyprom.prom import Family
from romtool.programmers.sim.tommyprom.sketch import SketchConfig, TommyPromSketch
from romtool.programmers.tommyprom.driver import TommyPromProgrammer
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings

FAMILIES = {"28c": Family.EEPROM_28C, "sst39sf": Family.SST39SF, "27": Family.READ_ONLY}


class SimTommyPromProgrammer(TommyPromProgrammer):
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
        self.part = part
        self.state = state
        self.link_model = link or LinkModel()
        if chip is None:
            initial = load_state(state, part) if state is not None else None
            chip = model_for(
                part, clock=VirtualClock(), data=initial, locked=locked, **(faults or {})
            )
        self.chip_model = chip
        self.sketch = TommyPromSketch(chip, config or SketchConfig())
        self.sim_link: Link | None = None

    def _connect(self) -> ByteLink:
        self.sim_link = Link(self.link_model, VirtualClock())
        return StreamPort(self.sim_link, self.sketch)

    def modeled_seconds(self) -> float:
        """Host time on the virtual clock since open (the modeled duration)."""
        return self.sim_link.clock.now_s() if self.sim_link is not None else 0.0

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.state is not None:
                write_atomic(self.state, self.chip_model.snapshot(), force=True)


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
    link = parse_link_options(
        {k: v for k, v in opts.items() if k in ("baud", "latency", "disconnect")}
    )
    state = Path(opts["state"]).expanduser() if opts.get("state") else None
    return SimTommyPromProgrammer(
        part,
        state=state,
        link=link,
        config=SketchConfig(family=family, crc=crc),
        faults=chip_faults(opts),
        settings=context.settings,
        trace=context.trace,
        lock=lock,
    )
