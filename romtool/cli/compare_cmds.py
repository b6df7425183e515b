"""``romtool compare`` and ``romtool stability``: what differs between dumps, and what it means.

Both are thin: they load files into :class:`~romtool.image.Image` s, call
:mod:`romtool.analysis`, and print text or JSON. Exit statuses follow ``cmp``: 0 same,
1 different (or unstable), 2 bad input.
"""

from __future__ import annotations

from typing import Any

import click

from romtool.analysis import CompareReport, Wanted
from romtool.analysis import compare as compare_images
from romtool.analysis import stability as compare_reads
from romtool.analysis.classify import DiffClass
from romtool.cli.common import emit_json, force_option, json_option, use_color
from romtool.errors import UsageError
from romtool.fileio import check_writable, write_atomic
from romtool.image.formats import load_image
from romtool.image.model import Image
from romtool.units import format_size

EXIT_SAME = 0
EXIT_DIFFERENT = 1

DEFAULT_MAX_RANGES = 20
"""Differing ranges listed in text output unless ``--max`` says otherwise."""

SHOW_BYTES = 8
"""Bytes of each side printed next to a differing range."""

CLASS_STYLE = {
    DiffClass.DIFFERENT: "yellow",
    DiffClass.PROGRAMMABLE: "yellow",
    DiffClass.NEEDS_ERASE: "red",
    DiffClass.BLANK: "blue",
    DiffClass.ONLY_A: "magenta",
    DiffClass.ONLY_B: "magenta",
}


def _wanted(value: str | None, a: str, b: str) -> Wanted:
    if value is None:
        return Wanted.NONE
    if value.lower() in ("a", "b"):
        return Wanted(value.lower())
    if value == a:
        return Wanted.A
    if value == b:
        return Wanted.B
    raise UsageError(
        f"bad --wanted {value!r}: expected a, b, or one of the two file names",
        expected=f"a, b, {a} or {b}",
        actual=value,
    )


def _style(text: str, color: str | None, on: bool) -> str:
    return click.style(text, fg=color) if on and color else text


def _hexbytes(image: Image, start: int, stop: int) -> str:
    # Only called for ranges where both sides hold data, so the fill byte never shows.
    return image.read(start, min(stop - start, SHOW_BYTES), fill=0xFF).hex(" ").upper()


def _print_report(rep: CompareReport, max_ranges: int) -> None:
    color = use_color()
    width = max(len(rep.a.name), len(rep.b.name))
    for label, side in (("A", rep.a), ("B", rep.b)):
        dg = side.digests
        span = side.image.span
        where = f" at 0x{span.start:X}" if span and span.start else ""
        click.echo(
            f"{label}: {side.name:<{width}}  {format_size(len(side.image))}{where}  "
            f"crc32 {dg.crc32:08x}  sum8 0x{dg.sum8:02X}  md5 {dg.md5}"
        )
        for line in side.roms.lines():
            click.echo(f"   option ROM at {line}")
    if rep.same:
        click.echo(_style("same", "green", color))
        return
    wanted = {Wanted.A: " (A is the wanted image)", Wanted.B: " (B is the wanted image)"}
    click.echo(
        _style("different", "red", color) + f": {rep.headline()}" + wanted.get(rep.wanted, "")
    )
    listed = rep.ranges if max_ranges == 0 else rep.ranges[:max_ranges]
    for c in listed:
        r = c.range
        cls = _style(f"{c.cls!s:<12}", CLASS_STYLE.get(c.cls), color)
        line = f"  0x{r.start:06X}-0x{r.stop - 1:06X} {len(r):>8} B  {cls}"
        if c.cls not in (DiffClass.ONLY_A, DiffClass.ONLY_B):
            more = "..." if len(r) > SHOW_BYTES else ""
            line += (
                f"  A {_hexbytes(rep.a.image, r.start, r.stop)}{more}"
                f"  B {_hexbytes(rep.b.image, r.start, r.stop)}{more}"
            )
        click.echo(line.rstrip())
    if len(listed) < len(rep.ranges):
        click.echo(f"  ... and {len(rep.ranges) - len(listed)} more (--max 0 lists all)")
    if rep.classification is not None and rep.classification.findings:
        click.echo("findings:")
        for f in rep.classification.findings:
            click.echo(f"  - {f.message}")


