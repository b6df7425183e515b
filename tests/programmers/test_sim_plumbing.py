"""What every simulator shares: the in-process ports, the chip socket and its state file, and
the pty/TCP server."""

from __future__ import annotations

import os
import select
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from romtool.chips import get_chip
from romtool.errors import InputError, UsageError
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.inprocess import (
    chip_faults,
    flag_option,
    load_state,
    socket_chip,
    state_option,
)
from romtool.programmers.sim.link import Link, LinkLost, LinkModel
from romtool.programmers.sim.port import StreamPort
from romtool.programmers.sim.romprog.port import SimPort
from romtool.programmers.sim.serving import DeviceServer, check_loopback, write_all

AT28 = get_chip("AT28C256")
US = 1_000_000.0
TIMEOUT_S = 10.0
"""Real seconds a socket waits for the served device; answers come within milliseconds."""


# --- chip socket and state file ------------------------------------------------------------


def test_missing_state_is_a_blank_chip(tmp_path: Path) -> None:
    assert load_state(tmp_path / "none.bin", AT28) is None
    chip = socket_chip(AT28, tmp_path / "none.bin")
    assert chip.snapshot() == b"\xff" * AT28.size


def test_state_of_the_wrong_size_is_refused_with_both_sizes(tmp_path: Path) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(InputError, match="does not fit AT28C256") as info:
        load_state(path, AT28)
    assert info.value.expected == f"{AT28.size} bytes"
    assert info.value.actual == "100 bytes"


def test_state_is_loaded_into_the_socket(tmp_path: Path) -> None:
    path = tmp_path / "chip.bin"
    data = bytes(i & 0xFF for i in range(AT28.size))
    path.write_bytes(data)
    chip = socket_chip(AT28, path, faults={"stuck0": {5: 0x01}})
    assert chip.snapshot()[:4] == data[:4]
    assert chip.clock.now_us() == 0.0


def test_state_option_expands_home_and_ignores_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    assert state_option({"state": "~/chip.bin"}) == Path("/home/someone/chip.bin")
    assert state_option({"state": ""}) is None
    assert state_option({}) is None


