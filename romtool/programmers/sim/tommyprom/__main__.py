"""``python -m romtool.programmers.sim.tommyprom``: a simulated TommyPROM on a pty.

Prints the romtool spec (``tommyprom:/dev/pts/N``) on the first line, then serves in real
time until interrupted (SIGINT/SIGTERM), saving the chip to ``--state``. A terminal program
(``picocom /dev/pts/N``) works too: press Enter for the menu.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from romtool.chips import get_chip
from romtool.errors import RomtoolError
from romtool.programmers.sim.inprocess import socket_chip
from romtool.programmers.sim.serving import serve_until_signalled
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
        chip = socket_chip(get_chip(args.part), args.state)
    except RomtoolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = SketchServer(TommyPromSketch(chip, SketchConfig(crc=args.crc)), args.state)
    server.open_pty()
    serve_until_signalled(server, lambda: print(server.spec, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