@click.command("compare")
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option(
    "--wanted",
    "-w",
    metavar="a|b|FILE",
    help="The side that should be in the chip; the other is the dump. Classifies each "
    "difference (programmable, needs erase, blank) and looks for causes.",
)
@click.option(
    "--max",
    "max_ranges",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_RANGES,
    show_default=True,
    help="List at most this many differing ranges (0: all).",
)
@click.option("--quiet", "-s", is_flag=True, help="Print nothing; only the exit status.")
@json_option
def compare(a: str, b: str, wanted: str | None, max_ranges: int, quiet: bool, as_json: bool) -> int:
    """Compare two images or dumps A and B (raw, Intel HEX or S-records).

    Exit status 0 when they hold the same bytes at the same addresses, 1 when they differ,
    2 on bad input (like cmp).

    \b
    Examples:
      romtool compare image.rom dump.bin
      romtool compare --wanted a image.rom dump.bin
      romtool compare --json a.hex b.bin
    """
    side = _wanted(wanted, a, b)
    img_a, img_b = load_image(a), load_image(b)
    rep = compare_images(img_a, img_b, wanted=side, name_a=a, name_b=b)
    if as_json:
        emit_json(rep.as_dict(max_ranges=None if max_ranges == 0 else max_ranges))
    elif not quiet:
        _print_report(rep, max_ranges)
    return EXIT_SAME if rep.same else EXIT_DIFFERENT


@click.command("stability")
@click.argument("dumps", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--consensus",
    "-o",
    "consensus",
    type=click.Path(dir_okay=False),
    help="Write the per-bit majority of all reads to this file (best guess of the contents).",
)
@click.option(
    "--max",
    "max_ranges",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_RANGES,
    show_default=True,
    help="List at most this many unstable bytes (0: all that were sampled).",
)
@force_option
@json_option
def stability(
    dumps: tuple[str, ...], consensus: str | None, max_ranges: int, force: bool, as_json: bool
) -> int:
    """Compare several reads of the same chip and show the bits that flip.

    Exit status 0 when every read is identical, 1 when some bits flip, 2 on bad input.

    \b
    Examples:
      romtool read -p sim:27C256 -c 27C256 r1.bin   (three times: r1, r2, r3)
      romtool stability r1.bin r2.bin r3.bin
      romtool stability r*.bin --consensus best.bin
    """
    if len(dumps) < 2:
        raise UsageError("stability needs at least two reads", expected=2, actual=len(dumps))
    if consensus is not None:
        check_writable(consensus, force=force)
    reads = [load_image(p).to_bytes(fill=0xFF) for p in dumps]
    st = compare_reads(reads)
    if consensus is not None:
        write_atomic(consensus, st.consensus, force=force)
    if as_json:
        data: dict[str, Any] = st.as_dict(max_ranges=None if max_ranges == 0 else max_ranges)
        data["files"] = list(dumps)
        emit_json(data)
        return EXIT_SAME if st.stable else EXIT_DIFFERENT
    color = use_color()
    if len(set(st.sizes)) > 1:
        sizes = ", ".join(f"{p}: {n}" for p, n in zip(dumps, st.sizes, strict=True))
        click.echo(f"sizes differ ({sizes}); compared the first {st.size} bytes")
    if not st.unstable:
        click.echo(_style("stable", "green", color) + f": {st.reads} reads of {st.size} bytes")
        return EXIT_SAME if st.stable else EXIT_DIFFERENT
    click.echo(
        _style("unstable", "red", color)
        + f": {st.unstable_bytes} bytes in {len(st.unstable)} ranges, {st.unstable_bits} bits "
        f"flip over {st.reads} reads"
    )
    flips = "  ".join(f"D{bit}:{n}" for bit, n in enumerate(st.bit_flips) if n)
    click.echo(f"bits that flip (unstable bytes per data bit): {flips}")
    busy = [bit for bit, n in enumerate(st.bit_flips) if n]
    if len(busy) == 1 and st.unstable_bytes > 1:
        click.echo(
            f"only D{busy[0]} flips: suspect data line D{busy[0]} (pin, socket contact) "
            "rather than weak cells"
        )
    samples = st.samples if max_ranges == 0 else st.samples[:max_ranges]
    for s in samples:
        values = " ".join(f"{v:02X}" for v in s.values)
        click.echo(
            f"  0x{s.address:06X}  reads {values}  flips {s.flips:08b}  majority {s.majority:02X}"
        )
    if st.unstable_bytes > len(samples):
        click.echo(f"  ... and {st.unstable_bytes - len(samples)} more unstable bytes")
    if consensus is not None:
        click.echo(f"wrote the per-bit majority to {consensus}")
    return EXIT_DIFFERENT
