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

import os
from pathlib import Path
from typing import Any

from romtool.chips import get_chip
from romtool.chips.spec import ChipSpec
from romtool.errors import InputError, UsageError
from romtool.fileio import write_atomic
from romtool.programmers.registry import OpenContext, ProgrammerSpec, check_options
from romtool.programmers.romprog.driver import RomprogProgrammer
from romtool.programmers.sim.chips import ChipModel, model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel, parse_link_options
from romtool.programmers.sim.romprog.device import DeviceConfig, RomprogDevice
from romtool.programmers.sim.romprog.port import SimPort
from romtool.settings import Settings
from romtool.units import parse_int

LINK_OPTIONS = {"latency", "ber", "drop", "dup", "stall", "stall_s", "disconnect", "seed"}
FAULT_OPTIONS = {"stuck0", "stuck1", "weak", "dead", "empty", "locked"}
OPTIONS = LINK_OPTIONS | FAULT_OPTIONS | {"state", "baud", "payload", "window"}


def load_state(path: Path, chip: ChipSpec) -> bytes | None:
    """The saved contents, or None for a new (blank) chip.

    Raises:
        InputError: the file cannot be read or does not have the chip's size.
    """
    if not path.exists():
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read simulator state: {exc.strerror}", path=str(path)) from None
    if len(data) != chip.size:
        raise InputError(
            f"simulator state does not fit {chip.name}",
            path=str(path),
            expected=f"{chip.size} bytes",
            actual=f"{len(data)} bytes",
        )
    return data


def _parse_masks(text: str, what: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for item in text.split("+"):
        addr, _, mask = item.partition(":")
        out[parse_int(addr, what=f"{what} address")] = (
            parse_int(mask, what=f"{what} mask") if mask else 0xFF
        )
    return out


def _parse_weak(text: str) -> dict[int, int | None]:
    out: dict[int, int | None] = {}
    for item in text.split("+"):
        addr, _, extra = item.partition(":")
        out[parse_int(addr, what="weak address")] = (
            parse_int(extra, what="weak attempts") if extra else None
        )
    return out


def chip_faults(options: dict[str, str]) -> dict[str, Any]:
    """Chip-model fault keyword arguments from spec options."""
    faults: dict[str, Any] = {}
    if "stuck0" in options:
        faults["stuck0"] = _parse_masks(options["stuck0"], "stuck0")
    if "stuck1" in options:
        faults["stuck1"] = _parse_masks(options["stuck1"], "stuck1")
    if "weak" in options:
        faults["weak"] = _parse_weak(options["weak"])
    for flag in ("dead", "empty"):
        if options.get(flag, "0") not in ("0", ""):
            faults[flag] = True
    return faults


class SimProgrammer(RomprogProgrammer):
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
        self.part = part
        self.state = state
        self.link_model = link or LinkModel()
        self.config = config or DeviceConfig()
        if chip is None:
            initial = load_state(state, part) if state is not None else None
            chip = model_for(
                part, clock=VirtualClock(), data=initial, locked=locked, **(faults or {})
            )
        self.chip_model = chip
        self.device: RomprogDevice | None = None
        self.sim_link: Link | None = None

    def _connect_sim(self) -> SimPort:
        # The host clock starts where the board's is (a chip kept from an earlier session has
        # its clock far along), so answers are not stamped in the host's future.
        self.sim_link = Link(self.link_model, VirtualClock(self.chip_model.clock.now_us()))
        self.device = RomprogDevice(self.chip_model, self.config)
        return SimPort(self.sim_link, self.device)

    def modeled_seconds(self) -> float:
        """The host's virtual clock in seconds (from 0 for a fresh chip): the modeled time."""
        return self.sim_link.clock.now_s() if self.sim_link is not None else 0.0

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.save()

    def save(self) -> None:
        """Write the chip contents to the state file (if any)."""
        if self.state is not None:
            write_atomic(self.state, self.chip_model.snapshot(), force=True)


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
    link = parse_link_options({k: v for k, v in opts.items() if k in LINK_OPTIONS})
    config = DeviceConfig()
    if "payload" in opts or "window" in opts:
        payload = parse_int(opts.get("payload", str(config.max_payload)), what="payload")
        window = parse_int(opts.get("window", str(max(config.window, 2 * payload))), what="window")
        if payload < 64 or window < payload:
            raise UsageError("bad payload/window: expected payload >= 64 and window >= payload")
        config = DeviceConfig(max_payload=payload, window=window)
    baud = parse_int(opts["baud"], what="baud rate") if "baud" in opts else None
    state = Path(os.path.expanduser(opts["state"])) if opts.get("state") else None
    return SimProgrammer(
        part,
        state=state,
        link=link,
        config=config,
        faults=chip_faults(opts),
        locked=opts.get("locked", "0") not in ("0", ""),
        settings=context.settings,
        baud=baud,
        trace=context.trace,
    )
