"""One option-ROM image inside a buffer: find its structures, tell its family, walk the chain.

:class:`RomImage` is the entry point for everything that looks at an image: it owns the
:class:`~romtool.optionrom.headers.RomHeader` view and finds the PCIR, $PnP, UNDI, iPXE and
EFI headers by checking each pointer before following it (:meth:`RomImage.locate`). A pointer
field that holds code (ISA ROMs keep code at 0x10-0x1B) is reported as "not a pointer", not
followed blindly.

:func:`walk_chain` splits a file into images the way SeaBIOS and iPXE's Option::ROM do: image
*i+1* starts ``image_length * 512`` bytes after image *i*'s start, and the PCIR last-image bit
ends the chain. A zero length, an image past the end of the file or a missing ``55 AA`` where
the chain says an image starts is a :class:`~romtool.errors.RomFormatError` (or a recorded
problem with ``strict=False``), never an endless loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from romtool.errors import RomFormatError
from romtool.optionrom.fields import Buffer, HeaderView, read_cstring, sum8
from romtool.optionrom.headers import (
    EFI_SIGNATURE,
    ROM_SIGNATURE,
    CodeType,
    EfiHeader,
    IpxeHeader,
    Pcir,
    PnpHeader,
    RomHeader,
    UndiRomId,
)

MAX_CHAIN_IMAGES = 64
"""Stop walking a chain after this many images. A PCI ROM BAR is at most 16 MiB and real
chains have 1-3 images; the cap keeps corrupt data from producing an absurd listing."""

MAX_PNP_HEADERS = 32
"""Stop following $PnP ``next`` pointers after this many headers (real ROMs have 1)."""

ETHERBOOT_MARK = b"Etherboot"
"""Manufacturer string Etherboot 5.x PCI prefixes keep at offset 8 or 9."""
ETHERBOOT_MARK_OFFSETS = (0x08, 0x09)


class Family(StrEnum):
    """Which tool built an image; decides where the ROM checksum byte lives."""

    ETHERBOOT = "etherboot"
    """Etherboot 5.x: ``EB xx`` short jump at 3, checksum at 5."""
    IPXE = "ipxe"
    """iPXE/gPXE: ``E9 rel16`` at 3, checksum at 6, "iPXE" header pointer at 0x10."""
    GENERIC = "generic"
    """Any other ROM: checksum in the last byte of ``size * 512`` (or where the caller says)."""
    EFI = "efi"
    """EFI image (code type 3): efirom keeps its checksum byte at 0x34."""
    UNKNOWN = "unknown"
    """Not enough evidence; a fix needs the family from the user."""


CHECKSUM_OFFSET = {Family.ETHERBOOT: 0x05, Family.IPXE: 0x06, Family.EFI: EfiHeader.CHECKSUM_AT}
"""Image-relative checksum byte per family (GENERIC: last byte of the image)."""


@dataclass(frozen=True)
class FamilyGuess:
    """The detected family and the evidence for it (shown by ``info``)."""

    family: Family
    reason: str


class Where(StrEnum):
    """What a header pointer turned out to point at."""

    OK = "ok"
    ABSENT = "absent"
    """The pointer is 0 or the image is too short to hold it."""
    OUTSIDE = "outside"
    """The pointer (or the structure it points at) lies outside the image."""
    NO_SIGNATURE = "no-signature"
    """Inside the image, but the signature is not there (code bytes, or a broken header)."""


V = TypeVar("V", bound=HeaderView)


@dataclass(frozen=True)
class Located(Generic[V]):
    """Result of following one pointer: where it pointed and the view, when there is one."""

    status: Where
    pointer: int
    view: V | None = None
    detail: str = ""


class RomImage:
    """One image (legacy or EFI) at ``offset`` in ``buf``.

    Args:
        buf: the whole file or dump; a ``bytearray`` allows the fix methods to write.
        offset: absolute offset of the image's ``55 AA``.
        limit: end of the region the image may use (default: end of ``buf``); the chain
            walker passes the next image's start.
        index: position in the chain (0-based), for messages.

    Raises:
        RomFormatError: no ``55 AA`` at ``offset`` or fewer than 3 bytes there.
    """

    def __init__(self, buf: Buffer, offset: int = 0, limit: int | None = None, index: int = 0):
        self.buf = buf
        self.offset = offset
        self.limit = len(buf) if limit is None else min(limit, len(buf))
        self.index = index
        self.header = RomHeader(buf, offset, self.limit)

    # --- sizes -----------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes the BIOS copies and checksums: size byte * 512, or EFI InitializationSize."""
        efi = self.efi
        if efi is not None:
            return efi.init_size
        return self.header.size

    @property
    def length(self) -> int:
        """Bytes this image occupies in a chain: PCIR image length, else :attr:`size`."""
        pcir = self.pcir
        if pcir is not None and pcir.image_blocks:
            return pcir.image_length
        return self.size

    @property
    def end(self) -> int:
        """Absolute end of the image's own region (clipped to the buffer)."""
        return min(self.offset + max(self.length, self.size, 3), self.limit)

    @property
    def available(self) -> int:
        """Bytes of the image actually present in the buffer (up to :attr:`limit`)."""
        return self.limit - self.offset

    # --- finding structures ----------------------------------------------------------

    def _pointer(self, rel: int) -> int | None:
        if self.offset + rel + 2 > self.limit:
            return None
        return int.from_bytes(self.buf[self.offset + rel : self.offset + rel + 2], "little")

    def locate(self, kind: type[V], pointer_at: int) -> Located[V]:
        """Follow the image-relative pointer stored at ``pointer_at`` to a ``kind`` header.

        The structure must lie wholly inside the image region (``offset`` to :attr:`limit`)
        and start with its signature. Never raises for bad pointers: the answer says what
        was found.
        """
        ptr = self._pointer(pointer_at)
        if not ptr:
            return Located(Where.ABSENT, 0)
        start = self.offset + ptr
        if start + len(kind.SIGNATURE) > self.limit:
            return Located(
                Where.OUTSIDE, ptr, None, f"0x{ptr:X} is past the image end 0x{self.available:X}"
            )
        try:
            view = kind(self.buf, start, self.limit)
        except RomFormatError as exc:
            sig = bytes(self.buf[start : start + len(kind.SIGNATURE)])
            if sig == kind.SIGNATURE:
                return Located(Where.OUTSIDE, ptr, None, exc.message)
            return Located(Where.NO_SIGNATURE, ptr, None, f"no {kind.NAME} at 0x{ptr:X}")
        return Located(Where.OK, ptr, view)

    def locate_pcir(self) -> Located[Pcir]:
        """The PCI data structure via the pointer at 0x18."""
        return self.locate(Pcir, 0x18)

    def locate_pnp(self) -> Located[PnpHeader]:
        """The first $PnP header via the pointer at 0x1A."""
        return self.locate(PnpHeader, 0x1A)

    def locate_undi(self) -> Located[UndiRomId]:
        """The UNDI ROM ID via the pointer at 0x16."""
        return self.locate(UndiRomId, 0x16)

    def locate_ipxe(self) -> Located[IpxeHeader]:
        """The iPXE header via the pointer at 0x10."""
        return self.locate(IpxeHeader, 0x10)

    @property
    def pcir(self) -> Pcir | None:
        return self.locate_pcir().view

    @property
    def pnp(self) -> PnpHeader | None:
        if self.is_efi:
            return None
        return self.locate_pnp().view

    @property
    def undi(self) -> UndiRomId | None:
        if self.is_efi:
            return None
        return self.locate_undi().view

    @property
    def ipxe(self) -> IpxeHeader | None:
        if self.is_efi:
            return None
        return self.locate_ipxe().view

    @property
    def is_efi(self) -> bool:
        """True when ``0x0EF1`` is at offset 4 and the PCIR says code type 3 (EFI)."""
        if self.offset + 8 > self.limit:
            return False
        sig = int.from_bytes(self.buf[self.offset + 4 : self.offset + 8], "little")
        if sig != EFI_SIGNATURE:
            return False
        pcir = self.pcir
        return pcir is not None and pcir.code_type == CodeType.EFI

    @property
    def efi(self) -> EfiHeader | None:
        """The EFI ROM header, for EFI images only."""
        if not self.is_efi:
            return None
        try:
            return EfiHeader(self.buf, self.offset, self.limit)
        except RomFormatError:
            return None

    def pnp_headers(self) -> list[PnpHeader]:
        """Every $PnP header, following ``next_ptr`` (SeaBIOS takes a BEV/BCV from each).

        Raises:
            RomFormatError: a ``next`` pointer loops back or leaves the image.
        """
        first = self.pnp
        if first is None:
            return []
        out = [first]
        seen = {first.offset}
        while out[-1].next_ptr:
            nxt = self.offset + out[-1].next_ptr
            if nxt in seen or len(out) >= MAX_PNP_HEADERS:
                raise RomFormatError(
                    f"image {self.index + 1}: $PnP next pointer loops",
                    address=out[-1].offset + 6,
                )
            try:
                out.append(PnpHeader(self.buf, nxt, self.limit))
            except RomFormatError as exc:
                raise RomFormatError(
                    f"image {self.index + 1}: $PnP next pointer 0x{out[-1].next_ptr:X}: "
                    f"{exc.message}",
                    address=out[-1].offset + 6,
                ) from None
            seen.add(nxt)
        return out

    def string_at(self, pointer: int) -> str | None:
        """NUL-terminated string at an image-relative pointer (None for 0 or outside)."""
        if not pointer:
            return None
        return read_cstring(self.buf, self.offset + pointer, self.limit)

    # --- family ----------------------------------------------------------------------

    def detect_family(self) -> FamilyGuess:
        """Tell Etherboot, iPXE and EFI images apart; say UNKNOWN rather than guess.

        Evidence, strongest first: EFI signature + code type 3; a valid "iPXE" header via the
        pointer at 0x10; ``EB`` at 3 together with "Etherboot" at 8/9 or as the $PnP
        manufacturer. ``E9`` at 3 rules Etherboot out (byte 5 is then part of the jump).
        """
        if self.is_efi:
            return FamilyGuess(Family.EFI, "EFI signature 0x0EF1 at 4 and PCIR code type 3")
        if self.locate_ipxe().status is Where.OK:
            return FamilyGuess(Family.IPXE, "iPXE header via the pointer at 0x10")
        b = self.buf
        o = self.offset
        first = b[o + 3] if o + 4 <= self.limit else None
        if first == 0xEB:
            for at in ETHERBOOT_MARK_OFFSETS:
                if bytes(b[o + at : o + at + len(ETHERBOOT_MARK)]) == ETHERBOOT_MARK:
                    return FamilyGuess(
                        Family.ETHERBOOT, f'EB short jump at 3 and "Etherboot" at 0x{at:X}'
                    )
            pnp = self.pnp
            if pnp is not None:
                mfg = self.string_at(pnp.manufacturer_ptr) or ""
                if "etherboot" in mfg.lower():
                    return FamilyGuess(
                        Family.ETHERBOOT, f'EB short jump at 3 and $PnP manufacturer "{mfg}"'
                    )
            return FamilyGuess(Family.UNKNOWN, "EB short jump at 3 but no Etherboot marks")
        if first == 0xE9:
            return FamilyGuess(Family.UNKNOWN, "E9 near jump at 3 but no iPXE header")
        return FamilyGuess(Family.UNKNOWN, "no family marks")

    # --- checksums -------------------------------------------------------------------

    def checksum_covered(self) -> bool:
        """True when all :attr:`size` bytes are present in the buffer."""
        return self.size > 0 and self.offset + self.size <= self.limit

    def checksum_sum(self) -> int:
        """8-bit sum of the :attr:`size` bytes the BIOS checks (0 = valid).

        Raises:
            RomFormatError: the size is 0 or runs past the end of the data.
        """
        if self.size == 0:
            raise RomFormatError(f"image {self.index + 1}: size byte is 0", address=self.offset)
        if not self.checksum_covered():
            raise RomFormatError(
                f"image {self.index + 1} is truncated",
                address=self.offset,
                expected=f"{self.size} bytes",
                actual=f"{self.available} bytes",
            )
        return sum8(self.buf, self.offset, self.offset + self.size)

    def checksum_ok(self) -> bool:
        return self.checksum_covered() and self.checksum_sum() == 0

    def checksum_offset(self, family: Family | None = None, at: int | None = None) -> int:
        """Image-relative offset of the ROM checksum byte.

        Args:
            family: the family to use; None detects it.
            at: the caller's own choice (overrides the family).

        Raises:
            RomFormatError: the family is UNKNOWN and no ``at`` is given, or the offset is
                outside the checksummed bytes.
        """
        if at is None:
            fam = family if family is not None else self.detect_family().family
            if fam is Family.UNKNOWN:
                raise RomFormatError(
                    f"image {self.index + 1}: cannot tell where the checksum byte is "
                    "(family unknown)",
                    hint="give the family: etherboot (byte 5), ipxe (byte 6), generic (last)",
                )
            at = self.size - 1 if fam is Family.GENERIC else CHECKSUM_OFFSET[fam]
        if not 0 <= at < self.size:
            raise RomFormatError(
                f"image {self.index + 1}: checksum byte 0x{at:X} is outside the image",
                expected=f"below 0x{self.size:X}",
                actual=f"0x{at:X}",
            )
        return at

    def expected_checksum_byte(self, family: Family | None = None, at: int | None = None) -> int:
        """The value the checksum byte needs for the image to sum to 0."""
        rel = self.checksum_offset(family, at)
        return (self.buf[self.offset + rel] - self.checksum_sum()) & 0xFF

    def __repr__(self) -> str:
        return f"<RomImage {self.index + 1} at 0x{self.offset:X}, {self.size} bytes>"


