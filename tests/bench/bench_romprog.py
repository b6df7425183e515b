"""Benchmark: write + verify 64 KiB into a 27C512 through the romprog protocol.

Run: .venv/bin/python tests/bench/bench_romprog.py [--part 27C512] [--size 64K] [--no-pty]

Prints, for 115200 baud and 1 Mbaud with 1 ms latency each way (the link model of
romtool/programmers/sim/link.py):

* the modeled time of ``romtool write`` (plan from device digests, windowed program, device
  CRC-32 verify) through the real driver and the simulated board;
* the physical limit ``max(wire, chip)``: *wire* is the data itself at the line rate
  (10 bits per byte, no framing), *chip* is the board's own algorithm programming the image
  into a fresh chip model plus one device-side read for the CRC (no link at all);
* a stop-and-wait XMODEM-style baseline on the same link model and chip model: 128-byte
  blocks (SOH, block, ~block, data, CRC-16 = 133 bytes), each programmed before its ACK, then
  a read-back verify of the whole chip in the same blocks, one ACK each;

and over a pty (``python -m romtool.programmers.sim.serve --pty``) the wall time and the host
CPU time per 64 KiB of the same write (the board runs in its own process).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from romtool.chips import get_chip
from romtool.chips.spec import ChipSpec
from romtool.image import Image
from romtool.ops import open_session, write_image
from romtool.programmers.romprog.profile import profile_for
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import US, Link, LinkModel
from romtool.programmers.sim.romprog import algorithms as alg
from romtool.programmers.sim.simprog import SimProgrammer
from romtool.units import parse_size

XMODEM_BLOCK = 128
XMODEM_OVERHEAD = 5
"""SOH, block number, its complement, CRC-16 (2 bytes)."""
ACK = b"\x06"


def image_bytes(size: int, seed: int = 512) -> bytes:
    """A realistic worst case: random bytes with no 0xFF (every byte needs programming)."""
    rng = random.Random(seed)
    return bytes(rng.randrange(255) for _ in range(size))


def chip_time_s(spec: ChipSpec, data: bytes) -> float:
    """The board's own algorithm on a fresh chip, no link: programming plus one CRC read."""
    model = model_for(spec, clock=VirtualClock())
    prof = profile_for(spec)
    t0 = model.clock.now_us()
    alg.power_program(model, prof)
    unit = max(1, prof.page)
    for pos in range(0, len(data), 512 - 512 % unit):
        result = alg.program_unit(model, prof, pos, data[pos : pos + 512 - 512 % unit])
        assert result.ok, result
    alg.power_read(model, prof)
    alg.read_block(model, 0, len(data))
    return (model.clock.now_us() - t0) / US


def romprog_time_s(spec: ChipSpec, data: bytes, link: LinkModel, baud: int | None) -> float:
    """Modeled time of the whole write (plan, program, verify) through the real driver."""
    prog = SimProgrammer(spec, link=link, baud=baud)
    with open_session(None, spec, programmer=prog) as session:
        t0 = prog.now()
        result = write_image(session, Image.from_bytes(data))
        seconds = prog.now() - t0
    assert result.verify is not None and result.verify.ok
    assert prog.chip_model.snapshot()[: len(data)] == data
    return seconds


def xmodem_time_s(spec: ChipSpec, data: bytes, link_model: LinkModel) -> float:
    """Stop-and-wait baseline on the same link and chip models (see module docstring)."""
    model = model_for(spec, clock=VirtualClock())
    prof = profile_for(spec)
    link = Link(link_model, VirtualClock())
    t = 0.0  # host time, µs
    alg.power_program(model, prof)

    def one_way(wire: object, nbytes: int, start: float) -> float:
        w = link.to_device if wire == "down" else link.to_host
        w.send(bytes(nbytes), start)
        runs = w.take_runs()
        return runs[-1].time_of(len(runs[-1].data) - 1)

    for pos in range(0, len(data), XMODEM_BLOCK):
        block = data[pos : pos + XMODEM_BLOCK]
        arrived = one_way("down", len(block) + XMODEM_OVERHEAD, t)
        model.clock.advance_to(arrived)
        result = alg.program_unit(model, prof, pos, block)
        assert result.ok
        t = one_way("up", 1, model.clock.now_us())
    alg.power_read(model, prof)
    # Read-back verify: the device sends each block, the host ACKs it before the next.
    t = one_way("down", 1, t)  # the request
    for pos in range(0, len(data), XMODEM_BLOCK):
        model.clock.advance_to(t)
        back = alg.read_block(model, pos, XMODEM_BLOCK)
        assert back == data[pos : pos + XMODEM_BLOCK]
        arrived = one_way("up", XMODEM_BLOCK + XMODEM_OVERHEAD, model.clock.now_us())
        t = one_way("down", 1, arrived)
    return t / US


