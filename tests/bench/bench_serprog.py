"""serprog and TommyPROM: modeled time to write + verify a whole 28C256 and SST39SF010A.

Run: ``.venv/bin/python tests/bench/bench_serprog.py [--quick]``

Every row runs the real driver and ``ops.write_image`` (plan, program, verify by read-back)
against a simulated device on the same cable model: 115200 baud, 1 ms latency each way (a
USB-serial bridge), virtual clock. "modeled" is that virtual time, "wall" how long Python
took. The romprog rows run the ``sim:`` programmer (romprog firmware simulated, its chip
algorithms on the device) on the same cable, as the reference; the ratio column is modeled
time over romprog's.

Why the numbers look as they do:

* serprog has no device-side algorithm: the host runs JEDEC byte programs, and every status
  poll is a round trip (2 ms here). 28C pages go out as one O_WRITEN each (batched within
  tBLC), so EEPROMs fare much better than byte-program flash.
* TommyPROM burns each 128-byte XMODEM packet on the Arduino: about the wire time of the data
  plus the chip time, plus its fixed 2 s wait before a transfer starts.

``--quick`` runs 8 KiB instead of the whole chips (for a smoke run). ``--soak N`` instead runs
N sessions per programmer over a very noisy cable (bit errors 2e-4, drops 1e-4 per byte), each
writing 1 KiB into an AT28C256 with verify, and counts how they ended: completed, stopped with
an error, or -- never acceptable -- reported success with wrong contents in the image or
changed bytes outside it.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from romtool.chips import ChipSpec, get_chip
from romtool.errors import RomtoolError
from romtool.image.model import Image
from romtool.ops.session import open_session
from romtool.ops.write import write_image
from romtool.programmers.base import Programmer
from romtool.programmers.serprog.simopen import SimSerprogProgrammer
from romtool.programmers.sim.link import LinkModel
from romtool.programmers.sim.simprog import SimProgrammer
from romtool.programmers.tommyprom.simopen import SimTommyPromProgrammer

LINK = LinkModel(baud=115200, latency_s=0.001)
"""The shared cable: 115200 baud 8N1 and 1 ms each way."""


@dataclass(frozen=True)
class Row:
    programmer: str
    part: str
    size: int
    modeled_s: float
    wall_s: float
    verified: bool


def data_for(size: int, seed: int = 11) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(size))


def run(name: str, make: Callable[[ChipSpec], Programmer], part: str, size: int) -> Row:
    spec = get_chip(part)
    image = Image.from_bytes(data_for(size))
    prog = make(spec)
    wall0 = time.perf_counter()
    with open_session(None, spec, programmer=prog) as session:
        t0 = prog.now()
        result = write_image(session, image, verify=True)
        modeled = prog.now() - t0
    wall = time.perf_counter() - wall0
    snapshot = prog.chip_model.snapshot()  # type: ignore[attr-defined]
    ok = result.verify is not None and result.verify.ok and snapshot[:size] == image.read(0, size)
    return Row(name, part, size, modeled, wall, ok)


MAKERS: dict[str, Callable[[ChipSpec], Programmer]] = {
    "romprog (sim:)": lambda spec: SimProgrammer(spec, link=LINK),
    "serprog": lambda spec: SimSerprogProgrammer(spec, link=LINK),
    "tommyprom": lambda spec: SimTommyPromProgrammer(spec, link=LINK),
}


NOISY = {"ber": 2e-4, "drop": 1e-4}
"""Soak noise: about one damaged byte in 3300."""
SOAK_AT = 0x100
SOAK_BYTES = 1024


def soak(sessions: int) -> None:
    part = get_chip("AT28C256")
    for name, cls in (("serprog", SimSerprogProgrammer), ("tommyprom", SimTommyPromProgrammer)):
        counts = {"completed": 0, "error": 0, "wrong image": 0, "changed outside": 0}
        wall0 = time.perf_counter()
        for seed in range(sessions):
            data = data_for(SOAK_BYTES, seed)
            link = LinkModel(seed=seed, **NOISY)  # type: ignore[arg-type]
            prog: SimSerprogProgrammer | SimTommyPromProgrammer = cls(part, link=link)
            try:
                with open_session(None, part, programmer=prog) as session:
                    write_image(session, Image.from_bytes(data, SOAK_AT), verify=True)
            except RomtoolError:
                counts["error"] += 1
                continue
            chip = prog.chip_model.snapshot()
            counts["completed"] += 1
            if chip[SOAK_AT : SOAK_AT + SOAK_BYTES] != data:
                counts["wrong image"] += 1
            outside = chip[:SOAK_AT] + chip[SOAK_AT + SOAK_BYTES :]
            if outside != b"\xff" * len(outside):
                counts["changed outside"] += 1
        wall = time.perf_counter() - wall0
        text = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(f"{name:<10} {sessions} sessions: {text} ({wall:.1f} s wall)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 KiB per part")
    parser.add_argument("--soak", type=int, metavar="N", help="N noisy sessions instead")
    args = parser.parse_args()
    if args.soak:
        soak(args.soak)
        return
    jobs = [("AT28C256", 32 * 1024), ("SST39SF010A", 128 * 1024)]
    print(f"link: {LINK.baud} baud, {LINK.latency_s * 1000:g} ms latency each way")
    header = f"{'programmer':<16} {'part':<12} {'bytes':>7} {'modeled s':>10} {'wall s':>8} "
    print(header + f"{'B/s':>8} {'x romprog':>9}  verified")
    for part, full in jobs:
        size = 8 * 1024 if args.quick else full
        base: float | None = None
        for name, make in MAKERS.items():
            row = run(name, make, part, size)
            if base is None:
                base = row.modeled_s
            rate = row.size / row.modeled_s if row.modeled_s else float("inf")
            print(
                f"{row.programmer:<16} {row.part:<12} {row.size:>7} {row.modeled_s:>10.2f} "
                f"{row.wall_s:>8.2f} {rate:>8.0f} {row.modeled_s / base:>9.1f}  "
                f"{'yes' if row.verified else 'NO'}",
                flush=True,
            )


if __name__ == "__main__":
    main()
