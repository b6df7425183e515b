"""Lint rules for option-ROM images and the BIOS-acceptance verdicts.

Rules (the project's option-ROM notes, section 4.4), per image of the chain:

1. ``55 AA`` present (the chain walker refuses a file without it);
2. size byte != 0 and ``size * 512`` bytes present;
3. the 8-bit sum of ``size * 512`` bytes is 0;
4. a PCIR, when there is one: 4-aligned, code type 0 for a legacy image, the last-image bit
   on the last image, lengths consistent; vendor:device match the target card;
5. a ``$PnP`` header: its checksum over ``length * 16`` bytes, a BEV or BCV;
6. an UNDI ROM ID / iPXE header: its checksum over its own length;
7. size limits: a legacy image >= 128 KiB cannot be described by the size byte; with a
   socket window, the image must fit in it.

Severity ``error`` means a BIOS would reject or mis-run the image (exit 1 from ``info``);
``warning`` means something some BIOSes or tools would trip over; ``info`` is a remark.

A pointer that certainly is a pointer (see :func:`certain_pointers`) but points outside the
image raises :class:`~romtool.errors.RomFormatError` from :func:`check_pointers`: such a file
is broken input, not a ROM with a flaw.

The verdicts replay what the BIOS does: :func:`seabios_verdict` walks the chain the way
SeaBIOS's ``map_pcirom`` does (first x86 image whose PCIR ids match, then ``55AA``, size != 0,
checksum), :func:`isa_verdict` is the classic ``C000-EFFF`` scan's test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from romtool.errors import RomFormatError
from romtool.optionrom.fields import Buffer, sum8
from romtool.optionrom.headers import BLOCK, CodeType, IpxeHeader, Pcir, PnpHeader, UndiRomId
from romtool.optionrom.rom import Chain, Family, RomImage, Where
from romtool.units import format_pci_id

LEGACY_LIMIT = 128 * 1024
"""A size byte reaches at most 255 * 512 = 130560 bytes, so 128 KiB and more cannot be
described; makerom writes size byte 0 for a 128 KiB ROM."""
PCIR_ALIGN = 4
"""SeaBIOS warns when the PCIR is not 4-byte aligned (PCI Firmware spec requires it)."""
SEABIOS_MAX_IMAGES = 64
"""Images the verdict walks before it calls the chain endless (SeaBIOS itself would hang)."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One lint result.

    Attributes:
        severity: error, warning or info.
        code: a stable short name (``checksum``, ``pnp-checksum``, ...) for tests and JSON.
        message: the sentence shown to the user (without the image prefix).
        image: 0-based image index, or None for the whole file.
        address: absolute offset the finding is about, when there is one.
    """

    severity: Severity
    code: str
    message: str
    image: int | None = None
    address: int | None = None

    def __str__(self) -> str:
        prefix = f"image {self.image + 1}: " if self.image is not None else ""
        return prefix + self.message


@dataclass(frozen=True)
class Verdict:
    """Would a BIOS run it? ``image`` is the 0-based index of the image it would run."""

    accepted: bool
    reason: str
    image: int | None = None


_POINTERS: dict[int, tuple[str, type[PnpHeader] | type[UndiRomId] | type[IpxeHeader] | type[Pcir]]]
_POINTERS = {
    0x10: ("iPXE header", IpxeHeader),
    0x16: ("UNDI ROM ID", UndiRomId),
    0x18: ("PCIR", Pcir),
    0x1A: ("$PnP header", PnpHeader),
}


def certain_pointers(img: RomImage, family: Family) -> tuple[int, ...]:
    """Offsets in the ROM header that hold pointers for sure, given the family.

    An ISA ROM keeps code at 0x10-0x1B, so nothing is certain without evidence: iPXE images
    use all four, Etherboot PCI images 0x16/0x18/0x1A, EFI images only 0x18, and any image
    with a PCIR uses 0x1A for $PnP (PnP BIOS spec).
    """
    if family is Family.IPXE:
        return (0x10, 0x16, 0x18, 0x1A)
    if family is Family.ETHERBOOT:
        return (0x16, 0x18, 0x1A)
    if family is Family.EFI:
        return (0x18,)
    if img.pcir is not None:
        return (0x18, 0x1A)
    return ()


def check_pointers(img: RomImage, family: Family) -> None:
    """Refuse an image whose certain pointers lead outside it.

    Raises:
        RomFormatError: a certain pointer (or its structure) lies outside the image.
    """
    for at in certain_pointers(img, family):
        name, kind = _POINTERS[at]
        loc = img.locate(kind, at)
        if loc.status is Where.OUTSIDE:
            raise RomFormatError(
                f"image {img.index + 1}: {name} pointer at 0x{at:X} points outside the image"
                f" ({loc.detail})",
                address=img.offset + at,
                expected=f"below 0x{img.limit - img.offset:X}",
                actual=f"0x{loc.pointer:X}",
            )


def _checksum_finding(img: RomImage, family: Family) -> Finding | None:
    total = img.checksum_sum()
    if total == 0:
        return None
    where = ""
    try:
        rel = img.checksum_offset(family if family is not Family.UNKNOWN else None)
        want = (img.buf[img.offset + rel] - total) & 0xFF
        where = f"; byte 0x{rel:X} ({family.value}) should be 0x{want:02X}"
    except RomFormatError:
        where = "; family unknown, so the checksum byte's place is not known"
    return Finding(
        Severity.ERROR,
        "checksum",
        f"checksum fails: the {img.size} bytes sum to 0x{total:02X}, not 0{where}",
        img.index,
        img.offset,
    )


def _lint_pcir(img: RomImage, pcir: Pcir, is_last_in_file: bool) -> list[Finding]:
    out: list[Finding] = []
    i = img.index

    def add(sev: Severity, code: str, msg: str, addr: int | None = None) -> None:
        out.append(Finding(sev, code, msg, i, pcir.offset if addr is None else addr))

    rel = pcir.offset - img.offset
    if rel % PCIR_ALIGN:
        add(Severity.WARNING, "pcir-align", f"PCIR at 0x{rel:X} is not 4-byte aligned")
    if pcir.struct_length < Pcir.FIXED_LENGTH:
        add(
            Severity.WARNING,
            "pcir-length",
            f"PCIR structure length 0x{pcir.struct_length:X} is shorter than 0x18",
        )
    if pcir.revision >= 3 and pcir.struct_length < Pcir.REV3_LENGTH:
        add(
            Severity.WARNING,
            "pcir-length",
            f"PCIR revision {pcir.revision} but structure length 0x{pcir.struct_length:X}"
            " (0x1C expected)",
        )
    if is_last_in_file and not pcir.last:
        add(
            Severity.ERROR,
            "last-image",
            "last image in the file, but its PCIR indicator lacks the last-image bit (0x80)",
        )
    if not img.is_efi:
        if pcir.code_type != CodeType.X86:
            add(
                Severity.WARNING,
                "code-type",
                f"legacy image with PCIR code type {pcir.code_type} (a BIOS runs only type 0)",
            )
        if pcir.image_blocks != img.header.size_blocks:
            add(
                Severity.WARNING,
                "pcir-image-length",
                f"PCIR image length {pcir.image_blocks} blocks differs from the size byte"
                f" {img.header.size_blocks} (Etherboot's makerom sets it only with -p)",
            )
        rt = pcir.runtime_blocks
        if rt is not None and pcir.image_blocks and rt > pcir.image_blocks:
            add(
                Severity.WARNING,
                "runtime-length",
                f"PCIR runtime length {rt} blocks exceeds the image length {pcir.image_blocks}",
            )
    if pcir.class_value == 0x000002:
        add(
            Severity.INFO,
            "class-reversed",
            "class code stored reversed (02 00 00): Etherboot 5.x habit, reads as 0x000002",
        )
    try:
        pcir.device_list()
    except RomFormatError as exc:
        add(Severity.WARNING, "device-list", exc.message)
    return out


def _lint_structures(img: RomImage) -> list[Finding]:
    out: list[Finding] = []
    i = img.index
    try:
        pnps = img.pnp_headers()
    except RomFormatError as exc:
        out.append(Finding(Severity.ERROR, "pnp-chain", exc.message, i, exc.address))
        pnps = [p for p in [img.pnp] if p is not None]
    for pnp in pnps:
        if not pnp.checksum_fits():
            out.append(Finding(Severity.WARNING, "pnp-length", pnp.length_problem(), i, pnp.offset))
        elif pnp.checksum_sum() != 0:
            out.append(
                Finding(
                    Severity.WARNING,
                    "pnp-checksum",
                    f"$PnP header checksum fails (sum 0x{pnp.checksum_sum():02X} over"
                    f" {pnp.checksum_length()} bytes); SeaBIOS ignores it, PnP BIOSes may not",
                    i,
                    pnp.offset + PnpHeader.CHECKSUM_AT,
                )
            )
        if pnp.bev == 0 and pnp.bcv == 0:
            out.append(
                Finding(
                    Severity.WARNING,
                    "pnp-vectors",
                    "$PnP header has neither a BEV nor a BCV: a PnP BIOS offers no boot entry",
                    i,
                    pnp.offset,
                )
            )
        for what, ptr in (("manufacturer", pnp.manufacturer_ptr), ("product", pnp.product_ptr)):
            if ptr and img.offset + ptr >= img.limit:
                out.append(
                    Finding(
                        Severity.WARNING,
                        "pnp-string",
                        f"$PnP {what} string pointer 0x{ptr:X} is outside the image",
                        i,
                        pnp.offset,
                    )
                )
    for view, code in ((img.undi, "undi-checksum"), (img.ipxe, "ipxe-checksum")):
        if view is None:
            continue
        if not view.checksum_fits():
            out.append(Finding(Severity.WARNING, code, view.length_problem(), i, view.offset))
        elif view.checksum_sum() != 0:
            out.append(
                Finding(
                    Severity.WARNING,
                    code,
                    f"{view.NAME} checksum fails (sum 0x{view.checksum_sum():02X} over"
                    f" {view.checksum_length()} bytes)",
                    i,
                    view.offset + view.CHECKSUM_AT,
                )
            )
    return out


def _lint_pointers(img: RomImage, family: Family) -> list[Finding]:
    """Certain pointers that land inside the image but on the wrong bytes."""
    out: list[Finding] = []
    for at in certain_pointers(img, family):
        name, kind = _POINTERS[at]
        loc = img.locate(kind, at)
        if loc.status is Where.NO_SIGNATURE:
            sev = Severity.ERROR if kind is Pcir else Severity.WARNING
            out.append(
                Finding(
                    sev,
                    "pointer",
                    f"{name} pointer at 0x{at:X} is 0x{loc.pointer:X}, but no {kind.NAME}"
                    " signature is there",
                    img.index,
                    img.offset + at,
                )
            )
        elif loc.status is Where.OK and loc.view is not None and img.size:
            end = loc.view.offset - img.offset + loc.view.FIXED_LENGTH
            if end > img.size:
                out.append(
                    Finding(
                        Severity.WARNING,
                        "beyond-size",
                        f"{name} at 0x{loc.pointer:X} lies beyond the {img.size} bytes the"
                        " BIOS copies",
                        img.index,
                        img.offset + at,
                    )
                )
    return out


def lint_image(
    img: RomImage, *, is_last_in_file: bool = True, window: int | None = None
) -> list[Finding]:
    """All findings for one image (see the module docstring for the rules)."""
    out: list[Finding] = []
    i = img.index
    family = img.detect_family().family
    if not img.is_efi and img.header.size_blocks == 0:
        out.append(
            Finding(
                Severity.ERROR,
                "size-zero",
                "size byte is 0: every BIOS rejects the image (makerom writes 0 for 128 KiB)",
                i,
                img.offset + 2,
            )
        )
    elif not img.checksum_covered():
        out.append(
            Finding(
                Severity.ERROR,
                "truncated",
                f"size byte says {img.size} bytes, but only {img.available} are present",
                i,
                img.offset,
            )
        )
    else:
        f = _checksum_finding(img, family)
        if f is not None:
            if img.is_efi:
                # UEFI does not check the 8-bit sum of EFI images; iPXE sets it anyway.
                f = Finding(
                    Severity.WARNING, f.code, f.message + " (UEFI ignores it)", i, f.address
                )
            out.append(f)
    pcir = img.pcir
    if pcir is not None:
        out.extend(_lint_pcir(img, pcir, is_last_in_file))
    out.extend(_lint_pointers(img, family))
    if not img.is_efi:
        out.extend(_lint_structures(img))
        if img.length >= LEGACY_LIMIT:
            out.append(
                Finding(
                    Severity.WARNING,
                    "too-large",
                    f"legacy image of {img.length} bytes: the size byte cannot describe 128 KiB"
                    " or more",
                    i,
                    img.offset,
                )
            )
        target = img.header.init_target()
        if target is not None and img.size and target >= img.size:
            out.append(
                Finding(
                    Severity.WARNING,
                    "init-target",
                    f"init entry jumps to 0x{target:X}, outside the image's {img.size} bytes",
                    i,
                    img.offset + 3,
                )
            )
    if window is not None and img.offset + img.length > window:
        out.append(
            Finding(
                Severity.ERROR,
                "window",
                f"image ends at 0x{img.offset + img.length:X}, past the 0x{window:X}-byte"
                " socket window",
                i,
                img.offset,
            )
        )
    return out


def lint_chain(buf: Buffer, chain: Chain, *, window: int | None = None) -> list[Finding]:
    """Findings for every image of ``chain`` plus the file-level ones (trailing data)."""
    out: list[Finding] = []
    for n, img in enumerate(chain.images):
        out.extend(lint_image(img, is_last_in_file=n == len(chain.images) - 1, window=window))
    for problem in chain.problems:
        out.append(Finding(Severity.ERROR, "chain", problem))
    if chain.images and not chain.problems:
        last = chain.images[-1]
        end = last.offset + max(last.length, last.size)
        rest = bytes(buf[end:])
        if rest:
            blank = rest.count(0xFF) == len(rest)
            out.append(
                Finding(
                    Severity.INFO,
                    "trailing",
                    f"{len(rest)} bytes after the last image"
                    + (" (blank, 0xFF padding)" if blank else " that are not blank"),
                    None,
                    end,
                )
            )
    return out


def _is_valid_rom(buf: Buffer, pos: int) -> str | None:
    """SeaBIOS ``is_valid_rom``: the reason it would refuse the image at ``pos``, or None."""
    if bytes(buf[pos : pos + 2]) != b"\x55\xaa":
        return "no 55 AA signature"
    if pos + 3 > len(buf) or buf[pos + 2] == 0:
        return "size byte is 0"
    size = buf[pos + 2] * BLOCK
    if pos + size > len(buf):
        return f"size byte says {size} bytes, but only {len(buf) - pos} are there"
    if sum8(buf, pos, pos + size):
        return "bad checksum"
    return None


def seabios_verdict(buf: Buffer, vendor: int, device: int) -> Verdict:
    """Would SeaBIOS run a ROM with these bytes from the ROM BAR of PCI device V:D?

    Replays ``map_pcirom``: per image, ``55 AA`` and a PCIR at ``u16@0x18``; the first image
    whose PCIR vendor:device match and whose code type is 0 is the one; then ``is_valid_rom``
    (size byte != 0, sum of ``size * 512`` bytes is 0). The PCI 3.0 device list is not
    consulted, as SeaBIOS does not.
    """
    card = format_pci_id(vendor, device)
    pos = 0
    for index in range(SEABIOS_MAX_IMAGES):
        if bytes(buf[pos : pos + 2]) != b"\x55\xaa":
            return Verdict(False, f"no 55 AA at 0x{pos:X}: SeaBIOS stops there")
        ptr = int.from_bytes(buf[pos + 0x18 : pos + 0x1A], "little")
        if (
            not ptr
            or bytes(buf[pos + ptr : pos + ptr + 4]) != b"PCIR"
            or pos + ptr + 0x18 > len(buf)
        ):
            return Verdict(False, f"image {index + 1} has no PCIR: SeaBIOS stops there")
        p = pos + ptr
        v = int.from_bytes(buf[p + 4 : p + 6], "little")
        d = int.from_bytes(buf[p + 6 : p + 8], "little")
        code_type = buf[p + 0x14]
        if (v, d) == (vendor, device) and code_type == CodeType.X86:
            why = _is_valid_rom(buf, pos)
            if why is None:
                return Verdict(
                    True, f"image {index + 1} matches {format_pci_id(vendor, device)}", index
                )
            if why == "bad checksum":
                why += " (SeaBIOS logs 'Found option rom with bad checksum')"
            return Verdict(False, f"image {index + 1} matches, but {why}", index)
        if buf[p + 0x15] & 0x80:
            return Verdict(
                False,
                f"no x86 image for {card} (SeaBIOS: 'No more images left')",
            )
        ilen = int.from_bytes(buf[p + 0x10 : p + 0x12], "little")
        if ilen == 0:
            return Verdict(False, f"image {index + 1} has PCIR length 0: SeaBIOS would loop")
        pos += ilen * BLOCK
    return Verdict(False, f"more than {SEABIOS_MAX_IMAGES} images: SeaBIOS would not finish")


def isa_verdict(buf: Buffer, offset: int = 0) -> Verdict:
    """Would a classic ISA BIOS scan (``C000-EFFF``, 2 KiB steps) run the ROM at ``offset``?

    The test is ``55 AA``, a size byte != 0 and the sum of ``size * 512`` bytes being 0
    (current SeaBIOS does not scan ISA space at all; this is the PC/AT convention).
    """
    why = _is_valid_rom(buf, offset)
    if why is None:
        return Verdict(True, "55 AA, size and checksum are right", 0)
    return Verdict(False, why)
