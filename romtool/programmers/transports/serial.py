"""Serial transport: the one module that imports pyserial.

:class:`SerialLink` opens a port with ``serial.serial_for_url``, so besides device paths
(``/dev/ttyACM0``, ``COM3``) it takes pyserial URLs: ``socket://host:port`` (a simulated board
served over TCP, a remote bench), ``loop://`` (unit tests), ``rfc2217://``. Every pyserial
failure becomes a :class:`~romtool.errors.TransportError` naming the port.

Drivers use the small :class:`ByteLink` interface, which the in-process simulator implements
too (:class:`romtool.programmers.sim.romprog.port.SimPort`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, Protocol

from romtool.errors import TransportError

KNOWN_USB_SERIAL: dict[tuple[int, int], str] = {
    (0x2341, 0x0042): "Arduino Mega 2560 (romprog reference board)",
    (0x2341, 0x0010): "Arduino Mega 2560",
    (0x2A03, 0x0042): "Arduino Mega 2560 (arduino.org)",
    (0x1A86, 0x7523): "CH340 USB-serial bridge (Mega 2560 clones)",
    (0x0403, 0x6001): "FTDI FT232R USB-serial bridge",
    (0x10C4, 0xEA60): "Silicon Labs CP210x USB-serial bridge",
    (0x2E8A, 0x000A): "Raspberry Pi RP2040 (USB CDC)",
}
"""USB ids of serial devices a romprog board (or a serial programmer) is usually behind."""


class ByteLink(Protocol):
    """A byte stream to a programmer, with a clock (seconds) for timeouts."""

    def now(self) -> float:
        """Monotonic time in seconds (virtual for simulated links)."""
        ...

    def write(self, data: bytes) -> None:
        """Send ``data``. Raises an ``OSError`` (or TransportError) when the link is gone."""
        ...

    def read_some(self, timeout_s: float) -> bytes:
        """Wait up to ``timeout_s`` for at least one byte; return what arrived (b"" on timeout)."""
        ...

    def set_baud(self, baud: int) -> None:
        """Switch the local UART to ``baud``."""
        ...

    def flush_input(self) -> None:
        """Discard bytes received and not yet read."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (virtual links advance their clock)."""
        ...

    def close(self) -> None:
        """Release the port."""
        ...


class SerialLink:
    """A pyserial port behind the :class:`ByteLink` interface.

    Args:
        url: device path or pyserial URL.
        baud: initial rate (romprog boards start at 115200).

    Raises:
        TransportError: the port cannot be opened (missing, busy, permission).
    """

    def __init__(self, url: str, baud: int = 115200) -> None:
        import serial  # the one pyserial import (see module docstring)

        self.url = url
        self._serial_exc: type[BaseException] = serial.SerialException
        try:
            self._port: Any = serial.serial_for_url(url, baudrate=baud, timeout=0.1)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise TransportError(f"cannot open {url}: {_reason(exc)}", op="open") from None

    def now(self) -> float:
        return time.monotonic()

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (self._serial_exc, OSError) as exc:
            raise TransportError(f"{self.url}: {_reason(exc)}", op="write") from None

    def read_some(self, timeout_s: float) -> bytes:
        try:
            self._port.timeout = max(0.0, timeout_s)
            first: bytes = self._port.read(1)
            if not first:
                return b""
            waiting = self._port.in_waiting
            return first + (self._port.read(waiting) if waiting else b"")
        except (self._serial_exc, OSError) as exc:
            raise TransportError(f"{self.url}: {_reason(exc)}", op="read") from None

    def set_baud(self, baud: int) -> None:
        try:
            self._port.baudrate = baud
        except (self._serial_exc, OSError, ValueError) as exc:
            raise TransportError(f"{self.url}: cannot set {baud} baud: {_reason(exc)}") from None

    def flush_input(self) -> None:
        try:
            self._port.reset_input_buffer()
        except (self._serial_exc, OSError) as exc:
            raise TransportError(f"{self.url}: {_reason(exc)}", op="flush") from None

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        with contextlib.suppress(self._serial_exc, OSError):
            self._port.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


@dataclass(frozen=True)
class PortInfo:
    """A serial port the system lists."""

    device: str
    description: str
    vid: int | None
    pid: int | None
    known: str | None


def list_ports() -> list[PortInfo]:
    """Serial ports with a USB id; ``known`` names boards romtool recognises."""
    try:
        from serial.tools import list_ports as lp
    except ImportError:  # pragma: no cover - pyserial is a dependency
        return []
    out: list[PortInfo] = []
    for port in lp.comports():
        vid, pid = port.vid, port.pid
        known = KNOWN_USB_SERIAL.get((vid, pid)) if vid is not None and pid is not None else None
        out.append(PortInfo(port.device, port.description or "", vid, pid, known))
    return out
