"""``python -m romtool.programmers.sim.tommyprom``: a simulated TommyPROM on a pty.

Prints the romtool spec (``tommyprom:/dev/pts/N``) on the first line, then serves in real
time until interrupted (SIGINT/SIGTERM), saving the chip to ``--state``. A terminal program
(``picocom /dev/pts/N``) works too: press Enter for the menu.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from romtool.chips import get_chip
from romtool.errors import RomtoolError
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.simprog import load_state
from romtool.programmers.sim.tommyprom.serve import SketchServer
from romtool.programmers.sim.tommyprom.sketch import SketchConfig, TommyPromSketch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m romtool.programmers.sim.tommyprom",
        description="Serve a simulated TommyPROM sketch on a pty.",
    )
    parser.add_argument("--pty", action="store_true", required=True, help="serve on a new pty")
    parser.add_argument("--part", required=True, help="the chip in the socket, e.g. AT28C256")
    parser.add_argument("--state", type=Path, help="file keeping the chip contents")
    parser.add_argument("--crc", action="store_true", help="XMODEM-CRC instead of checksums")
    args = parser.parse_args(argv)
    try:
        part = get_chip(args.part)
        data = load_state(args.state, part) if args.state is not None else None
    except RomtoolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    chip = model_for(part, clock=VirtualClock(), data=data)
    server = SketchServer(TommyPromSketch(chip, SketchConfig(crc=args.crc)), args.state)
    name = server.open_pty()
    done = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Handlers first: a caller may stop the server as soon as it has read the spec.
    print(f"tommyprom:{name}", flush=True)
    server.start()
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
