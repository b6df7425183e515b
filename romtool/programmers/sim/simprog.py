"""``sim:PART``: the real romprog driver against a simulated board, in-process.

Options (``sim:PART,KEY=VALUE,...``):

* ``state=FILE``: the chip's contents live in FILE (raw bytes, the chip's size) between
  commands; a missing file is a blank chip. Written back atomically when the programmer closes.
* ``baud=N``: the driver switches the board to N baud after the handshake (as ``romprog:``).
* Link model: ``latency=1ms``, ``ber=P``, ``drop=P``, ``dup=P``, ``stall=P``, ``stall_s=S``,
  ``disconnect=N`` (the cable is pulled after N bytes), ``seed=N``
  (see :mod:`romtool.programmers.sim.link`).
* Chip faults: ``stuck0=ADDR:MASK[+ADDR:MASK...]``, ``stuck1=...``, ``weak=ADDR[:N][+...]``
  (N extra program attempts; without N the byte never programs), ``dead=1``, ``empty=1``,
  ``locked=1`` (software data protection on, for parts that have it).
* Board limits: ``payload=N`` (max payload), ``window=N``.

UV erase: ``romtool erase --uv -p sim:27C256,state=FILE`` puts the simulated die under the lamp
(the SIM_UV_ERASE command; real boards have no lamp).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from romtool.chips import get_chip
from romtool.chips.spec import ChipSpec
from romtool.errors import UsageError
from romtool.programmers.registry import OpenContext, ProgrammerSpec, check_options
from romtool.programmers.romprog.driver import RomprogProgrammer
from romtool.programmers.romprog.protocol import MIN_PAYLOAD
from romtool.programmers.sim.chips import ChipModel
from romtool.programmers.sim.inprocess import (
    FAULT_OPTIONS,
    SimulatedSocket,
    chip_faults,
    flag_option,
    link_option,
    state_option,
)
from romtool.programmers.sim.link import LinkModel
from romtool.programmers.sim.romprog.config import DeviceConfig
from romtool.programmers.sim.romprog.device import RomprogDevice
from romtool.programmers.sim.romprog.port import SimPort
from romtool.settings import Settings
from romtool.units import parse_int

LINK_OPTIONS = {"latency", "ber", "drop", "dup", "stall", "stall_s", "disconnect", "seed"}
OPTIONS = LINK_OPTIONS | FAULT_OPTIONS | {"locked", "state", "baud", "payload", "window"}


class SimProgrammer(SimulatedSocket, RomprogProgrammer):
    """A :class:`RomprogProgrammer` whose board and chip are simulated.

    Args:
        part: the part in the simulated socket.
        state: file keeping the chip contents between runs (None: forgotten at close).
        link: the cable model.
        config: the board's limits.
        faults: chip-model faults (:class:`romtool.programmers.sim.chips.Faults` fields).
        locked: start with software data protection on.
        settings, baud, trace: as for :class:`RomprogProgrammer`.
        chip: an existing chip model to put in the socket (tests keep one across sessions).
    """

    kind = "sim"

    def __init__(
        self,
        part: ChipSpec,
        *,
        state: Path | None = None,
        link: LinkModel | None = None,
        config: DeviceConfig | None = None,
        faults: dict[str, Any] | None = None,
        locked: bool = False,
        settings: Settings | None = None,
        baud: int | None = None,
        trace: Any = None,
        chip: ChipModel | None = None,
    ) -> None:
        super().__init__(
            self._connect_sim,
            settings=settings,
            baud=baud,
            trace=trace,
            label=f"sim:{part.name}",
        )
        self._init_socket(part, state=state, link=link, faults=faults, locked=locked, chip=chip)
        self.config = config or DeviceConfig()
        self.device: RomprogDevice | None = None

    def _connect_sim(self) -> SimPort:
        # The host clock starts where the board's is (a chip kept from an earlier session has
        # its clock far along), so answers are not stamped in the host's future; the modeled
        # time therefore counts from 0 for a fresh chip.
        link = self._new_link(self.chip_model.clock.now_us())
        self.device = RomprogDevice(self.chip_model, self.config)
        return SimPort(link, self.device)


def open_sim(spec: ProgrammerSpec, context: OpenContext) -> SimProgrammer:
    """Factory for ``sim:`` specs (see :mod:`romtool.programmers.registry`).

    Raises:
        UsageError: no part, an unknown part or a bad option.
    """
    check_options(spec, OPTIONS)
    if spec.target:
        part = get_chip(spec.target)
    elif context.part is not None:
        part = context.part
    else:
        raise UsageError(
            "sim needs the part in its socket", hint="for example -p sim:27C256 or -c 27C256"
        )
    opts = spec.options
    link = link_option(opts, LINK_OPTIONS)
    config = DeviceConfig()
    if "payload" in opts or "window" in opts:
        payload = parse_int(opts.get("payload", str(config.max_payload)), what="payload")
        window = parse_int(opts.get("window", str(max(config.window, 2 * payload))), what="window")
        if payload < MIN_PAYLOAD or window < payload:
            raise UsageError(
                f"bad payload/window: expected payload >= {MIN_PAYLOAD} and window >= payload"
            )
        config = DeviceConfig(max_payload=payload, window=window)
    baud = parse_int(opts["baud"], what="baud rate") if "baud" in opts else None
    return SimProgrammer(
        part,
        state=state_option(opts),
        link=link,
        config=config,
        faults=chip_faults(opts),
        locked=flag_option(opts, "locked"),
        settings=context.settings,
        baud=baud,
        trace=context.trace,
    )
