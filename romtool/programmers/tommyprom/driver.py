"""The TommyPROM programmer: reads and writes through the sketch's R and W commands.

TommyPROM runs its chip algorithm on the Arduino (28C block writes with data polling, SST39SF
byte programs, sector erase), so this is a smart programmer: romtool sends whole 128-byte
XMODEM packets and the sketch burns each one before acknowledging it.

What the driver adds for a safe write:

* **Padding from the chip.** XMODEM moves whole 128-byte packets. Bytes of the first and last
  packet outside the image are filled with what the chip holds there (read first), so a write
  never changes bytes the image does not cover; at the end of the chip the packet run is moved
  down to end at the chip's end.
* **Family check.** The sketch's part family is fixed when it is compiled; its banner names it.
  A part of another family is refused before anything is written.
* **SDP.** TommyPROM's 28C writes carry no SDP prefix, so a write-protected 28C part would
  ignore them. For parts with optional SDP the driver sends ``U`` (unlock) once per session
  before writing, and ``L`` after it when ``lock=yes`` was given.
* **No VPP.** 27-series sketches need VPP switched by hand; romtool refuses to write EPROMs
  through TommyPROM (reading them is fine).

Progress is committed per acknowledged packet, so a write interrupted by a lost link resumes
at a packet boundary.
"""

from __future__ import annotations

from collections.abc import Callable

from romtool.chips.spec import ChipSpec, SdpMode, Technology
from romtool.errors import DeviceError, ProgrammerError, TransportError, UsageError
from romtool.events import Reporter
from romtool.programmers.base import (
    Capability,
    CommitCallback,
    Programmer,
    ProgrammerInfo,
    ProgramReport,
    nullable,
    refuse_eprom_erase,
)
from romtool.programmers.tommyprom.terminal import Banner, Terminal
from romtool.programmers.tommyprom.xmodem import PACKET
from romtool.programmers.transports.serial import ByteLink
from romtool.ranges import Range
from romtool.settings import Settings

PACKET_BURN_S = 0.25
"""Budget for burning one 128-byte packet before its ACK: two 28C pages at 10 ms, or 128 SST
byte programs at 20 µs plus the sketch's bus time, with a wide margin."""
WRITE_FAILED = "Write failed"
"""The sketch's status when a block did not burn (the chip, not the wire)."""
ERASE_SECTOR_S = 0.05
"""Budget per 4 KiB SST39SF sector erase (18 ms typical)."""


class FamilyMismatch(ProgrammerError):
    """The sketch was compiled for another part family (exit status 3)."""


def family_of(banner: Banner) -> Technology | None:
    """The chip technology the sketch's name stands for (None: unknown or read-only)."""
    name = banner.name.upper()
    if "28C" in name:
        return Technology.EEPROM
    if "SST39" in name:
        return Technology.JEDEC_FLASH
    if "27" in name:
        return Technology.UV_EPROM
    return None


