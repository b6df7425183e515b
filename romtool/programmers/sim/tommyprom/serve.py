"""Serve a simulated TommyPROM on a pty in real time.

The sketch's virtual clock is pulled forward to real time as it runs, so its own timers (the
2 s wait and 3 s repeats of the XMODEM start character, the 3 s quiet period after an abort)
happen when a terminal program or the ``tommyprom:`` driver expects them.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from pathlib import Path

from romtool.fileio import write_atomic
from romtool.programmers.sim.tommyprom.sketch import TommyPromSketch

POLL_S = 0.05
"""How often the loop runs the sketch's timers while no input arrives."""
RECV_BYTES = 4096
"""Largest chunk read from the pty at once."""


class SketchServer:
    """A :class:`TommyPromSketch` behind a pty, served by a thread.

    Args:
        sketch: the sketch (its chip model keeps the contents).
        state: file the chip contents are saved to at stop.
    """

    def __init__(self, sketch: TommyPromSketch, state: Path | None = None) -> None:
        self.sketch = sketch
        self.state = state
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()
        self._wall0 = time.monotonic()
        self._virtual0 = sketch.chip.clock.now_us()
        self.pty_name: str | None = None

    @property
    def spec(self) -> str:
        return f"tommyprom:{self.pty_name}"

    def open_pty(self) -> str:
        master, slave = os.openpty()
        tty.setraw(master)
        self._master, self._slave = master, slave
        self.pty_name = os.ttyname(slave)
        return self.pty_name

    def start(self) -> SketchServer:
        self._thread = threading.Thread(target=self._serve, name="tommyprom-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        if self.state is not None:
            write_atomic(self.state, self.snapshot(), force=True)

    def snapshot(self) -> bytes:
        with self._lock:
            return self.sketch.chip.snapshot()

    def _real_now(self) -> float:
        return self._virtual0 + (time.monotonic() - self._wall0) * 1_000_000.0

    def _serve(self) -> None:
        fd = self._master
        assert fd is not None
        out = bytearray()
        self.sketch.output = lambda data, t: out.extend(data)
        # The prompt printed before the port was attached is lost, as on a real board.
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], POLL_S)
            with self._lock:
                now = self._real_now()
                self.sketch.chip.clock.advance_to(now)
                self.sketch.tick(now)
                if ready:
                    try:
                        data = os.read(fd, RECV_BYTES)
                    except OSError:
                        return
                    self.sketch.receive(data)
            if out:
                view = bytes(out)
                out.clear()
                while view:
                    try:
                        n = os.write(fd, view)
                    except OSError:
                        return
                    view = view[n:]
