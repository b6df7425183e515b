#!/usr/bin/env python3
"""Generate the AVR firmware's pin header from the shield's pin map.

    genpins.py PINMAP.toml -o hal/avr/rp_pins.h     write the header
    genpins.py PINMAP.toml --check hal/avr/rp_pins.h exit 1 when the header is stale

The pin map (hardware/romprog-shield/pinmap.toml) is the one description of the shield's
wiring; the header is derived from it so the firmware cannot drift from the board. The map is
checked first: every MCU pin used once, every socket pin of a package accounted for, every
variant naming known lines, roles and switches.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

VARIABLE_LINES = ("S1", "S2", "S3", "S29", "S30", "S31")
"""Socket lines whose signal depends on the part (pin map comments say why)."""
ROLES = {"NC": 0, "HIGH": 1, "LOW": 2, "PGM": 3, "WE": 4, "VPP": 5, "VCC": 6}
ROLE_ADDRESS = 0x20
"""Role code of address bit n: ROLE_ADDRESS + n."""
PGM_CE = 0xFE
"""``pgm`` code when the program pulse goes on CE#."""
NO_SWITCH = 0xFF
PACKAGE_PINS = (24, 28, 32)
MAX_ADDRESS_BIT = 18
GROUND_SOCKET_PIN = 16
"""Socket pin 16 is ground for every bottom-aligned package: no MCU line."""


class PinMapError(Exception):
    """The pin map contradicts itself."""


