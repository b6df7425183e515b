"""A simulated serial link on a virtual clock: baud, latency and injected faults.

The link carries bytes between the host driver and the simulated romprog device in one
process. Each direction is a :class:`Wire`: bytes leave the sender one after the other at the
line rate (``bits_per_byte / baud`` seconds each, 10 bits for 8N1), arrive ``latency_s`` later,
and may be damaged on the way. Time is the shared :class:`~romtool.programmers.sim.clock.
VirtualClock`; nobody sleeps.

Faults (each a probability per byte, drawn from a seeded generator so every run is
reproducible):

* ``ber``: one random bit of the byte flips;
* ``drop``: the byte is lost;
* ``dup``: the byte arrives twice;
* ``stall``: the line stops for ``stall_s`` before this byte (a USB bridge hiccup);
* ``disconnect_after``: after this many bytes in either direction the link is gone for good
  (the cable was pulled): writes and reads raise :class:`LinkLost`.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field, replace

from romtool.errors import UsageError
from romtool.programmers.sim.clock import VirtualClock
from romtool.units import parse_int

US = 1_000_000.0
"""µs per second (the virtual clock counts µs)."""


class LinkLost(OSError):
    """The simulated cable was pulled (raised like pyserial's SerialException, an OSError)."""


@dataclass(frozen=True)
class LinkModel:
    """Line parameters and fault rates. Times in seconds, rates per byte (0..1).

    Attributes:
        baud: line rate in bit/s.
        latency_s: one-way delay added to every byte (USB frame scheduling, bridge FIFOs).
        bits_per_byte: 10 for 8N1 (start + 8 data + stop).
        ber: probability that a byte has one bit flipped.
        drop: probability that a byte is lost.
        dup: probability that a byte is delivered twice.
        stall: probability that the line stalls for ``stall_s`` before a byte.
        stall_s: length of one stall.
        disconnect_after: total bytes (both directions) after which the link dies; None:
            never.
        seed: seed of the fault generator.
    """

    baud: int = 115200
    latency_s: float = 0.001
    bits_per_byte: int = 10
    ber: float = 0.0
    drop: float = 0.0
    dup: float = 0.0
    stall: float = 0.0
    stall_s: float = 0.05
    disconnect_after: int | None = None
    seed: int = 0

    @property
    def byte_time_s(self) -> float:
        return self.bits_per_byte / self.baud

    @property
    def faulty(self) -> bool:
        return bool(self.ber or self.drop or self.dup or self.stall)

    def with_baud(self, baud: int) -> LinkModel:
        return replace(self, baud=baud)


_FLOAT_KEYS = ("ber", "drop", "dup", "stall", "stall_s", "latency_s")


def parse_link_options(options: dict[str, str], base: LinkModel | None = None) -> LinkModel:
    """Build a :class:`LinkModel` from spec-string options.

    Keys: ``baud``, ``latency`` (seconds, or with an ``ms``/``us`` suffix), ``ber``, ``drop``,
    ``dup``, ``stall``, ``stall_s``, ``disconnect`` (bytes), ``seed``. Unknown keys are left
    for the caller.

    Raises:
        UsageError: a value is not a number or a rate is outside 0..1.
    """
    model = base or LinkModel()
    changes: dict[str, object] = {}
    for key, text in options.items():
        if key == "baud":
            changes["baud"] = parse_int(text, what="baud rate")
            if int(str(changes["baud"])) <= 0:
                raise UsageError(f"bad baud rate {text!r}: expected a positive number")
        elif key == "latency":
            changes["latency_s"] = _parse_seconds(text)
        elif key == "disconnect":
            changes["disconnect_after"] = parse_int(text, what="disconnect byte count")
        elif key == "seed":
            changes["seed"] = parse_int(text, what="seed")
        elif key in _FLOAT_KEYS:
            try:
                value = float(text)
            except ValueError:
                raise UsageError(f"bad {key} value {text!r}: expected a number") from None
            if key not in ("stall_s", "latency_s") and not 0.0 <= value <= 1.0:
                raise UsageError(f"bad {key} rate {text!r}: expected a probability 0..1")
            changes[key] = value
    return replace(model, **changes)  # type: ignore[arg-type]


def _parse_seconds(text: str) -> float:
    t = text.strip().lower()
    scale = 1.0
    for suffix, factor in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0)):
        if t.endswith(suffix):
            t, scale = t[: -len(suffix)], factor
            break
    try:
        value = float(t) * scale
    except ValueError:
        raise UsageError(f"bad time {text!r}: expected seconds, or a number with ms/us") from None
    if value < 0:
        raise UsageError(f"bad time {text!r}: expected a non-negative time")
    return value


