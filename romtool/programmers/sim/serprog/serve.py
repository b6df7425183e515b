"""Serve a simulated serprog device on a loopback TCP port or a pty, in real time.

::

    python -m romtool.programmers.sim.serprog --tcp 127.0.0.1:0 --part SST39SF010A
    serprog:tcp:127.0.0.1:40123             <- first line: the spec to give romtool
    flashrom -p serprog:ip=127.0.0.1:40123  <- second line: the same for flashrom

    romtool write -p serprog:tcp:127.0.0.1:40123 -c SST39SF010A etherboot.rom

Answers leave as soon as a command is complete: chip busy times run on the model's virtual
clock and are not slept. The virtual clock is also pulled forward to real time whenever bytes
arrive (a real chip keeps working while the host is slow), so a host whose poll loop times out
on its own wall clock sees the part finish no later than a real one would.

The serving itself (thread, pty, TCP, state file, loopback check) is
:class:`~romtool.programmers.sim.serving.DeviceServer`'s. TCP and the pty both carry flow
control (the kernel buffers what the device has not read yet), so the device reports Q_SERBUF
0xFFFF and its UART overflow model is off.

Only loopback addresses are accepted: the device has no authentication and writes a file.
The chip contents go to ``--state`` after every TCP connection and when the server stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from romtool.programmers.sim.serprog.device import FLOW_CONTROLLED, DeviceConfig, SerprogDevice
from romtool.programmers.sim.serving import DeviceServer


class SerprogServer(DeviceServer):
    """A :class:`SerprogDevice` behind a TCP listener or a pty, served by a thread.

    Args:
        device: the device (its chip model keeps the contents).
        state: file the chip contents are saved to after each connection and at stop.
    """

    thread_name = "serprog-sim"

    def __init__(self, device: SerprogDevice, state: Path | None = None) -> None:
        super().__init__(device.chip, state)
        self.device = device

    def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        address = super().listen_tcp(host, port)
        # TCP carries flow control: the UART buffer model does not apply.
        self._flow_controlled()
        return address

    def open_pty(self) -> str:
        name = super().open_pty()
        self._flow_controlled()
        return name

    def _flow_controlled(self) -> None:
        self.device.config = replace(self.device.config, serbuf=FLOW_CONTROLLED)

    @property
    def spec(self) -> str:
        """The romtool programmer spec that reaches this server."""
        if self.address is not None:
            return f"serprog:tcp:{self.address[0]}:{self.address[1]}"
        return f"serprog:{self.pty_name}"

    @property
    def flashrom_spec(self) -> str:
        """The flashrom ``-p`` argument that reaches this server."""
        if self.address is not None:
            return f"serprog:ip={self.address[0]}:{self.address[1]}"
        return f"serprog:dev={self.pty_name}:115200"

    def _attach(self, output: Callable[[bytes, float], None]) -> None:
        self.device.output = output

    def _deliver(self, data: bytes) -> None:
        self.chip.clock.advance_to(self.real_now_us())
        self.device.receive(data)


def default_config(address_lines: int | None, name: str | None) -> DeviceConfig:
    """The board's config with the command-line overrides applied."""
    cfg = DeviceConfig()
    if address_lines is not None:
        cfg = replace(cfg, address_lines=address_lines)
    if name is not None:
        cfg = replace(cfg, name=name)
    return cfg
