"""A simulated TommyPROM (the Arduino sketch) over the datasheet chip models.

:mod:`.sketch` is the sketch (terminal, commands, XMODEM), :mod:`.prom` its chip side (bus
cycles and the per-family write code). ``python -m romtool.programmers.sim.tommyprom --pty
--part AT28C256`` serves it on a pty in real time for a terminal program or
``tommyprom:/dev/pts/N``.
"""
