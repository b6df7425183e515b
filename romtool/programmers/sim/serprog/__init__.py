"""A simulated serprog (Serial Flasher Protocol) device with a parallel flash socket.

:mod:`.device` is the device, :class:`romtool.programmers.sim.port.StreamPort` carries it in
process on a simulated serial link, :mod:`.serve` puts it on a loopback TCP port or a pty
(``python -m romtool.programmers.sim.serprog``), where real flashrom can talk to it.
"""
