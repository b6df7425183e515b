"""The AVR image: it builds with avr-gcc, fits with margin, and answers in simavr."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from romtool.chips import get_chip
from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.profile import profile_for
from romtool.programmers.romprog.protocol import Cmd, Frame, FrameType, Status
from tests.conftest import require_file, require_tool

from .conftest import FIRMWARE

FLASH_LIMIT = 0.25
"""Share of the 248 KiB application flash the image may use (it needs about 6 %)."""
RAM_LIMIT = 0.75
"""Share of the 8 KiB SRAM static data may take: the rest is stack (deepest path ~600 B)."""
HARNESS = Path(__file__).with_name("simavr_uart.c")
SIM_SECONDS = "1.2"
"""Simulated time: 100 ms start-up, six frames at 115200 baud, the VCC trim loop (8 rounds
of 7 ms with nothing on the ADC), with room to spare."""


@pytest.fixture(scope="module")
def avr_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    require_tool("avr-gcc")
    require_tool("avr-objcopy")
    build = tmp_path_factory.mktemp("romprog-avr")
    res = subprocess.run(
        ["make", "-C", str(FIRMWARE), "avr", f"BUILD={build}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr + res.stdout
    return build / "avr" / "romprog.elf", res.stdout


def test_avr_image_builds_and_fits(avr_build: tuple[Path, str]) -> None:
    elf, log = avr_build
    assert elf.exists() and elf.with_suffix(".hex").exists()
    flash = re.search(r"flash: (\d+) of (\d+)", log)
    ram = re.search(r"ram: +(\d+) of (\d+)", log)
    assert flash and ram, log
    assert int(flash.group(1)) < FLASH_LIMIT * int(flash.group(2))
    assert int(ram.group(1)) < RAM_LIMIT * int(ram.group(2))
    hex_text = elf.with_suffix(".hex").read_text()
    assert hex_text.startswith(":") and hex_text.rstrip().endswith(":00000001FF")


def test_avr_image_answers_in_simavr(avr_build: tuple[Path, str], tmp_path: Path) -> None:
    require_tool("simavr")
    require_file("/usr/include/simavr/sim_avr.h", "libsimavr-dev")
    gcc = require_tool("gcc")
    runner = tmp_path / "simavr_uart"
    res = subprocess.run(
        [gcc, "-O2", "-I/usr/include/simavr", "-o", str(runner), str(HARNESS), "-lsimavr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    hello = Frame(FrameType.REQ, 1, Cmd.HELLO, 0, p.HELLO_REQ.pack(p.MAGIC, p.PROTO_VERSION))
    broken = bytearray(Frame(FrameType.REQ, 2, Cmd.PING).encode())
    broken[3] ^= 0x40
    unknown = Frame(FrameType.REQ, 3, 0x7E)
    ping = Frame(FrameType.REQ, 4, Cmd.PING)
    profile = Frame(FrameType.REQ, 5, Cmd.SET_PROFILE, 0, profile_for(get_chip("27C256")).pack())
    crc = Frame(FrameType.REQ, 6, Cmd.CRC, 0, p.ADDR_LEN.pack(0, 16))
    # simavr has no boost converter: the ADC reads 0 V, so the write must be refused.
    begin = Frame(FrameType.REQ, 7, Cmd.WRITE_BEGIN, 0, p.WRITE_BEGIN_REQ.pack(0, 16, 0))
    bad_baud = Frame(FrameType.REQ, 8, Cmd.SET_BAUD, 0, struct.pack("<I", 230_400))  # 3.5 % off
    fast = Frame(FrameType.REQ, 9, Cmd.SET_BAUD, 0, struct.pack("<I", 1_000_000))
    # At the new rate a frame must come within 500 ms, or the firmware goes back to 115200.
    ping_fast = Frame(FrameType.REQ, 10, Cmd.PING)
    frames_out = [hello, unknown, ping, profile, crc, begin, bad_baud, fast, ping_fast]
    wire = b"\x00" + hello.encode() + bytes(broken)
    wire += b"".join(f.encode() for f in frames_out[1:])
    elf, _log = avr_build
    run = subprocess.run(
        [str(runner), str(elf), wire.hex(), SIM_SECONDS],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    answer = bytes.fromhex(lines[-2])
    frames = list(p.FrameDecoder(4096).feed(answer))
    assert [f.seq for f in frames] == [1, 3, 4, 5, 6, 7, 8, 9, 10], "seq 2 was broken: no answer"
    assert all(f.type is FrameType.RSP for f in frames)
    limits = p.Limits.unpack(frames[0].payload)
    assert limits.board == 1 and limits.proto == p.PROTO_VERSION
    assert limits.max_payload == 512 and limits.window == 2048
    assert limits.clock_khz == 16_000
    assert frames[1].status == Status.UNKNOWN_CMD
    assert frames[2].status == Status.OK
    assert frames[3].status == Status.OK
    # An empty socket reads 0xFF through the data-bus pull-ups.
    assert frames[4].payload == struct.pack("<I", zlib.crc32(b"\xff" * 16))
    assert frames[5].status == Status.VPP_FAULT
    assert frames[5].payload == struct.pack("<H", 0)
    assert frames[6].status == Status.BAD_ARG
    assert frames[7].status == Status.OK
    assert frames[8].status == Status.OK
    # 16 MHz / 8 / (UBRR + 1) = 1 Mbaud: the UART really switched (it started at UBRR 16).
    assert lines[-1] == "ubrr0 1"
