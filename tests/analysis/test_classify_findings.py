"""Classification of wanted-vs-dump differences and whole-dump findings."""

from __future__ import annotations

import random

from romtool.analysis import DiffClass, FindingKind, Wanted, byte_class, compare
from romtool.image.model import Image
from romtool.ranges import Range


def rom(size: int = 8192, seed: int = 1) -> bytes:
    """Varied content with no 0xFF tail (so placement probes see all of it)."""
    data = bytearray(random.Random(seed).randbytes(size))
    data[-1] = 0x12
    return bytes(data)


def kinds(report: object) -> list[FindingKind]:
    cl = report.classification  # type: ignore[attr-defined]
    assert cl is not None
    return [f.kind for f in cl.findings]


def test_byte_class() -> None:
    assert byte_class(0x12, 0x12) is None
    assert byte_class(0x00, 0xFF) is DiffClass.BLANK
    assert byte_class(0x10, 0x30) is DiffClass.PROGRAMMABLE
    assert byte_class(0x30, 0x10) is DiffClass.NEEDS_ERASE


def test_programmable_and_needs_erase_ranges() -> None:
    want = bytearray(rom())
    dump = bytearray(want)
    want[10] = 0x10
    dump[10] = 0x30  # chip 1 where 0 is wanted: program again
    want[20] = 0x30
    dump[20] = 0x10  # chip 0 where 1 is wanted: erase
    rep = compare(Image.from_bytes(bytes(want)), Image.from_bytes(bytes(dump)), wanted=Wanted.A)
    assert [(c.range, c.cls) for c in rep.ranges] == [
        (Range(10, 11), DiffClass.PROGRAMMABLE),
        (Range(20, 21), DiffClass.NEEDS_ERASE),
    ]
    assert rep.ranges[0].to_program == 1 and rep.ranges[1].to_erase == 1
    cl = rep.classification
    assert cl is not None
    assert cl.bit_program[5] == 1 and cl.bit_erase[5] == 1
    assert FindingKind.NEEDS_ERASE in kinds(rep) and FindingKind.PROGRAMMABLE in kinds(rep)


def test_wanted_b_swaps_roles() -> None:
    want = bytearray(rom())
    dump = bytearray(want)
    want[10], dump[10] = 0x10, 0x30
    rep = compare(Image.from_bytes(bytes(dump)), Image.from_bytes(bytes(want)), wanted=Wanted.B)
    assert rep.ranges[0].cls is DiffClass.PROGRAMMABLE


def test_blank_dump_and_write_that_stopped() -> None:
    want = rom()
    blank = compare(Image.from_bytes(want), Image.from_bytes(b"\xff" * 8192), wanted=Wanted.A)
    assert kinds(blank) == [FindingKind.DUMP_BLANK]
    zero = compare(Image.from_bytes(want), Image.from_bytes(bytes(8192)), wanted=Wanted.A)
    assert kinds(zero) == [FindingKind.DUMP_CONSTANT]
    stopped = want[:5000] + b"\xff" * 3192
    rep = compare(Image.from_bytes(want), Image.from_bytes(stopped), wanted=Wanted.A)
    assert rep.ranges[-1].cls is DiffClass.BLANK
    found = [f for f in rep.classification.findings if f.kind is FindingKind.NOT_WRITTEN]  # type: ignore[union-attr]
    assert found and "from 0x1388 to its end" in found[0].message and found[0].address == 5000


def test_image_elsewhere_and_repeated() -> None:
    want = rom(8192)
    dump = b"\xff" * 0x6000 + want  # 8 KiB image at the top of a 32 KiB chip
    rep = compare(Image.from_bytes(want), Image.from_bytes(dump), wanted=Wanted.A)
    assert FindingKind.SIZES_DIFFER in kinds(rep)
    found = [f for f in rep.classification.findings if f.kind is FindingKind.IMAGE_ELSEWHERE]  # type: ignore[union-attr]
    assert found and found[0].address == 0x6000
    rep2 = compare(Image.from_bytes(want), Image.from_bytes(want * 4), wanted=Wanted.A)
    assert FindingKind.IMAGE_REPEATED in kinds(rep2)


def test_partial_image() -> None:
    want = rom(16384)
    rep = compare(Image.from_bytes(want), Image.from_bytes(want[8192:]), wanted=Wanted.A)
    found = [f for f in rep.classification.findings if f.kind is FindingKind.PARTIAL_IMAGE]  # type: ignore[union-attr]
    assert found and "last" in found[0].message and found[0].address == 8192


def stuck_address(data: bytes, line: int, high: bool) -> bytes:
    bit = 1 << line
    return bytes(data[(x | bit) if high else (x & ~bit)] for x in range(len(data)))


def test_address_line_stuck() -> None:
    want = rom(4096 * 2)
    for line, high in ((0, False), (3, True), (9, False), (12, True)):
        rep = compare(
            Image.from_bytes(want),
            Image.from_bytes(stuck_address(want, line, high)),
            wanted=Wanted.A,
        )
        lines = [
            f.value
            for f in rep.classification.findings  # type: ignore[union-attr]
            if f.kind is FindingKind.ADDRESS_LINE
        ]
        assert lines == [line], (line, high)


def test_data_bit_stuck() -> None:
    want = rom()
    dump = bytes(b | 0x08 for b in want)
    rep = compare(Image.from_bytes(want), Image.from_bytes(dump), wanted=Wanted.A)
    found = [f for f in rep.classification.findings if f.kind is FindingKind.DATA_BIT_STUCK]  # type: ignore[union-attr]
    assert found and found[0].value == 3 and "stuck at 1" in found[0].message
    assert FindingKind.SCATTERED_BITS not in kinds(rep)


def test_scattered_single_bit_errors() -> None:
    want = rom()
    dump = bytearray(want)
    rnd = random.Random(5)
    for pos in rnd.sample(range(len(want)), 30):
        dump[pos] ^= 1 << rnd.randrange(8)
    rep = compare(Image.from_bytes(want), Image.from_bytes(bytes(dump)), wanted=Wanted.A)
    assert FindingKind.SCATTERED_BITS in kinds(rep)


def test_plain_compare_and_json() -> None:
    a = Image.from_bytes(b"\x55\xaa\x01" + bytes(509))
    b = Image.from_bytes(b"\x55\xaa\x01" + bytes(508) + b"\x01" + b"more")
    rep = compare(a, b, name_a="a.rom", name_b="b.rom")
    assert not rep.same and rep.classification is None
    assert [c.cls for c in rep.ranges] == [DiffClass.DIFFERENT, DiffClass.ONLY_B]
    data = rep.as_dict(max_ranges=1)
    assert data["ranges_total"] == 2 and len(data["ranges"]) == 1  # type: ignore[arg-type]
    assert data["a"]["name"] == "a.rom"  # type: ignore[index]
    roms = data["a"]["roms"]["images"]  # type: ignore[index]
    assert (
        roms[0]["address"] == 0 and roms[0]["size"] == 512 and roms[0]["checksum_ok"] is True
    )  # 55+AA+01 = 0x100
    same = compare(a, a.copy())
    assert same.same and same.ranges == ()


def test_other_data() -> None:
    want = rom(8192, seed=1)
    other = rom(8192, seed=2)
    rep = compare(Image.from_bytes(want), Image.from_bytes(other), wanted=Wanted.A)
    assert kinds(rep)[0] is FindingKind.OTHER_DATA
    cl = rep.classification
    assert cl is not None
    assert sum(cl.bit_program) + sum(cl.bit_erase) == rep.diff.bits_differ
