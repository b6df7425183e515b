"""Fixtures for the TL866 tests: simulated programmers on a simulated USB bus."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from romtool.chips.db import get_chip
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.tl866 import backend
from romtool.programmers.sim.tl866.device import MODEL_T48, MODEL_TL866II_PLUS, SimFaults, SimTl866

SAMPLE_INFOIC = Path(__file__).parent / "data" / "infoic_sample.xml"
MODELS = {"tl866ii+": MODEL_TL866II_PLUS, "t48": MODEL_T48}

MakeSim = Callable[..., SimTl866]


@pytest.fixture
def sim_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeSim]:
    """``make(model, part, data=None, serial=..., **faults)`` attaches a simulated programmer.

    The real driver finds it through ``ROMTOOL_USB_BACKEND``; the synthetic infoic.xml is the
    chip database (``ROMTOOL_INFOIC``), so no minipro install on the machine leaks in.
    """
    monkeypatch.setenv("ROMTOOL_USB_BACKEND", "romtool.programmers.sim.tl866.backend:factory")
    monkeypatch.setenv("ROMTOOL_INFOIC", str(SAMPLE_INFOIC))
    backend.detach_all()

    def make(
        model: str,
        part: str | None,
        *,
        data: bytes | None = None,
        serial: str = "SIM0000000000000001",
        chip_faults: dict[str, Any] | None = None,
        locked: bool = False,
        **faults: Any,
    ) -> SimTl866:
        chip = None
        if part is not None:
            chip = model_for(get_chip(part), data=data, locked=locked, **(chip_faults or {}))
        sim = SimTl866(MODELS[model], chip, serial=serial, faults=SimFaults(**faults))
        return backend.attach(sim)

    yield make
    backend.detach_all()
