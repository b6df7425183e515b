"""The romprog wire format: frames, decoder, fixed payload layouts."""

from __future__ import annotations

import zlib

from hypothesis import given
from hypothesis import strategies as st

from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.protocol import Frame, FrameDecoder, FrameType

frames = st.builds(
    Frame,
    st.sampled_from(list(FrameType)),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFF),
    st.integers(0, 0xFF),
    st.binary(max_size=600),
)


@given(frames)
def test_frame_round_trip(frame: Frame) -> None:
    wire = frame.encode()
    assert wire.endswith(b"\x00") and wire.count(0) == 1  # COBS leaves one delimiter
    assert list(FrameDecoder(4096).feed(wire)) == [frame]


@given(st.lists(frames, min_size=1, max_size=5), st.binary(max_size=40))
def test_decoder_resyncs_after_noise(batch: list[Frame], noise: bytes) -> None:
    # Noise before the first delimiter is one damaged frame at most; every real frame after
    # a delimiter comes through.
    wire = noise + b"\x00" + b"".join(f.encode() for f in batch)
    dec = FrameDecoder(4096)
    assert list(dec.feed(wire)) == batch


@given(frames, st.data())
def test_any_single_byte_error_is_caught(frame: Frame, data: st.DataObject) -> None:
    wire = bytearray(frame.encode())
    i = data.draw(st.integers(0, len(wire) - 2))  # not the delimiter
    wire[i] ^= data.draw(st.integers(1, 255))
    dec = FrameDecoder(4096)
    out = list(dec.feed(bytes(wire) + b"\x00"))
    # A damaged frame never decodes as a different valid frame (CRC-32 + length check).
    assert all(f == frame for f in out)


def test_byte_by_byte_feeding_matches_bulk() -> None:
    wire = b"".join(Frame(FrameType.DATA, i, 3, 0, bytes(range(i))).encode() for i in range(20))
    dec = FrameDecoder(4096)
    got = [f for b in wire for f in dec.feed(bytes([b]))]
    assert [f.seq for f in got] == list(range(20))


def test_oversized_run_is_dropped_with_bounded_memory() -> None:
    dec = FrameDecoder(64)
    big = Frame(FrameType.DATA, 1, 0, 0, bytes(200)).encode()
    small = Frame(FrameType.ACK, 2, 0, 0, b"ok").encode()
    assert [f.seq for f in dec.feed(big + small)] == [2]
    assert dec.dropped == 1


def test_crc_is_zlib_crc32_over_header_and_payload() -> None:
    frame = Frame(FrameType.REQ, 7, p.Cmd.CRC, 0, b"\x01\x02")
    from cobs import cobs

    body = cobs.decode(frame.encode()[:-1])
    assert int.from_bytes(body[-4:], "little") == zlib.crc32(body[:-4])
    assert body[:8] == bytes([1, 1, 7, 0, p.Cmd.CRC, 0, 2, 0])  # ver type seq cmd status len


def test_limits_and_profile_layouts_round_trip() -> None:
    lim = p.Limits(
        1,
        1,
        2,
        0xEE,
        p.Cap.VPP | p.Cap.SIM_UV,
        512,
        2048,
        19,
        0x7E,
        11500,
        14000,
        4500,
        6500,
        2000,
        16000,
    )
    assert len(lim.pack()) == 32
    assert p.Limits.unpack(lim.pack()) == lim
    prof = p.Profile(
        size=65536,
        algorithm=p.Algorithm.EPROM_QUICKPULSE,
        vpp_mv=12750,
        vcc_prog_mv=6250,
        id_method=p.IdMethod.A9,
        flags=p.ProfileFlag.UV_ERASE | p.ProfileFlag.OE_VPP_SHARED,
    )
    assert len(prof.pack()) == p.PROFILE_SIZE == 40
    assert p.Profile.unpack(prof.pack()) == prof


def test_hello_answer_with_bad_magic_is_refused() -> None:
    bad = bytearray(p.Limits(1, 1, 0, 1, p.Cap(0), 256, 1024, 17, 0, 0, 0, 0, 0, 2000, 0).pack())
    bad[0] ^= 0xFF
    try:
        p.Limits.unpack(bytes(bad))
    except ValueError as exc:
        assert "magic" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("bad magic accepted")
