"""``romprog:PORT[,baud=N]``: open a romprog board on a serial port or pyserial URL."""

from __future__ import annotations

from romtool.errors import UsageError
from romtool.programmers.registry import (
    Discovered,
    OpenContext,
    ProgrammerSpec,
    baud_option,
    check_options,
)
from romtool.programmers.romprog.driver import RomprogProgrammer
from romtool.programmers.transports.serial import ByteLink, SerialLink, list_ports

OPTIONS = {"baud"}


def open_romprog(spec: ProgrammerSpec, context: OpenContext) -> RomprogProgrammer:
    """Factory for ``romprog:`` specs (see :mod:`romtool.programmers.registry`).

    Raises:
        UsageError: no port given, or a bad option.
    """
    check_options(spec, OPTIONS)
    port = spec.target
    if not port:
        raise UsageError(
            "romprog needs a port",
            hint="for example -p romprog:/dev/ttyACM0 or -p romprog:socket://localhost:7000",
        )
    baud = baud_option(spec)

    def connect() -> ByteLink:
        return SerialLink(port)

    return RomprogProgrammer(
        connect,
        settings=context.settings,
        baud=baud,
        trace=context.trace,
        label=f"romprog:{port}",
    )


def discover() -> list[Discovered]:
    """Serial ports whose USB id belongs to a board romprog firmware runs on."""
    return [
        Discovered(f"romprog:{port.device}", f"{port.known} ({port.description})")
        for port in list_ports()
        if port.known
    ]
