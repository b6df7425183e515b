"""iPXE mode (fixrom semantics, our notes section 3.2-3.4) and the family guard rails."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.errors import BuildError, RomFormatError
from romtool.optionrom.build import Mode, detect_mode
from romtool.optionrom.etherboot import makerom
from romtool.optionrom.ipxe import finalize_ipxe
from tests.build.synth import (
    IPXE_HDR,
    IPXE_PCIR,
    IPXE_PNP,
    IPXE_UNDI,
    efi_image,
    etherboot_isa,
    etherboot_pci,
    ipxe_image,
    sum8,
)
from tests.conftest import require_file

PXE_E1000 = "/usr/lib/ipxe/qemu/pxe-e1000.rom"
EFI_E1000 = "/usr/lib/ipxe/qemu/efi-e1000.rom"


def test_single_image_checksums_follow_their_own_lengths() -> None:
    raw = ipxe_image(16)
    got = finalize_ipxe(raw, pci=(0x8086, 0x100F)).data
    assert len(got) == 8192 and got[2] == 16
    assert sum8(got[IPXE_PNP : IPXE_PNP + 2 * 16]) == 0
    assert sum8(got[IPXE_UNDI : IPXE_UNDI + 0x16]) == 0
    assert sum8(got[IPXE_HDR : IPXE_HDR + 12]) == 0
    assert sum8(got) == 0
    assert struct.unpack_from("<HH", got, IPXE_PCIR + 4) == (0x8086, 0x100F)
    # only the ids, the three inner checksum bytes and byte 6 differ
    changed = {i for i in range(len(got)) if got[i] != raw[i]}
    allowed = {6, IPXE_PCIR + 6, IPXE_PCIR + 7, IPXE_PNP + 9, IPXE_UNDI + 5, IPXE_HDR + 5}
    assert changed <= allowed and 5 not in changed


def test_unfinalised_image_gets_size_and_padding() -> None:
    raw = bytearray(ipxe_image(4))
    raw[2] = 0
    struct.pack_into("<H", raw, IPXE_PCIR + 0x10, 0)
    got = finalize_ipxe(bytes(raw[:1900])).data
    assert len(got) == 2048 and got[2] == 4 and got[1900:] == b"\xff" * 148
    assert struct.unpack_from("<H", got, IPXE_PCIR + 0x10)[0] == 4
    assert sum8(got) == 0


def test_resize_pads_inside_the_checksum() -> None:
    got = finalize_ipxe(ipxe_image(4), size=16384).data
    assert len(got) == 16384 and got[2] == 32 and sum8(got) == 0
    with pytest.raises(BuildError, match="smaller"):
        finalize_ipxe(ipxe_image(4), size=1024)


def test_chain_with_efi_image_keeps_efi_rules() -> None:
    legacy = ipxe_image(4, last=False)
    efi = efi_image(6)
    got = finalize_ipxe(legacy + efi)
    assert got.images == 2
    assert got.data[2048:] == efi  # EFI untouched when nothing about it changes
    assert sum8(got.data[:2048]) == 0
    moved = finalize_ipxe(legacy + efi, pci=(0x10EC, 0x8139)).data
    assert struct.unpack_from("<HH", moved, 2048 + 0x1C + 4) == (0x10EC, 0x8139)
    assert sum8(moved[2048:]) == 0 and moved[2048 + 5] == efi[5]  # re-summed at 0x34 only
    diff = {i - 2048 for i in range(2048, len(moved)) if moved[i] != efi[i - 2048]}
    assert diff <= {0x1C + 4, 0x1C + 5, 0x1C + 6, 0x1C + 7, 0x34}


def test_etherboot_images_are_refused_in_ipxe_mode() -> None:
    eb = makerom(etherboot_pci(5000), pci=(0x10EC, 0x8139)).data
    with pytest.raises(BuildError, match="byte 6"):
        finalize_ipxe(eb)
    with pytest.raises(BuildError, match="byte 6 may be code"):
        finalize_ipxe(makerom(etherboot_isa(3000)).data)


def test_ids_on_rom_without_pcir_are_refused() -> None:
    raw = bytearray(ipxe_image(4))
    struct.pack_into("<H", raw, 0x18, 0)
    with pytest.raises(BuildError, match="no PCIR"):
        finalize_ipxe(bytes(raw), pci=(1, 2))


def test_not_an_option_rom_and_truncated() -> None:
    with pytest.raises(RomFormatError, match="not an option ROM"):
        finalize_ipxe(b"\x7fELF" + bytes(600))
    with pytest.raises(RomFormatError, match="truncated"):
        finalize_ipxe(ipxe_image(16)[:4096])


def test_auto_mode_states_evidence_or_refuses() -> None:
    assert detect_mode(ipxe_image(4))[0] is Mode.IPXE
    assert detect_mode(etherboot_pci(3000))[0] is Mode.ETHERBOOT
    mode, reason = detect_mode(etherboot_isa(3000))
    assert mode is Mode.ETHERBOOT and "size byte 0" in reason
    finished_isa = makerom(etherboot_isa(3000)).data
    with pytest.raises(BuildError, match="cannot tell"):
        detect_mode(finished_isa)
    unknown = bytearray(ipxe_image(4))
    struct.pack_into("<H", unknown, 0x10, 0)
    with pytest.raises(BuildError, match="--mode"):
        detect_mode(bytes(unknown))


def test_debian_rom_is_a_fixed_point_and_rebuilds_with_new_ids() -> None:
    raw = Path(require_file(PXE_E1000, "ipxe-qemu")).read_bytes()
    assert finalize_ipxe(raw).data == raw
    moved = finalize_ipxe(raw, pci=(0x8086, 0x100F)).data
    assert sum8(moved[: moved[2] * 512]) == 0
    assert [i for i in range(len(raw)) if raw[i] != moved[i]] == [6, 0x1C + 6]


def test_debian_legacy_plus_efi_rom_is_a_fixed_point() -> None:
    raw = Path(require_file(EFI_E1000, "ipxe-qemu")).read_bytes()
    got = finalize_ipxe(raw)
    assert got.images == 2 and got.data == raw


@settings(max_examples=30, deadline=None)
@given(
    blocks=st.integers(1, 60),
    seed=st.integers(0, 2**16),
    pci=st.one_of(st.none(), st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))),
)
def test_every_image_sums_to_zero_and_refinalising_changes_nothing(
    blocks: int, seed: int, pci: tuple[int, int] | None
) -> None:
    first = finalize_ipxe(ipxe_image(blocks, seed), pci=pci).data
    assert sum8(first) == 0
    assert finalize_ipxe(first, pci=pci).data == first
