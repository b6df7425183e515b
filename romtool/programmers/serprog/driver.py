"""The serprog driver: a raw parallel bus on a Serial Flasher Protocol device.

The driver opens the link, synchronises, runs the init queries and hands out a
:class:`~.bus.SerprogBus`; the host runs the chip algorithms on it (through the bus-programmer
adapter). What the driver decides itself is which parts a serprog board can take at all:

* **No UV/OTP EPROMs.** Serprog has no command for VPP or for 12 V on A9; a 27C part could be
  read but never programmed or identified. :meth:`SerprogDriver.check_part` refuses them for
  writing with that reason (reading an EPROM in a 28/32-pin socket works: it is a plain read
  cycle).
* **5 V parts only, within the address lines.** Q_CHIPSIZE says how many address lines reach
  the socket; a larger part is refused before any cycle.
"""

from __future__ import annotations

from collections.abc import Callable

from romtool.chips.spec import ChipSpec
from romtool.errors import DeviceError, ProgrammerError
from romtool.programmers.serprog.bus import SerprogBus
from romtool.programmers.serprog.client import DeviceInfo, SerprogClient
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings

NO_VPP_HINT = (
    "serprog boards have no programming voltage: use a programmer with VPP "
    "(romprog, tl866) for 27C EPROMs"
)
SUPPLY_MV = 5000
"""The only VCC a serprog board offers (its logic supply)."""


class NoVppError(ProgrammerError):
    """The part needs VPP, which serprog cannot drive (exit status 3)."""


class SerprogDriver:
    """A serprog device as a raw-bus driver.

    Args:
        connect: opens the byte link (a serial port, a TCP socket, the in-process simulator).
        settings: timeouts.
        trace: receives one line per command.
        label: the spec string, for messages.
    """

    kind = "serprog"

    def __init__(
        self,
        connect: Callable[[], ByteLink],
        *,
        settings: Settings | None = None,
        trace: Callable[[str], None] | None = None,
        label: str = "serprog",
    ) -> None:
        self.connect = connect
        self.settings = settings or Settings()
        self.trace = trace
        self.label = label
        self.client: SerprogClient | None = None
        self.device: DeviceInfo | None = None
        self._bus: SerprogBus | None = None

    def open(self) -> None:
        """Open the link, synchronise and query the device (idempotent).

        Raises:
            TransportError: the port cannot be opened.
            ProtocolError: no serprog device, or one without a parallel bus.
        """
        if self._bus is not None:
            return
        link = self.connect()
        client = SerprogClient(link, self.settings, self.trace)
        try:
            client.sync()
            info = client.init()
        except BaseException:
            link.close()
            raise
        self.client, self.device = client, info
        self._bus = SerprogBus(client, info)

    def close(self) -> None:
        """Flush, turn the bus drivers off and close the link (never raises)."""
        client, bus = self.client, self._bus
        self.client = None
        self._bus = None
        if client is None:
            return
        try:
            if bus is not None:
                bus.flush()
        except (ProgrammerError, OSError):
            pass
        client.shutdown()
        client.link.close()

    def bus(self) -> SerprogBus:
        """The device's parallel bus.

        Raises:
            DeviceError: not open.
        """
        if self._bus is None:
            raise DeviceError("the serprog device is not open", op=self.label)
        return self._bus

    def check_part(self, chip: ChipSpec, *, writing: bool) -> None:
        """Refuse parts the board cannot handle.

        Raises:
            NoVppError: an EPROM (when ``writing``): no VPP on serprog.
            ProgrammerError: a part larger than the board's address lines, or one that needs
                a supply other than 5 V.
        """
        if chip.technology.is_eprom and writing:
            raise NoVppError(
                f"{chip.name} is a {chip.technology.value} and needs "
                f"{(chip.voltages.vpp_mv or 12500) / 1000:g} V VPP to program",
                op="program",
                hint=NO_VPP_HINT,
            )
        if chip.voltages.vcc_read_mv != SUPPLY_MV:
            raise ProgrammerError(
                f"{chip.name} runs at {chip.voltages.vcc_read_mv / 1000:g} V; serprog parallel "
                "boards drive the socket at 5 V",
                op="select",
            )
        info = self.device
        if info is not None and info.max_chip is not None and chip.size > info.max_chip:
            raise ProgrammerError(
                f"{chip.name} ({chip.size // 1024} KiB) needs more address lines than this "
                f"board has ({info.address_lines}: {info.max_chip // 1024} KiB)",
                op="select",
            )

    def limits(self) -> dict[str, object]:
        """Device facts for ``--json`` and ``-v`` output."""
        info = self.device
        if info is None:
            return {}
        return {
            "name": info.name,
            "serbuf": info.serbuf,
            "opbuf": info.opbuf,
            "wrnmaxlen": info.wrnmaxlen,
            "rdnmaxlen": info.rdnmaxlen,
            "address_lines": info.address_lines,
        }

    def description(self) -> str:
        info = self.device
        if info is None:
            return f"{self.label} (not open)"
        lines = f", {info.address_lines} address lines" if info.address_lines else ""
        return (
            f"serprog {info.name!r} on {self.label}: parallel bus{lines}, "
            f"{info.opbuf}-byte operation buffer"
        )