@dataclass
class Run:
    """Bytes that arrive back to back: byte ``i`` arrives at ``t0_us + i * dt_us``."""

    t0_us: float
    dt_us: float
    data: bytes

    def time_of(self, index: int) -> float:
        return self.t0_us + index * self.dt_us


@dataclass
class LinkStats:
    """Counts of what the link did (for soak reports)."""

    bytes: int = 0
    flipped: int = 0
    dropped: int = 0
    duplicated: int = 0
    stalls: int = 0


class Wire:
    """One direction of the link."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.free_us = 0.0
        self.runs: deque[Run] = deque()

    def send(self, data: bytes, t_us: float) -> None:
        """Put ``data`` on the line at time ``t_us`` (queued behind earlier bytes)."""
        link = self.link
        if not link.count(len(data)):
            return
        model = link.model
        dt = model.byte_time_s * US
        start = max(t_us, self.free_us)
        lat = model.latency_s * US
        if not model.faulty:
            self.runs.append(Run(start + dt + lat, dt, bytes(data)))
            self.free_us = start + dt * len(data)
            return
        rng = link.rng
        stats = link.stats
        t = start
        buf = bytearray()
        buf_t0 = 0.0
        for value in data:
            if model.stall and rng.random() < model.stall:
                stats.stalls += 1
                if buf:
                    self.runs.append(Run(buf_t0, dt, bytes(buf)))
                    buf.clear()
                t += model.stall_s * US
            t += dt
            if model.drop and rng.random() < model.drop:
                stats.dropped += 1
                if buf:
                    self.runs.append(Run(buf_t0, dt, bytes(buf)))
                    buf.clear()
                continue
            if model.ber and rng.random() < model.ber:
                stats.flipped += 1
                value ^= 1 << rng.randrange(8)
            if not buf:
                buf_t0 = t + lat
            buf.append(value)
            if model.dup and rng.random() < model.dup:
                # The copy takes the next byte slot on the line.
                stats.duplicated += 1
                buf.append(value)
                t += dt
        if buf:
            self.runs.append(Run(buf_t0, dt, bytes(buf)))
        self.free_us = t

    def next_arrival(self) -> float | None:
        return self.runs[0].t0_us if self.runs else None

    def take_until(self, t_us: float, limit: int) -> bytes:
        """Remove and return up to ``limit`` bytes that have arrived by ``t_us``."""
        out = bytearray()
        while self.runs and len(out) < limit:
            run = self.runs[0]
            if run.t0_us > t_us:
                break
            n = int((t_us - run.t0_us) // run.dt_us) + 1 if run.dt_us > 0 else len(run.data)
            n = min(n, len(run.data), limit - len(out))
            out += run.data[:n]
            if n == len(run.data):
                self.runs.popleft()
            else:
                self.runs[0] = Run(run.time_of(n), run.dt_us, run.data[n:])
        return bytes(out)

    def take_runs(self) -> list[Run]:
        """Remove every queued run (the device consumes eagerly; see :mod:`.serial`)."""
        runs = list(self.runs)
        self.runs.clear()
        return runs

    def clear(self) -> None:
        self.runs.clear()


@dataclass
class Link:
    """Both directions of a simulated cable on one virtual clock."""

    model: LinkModel = field(default_factory=LinkModel)
    clock: VirtualClock = field(default_factory=VirtualClock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.model.seed)
        self.stats = LinkStats()
        self.to_device = Wire(self)
        self.to_host = Wire(self)
        self.alive = True

    def count(self, n: int) -> bool:
        """Account ``n`` bytes; False (and the link is dead) once ``disconnect_after`` passed.

        The host side raises :class:`LinkLost` on its next read or write; the device side
        just talks into a dead cable.
        """
        if not self.alive:
            return False
        self.stats.bytes += n
        limit = self.model.disconnect_after
        if limit is not None and self.stats.bytes > limit:
            self.alive = False
            self.to_device.clear()
            self.to_host.clear()
            return False
        return True

    def set_baud(self, baud: int) -> None:
        """Both ends switched their UART to ``baud`` (SET_BAUD)."""
        self.model = self.model.with_baud(baud)
