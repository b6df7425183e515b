"""Chip database: lookup, the packaged data's selfcheck, and selfcheck rules that must fire."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from romtool.chips import (
    Algorithm,
    ChipId,
    IdMethod,
    Technology,
    all_chips,
    check_database,
    chips_with_id,
    find_chips,
    get_chip,
    load_database,
)
from romtool.chips.loader import build_spec
from romtool.errors import ChipDatabaseError

REQUIRED = [
    "2764", "27C64", "27128", "27C128", "27C256", "27C512", "27C010", "27C1001", "27C020",
    "27C040", "28C64", "AT28C64B", "28C256", "AT28C256", "AT29C256", "AT29C512", "AT29C010A",
    "SST29EE010", "W29EE011", "W29C010", "SST39SF010A", "SST39SF020A", "SST39SF040",
    "AM29F010", "AT49BV512", "SST39VF512",
]  # fmt: skip


def test_packaged_database_is_consistent() -> None:
    assert check_database() == []
    assert len(all_chips()) >= 40


@pytest.mark.parametrize("name", REQUIRED)
def test_issue_parts_present(name: str) -> None:
    assert get_chip(name).size > 0


def test_27c256_vendor_ids() -> None:
    generic = get_chip("27C256")
    for text in ("1E:8C", "20:8D", "01:10", "89:8C", "29:8C", "97:04", "8F:04", "C2:10"):
        mfr, dev = (int(x, 16) for x in text.split(":"))
        assert generic.answers_to(mfr, dev)
        hits = chips_with_id(mfr, dev)
        assert hits[-1].name == "27C256"  # vendor entries first, generic last
    assert get_chip("27C512").answers_to(0x1E, 0x0D)
    assert chips_with_id(0x1E, 0x8C)[0].name == "AT27C256R"


def test_lookup_aliases_and_packages() -> None:
    assert get_chip("m27c256b").name == "M27C256B"
    assert get_chip("AT27C256R@DIP28").name == "AT27C256R"
    assert get_chip("27C256@DIP28").name == "27C256"
    assert get_chip("AM27C256@DIP28").name == "AM27C256"  # package suffix not listed
    with pytest.raises(ChipDatabaseError):
        get_chip("AM27C256@PLCC32")


def test_unknown_part_suggests_nearest() -> None:
    with pytest.raises(ChipDatabaseError) as exc:
        get_chip("27C265")
    assert "27C256" in str(exc.value)
    assert exc.value.exit_status == 2


def test_find() -> None:
    names = {c.name for c in find_chips("39sf")}
    assert {"SST39SF010A", "SST39SF020A", "SST39SF040"} <= names
    assert {c.name for c in find_chips("BF:B5")} == {"SST39SF010A"}
    assert all(c.technology is Technology.EEPROM for c in find_chips("eeprom"))


def test_spec_facts() -> None:
    sst = get_chip("SST39SF010A")
    assert sst.timing.byte_program_typ_us == 14 and sst.timing.byte_program_max_us == 20
    assert sst.sectors_total == sst.size and sst.erase_unit == 4096
    assert sst.sector_at(0x1234).start == 0x1000
    at = get_chip("AT27C256R")
    assert (at.voltages.vpp_mv, at.voltages.vcc_program_mv) == (13000, 6500)
    assert at.algorithm is Algorithm.EPROM_QUICKPULSE and at.id_method is IdMethod.A9_HV
    assert get_chip("27C512").oe_vpp_shared and not get_chip("27C256").oe_vpp_shared
    assert get_chip("AT28C64B").command_mask == 0x1FFF
    assert get_chip("AT29C256").timing.id_entry_us == 10_000


HEADER = """
[defaults]
status = { read = "simulated", program = "simulated", erase = "untested", identify = "untested" }
"""

GOOD = """
[[chip]]
name = "P1"
vendor = "V"
size = "8K"
package = "DIP28"
pins = 28
technology = "eeprom"
algorithm = "eeprom-byte"
timing = { write_cycle_max_us = 1000 }
"""


def _db(extra: str):  # type: ignore[no-untyped-def]
    return load_database({"test.toml": HEADER + GOOD + extra})


def _flash_f1(sectors: int) -> str:
    """A 64 KiB JEDEC flash entry "F1" (id AA:01) with ``sectors`` 4 KiB sectors."""
    return f"""
