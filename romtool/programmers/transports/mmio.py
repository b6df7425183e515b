"""Byte access to the ISA option-ROM area of physical memory (``/dev/mem``), and nothing else.

This is the only module in romtool that maps ``/dev/mem``. Every physical access made by the
FlashCard driver and by ``scan --memory`` goes through :class:`IsaMemory`, whose one guard
refuses any address outside the ISA option-ROM area ``0xC0000-0xEFFFF`` (and outside the part
that was mapped), whatever the caller asks. Below that area lie DOS memory and the video
buffer, above it the system BIOS: a stray write there can crash the machine or, on boards
with writable BIOS flash, brick it.

Two backends share that guard:

* :class:`MappedMemory` maps a file with ``mmap``: ``/dev/mem`` itself, or any regular file
  that stands for physical memory from address 0 (a dump of the first megabyte, a test
  fixture). ``/dev/mem`` is opened with ``O_SYNC`` so that x86 Linux maps the window
  uncached: status polling must see the chip, not a cache line.
* the FlashCard simulator subclasses :class:`IsaMemory` and decodes addresses to chip models.

Single bytes are read and written with one byte-wide load or store (``mmap`` indexing), which
is what flash command cycles need; block reads copy a slice.
"""

from __future__ import annotations

import errno
import mmap
import os
import stat
from types import TracebackType

from romtool.errors import TransportError, UsageError
from romtool.ranges import Range

ISA_ROM_AREA = Range(0xC0000, 0xF0000)
"""The upper memory area where ISA adapter ROMs live (C000:0 up to, not including, the system
BIOS at F000:0). The classic PC/AT BIOS scans it for ``55 AA`` in 2 KiB steps."""

DEV_MEM = "/dev/mem"
"""The Linux character device for physical memory (needs root and CAP_SYS_RAWIO)."""

_PAGE = mmap.ALLOCATIONGRANULARITY
"""mmap offsets must be multiples of this (4 KiB on x86 Linux)."""


class MemoryAccessRefused(UsageError):
    """An access outside the ISA option-ROM area or outside the mapped window was asked."""


class DevMemError(TransportError):
    """``/dev/mem`` (or the file standing for it) cannot be opened or mapped."""


def check_isa_range(region: Range, *, op: str) -> None:
    """Refuse ``region`` unless it lies wholly in :data:`ISA_ROM_AREA`.

    Raises:
        MemoryAccessRefused: naming the first offending address.
    """
    if not len(region):
        return
    if not ISA_ROM_AREA.contains_range(region):
        bad = region.start if region.start not in ISA_ROM_AREA else ISA_ROM_AREA.stop
        raise MemoryAccessRefused(
            f"refused: {region} is outside the ISA option-ROM area {ISA_ROM_AREA}",
            op=op,
            address=bad,
            hint="romtool only touches physical memory between 0xC0000 and 0xEFFFF",
        )


class IsaMemory:
    """Physical byte access restricted to one region of the ISA option-ROM area.

    Subclasses implement :meth:`_read_byte`, :meth:`_write_byte` and :meth:`_read_block`
    over physical addresses; the public methods check every address first.

    Args:
        region: the physical addresses this object may touch; must lie in
            :data:`ISA_ROM_AREA`.
        writable: whether writes are allowed at all (``scan --memory`` opens read-only).

    Raises:
        MemoryAccessRefused: ``region`` leaves the ISA option-ROM area.
    """

    def __init__(self, region: Range, *, writable: bool) -> None:
        check_isa_range(region, op="map")
        self.region = region
        self.writable = writable

    # --- the guard --------------------------------------------------------------------

    def _check(self, address: int, length: int, op: str) -> None:
        wanted = Range.sized(address, length) if address >= 0 else None
        if wanted is None:
            raise MemoryAccessRefused("refused: negative address", op=op, address=0)
        check_isa_range(wanted, op=op)
        if not self.region.contains_range(wanted):
            bad = address if address not in self.region else self.region.stop
            raise MemoryAccessRefused(
                f"refused: {wanted} is outside the mapped window {self.region}",
                op=op,
                address=bad,
            )

    # --- public access ----------------------------------------------------------------

    def read_byte(self, address: int) -> int:
        """One byte-wide read at physical ``address``."""
        self._check(address, 1, "read")
        return self._read_byte(address)

    def write_byte(self, address: int, value: int) -> None:
        """One byte-wide write of ``value`` (0..255) at physical ``address``."""
        self._check(address, 1, "write")
        if not self.writable:
            raise MemoryAccessRefused("refused: memory was opened read-only", op="write")
        if not 0 <= value <= 0xFF:
            raise MemoryAccessRefused(f"refused: {value} is not a byte value", op="write")
        self._write_byte(address, value)

    def read(self, address: int, length: int) -> bytes:
        """``length`` bytes from physical ``address`` (the chip must be in read-array mode)."""
        if length < 0:
            raise MemoryAccessRefused("refused: negative length", op="read", address=address)
        self._check(address, length, "read")
        return self._read_block(address, length) if length else b""

    def close(self) -> None:
        """Release the mapping (idempotent)."""

    def __enter__(self) -> IsaMemory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- backend ----------------------------------------------------------------------

    def _read_byte(self, address: int) -> int:
        raise NotImplementedError

    def _write_byte(self, address: int, value: int) -> None:
        raise NotImplementedError

    def _read_block(self, address: int, length: int) -> bytes:
        return bytes(self._read_byte(a) for a in range(address, address + length))


