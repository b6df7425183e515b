"""Serve a simulated TommyPROM on a pty in real time.

The sketch's virtual clock is pulled forward to real time as it runs, so its own timers (the
2 s wait and 3 s repeats of the XMODEM start character, the 3 s quiet period after an abort)
happen when a terminal program or the ``tommyprom:`` driver expects them. The serving itself
(thread, pty, state file) is :class:`~romtool.programmers.sim.serving.DeviceServer`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from romtool.programmers.sim.serving import DeviceServer
from romtool.programmers.sim.tommyprom.sketch import TommyPromSketch


class SketchServer(DeviceServer):
    """A :class:`TommyPromSketch` behind a pty, served by a thread.

    Args:
        sketch: the sketch (its chip model keeps the contents).
        state: file the chip contents are saved to at stop.
    """

    poll_s = 0.05
    """Often enough for the sketch's timers while no input arrives."""
    recv_bytes = 4096
    thread_name = "tommyprom-sim"

    def __init__(self, sketch: TommyPromSketch, state: Path | None = None) -> None:
        super().__init__(sketch.chip, state)
        self.sketch = sketch

    @property
    def spec(self) -> str:
        """The romtool programmer spec that reaches this server."""
        return f"tommyprom:{self.pty_name}"

    def _attach(self, output: Callable[[bytes, float], None]) -> None:
        # The prompt printed before the port was attached is lost, as on a real board.
        self.sketch.output = output

    def _idle(self) -> None:
        now = self.real_now_us()
        self.chip.clock.advance_to(now)
        self.sketch.tick(now)

    def _deliver(self, data: bytes) -> None:
        self.sketch.receive(data)
