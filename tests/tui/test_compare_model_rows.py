"""CompareModel without a terminal: rows, holes, classes, navigation, density."""

from __future__ import annotations

from romtool.analysis import DiffClass, Wanted, compare
from romtool.image.model import Image
from romtool.tui.compare_model import CompareModel


def model(wanted: Wanted = Wanted.A) -> CompareModel:
    a = bytearray(range(256)) * 4
    b = bytearray(a)
    b[0x10] = 0xFF  # blank
    b[0x20] = a[0x20] | 0x01 if a[0x20] & 1 == 0 else a[0x20] & 0xFE
    b[0x300] ^= 0x80
    m = CompareModel(Image.from_bytes(bytes(a)), Image.from_bytes(bytes(b)), wanted=wanted)
    m.set_report(compare(m.a, m.b, wanted=wanted))
    return m


def test_rows_and_cells() -> None:
    m = model()
    assert m.rows == 64 and m.size == 1024 and m.address_digits == 6
    row = m.row(1)
    assert [c.address for c in row] == list(range(16, 32))
    assert row[0].cls is DiffClass.BLANK and row[1].cls is None
    assert m.cell(0x20).cls in (DiffClass.PROGRAMMABLE, DiffClass.NEEDS_ERASE)
    m.width = 8
    assert m.rows == 128 and m.row_of(0x20) == 4 and m.row_address(4) == 0x20


def test_navigation() -> None:
    m = model()
    assert m.next_diff(0) == 0x10
    assert m.next_diff(0x10) == 0x20
    assert m.next_diff(0x300) is None
    assert m.prev_diff(0x300) == 0x20
    assert m.prev_diff(0x10) is None
    assert m.diff_index(0x20) == 1 and m.diff_index(0x21) is None
    assert m.clamp(-5) == 0 and m.clamp(99999) == 1023


def test_holes_and_only_one_side() -> None:
    a = Image()
    a.add(0x100, b"\x01\x02")
    a.add(0x108, b"\x03")
    b = Image.from_bytes(b"\x01\x02\x00", base=0x100)
    m = CompareModel(a, b, wanted=Wanted.NONE)
    assert m.start == 0x100 and m.stop == 0x109
    cells = m.row(0)
    assert cells[0].cls is None and cells[2].a is None and cells[2].cls is DiffClass.ONLY_B
    assert cells[3].a is None and cells[3].b is None and cells[3].cls is None
    assert cells[8].cls is DiffClass.ONLY_A


def test_density_sweeps_ranges() -> None:
    m = model()
    dens = m.density(4)
    assert len(dens) == 4
    assert dens[0][0] > 0 and dens[1][0] == 0 and dens[2][0] == 0 and dens[3][0] > 0
    assert dens[3][1] is not None
    assert m.density(0) == []
    full = CompareModel(Image.from_bytes(bytes(64)), Image.from_bytes(b"\x01" * 64))
    full.set_report(compare(full.a, full.b))
    assert full.density(8) == [(1.0, DiffClass.DIFFERENT)] * 8
