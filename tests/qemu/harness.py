"""A small QEMU + SeaBIOS harness: boot one option ROM and collect what the BIOS and ROM said.

Command line and log lines as established for QEMU 7.2 + SeaBIOS 1.16 (Debian): TCG, no
default devices, no reboot loop (a rejected ROM ends in "No bootable device", a reboot, and QEMU
exit status 0), COM1 to a file, SeaBIOS's debug port 0x402 to a file, and isa-debug-exit at
0xF4 so the self-test payload can end the run (status 3 from init, 5 from its BEV).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from romtool.timeout import Timeout

QEMU = "qemu-system-x86_64"

BOOT_TIMEOUT = 20.0
"""Seconds before a boot counts as hung. A boot takes ~0.1 s; TCG on a loaded 2-core CI
machine can be 50x slower, and a hung ROM must still end the test."""

RAN_RE = re.compile(r"Running option rom at ([0-9a-f]{4}):([0-9a-f]{4})")
BADSUM_RE = re.compile(r"Found option rom with bad checksum: loc=0x([0-9a-f]+) len=(\d+) sum=(\w+)")


@dataclass(frozen=True)
class Boot:
    """What one QEMU run produced.

    Attributes:
        status: QEMU's exit status; None if the harness stopped it (``until`` seen, or hung).
        com1: text the guest wrote to COM1.
        seabios: SeaBIOS's debug log (with anything the ROM wrote to port 0x402).
        stopped_on: the ``until`` marker that ended the run, if any.
    """

    status: int | None
    com1: str
    seabios: str
    stopped_on: str | None

    @property
    def roms_run(self) -> list[str]:
        """``seg:off`` of every option ROM SeaBIOS ran, in order."""
        return [f"{m.group(1)}:{m.group(2)}" for m in RAN_RE.finditer(self.seabios)]

    @property
    def bad_checksum(self) -> bool:
        """SeaBIOS logged a bad option-ROM checksum (and so rejected the ROM)."""
        return BADSUM_RE.search(self.seabios) is not None


def boot(
    rom: Path,
    workdir: Path,
    *,
    how: str = "pci",
    nic: str = "e1000",
    until: str | None = None,
    timeout: float = BOOT_TIMEOUT,
) -> Boot:
    """Boot QEMU with ``rom`` and return what happened.

    Args:
        rom: the ROM file.
        workdir: where the log files go.
        how: ``"pci"`` puts the ROM in ``nic``'s ROM BAR (``romfile=``); ``"isa"`` hands it to
            SeaBIOS through fw_cfg (``-option-rom``), which skips the PCIR checks.
        nic: the QEMU NIC model for ``"pci"`` (its vendor:device must match the PCIR).
        until: stop QEMU as soon as this text appears in the SeaBIOS log (for ROMs such as
            iPXE that never end the run themselves).
        timeout: seconds before the run counts as hung (it is killed and ``status`` is None).
    """
    com1 = workdir / "com1.log"
    seabios = workdir / "seabios.log"
    for f in (com1, seabios):
        f.unlink(missing_ok=True)
    cmd = [
        QEMU,
        "-nodefaults",
        "-machine", "pc",
        "-accel", "tcg",
        "-m", "32",
        "-display", "none",
        "-no-reboot",
        "-boot", "reboot-timeout=0",
        # QEMU's own kvmvapic genrom would be a second "Running option rom" line.
        "-global", "apic-common.vapic=off",
        "-serial", f"file:{com1}",
        "-chardev", f"file,id=seabios,path={seabios}",
        "-device", "isa-debugcon,iobase=0x402,chardev=seabios",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ]  # fmt: skip
    if how == "pci":
        cmd += [
            "-netdev", "user,id=n0,restrict=on",
            "-device", f"{nic},netdev=n0,romfile={rom.resolve()}",
        ]  # fmt: skip
    elif how == "isa":
        cmd += ["-option-rom", str(rom.resolve())]
    else:
        raise ValueError(f"how must be 'pci' or 'isa', not {how!r}")
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    budget = Timeout(timeout)
    stopped_on: str | None = None
    status: int | None = None
    try:
        while True:
            status = proc.poll()
            if status is not None:
                break
            if until is not None and seabios.exists() and until in _read(seabios):
                stopped_on = until
                break
            if budget.expired:
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            status = None
        if proc.stderr is not None:
            proc.stderr.close()
    return Boot(status, _read(com1), _read(seabios), stopped_on)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("latin-1")
    except FileNotFoundError:
        return ""
