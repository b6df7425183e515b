"""Serve a simulated device on a pty or a loopback TCP port, in real time.

The simulated romprog board, serprog device and TommyPROM sketch run on their chip model's
virtual clock. :class:`DeviceServer` puts one of them behind a pseudo-terminal (for pyserial,
flashrom's serial path or a terminal program) or a loopback TCP listener, served by a thread:
bytes that arrive are handed to the device as soon as they are read, and whatever the device
answers goes back before the next read. The device's clock is pulled forward to real time as
bytes arrive (a real chip keeps working while the host is slow), so a host whose poll loop
times out on its own wall clock sees the part finish no later than a real one would; modeled
busy times are not slept.

The chip contents go to the state file after every TCP connection and when the server stops.
Only loopback addresses are accepted: a simulated device has no authentication and writes a
file.

:func:`serve_until_signalled` is the body of the ``python -m ...`` entry points: it serves
until SIGINT/SIGTERM and then saves.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import select
import signal
import socket
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from romtool.errors import UsageError
from romtool.fileio import write_atomic
from romtool.programmers.sim.chips import ChipModel

POLL_S = 0.2
"""How often the serving loop looks at its stop flag (and the device's timers) while idle."""
RECV_BYTES = 65536
"""Largest chunk read from the socket or pty at once."""
US_PER_S = 1_000_000.0


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


def open_raw_pty() -> tuple[int, int, str]:
    """A new pty pair in raw mode: ``(master, slave, slave's name)``.

    The caller keeps the slave open too, so the master never sees end-of-file while no client
    has the port open.
    """
    master, slave = os.openpty()
    tty.setraw(master)
    return master, slave, os.ttyname(slave)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a pty may take it in pieces).

    Raises:
        OSError: the write failed.
    """
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class DeviceServer:
    """A simulated device behind a TCP listener or a pty, served by a thread.

    Subclasses wire the device: :meth:`_attach` points its output at the server, and
    :meth:`_deliver` hands it received bytes. Both run with the server's lock held, as do the
    optional :meth:`_idle` (the device's own timers) and :meth:`_on_connection`.

    Args:
        chip: the chip model in the device's socket (it keeps the contents).
        state: file the chip contents are saved to after each connection and at stop.
    """

    poll_s = POLL_S
    recv_bytes = RECV_BYTES
    thread_name = "sim-server"
    once = False
    """Stop serving after the first TCP connection ends."""

    def __init__(self, chip: ChipModel, state: Path | None = None) -> None:
        self.chip = chip
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
        self._virtual0 = chip.clock.now_us()

    # --- device wiring (subclasses) ----------------------------------------------------------

    def _attach(self, output: Callable[[bytes, float], None]) -> None:
        """Send everything the device outputs to ``output(data, t_us)``."""
        raise NotImplementedError

    def _deliver(self, data: bytes) -> None:
        """Hand bytes read from the host to the device."""
        raise NotImplementedError

    def _idle(self) -> None:
        """Called on every turn of the serving loop, input or not (nothing by default)."""

    def _on_connection(self) -> None:
        """A TCP client connected (nothing by default)."""

    @property
    def spec(self) -> str:
        """The romtool programmer spec that reaches this server."""
        raise NotImplementedError

    # --- setup -------------------------------------------------------------------------------

    def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Bind a loopback listener (port 0: any free port) and return the bound address.

        Raises:
            UsageError: ``host`` is not a loopback address.
            OSError: the port cannot be bound.
        """
        check_loopback(host)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1)
        sock.settimeout(self.poll_s)
        self._listener = sock
        name, bound = sock.getsockname()[:2]
        self.address = (name, bound)
        return self.address

    def open_pty(self) -> str:
        """Open a pty pair and return the name of the end to give the driver."""
        self._master, self._slave, self.pty_name = open_raw_pty()
        return self.pty_name

    # --- serving -----------------------------------------------------------------------------

    def real_now_us(self) -> float:
        """Real time since the server was made, on the chip's virtual time scale (µs)."""
        return self._virtual0 + (time.monotonic() - self._wall0) * US_PER_S

    def start(self) -> DeviceServer:
        """Serve in a daemon thread (returns at once)."""
        self._thread = threading.Thread(target=self.serve, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        """Serve until :meth:`stop` (blocking).

        Raises:
            RuntimeError: neither :meth:`listen_tcp` nor :meth:`open_pty` was called.
        """
        if self._listener is not None:
            self._serve_tcp(self._listener)
        elif self._master is not None:
            self._serve_fd(self._master)
        else:
            raise RuntimeError("call listen_tcp() or open_pty() first")

    def request_stop(self) -> None:
        """Ask the serving loop to end (safe from a signal handler); see :meth:`stop`."""
        self._stop.set()

    def wait(self) -> None:
        """Block until the serving thread has ended (after :meth:`request_stop`, or by itself
        with :attr:`once`). Wakes up every :attr:`poll_s` so signal handlers run."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(self.poll_s)

    def stop(self) -> None:
        """Stop serving, close everything and save the state (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5 * self.poll_s + 1)
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
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
            write_atomic(self.state, self.snapshot(), force=True)

    def snapshot(self) -> bytes:
        """The chip contents, safely while serving."""
        with self._lock:
            return self.chip.snapshot()

    def _turn(self, data: bytes | None) -> None:
        with self._lock:
            self._idle()
            if data:
                self._deliver(data)

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
                with self._lock:
                    self._on_connection()
                self._serve_conn(conn)
            self.save()
            if self.once:
                self._stop.set()

    def _serve_conn(self, conn: socket.socket) -> None:
        out = bytearray()
        with self._lock:
            self._attach(lambda data, _t: out.extend(data))
        conn.settimeout(self.poll_s)
        while not self._stop.is_set():
            try:
                data: bytes | None = conn.recv(self.recv_bytes)
            except TimeoutError:
                data = None
            except OSError:
                return
            if data == b"":
                return  # the client closed the connection
            self._turn(data)
            if out:
                try:
                    conn.sendall(bytes(out))
                except OSError:
                    return
                out.clear()

    def _serve_fd(self, fd: int) -> None:
        out = bytearray()
        with self._lock:
            self._attach(lambda data, _t: out.extend(data))
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], self.poll_s)
            data = None
            if ready:
                try:
                    data = os.read(fd, self.recv_bytes)
                except OSError:
                    return
            self._turn(data)
            if out:
                view = bytes(out)
                out.clear()
                try:
                    write_all(fd, view)
                except OSError:
                    return


def serve_until_signalled(server: DeviceServer, announce: Callable[[], None]) -> None:
    """Serve until SIGINT or SIGTERM (or until a :attr:`~DeviceServer.once` server is done),
    then stop and save.

    ``announce`` runs once the signal handlers are in place and before serving starts (it
    prints the spec): a caller may stop the server as soon as it has read it.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        server.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    announce()
    server.start()
    try:
        server.wait()
    finally:
        server.stop()
