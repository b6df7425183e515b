"""``tl866[:SERIAL][,k=v...]``: the factory and discovery hook for the registry."""

from __future__ import annotations

from romtool.errors import UsageError
from romtool.programmers.registry import (
    Discovered,
    OpenContext,
    ProgrammerSpec,
    check_options,
)
from romtool.programmers.tl866.driver import Tl866Programmer, detect

OPTIONS = {"infoic", "unverified", "unprotect", "protect", "part"}


def open_tl866(spec: ProgrammerSpec, context: OpenContext) -> Tl866Programmer:
    """Factory for ``tl866`` specs (see :mod:`romtool.programmers.registry`).

    The ``infoic=`` option wins over the ``infoic`` setting of the config file.

    Raises:
        UsageError: an unknown option, a bad yes/no value, or both ``-c`` and ``part=``.
    """
    check_options(spec, OPTIONS)
    if "part" in spec.options and context.part is not None:
        raise UsageError(
            "two parts given: -c and part=",
            hint="part= is for parts only minipro's database knows; leave out -c",
        )
    options = dict(spec.options)
    if "infoic" not in options and context.settings.infoic:
        options["infoic"] = context.settings.infoic
    return Tl866Programmer.from_options(spec.target, options)


def discover() -> list[Discovered]:
    """Connected TL866II+/T48 units with model, firmware and serial.

    A unit that cannot be opened is still listed, with the reason (for a permission problem
    the reason names the udev rule to install).
    """
    out: list[Discovered] = []
    for dev in detect():
        if dev.error is not None:
            out.append(Discovered("tl866", f"XGecu programmer at {dev.location}: {dev.error}"))
            continue
        state = " (in bootloader mode: replug it)" if dev.bootloader else ""
        out.append(
            Discovered(
                f"tl866:{dev.serial}" if dev.serial else "tl866",
                f"{dev.model} firmware {dev.firmware} serial {dev.serial}{state}",
            )
        )
    return out
