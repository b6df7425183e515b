"""The firmware's pin header is generated from the shield's pin map and must not drift."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import FIRMWARE

PINMAP = FIRMWARE.parents[1] / "hardware" / "romprog-shield" / "pinmap.toml"
HEADER = FIRMWARE / "hal" / "avr" / "rp_pins.h"
GENPINS = FIRMWARE / "tools" / "genpins.py"


def _genpins() -> ModuleType:
    spec = importlib.util.spec_from_file_location("genpins", GENPINS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENPINS), *args], capture_output=True, text=True, check=False
    )


def test_header_matches_the_pin_map() -> None:
    res = _run(str(PINMAP), "--check", str(HEADER))
    assert res.returncode == 0, res.stderr


def test_stale_header_is_caught(tmp_path: Path) -> None:
    stale = tmp_path / "rp_pins.h"
    stale.write_text(HEADER.read_text().replace("RP_LINE_A0_BIT 0", "RP_LINE_A0_BIT 1"))
    res = _run(str(PINMAP), "--check", str(stale))
    assert res.returncode == 1
    assert "stale" in res.stderr


def test_every_socket_pin_and_mcu_pin_once() -> None:
    pinmap = tomllib.loads(PINMAP.read_text())
    sockets = [line["socket"] for line in pinmap["line"]]
    assert sorted(sockets) == sorted(set(sockets))
    assert set(sockets) == set(range(1, 32)) - {16}  # 16 is GND, 32 is VCC-only
    ports = [
        (item["port"], item["bit"])
        for group in ("line", "switch", "control", "sense")
        for item in pinmap[group]
    ]
    assert len(ports) == len(set(ports))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["switch"][0].update(port="A", bit=0), "used by"),
        (lambda m: m["line"].pop(0), "socket pins without"),
        (lambda m: m["variant"][0].update(S3="A25"), "beyond A18"),
        (lambda m: m["variant"][0].update(vpp_switch="VPP_S9"), "unknown switch"),
        (lambda m: m["variant"][1].pop("vpp_switch"), "needs a VPP switch"),
    ],
)
def test_inconsistent_pin_maps_are_refused(change: object, message: str) -> None:
    gp = _genpins()
    pinmap = tomllib.loads(PINMAP.read_text())
    change(pinmap)  # type: ignore[operator]
    with pytest.raises(gp.PinMapError, match=message):
        gp.check(pinmap)


def test_eprom_variants_switch_vpp_where_the_datasheets_put_it() -> None:
    pinmap = tomllib.loads(PINMAP.read_text())
    switches = {sw["name"]: sw["socket"] for sw in pinmap["switch"]}
    by_name = {v["name"]: v for v in pinmap["variant"]}
    # 27C512: OE/VPP is 28-pin pin 22 = socket 24; 27C256: pin 1 = socket 3; 27C010: pin 1.
    assert switches[by_name["27C512"]["vpp_switch"]] == 24
    assert switches[by_name["27C256"]["vpp_switch"]] == 3
    assert switches[by_name["27C010/27C020"]["vpp_switch"]] == 1
    # 28-pin VCC (pin 28) is socket 30; 32-pin VCC is socket 32.
    assert switches[by_name["27C256"]["vcc_switch"]] == 30
    assert switches[by_name["JEDEC 32-pin flash"]["vcc_switch"]] == 32


def test_every_5v_part_in_the_database_has_a_socket_variant() -> None:
    """The board can wire every part romtool knows that runs on its 5 V socket logic."""
    from romtool.chips import all_chips
    from romtool.programmers.romprog.profile import profile_for
    from romtool.programmers.romprog.protocol import Algorithm

    pinmap = tomllib.loads(PINMAP.read_text())
    missing = []
    for chip in all_chips():
        if not 4500 <= chip.voltages.vcc_read_mv <= 6500:
            continue
        prof = profile_for(chip)
        eprom = prof.algorithm in (Algorithm.EPROM_QUICKPULSE, Algorithm.EPROM_STANDARD)
        if not any(
            v["pins"] == prof.pins
            and (v["kind"] == "eprom") == eprom
            and v["min_size"] <= prof.size <= v["max_size"]
            for v in pinmap["variant"]
        ):
            missing.append(chip.name)
    assert not missing, f"no socket variant for {missing}"
