"""Benchmark: read and write 64 KiB through the simulated TL866II+ and T48.

Run: .venv/bin/python tests/bench/bench_tl866.py [--part AT27C512R] [--repeat 3]

The real driver talks to the simulated programmer through pyusb (the simulated backend), so
the wall time covers the whole host path: packet codecs, pyusb, the two concurrent endpoint
reads of the TL866II+, the status poll after every block. The modeled time is the simulated
device's virtual clock: USB transfer costs (full speed for the TL866II+, high speed for the
T48; estimates in romtool/programmers/sim/tl866/device.py) plus the chip's datasheet timings
as the simulated firmware drives them (EPROM quick-pulse, page writes, byte programs).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from romtool.chips.db import get_chip
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.tl866 import backend
from romtool.programmers.sim.tl866.device import MODEL_T48, MODEL_TL866II_PLUS, SimTl866
from romtool.programmers.tl866.driver import Tl866Programmer
from romtool.ranges import Range

SIZE = 64 * 1024


def run(model: int, part: str, data: bytes, infoic: str | None) -> dict[str, float]:
    backend.detach_all()
    spec = get_chip(part)
    sim = backend.attach(SimTl866(model, model_for(spec)))
    prog = Tl866Programmer(backend=backend.factory(), infoic_path=infoic, allow_unverified=True)
    out: dict[str, float] = {}
    with prog:
        prog.select(spec)
        if prog.profile is not None and prog.profile.can_erase:
            prog.erase()
        t0, m0 = time.perf_counter(), sim.clock.now_s()
        prog.program(0, data)
        out["write_wall"], out["write_model"] = time.perf_counter() - t0, sim.clock.now_s() - m0
        t0, m0 = time.perf_counter(), sim.clock.now_s()
        back = prog.read(Range(0, len(data)))
        out["read_wall"], out["read_model"] = time.perf_counter() - t0, sim.clock.now_s() - m0
    if back != data:
        raise SystemExit(f"{part}: read back differs from what was written")
    if sim.violations:
        raise SystemExit(f"protocol violations: {sim.violations[:3]}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="AT27C512R", help="chip (default AT27C512R, 64 KiB)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per model; best wall time")
    ap.add_argument("--infoic", default=os.environ.get("ROMTOOL_INFOIC"), help="infoic.xml")
    args = ap.parse_args()
    spec = get_chip(args.part)
    size = min(SIZE, spec.size)
    data = bytes(random.Random(0).getrandbits(8) for _ in range(size))
    print(f"{args.part}: {size // 1024} KiB, best of {args.repeat} (wall) / modeled")
    for name, model in (("TL866II+", MODEL_TL866II_PLUS), ("T48", MODEL_T48)):
        runs = [run(model, args.part, data, args.infoic) for _ in range(args.repeat)]
        best = {k: min(r[k] for r in runs) for k in runs[0]}
        for op in ("read", "write"):
            wall, model_s = best[f"{op}_wall"], best[f"{op}_model"]
            print(
                f"  {name:9s} {op:5s}  wall {wall:7.3f} s ({size / wall / 1024:8.1f} KiB/s)"
                f"   modeled {model_s:7.3f} s ({size / model_s / 1024:7.1f} KiB/s)"
            )
    backend.detach_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
