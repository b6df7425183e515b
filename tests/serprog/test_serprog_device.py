"""The simulated serprog device, byte by byte on the wire (no host driver involved)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.chips import get_chip
from romtool.programmers.serprog.protocol import (
    ACK,
    NAK,
    BusType,
    Cmd,
    decode_cmdmap,
    encode_cmdmap,
    u16,
    u24,
    u32,
)
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.serprog.device import (
    COMMAND_US,
    PARALLEL_COMMANDS,
    DeviceConfig,
    SerprogDevice,
)

SST = get_chip("SST39SF010A")


class Wire:
    """Collects the device's answers."""

    def __init__(self, config: DeviceConfig | None = None, data: bytes | None = None) -> None:
        self.chip = model_for(SST, clock=VirtualClock(), data=data)
        self.dev = SerprogDevice(self.chip, config or DeviceConfig())
        self.out = bytearray()
        self.dev.output = lambda data, t: self.out.extend(data)

    def __call__(self, *parts: bytes | int) -> bytes:
        raw = b"".join(bytes([p]) if isinstance(p, int) else p for p in parts)
        self.out.clear()
        self.dev.receive(raw)
        return bytes(self.out)


def test_nop_syncnop_and_interface_version() -> None:
    w = Wire()
    assert w(Cmd.NOP) == bytes([ACK])
    assert w(Cmd.SYNCNOP) == bytes([NAK, ACK])
    assert w(Cmd.Q_IFACE) == bytes([ACK]) + u16(1)


def test_queries_report_the_config() -> None:
    cfg = DeviceConfig(name="bench", serbuf=64, opbuf=300, address_lines=17, wrnmaxlen=128)
    w = Wire(cfg)
    assert w(Cmd.Q_PGMNAME) == bytes([ACK]) + b"bench".ljust(16, b"\0")
    assert w(Cmd.Q_SERBUF) == bytes([ACK]) + u16(64)
    assert w(Cmd.Q_OPBUF) == bytes([ACK]) + u16(300)
    assert w(Cmd.Q_CHIPSIZE) == bytes([ACK, 17])
    assert w(Cmd.Q_WRNMAXLEN) == bytes([ACK]) + u24(128)
    assert w(Cmd.Q_BUSTYPE) == bytes([ACK, BusType.PARALLEL])
    answer = w(Cmd.Q_CMDMAP)
    assert answer[0] == ACK and len(answer) == 33
    assert decode_cmdmap(answer[1:]) == {int(c) for c in PARALLEL_COMMANDS}


def test_cmdmap_round_trip() -> None:
    cmds = frozenset({Cmd.NOP, Cmd.O_EXEC, Cmd.S_CS_MODE})
    assert decode_cmdmap(encode_cmdmap(cmds)) == {0x00, 0x0F, 0x18}


def test_spi_only_commands_and_unknown_opcodes_are_nakked() -> None:
    w = Wire()
    # O_SPIOP is not in a parallel board's map: its parameters and data are swallowed whole.
    assert w(Cmd.O_SPIOP, u24(2), u24(0), b"\x9f\x00") == bytes([NAK])
    assert w(0x7E) == bytes([NAK])
    # The stream is still in step afterwards.
    assert w(Cmd.SYNCNOP) == bytes([NAK, ACK])


def test_bus_type_selection() -> None:
    w = Wire()
    assert w(Cmd.S_BUSTYPE, BusType.SPI) == bytes([NAK])
    assert w(Cmd.S_BUSTYPE, BusType.PARALLEL | BusType.SPI) == bytes([ACK])
    assert w.dev.bus is BusType.PARALLEL


def test_read_masks_the_address_to_the_address_lines() -> None:
    data = bytes(range(256)) * 512
    w = Wire(DeviceConfig(address_lines=19), data=data)
    # flashrom puts a 128 KiB part at 4 GiB - 128 KiB and sends the low 24 bits.
    assert w(Cmd.R_BYTE, u24(0xFE0010)) == bytes([ACK, 0x10])
    assert w(Cmd.R_NBYTES, u24(0xFE0100), u24(4)) == bytes([ACK, 0, 1, 2, 3])


def test_r_nbytes_limits() -> None:
    w = Wire(DeviceConfig(rdnmaxlen=16))
    assert w(Cmd.R_NBYTES, u24(0), u24(0)) == bytes([NAK])
    assert w(Cmd.R_NBYTES, u24(0), u24(17)) == bytes([NAK])
    assert w(Cmd.R_NBYTES, u24(0), u24(16)) == bytes([ACK]) + b"\xff" * 16


def test_operation_buffer_runs_only_on_exec_and_is_cleared() -> None:
    w = Wire()
    unlock = [(0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0xA0), (0x0042, 0x12)]
    for addr, value in unlock:
        assert w(Cmd.O_WRITEB, u24(addr), value) == bytes([ACK])
    assert w.chip.snapshot()[0x42] == 0xFF
    assert w(Cmd.O_DELAY, u32(100)) == bytes([ACK])
    assert w(Cmd.O_EXEC) == bytes([ACK])
    assert w.chip.snapshot()[0x42] == 0x12
    # A second O_EXEC runs nothing: the buffer was cleared.
    writes = w.chip.counters.writes
    assert w(Cmd.O_EXEC) == bytes([ACK])
    assert w.chip.counters.writes == writes


