"""Find option ROMs inside a dump or memory image (the job of Etherboot's ``rom-scan``).

:func:`scan_roms` looks for ``55 AA`` on every ``step``-aligned offset of a byte buffer and
describes each candidate: size, checksum, PCI ids, PnP strings, the trailing ident string,
alignment, and whether it repeats an earlier image (the sign of a too-small EPROM size
setting: the chip's contents mirrored through the window). A candidate whose PCIR chains to
more images brings those along (flagged ``chained``).

Classic BIOSes scan in 2 KiB steps (``C000-EFFF``), iPXE's UNDI loader in 512-byte steps;
``base`` makes offsets print as memory addresses (``0xC8000``) when the buffer is a memory
window. Scanning is a ``bytes.find`` loop, so a 16 MiB dump takes milliseconds when it holds
few signatures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from romtool.errors import RomFormatError, UsageError
from romtool.optionrom.fields import Buffer, sum8
from romtool.optionrom.headers import BLOCK, ROM_SIGNATURE
from romtool.optionrom.report import trailing_ident
from romtool.optionrom.rom import RomImage, walk_chain

STEPS = (512, 2048)
"""Scan granularities: 512 (iPXE's UNDI loader), 2048 (the classic BIOS ROM scan)."""
ALIGN_WARN = 16 * 1024
"""rom-scan warns when an image is not on a 16 KiB boundary: not all BIOSes find it."""
MAX_HITS = 4096
"""Stop after this many candidates: a dump full of ``55 AA`` pairs is not a ROM listing."""


@dataclass(frozen=True)
class RomHit:
    """One option ROM found in a dump.

    Attributes:
        offset: buffer offset of ``55 AA`` (``address`` adds the scan's base).
        address: ``base + offset``.
        size: ``size byte * 512`` (EFI: InitializationSize).
        size_byte: byte 2 as stored.
        complete: all ``size`` bytes are inside the buffer.
        checksum_ok: the ``size`` bytes sum to 0 (False when incomplete).
        vendor, device, class_code: from a valid PCIR, else None.
        code_type: PCIR code type, or None.
        family: detected family name.
        manufacturer, product: $PnP strings, or None.
        ident: makerom's trailing ident string, or None.
        aligned: on a 16 KiB boundary (of ``address``).
        repeat_of: offset of an earlier hit with identical bytes, or None.
        chained: reached through a PCIR chain from an earlier hit (not by the scan).
        sha256: digest of the ``size`` bytes (or of what is present).
    """

    offset: int
    address: int
    size: int
    size_byte: int
    complete: bool
    checksum_ok: bool
    vendor: int | None
    device: int | None
    class_code: int | None
    code_type: int | None
    family: str
    manufacturer: str | None
    product: str | None
    ident: str | None
    aligned: bool
    repeat_of: int | None
    chained: bool
    sha256: str

    @property
    def end(self) -> int:
        return self.offset + self.size

    def as_dict(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "address": self.address,
            "size": self.size,
            "size_byte": self.size_byte,
            "complete": self.complete,
            "checksum_ok": self.checksum_ok,
            "vendor": None if self.vendor is None else f"{self.vendor:04x}",
            "device": None if self.device is None else f"{self.device:04x}",
            "class": None if self.class_code is None else f"{self.class_code:06x}",
            "code_type": self.code_type,
            "family": self.family,
            "manufacturer": self.manufacturer,
            "product": self.product,
            "ident": self.ident,
            "aligned_16k": self.aligned,
            "repeat_of": self.repeat_of,
            "chained": self.chained,
            "sha256": self.sha256,
        }


@dataclass
class ScanResult:
    """All hits of one scan plus warnings about the dump as a whole."""

    hits: list[RomHit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    step: int = 2048
    base: int = 0
    length: int = 0

    @property
    def ok(self) -> bool:
        """At least one ROM, and every ROM found is complete with a good checksum."""
        return bool(self.hits) and all(h.checksum_ok for h in self.hits)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "base": self.base,
            "length": self.length,
            "roms": [h.as_dict() for h in self.hits],
            "warnings": self.warnings,
        }


def _describe(buf: Buffer, offset: int, base: int, chained: bool) -> RomHit | None:
    try:
        img = RomImage(buf, offset)
    except RomFormatError:
        return None
    size = img.size
    complete = size > 0 and offset + size <= len(buf)
    ok = complete and sum8(buf, offset, offset + size) == 0
    pcir = img.pcir
    pnp = img.pnp
    stop = min(offset + size, len(buf)) if size else min(offset + BLOCK, len(buf))
    return RomHit(
        offset=offset,
        address=base + offset,
        size=size,
        size_byte=img.header.size_blocks,
        complete=complete,
        checksum_ok=ok,
        vendor=None if pcir is None else pcir.vendor,
        device=None if pcir is None else pcir.device,
        class_code=None if pcir is None else pcir.class_value,
        code_type=None if pcir is None else pcir.code_type,
        family=img.detect_family().family.value,
        manufacturer=None if pnp is None else img.string_at(pnp.manufacturer_ptr),
        product=None if pnp is None else img.string_at(pnp.product_ptr),
        ident=trailing_ident(buf, offset, size) if complete else None,
        aligned=(base + offset) % ALIGN_WARN == 0,
        repeat_of=None,
        chained=chained,
        sha256=hashlib.sha256(memoryview(buf)[offset:stop]).hexdigest(),
    )


def scan_roms(buf: Buffer, *, step: int = 2048, base: int = 0) -> ScanResult:
    """Find every option ROM in ``buf`` on ``step``-aligned offsets.

    A valid image (complete, checksum 0) is skipped over like a BIOS does, so its insides
    are not reported as more ROMs; after an invalid one the scan goes on at the next step.

    Args:
        buf: the dump or memory window.
        step: 512 or 2048.
        base: address of ``buf[0]`` (``0xC0000`` for a memory window), for alignment and
            for the ``address`` field.

    Raises:
        UsageError: a step other than 512 or 2048.
    """
    if step not in STEPS:
        raise UsageError(f"bad scan step {step}: expected 512 or 2048")
    result = ScanResult(step=step, base=base, length=len(buf))
    seen: dict[str, int] = {}
    pos = (-base) % step  # the first step-aligned address in the buffer
    data = bytes(buf) if isinstance(buf, bytearray) else buf
    while len(result.hits) < MAX_HITS:
        found = data.find(ROM_SIGNATURE, pos)
        if found < 0:
            break
        misalign = (base + found) % step
        if misalign:
            pos = found + (step - misalign)
            continue
        hit = _describe(data, found, base, chained=False)
        if hit is None or hit.size == 0:
            pos = found + step
            continue
        group = [hit]
        if hit.checksum_ok and hit.vendor is not None:
            # Bring along the rest of a PCIR chain (an EFI image after a legacy one).
            chain = walk_chain(data, found, strict=False)
            for img in chain.images[1:]:
                more = _describe(data, img.offset, base, chained=True)
                if more is not None:
                    group.append(more)
        for h in group:
            if h.checksum_ok and h.sha256 in seen:
                h = replace(h, repeat_of=seen[h.sha256])
            elif h.checksum_ok:
                seen[h.sha256] = h.offset
            result.hits.append(h)
        if hit.checksum_ok:
            pos = max(h.offset + max(h.size, BLOCK) for h in group)
            pos += (-(base + pos)) % step  # round up to the next step-aligned address
        else:
            pos = found + step
    else:
        result.warnings.append(f"stopped after {MAX_HITS} candidates")
    for h in result.hits:
        if h.repeat_of is not None:
            result.warnings.append(
                f"ROM at 0x{h.address:X} repeats the one at 0x{base + h.repeat_of:X}"
                " (a mirrored chip: wrong EPROM size or window?)"
            )
        if not h.complete:
            result.warnings.append(
                f"ROM at 0x{h.address:X} claims {h.size} bytes but the dump ends first"
            )
        elif not h.checksum_ok:
            result.warnings.append(
                f"ROM at 0x{h.address:X}: checksum does not match; a BIOS would skip it"
            )
        if not h.aligned and not h.chained:
            result.warnings.append(
                f"ROM at 0x{h.address:X} is not on a 16 KiB boundary: not every BIOS finds it"
            )
    return result