@dataclass
class Chain:
    """The images of one file, in order, and anything that stopped the walk early."""

    images: list[RomImage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[RomImage]:
        return iter(self.images)

    def __len__(self) -> int:
        return len(self.images)


def is_rom_start(buf: Buffer, offset: int = 0) -> bool:
    """True when ``55 AA`` is at ``offset``."""
    return bytes(buf[offset : offset + 2]) == ROM_SIGNATURE


def walk_chain(buf: Buffer, start: int = 0, *, strict: bool = True) -> Chain:
    """Split ``buf`` (from ``start``) into its chain of option-ROM images.

    Each image's length is its PCIR image length (or, without a PCIR, its size byte); the
    PCIR last-image bit, or an image without PCIR, ends the chain. Every problem that stops
    the walk is raised as :class:`RomFormatError` when ``strict``; otherwise it is recorded in
    :attr:`Chain.problems` and the images found so far are returned. A missing next image
    (last-image bit clear on the file's last image) is always only recorded: it is a flaw of
    that image, which lint reports.

    Raises:
        RomFormatError: (strict) no ``55 AA`` at ``start``, an image runs past the end, a
            zero image length, or more than :data:`MAX_CHAIN_IMAGES` images.
    """
    chain = Chain()

    def problem(
        message: str, address: int, expected: str | None = None, actual: str | None = None
    ) -> Chain:
        err = RomFormatError(message, address=address, expected=expected, actual=actual)
        if strict:
            raise err
        chain.problems.append(str(err))
        return chain

    pos = start
    while True:
        n = len(chain.images)
        if n >= MAX_CHAIN_IMAGES:
            return problem(f"more than {MAX_CHAIN_IMAGES} images in the chain", pos)
        if n and (pos + 3 > len(buf) or not is_rom_start(buf, pos)):
            # The previous image's PCIR says more follow, but nothing does: a flaw of that
            # image (its last-image bit), not unreadable input, so it is never raised.
            chain.problems.append(
                f"image {n}: PCIR says more images follow (last-image bit clear), but there"
                f" is no 55 AA at 0x{pos:X}"
            )
            return chain
        if pos + 3 > len(buf):
            return problem(
                "file is too short for an option ROM",
                pos,
                expected="at least 3 bytes",
                actual=f"{max(len(buf) - pos, 0)} bytes",
            )
        if not is_rom_start(buf, pos):
            return problem(
                "no option ROM",
                pos,
                expected="55 AA",
                actual=bytes(buf[pos : pos + 2]).hex(" ").upper(),
            )
        img = RomImage(buf, pos, len(buf), index=n)
        pcir = img.pcir
        if img.size == 0 and (pcir is None or pcir.image_blocks == 0):
            # Size byte 0 and no PCIR length: nothing says how long the image is.
            chain.images.append(img)
            return chain if n == 0 else problem(f"image {n + 1} has size 0", pos)
        if pcir is not None and pcir.image_blocks == 0:
            return problem(f"image {n + 1}: PCIR image length is 0 (the chain would loop)", pos)
        if img.offset + img.length > len(buf) or img.offset + img.size > len(buf):
            need = max(img.length, img.size)
            chain.images.append(img)
            return problem(
                f"image {n + 1} is truncated",
                pos,
                expected=f"{need} bytes",
                actual=f"{len(buf) - pos} bytes",
            )
        last = pcir is None or pcir.last
        # Narrow the image's region to its own length so its pointers cannot reach the next.
        if not last:
            img = RomImage(buf, pos, pos + img.length, index=n)
        chain.images.append(img)
        if last:
            return chain
        pos += img.length