def test_o_init_discards_queued_writes() -> None:
    w = Wire()
    w(Cmd.O_WRITEB, u24(0x5555), 0xAA)
    assert w(Cmd.O_INIT) == bytes([ACK])
    w(Cmd.O_EXEC)
    assert w.chip.counters.writes == 0


def test_opbuf_overflow_is_refused_and_not_queued() -> None:
    w = Wire(DeviceConfig(opbuf=12))
    assert w(Cmd.O_WRITEB, u24(1), 1) == bytes([ACK])  # 5 bytes
    assert w(Cmd.O_WRITEB, u24(2), 2) == bytes([ACK])  # 10 bytes
    assert w(Cmd.O_WRITEB, u24(3), 3) == bytes([NAK])  # would be 15
    assert w.dev.stats.opbuf_peak == 10


def test_writen_longer_than_wrnmaxlen_is_swallowed_and_nakked() -> None:
    w = Wire(DeviceConfig(wrnmaxlen=4))
    assert w(Cmd.O_WRITEN, u24(5), u24(0), b"\x01\x02\x03\x04\x05") == bytes([NAK])
    assert w(Cmd.SYNCNOP) == bytes([NAK, ACK])
    assert w(Cmd.O_WRITEN, u24(4), u24(0), b"\x01\x02\x03\x04") == bytes([ACK])


def test_pins_off_float_the_bus() -> None:
    w = Wire(data=b"\x00" * 16)
    assert w(Cmd.S_PIN_STATE, 0) == bytes([ACK])
    assert w(Cmd.R_BYTE, u24(0)) == bytes([ACK, 0xFF])
    w(Cmd.S_PIN_STATE, 1)
    assert w(Cmd.R_BYTE, u24(0)) == bytes([ACK, 0x00])


def test_uart_overflow_while_busy_is_counted() -> None:
    w = Wire(DeviceConfig(serbuf=8))
    w.dev.receive(bytes([Cmd.O_DELAY]) + u32(10_000) + bytes([Cmd.O_EXEC]), 0.0, 0.0)
    # 20 NOPs arrive during the 10 ms delay, 1 µs apart: only 8 fit in the buffer.
    t = w.dev.clock_us
    assert t > 10_000
    w.dev.receive(bytes([Cmd.NOP]) * 20, 100.0, 1.0)
    assert w.dev.stats.overflows == 12
    assert w.out.count(ACK) == 2 + 8


def test_commands_cost_device_time() -> None:
    w = Wire()
    t0 = w.dev.clock_us
    w(Cmd.NOP)
    assert w.dev.clock_us == pytest.approx(t0 + COMMAND_US)


_ops = st.one_of(
    st.tuples(st.just(Cmd.NOP)),
    st.tuples(st.just(Cmd.Q_IFACE)),
    st.tuples(st.just(Cmd.R_BYTE), st.integers(0, 0xFFFFFF)),
    st.tuples(st.just(Cmd.O_WRITEB), st.integers(0, 0xFFFFFF), st.integers(0, 255)),
    st.tuples(st.just(Cmd.O_DELAY), st.integers(0, 50)),
    st.tuples(st.just(Cmd.O_EXEC)),
    st.tuples(st.just(Cmd.SYNCNOP)),
    st.tuples(st.just(Cmd.R_NBYTES), st.integers(0, 0xFFFFFF), st.integers(0, 8)),
    st.tuples(st.just(Cmd.O_WRITEN), st.integers(0, 0xFFFFFF), st.binary(min_size=1, max_size=8)),
)


def _encode(op: tuple) -> bytes:  # type: ignore[type-arg]
    cmd = op[0]
    if cmd in (Cmd.R_BYTE,):
        return bytes([cmd]) + u24(op[1])
    if cmd is Cmd.O_WRITEB:
        return bytes([cmd]) + u24(op[1]) + bytes([op[2]])
    if cmd is Cmd.O_DELAY:
        return bytes([cmd]) + u32(op[1])
    if cmd is Cmd.R_NBYTES:
        return bytes([cmd]) + u24(op[1]) + u24(op[2])
    if cmd is Cmd.O_WRITEN:
        return bytes([cmd]) + u24(len(op[2])) + u24(op[1]) + op[2]
    return bytes([cmd])


@settings(max_examples=60, deadline=None)
@given(st.lists(_ops, max_size=30), st.lists(st.integers(1, 7), min_size=1, max_size=40))
def test_answers_do_not_depend_on_how_bytes_are_split(ops: list, cuts: list[int]) -> None:  # type: ignore[type-arg]
    """The parser is a stream parser: any chunking gives the same answers and chip state."""
    stream = b"".join(_encode(op) for op in ops)
    whole = Wire(DeviceConfig(serbuf=0xFFFF))
    whole(stream)
    pieces = Wire(DeviceConfig(serbuf=0xFFFF))
    out = bytearray()
    pos, i = 0, 0
    while pos < len(stream):
        n = cuts[i % len(cuts)]
        out += pieces(stream[pos : pos + n])
        pos += n
        i += 1
    assert bytes(out) == bytes(whole.out)
    assert pieces.chip.snapshot() == whole.chip.snapshot()
