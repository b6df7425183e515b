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

TCP and the pty both carry flow control (the kernel buffers what the device has not read
yet), so the device reports Q_SERBUF 0xFFFF and its UART overflow model is off.

Only loopback addresses are accepted: the device has no authentication and writes a file.
The chip contents go to ``--state`` after every TCP connection and when the server stops.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import select
import socket
import threading
import time
import tty
from dataclasses import replace
from pathlib import Path

from romtool.errors import UsageError
from romtool.fileio import write_atomic
from romtool.programmers.sim.serprog.device import FLOW_CONTROLLED, DeviceConfig, SerprogDevice

POLL_S = 0.2
"""How often the serving loop looks at its stop flag while no bytes arrive."""
RECV_BYTES = 65536
"""Largest chunk read from the socket or pty at once."""


def check_loopback(host: str) -> str:
    """``host`` if it is a loopback address.

    Raises:
        UsageError: any other address (the simulated device must not face a network).
    """
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise UsageError(
            f"refusing to serve on {host}: only loopback addresses",
            hint="use 127.0.0.1 (or ::1)",
        )
    return host


class SerprogServer:
    """A :class:`SerprogDevice` behind a TCP listener or a pty, served by a thread.

    Args:
        device: the device (its chip model keeps the contents).
        state: file the chip contents are saved to after each connection and at stop.
    """

    def __init__(self, device: SerprogDevice, state: Path | None = None) -> None:
        self.device = device
        self.state = state
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self.address: tuple[str, int] | None = None
        self.pty_name: str | None = None
        self.connections = 0
        self._lock = threading.Lock()
        self._wall0 = time.monotonic()
        self._virtual0 = device.chip.clock.now_us()

    # --- setup -------------------------------------------------------------------------------

    def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Bind a loopback listener (port 0: any free port) and return the bound address."""
        check_loopback(host)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1)
        sock.settimeout(POLL_S)
        self._listener = sock
        # TCP carries flow control: the UART buffer model does not apply.
        self.device.config = replace(self.device.config, serbuf=FLOW_CONTROLLED)
        name, bound = sock.getsockname()[:2]
        self.address = (name, bound)
        return self.address

    def open_pty(self) -> str:
        """Open a pty pair and return the name of the end to give the driver."""
        master, slave = os.openpty()
        tty.setraw(master)
        self._master, self._slave = master, slave
        self.device.config = replace(self.device.config, serbuf=FLOW_CONTROLLED)
        self.pty_name = os.ttyname(slave)
        return self.pty_name

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

    # --- serving -----------------------------------------------------------------------------

    def start(self) -> SerprogServer:
        """Serve in a daemon thread (returns at once)."""
        self._thread = threading.Thread(target=self.serve, name="serprog-sim", daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        """Serve until :meth:`stop` (blocking)."""
        if self._listener is not None:
            self._serve_tcp(self._listener)
        elif self._master is not None:
            self._serve_fd(self._master)
        else:
            raise RuntimeError("call listen_tcp() or open_pty() first")

    def stop(self) -> None:
        """Stop serving, close everything and save the state (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5 * POLL_S + 1)
        for sock in (self._listener,):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._listener = None
        self._master = self._slave = None
        self.save()

    def save(self) -> None:
        """Write the chip contents to the state file (if any)."""
        if self.state is not None:
            with self._lock:
                data = self.device.chip.snapshot()
            write_atomic(self.state, data, force=True)

    def snapshot(self) -> bytes:
        """The chip contents, safely while serving."""
        with self._lock:
            return self.device.chip.snapshot()

    def _deliver(self, data: bytes) -> None:
        clock = self.device.chip.clock
        with self._lock:
            clock.advance_to(self._virtual0 + (time.monotonic() - self._wall0) * 1_000_000.0)
            self.device.receive(data)

    def _serve_tcp(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._serve_conn(conn)
            self.save()

    def _serve_conn(self, conn: socket.socket) -> None:
        out = bytearray()
        self.device.output = lambda data, t: out.extend(data)
        conn.settimeout(POLL_S)
        while not self._stop.is_set():
            try:
                data = conn.recv(RECV_BYTES)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self._deliver(data)
            if out:
                try:
                    conn.sendall(bytes(out))
                except OSError:
                    return
                out.clear()

    def _serve_fd(self, fd: int) -> None:
        out = bytearray()
        self.device.output = lambda data, t: out.extend(data)
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], POLL_S)
            if not ready:
                continue
            try:
                data = os.read(fd, RECV_BYTES)
            except OSError:
                return
            if not data:
                continue
            self._deliver(data)
            if out:
                view = bytes(out)
                out.clear()
                while view:
                    try:
                        n = os.write(fd, view)
                    except OSError:
                        return
                    view = view[n:]


def default_config(address_lines: int | None, name: str | None) -> DeviceConfig:
    """The board's config with the command-line overrides applied."""
    cfg = DeviceConfig()
    if address_lines is not None:
        cfg = replace(cfg, address_lines=address_lines)
    if name is not None:
        cfg = replace(cfg, name=name)
    return cfg
