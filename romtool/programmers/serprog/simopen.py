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
from romtool.fileio import write_atomic
from romtool.programmers.busadapter import BusProgrammer
from romtool.programmers.registry import OpenContext, ProgrammerSpec
from romtool.programmers.serprog.driver import SerprogDriver
from romtool.programmers.sim.chips import ChipModel, model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel, parse_link_options
from romtool.programmers.sim.serprog.device import DeviceConfig, SerprogDevice
from romtool.programmers.sim.serprog.port import StreamPort
from romtool.programmers.sim.simprog import chip_faults, load_state
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings
from romtool.units import parse_int


class SimSerprogProgrammer(BusProgrammer):
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
        self.part = part
        self.state = state
        self.link_model = link or LinkModel()
        if chip is None:
            initial = load_state(state, part) if state is not None else None
            chip = model_for(part, clock=VirtualClock(), data=initial, **(faults or {}))
        self.chip_model = chip
        self.device = SerprogDevice(chip, config or DeviceConfig())
        self.sim_link: Link | None = None
        driver = SerprogDriver(self._connect, settings=settings, trace=trace, label="serprog:sim")
        super().__init__(driver)

    def _connect(self) -> ByteLink:
        self.sim_link = Link(self.link_model, VirtualClock())
        return StreamPort(self.sim_link, self.device)

    def modeled_seconds(self) -> float:
        """Host time on the virtual clock since open (the modeled duration)."""
        return self.sim_link.clock.now_s() if self.sim_link is not None else 0.0

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.state is not None:
                write_atomic(self.state, self.chip_model.snapshot(), force=True)


def open_sim_serprog(spec: ProgrammerSpec, context: OpenContext) -> SimSerprogProgrammer:
    """Factory for ``serprog:sim`` (options checked by the caller).

    Raises:
        UsageError: no part chosen, or a bad option value.
    """
    part = context.part
    if part is None:
        raise UsageError("serprog:sim needs the part in its socket", hint="give it with -c PART")
    opts = spec.options
    link = parse_link_options(
        {k: v for k, v in opts.items() if k in ("baud", "latency", "disconnect")}
    )
    changes: dict[str, Any] = {}
    for key, field_name in (("lines", "address_lines"), ("serbuf", "serbuf"), ("opbuf", "opbuf")):
        if key in opts:
            changes[field_name] = parse_int(opts[key], what=key)
    try:
        config = replace(DeviceConfig(), **changes)
    except ValueError as exc:
        raise UsageError(f"bad serprog:sim option: {exc}") from None
    state = Path(opts["state"]).expanduser() if opts.get("state") else None
    return SimSerprogProgrammer(
        part,
        state=state,
        link=link,
        config=config,
        faults=chip_faults(opts),
        settings=context.settings,
        trace=context.trace,
    )
