"""Spec strings and the programmer type table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from romtool.errors import UsageError
from romtool.programmers.registry import (
    OpenContext,
    check_options,
    known_types,
    lookup,
    open_programmer,
    parse_spec,
)
from romtool.programmers.sim.simprog import SimProgrammer


@pytest.mark.parametrize(
    ("text", "kind", "target", "options"),
    [
        ("sim:27C256,state=chip.bin", "sim", "27C256", {"state": "chip.bin"}),
        ("romprog:/dev/ttyACM0,baud=1000000", "romprog", "/dev/ttyACM0", {"baud": "1000000"}),
        ("romprog:socket://localhost:7000", "romprog", "socket://localhost:7000", {}),
        ("serprog:tcp:host:5000", "serprog", "tcp:host:5000", {}),
        ("tl866", "tl866", None, {}),
        ("SIM:27C64, Drop = 1e-3 ,", "sim", "27C64", {"drop": "1e-3"}),
    ],
)
def test_parse_spec(text: str, kind: str, target: str | None, options: dict[str, str]) -> None:
    spec = parse_spec(text)
    assert (spec.kind, spec.target, spec.options) == (kind, target, options)


@pytest.mark.parametrize("text", ["", "   ", "sim:27C256,state", "bad kind:x", "sim:x,=1"])
def test_bad_specs_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_spec(text)


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        lookup("eprommer")
    message = str(info.value)
    assert "unknown programmer type 'eprommer'" in message
    for name in ("romprog", "sim"):
        assert name in message
    assert {"romprog", "sim"} <= {t.name for t in known_types()}


def test_unknown_option_is_refused_not_ignored() -> None:
    with pytest.raises(UsageError, match="unknown option 'sate'"):
        check_options(parse_spec("sim:27C256,sate=x"), {"state"})
    with pytest.raises(UsageError, match="unknown option"):
        open_programmer("sim:27C256,sate=x")


def test_sim_factory_builds_the_sim_programmer_with_options(tmp_path: object) -> None:
    prog = open_programmer("sim:27C64,drop=0.001,seed=3,payload=128")
    assert isinstance(prog, SimProgrammer)
    assert prog.part.name == "27C64"
    assert prog.link_model.drop == 0.001 and prog.link_model.seed == 3
    assert prog.config.max_payload == 128


def test_sim_takes_the_part_from_the_context_when_the_spec_has_none() -> None:
    from romtool.chips import get_chip

    prog = open_programmer("sim", OpenContext(part=get_chip("AT28C256")))
    assert isinstance(prog, SimProgrammer) and prog.part.name == "AT28C256"
    with pytest.raises(UsageError, match="needs the part"):
        open_programmer("sim")


def test_romprog_needs_a_port() -> None:
    with pytest.raises(UsageError, match="needs a port"):
        open_programmer("romprog")


@given(st.text(max_size=60))
def test_any_spec_text_parses_or_is_a_usage_error(text: str) -> None:
    try:
        spec = parse_spec(text)
    except UsageError:
        return
    assert spec.kind and spec.kind == spec.kind.lower()
    assert all(k == k.lower() and k for k in spec.options)


def test_serial_link_over_pyserial_loop_url() -> None:
    from romtool.programmers.transports.serial import SerialLink

    link = SerialLink("loop://")
    link.write(b"\x00abc\x00")
    assert link.read_some(1.0) == b"\x00abc\x00"
    assert link.read_some(0.05) == b""
    link.set_baud(1_000_000)
    link.close()


def test_serial_link_reports_a_missing_port_as_transport_error() -> None:
    from romtool.errors import TransportError
    from romtool.programmers.transports.serial import SerialLink

    with pytest.raises(TransportError, match="cannot open /dev/does-not-exist"):
        SerialLink("/dev/does-not-exist")
