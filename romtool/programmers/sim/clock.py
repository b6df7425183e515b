"""A virtual microsecond clock for simulated chips and devices.

Every simulated bus cycle, pulse and busy period advances the clock by its modeled duration
instead of sleeping, so a 10 ms page write costs no real time and programming times, timeouts,
progress and ETA come out the same on every machine.

The clock only moves forward. Several models (and the simulated programmer around them) may
share one clock: the programmer's own per-command overhead and the chips' busy times then add
up on one time line.
"""

from __future__ import annotations


class VirtualClock:
    """Monotonic virtual time in µs, starting at ``start_us``.

    Args:
        start_us: initial time (µs).
    """

    def __init__(self, start_us: float = 0.0) -> None:
        self._now = float(start_us)

    def now_us(self) -> float:
        """Current virtual time in µs."""
        return self._now

    def now_s(self) -> float:
        """Current virtual time in seconds (a :data:`romtool.timeout.Clock`)."""
        return self._now / 1_000_000.0

    def advance(self, us: float) -> float:
        """Move time forward by ``us`` µs and return the new time.

        Raises:
            ValueError: ``us`` is negative (time never goes backwards).
        """
        if us < 0:
            raise ValueError(f"virtual clock cannot go back ({us} µs)")
        self._now += us
        return self._now

    def advance_to(self, t_us: float) -> float:
        """Move time forward to ``t_us`` if it is in the future; return the current time."""
        if t_us > self._now:
            self._now = float(t_us)
        return self._now

    def __repr__(self) -> str:
        return f"VirtualClock({self._now:.3f} µs)"
