"""Benchmark: the C firmware's host build against the Python simulated board.

Writes 64 KiB into a 27C512 at 115200 baud and verifies it with the device CRC, once through
the Python board and once through the firmware's host build in lockstep with the same link
and chip models, and prints the modeled time of each (the time the job would take on real
hardware, per the datasheet models) and the wall time the simulation took.

    .venv/bin/python tests/bench/bench_firmware.py [--part 27C512] [--kib 64] [--baud 115200]

The two modeled times should agree within 5 %: the firmware and the Python board implement the
same protocol and algorithms independently, so a large gap points at one of them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from romtool.chips import get_chip
from romtool.programmers.romprog.driver import RomprogProgrammer
from romtool.programmers.sim.busserver import LockstepDevice
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel
from romtool.programmers.sim.romprog.port import SimPort
from romtool.programmers.sim.simprog import SimProgrammer
from romtool.ranges import Range

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "romprog"
AGREEMENT = 0.05


def build_host(out_dir: Path) -> Path:
    """Build the host firmware into ``out_dir`` (make's host target)."""
    subprocess.run(
        ["make", "-s", "-C", str(FIRMWARE), "host", f"BUILD={out_dir}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out_dir / "host" / "romprog-host"


def run_python(part: str, data: bytes, baud: int) -> tuple[float, float]:
    spec = get_chip(part)
    t0 = time.perf_counter()
    sim = SimProgrammer(spec, link=LinkModel(baud=baud))
    with sim:
        sim.select(spec)
        sim.program(0, data)
        assert sim.crc32(Range(0, len(data))) == zlib.crc32(data)
        modeled = sim.modeled_seconds()
    return modeled, time.perf_counter() - t0


def run_firmware(binary: Path, part: str, data: bytes, baud: int) -> tuple[float, float]:
    spec = get_chip(part)
    t0 = time.perf_counter()
    chip = model_for(spec, clock=VirtualClock())
    device = LockstepDevice(binary, chip)
    link = Link(LinkModel(baud=baud), VirtualClock())
    try:
        prog = RomprogProgrammer(lambda: SimPort(link, device))
        with prog:
            prog.select(spec)
            prog.program(0, data)
            assert prog.crc32(Range(0, len(data))) == zlib.crc32(data)
            modeled = link.clock.now_s()
    finally:
        device.stop()
    assert chip.snapshot()[: len(data)] == data
    return modeled, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="27C512")
    ap.add_argument("--kib", type=int, default=64)
    ap.add_argument("--baud", type=int, default=115200)
    args = ap.parse_args(argv)
    data = bytes((i * 151 + (i >> 9) * 17 + 3) & 0xFF for i in range(args.kib * 1024))
    with tempfile.TemporaryDirectory() as tmp:
        binary = build_host(Path(tmp))
        py_model, py_wall = run_python(args.part, data, args.baud)
        c_model, c_wall = run_firmware(binary, args.part, data, args.baud)
    gap = (c_model - py_model) / py_model
    print(f"write+verify {args.kib} KiB into {args.part} at {args.baud} baud")
    print(f"  Python board      modeled {py_model:8.3f} s   wall {py_wall:6.2f} s")
    print(f"  C firmware (host) modeled {c_model:8.3f} s   wall {c_wall:6.2f} s")
    print(f"  difference        {gap * 100:+.2f} % (bound: ±{AGREEMENT * 100:.0f} %)")
    return 0 if abs(gap) <= AGREEMENT else 1


if __name__ == "__main__":
    sys.exit(main())
