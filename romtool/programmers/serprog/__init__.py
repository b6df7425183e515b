"""flashrom's Serial Flasher Protocol (serprog) on parallel-bus boards.

Modules: :mod:`.protocol` (opcodes and wire rules), :mod:`.client` (sync, init queries, the
command chokepoint), :mod:`.bus` (the parallel bus with write combining and batches),
:mod:`.driver` (the raw-bus driver and its part checks) and :mod:`.open` (the ``serprog:``
spec). The simulated device is in :mod:`romtool.programmers.sim.serprog`.
"""

from __future__ import annotations

from romtool.programmers.registry import ProgrammerType, register

register(
    ProgrammerType(
        "serprog",
        "flashrom serprog board with a parallel bus: 5 V 28C/29C/39SF/29F parts, no EPROMs",
        "serprog:/dev/ttyUSB0[,baud=115200] or serprog:tcp:HOST:PORT or serprog:sim",
        "romtool.programmers.serprog.open:open_serprog",
    )
)
