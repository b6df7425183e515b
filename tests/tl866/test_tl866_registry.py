"""The ``tl866`` programmer type in the registry: spec strings, options, discovery."""

from __future__ import annotations

import pytest

from romtool.chips.db import get_chip
from romtool.errors import InputError, UsageError
from romtool.programmers import registry
from romtool.programmers.sim.tl866 import backend
from romtool.programmers.sim.tl866.device import SimTl866
from romtool.programmers.tl866 import driver
from romtool.programmers.tl866 import open as tl866_open
from romtool.programmers.tl866.driver import Tl866Programmer


def test_spec_string_selects_by_serial(sim_bus) -> None:
    sim_bus("tl866ii+", "AT27C256R", serial="AAA")
    wanted = sim_bus("t48", "AT27C256R", serial="BBB")
    prog = registry.open_programmer("tl866:BBB,protect=yes,unverified=no")
    assert isinstance(prog, Tl866Programmer)
    assert prog.serial == "BBB" and prog.protect_after and not prog.allow_unverified
    with prog:
        prog.select(get_chip("AT27C256R"))
        prog.identify()
    assert wanted.stats.begins == 1


def test_spec_options_are_checked(sim_bus) -> None:
    with pytest.raises(UsageError, match="unknown option 'infoc'"):
        registry.open_programmer("tl866,infoc=x.xml")
    with pytest.raises(UsageError, match="expected yes or no"):
        registry.open_programmer("tl866,protect=maybe")


def test_infoic_option(sim_bus, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("ROMTOOL_INFOIC")
    missing = tmp_path / "nowhere.xml"
    sim_bus("tl866ii+", "AT28C256")
    prog = registry.open_programmer(f"tl866,infoic={missing}")
    with prog, pytest.raises(InputError, match="cannot read minipro database"):
        prog.select(get_chip("AT28C256"))


def test_discover_lists_units(sim_bus) -> None:
    sim_bus("tl866ii+", None, serial="AAA")
    sim_bus("t48", None, serial="BBB", bootloader=True)
    found = tl866_open.discover()
    assert [d.spec for d in found] == ["tl866:AAA", "tl866:BBB"]
    assert found[0].description == "TL866II+ firmware 04.1.32 serial AAA"
    assert "bootloader" in found[1].description


def test_discover_permission_problem_names_the_udev_rule(monkeypatch) -> None:
    denied = backend.SimUsbBackend([SimTl866()], access_denied=True)
    monkeypatch.setattr(tl866_open, "detect", lambda: driver.detect(denied))
    (only,) = tl866_open.discover()
    assert "permission denied" in only.description
    assert "60-romtool.rules" in only.description
