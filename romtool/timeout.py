"""Time-based timeouts and clocks.

Polling loops use a :class:`Timeout` instead of counting iterations, so a slow machine does not
shorten the real time budget. The clock is injectable: simulated programmers run on a virtual
microsecond clock, so the same code is tested fast and deterministically.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from romtool.errors import DeviceTimeout

Clock = Callable[[], float]
"""A function returning the current time in seconds (monotonic)."""


class Timeout:
    """A deadline ``seconds`` from now on ``clock``.

    Args:
        seconds: the budget; ``None`` means "never expires".
        clock: monotonic time source in seconds (default :func:`time.monotonic`).
    """

    def __init__(self, seconds: float | None, clock: Clock = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._start = clock()

    @property
    def elapsed(self) -> float:
        """Seconds since the timeout was created."""
        return self._clock() - self._start

    @property
    def remaining(self) -> float | None:
        """Seconds left (never negative), or None for an endless timeout."""
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - self.elapsed)

    @property
    def expired(self) -> bool:
        return self.seconds is not None and self.elapsed >= self.seconds

    def check(self, op: str, *, address: int | None = None) -> None:
        """Raise :class:`DeviceTimeout` naming ``op`` if the deadline has passed."""
        if self.expired:
            raise DeviceTimeout(f"timed out after {self.seconds:g} s", op=op, address=address)


def scaled_timeout(base_s: float, per_byte_s: float, nbytes: int, floor_s: float = 0.0) -> float:
    """A timeout that grows with the transfer size: ``max(floor, base + per_byte * n)``.

    Used for reads, CRCs and writes whose duration is proportional to their length, so a
    128 KiB operation is not cut short by a budget chosen for 512 bytes.
    """
    return max(floor_s, base_s + per_byte_s * nbytes)