@pytest.mark.parametrize(("text", "on"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_flag_option(text: str, on: bool) -> None:
    assert flag_option({"dead": text}, "dead") is on
    assert flag_option({}, "dead") is False


def test_chip_faults_from_options() -> None:
    faults = chip_faults(
        {"stuck0": "0x10:0x01+0x20", "weak": "5:2+6", "dead": "1", "empty": "0", "baud": "9600"}
    )
    assert faults == {"stuck0": {0x10: 0x01, 0x20: 0xFF}, "weak": {5: 2, 6: None}, "dead": True}


def test_chip_faults_name_the_bad_number() -> None:
    with pytest.raises(UsageError, match="stuck1 mask"):
        chip_faults({"stuck1": "0x10:zz"})


@given(
    st.dictionaries(st.integers(0, 0xFFFFF), st.integers(0, 0xFF), min_size=1, max_size=8),
    st.dictionaries(st.integers(0, 0xFFFFF), st.none() | st.integers(0, 50), min_size=1),
)
def test_fault_options_round_trip(masks: dict[int, int], weak: dict[int, int | None]) -> None:
    stuck = "+".join(f"0x{a:X}:0x{m:X}" for a, m in masks.items())
    weak_text = "+".join(f"{a}" if n is None else f"{a}:{n}" for a, n in weak.items())
    faults = chip_faults({"stuck1": stuck, "weak": weak_text})
    assert faults == {"stuck1": masks, "weak": weak}


# --- in-process ports ------------------------------------------------------------------------


class Echo:
    """Answers each byte run at once, twice: two runs with a gap between them."""

    def __init__(self, gap_us: float = 500.0) -> None:
        self.output: Callable[[bytes, float], None] = lambda data, t: None
        self.gap_us = gap_us

    def receive(self, data: bytes, t0_us: float, dt_us: float = 0.0) -> None:
        end = t0_us + len(data) * dt_us
        self.output(data, end)
        self.output(data.upper(), end + self.gap_us)


def _fast_link() -> Link:
    return Link(LinkModel(baud=1_000_000, latency_s=0.0), VirtualClock())


def test_stream_port_reads_one_contiguous_run_at_a_time() -> None:
    port = StreamPort(_fast_link(), Echo())
    port.write(b"abc")
    assert port.read_some(1.0) == b"abc"
    assert port.read_some(1.0) == b"ABC"
    assert port.read_some(0.25) == b""
    assert port.now() > 0.25  # the timeout passed on the host's virtual clock


def test_negative_timeout_still_returns_what_has_arrived() -> None:
    port = StreamPort(_fast_link(), Echo(gap_us=0.0))
    port.write(b"x")
    port.sleep(0.01)
    assert port.read_some(-1.0) == b"xX"


def test_port_is_lost_after_close_or_a_pulled_cable() -> None:
    port = StreamPort(_fast_link(), Echo())
    port.close()
    with pytest.raises(LinkLost):
        port.write(b"a")
    cable = Link(LinkModel(disconnect_after=4), VirtualClock())
    port = StreamPort(cable, Echo())
    with pytest.raises(LinkLost):
        port.write(b"abcdef")


def test_stream_port_runs_the_device_timers_while_the_host_waits() -> None:
    class Ticker(Echo):
        """Sends "C" every second on its own (an XMODEM receiver waiting)."""

        def __init__(self) -> None:
            super().__init__()
            self.next_at = 1.0 * US

        def next_event(self) -> float | None:
            return self.next_at

        def tick(self, t_us: float) -> None:
            self.output(b"C", t_us)
            self.next_at = t_us + 1.0 * US

    port = StreamPort(_fast_link(), Ticker())
    assert port.read_some(0.5) == b""
    assert port.read_some(5.0) == b"C"  # one event per read: the host gets to answer
    assert port.now() == pytest.approx(1.0, abs=1e-4)


def test_sim_port_reads_up_to_the_frame_delimiter() -> None:
    class Frames:
        def __init__(self) -> None:
            self.output: Callable[[bytes, float], None] = lambda data, t: None
            self.on_baud: Callable[[int], None] | None = None

        def receive(self, data: bytes, t0_us: float, dt_us: float = 0.0) -> None:
            self.output(b"one\x00two\x00", t0_us)

    board = Frames()
    port = SimPort(_fast_link(), board)  # type: ignore[arg-type]
    assert board.on_baud is not None  # the board's SET_BAUD switches the cable
    port.write(b"?")
    assert port.read_some(1.0) == b"one\x00"
    assert port.read_some(1.0) == b"two\x00"


# --- serving on a pty or TCP -----------------------------------------------------------------


class EchoServer(DeviceServer):
    """Echoes what arrives and remembers it in the chip (from address 0)."""

    def __init__(self, state: Path | None = None) -> None:
        super().__init__(socket_chip(AT28, state), state)
        self.output: Callable[[bytes, float], None] = lambda data, t: None
        self.got = bytearray()
        self.connects = 0

    @property
    def spec(self) -> str:
        return f"echo:{self.pty_name or self.address}"

    def _attach(self, output: Callable[[bytes, float], None]) -> None:
        self.output = output

    def _on_connection(self) -> None:
        self.connects += 1

    def _deliver(self, data: bytes) -> None:
        self.got += data
        self.chip.load(bytes(self.got))
        self.output(data, self.real_now_us())


def _recv_exactly(conn: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        assert chunk, "the server closed the connection"
        out += chunk
    return out


def test_tcp_server_echoes_and_saves_after_each_connection(tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    server = EchoServer(state)
    host, port = server.listen_tcp("127.0.0.1", 0)
    server.start()
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as conn:
            conn.sendall(b"hello")
            assert _recv_exactly(conn, 5) == b"hello"
        with socket.create_connection((host, port), timeout=TIMEOUT_S) as conn:
            conn.sendall(b"!")
            assert _recv_exactly(conn, 1) == b"!"
    finally:
        server.stop()
    assert server.connects == 2
    assert state.read_bytes()[:6] == b"hello!"
    assert server.snapshot()[:6] == b"hello!"


def test_once_ends_the_server_after_one_connection() -> None:
    server = EchoServer()
    server.once = True
    host, port = server.listen_tcp("127.0.0.1", 0)
    server.start()
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as conn:
        conn.sendall(b"x")
        assert _recv_exactly(conn, 1) == b"x"
    server.wait()  # returns: the serving thread ended by itself
    server.stop()


def test_pty_server_echoes() -> None:
    server = EchoServer()
    name = server.open_pty()
    server.start()
    fd = os.open(name, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, b"ping")
        got = b""
        while len(got) < 4:
            ready, _, _ = select.select([fd], [], [], TIMEOUT_S)
            assert ready, "the server did not answer"
            got += os.read(fd, 4 - len(got))
        assert got == b"ping"
    finally:
        os.close(fd)
        server.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.1.2.3"])
def test_loopback_hosts_are_served(host: str) -> None:
    assert check_loopback(host) == host


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_other_hosts_are_refused(host: str) -> None:
    with pytest.raises(UsageError, match="only loopback"):
        check_loopback(host)


def test_write_all_writes_everything() -> None:
    read_end, write_end = os.pipe()
    try:
        write_all(write_end, b"z" * 3000)
        assert os.read(read_end, 4096) == b"z" * 3000
    finally:
        os.close(read_end)
        os.close(write_end)
