"""The NIC catalog is data: it must be consistent and hold every driver of our notes' table."""

from __future__ import annotations

import pytest

from romtool.errors import BuildError
from romtool.optionrom import catalog

SECTION5 = [
    "3c509", "3c503", "ne", "wd", "eepro", "3c515", "cs89x0", "depca", "sk_g16", "smc9000",
    "3c595", "3c90x", "ne2k-pci", "rtl8139", "eepro100", "e1000", "via-rhine", "tulip",
    "natsemi", "pcnet32", "sis900", "tg3", "ns83820",
]  # fmt: skip


def test_catalog_is_consistent() -> None:
    assert catalog.check(catalog.all_drivers()) == []


@pytest.mark.parametrize("name", SECTION5)
def test_every_section5_driver_is_present(name: str) -> None:
    d = catalog.get_driver(name)
    assert d.etherboot or d.ipxe


def test_ids_and_notes_from_the_table() -> None:
    e1000 = catalog.get_driver("e1000")
    assert e1000.bus == "pci" and (0x8086, 0x100F) in e1000.ids and len(e1000.ids) == 32
    assert e1000.default_id == (0x8086, 0x100E) and e1000.ipxe == ("intel",)
    three = catalog.get_driver("3c503")
    assert three.three_c503 and three.sockets == (8192,) and not three.ids
    c90x = catalog.get_driver("3c905b")
    assert "AT29C512" in c90x.chips and (0x10B7, 0x9055) in c90x.ids
    assert len(catalog.get_driver("tg3").ids) == 27


def test_lookup_errors_are_one_line_with_hints() -> None:
    with pytest.raises(BuildError, match="several drivers"):
        catalog.get_driver("ns8390")
    with pytest.raises(BuildError, match="did you mean") as exc:
        catalog.get_driver("rtl8193")
    assert "\n" not in str(exc.value)


def test_search_by_id_and_words() -> None:
    assert [d.name for d in catalog.search("10ec:8029")] == ["ne2k-pci"]
    assert "eepro" in [d.name for d in catalog.search("29C256")]
    assert catalog.drivers_for_id(0x10B7, 0x9000)  # 3c595 and 3c90x both claim it


def test_parse_rejects_bad_entries() -> None:
    with pytest.raises(BuildError, match="bad PCI id"):
        catalog.parse_catalog('[[driver]]\nname="x"\nbus="pci"\ntitle="t"\nids=["8086-100e"]')
    with pytest.raises(BuildError, match="missing field"):
        catalog.parse_catalog('[[driver]]\nname="x"\nbus="pci"')
    bad = catalog.parse_catalog('[[driver]]\nname="x"\nbus="isa"\ntitle="t"\nids=["8086:100e"]')
    assert any("ISA" in p for p in catalog.check(bad))
