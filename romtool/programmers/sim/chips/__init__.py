"""Datasheet models of the chips in the database (see :mod:`.base`).

``model_for(spec, **faults)`` returns the model for a spec's technology; simulated programmers
drive it pin by pin on a shared :class:`~romtool.programmers.sim.clock.VirtualClock`.
"""

from __future__ import annotations

from romtool.programmers.sim.chips.base import ChipModel, Counters, Faults, PinError, model_for

__all__ = ["ChipModel", "Counters", "Faults", "PinError", "model_for"]
