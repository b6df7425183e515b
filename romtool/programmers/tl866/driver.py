"""The ``tl866[:SERIAL]`` programmer: XGecu TL866II+ and T48 over USB.

The TL866 is a smart programmer: the firmware runs the chip algorithm chosen by the profile's
``protocol_id``/``variant``, so this driver sends a profile (:mod:`.profiles`, or an entry of
the user's minipro ``infoic.xml`` via :mod:`.infoic`) and data. Every operation is one
transaction (begin ... end, sections 1.7 and 1.8 of the protocol reference), and every path out
of a transaction, failures included, sends end-transaction so the socket is powered down.

Options (from the spec string ``tl866[:SERIAL][,k=v...]``):

* ``infoic=FILE``: minipro's database (default ``$ROMTOOL_INFOIC``, then minipro's install);
* ``unverified=yes``: accept a built-in profile with estimated fields (see :mod:`.profiles`);
* ``unprotect=no``: do not send protect-off before writing SDP parts (default: send it);
* ``protect=yes``: send protect-on after writing SDP parts (default: leave it off);
* ``part=NAME``: a part from minipro's database that romtool's chip database lacks (used
  when ``-c`` is not given; see :mod:`.chipinfo`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from romtool.chips.spec import ChipId, ChipSpec
from romtool.errors import (
    ChipDatabaseError,
    ProgrammerError,
    RomtoolError,
    TransportError,
    UsageError,
)
from romtool.events import Reporter
from romtool.programmers.base import (
    Capability,
    CommitCallback,
    Programmer,
    ProgrammerInfo,
    ProgramReport,
    nullable,
)
from romtool.programmers.tl866 import infoic
from romtool.programmers.tl866 import protocol as p
from romtool.programmers.tl866.chipinfo import chipspec_from_profile
from romtool.programmers.tl866.profiles import Tl866Profile, find_builtin
from romtool.programmers.tl866.session import Tl866Session
from romtool.programmers.transports.usb import UsbDevice, UsbLink, find_devices, get_backend
from romtool.ranges import Range

BOOTLOADER_HINT = (
    "the programmer is in its bootloader (firmware update mode): unplug it and plug it back "
    "in; if it stays there, reinstall the firmware with the vendor's tool"
)


@dataclass(frozen=True)
class DetectedTl866:
    """One connected programmer as ``romtool programmers`` lists it."""

    model: str
    firmware: str
    serial: str
    location: str
    bootloader: bool
    error: str | None = None


def _identify_device(dev: UsbDevice) -> tuple[UsbLink, p.SystemInfo]:
    link = dev.open()
    try:
        return link, Tl866Session.system_info(link)
    except RomtoolError:
        link.close()
        raise


def detect(backend: Any = None) -> list[DetectedTl866]:
    """Every connected TL866II+/T48 with model, firmware and serial (for listings).

    A device that cannot be opened (permissions, busy) is listed with its error instead of
    stopping the listing.
    """
    out: list[DetectedTl866] = []
    for dev in find_devices(p.VENDOR_ID, p.PRODUCT_ID, backend=backend):
        try:
            link, info = _identify_device(dev)
        except RomtoolError as exc:
            out.append(DetectedTl866("?", "?", "?", dev.info.location, False, str(exc)))
            continue
        link.close()
        out.append(
            DetectedTl866(
                info.model_name,
                info.firmware,
                info.serial,
                dev.info.location,
                info.in_bootloader,
            )
        )
    return out


def _yes(value: str | None, default: bool, key: str) -> bool:
    if value is None:
        return default
    v = value.strip().lower()
    if v in ("1", "yes", "y", "true", "on"):
        return True
    if v in ("0", "no", "n", "false", "off"):
        return False
    raise UsageError(f"bad value {value!r} for tl866 option {key}: expected yes or no")


class Tl866Programmer(Programmer):
    """XGecu TL866II+ / T48 driver.

    Args:
        serial: open the programmer with this serial number (default: the first found).
        infoic_path: minipro infoic.xml to take profiles from.
        allow_unverified: accept built-in profiles with estimated fields.
        unprotect: send protect-off before writing SDP parts.
        protect_after: send protect-on after writing SDP parts.
        part_name: a part named in minipro's database, offered as :attr:`part`.
        backend: a pyusb backend (default :func:`~romtool.programmers.transports.usb.get_backend`).
    """

    kind = "tl866"
    capabilities = frozenset(
        {
            Capability.VPP,
            Capability.A9_ID,
            Capability.SOFTWARE_ID,
            Capability.ERASE,
            Capability.PAGE_WRITE,
            Capability.DEVICE_ALGORITHMS,
        }
    )

    def __init__(
        self,
        serial: str | None = None,
        *,
        infoic_path: str | None = None,
        allow_unverified: bool = False,
        unprotect: bool = True,
        protect_after: bool = False,
        part_name: str | None = None,
        backend: Any = None,
    ) -> None:
        super().__init__()
        self.serial = serial or None
        self.infoic_path = infoic_path
        self.allow_unverified = allow_unverified
        self.unprotect = unprotect
        self.protect_after = protect_after
        self.part_name = part_name or None
        self._named: tuple[ChipSpec, Tl866Profile] | None = None
        self._backend = backend
        self._link: UsbLink | None = None
        self._session: Tl866Session | None = None
        self.profile: Tl866Profile | None = None

    @classmethod
    def from_options(cls, arg: str | None, options: dict[str, str]) -> Tl866Programmer:
        """Build from a parsed spec string ``tl866[:SERIAL][,k=v...]`` (options checked).

        Raises:
            UsageError: a yes/no option with another value.
        """
        return cls(
            arg,
            infoic_path=options.get("infoic"),
            allow_unverified=_yes(options.get("unverified"), False, "unverified"),
            unprotect=_yes(options.get("unprotect"), True, "unprotect"),
            protect_after=_yes(options.get("protect"), False, "protect"),
            part_name=options.get("part"),
        )

    # --- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Find the programmer (by serial when given), check its model and firmware mode.

        Raises:
            TransportError: none found, or none with that serial; permission denied.
            ProgrammerError: the device is in its bootloader, or is a model not supported.
        """
        backend = get_backend() if self._backend is None else self._backend
        found = find_devices(p.VENDOR_ID, p.PRODUCT_ID, backend=backend)
        if not found:
            raise TransportError(
                "no TL866II+ or T48 found on USB",
                op="open tl866",
                hint="plug the programmer in; 'romtool programmers' lists what is connected",
            )
        seen: list[str] = []
        for dev in found:
            link, info = _identify_device(dev)
            if self.serial is not None and info.serial != self.serial:
                seen.append(info.serial or "?")
                link.close()
                continue
            try:
                self._accept(info)
                self._session = Tl866Session(link, info)
            except RomtoolError:
                link.close()
                raise
            self._link = link
            return
        raise TransportError(
            f"no TL866 with serial {self.serial!r}",
            op="open tl866",
            hint="connected: " + ", ".join(seen),
        )

    @staticmethod
    def _accept(info: p.SystemInfo) -> None:
        if info.in_bootloader:
            raise ProgrammerError(
                f"{info.model_name} is in bootloader mode", op="open tl866", hint=BOOTLOADER_HINT
            )
        if not isinstance(info.model, p.Model) or info.model not in p.SUPPORTED_MODELS:
            raise ProgrammerError(
                f"{info.model_name} is not supported (romtool drives the TL866II+ and T48)",
                op="open tl866",
            )

    def close(self) -> None:
        """End any open transaction (socket power off) and release the USB interface."""
        if self._session is not None:
            self._session.end_quietly()
        if self._link is not None:
            self._link.close()
        self._link = None
        self._session = None

    def info(self) -> ProgrammerInfo:
        session = self._need_session("info")
        si = session.info
        limits: dict[str, Any] = {
            "model": si.model_name,
            "firmware": si.firmware,
            "serial": si.serial,
            "device_code": si.device_code,
        }
        if si.supply_volts is not None:
            limits["supply_volts"] = round(si.supply_volts, 2)
        if self.profile is not None:
            limits["profile_source"] = self.profile.source
        return ProgrammerInfo(
            self.kind,
            f"{si.model_name} firmware {si.firmware} serial {si.serial}",
            self.capabilities,
            limits,
        )

    def now(self) -> float:
        """Seconds on the programmer's time line: the simulated device's virtual clock when
        the USB backend models one, else monotonic wall time."""
        if self._link is not None:
            device = self._link.device_time_s()
            if device is not None:
                return device
        return time.monotonic()

    def _need_session(self, op: str) -> Tl866Session:
        if self._session is None:
            raise ProgrammerError("the programmer is not open", op=op)
        return self._session

    # --- chip selection --------------------------------------------------------------------

    @property
    def part(self) -> ChipSpec | None:
        """The part named with ``part=`` (described from minipro's database), or None.

        Raises:
            ChipDatabaseError: no infoic.xml, no such entry, or an entry the driver cannot
                run.
        """
        if self.part_name is None:
            return None
        if self._named is None:
            path = infoic.default_path(self.infoic_path)
            if path is None:
                raise ChipDatabaseError(
                    f"part={self.part_name} needs minipro's infoic.xml",
                    hint="add infoic=FILE, or set ROMTOOL_INFOIC",
                )
            profile = infoic.load(path).find(self.part_name)
            self._named = (chipspec_from_profile(profile, self.part_name), profile)
        return self._named[0]

    def find_profile(self, chip: ChipSpec) -> Tl866Profile:
        """The profile for ``chip``: the user's infoic.xml first, then the built-in table.

        Raises:
            ChipDatabaseError: no profile, a profile for another size, or a built-in profile
                with estimated fields that the user has not accepted.
        """
        if self._named is not None and chip is self._named[0]:
            return self._named[1]
        path = infoic.default_path(self.infoic_path)
        profile: Tl866Profile | None = None
        if path is not None:
            db = infoic.load(path)
            for name in chip.names:
                try:
                    profile = db.find(name)
                    break
                except ChipDatabaseError:
                    continue
        if profile is None:
            for name in chip.names:
                profile = find_builtin(name)
                if profile is not None:
                    break
        if profile is None:
            raise ChipDatabaseError(
                f"no TL866 profile for {chip.name}",
                hint="point romtool at minipro's database: -p tl866,infoic=/path/to/infoic.xml"
                " or ROMTOOL_INFOIC",
            )
        if profile.unverified and not self.allow_unverified:
            raise ChipDatabaseError(
                f"the built-in TL866 profile for {chip.name} has estimated fields ("
                + ", ".join(sorted(profile.unverified))
                + ")",
                hint="load minipro's infoic.xml (-p tl866,infoic=FILE), or accept the "
                "estimate with -p tl866,unverified=yes",
            )
        profile.check_usable()
        if profile.code_memory_size != chip.size:
            raise ChipDatabaseError(
                f"TL866 profile {profile.name} does not match {chip.name}'s size",
                expected=chip.size,
                actual=profile.code_memory_size,
            )
        return profile

    def select(self, chip: ChipSpec) -> None:
        """Choose the part: find its profile and check the connected model may use it."""
        profile = self.find_profile(chip)
        session = self._session
        if session is not None and not profile.available_on(session.model):
            raise ProgrammerError(
                f"{profile.name} is not available on the {session.info.model_name} "
                "(the database restricts it to another model)",
                op="select",
            )
        super().select(chip)
        self.profile = profile

    def _need_profile(self, op: str) -> tuple[Tl866Session, Tl866Profile, ChipSpec]:
        session = self._need_session(op)
        chip = self._need_chip(op)
        if self.profile is None:
            raise ProgrammerError("no TL866 profile selected", op=op)
        return session, self.profile, chip

    # --- operations ------------------------------------------------------------------------

    def identify(self) -> ChipId | None:
        """Read the id the programmer reports (EPROMs: A9 at 12 V, done by the firmware).

        Returns None for parts whose database entry has no id (28C EEPROMs).
        """
        session, profile, _chip = self._need_profile("identify")
        if not profile.has_chip_id:
            return None
        nbytes = profile.chip_id_bytes
        with session.transaction(profile):
            _type, value = session.chip_id(nbytes)
        return ChipId((value >> 8 * (nbytes - 1)) & 0xFF, value & 0xFF)

    def read(self, rng: Range, reporter: Reporter | None = None) -> bytes:
        """Read ``rng`` in read-buffer-sized blocks aligned to the buffer size."""
        session, profile, _chip = self._need_profile("read")
        self._check_range(rng, "read")
        rep = nullable(reporter)
        block = profile.read_buffer_size
        start = rng.start - rng.start % block
        out = bytearray()
        with session.transaction(profile):
            for piece in Range(start, rng.stop).chunks(block):
                length = self._read_length(piece, block, profile.code_memory_size)
                data = session.read_block(piece.start, length, word_bus=profile.word_bus)
                out += data[: len(piece)]
                rep.progress(max(0, min(piece.stop, rng.stop) - rng.start), len(rng))
        skip = rng.start - start
        return bytes(out[skip : skip + len(rng)])

    @staticmethod
    def _read_length(piece: Range, block: int, size: int) -> int:
        # The device reads whole blocks; a tail shorter than the buffer is read as a full
        # buffer where the chip has room (TL866II+ reads above 64 bytes must be multiples of
        # 128), and trimmed afterwards.
        if len(piece) == block or piece.start + block <= size:
            return block
        return len(piece)

    def program(
        self,
        address: int,
        data: bytes,
        reporter: Reporter | None = None,
        on_commit: CommitCallback | None = None,
    ) -> ProgramReport:
        """Write ``data`` at ``address`` in write-buffer blocks, polling status after each.

        Blocks only partly covered by ``data`` are completed with the chip's current bytes
        (read first), because the firmware writes and verifies whole blocks.

        Raises:
            ProgramFailure: the firmware's verify-while-write failed.
            DeviceError: overcurrent.
        """
        session, profile, chip = self._need_profile("program")
        rng = Range.sized(address, len(data))
        self._check_range(rng, "program")
        rep = nullable(reporter)
        block = profile.write_buffer_size
        if block <= 0:
            raise ChipDatabaseError(f"{profile.name}: the database entry has no write buffer size")
        start = rng.start - rng.start % block
        stop = min(chip.size, -(-rng.stop // block) * block)
        buf = bytearray(self._background(Range(start, stop), rng))
        buf[rng.start - start : rng.stop - start] = data
        with session.transaction(profile):
            if profile.protect_off_before_write and self.unprotect:
                session.protect(on=False)
            for piece in Range(start, stop).chunks(block):
                chunk = bytes(buf[piece.start - start : piece.stop - start])
                session.write_block(piece.start, chunk, word_bus=profile.word_bus)
                done = max(0, min(piece.stop, rng.stop) - rng.start)
                rep.progress(done, len(rng))
                if on_commit is not None:
                    on_commit(done)
            if profile.can_protect_after and self.protect_after:
                session.protect(on=True)
        return ProgramReport(committed=len(data))

    def _background(self, whole: Range, rng: Range) -> bytes:
        """The chip's current bytes under ``whole`` where ``rng`` does not cover it.

        Rewriting what the chip already holds is a no-op for every technology (an EPROM or
        JEDEC flash byte programmed to its own value, an EEPROM page or AT29 sector rewritten
        with its old contents), and the firmware's verify-while-write then passes for bytes
        outside ``rng``, which a 0xFF filler would not guarantee.
        """
        if whole == rng:
            return bytes(len(whole))
        return self.read(whole)

    def erase(self, reporter: Reporter | None = None, *, sector: Range | None = None) -> None:
        """Erase the whole chip (the TL866 protocol has no sector erase)."""
        session, profile, chip = self._need_profile("erase")
        if sector is not None:
            raise ProgrammerError("the TL866 erases whole chips only", op="erase")
        if not profile.can_erase:
            raise ProgrammerError(f"{chip.name} cannot be erased electrically", op="erase")
        rep = nullable(reporter)
        with session.transaction(profile):
            session.erase()
        rep.progress(chip.size, chip.size)
