"""Random and mutated ROMs through every option-ROM parser: only RomtoolError may escape."""

from __future__ import annotations

import contextlib
import sys
from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from romtool.errors import RomtoolError
from romtool.optionrom.fix import fix_all
from romtool.optionrom.lint import isa_verdict, seabios_verdict
from romtool.optionrom.report import inspect_rom
from romtool.optionrom.rom import Family, RomImage, walk_chain
from romtool.optionrom.scan import scan_roms

ROMS: ModuleType = sys.modules["tests.optionrom.conftest"]

SEEDS = [
    bytes(ROMS.ipxe(blocks=2)),
    bytes(ROMS.etherboot(blocks=2)),
    bytes(ROMS.isa(blocks=1)),
    bytes(ROMS.chain(ROMS.ipxe(blocks=2), ROMS.efi(blocks=2))),
]

# Header area mutations hit the interesting bytes: pointers, lengths, signatures.
mutation = st.tuples(st.integers(0, 0xFF), st.integers(0, 0xFF))


@st.composite
def mutated_roms(draw: st.DrawFn) -> bytes:
    buf = bytearray(draw(st.sampled_from(SEEDS)))
    for at, value in draw(st.lists(mutation, min_size=1, max_size=8)):
        if buf:
            buf[at % min(len(buf), 0x100)] = value
    for at, value in draw(
        st.lists(st.tuples(st.integers(0, len(buf)), st.integers(0, 255)), max_size=3)
    ):
        if at < len(buf):
            buf[at] = value
    cut = draw(st.one_of(st.none(), st.integers(0, len(buf))))
    return bytes(buf if cut is None else buf[:cut])


def exercise(data: bytes) -> None:
    for strict in (True, False):
        try:
            chain = walk_chain(data, strict=strict)
        except RomtoolError:
            continue
        for img in chain:
            img.detect_family()
            for getter in (img.locate_pcir, img.locate_pnp, img.locate_undi, img.locate_ipxe):
                getter()
            _ = (img.efi, img.size, img.length)
            with contextlib.suppress(RomtoolError):
                img.pnp_headers()
            if img.pcir is not None:
                with contextlib.suppress(RomtoolError):
                    img.pcir.device_list()
    try:
        report = inspect_rom(data)
        report.as_dict()
    except RomtoolError:
        pass
    buf = bytearray(data)
    for family in (None, Family.IPXE, Family.GENERIC):
        with contextlib.suppress(RomtoolError):
            fix_all(buf, family)
    isa_verdict(data)
    seabios_verdict(data, 0x8086, 0x100E)
    for step in (512, 2048):
        scan_roms(data, step=step).as_dict()
    with contextlib.suppress(RomtoolError):
        RomImage(data).checksum_ok()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_roms())
def test_mutated_roms(data: bytes) -> None:
    exercise(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    exercise(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1200))
def test_random_bytes_behind_a_signature(tail: bytes) -> None:
    exercise(b"\x55\xaa" + tail)
