"""A ParallelBus/ProgrammingBus over a datasheet chip model, for algorithm tests.

The simulators may not import the algorithms, so the adapter lives here: it turns bus calls
into model pin cycles and lets time pass on the model's virtual clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from romtool.chips import get_chip
from romtool.programmers.sim.chips import ChipModel, model_for


class ModelBus:
    """Drive a :class:`ChipModel` as a bus.

    Args:
        model: the chip.
        cycle_us: extra host latency per cycle outside ``batch()`` (a slow serial bus).
        batch_cycle_us: extra latency per write inside ``batch()`` (0: back to back).
    """

    def __init__(self, model: ChipModel, *, cycle_us: float = 0.0, batch_cycle_us: float = 0.0):
        self.model = model
        self.cycle_us = cycle_us
        self.batch_cycle_us = batch_cycle_us
        self.in_batch = False
        self.reads = 0

    def _latency(self) -> None:
        us = self.batch_cycle_us if self.in_batch else self.cycle_us
        if us:
            self.model.idle(us)

    def read_byte(self, address: int) -> int:
        assert not self.in_batch, "read inside batch()"
        self.reads += 1
        self._latency()
        return self.model.read(address)

    def write_byte(self, address: int, value: int) -> None:
        self._latency()
        self.model.write(address, value)

    def delay_us(self, us: float) -> None:
        self.model.idle(us)

    def now_us(self) -> float:
        return self.model.clock.now_us()

    @contextmanager
    def batch(self) -> Iterator[None]:
        self.in_batch = True
        try:
            yield
        finally:
            self.in_batch = False

    # ProgrammingBus
    def set_vcc(self, mv: int) -> None:
        self.model.set_vcc(mv)

    def set_vpp(self, mv: int | None) -> None:
        self.model.set_vpp(mv)

    def program_pulse(self, address: int, value: int, width_us: float) -> None:
        self.model.program_pulse(address, value, width_us)

    def read_signature(self, address: int) -> int:
        return self.model.read_signature(address)


class PlainBus(ModelBus):
    """A bus without VPP control (flash-only programmers)."""

    set_vcc = None  # type: ignore[assignment]
    set_vpp = None  # type: ignore[assignment]
    program_pulse = None  # type: ignore[assignment]
    read_signature = None  # type: ignore[assignment]


def make(name: str, **kwargs: Any) -> tuple[ChipModel, ModelBus]:
    """Model + bus for the part ``name``; bus options ``cycle_us``/``batch_cycle_us``."""
    bus_opts = {k: kwargs.pop(k) for k in ("cycle_us", "batch_cycle_us") if k in kwargs}
    model = model_for(get_chip(name), **kwargs)
    return model, ModelBus(model, **bus_opts)


@pytest.fixture
def chip_bus() -> Callable[..., tuple[ChipModel, ModelBus]]:
    """``chip_bus("27C256", weak={5: None})`` -> (model, bus)."""
    return make
