"""``serprog:`` specs: a serial port, a TCP endpoint, or the in-process simulator.

::

    serprog:/dev/ttyUSB0[,baud=115200]     a board on a serial port (baud ignored on USB CDC)
    serprog:tcp:HOST:PORT                  a board (or the simulator) behind a TCP socket
    serprog:sim[,state=FILE][,baud=N][,latency=1ms][,disconnect=BYTES]
                                           the simulated device in process, with the part
                                           given by -c in its socket (tests, demos, benches)
"""

from __future__ import annotations

import os

from romtool.errors import UsageError
from romtool.programmers.busadapter import BusProgrammer
from romtool.programmers.registry import OpenContext, ProgrammerSpec, baud_option, check_options
from romtool.programmers.serprog.driver import SerprogDriver
from romtool.programmers.transports.serial import ByteLink, SerialLink

DEFAULT_BAUD = 115200
"""libfrser boards' usual rate; USB CDC boards ignore it."""
SERIAL_OPTIONS = {"baud"}
SIM_OPTIONS = {
    "state",
    "baud",
    "latency",
    "disconnect",
    "lines",
    "serbuf",
    "opbuf",
    "stuck0",
    "stuck1",
    "weak",
    "dead",
    "empty",
}


def open_serprog(spec: ProgrammerSpec, context: OpenContext) -> BusProgrammer:
    """Factory for ``serprog:`` specs (see :mod:`romtool.programmers.registry`).

    Raises:
        UsageError: no target, a bad TCP endpoint or a bad option.
    """
    target = spec.target
    if not target:
        raise UsageError(
            "serprog needs a port",
            hint="for example -p serprog:/dev/ttyUSB0 or -p serprog:tcp:127.0.0.1:5000",
        )
    if target == "sim":
        from romtool.programmers.serprog.simopen import open_sim_serprog

        check_options(spec, SIM_OPTIONS)
        return open_sim_serprog(spec, context)
    check_options(spec, SERIAL_OPTIONS)
    baud = baud_option(spec) or DEFAULT_BAUD
    url, label = _url(target), f"serprog:{target}"

    def connect() -> ByteLink:
        return SerialLink(url, baud)

    driver = SerprogDriver(connect, settings=context.settings, trace=context.trace, label=label)
    return BusProgrammer(driver)


def _url(target: str) -> str:
    """The pyserial URL for a target: ``tcp:HOST:PORT`` becomes ``socket://HOST:PORT``."""
    if target.startswith("tcp:"):
        host, sep, port = target[4:].rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(
                f"bad serprog TCP endpoint {target!r}: expected tcp:HOST:PORT",
                hint="for example serprog:tcp:127.0.0.1:5000",
            )
        return f"socket://{host}:{port}"
    return os.path.expanduser(target) if target.startswith("~") else target