[[chip]]
name = "F1"
vendor = "V"
size = "64K"
package = "DIP32"
pins = 32
technology = "jedec-flash"
algorithm = "jedec-byte"
sdp = "always"
ids = ["AA:01"]
id_method = "jedec"
sectors = [[{sectors}, "4K"]]
timing = {{ byte_program_typ_us = 14, sector_erase_typ_us = 1, chip_erase_typ_us = 1 }}
"""


def test_selfcheck_clean_minimal() -> None:
    assert _db("").check() == []


def test_selfcheck_duplicate_id_within_vendor() -> None:
    extra = (
        _flash_f1(sectors=16)
        + """
[[chip]]
like = "F1"
name = "F2"

[[chip]]
like = "F1"
name = "F3"
vendor = "Other"
"""
    )
    problems = _db(extra).check()
    assert any("F2" in p and "id AA:01 is also used by F1" in p for p in problems)
    assert not any(p.startswith("F3") for p in problems)  # other vendor: fine


def test_selfcheck_sector_layout_disagrees() -> None:
    extra = _flash_f1(sectors=8)
    assert any("sectors add up to 32768 bytes, but size is 65536" in p for p in _db(extra).check())


def test_selfcheck_unknown_algorithm() -> None:
    extra = GOOD.replace('"P1"', '"P2"').replace("eeprom-byte", "eeprom-magic")
    problems = _db(extra).check()
    assert any("P2" in p and "unknown algorithm 'eeprom-magic'" in p for p in problems)


def test_selfcheck_missing_vpp() -> None:
    extra = """
[[chip]]
name = "E1"
vendor = "V"
size = "32K"
package = "DIP28"
pins = 28
technology = "uv-eprom"
algorithm = "eprom-quickpulse"
vpp_pin = 1
timing = { pulse_us = 100, max_pulses = 25 }
voltages = { vpp_mv = 12750 }
"""
    problems = _db(extra).check()
    assert any("E1" in p and "missing voltages vpp_min_mv" in p for p in problems)


def test_selfcheck_algorithm_technology_mismatch_and_names() -> None:
    extra = GOOD.replace('"P1"', '"P1B"').replace('vendor = "V"', 'vendor = "V"\naliases = ["p1"]')
    extra = extra.replace("eeprom-byte", "jedec-byte")
    problems = _db(extra).check()
    assert any("does not fit technology" in p for p in problems)
    assert any("name 'p1' is also used by P1" in p for p in problems)


def test_selfcheck_status_per_operation() -> None:
    text = HEADER.replace('erase = "untested", ', "") + GOOD
    problems = load_database({"t.toml": text}).check()
    assert problems == ["P1: no status for operation(s): erase"]
    bad_header = HEADER.replace('erase = "untested"', 'erase = "maybe"')
    bad = load_database({"t.toml": bad_header + GOOD})
    assert any("unknown status 'maybe'" in p for p in bad.check())


def test_loader_rejects_unknown_field() -> None:
    problems = _db(GOOD.replace('"P1"', '"P3"') + "colour = 'red'\n").check()
    assert any("unknown field(s): colour" in p for p in problems)


def test_loader_bad_toml() -> None:
    with pytest.raises(ChipDatabaseError):
        load_database({"bad.toml": "[[chip]\n"})


@given(st.integers(0, 255), st.integers(0, 255), st.sampled_from(["{:02X}", "{:02x}", "{:X}"]))
def test_id_parsing_roundtrip(mfr: int, dev: int, fmt: str) -> None:
    entry = {
        "name": "X", "vendor": "V", "size": 8192, "package": "DIP28", "pins": 28,
        "technology": "jedec-flash", "algorithm": "jedec-byte",
        "ids": [f"{fmt.format(mfr)}:{fmt.format(dev)}"],
    }  # fmt: skip
    assert build_spec(entry).chip_id == ChipId(mfr, dev)


@given(st.text(max_size=12))
def test_bad_ids_rejected_cleanly(text: str) -> None:
    entry = {
        "name": "X", "vendor": "V", "size": 8192, "package": "DIP28", "pins": 28,
        "technology": "jedec-flash", "algorithm": "jedec-byte", "ids": [text],
    }  # fmt: skip
    try:
        spec = build_spec(entry)
    except ValueError:
        return  # rejected with a message, never another exception
    assert spec.chip_id is not None and max(spec.chip_id.mfr, spec.chip_id.dev) <= 0xFF
