"""TommyPROM (an Arduino sketch with a terminal command set and XMODEM transfers).

Modules: :mod:`.xmodem` (packets), :mod:`.terminal` (command lines, status lines, the
transfers), :mod:`.driver` (the programmer) and :mod:`.open` (the ``tommyprom:`` spec). The
simulated sketch is in :mod:`romtool.programmers.sim.tommyprom`.
"""

from __future__ import annotations

from romtool.programmers.registry import ProgrammerType, register

register(
    ProgrammerType(
        "tommyprom",
        "TommyPROM Arduino sketch (terminal + XMODEM): 28C EEPROMs, SST39SF flash",
        "tommyprom:/dev/ttyUSB0[,baud=115200][,lock=yes] or tommyprom:sim",
        "romtool.programmers.tommyprom.open:open_tommyprom",
    )
)
