"""``romtool chips``: list, search, details, JSON, selfcheck, unknown parts."""

from __future__ import annotations

import json
import re
from typing import Any


def test_list_all(cli: Any) -> None:
    res = cli("chips")
    assert res.status == 0
    lines = res.out.splitlines()
    assert lines[0].split()[:3] == ["PART", "VENDOR", "SIZE"]
    assert any(line.startswith("AT27C256R ") and "1E:8C" in line for line in lines)
    assert len(lines) > 40


def test_search(cli: Any) -> None:
    res = cli("chips", "--search", "bf:b")
    names = [line.split()[0] for line in res.out.splitlines()[1:]]
    assert names == ["SST39SF010A", "SST39SF020A", "SST39SF040"]
    none = cli("chips", "-s", "nothing-like-this")
    assert none.status == 0 and "no chips match" in none.out


def test_details(cli: Any) -> None:
    res = cli("chips", "at28c256")
    assert res.status == 0
    assert "eeprom-page" in res.out and re.search(r"byte load tBLC +150 us", res.out)
    assert "typ -, max 10 ms" in res.out
    eprom = cli("chips", "27C512")
    assert "12.75 V (12.5 V..13 V, abs max 14 V) on pin 22" in eprom.out


def test_json(cli: Any) -> None:
    one = json.loads(cli("chips", "--json", "SST39SF010A").out)
    assert one["ids"] == ["BF:B5"] and one["timing_us"]["byte_program_typ_us"] == 14
    assert one["sectors"] == [[32, 4096]] and one["status"]["program"] == "simulated"
    many = json.loads(cli("chips", "--json", "--search", "AT29").out)
    assert {c["name"] for c in many} == {"AT29C256", "AT29C512", "AT29C010A"}


def test_unknown_part(cli: Any) -> None:
    res = cli("chips", "28C265")
    assert res.status == 2
    assert res.err.count("\n") == 1 and "28C256" in res.err and "Traceback" not in res.err


def test_check(cli: Any) -> None:
    res = cli("chips", "--check")
    assert res.status == 0 and "chip database OK" in res.out
    data = json.loads(cli("chips", "--check", "--json").out)
    assert data["problems"] == [] and data["chips"] > 40