class TommyPromProgrammer(Programmer):
    """A TommyPROM on a serial port.

    Args:
        connect: opens the byte link.
        settings: timeouts and retries.
        trace: receives the command lines and answers.
        label: the spec string, for messages.
        lock: re-enable SDP (``L``) after writing parts that have it.
    """

    kind = "tommyprom"

    def __init__(
        self,
        connect: Callable[[], ByteLink],
        *,
        settings: Settings | None = None,
        trace: Callable[[str], None] | None = None,
        label: str = "tommyprom",
        lock: bool = False,
    ) -> None:
        super().__init__()
        self.connect = connect
        self.settings = settings or Settings()
        self.trace = trace
        self.label = label
        self.lock = lock
        self.term: Terminal | None = None
        self.banner: Banner | None = None
        self.family: Technology | None = None
        self._unlocked = False
        self.capabilities = frozenset({Capability.DEVICE_ALGORITHMS, Capability.PAGE_WRITE})

    # --- lifecycle -----------------------------------------------------------------------

    def open(self) -> None:
        if self.term is not None:
            return
        link = self.connect()
        term = Terminal(link, self.settings, self.trace)
        try:
            banner = term.hello()
        except BaseException:
            link.close()
            raise
        self.term, self.banner = term, banner
        self.family = family_of(banner)
        self._unlocked = False
        caps = {Capability.DEVICE_ALGORITHMS, Capability.PAGE_WRITE}
        if self.family is Technology.JEDEC_FLASH:
            caps |= {Capability.ERASE, Capability.SECTOR_ERASE}
        self.capabilities = frozenset(caps)

    def close(self) -> None:
        term, self.term = self.term, None
        if term is not None:
            term.link.close()

    def info(self) -> ProgrammerInfo:
        b = self.banner
        text = f"TommyPROM {b.version} ({b.name}) on {self.label}" if b else self.label
        limits: dict[str, object] = {"packet": PACKET}
        if b is not None:
            limits.update(version=b.version, sketch=b.name)
        return ProgrammerInfo(self.kind, text, self.capabilities, limits)

    def now(self) -> float:
        return self.term.link.now() if self.term is not None else super().now()

    def _term(self, op: str) -> Terminal:
        if self.term is None:
            raise DeviceError("the TommyPROM is not open", op=op)
        return self.term

    # --- parts ---------------------------------------------------------------------------

    def select(self, chip: ChipSpec) -> None:
        """Check the part against the sketch's compiled family.

        Raises:
            FamilyMismatch: an EEPROM on a flash sketch or the other way round.
        """
        family = self.family
        tech = chip.technology
        wanted = Technology.UV_EPROM if tech.is_eprom else tech
        if tech is Technology.PAGE_FLASH:
            raise FamilyMismatch(
                f"TommyPROM has no page-mode flash algorithm for {chip.name}", op="select"
            )
        if family is not None and wanted is not family and not tech.is_eprom:
            sketch = self.banner.name if self.banner else "?"
            raise FamilyMismatch(
                f"this TommyPROM sketch is built for {sketch}, not for {chip.name} ({tech.value})",
                op="select",
                hint="rebuild the sketch with the matching PROM_IS_... line in Configure.h",
            )
        super().select(chip)

    def _writable(self, op: str) -> ChipSpec:
        chip = self._need_chip(op)
        if chip.technology.is_eprom or self.family is Technology.UV_EPROM:
            raise ProgrammerError(
                f"romtool does not program EPROMs ({chip.name}) through TommyPROM: its 27-series "
                "mode needs VPP switched by hand",
                op=op,
                hint="use a programmer with VPP (romprog, tl866)",
            )
        return chip

    # --- operations ----------------------------------------------------------------------

    def read(self, rng: Range, reporter: Reporter | None = None) -> bytes:
        self._check_range(rng, "read")
        rep = nullable(reporter)
        rep.stage("read", len(rng))
        if not len(rng):
            return b""
        term = self._term("read")
        attempts = self.settings.retries.operation
        for attempt in range(attempts + 1):
            try:
                return term.receive(rng.start, rng.stop - 1, lambda n: rep.progress(n, len(rng)))
            except TransportError:
                raise
            except ProgrammerError:
                if attempt == attempts:
                    raise
                rep.warn(f"read of {rng} failed; reading it again")
                term.resync("read")
        raise AssertionError("unreachable")  # pragma: no cover

    def program(
        self,
        address: int,
        data: bytes,
        reporter: Reporter | None = None,
        on_commit: CommitCallback | None = None,
    ) -> ProgramReport:
        chip = self._check_range(Range.sized(address, len(data)), "program")
        self._writable("program")
        rep = nullable(reporter)
        rep.stage("write", len(data))
        if not data:
            return ProgramReport(committed=0)
        term = self._term("program")
        if chip.sdp is SdpMode.OPTIONAL and self.family is Technology.EEPROM:
            self._sdp(unlock=True)
        start, payload = self._packets(chip, address, data)
        lead = address - start
        sent = [0]  # payload bytes the sketch has burned and acknowledged

        def acked(n: int, base: int) -> None:
            sent[0] = base + n
            done = max(0, min(len(data), sent[0] - lead))
            rep.progress(done, len(data))
            if on_commit is not None and done:
                on_commit(done)

        retries = self.settings.retries.operation
        for attempt in range(retries + 1):
            base = sent[0]

            def on_packet(n: int, base: int = base) -> None:
                acked(n, base)

            try:
                term.send(
                    start + base,
                    payload[base:],
                    packet_timeout_s=PACKET_BURN_S + self.settings.timeouts.command_s,
                    on_packet=on_packet,
                )
                break
            except TransportError:
                raise  # the port is gone: ops saves the journal for --resume
            except ProgrammerError as exc:
                # A chip that would not take a packet is not retried; a transfer spoiled on
                # the wire is, from the first packet not yet burned.
                if attempt == retries or WRITE_FAILED in str(exc):
                    raise
                rep.warn(f"transfer stopped at 0x{start + sent[0]:X} ({exc}); sending the rest")
                term.resync("program")
        if self.lock and chip.sdp is SdpMode.OPTIONAL and self.family is Technology.EEPROM:
            self._sdp(unlock=False)
        return ProgramReport(committed=len(data), retried_frames=term.packets_resent)

    def _packets(self, chip: ChipSpec, address: int, data: bytes) -> tuple[int, bytes]:
        """Whole packets covering ``data``, padded with the chip's own bytes."""
        length = -(-len(data) // PACKET) * PACKET
        if length > chip.size:
            raise UsageError(f"{chip.name} is smaller than one {PACKET}-byte XMODEM packet")
        start = min(address, chip.size - length)
        lead = address - start
        tail = length - lead - len(data)
        before = self.read(Range.sized(start, lead)) if lead else b""
        after = self.read(Range.sized(address + len(data), tail)) if tail else b""
        return start, before + data + after

    def _sdp(self, *, unlock: bool) -> None:
        if unlock and self._unlocked:
            return
        text = self._term("sdp").run("U" if unlock else "L")
        if "OK" not in text:
            raise DeviceError(
                f"TommyPROM could not {'unlock' if unlock else 'lock'} SDP: {text.strip()}",
                op="sdp",
            )
        self._unlocked = unlock

    def erase(self, reporter: Reporter | None = None, *, sector: Range | None = None) -> None:
        chip = self._need_chip("erase")
        refuse_eprom_erase(chip)
        self._writable("erase")
        if self.family is not Technology.JEDEC_FLASH:
            if chip.technology is Technology.EEPROM:
                raise UsageError(f"{chip.name} needs no erase: each write replaces the bytes")
            raise ProgrammerError("this TommyPROM sketch cannot erase", op="erase")
        rng = sector or Range(0, chip.size)
        count = max(1, -(-len(rng) // 4096))
        text = self._term("erase").run(
            f"E{rng.start:x} {rng.stop - 1:x}",
            timeout_s=self.settings.timeouts.command_s + count * ERASE_SECTOR_S,
        )
        if "OK" not in text.split():
            raise DeviceError(f"TommyPROM erase failed: {text.strip()}", op="erase")
