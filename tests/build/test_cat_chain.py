"""romtool cat: chaining images, indicator bit 7 only, checksums, lengths."""

from __future__ import annotations

import pytest

from romtool.errors import BuildError, RomFormatError
from romtool.optionrom.cat import cat_images
from romtool.optionrom.etherboot import makerom
from romtool.optionrom.ipxe import finalize_ipxe
from romtool.optionrom.rom import walk_chain
from tests.build.synth import IPXE_PCIR, efi_image, etherboot_isa, etherboot_pci, ipxe_image, sum8


def test_two_legacy_images_and_an_efi_image() -> None:
    a = finalize_ipxe(ipxe_image(4, 1)).data
    b = makerom(etherboot_pci(3000), pci=(0x10EC, 0x8139)).data
    c = efi_image(6)
    got = cat_images([("a.rom", a), ("b.rom", b), ("c.efirom", c)])
    data = got.data
    assert len(data) == len(a) + len(b) + len(c)
    chain = walk_chain(data)
    assert len(chain) == 3
    assert [img.pcir.last for img in chain if img.pcir] == [False, False, True]
    for img in chain:
        assert sum8(data[img.offset : img.offset + img.size]) == 0
    # only bit 7 changed in the first indicator; Etherboot's checksum byte is 5
    assert data[IPXE_PCIR + 0x15] == a[IPXE_PCIR + 0x15] & 0x7F
    eb = len(a)
    assert data[eb + 6 : eb + 8] == b[6:8]
    assert data[eb + len(b) :] == c  # the EFI image was already last: untouched


def test_efi_image_first_is_resummed_at_0x34() -> None:
    c = efi_image(2)
    a = finalize_ipxe(ipxe_image(2)).data
    data = cat_images([("c", c), ("a", a)]).data
    assert sum8(data[:1024]) == 0 and data[5] == c[5] and data[0x34] != c[0x34]


def test_refusals() -> None:
    a = finalize_ipxe(ipxe_image(4)).data
    with pytest.raises(BuildError, match="at least two"):
        cat_images([("a", a)])
    isa = makerom(etherboot_isa(3000)).data
    with pytest.raises(BuildError, match="no PCIR"):
        cat_images([("isa", isa), ("a", a)])
    with pytest.raises(BuildError, match="covers"):
        cat_images([("a", a + b"\xff" * 512), ("b", a)])
    with pytest.raises(RomFormatError, match="truncated"):
        cat_images([("a", a[:1000]), ("b", a)])
    # an ISA image can come last
    assert len(walk_chain(cat_images([("a", a), ("isa", isa)]).data)) == 2
