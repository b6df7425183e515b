"""Field tables over one buffer: the machinery every option-ROM header codec is built from.

A header codec is a :class:`HeaderView` subclass whose class body lists its fields as
descriptors (:class:`UInt`, :class:`OptUInt`, :class:`Raw`). A view never copies: it reads and
writes the little-endian fields of one structure in place, inside the caller's ``bytes`` (read
only) or ``bytearray`` (read and write). So a builder can patch a PCIR vendor id, fix a PnP
checksum and then the ROM checksum, all in the same buffer, and ``info`` can list the very
same fields by walking :attr:`HeaderView.FIELDS`.

Bounds are checked when a view is made (the fixed part of the structure must lie inside the
allowed region) and again for every field access, so a view over a truncated or corrupted
image raises :class:`~romtool.errors.RomFormatError`, never ``IndexError`` or
``struct.error``.

"Sum" is always the 8-bit sum of bytes, ``sum(data) & 0xFF``; a structure is valid when its
sum is 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, overload

from romtool.errors import RomFormatError

Buffer = bytes | bytearray
"""What a view looks at: ``bytes`` for read-only use, ``bytearray`` to patch in place."""


def sum8(buf: Buffer, start: int = 0, stop: int | None = None) -> int:
    """8-bit sum of ``buf[start:stop]`` (0 means "checksum ok").

    Slices past the end of ``buf`` just sum fewer bytes; callers check bounds first.
    """
    return sum(memoryview(buf)[start:stop]) & 0xFF


def fix_sum8(buf: bytearray, start: int, length: int, at: int) -> int:
    """Set ``buf[at]`` so that the 8-bit sum of ``buf[start:start+length]`` becomes 0.

    ``at`` must lie inside the summed range. The byte's old value does not matter (the new
    value is computed with it taken out), which is what makerom's "set to 0, sum, negate" and
    iPXE's "subtract the current sum" both amount to.

    Returns:
        The new checksum byte.

    Raises:
        RomFormatError: the range runs past the buffer or ``at`` is outside it.
    """
    stop = start + length
    if length <= 0:
        raise RomFormatError(f"checksum over {length} bytes at 0x{start:X}: nothing to sum")
    if start < 0 or stop > len(buf):
        raise RomFormatError(
            f"checksum range 0x{start:X}+0x{length:X} runs past the end",
            expected=f"at most 0x{len(buf):X} bytes",
            actual=f"0x{stop:X}",
        )
    if not start <= at < stop:
        raise RomFormatError(
            f"checksum byte 0x{at:X} is outside the summed range 0x{start:X}-0x{stop - 1:X}"
        )
    current = sum8(buf, start, stop)
    buf[at] = (buf[at] - current) & 0xFF
    return buf[at]


# --- field descriptors -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldInfo:
    """One row of a header's field table (what ``info`` lists and JSON carries).

    Attributes:
        name: attribute name on the view.
        offset: byte offset from the start of the structure.
        size: width in bytes.
        kind: ``"uint"`` (little-endian unsigned), ``"optuint"`` (absent beyond the
            structure's declared length) or ``"raw"`` (bytes).
        doc: one line saying what the field means.
    """

    name: str
    offset: int
    size: int
    kind: str
    doc: str


class _Field:
    kind: ClassVar[str] = ""

    def __init__(self, offset: int, size: int, doc: str = "") -> None:
        self.offset = offset
        self.size = size
        self.doc = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def info(self) -> FieldInfo:
        return FieldInfo(self.name, self.offset, self.size, self.kind, self.doc)


class UInt(_Field):
    """A little-endian unsigned integer field of 1, 2 or 4 bytes."""

    kind = "uint"

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> UInt: ...
    @overload
    def __get__(self, obj: HeaderView, objtype: type | None = None) -> int: ...
    def __get__(self, obj: HeaderView | None, objtype: type | None = None) -> UInt | int:
        if obj is None:
            return self
        return obj.read_uint(self.offset, self.size)

    def __set__(self, obj: HeaderView, value: int) -> None:
        obj.write_uint(self.offset, self.size, value)


class OptUInt(_Field):
    """An integer field that only exists when the structure's declared length covers it.

    PCIR revision 0 structures are 0x18 bytes long and have no runtime length, config
    utility or CLP pointer; reading such a field gives ``None`` (iPXE's Option::ROM reads
    fields beyond ``struct_length`` as absent, too).
    """

    kind = "optuint"

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> OptUInt: ...
    @overload
    def __get__(self, obj: HeaderView, objtype: type | None = None) -> int | None: ...
    def __get__(self, obj: HeaderView | None, objtype: type | None = None) -> OptUInt | int | None:
        if obj is None:
            return self
        if not obj.field_present(self.offset, self.size):
            return None
        return obj.read_uint(self.offset, self.size)

    def __set__(self, obj: HeaderView, value: int) -> None:
        if not obj.field_present(self.offset, self.size):
            raise RomFormatError(
                f"{obj.NAME} field {self.name} is beyond the structure's length",
                address=obj.offset + self.offset,
            )
        obj.write_uint(self.offset, self.size, value)


class Raw(_Field):
    """A run of bytes (signatures, class codes, version triplets)."""

    kind = "raw"

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Raw: ...
    @overload
    def __get__(self, obj: HeaderView, objtype: type | None = None) -> bytes: ...
    def __get__(self, obj: HeaderView | None, objtype: type | None = None) -> Raw | bytes:
        if obj is None:
            return self
        return obj.read_bytes(self.offset, self.size)

    def __set__(self, obj: HeaderView, value: bytes) -> None:
        if len(value) != self.size:
            raise ValueError(f"{self.name} takes {self.size} bytes, got {len(value)}")
        obj.write_bytes(self.offset, value)


# --- the view ----------------------------------------------------------------------------


class HeaderView:
    """A structure at ``offset`` in ``buf``, whose fields are read and written in place.

    Subclasses set ``NAME`` (for messages), ``SIGNATURE`` (bytes at offset 0, or empty when
    the structure has none) and ``FIXED_LENGTH`` (bytes that must be present for the fixed
    fields), and declare fields as class attributes.

    Args:
        buf: the whole file (or image) buffer; a ``bytearray`` allows writes.
        offset: absolute offset of the structure in ``buf``.
        limit: end of the region the structure must fit in (default: ``len(buf)``); an
            image's structures must stay inside the image.

    Raises:
        RomFormatError: the fixed part does not fit inside ``[offset, limit)``, or the
            signature is wrong.
    """

    NAME: ClassVar[str] = "structure"
    SIGNATURE: ClassVar[bytes] = b""
    FIXED_LENGTH: ClassVar[int] = 0
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, FieldInfo] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, _Field):
                    found[name] = value.info()
        cls.FIELDS = tuple(sorted(found.values(), key=lambda f: f.offset))

    def __init__(self, buf: Buffer, offset: int, limit: int | None = None) -> None:
        self.buf = buf
        self.offset = offset
        self.limit = len(buf) if limit is None else min(limit, len(buf))
        if offset < 0 or offset + self.FIXED_LENGTH > self.limit:
            raise RomFormatError(
                f"{self.NAME} at 0x{offset:X} is truncated or outside the image",
                expected=f"0x{self.FIXED_LENGTH:X} bytes before 0x{self.limit:X}",
                actual=f"{max(self.limit - offset, 0)} bytes",
            )
        if self.SIGNATURE and bytes(buf[offset : offset + len(self.SIGNATURE)]) != self.SIGNATURE:
            raise RomFormatError(
                f"no {self.NAME} signature at 0x{offset:X}",
                expected=self.SIGNATURE.decode("latin-1"),
                actual=bytes(buf[offset : offset + len(self.SIGNATURE)]).decode("latin-1"),
            )

    # --- raw access (bounds-checked) -------------------------------------------------

    def _check(self, rel: int, size: int) -> int:
        start = self.offset + rel
        if rel < 0 or start + size > self.limit:
            raise RomFormatError(
                f"{self.NAME} at 0x{self.offset:X}: +0x{rel:X} runs past the end of the image",
                address=start,
            )
        return start

    def read_uint(self, rel: int, size: int) -> int:
        """Little-endian unsigned integer at ``rel`` bytes into the structure."""
        start = self._check(rel, size)
        return int.from_bytes(self.buf[start : start + size], "little")

    def write_uint(self, rel: int, size: int, value: int) -> None:
        """Store ``value`` little-endian at ``rel``; it must fit in ``size`` bytes."""
        if not 0 <= value < (1 << (8 * size)):
            raise ValueError(f"{value} does not fit in {size} byte(s)")
        self.write_bytes(rel, value.to_bytes(size, "little"))

    def read_bytes(self, rel: int, size: int) -> bytes:
        start = self._check(rel, size)
        return bytes(self.buf[start : start + size])

    def write_bytes(self, rel: int, value: bytes) -> None:
        start = self._check(rel, len(value))
        if not isinstance(self.buf, bytearray):
            raise TypeError(f"{self.NAME} view is read-only (made over bytes, not bytearray)")
        self.buf[start : start + len(value)] = value

    # --- what subclasses refine ------------------------------------------------------

    def declared_length(self) -> int:
        """The structure's length in bytes as it declares it (default: the fixed length)."""
        return self.FIXED_LENGTH

    def field_present(self, rel: int, size: int) -> bool:
        """True when an optional field at ``rel`` exists in this structure's revision."""
        return rel + size <= self.declared_length()

    def fields(self) -> Iterator[tuple[FieldInfo, int | bytes | None]]:
        """Every field with its current value (``None`` for absent optional fields)."""
        for f in self.FIELDS:
            yield f, getattr(self, f.name)

    def as_dict(self) -> dict[str, int | str | None]:
        """Field values for JSON: integers stay integers, raw bytes become hex strings."""
        out: dict[str, int | str | None] = {}
        for f, value in self.fields():
            out[f.name] = value.hex() if isinstance(value, bytes) else value
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at 0x{self.offset:X}>"


class ChecksummedView(HeaderView):
    """A structure that carries its own 8-bit checksum over :meth:`checksum_length` bytes."""

    CHECKSUM_AT: ClassVar[int] = 0

    def checksum_length(self) -> int:
        """How many bytes the checksum covers (the structure's own length field)."""
        return self.declared_length()

    def checksum_fits(self) -> bool:
        """True when the checksummed bytes lie inside the region the view may use."""
        n = self.checksum_length()
        return n > self.CHECKSUM_AT and self.offset + n <= self.limit

    def length_problem(self) -> str:
        """Why the checksummed length is unusable (for messages; see :meth:`checksum_fits`)."""
        n = self.checksum_length()
        if n <= self.CHECKSUM_AT:
            return (
                f"{self.NAME} at 0x{self.offset:X}: its length field says {n} bytes,"
                " too short to hold its own checksum"
            )
        return f"{self.NAME} at 0x{self.offset:X} claims {n} bytes, past the end of the image"

    def checksum_sum(self) -> int:
        """8-bit sum over the checksummed bytes (0 means valid).

        Raises:
            RomFormatError: the length field points past the end of the image.
        """
        if not self.checksum_fits():
            raise RomFormatError(self.length_problem())
        return sum8(self.buf, self.offset, self.offset + self.checksum_length())

    def checksum_ok(self) -> bool:
        return self.checksum_fits() and self.checksum_sum() == 0

    def fix_checksum(self, length: int | None = None) -> int:
        """Make the structure sum to 0 by setting its checksum byte.

        Args:
            length: bytes to cover; ``None`` uses the structure's own length field (iPXE's
                rule). Etherboot's makerom uses fixed lengths instead (0x20 for PnP, 0x16
                for UNDI) and passes them here.

        Returns:
            The new checksum byte.
        """
        if not isinstance(self.buf, bytearray):
            raise TypeError(f"{self.NAME} view is read-only (made over bytes, not bytearray)")
        n = self.checksum_length() if length is None else length
        if length is None and not self.checksum_fits():
            raise RomFormatError(self.length_problem())
        if self.offset + n > self.limit:
            raise RomFormatError(
                f"{self.NAME} at 0x{self.offset:X}: checksum over 0x{n:X} bytes runs past"
                " the end of the image",
            )
        return fix_sum8(self.buf, self.offset, n, self.offset + self.CHECKSUM_AT)


def read_cstring(buf: Buffer, start: int, limit: int, max_len: int = 256) -> str | None:
    """A NUL-terminated ASCII string at ``start`` (None when it does not fit or is binary).

    Printable ASCII only (what the PnP spec's strings are); other bytes are shown as ``?``
    rather than rejected, because real ROMs carry the odd Latin-1 character. A string that
    hits ``limit`` or ``max_len`` before its NUL is cut there.
    """
    if not 0 <= start < min(limit, len(buf)):
        return None
    end = min(limit, len(buf), start + max_len)
    raw = bytes(buf[start:end])
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw)
