"""Which option ROMs an image or dump holds, for the compare report.

Each segment is scanned with :func:`romtool.optionrom.scan.scan_roms` in 512-byte steps (the
finest granularity a loader uses), so a ROM placed at the wrong offset, or mirrored through a
socket that ignores an address line, shows up where it really is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from romtool.image.model import Image
from romtool.optionrom.scan import RomHit, scan_roms

SCAN_STEP = 512
"""Scan granularity in bytes: iPXE's UNDI loader steps by 512, classic BIOSes by 2048."""


def describe_hit(hit: RomHit) -> str:
    """One line: address, size, family, PCI ids, checksum, repeat."""
    ids = f" {hit.vendor:04x}:{hit.device:04x}" if hit.vendor is not None else ""
    ok = "checksum ok" if hit.checksum_ok else "BAD checksum"
    if not hit.complete:
        ok = "truncated"
    line = f"0x{hit.address:X}: {hit.size} bytes {hit.family}{ids} {ok}"
    if hit.repeat_of is not None:
        line += f" (repeats the ROM at 0x{hit.repeat_of:X})"
    return line


@dataclass(frozen=True)
class RomListing:
    """The option ROMs found in one image and the scanner's warnings."""

    roms: tuple[RomHit, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {"images": [h.as_dict() for h in self.roms], "warnings": list(self.warnings)}

    def lines(self) -> list[str]:
        return [describe_hit(h) for h in self.roms]


def list_roms(image: Image) -> RomListing:
    """Scan every segment of ``image`` for option ROMs (addresses are image addresses)."""
    hits: list[RomHit] = []
    warnings: list[str] = []
    for seg in image.segments:
        result = scan_roms(seg.data, step=SCAN_STEP, base=seg.start)
        hits.extend(result.hits)
        warnings.extend(result.warnings)
    return RomListing(tuple(hits), tuple(warnings))
