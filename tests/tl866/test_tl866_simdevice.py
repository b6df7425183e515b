"""The simulated TL866 checks the host side of the protocol independently of the driver."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from romtool.chips.db import get_chip
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.tl866.device import MODEL_T48, MODEL_TL866II_PLUS, SimTl866
from romtool.programmers.tl866 import protocol as p
from romtool.programmers.tl866.profiles import find_builtin


@given(st.integers(57, 0x4000))
def test_driver_split_matches_what_the_device_expects(length: int) -> None:
    """Two independent readings of the split rule (driver codec, simulated firmware) agree."""
    for model, sim_model in ((p.Model.TL866II_PLUS, MODEL_TL866II_PLUS), (p.Model.T48, MODEL_T48)):
        sent = p.encode_write_block(model, p.Command.WRITE_CODE, 0, bytes(length))
        payload = [(ep, len(data)) for ep, data in sent.transfers[1:]]
        assert payload == SimTl866(sim_model)._expected_split(length)


def _begin(sim: SimTl866, packet: bytes) -> None:
    sim.write(0x01, packet)
    sim.write(0x01, p.encode_status_request())
    sim.read(0x81, 32, 1.0)


def test_device_flags_bad_vpp_bytes() -> None:
    sim = SimTl866(MODEL_TL866II_PLUS, model_for(get_chip("AT27C256R")))
    profile = find_builtin("AT27C256R")
    assert profile is not None
    good = p.encode_begin_transaction(profile.begin_params())
    _begin(sim, good)
    sim.write(0x01, p.encode_end_transaction())
    assert sim.violations == []
    bad = bytearray(good)
    bad[22] = 0x50  # the VPP code 0x70 must be repeated in byte 22
    _begin(sim, bytes(bad))
    assert any("VPP bytes 21/22" in v for v in sim.violations)


def test_device_flags_protocol_misuse() -> None:
    sim = SimTl866(MODEL_T48, model_for(get_chip("AT27C256R")))
    sim.write(0x01, p.encode_block_header(p.Command.READ_CODE, 0x400, 0))
    sim.write(0x02, bytes(64))
    sim.write(0x01, bytes([0x77]) + bytes(7))
    assert sim.violations == [
        "read block outside a transaction",
        "payload on endpoint 0x02 without a write header",
        "unknown command 0x77",
    ]


def test_wrong_split_is_an_error_status() -> None:
    sim = SimTl866(MODEL_TL866II_PLUS, model_for(get_chip("AT28C256")))
    profile = find_builtin("AT28C256")
    assert profile is not None
    _begin(sim, p.encode_begin_transaction(profile.begin_params()))
    sim.write(0x01, p.encode_block_header(p.Command.WRITE_CODE, 0x80, 0))
    sim.write(0x02, bytes(0x80))  # the TL866II+ wants 64 bytes on EP2 and 64 on EP3
    sim.write(0x01, p.encode_status_request())
    assert p.decode_status(sim.read(0x81, 32, 1.0)).error
    assert sim.violations == ["write payload: expected 64 bytes on 0x02, got 128 on 0x02"]
