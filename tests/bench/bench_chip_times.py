"""Modeled programming times of the main parts, next to their datasheet figures.

Run: ``.venv/bin/python tests/bench/bench_chip_times.py``

Each part is programmed in full (deterministic pseudo-random data, about 1 % 0xFF bytes) by
the host-side algorithm over a bus with no host latency, against the datasheet model on a
virtual clock. "modeled" is the chip's own time as the models compute it (pulses, write
cycles, program and erase busy times, bus cycles); "wall" is how long Python took. A real
programmer adds its link time on top of the modeled figure.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from romtool.algorithms import dispatch, jedec
from romtool.chips import ChipSpec, get_chip
from romtool.programmers.sim.chips import model_for

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "chip_bus_adapter", _HERE.parent / "algorithms" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_adapter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_adapter)
ModelBus = _adapter.ModelBus

FF_SHARE = 0.01
"""Share of 0xFF bytes in the test data (they need no programming on EPROM/flash)."""


def data_for(size: int, seed: int = 42) -> bytes:
    rnd = random.Random(seed)
    return bytes(0xFF if rnd.random() < FF_SHARE else rnd.randrange(255) for _ in range(size))


def _program(spec: ChipSpec, bus: object, data: bytes) -> None:
    dispatch.program(bus, spec, 0, data)  # type: ignore[arg-type]


def _erase_then_program(spec: ChipSpec, bus: object, data: bytes) -> None:
    jedec.erase_chip(bus, spec)  # type: ignore[arg-type]
    dispatch.program(bus, spec, 0, data)  # type: ignore[arg-type]


CASES: list[tuple[str, str, Callable[[ChipSpec, object, bytes], None], str]] = [
    ("27C256", "quick-pulse", _program, "5-15 s for 32 KiB (estimate in our chip notes)"),
    ("27C512", "quick-pulse", _program, "7-10 s: 64 Ki x (100 us + overhead)"),
    ("AT28C256", "page write", _program, "512 pages x 3-10 ms = 1.5-5.1 s (tWC max 10 ms)"),
    ("SST39SF010A", "erase + byte program", _erase_then_program, "about 2 s (14 us/byte typ)"),
    ("AM29F010", "erase + byte program", _erase_then_program, "chip erase 8 s + 0.9 s typ"),
]


def main() -> int:
    print(f"{'part':<12} {'operation':<22} {'modeled':>9} {'wall':>7}  datasheet")
    for name, what, run, datasheet in CASES:
        spec = get_chip(name)
        data = data_for(spec.size)
        model = model_for(spec, data=None if spec.technology.is_eprom else bytes(spec.size))
        bus = ModelBus(model)
        t0 = time.perf_counter()
        run(spec, bus, data)
        wall = time.perf_counter() - t0
        if model.snapshot() != data:
            print(f"{name}: programmed contents differ", file=sys.stderr)
            return 1
        modeled = model.clock.now_s()
        print(f"{name:<12} {what:<22} {modeled:>8.2f}s {wall:>6.1f}s  {datasheet}")
        c = model.counters
        print(
            f"{'':<12} reads {c.reads}, writes {c.writes}, pulses {c.pulses}, "
            f"busy {c.busy_us / 1e6:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
