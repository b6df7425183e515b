"""Which option ROMs an image or dump holds, for the compare report.

Each segment of the image is walked as an option-ROM chain from its first byte (the way a NIC
presents its ROM to the BIOS), with :func:`romtool.optionrom.walk_chain`; the listing gives
offset, size, family, PCI ids and whether the checksum is right. A dump without ``55 AA`` at its
start lists nothing (and that is worth knowing too).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from romtool.errors import RomtoolError
from romtool.image.model import Image
from romtool.optionrom import walk_chain


@dataclass(frozen=True)
class RomEntry:
    """One option-ROM image found in a dump.

    Attributes:
        address: where its ``55 AA`` is.
        size: bytes the BIOS checksums (size byte * 512, or the EFI init size).
        family: which tool built it (``etherboot``, ``ipxe``, ``efi``, ...).
        vendor: PCI vendor id from the PCIR, None without one.
        device: PCI device id from the PCIR.
        checksum_ok: the 8-bit sum over ``size`` bytes is 0.
    """

    address: int
    size: int
    family: str
    vendor: int | None = None
    device: int | None = None
    checksum_ok: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "address": self.address,
            "size": self.size,
            "family": self.family,
            "vendor": self.vendor,
            "device": self.device,
            "checksum_ok": self.checksum_ok,
        }

    def describe(self) -> str:
        ids = f" {self.vendor:04x}:{self.device:04x}" if self.vendor is not None else ""
        ok = "checksum ok" if self.checksum_ok else "BAD checksum"
        return f"0x{self.address:X}: {self.size} bytes {self.family}{ids} {ok}"


@dataclass(frozen=True)
class RomListing:
    """The option ROMs of one image and what stopped the search early."""

    roms: tuple[RomEntry, ...] = ()
    problems: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {"images": [r.as_dict() for r in self.roms], "problems": list(self.problems)}


def list_roms(image: Image) -> RomListing:
    """List the option-ROM chain at the start of each segment of ``image``."""
    roms: list[RomEntry] = []
    problems: list[str] = []
    for seg in image.segments:
        if seg.data[:2] != b"\x55\xaa":
            continue
        try:
            chain = walk_chain(seg.data, strict=False)
        except RomtoolError as exc:
            problems.append(str(exc))
            continue
        problems.extend(chain.problems)
        for img in chain.images:
            try:
                family = img.detect_family().family.value
                pcir = img.pcir
                ok = img.checksum_ok()
            except RomtoolError as exc:
                problems.append(str(exc))
                continue
            roms.append(
                RomEntry(
                    address=seg.start + img.offset,
                    size=img.size,
                    family=family,
                    vendor=pcir.vendor if pcir is not None else None,
                    device=pcir.device if pcir is not None else None,
                    checksum_ok=ok,
                )
            )
    return RomListing(tuple(roms), tuple(problems))
