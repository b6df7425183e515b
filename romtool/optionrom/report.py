"""What ``romtool info`` shows, as plain JSON-ready data (the CLI and the TUI render it).

:func:`inspect_rom` parses a file's chain strictly (broken input raises
:class:`~romtool.errors.RomFormatError`), lints every image and adds the BIOS verdicts. The
result's :meth:`RomReport.as_dict` is the ``--json`` document; its keys are part of the
command's interface (see ``docs/inspect.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from romtool.errors import RomFormatError
from romtool.optionrom.fields import Buffer
from romtool.optionrom.fix import efi_checksum_offset
from romtool.optionrom.headers import (
    BLOCK,
    EfiHeader,
    IpxeHeader,
    Pcir,
    PnpHeader,
    PnpIndicator,
    UndiRomId,
)
from romtool.optionrom.lint import (
    Finding,
    Severity,
    Verdict,
    check_pointers,
    isa_verdict,
    lint_chain,
    seabios_verdict,
)
from romtool.optionrom.rom import RomImage, walk_chain
from romtool.units import format_pci_id

IDENT_MIN = 8
"""Shortest trailing ident string worth showing (romid wants 20+ with "therboot"; we show
any printable run this long that ends where makerom puts it)."""
IDENT_MAX = 64
"""romid walks back at most 64 bytes from ``size - 3``."""


def trailing_ident(buf: Buffer, offset: int, size: int) -> str | None:
    """The ident string makerom places just before the last two bytes, if there is one.

    makerom writes ``ident + NUL`` ending at ``size - 3`` and leaves the last two bytes
    ``FF``; romid finds it by walking back from ``size - 3`` to the first ``FF``.
    """
    nul = offset + size - 3
    if size < IDENT_MIN + 3 or nul + 1 > len(buf) or buf[nul] != 0:
        return None
    start = nul
    while start > max(offset, nul - IDENT_MAX) and 0x20 <= buf[start - 1] < 0x7F:
        start -= 1
    if nul - start < IDENT_MIN or buf[start - 1] != 0xFF:
        return None
    return bytes(buf[start:nul]).decode("ascii")


def _hex16(value: int) -> str:
    return f"{value:04x}"


def pci_dict(pcir: Pcir, img: RomImage) -> dict[str, Any]:
    try:
        devices = pcir.device_list()
    except RomFormatError:  # a broken list is a lint finding; shown as null here
        devices = None
    rt = pcir.runtime_blocks
    return {
        "offset": pcir.offset - img.offset,
        "vendor": _hex16(pcir.vendor),
        "device": _hex16(pcir.device),
        "class": f"{pcir.class_value:06x}",
        "revision": pcir.revision,
        "struct_length": pcir.struct_length,
        "code_type": pcir.code_type,
        "last": pcir.last,
        "indicator": pcir.indicator,
        "image_blocks": pcir.image_blocks,
        "image_length": pcir.image_length,
        "code_revision": pcir.code_revision,
        "device_list": None if devices is None else [_hex16(d) for d in devices],
        "devlist_ptr": pcir.devlist_ptr,
        "runtime_length": None if rt is None else rt * BLOCK,
        "config_ptr": pcir.config_ptr,
        "clp_ptr": pcir.clp_ptr,
    }


def pnp_dict(pnp: PnpHeader, img: RomImage) -> dict[str, Any]:
    flags = [f.name.lower() for f in PnpIndicator if f.name and pnp.indicators & f]
    return {
        "offset": pnp.offset - img.offset,
        "revision": pnp.revision,
        "length": pnp.checksum_length(),
        "manufacturer": img.string_at(pnp.manufacturer_ptr),
        "product": img.string_at(pnp.product_ptr),
        "device_type": f"{pnp.device_type_value:06x}",
        "indicators": pnp.indicators,
        "indicator_names": flags,
        "bcv": pnp.bcv,
        "dv": pnp.dv,
        "bev": pnp.bev,
        "next": pnp.next_ptr,
        "checksum_ok": pnp.checksum_ok(),
    }


def undi_dict(undi: UndiRomId, img: RomImage) -> dict[str, Any]:
    return {
        "offset": undi.offset - img.offset,
        "version": undi.version,
        "loader_entry": undi.loader_entry,
        "stack_size": undi.stack_size,
        "data_size": undi.data_size,
        "code_size": undi.code_size,
        "bus_type": undi.bus_type.decode("latin-1"),
        "checksum_ok": undi.checksum_ok(),
    }


def ipxe_dict(ipxe: IpxeHeader, img: RomImage) -> dict[str, Any]:
    return {
        "offset": ipxe.offset - img.offset,
        "shrunk_length": ipxe.shrunk_blocks * BLOCK,
        "build_id": f"{ipxe.build_id:08x}",
        "checksum_ok": ipxe.checksum_ok(),
    }


def efi_dict(efi: EfiHeader) -> dict[str, Any]:
    return {
        "init_size": efi.init_size,
        "subsystem": efi.subsystem,
        "subsystem_name": efi.subsystem_name,
        "machine": f"{efi.machine:04x}",
        "machine_name": efi.machine_name,
        "compression": efi.compression,
        "compressed": efi.compression != 0,
        "image_offset": efi.image_offset,
    }


def image_dict(img: RomImage, findings: list[Finding]) -> dict[str, Any]:
    """Everything ``info`` knows about one image."""
    guess = img.detect_family()
    covered = img.checksum_covered()
    total = img.checksum_sum() if covered else None
    byte_at: int | None = None
    expected: int | None = None
    if covered:
        try:
            at = efi_checksum_offset(img) if img.is_efi else None
            byte_at = img.checksum_offset(at=at)
            expected = img.expected_checksum_byte(at=at)
        except RomFormatError:  # unknown family or an odd EFI layout: place unknown
            byte_at = expected = None
    pcir, pnp, undi, ipxe, efi = img.pcir, img.pnp, img.undi, img.ipxe, img.efi
    return {
        "index": img.index,
        "offset": img.offset,
        "length": img.length,
        "size": img.size,
        "size_byte": img.header.size_blocks,
        "family": guess.family.value,
        "family_reason": guess.reason,
        "checksum_ok": total == 0,
        "checksum": {
            "sum": total,
            "byte_offset": byte_at,
            "byte": None if byte_at is None else img.buf[img.offset + byte_at],
            "expected_byte": expected,
        },
        "init": None
        if img.is_efi
        else {"kind": img.header.init_kind(), "target": img.header.init_target()},
        "pci": None if pcir is None else pci_dict(pcir, img),
        "pnp": None if pnp is None else pnp_dict(pnp, img),
        "undi": None if undi is None else undi_dict(undi, img),
        "ipxe": None if ipxe is None else ipxe_dict(ipxe, img),
        "efi": None if efi is None else efi_dict(efi),
        "ident": None if img.is_efi else trailing_ident(img.buf, img.offset, img.size),
        "findings": [
            {"severity": f.severity.value, "code": f.code, "message": f.message}
            for f in findings
            if f.image == img.index
        ],
    }


@dataclass
class RomReport:
    """The result of :func:`inspect_rom`."""

    images: list[dict[str, Any]]
    findings: list[Finding]
    seabios: Verdict | None
    seabios_target: tuple[int, int] | None
    isa: Verdict
    file_size: int
    extra: dict[str, Any] = field(default_factory=dict)

    def by_severity(self, severity: Severity) -> list[str]:
        return [str(f) for f in self.findings if f.severity is severity]

    @property
    def ok(self) -> bool:
        """True when lint found no error."""
        return not self.by_severity(Severity.ERROR)

    def as_dict(self) -> dict[str, Any]:
        seabios: dict[str, Any] | None = None
        if self.seabios is not None and self.seabios_target is not None:
            v, d = self.seabios_target
            seabios = {
                "pci": format_pci_id(v, d),
                "accepted": self.seabios.accepted,
                "image": self.seabios.image,
                "reason": self.seabios.reason,
            }
        return {
            **self.extra,
            "file_size": self.file_size,
            "images": self.images,
            "errors": self.by_severity(Severity.ERROR),
            "warnings": self.by_severity(Severity.WARNING),
            "notes": self.by_severity(Severity.INFO),
            "bios": {
                "seabios": seabios,
                "isa": {
                    "accepted": self.isa.accepted,
                    "reason": self.isa.reason,
                },
            },
            "valid": self.ok,
        }


def inspect_rom(
    buf: Buffer, *, pci: tuple[int, int] | None = None, window: int | None = None
) -> RomReport:
    """Parse, lint and judge every image in ``buf``.

    Args:
        buf: the whole file.
        pci: the card's vendor:device for the SeaBIOS verdict; default: the first x86
            image's PCIR ids (no verdict when there is no PCIR).
        window: socket window size in bytes, for the ISA fit rule.

    Raises:
        RomFormatError: not an option ROM, a truncated image, a chain that loops, or a
            certain pointer leading outside its image.
    """
    chain = walk_chain(buf)
    for img in chain:
        check_pointers(img, img.detect_family().family)
    findings = lint_chain(buf, chain, window=window)
    target = pci
    if target is None:
        for img in chain:
            p = img.pcir
            if p is not None and p.code_type == 0:
                target = (p.vendor, p.device)
                break
    seabios = None if target is None else seabios_verdict(buf, *target)
    if target is not None and pci is not None and seabios is not None and not seabios.accepted:
        findings.append(Finding(Severity.WARNING, "pci-target", f"SeaBIOS: {seabios.reason}"))
    images = [image_dict(img, findings) for img in chain]
    return RomReport(images, findings, seabios, target, isa_verdict(buf), len(buf))
