"""``romtool --help`` and ``romtool info`` must not import textual or usb (start-up time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

HEAVY = ("textual", "usb", "libusb_package", "rich.live")

PROBE = """
import contextlib, io, json, sys
from romtool.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def loaded_modules(*args: str) -> tuple[int, set[str]]:
    res = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout.strip().splitlines()[-1])
    return data["status"], set(data["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_stays_light(args: list[str]) -> None:
    status, modules = loaded_modules(*args)
    assert status == 0
    assert heavy_in(modules) == []


def test_info_stays_light(roms: ModuleType, tmp_path: Path) -> None:
    f = tmp_path / "a.rom"
    f.write_bytes(roms.ipxe())
    status, modules = loaded_modules("info", str(f), "--json")
    assert status == 0
    assert heavy_in(modules) == []
    assert "romtool.optionrom.report" in modules  # the probe really ran the command
