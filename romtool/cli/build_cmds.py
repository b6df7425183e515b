"""``romtool build``, ``romtool cat`` and ``romtool drivers``: thin wrappers over
:mod:`romtool.optionrom.build`, :mod:`romtool.optionrom.cat` and the NIC catalog."""

from __future__ import annotations

import os
from pathlib import Path

import click

from romtool.chips import get_chip
from romtool.cli.common import emit_json, force_option, json_option
from romtool.errors import UsageError
from romtool.fileio import check_writable
from romtool.image.formats import Format, format_from_name, save_image
from romtool.image.model import Image
from romtool.optionrom import catalog
from romtool.optionrom.build import (
    ENV_PATH,
    BuildOptions,
    BuildResult,
    Mode,
    build_rom,
    build_selftest_rom,
    find_driver_binary,
    read_rom_file,
)
from romtool.optionrom.cat import cat_images
from romtool.optionrom.placement import Place
from romtool.optionrom.selftest import SelftestFlag
from romtool.units import format_pci_id, format_size, parse_pci_id, parse_size

FILE_SUFFIXES = (
    ".rom", ".zrom", ".lzrom", ".bin", ".hex", ".s19", ".srec", ".mrom", ".efirom", ".zdsk",
    ".dsk",
)  # fmt: skip
"""A DRIVER argument ending like this is taken as a file name, not a catalog name."""


def _warn(text: str) -> None:
    click.echo(f"romtool: warning: {text}", err=True)


def _save(out: str, data: bytes, force: bool) -> Format:
    fmt = format_from_name(out) or Format.RAW
    return save_image(out, Image.from_bytes(data), fmt, force=force)


def _looks_like_file(target: str) -> bool:
    return (
        os.sep in target
        or target.lower().endswith(FILE_SUFFIXES)
        or (Path(target).is_file() and catalog.find_driver(target) is None)
    )


def _chip_size(chip: str | None, fill_to: str | None) -> tuple[int | None, str | None]:
    if chip and fill_to:
        raise UsageError("give --chip or --fill-to, not both")
    if chip:
        spec = get_chip(chip)
        return spec.size, spec.name
    if fill_to:
        return parse_size(fill_to, what="--fill-to size"), None
    return None, None


