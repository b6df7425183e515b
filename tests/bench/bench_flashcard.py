"""FlashCard: modeled time to erase, write and verify 128 KiB, next to the datasheet figures.

Run: ``.venv/bin/python tests/bench/bench_flashcard.py``

The whole path runs as on hardware: the FlashCard driver maps a 128 KiB window at 0xD0000 of
the simulated upper memory area (the same guarded transport as ``/dev/mem``), and the host-side
JEDEC algorithms erase, program and read back the chip through it. Every bus access costs one
8-bit ISA memory cycle (0.72 µs) on the virtual clock; the chip model adds its own busy times
(its datasheet's typical values). "modeled" is that virtual time; "wall" is how long Python
took. On a real PC the Python work per byte runs in parallel with nothing, so the real time is
closer to the larger of the two.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from romtool.algorithms import dispatch, jedec
from romtool.algorithms.bus import read_range
from romtool.chips import ChipSpec, get_chip
from romtool.programmers.flashcard.driver import FlashCardDriver
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.flashcard import ISA_MEMORY_CYCLE_US, SimIsaMemory, sim_machine
from romtool.programmers.transports.mmio import MappedMemory

WINDOW = 0x20000
BASE = 0xD0000


def data_for(size: int, seed: int = 8) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.randrange(255) for _ in range(size))


def datasheet_typical(spec: ChipSpec) -> tuple[float, float, float]:
    """(erase, program, read) in seconds from the chip DB's typical figures."""
    t = spec.timing
    erase = (t.chip_erase_typ_us or 0.0) / 1e6
    program = spec.size * (t.byte_program_typ_us or 0.0) / 1e6
    read = spec.size * ISA_MEMORY_CYCLE_US / 1e6
    return erase, program, read


def run(part: str) -> None:
    spec = get_chip(part)
    chip = model_for(spec, data=data_for(spec.size, seed=1))
    machine: SimIsaMemory = sim_machine(chip, card_base=BASE, size=WINDOW)
    driver = FlashCardDriver(
        BASE,
        size=WINDOW,
        memory=lambda region, writable: machine.view(region, writable=writable),
        clock=machine,
    )
    data = data_for(spec.size)
    driver.open()
    driver.identify_with(lambda bus: jedec.software_id(bus, spec), spec.chip_id)
    bus = driver.bus()

    times: list[tuple[str, float, float]] = []
    for name, step in (
        ("erase", lambda: dispatch.erase(bus, spec)),
        ("write", lambda: dispatch.program(bus, spec, 0, data)),
        ("verify", lambda: read_range(bus, 0, spec.size)),
    ):
        t0_model, t0_wall = machine.now_us(), time.perf_counter()
        result = step()
        times.append((name, (machine.now_us() - t0_model) / 1e6, time.perf_counter() - t0_wall))
        if name == "verify":
            assert result == data, "verify failed"
    driver.close()

    typ = datasheet_typical(spec)
    print(
        f"{spec.name}: {spec.size // 1024} KiB through a {WINDOW // 1024} KiB window at {BASE:#x}"
    )
    print(f"  {'step':<7} {'modeled s':>10} {'datasheet typ s':>16} {'wall s':>8}")
    for (name, modeled, wall), expect in zip(times, typ, strict=True):
        print(f"  {name:<7} {modeled:>10.3f} {expect:>16.3f} {wall:>8.2f}")
    total_m = sum(t[1] for t in times)
    total_w = sum(t[2] for t in times)
    print(f"  {'total':<7} {total_m:>10.3f} {sum(typ):>16.3f} {total_w:>8.2f}")
    print(f"  ISA cycles: {machine.cycles}, chip busy: {chip.counters.busy_us / 1e6:.3f} s")


def host_cost(nbytes: int = 0x2000) -> None:
    """The host's own cost per byte on the real transport: the JEDEC program loop through
    ``MappedMemory`` over a file (plain memory, no chip: every poll finds it ready at once),
    so the figure is Python plus mmap byte access, which a real card adds to the chip time."""
    spec = get_chip("AM29F010")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "phys.bin"
        path.write_bytes(b"\xff" * 0x100000)
        driver = FlashCardDriver(
            BASE,
            memory=lambda region, writable: MappedMemory(region, path=str(path), writable=True),
            source=str(path),
        )
        driver.open()
        data = data_for(nbytes)
        # Below 0x2AAA, so the unlock writes into the plain memory never hit the data.
        t0 = time.perf_counter()
        dispatch.program(driver.bus(), spec, 0, data)
        wall = time.perf_counter() - t0
        assert driver.bus().read_block(0, nbytes) == data
        t0 = time.perf_counter()
        read_range(driver.bus(), 0, 0x8000)
        read_wall = time.perf_counter() - t0
        driver.close()
    print(
        f"host cost through mmap (no chip): program {wall / nbytes * 1e6:.1f} µs/byte, "
        f"block read {read_wall / 0x8000 * 1e9:.0f} ns/byte"
    )


if __name__ == "__main__":
    for name in ("AM29F010", "SST39SF010A"):
        run(name)
    host_cost()