def pty_run(part: str, data: bytes, baud: int | None) -> tuple[float, float, float]:
    """Wall, host-CPU and board-process-CPU seconds of the same write over a pty."""
    import tempfile

    from romtool.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        img = Path(tmp) / "img.bin"
        img.write_bytes(data)
        proc = subprocess.Popen(
            [sys.executable, "-m", "romtool.programmers.sim.serve", part, "--pty"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        spec = proc.stdout.readline().strip()
        if baud:
            spec += f",baud={baud}"
        try:
            w0, c0 = time.perf_counter(), time.process_time()
            with contextlib.redirect_stdout(io.StringIO()):
                status = main(["write", "-q", "-p", spec, "-c", part, str(img)])
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        finally:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc.terminate()
            proc.wait(10)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert status == 0
    board = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, board


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="27C512")
    parser.add_argument("--size", default="64K")
    parser.add_argument("--no-pty", action="store_true")
    args = parser.parse_args()
    spec = get_chip(args.part)
    size = parse_size(args.size)
    data = image_bytes(size)
    chip_s = chip_time_s(spec, data)
    print(f"{spec.name}, {size} bytes of random data (no 0xFF), 1 ms latency each way")
    print(f"chip time (board algorithm + CRC read, no link): {chip_s:8.3f} s")
    ok = True
    padded = image_bytes(size // 4) + b"\xff" * (size - size // 4)
    padded_s = romprog_time_s(spec, padded, LinkModel(baud=115200, latency_s=0.001), None)
    print(
        f"a boot ROM padded with 0xFF ({size // 4} bytes of code), 115200 baud: "
        f"{padded_s:.3f} s (blocks that stay 0xFF on a blank chip are skipped by the plan)"
    )
    for baud in (115200, 1_000_000):
        link = LinkModel(baud=115200, latency_s=0.001)
        wire_s = size * link.bits_per_byte / baud
        limit = max(wire_s, chip_s)
        w0 = time.perf_counter()
        romprog_s = romprog_time_s(spec, data, link, baud if baud != 115200 else None)
        wall = time.perf_counter() - w0
        xmodem_s = xmodem_time_s(spec, data, LinkModel(baud=baud, latency_s=0.001))
        ratio = romprog_s / limit
        ok &= ratio <= 1.10
        print(f"\n{baud} baud: wire time {wire_s:.3f} s, limit max(wire, chip) {limit:.3f} s")
        print(
            f"  romprog write+verify (modeled): {romprog_s:8.3f} s = {ratio:.3f} x limit"
            f"   [{'ok' if ratio <= 1.10 else 'OVER'} <= 1.10]  (host wall {wall:.2f} s)"
        )
        print(
            f"  XMODEM-style stop-and-wait:     {xmodem_s:8.3f} s = {xmodem_s / limit:.3f} x "
            f"limit; romprog is {xmodem_s / romprog_s:.2f} x faster"
        )
    if not args.no_pty:
        for baud in (None, 1_000_000):
            wall, cpu, board = pty_run(args.part, data, baud)
            per = 65536 / size
            rate = "115200" if baud is None else str(baud)
            print(
                f"\npty, {rate} baud requested: wall {wall:.2f} s; CPU per 64 KiB: host "
                f"{cpu * per:.2f} s, simulated board process {board * per:.2f} s "
                "(a pty has no baud limit)"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
