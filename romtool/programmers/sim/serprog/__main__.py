"""``python -m romtool.programmers.sim.serprog``: serve a simulated serprog device.

Prints the romtool spec on the first line and the flashrom ``-p`` argument on the second, then
serves until interrupted (SIGINT/SIGTERM), saving the chip to ``--state``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from romtool.chips import get_chip
from romtool.errors import RomtoolError
from romtool.programmers.sim.inprocess import socket_chip
from romtool.programmers.sim.serprog.device import SerprogDevice
from romtool.programmers.sim.serprog.serve import SerprogServer, default_config
from romtool.programmers.sim.serving import serve_until_signalled


def _parse_tcp(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m romtool.programmers.sim.serprog",
        description="Serve a simulated serprog device with a parallel chip in its socket.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", type=_parse_tcp, metavar="HOST:PORT", help="loopback only")
    where.add_argument("--pty", action="store_true", help="serve on a new pty")
    parser.add_argument("--part", required=True, help="the chip in the socket, e.g. SST39SF010A")
    parser.add_argument("--state", type=Path, help="file keeping the chip contents")
    parser.add_argument("--address-lines", type=int, help="Q_CHIPSIZE (default 19)")
    parser.add_argument("--name", help="Q_PGMNAME (at most 16 bytes)")
    args = parser.parse_args(argv)
    try:
        chip = socket_chip(get_chip(args.part), args.state)
        config = default_config(args.address_lines, args.name)
    except (RomtoolError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = SerprogServer(SerprogDevice(chip, config), args.state)
    try:
        if args.tcp is not None:
            server.listen_tcp(*args.tcp)
        else:
            server.open_pty()
    except (RomtoolError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def announce() -> None:
        print(server.spec, flush=True)
        print(f"flashrom -p {server.flashrom_spec}", flush=True)

    serve_until_signalled(server, announce)
    return 0


if __name__ == "__main__":
    sys.exit(main())
