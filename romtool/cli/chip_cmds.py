"""``romtool chips``: list, search, describe and check the chip database."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from romtool.chips import ChipSpec, all_chips, check_database, find_chips, get_chip
from romtool.chips.spec import IdMethod, Operation
from romtool.cli.common import emit_json, json_option
from romtool.units import format_size

EXIT_PROBLEMS = 1
"""``--check`` found inconsistencies (like a lint failure)."""


def _ids(spec: ChipSpec) -> str:
    if spec.id_method is IdMethod.NONE:
        return "-"
    return " ".join(str(i) for i in spec.ids) or "?"


def _mv(mv: int | None) -> str:
    return "-" if mv is None else f"{mv / 1000:g} V"


def _us(us: float | None) -> str:
    if us is None:
        return "-"
    if us >= 1_000_000:
        return f"{us / 1_000_000:g} s"
    if us >= 1000:
        return f"{us / 1000:g} ms"
    return f"{us:g} us"


def spec_dict(spec: ChipSpec) -> dict[str, Any]:
    """A chip spec as JSON-ready data (ids as "MM:DD", times in µs, voltages in mV)."""
    return {
        "name": spec.name,
        "vendor": spec.vendor,
        "aliases": list(spec.aliases),
        "size": spec.size,
        "package": spec.package,
        "pins": spec.pins,
        "technology": spec.technology.value,
        "ids": [str(i) for i in spec.ids],
        "id_method": spec.id_method.value,
        "blank": spec.blank,
        "write_granularity": spec.write_granularity,
        "page_size": spec.page_size,
        "sectors": [[g.count, g.size] for g in spec.sectors],
        "algorithm": spec.algorithm.value,
        "timing_us": asdict(spec.timing),
        "voltages_mv": asdict(spec.voltages),
        "sdp": spec.sdp.value,
        "vpp_pin": spec.vpp_pin,
        "status": {op.value: spec.status_of(op).value for op in Operation},
        "notes": list(spec.notes),
    }


def _table(chips: list[ChipSpec]) -> None:
    rows = [("PART", "VENDOR", "SIZE", "PKG", "TECHNOLOGY", "ALGORITHM", "VPP", "IDS")]
    for c in chips:
        rows.append(
            (
                c.name,
                c.vendor,
                format_size(c.size),
                c.package,
                c.technology.value,
                c.algorithm.value,
                _mv(c.voltages.vpp_mv),
                _ids(c),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        cells = [r[i].ljust(widths[i]) for i in range(len(widths))]
        click.echo("  ".join([*cells, r[-1]]).rstrip())


def _details(spec: ChipSpec) -> None:
    t, v = spec.timing, spec.voltages
    lines: list[tuple[str, str]] = [
        ("part", spec.name),
        ("vendor", spec.vendor),
        ("aliases", ", ".join(spec.aliases) or "-"),
        ("size", f"{format_size(spec.size)} ({spec.size} bytes)"),
        ("package", f"{spec.package}, {spec.pins} pins"),
        ("technology", spec.technology.value),
        ("id", f"{_ids(spec)} ({spec.id_method.value})"),
        ("blank", f"0x{spec.blank:02X}"),
        ("algorithm", spec.algorithm.value),
        ("write unit", f"{spec.write_granularity} B, page {spec.page_size} B"),
    ]
    if spec.sectors:
        layout = " + ".join(f"{g.count} x {format_size(g.size)}" for g in spec.sectors)
        lines.append(("sectors", layout))
    if spec.technology.is_eprom:
        window = f"{_mv(v.vpp_min_mv)}..{_mv(v.vpp_max_mv)}, abs max {_mv(v.vpp_abs_max_mv)}"
        pulses = f"{_us(t.pulse_us)} x up to {t.max_pulses}"
        if t.overprogram_factor:
            pulses += f", overprogram {t.overprogram_factor:g}x"
        lines += [
            ("VPP", f"{_mv(v.vpp_mv)} ({window}) on pin {spec.vpp_pin}"),
            ("VCC program", _mv(v.vcc_program_mv)),
            ("pulses", pulses),
        ]
    lines.append(("VCC read", _mv(v.vcc_read_mv)))
    timing = [
        ("byte program", t.byte_program_typ_us, t.byte_program_max_us),
        ("write cycle tWC", t.write_cycle_typ_us, t.write_cycle_max_us),
        ("sector erase", t.sector_erase_typ_us, t.sector_erase_max_us),
        ("chip erase", t.chip_erase_typ_us, t.chip_erase_max_us),
    ]
    for label, typ, mx in timing:
        if typ is not None or mx is not None:
            lines.append((label, f"typ {_us(typ)}, max {_us(mx)}"))
    if t.tblc_us is not None:
        lines.append(("byte load tBLC", _us(t.tblc_us)))
    lines.append(("SDP", spec.sdp.value))
    status = ", ".join(f"{op.value} {spec.status_of(op).value}" for op in Operation)
    lines.append(("status", status))
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        click.echo(f"{key.ljust(width)}  {value}")
    for note in spec.notes:
        click.echo(f"note: {note}")


@click.command("chips")
@click.argument("part", required=False)
@click.option("--search", "-s", "search", metavar="TEXT", help="Only parts matching TEXT.")
@click.option("--check", is_flag=True, help="Run the database selfcheck.")
@json_option
def chips(part: str | None, search: str | None, check: bool, as_json: bool) -> int:
    """List the supported chips, or describe PART.

    TEXT matches names, aliases, vendors, packages, technologies and ids ("BF:B5").
    An unknown PART gets the nearest known names.

    \b
    Examples:
      romtool chips
      romtool chips --search 27C512
      romtool chips AT28C256
      romtool chips --json SST39SF010A
      romtool chips --check
    """
    if check:
        problems = check_database()
        if as_json:
            emit_json({"problems": problems, "chips": len(all_chips())})
        elif problems:
            for p in problems:
                click.echo(p)
        else:
            click.echo(f"chip database OK: {len(all_chips())} parts")
        return EXIT_PROBLEMS if problems else 0
    if part is not None:
        spec = get_chip(part)
        if as_json:
            emit_json(spec_dict(spec))
        else:
            _details(spec)
        return 0
    found = find_chips(search) if search else list(all_chips())
    if as_json:
        emit_json([spec_dict(c) for c in found])
    elif found:
        _table(found)
    else:
        click.echo(f"no chips match {search!r}")
    return 0
