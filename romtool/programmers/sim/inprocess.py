"""What every in-process simulated programmer shares: the chip in its socket and its state file.

``sim:PART`` (romprog), ``serprog:sim``, ``tommyprom:sim`` and ``flashcard:sim`` each put a
datasheet chip model in a simulated socket. They read their chip options the same way:

* ``state=FILE``: the chip's contents live in FILE (raw bytes, exactly the chip's size)
  between commands; a missing file is a blank chip. Written back atomically when the
  programmer closes, also after a failure (an interrupted write leaves a half-written chip, as
  in real life).
* Chip faults: ``stuck0=ADDR:MASK[+ADDR:MASK...]``, ``stuck1=...``, ``weak=ADDR[:N][+...]``
  (N extra program attempts; without N the byte never programs), ``dead=1``, ``empty=1``.

:class:`SimulatedSocket` is the part of such a programmer that owns the chip model, the state
file and the simulated cable's clock; the drivers themselves are the real ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from romtool.chips.spec import ChipSpec
from romtool.errors import InputError
from romtool.fileio import write_atomic
from romtool.programmers.base import Programmer
from romtool.programmers.sim.chips import ChipModel, model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel, parse_link_options
from romtool.units import parse_int

FAULT_OPTIONS = frozenset({"stuck0", "stuck1", "weak", "dead", "empty"})
"""Spec options read by :func:`chip_faults`."""


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


def state_option(options: dict[str, str]) -> Path | None:
    """The ``state=FILE`` option as a path (``~`` expanded), or None when absent or empty."""
    text = options.get("state")
    return Path(os.path.expanduser(text)) if text else None


def flag_option(options: dict[str, str], key: str) -> bool:
    """A ``key=1`` switch: on unless absent, ``0`` or empty."""
    return options.get(key, "0") not in ("0", "")


def link_option(options: dict[str, str], keys: frozenset[str] | set[str]) -> LinkModel:
    """The cable model from those of ``options`` named in ``keys``.

    Raises:
        UsageError: a bad value (see :func:`~romtool.programmers.sim.link.parse_link_options`).
    """
    return parse_link_options({k: v for k, v in options.items() if k in keys})


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
    """Chip-model fault keyword arguments from spec options (see the module docstring).

    Raises:
        UsageError: an address, mask or count is not a number.
    """
    faults: dict[str, Any] = {}
    if "stuck0" in options:
        faults["stuck0"] = _parse_masks(options["stuck0"], "stuck0")
    if "stuck1" in options:
        faults["stuck1"] = _parse_masks(options["stuck1"], "stuck1")
    if "weak" in options:
        faults["weak"] = _parse_weak(options["weak"])
    for flag in ("dead", "empty"):
        if flag_option(options, flag):
            faults[flag] = True
    return faults


def socket_chip(
    part: ChipSpec,
    state: Path | None,
    *,
    faults: dict[str, Any] | None = None,
    locked: bool = False,
) -> ChipModel:
    """A fresh chip model of ``part`` on its own virtual clock, holding ``state``'s contents.

    Raises:
        InputError: the state file cannot be read or does not fit the part.
    """
    initial = load_state(state, part) if state is not None else None
    return model_for(part, clock=VirtualClock(), data=initial, locked=locked, **(faults or {}))


class SimulatedSocket(Programmer):
    """Mixin for a real driver whose device and chip are simulated in process.

    Put it first among the bases (``class SimX(SimulatedSocket, XProgrammer)``) and call
    :meth:`_init_socket` from ``__init__``: it owns the chip model, saves it to the state file
    when the programmer closes, and keeps the cable whose clock is the modeled time.
    """

    part: ChipSpec
    state: Path | None
    link_model: LinkModel
    chip_model: ChipModel
    sim_link: Link | None

    def _init_socket(
        self,
        part: ChipSpec,
        *,
        state: Path | None,
        link: LinkModel | None,
        faults: dict[str, Any] | None,
        locked: bool = False,
        chip: ChipModel | None = None,
    ) -> None:
        """Set up the socket: ``chip`` if given (tests keep one across runs), else a model of
        ``part`` loaded from ``state``.

        Raises:
            InputError: the state file cannot be read or does not fit the part.
        """
        self.part = part
        self.state = state
        self.link_model = link or LinkModel()
        if chip is None:
            chip = socket_chip(part, state, faults=faults, locked=locked)
        self.chip_model = chip
        self.sim_link = None

    def _new_link(self, start_us: float = 0.0) -> Link:
        """A new cable (one per connect) whose host clock starts at ``start_us``."""
        self.sim_link = Link(self.link_model, VirtualClock(start_us))
        return self.sim_link

    def modeled_seconds(self) -> float:
        """The host's virtual clock in seconds: the modeled time (0 before the first open)."""
        return self.sim_link.clock.now_s() if self.sim_link is not None else 0.0

    def close(self) -> None:
        try:
            # With this class first among the bases, super() is the real driver's close.
            super().close()  # type: ignore[safe-super]
        finally:
            self.save()

    def save(self) -> None:
        """Write the chip contents to the state file (if any)."""
        if self.state is not None:
            write_atomic(self.state, self.chip_model.snapshot(), force=True)
