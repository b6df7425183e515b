"""``info``, ``checksum``, ``convert`` and ``scan``: look at and fix option-ROM files.

Thin wrappers: the work is in :mod:`romtool.optionrom` (codecs, lint, verdicts, scan) and
:mod:`romtool.image.formats`; this module reads options, calls them and prints. Exit status:
0 all good, 1 a lint error / bad checksum / nothing found, 2 unreadable input or bad usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from romtool.cli.common import emit_json, force_option, json_option
from romtool.errors import EXIT_MISMATCH, ImageError, InputError, RomFormatError, UsageError
from romtool.fileio import check_writable, read_input
from romtool.image.formats import (
    Format,
    detect_format,
    format_from_name,
    load_image,
    parse_format,
    parse_image,
    save_image,
)
from romtool.image.formats.raw import render_raw
from romtool.image.model import Image
from romtool.optionrom.fix import fix_all
from romtool.optionrom.report import RomReport, inspect_rom
from romtool.optionrom.rom import Family, walk_chain
from romtool.optionrom.scan import STEPS, scan_roms
from romtool.units import (
    format_pci_id,
    format_size,
    parse_address,
    parse_byte,
    parse_pci_id,
    parse_size,
)

FORMAT_LABEL = {Format.RAW: "raw binary", Format.IHEX: "Intel HEX", Format.SREC: "S-records"}
CODE_TYPES = {0: "x86", 1: "Open Firmware", 2: "PA-RISC", 3: "EFI"}
FAMILY_CHOICES = ("etherboot", "ipxe", "generic", "efi")


def _load_rom(path: str) -> tuple[bytes, int, Format]:
    """The file's bytes from its lowest address, that address (0 for raw) and the format.

    Raises:
        InputError / FormatError: unreadable or unparsable.
        InputError: a HEX/S-record file without data.
    """
    data = read_input(path)
    fmt = detect_format(path, data)
    img = parse_image(data, fmt, path=path)
    if not img:
        raise InputError("no data in the file", path=path)
    return img.to_bytes(fill=0xFF), img.start, fmt


def _with_path(exc: RomFormatError, path: str) -> RomFormatError:
    if exc.path is None:
        exc.path = path
    return exc


# --- info ---------------------------------------------------------------------------------


def _hx(value: int | None) -> str:
    return "-" if value is None else f"0x{value:X}"


def _ok(flag: bool) -> str:
    return "ok" if flag else "BAD"


def _image_lines(im: dict[str, Any]) -> list[str]:
    out = [f"image {im['index'] + 1} at 0x{im['offset']:X}: {im['family']} ({im['family_reason']})"]

    def row(label: str, text: str) -> None:
        out.append(f"  {label:<10}{text}")

    if im["efi"] is None:
        row("size", f"{im['size_byte']} blocks = {format_size(im['size'])}")
    else:
        row("size", f"InitializationSize {format_size(im['size'])}")
    if im["length"] != im["size"]:
        row("length", f"{format_size(im['length'])} in the chain (PCIR image length)")
    ck = im["checksum"]
    if ck["sum"] is None:
        row("checksum", "cannot be checked (image incomplete or size 0)")
    else:
        where = ""
        if ck["byte_offset"] is not None:
            where = f", byte 0x{ck['byte_offset']:02X} = 0x{ck['byte']:02X}"
            if not im["checksum_ok"]:
                where += f", should be 0x{ck['expected_byte']:02X}"
        row("checksum", f"{_ok(im['checksum_ok'])} (sum 0x{ck['sum']:02X}{where})")
    if im["init"] is not None:
        target = im["init"]["target"]
        row("init", im["init"]["kind"] + ("" if target is None else f" -> 0x{target:X}"))
    pci = im["pci"]
    if pci is not None:
        code = CODE_TYPES.get(pci["code_type"], str(pci["code_type"]))
        row(
            "PCIR",
            f"at 0x{pci['offset']:X} rev {pci['revision']}: {pci['vendor']}:{pci['device']}"
            f" class {pci['class']}, code type {pci['code_type']} ({code}),"
            f" {'last image' if pci['last'] else 'more images follow'}",
        )
        extra = f"image length {pci['image_blocks']} blocks"
        if pci["runtime_length"] is not None:
            extra += f", runtime {format_size(pci['runtime_length'])}"
        if pci["device_list"]:
            extra += f", device list {' '.join(pci['device_list'])}"
        if pci["config_ptr"] or pci["clp_ptr"]:
            extra += f", config 0x{pci['config_ptr']:X}, CLP 0x{pci['clp_ptr']:X}"
        row("", extra)
    pnp = im["pnp"]
    if pnp is not None:
        row(
            "$PnP",
            f"at 0x{pnp['offset']:X}: manufacturer {pnp['manufacturer']!r},"
            f" product {pnp['product']!r}, checksum {_ok(pnp['checksum_ok'])}",
        )
        names = ", ".join(pnp["indicator_names"]) or "none"
        row(
            "",
            f"BEV {_hx(pnp['bev'])}, BCV {_hx(pnp['bcv'])}, DV {_hx(pnp['dv'])},"
            f" device type {pnp['device_type']}, indicators 0x{pnp['indicators']:02X} ({names})",
        )
    undi = im["undi"]
    if undi is not None:
        row(
            "UNDI",
            f"at 0x{undi['offset']:X}: version {undi['version']}, bus {undi['bus_type']},"
            f" loader 0x{undi['loader_entry']:X}, checksum {_ok(undi['checksum_ok'])}",
        )
    ipxe = im["ipxe"]
    if ipxe is not None:
        row(
            "iPXE",
            f"at 0x{ipxe['offset']:X}: build {ipxe['build_id']}, shrinks to"
            f" {format_size(ipxe['shrunk_length'])}, checksum {_ok(ipxe['checksum_ok'])}",
        )
    efi = im["efi"]
    if efi is not None:
        row(
            "EFI",
            f"{efi['machine_name']} {efi['subsystem_name']},"
            f" {'compressed' if efi['compressed'] else 'uncompressed'},"
            f" PE image at 0x{efi['image_offset']:X}",
        )
    if im["ident"]:
        row("ident", repr(im["ident"]))
    return out


def _info_text(path: str, report: RomReport) -> None:
    data = report.as_dict()
    n = len(data["images"])
    click.echo(f"{path}: {format_size(data['file_size'])}, {n} image{'s' if n != 1 else ''}")
    for im in data["images"]:
        for line in _image_lines(im):
            click.echo(line)
    for sev, key in (("error", "errors"), ("warning", "warnings"), ("note", "notes")):
        for msg in data[key]:
            click.echo(f"{sev}: {msg}")
    sea = data["bios"]["seabios"]
    if sea is not None:
        verdict = "runs it" if sea["accepted"] else "does not run it"
        click.echo(f"SeaBIOS on {sea['pci']}: {verdict} ({sea['reason']})")
    else:
        click.echo("SeaBIOS: no PCIR, so not from a PCI ROM BAR (and it does not scan ISA space)")
    isa = data["bios"]["isa"]
    click.echo(f"ISA BIOS scan: {'accepts' if isa['accepted'] else 'skips'} it ({isa['reason']})")


@click.command()
@click.argument("file", type=click.Path(dir_okay=True))
@json_option
@click.option("--pci", "pci_id", metavar="V:D", help="Judge SeaBIOS for this PCI vendor:device.")
def info(file: str, as_json: bool, pci_id: str | None) -> int:
    """Show every option-ROM image in FILE with its headers, lint and BIOS verdict.

    Exit status 0 when every image is valid, 1 when lint finds an error, 2 when the file
    cannot be read as an option ROM.
    """
    pci = parse_pci_id(pci_id) if pci_id else None
    buf, origin, _fmt = _load_rom(file)
    try:
        report = inspect_rom(buf, pci=pci)
    except RomFormatError as exc:
        raise _with_path(exc, file) from None
    report.extra = {"file": file, "origin": origin}
    if as_json:
        emit_json(report.as_dict())
    else:
        _info_text(file, report)
    return 0 if report.ok else EXIT_MISMATCH


# --- checksum -----------------------------------------------------------------------------


def _checksum_lines(buf: bytes) -> tuple[list[str], bool]:
    lines: list[str] = []
    all_ok = True
    for img in walk_chain(buf):
        fam = img.detect_family().family.value
        parts: list[str] = []
        if img.checksum_covered():
            total = img.checksum_sum()
            all_ok &= total == 0
            parts.append(f"ROM {_ok(total == 0)} (sum 0x{total:02X})")
        else:
            all_ok = False
            parts.append("ROM cannot be checked (size 0)")
        for name, view in (("PnP", img.pnp), ("UNDI", img.undi), ("iPXE", img.ipxe)):
            if view is not None:
                good = view.checksum_ok()
                all_ok &= good
                parts.append(f"{name} {_ok(good)}")
        lines.append(f"image {img.index + 1} at 0x{img.offset:X} ({fam}): " + ", ".join(parts))
    return lines, all_ok


@click.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--fix", is_flag=True, help="Repair PnP/UNDI/iPXE checksums, then the ROM's.")
@click.option("-o", "--output", metavar="OUT", help="Write the fixed ROM here (needs --fix).")
@click.option(
    "--family",
    type=click.Choice(FAMILY_CHOICES, case_sensitive=False),
    help="Where the checksum byte is: etherboot 5, ipxe 6, generic last, efi 0x34.",
)
@force_option
def checksum(file: str, fix: bool, output: str | None, family: str | None, force: bool) -> int:
    """Check the checksums of every image in FILE, or fix them with --fix.

    Without -o, --fix rewrites FILE in place. Exit status 0 when all checksums are right
    (or were fixed), 1 when one is wrong, 2 for unreadable input.
    """
    if output is not None and not fix:
        raise UsageError("-o/--output writes a fixed copy: give --fix as well")
    if output is not None:
        check_writable(output, force=force)
    buf, origin, src_fmt = _load_rom(file)
    try:
        if not fix:
            lines, ok = _checksum_lines(buf)
            for line in lines:
                click.echo(line)
            return 0 if ok else EXIT_MISMATCH
        fixed = bytearray(buf)
        fixes = fix_all(fixed, Family(family.lower()) if family else None)
    except RomFormatError as exc:
        raise _with_path(exc, file) from None
    target = output or file
    if output is None:
        force = True  # --fix without -o is the explicit in-place request
    dst_fmt = None if output is not None else src_fmt
    save_image(target, Image.from_bytes(bytes(fixed), origin), fmt=dst_fmt, force=force)
    for f in fixes:
        state = f"0x{f.old:02X} -> 0x{f.new:02X}" if f.changed else f"0x{f.new:02X} (was right)"
        click.echo(f"image {f.image + 1}: {f.what} checksum byte at 0x{f.address:X}: {state}")
    changed = sum(f.changed for f in fixes)
    click.echo(f"wrote {target} ({changed} byte{'s' if changed != 1 else ''} changed)")
    return 0


# --- convert ------------------------------------------------------------------------------


@click.command()
@click.argument("src", metavar="IN", type=click.Path(dir_okay=True))
@click.argument("dst", metavar="OUT", type=click.Path(dir_okay=True))
@click.option("--from", "from_fmt", metavar="F", help="Input format: raw, ihex, srec.")
@click.option("--to", "to_fmt", metavar="F", help="Output format: raw, ihex, srec.")
@click.option("--base", metavar="ADDR", help="Address of a raw file's first byte (default 0).")
@click.option("--fill", metavar="BYTE", help="Byte for holes and padding (default 0xFF).")
@click.option("--size", metavar="N", help="Output covers exactly N bytes from the base.")
@force_option
def convert(
    src: str,
    dst: str,
    from_fmt: str | None,
    to_fmt: str | None,
    base: str | None,
    fill: str | None,
    size: str | None,
    force: bool,
) -> int:
    """Convert IN to OUT between raw binary, Intel HEX and S-records.

    Formats come from --from/--to, else from the extensions (.bin .rom .img, .hex .ihx,
    .s19 .s28 .s37 .srec .mot), else (input only) from the content. HEX and S-record output
    keep holes unless --fill or --size ask for them to be filled.
    """
    in_fmt = parse_format(from_fmt) if from_fmt else None
    out_fmt = parse_format(to_fmt) if to_fmt else None
    base_addr = parse_address(base, what="base address") if base is not None else 0
    fill_byte = parse_byte(fill, what="fill byte") if fill is not None else 0xFF
    n = parse_size(size) if size is not None else None
    if Path(src).resolve() == Path(dst).resolve():
        raise UsageError("IN and OUT are the same file", path=dst)
    check_writable(dst, force=force)
    image = load_image(src, in_fmt, base=base_addr)
    if not image:
        raise InputError("no data in the file", path=src)
    target_fmt = out_fmt or format_from_name(dst)
    if target_fmt is not None and target_fmt is not Format.RAW:
        if n is not None:
            try:
                filled = render_raw(image, fill=fill_byte, base=base_addr, size=n)
            except ImageError as exc:
                exc.path = dst
                raise
            image = Image.from_bytes(filled, base_addr)
        elif fill is not None:
            image = Image.from_bytes(image.to_bytes(fill=fill_byte), image.start)
    written = save_image(dst, image, out_fmt, fill=fill_byte, force=force, base=base_addr, size=n)
    span = image.span
    assert span is not None
    padded = f", padded to {format_size(n)}" if n is not None and written is Format.RAW else ""
    click.echo(
        f"wrote {dst} ({FORMAT_LABEL[written]}, 0x{span.start:X}-0x{span.stop - 1:X},"
        f" {format_size(len(image))} of data{padded})"
    )
    return 0


# --- scan ---------------------------------------------------------------------------------


@click.command()
@click.argument("dump", type=click.Path(dir_okay=True), required=False)
@json_option
@click.option(
    "--step",
    type=click.Choice([str(s) for s in STEPS]),
    default="2048",
    show_default=True,
    help="Scan granularity: 2048 like a BIOS, 512 like iPXE's UNDI loader.",
)
@click.option(
    "--memory",
    is_flag=True,
    help="Scan the live ISA ROM area C0000-EFFFF (read-only, needs root) instead of DUMP.",
)
@click.option(
    "--mem-device",
    default="/dev/mem",
    show_default=True,
    metavar="PATH",
    help="With --memory: a file standing for physical memory from address 0.",
)
def scan(dump: str | None, as_json: bool, step: str, memory: bool, mem_device: str) -> int:
    """Find every option ROM inside DUMP (a chip dump or a memory image).

    Lists offset, size, checksum, PCI ids, PnP strings and ident strings, and warns about
    repeated images (a mirrored chip), bad checksums and misaligned images. Exit status 0
    when ROMs were found and all are valid, 1 when none were found or one is invalid.
    With --memory, scans the option ROMs the BIOS mapped at C0000-EFFFF right now.
    """
    if memory:
        if dump is not None:
            raise UsageError("give either DUMP or --memory, not both")
        from romtool.programmers.flashcard.memscan import scan_memory

        snap, result = scan_memory(mem_device, step=int(step))
        buf, origin, dump = snap.data, snap.base, f"{mem_device} {snap.range}"
    else:
        if dump is None:
            raise UsageError("missing DUMP", hint="give a dump file, or --memory")
        buf, origin, _fmt = _load_rom(dump)
        result = scan_roms(buf, step=int(step), base=origin)
    if as_json:
        emit_json({"file": dump, **result.as_dict()})
        return 0 if result.ok else EXIT_MISMATCH
    click.echo(f"{dump}: {format_size(len(buf))}, scanned in {step}-byte steps")
    if not result.hits:
        click.echo("no option ROM found")
    else:
        click.echo(f"{'address':<10} {'size':>7}  {'checksum':<8} {'ids':<9}  {'family':<9} what")
        for h in result.hits:
            ids = "-"
            if h.vendor is not None and h.device is not None:
                ids = format_pci_id(h.vendor, h.device)
            what = " / ".join(x for x in (h.product, h.manufacturer, h.ident) if x) or ""
            if h.chained:
                what = ("(chained) " + what).strip()
            if h.repeat_of is not None:
                what = (f"repeat of 0x{origin + h.repeat_of:X} " + what).strip()
            ck = "ok" if h.checksum_ok else ("short" if not h.complete else "BAD")
            click.echo(
                f"0x{h.address:<8X} {h.size:>7}  {ck:<8} {ids:<9}  {h.family:<9} {what}".rstrip()
            )
    for w in result.warnings:
        click.echo(f"warning: {w}")
    return 0 if result.ok else EXIT_MISMATCH