def _ident(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def check(pinmap: dict[str, Any]) -> None:
    """Raise PinMapError when the map is inconsistent."""
    used: dict[tuple[str, int], str] = {}
    for group in ("line", "switch", "control", "sense"):
        for item in pinmap.get(group, []):
            key = (item["port"], item["bit"])
            if key in used:
                raise PinMapError(f"P{key[0]}{key[1]} used by {used[key]} and {item['name']}")
            if not 0 <= item["bit"] <= 7:
                raise PinMapError(f"{item['name']}: bit {item['bit']} is not 0..7")
            used[key] = item["name"]
    if ("E", 0) in used or ("E", 1) in used:
        raise PinMapError("PE0/PE1 are the UART")
    lines = {line["name"]: line for line in pinmap["line"]}
    sockets = {line["socket"] for line in lines.values()}
    missing = set(range(1, 33)) - sockets - {GROUND_SOCKET_PIN, 32}
    if missing:
        raise PinMapError(f"socket pins without an MCU line: {sorted(missing)}")
    for name in VARIABLE_LINES:
        if name not in lines:
            raise PinMapError(f"variable line {name} is missing")
    switches = {sw["name"] for sw in pinmap["switch"]}
    for var in pinmap["variant"]:
        if var["pins"] not in PACKAGE_PINS:
            raise PinMapError(f"variant {var['name']}: {var['pins']} pins")
        if var["min_size"] > var["max_size"]:
            raise PinMapError(f"variant {var['name']}: min_size > max_size")
        for key in VARIABLE_LINES:
            role = var.get(key, "NC")
            if role not in ROLES and not re.fullmatch(r"A(\d+)", role):
                raise PinMapError(f"variant {var['name']}: unknown role {role} on {key}")
            m = re.fullmatch(r"A(\d+)", role)
            if m and int(m.group(1)) > MAX_ADDRESS_BIT:
                raise PinMapError(f"variant {var['name']}: {role} beyond A{MAX_ADDRESS_BIT}")
        if var["pgm"] != "CE" and var["pgm"] not in VARIABLE_LINES:
            raise PinMapError(f"variant {var['name']}: pgm on unknown line {var['pgm']}")
        for key in ("vpp_switch", "vcc_switch"):
            if key in var and var[key] not in switches:
                raise PinMapError(f"variant {var['name']}: unknown switch {var[key]}")
        if var["kind"] == "eprom" and "vpp_switch" not in var:
            raise PinMapError(f"variant {var['name']}: an EPROM needs a VPP switch")


def _role(text: str) -> str:
    m = re.fullmatch(r"A(\d+)", text)
    if m:
        return f"RP_ROLE_A({m.group(1)})"
    return f"RP_ROLE_{text}"


def render(pinmap: dict[str, Any], source: str) -> str:
    """The C header for ``pinmap``."""
    check(pinmap)
    out: list[str] = []
    w = out.append
    w(f"/* Generated from {source} by firmware/romprog/tools/genpins.py.")
    w(" * Do not edit: change the pin map and run `make -C firmware/romprog pins`. */")
    w("#ifndef RP_PINS_H")
    w("#define RP_PINS_H")
    w("")
    w("#include <avr/io.h>")
    w("#include <avr/pgmspace.h>")
    w("#include <stdint.h>")
    w("")
    w(f"#define RP_SERIES_OHMS {pinmap['mcu']['series_ohms']}")
    w("")
    w("/* Socket lines: port, bit, socket pin. */")
    low_side: dict[str, int] = {}
    for line in pinmap["line"]:
        n = _ident(line["name"])
        w(f"#define RP_LINE_{n}_PORT PORT{line['port']}")
        w(f"#define RP_LINE_{n}_DDR DDR{line['port']}")
        w(f"#define RP_LINE_{n}_PIN PIN{line['port']}")
        w(f"#define RP_LINE_{n}_BIT {line['bit']}")
        w(f"#define RP_LINE_{n}_SOCKET {line['socket']}")
        if line.get("low_side"):
            low_side[line["port"]] = low_side.get(line["port"], 0) | (1 << line["bit"])
    w("")
    w("/* Lines that drive a 2N7000 pull-down (VPP-capable socket pins): the MCU writes the")
    w(" * inverse of the wanted level. One mask per port. */")
    for port in sorted({line["port"] for line in pinmap["line"]}):
        w(f"#define RP_LOW_SIDE_{port} 0x{low_side.get(port, 0):02X}u")
    w("")
    w("/* Power switches, controls and sense inputs. */")
    for group, prefix in (("switch", "SW"), ("control", "CTL"), ("sense", "SENSE")):
        for item in pinmap.get(group, []):
            n = _ident(item["name"])
            w(f"#define RP_{prefix}_{n}_PORT PORT{item['port']}")
            w(f"#define RP_{prefix}_{n}_DDR DDR{item['port']}")
            w(f"#define RP_{prefix}_{n}_PIN PIN{item['port']}")
            w(f"#define RP_{prefix}_{n}_BIT {item['bit']}")
            if "adc" in item:
                w(f"#define RP_{prefix}_{n}_ADC {item['adc']}")
                w(f"#define RP_{prefix}_{n}_DIV_TOP {item['divider_top_ohms']}ul")
                w(f"#define RP_{prefix}_{n}_DIV_BOTTOM {item['divider_bottom_ohms']}ul")
    w("")
    w("/* Variable socket lines, in RP_VARIANTS role order. */")
    w("enum rp_var_line {")
    for i, name in enumerate(VARIABLE_LINES):
        w(f"    RP_VL_{name} = {i},")
    w(f"    RP_VL_COUNT = {len(VARIABLE_LINES)},")
    w("};")
    w("")
    w("enum rp_role {")
    for name, code in ROLES.items():
        w(f"    RP_ROLE_{name} = {code},")
    w("};")
    w(f"#define RP_ROLE_A(n) ({ROLE_ADDRESS} + (n))")
    w(f"#define RP_ROLE_IS_ADDRESS(r) ((r) >= {ROLE_ADDRESS})")
    w(f"#define RP_PGM_CE 0x{PGM_CE:02X}u")
    w(f"#define RP_NO_SWITCH 0x{NO_SWITCH:02X}u")
    w("")
    w("enum rp_switch {")
    for i, sw in enumerate(pinmap["switch"]):
        w(f"    RP_SWITCH_{_ident(sw['name'])} = {i},")
    w(f"    RP_SWITCH_COUNT = {len(pinmap['switch'])},")
    w("};")
    w("")
    w("struct rp_pinref {")
    w("    volatile uint8_t *port;")
    w("    volatile uint8_t *ddr;")
    w("    uint8_t mask;")
    w("    uint8_t low_side;")
    w("};")
    w("")
    w("static const struct rp_pinref RP_VAR_LINE_PINS[RP_VL_COUNT] = {")
    lines = {line["name"]: line for line in pinmap["line"]}
    for name in VARIABLE_LINES:
        line = lines[name]
        low = 1 if line.get("low_side") else 0
        w(
            f"    {{&PORT{line['port']}, &DDR{line['port']}, 1u << {line['bit']}, {low}}},"
            f" /* {name}: socket {line['socket']} */"
        )
    w("};")
    w("")
    w("static const struct rp_pinref RP_SWITCH_PINS[RP_SWITCH_COUNT] = {")
    for sw in pinmap["switch"]:
        w(
            f"    {{&PORT{sw['port']}, &DDR{sw['port']}, 1u << {sw['bit']}, 0}},"
            f" /* {sw['name']}: {sw['rail']} to socket {sw['socket']} */"
        )
    w("};")
    w("")
    w("struct rp_variant {")
    w("    uint8_t pins;")
    w("    uint8_t eprom;")
    w("    uint32_t min_size;")
    w("    uint32_t max_size;")
    w("    uint8_t role[RP_VL_COUNT];")
    w("    uint8_t pgm;")
    w("    uint8_t vpp_switch;")
    w("    uint8_t vcc_switch;")
    w("};")
    w("")
    w("static const struct rp_variant RP_VARIANTS[] PROGMEM = {")
    for var in pinmap["variant"]:
        roles = ", ".join(_role(var.get(k, "NC")) for k in VARIABLE_LINES)
        pgm = "RP_PGM_CE" if var["pgm"] == "CE" else f"RP_VL_{var['pgm']}"
        vpp = f"RP_SWITCH_{_ident(var['vpp_switch'])}" if "vpp_switch" in var else "RP_NO_SWITCH"
        vcc = f"RP_SWITCH_{_ident(var['vcc_switch'])}" if "vcc_switch" in var else "RP_NO_SWITCH"
        eprom = 1 if var["kind"] == "eprom" else 0
        w(f"    /* {var['name']} */")
        w(
            f"    {{{var['pins']}, {eprom}, {var['min_size']}ul, {var['max_size']}ul, "
            f"{{{roles}}}, {pgm}, {vpp}, {vcc}}},"
        )
    w("};")
    w("#define RP_VARIANT_COUNT (sizeof RP_VARIANTS / sizeof RP_VARIANTS[0])")
    w("")
    w("#endif")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pinmap", type=Path)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("-o", "--output", type=Path)
    group.add_argument("--check", type=Path, metavar="HEADER")
    args = ap.parse_args(argv)
    try:
        pinmap = tomllib.loads(args.pinmap.read_text())
        text = render(pinmap, "hardware/romprog-shield/pinmap.toml")
    except (OSError, tomllib.TOMLDecodeError, PinMapError, KeyError) as exc:
        print(f"genpins: {args.pinmap}: {exc}", file=sys.stderr)
        return 2
    if args.check is not None:
        current = args.check.read_text() if args.check.exists() else ""
        if current != text:
            print(
                f"genpins: {args.check} is stale; run `make -C firmware/romprog pins`",
                file=sys.stderr,
            )
            return 1
        return 0
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
