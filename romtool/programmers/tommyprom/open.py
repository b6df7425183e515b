"""``tommyprom:`` specs: a serial port, or the simulated sketch in process.

::

    tommyprom:/dev/ttyUSB0[,baud=115200][,lock=yes]
    tommyprom:sim[,state=FILE][,crc=yes][,family=28c|sst39sf][,lock=yes][,disconnect=BYTES]
"""

from __future__ import annotations

from romtool.errors import UsageError
from romtool.programmers.registry import OpenContext, ProgrammerSpec, baud_option, check_options
from romtool.programmers.tommyprom.driver import TommyPromProgrammer
from romtool.programmers.transports.serial import ByteLink, SerialLink

DEFAULT_BAUD = 115200
"""The sketch's fixed rate."""
SERIAL_OPTIONS = {"baud", "lock"}
SIM_OPTIONS = {
    "state",
    "crc",
    "family",
    "lock",
    "baud",
    "latency",
    "disconnect",
    "stuck0",
    "stuck1",
    "weak",
}
YES = ("1", "yes", "true", "on")


def flag(spec: ProgrammerSpec, key: str) -> bool:
    """A yes/no option (absent: no).

    Raises:
        UsageError: a value that is neither.
    """
    value = spec.options.get(key, "no").lower()
    if value not in (*YES, "0", "no", "false", "off"):
        raise UsageError(f"bad {key}={value!r}: expected yes or no")
    return value in YES


def open_tommyprom(spec: ProgrammerSpec, context: OpenContext) -> TommyPromProgrammer:
    """Factory for ``tommyprom:`` specs (see :mod:`romtool.programmers.registry`).

    Raises:
        UsageError: no port, or a bad option.
    """
    target = spec.target
    if not target:
        raise UsageError("tommyprom needs a port", hint="for example -p tommyprom:/dev/ttyUSB0")
    if target == "sim":
        check_options(spec, SIM_OPTIONS)
        from romtool.programmers.tommyprom.simopen import open_sim_tommyprom

        return open_sim_tommyprom(spec, context, lock=flag(spec, "lock"))
    check_options(spec, SERIAL_OPTIONS)
    baud = baud_option(spec) or DEFAULT_BAUD

    def connect() -> ByteLink:
        return SerialLink(target, baud)

    return TommyPromProgrammer(
        connect,
        settings=context.settings,
        trace=context.trace,
        label=f"tommyprom:{target}",
        lock=flag(spec, "lock"),
    )