class MappedMemory(IsaMemory):
    """:class:`IsaMemory` over an ``mmap`` of ``/dev/mem`` or of a file standing for it.

    A regular file stands for physical memory from address 0: byte ``0xD0000`` of the file is
    physical address ``0xD0000``. It must be at least ``region.stop`` bytes long.

    Args:
        region: physical addresses to map (inside :data:`ISA_ROM_AREA`).
        path: ``/dev/mem`` (default) or a file.
        writable: open for writing (the FlashCard driver) or read-only (``scan --memory``).

    Raises:
        MemoryAccessRefused: ``region`` leaves the ISA option-ROM area.
        DevMemError: the device or file cannot be opened or mapped; the message says why
            and what to do (root, CAP_SYS_RAWIO, kernel lockdown, STRICT_DEVMEM).
    """

    def __init__(self, region: Range, *, path: str = DEV_MEM, writable: bool = False) -> None:
        super().__init__(region, writable=writable)
        self.path = path
        start = region.start - region.start % _PAGE
        self._skew = region.start - start
        length = region.stop - start
        flags = os.O_RDWR if writable else os.O_RDONLY
        is_devmem = os.path.realpath(path) == DEV_MEM
        if is_devmem:
            # O_SYNC: x86 Linux then maps the window uncached, so every poll reaches the chip.
            flags |= os.O_SYNC
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise _open_error(path, exc, is_devmem) from None
        try:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_size < region.stop:
                raise DevMemError(
                    "file is too short to stand for physical memory",
                    path=path,
                    expected=f"at least {region.stop:#x} bytes",
                    actual=f"{info.st_size:#x}",
                    hint="a memory image holds physical memory from address 0",
                )
            prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
            try:
                self._map: mmap.mmap | None = mmap.mmap(
                    fd, length, flags=mmap.MAP_SHARED, prot=prot, offset=start
                )
            except OSError as exc:
                raise _map_error(path, region, exc, is_devmem) from None
        finally:
            os.close(fd)

    def _mm(self) -> mmap.mmap:
        if self._map is None:
            raise DevMemError("memory window is closed", path=self.path)
        return self._map

    def _read_byte(self, address: int) -> int:
        return self._mm()[address - self.region.start + self._skew]

    def _write_byte(self, address: int, value: int) -> None:
        self._mm()[address - self.region.start + self._skew] = value

    def _read_block(self, address: int, length: int) -> bytes:
        pos = address - self.region.start + self._skew
        return self._mm()[pos : pos + length]

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


def _open_error(path: str, exc: OSError, is_devmem: bool) -> DevMemError:
    if exc.errno == errno.ENOENT:
        hint = (
            "this system has no /dev/mem (a container?); use a memory image instead: "
            "scan --memory --mem-device FILE, or flashcard:ADDR,mem=FILE"
            if is_devmem
            else None
        )
        return DevMemError("no such file", path=path, hint=hint)
    if exc.errno == errno.EACCES:
        return DevMemError(
            "permission denied",
            path=path,
            expected="root (uid 0)" if is_devmem else None,
            actual=f"uid {os.geteuid()}" if is_devmem else None,
            hint="run romtool with sudo" if is_devmem else None,
        )
    if exc.errno == errno.EPERM and is_devmem:
        if os.geteuid() != 0:
            return DevMemError(
                "operation not permitted",
                path=path,
                hint="opening /dev/mem needs root and CAP_SYS_RAWIO: run romtool with sudo",
            )
        return DevMemError(
            "the kernel refuses to open /dev/mem although running as root",
            path=path,
            hint=(
                "the kernel is locked down (usually because of Secure Boot; see "
                "/sys/kernel/security/lockdown) or CAP_SYS_RAWIO was dropped: "
                "disable Secure Boot or run outside the restricted container"
            ),
        )
    return DevMemError(f"cannot open: {exc.strerror or exc}", path=path)


def _map_error(path: str, region: Range, exc: OSError, is_devmem: bool) -> DevMemError:
    if is_devmem and exc.errno in (errno.EPERM, errno.EACCES, errno.EINVAL):
        return DevMemError(
            f"the kernel refuses to map {region} from /dev/mem ({exc.strerror})",
            path=path,
            hint=(
                "the kernel restricts /dev/mem (CONFIG_STRICT_DEVMEM / IO_STRICT_DEVMEM): "
                "reboot with the kernel parameter iomem=relaxed, which lets root map memory "
                "that a driver has claimed"
            ),
        )
    return DevMemError(f"cannot map {region}: {exc.strerror or exc}", path=path)