@click.command("build")
@click.argument("target", required=False, metavar="DRIVER|FILE")
@click.option(
    "-o", "--output", "out", metavar="OUT", help="Output file (.bin/.rom raw, .hex, .s19)."
)
@click.option("--from", "from_file", metavar="FILE", help="The driver binary to finalise.")
@click.option("--pci", metavar="V:D", help="PCI vendor:device to write into the PCIR.")
@click.option("--ident", metavar="TEXT", help="Etherboot ident (PnP product name) near the end.")
@click.option("--size", metavar="SIZE", help="ROM size (8K, 0x4000, 16384).")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.AUTO.value,
    show_default=True,
    help="Finalise like Etherboot's makerom (checksum at 5) or iPXE's fixrom (at 6).",
)
@click.option("--3c503", "three_c503", is_flag=True, help="makerom -3: 80 80 at the end of 8 KiB.")
@click.option("--checksum/--no-checksum", default=True, show_default=True, help="Fix checksums.")
@click.option("--chip", metavar="CHIP", help="Pad to this chip's size (e.g. 27C256).")
@click.option("--fill-to", metavar="SIZE", help="Pad the output to SIZE bytes with 0xFF.")
@click.option(
    "--place",
    type=click.Choice([p.value for p in Place]),
    default=Place.LOW.value,
    show_default=True,
    help="Where the image goes in a larger chip.",
)
@click.option(
    "--payload", type=click.Choice(["selftest"]), help="Build romtool's self-test ROM instead."
)
@click.option(
    "--bev-pause",
    type=click.IntRange(0, 14),
    default=10,
    show_default=True,
    help="Self-test: seconds its boot entry waits for a key.",
)
@click.option(
    "--qemu-exit",
    type=click.Choice(["init", "bev"]),
    help="Self-test under QEMU only: log to debugcon 0x402, exit via isa-debug-exit 0xF4.",
)
@json_option
@force_option
def build(
    target: str | None,
    out: str | None,
    from_file: str | None,
    pci: str | None,
    ident: str | None,
    size: str | None,
    mode: str,
    three_c503: bool,
    checksum: bool,
    chip: str | None,
    fill_to: str | None,
    place: str,
    payload: str | None,
    bev_pause: int,
    qemu_exit: str | None,
    as_json: bool,
    force: bool,
) -> None:
    """Build a burnable option ROM for a NIC from a driver binary, a ROM file or the self-test.

    DRIVER is a name from `romtool drivers`; its binary is looked up in --from, ROMTOOL_PATH,
    the current directory, ./bin and Debian's iPXE directories. FILE is any ROM to finalise.

    \b
    Examples:
      romtool build rtl8139 --from rtl8139.zrom --ident "rtl8139 boot" -o rtl.rom
      romtool build e1000 --pci 8086:100f --chip 27C010 -o e1000.bin
      romtool build 3c509 --payload selftest --chip 27C256 -o test.bin
    """
    pci_id = parse_pci_id(pci) if pci else None
    chip_size, chip_name = _chip_size(chip, fill_to)
    flags: SelftestFlag | None = None
    if qemu_exit:
        if payload != "selftest":
            raise UsageError("--qemu-exit applies to --payload selftest only")
        flags = SelftestFlag.DEBUGCON | (
            SelftestFlag.EXIT_INIT if qemu_exit == "init" else SelftestFlag.EXIT_BEV
        )
    options = BuildOptions(
        mode=Mode(mode),
        pci=pci_id,
        ident=ident,
        size=parse_size(size, what="--size") if size else None,
        three_c503=True if three_c503 else None,
        checksum=checksum,
        chip_size=chip_size,
        chip_name=chip_name,
        place=Place(place),
        selftest_flags=flags,
        pause_seconds=0 if qemu_exit else bev_pause,
    )
    driver = None
    source: str | None = None
    if payload:
        if from_file:
            raise UsageError("--from and --payload exclude each other")
        if target:
            driver = catalog.get_driver(target)
        stem = f"selftest-{driver.name}" if driver else "selftest"
        out = out or f"{stem}.rom"
        check_writable(out, force=force)
        result = build_selftest_rom(options, driver)
    else:
        if target is None and from_file is None:
            raise UsageError("give a DRIVER or FILE (or --payload selftest)")
        if from_file:
            path = Path(from_file)
            driver = catalog.get_driver(target) if target else None
        elif target is not None and _looks_like_file(target):
            path = Path(target)
        else:
            assert target is not None
            # An unknown name is still searched for (own builds); the error lists the search.
            driver = catalog.find_driver(target)
            want = options.pci or (driver.default_id if driver and driver.is_pci else None)
            path = find_driver_binary(
                target, driver, want, env_path=os.environ.get(ENV_PATH), cwd=Path.cwd()
            )
        source = str(path)
        if out is None:
            if driver is None:
                raise UsageError("give -o OUT when building from a file")
            out = f"{driver.name}.rom"
        if Path(out).resolve() == path.resolve():
            raise UsageError("the output would overwrite the input", hint="choose another -o")
        check_writable(out, force=force)
        raw = read_rom_file(path)
        result = build_rom(raw, options, driver)
    fmt = _save(out, result.output, force)
    _report(result, out, fmt, source, as_json)


def _report(result: BuildResult, out: str, fmt: Format, source: str | None, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "output": out,
                "format": fmt.value,
                "source": source,
                "family": result.family,
                "reason": result.reason,
                "pci": format_pci_id(*result.pci) if result.pci else None,
                "rom_size": len(result.rom),
                "output_size": len(result.output),
                "image_offset": result.image_offset,
                "notes": list(result.notes),
                "warnings": list(result.warnings),
            }
        )
        return
    src = f" from {source}" if source else ""
    placed = ""
    if len(result.output) != len(result.rom):
        placed = f" in {format_size(len(result.output))}"
    click.echo(
        f"built {out}{src}: {result.family} ({result.reason}), "
        f"ROM {format_size(len(result.rom))}{placed}"
    )
    for note in result.notes:
        click.echo(f"  {note}")
    for w in result.warnings:
        _warn(w)


