"""Reading minipro's infoic.xml (a synthetic sample in its shape; minipro's file is not used)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.errors import ChipDatabaseError, FormatError, InputError
from romtool.programmers.tl866 import infoic
from romtool.programmers.tl866.profiles import IcType, Tl866Profile, find_builtin

SAMPLE = Path(__file__).parent / "data" / "infoic_sample.xml"


def test_only_the_infoic2plus_section_is_read() -> None:
    db = infoic.load(SAMPLE)
    at27 = db.find("AT27C256R")
    # The TL866A section has a different AT27C256R entry (protocol 0x99); it must not win.
    assert at27.protocol_id == 0x07
    assert at27.name == "AT27C256R@DIP28"
    assert at27.aliases == ("AT27C256R",)
    assert at27.source.startswith("infoic.xml")
    assert not at27.unverified


def test_sample_matches_the_complete_builtin_profile() -> None:
    builtin = find_builtin("AT27C256R")
    assert builtin is not None
    assert infoic.load(SAMPLE).find("AT27C256R").begin_params() == builtin.begin_params()


def test_names_aliases_and_packages() -> None:
    db = infoic.load(SAMPLE)
    assert db.find("at28c256e") is db.find("AT28C256@SOIC28") is db.find("AT28C256")
    # Base name with two packages of the same entry: one entry, so it is found.
    assert db.find("AT29C256").name == "AT29C256@DIP28"
    assert db.find("SST39SF010A").code_memory_size == 0x20000
    with pytest.raises(ChipDatabaseError, match="no minipro entry named 'AT28C999'"):
        db.find("AT28C999")


def test_ambiguous_base_name_lists_candidates(tmp_path: Path) -> None:
    path = tmp_path / "infoic.xml"
    path.write_text(
        '<infoic><database type="INFOIC2PLUS"><manufacturer name="W">'
        '<ic name="W27C512@DIP28" type="0x1" protocol_id="0x7" code_memory_size="0x10000" '
        'read_buffer_size="0x400"/>'
        '<ic name="W27C512@PLCC32" type="0x1" protocol_id="0xa" code_memory_size="0x10000" '
        'read_buffer_size="0x400"/>'
        "</manufacturer></database></infoic>"
    )
    db = infoic.load(path)
    with pytest.raises(ChipDatabaseError) as exc:
        db.find("W27C512")
    assert "W27C512@DIP28" in str(exc.value) and "W27C512@PLCC32" in str(exc.value)
    assert exc.value.hint and "@PACKAGE" in exc.value.hint
    assert db.find("w27c512@plcc32").protocol_id == 0x0A


def test_names_for_id() -> None:
    db = infoic.load(SAMPLE)
    assert db.names_for_id(0x1FDC) == ["AT29C256@DIP28"]
    assert db.names_for_id(0) == []


def test_non_memory_entries_are_refused() -> None:
    mcu = infoic.load(SAMPLE).find("ATMEGA8@DIP28")
    assert mcu.ic_type == IcType.MCU
    with pytest.raises(ChipDatabaseError, match="only memories"):
        mcu.check_usable()


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("<infoic><database", FormatError, "not a valid infoic.xml"),
        ('<infoic><database type="INFOIC"/></infoic>', FormatError, "no <database type="),
        (
            '<infoic><database type="INFOIC2PLUS"><ic name="X" chip_id="0xZZ"/></database>'
            "</infoic>",
            FormatError,
            "attribute chip_id is not a hex number",
        ),
    ],
)
def test_bad_files(tmp_path: Path, text: str, error: type[Exception], match: str) -> None:
    path = tmp_path / "infoic.xml"
    path.write_text(text)
    with pytest.raises(error, match=match):
        infoic.load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read minipro database"):
        infoic.load(tmp_path / "none.xml")


def test_default_path_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(infoic.ENV_INFOIC, raising=False)
    installed = tmp_path / "infoic.xml"
    installed.write_text("<infoic/>")
    monkeypatch.setattr(infoic, "STANDARD_LOCATIONS", (tmp_path / "none.xml", installed))
    assert infoic.default_path() == str(installed)
    monkeypatch.setenv(infoic.ENV_INFOIC, "/from/env.xml")
    assert infoic.default_path() == "/from/env.xml"
    assert infoic.default_path("given.xml") == "given.xml"
    monkeypatch.delenv(infoic.ENV_INFOIC)
    monkeypatch.setattr(infoic, "STANDARD_LOCATIONS", ())
    assert infoic.default_path() is None


_NAME = st.from_regex(r"[A-Z][A-Z0-9]{2,10}(@(DIP|PLCC|SOIC)(28|32))?", fullmatch=True)
_U16 = st.integers(0, 0xFFFF)
_U32 = st.integers(0, 0xFFFFFFFF)


@st.composite
def entries(draw: st.DrawFn) -> list[dict[str, object]]:
    names = draw(st.lists(_NAME, min_size=1, max_size=6, unique_by=str.upper))
    out = []
    for name in names:
        out.append(
            {
                "name": name,
                "type": draw(st.integers(1, 8)),
                "protocol_id": draw(st.integers(0, 0xFF)),
                "variant": draw(_U16),
                "read_buffer_size": draw(_U16),
                "write_buffer_size": draw(_U16),
                "code_memory_size": draw(_U32),
                "page_size": draw(_U16),
                "chip_id": draw(_U32),
                "voltages": draw(_U32),
                "pulse_delay": draw(_U16),
                "flags": draw(_U32),
                "pin_map": draw(_U32),
                "package_details": draw(_U32),
            }
        )
    return out


@settings(max_examples=40, deadline=None)
@given(entries(), st.booleans())
def test_round_trip(
    tmp_path_factory: pytest.TempPathFactory, ics: list[dict[str, object]], upper_hex: bool
) -> None:
    def attr(key: str, value: object) -> str:
        if key == "name":
            return f"{key}={quoteattr(str(value))}"
        text = f"0x{value:X}" if upper_hex else f"0x{value:08x}"
        return f'{key}="{text}"'

    body = "".join("<ic " + " ".join(attr(k, v) for k, v in ic.items()) + "/>" for ic in ics)
    path = tmp_path_factory.mktemp("infoic") / "infoic.xml"
    path.write_text(
        f'<infoic><database type="INFOIC2PLUS"><custom>{body}</custom></database></infoic>'
    )
    got = list(infoic.iter_profiles(path))
    assert [p.name for p in got] == [ic["name"] for ic in ics]
    for profile, ic in zip(got, ics, strict=True):
        assert isinstance(profile, Tl866Profile)
        assert profile.ic_type == ic["type"]
        for key in ("protocol_id", "variant", "code_memory_size", "chip_id", "voltages", "flags"):
            assert getattr(profile, key) == ic[key]
        assert profile.blank_value == 0xFF


@pytest.mark.parametrize(
    ("name", "technology", "id_method", "package"),
    [
        ("M27X256@DIP28", "uv-eprom", "a9", "DIP28"),
        ("F39X010@PLCC32", "jedec-flash", "jedec", "PLCC32"),
        ("AT28C256E", "eeprom", "none", "28-pin"),
        ("AT29C010A@DIP32", "page-flash", "jedec", "DIP32"),
    ],
)
def test_chipspec_from_profile(name: str, technology: str, id_method: str, package: str) -> None:
    from romtool.programmers.tl866.chipinfo import chipspec_from_profile

    profile = infoic.load(SAMPLE).find(name)
    spec = chipspec_from_profile(profile, name)
    assert spec.name == name
    assert spec.size == profile.code_memory_size
    assert spec.technology == technology
    assert spec.id_method == id_method
    assert spec.package == package
    assert "minipro" in spec.notes[0]


def test_chipspec_refuses_mcus() -> None:
    from romtool.programmers.tl866.chipinfo import chipspec_from_profile

    with pytest.raises(ChipDatabaseError, match="only memories"):
        chipspec_from_profile(infoic.load(SAMPLE).find("ATMEGA8@DIP28"), "ATMEGA8@DIP28")


def test_adapter_parts_are_refused() -> None:
    from dataclasses import replace

    base = infoic.load(SAMPLE).find("F39X010@PLCC32")
    base.check_usable()  # PLCC32 (0xFF pin count, no adapter byte) is fine
    for adapter, name in ((1, "TSOP48"), (2, "SOP44"), (6, "SOP56")):
        entry = replace(base, package_details=0x30000000 | adapter)
        with pytest.raises(ChipDatabaseError, match=f"needs the {name} adapter"):
            entry.check_usable()
    replace(base, package_details=0x20000005).check_usable()  # TSOP32 needs no unlock