@click.command("cat")
@click.argument("inputs", nargs=-1, required=True, metavar="A B ...")
@click.option("-o", "--output", "out", required=True, metavar="OUT", help="The chained file.")
@json_option
@force_option
def cat(inputs: tuple[str, ...], out: str, as_json: bool, force: bool) -> None:
    """Chain option-ROM images (legacy + EFI, several legacy) into one file.

    Clears the last-image bit on all but the last image, sets it on the last, fixes each
    image's checksum and checks that every PCIR length reaches the next image.

    \b
    Example:
      romtool cat 10ec8139.rom 10ec8139.efirom -o combined.rom
    """
    check_writable(out, force=force)
    parts = [(name, read_rom_file(name)) for name in inputs]
    result = cat_images(parts)
    fmt = _save(out, result.data, force)
    if as_json:
        emit_json(
            {
                "output": out,
                "format": fmt.value,
                "size": len(result.data),
                "images": list(result.images),
                "fixes": [vars(f) for f in result.fixes if f.changed],
                "notes": list(result.notes),
            }
        )
        return
    click.echo(f"wrote {out}: {len(result.images)} images, {format_size(len(result.data))}")
    for line in result.images:
        click.echo(f"  {line}")
    for fix in result.fixes:
        if fix.changed:
            click.echo(
                f"  image {fix.image + 1}: {fix.what} checksum at 0x{fix.address:X}: "
                f"0x{fix.old:02X} -> 0x{fix.new:02X}"
            )
    for note in result.notes:
        _warn(note)


def _driver_row(d: catalog.NicDriver) -> str:
    if d.is_pci:
        assert d.default_id is not None
        n = len(d.ids)
        ids = format_pci_id(*d.default_id) + (f" +{n - 1}" if n > 1 else "")
    else:
        ids = "-"
    sockets = ",".join(format_size(s).replace(" KiB", "K") for s in d.sockets) or "-"
    return f"{d.name:<12} {d.bus:<4} {ids:<15} {sockets:<16} {d.title}"


def _driver_detail(d: catalog.NicDriver) -> list[str]:
    lines = [f"{d.name}: {d.title}", f"  bus: {d.bus}"]
    if d.aliases:
        lines.append(f"  also: {', '.join(d.aliases)}")
    lines.append(f"  Etherboot: {', '.join(d.etherboot) or '-'}; iPXE: {', '.join(d.ipxe) or '-'}")
    if d.ids:
        assert d.default_id is not None
        lines.append(f"  default id: {format_pci_id(*d.default_id)}")
        ids = [format_pci_id(v, dev) for v, dev in d.ids]
        for i in range(0, len(ids), 8):
            lines.append("  ids: " + " ".join(ids[i : i + 8]))
    if d.debian:
        lines.append(f"  Debian iPXE ROM: {d.debian}")
    if d.sockets:
        lines.append(f"  boot-ROM sizes: {', '.join(format_size(s) for s in d.sockets)}")
    if d.chips:
        lines.append(f"  chips: {', '.join(d.chips)}")
    if d.three_c503:
        lines.append("  3c503 fix-up (makerom -3) applies")
    if d.notes:
        lines.append(f"  notes: {d.notes}")
    return lines


@click.command("drivers")
@click.option("--search", "-s", "text", metavar="TEXT", help="Name, id (8086:100e), chip, words.")
@json_option
def drivers(text: str | None, as_json: bool) -> int:
    """List the NIC drivers romtool knows: bus, PCI ids, Etherboot/iPXE names, ROM sockets.

    With --search, only matching entries; a single match is shown in full.
    """
    found = catalog.search(text) if text else list(catalog.all_drivers())
    if as_json:
        emit_json([d.as_dict() for d in found])
        return 0 if found else 1
    if not found:
        click.echo(f"no driver matches {text!r}")
        return 1
    if len(found) == 1 and text:
        for line in _driver_detail(found[0]):
            click.echo(line)
        return 0
    click.echo(f"{'DRIVER':<12} {'BUS':<4} {'PCI ID':<15} {'ROM SIZES':<16} CARDS")
    for d in found:
        click.echo(_driver_row(d))
    return 0
