"""Simulated TL866II+/T48 devices behind a pyusb backend.

:class:`SimUsbBackend` implements pyusb's ``IBackend`` contract (validators notes, section 5):
descriptors for one configuration with one vendor interface and six bulk endpoints, string
descriptors, and bulk transfers that go to :class:`~.device.SimTl866`. pyusb errors are raised
the way the libusb-1.0 backend raises them (``USBError`` with libusb's code and errno), so the
real driver and transport see exactly what they would see from hardware.

Attaching simulated devices to the real driver:

* in-process (tests): :func:`attach` a device, then set
  ``ROMTOOL_USB_BACKEND=romtool.programmers.sim.tl866.backend:factory``;
* from the shell (demos, other processes): ``ROMTOOL_USB_BACKEND=...backend:from_env`` and
  ``ROMTOOL_TL866_SIM="t48:AT28C256,state=chip.bin"`` (see :func:`parse_sim_spec`); the chip
  contents are loaded from and saved to the state file after every transaction.
"""

from __future__ import annotations

import errno
import os
import struct
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from romtool.chips.db import get_chip
from romtool.errors import UsageError
from romtool.fileio import write_atomic
from romtool.programmers.sim.inprocess import socket_chip
from romtool.programmers.sim.tl866.device import (
    MODEL_T48,
    MODEL_TL866II_PLUS,
    SimFaults,
    SimTl866,
    SimUsbError,
)
from romtool.programmers.transports.usb import (
    LIBUSB_ERROR_ACCESS,
    LIBUSB_ERROR_NOT_SUPPORTED,
    LIBUSB_ERROR_PIPE,
    usb_error,
)
from romtool.units import parse_int

VENDOR_ID = 0xA466
PRODUCT_ID = 0x0A53
ENV_SIM = "ROMTOOL_TL866_SIM"

_ENDPOINTS = (0x01, 0x81, 0x02, 0x82, 0x03, 0x83)
_BULK = 0x02
_DESC_DEVICE, _DESC_CONFIG, _DESC_STRING = 1, 2, 3
_GET_DESCRIPTOR = 0x06
_LANG_EN_US = 0x0409


class _DevRef:
    """The opaque device object pyusb passes back to the backend."""

    def __init__(self, sim: SimTl866, address: int) -> None:
        self.sim = sim
        self.address = address


def _ns(**kw: Any) -> SimpleNamespace:
    kw.setdefault("extra_descriptors", [])
    return SimpleNamespace(**kw)


class SimUsbBackend:
    """A pyusb backend whose bus holds simulated programmers.

    pyusb uses backends by duck typing; this class implements the methods of its
    ``IBackend`` (interrupt and isochronous transfers fail: the devices have none).

    Args:
        devices: the devices on the bus, or a callable returning them (so devices attached
            later are seen by the next enumeration).
        access_denied: every open fails with ``LIBUSB_ERROR_ACCESS``, the way libusb reports a
            device node the user may not open (no udev rule installed).
    """

    def __init__(
        self,
        devices: Sequence[SimTl866] | Callable[[], Sequence[SimTl866]],
        *,
        access_denied: bool = False,
    ) -> None:
        self._devices = devices
        self.access_denied = access_denied

    def _all(self) -> Sequence[SimTl866]:
        return self._devices() if callable(self._devices) else self._devices

    def device_time_s(self, address: int) -> float | None:
        """Virtual time (s) of the device at bus ``address`` (the transport's clock hook)."""
        for i, sim in enumerate(self._all()):
            if i + 2 == address:
                return sim.clock.now_s()
        return None

    # --- enumeration and descriptors -------------------------------------------------------

    def enumerate_devices(self) -> Any:
        for i, sim in enumerate(self._all()):
            if sim.plugged:
                yield _DevRef(sim, i + 2)

    def get_device_descriptor(self, dev: _DevRef) -> Any:
        high = dev.sim.model == MODEL_T48
        return _ns(
            bLength=18,
            bDescriptorType=_DESC_DEVICE,
            bcdUSB=0x0200,
            bDeviceClass=0,
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=64,
            idVendor=VENDOR_ID,
            idProduct=PRODUCT_ID,
            bcdDevice=0x0100,
            iManufacturer=1,
            iProduct=2,
            iSerialNumber=3,
            bNumConfigurations=1,
            bus=1,
            address=dev.address,
            port_number=dev.address,
            port_numbers=(dev.address,),
            speed=3 if high else 2,
        )

    def get_configuration_descriptor(self, dev: _DevRef, config: int) -> Any:
        if config != 0:
            raise IndexError("configuration index out of range")
        return _ns(
            bLength=9,
            bDescriptorType=_DESC_CONFIG,
            wTotalLength=9 + 9 + 7 * len(_ENDPOINTS),
            bNumInterfaces=1,
            bConfigurationValue=1,
            iConfiguration=0,
            bmAttributes=0x80,
            bMaxPower=250,
        )

    def get_interface_descriptor(self, dev: _DevRef, intf: int, alt: int, config: int) -> Any:
        # pyusb walks alternate settings until one raises: without this it never stops.
        if config != 0 or intf != 0 or alt != 0:
            raise IndexError("interface index out of range")
        return _ns(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=0,
            bAlternateSetting=0,
            bNumEndpoints=len(_ENDPOINTS),
            bInterfaceClass=0xFF,
            bInterfaceSubClass=0,
            bInterfaceProtocol=0,
            iInterface=0,
        )

    def get_endpoint_descriptor(
        self, dev: _DevRef, ep: int, intf: int, alt: int, config: int
    ) -> Any:
        if config != 0 or intf != 0 or alt != 0 or ep >= len(_ENDPOINTS):
            raise IndexError("endpoint index out of range")
        return _ns(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=_ENDPOINTS[ep],
            bmAttributes=_BULK,
            wMaxPacketSize=512 if dev.sim.model == MODEL_T48 else 64,
            bInterval=0,
            bRefresh=0,
            bSynchAddress=0,
        )

    # --- handles ---------------------------------------------------------------------------

    def open_device(self, dev: _DevRef) -> _DevRef:
        if self.access_denied:
            raise usb_error(
                "Access denied (insufficient permissions)", LIBUSB_ERROR_ACCESS, errno.EACCES
            )
        self._call(lambda: dev.sim._check_plugged())
        return dev

    def close_device(self, dev_handle: _DevRef) -> None:
        return None

    def set_configuration(self, dev_handle: _DevRef, config_value: int) -> None:
        self._call(lambda: dev_handle.sim._check_plugged())

    def get_configuration(self, dev_handle: _DevRef) -> int:
        return 1

    def claim_interface(self, dev_handle: _DevRef, intf: int) -> None:
        self._call(lambda: dev_handle.sim._check_plugged())

    def release_interface(self, dev_handle: _DevRef, intf: int) -> None:
        return None

    def clear_halt(self, dev_handle: _DevRef, ep: int) -> None:
        return None

    def reset_device(self, dev_handle: _DevRef) -> None:
        return None

    def is_kernel_driver_active(self, dev_handle: _DevRef, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: _DevRef, intf: int) -> None:
        return None

    def attach_kernel_driver(self, dev_handle: _DevRef, intf: int) -> None:
        return None

    # --- transfers -------------------------------------------------------------------------

    @staticmethod
    def _call(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except SimUsbError as exc:
            raise usb_error(str(exc), exc.code, exc.errno) from None

    def bulk_write(
        self, dev_handle: _DevRef, ep: int, intf: int, data: array[int], timeout: int
    ) -> int:
        return int(self._call(lambda: dev_handle.sim.write(ep, bytes(data))))

    def bulk_read(
        self, dev_handle: _DevRef, ep: int, intf: int, buff: array[int], timeout: int
    ) -> int:
        seconds = timeout / 1000 if timeout else None
        got: bytes = self._call(lambda: dev_handle.sim.read(ep, len(buff), seconds))
        buff[: len(got)] = array("B", got)
        return len(got)

    def _no_such_transfer(self, *args: Any) -> int:
        # Every endpoint of these devices is bulk; pyusb looks these up but never calls them.
        raise usb_error("Operation not supported", LIBUSB_ERROR_NOT_SUPPORTED, errno.ENOSYS)

    intr_write = intr_read = iso_write = iso_read = _no_such_transfer

    def ctrl_transfer(
        self,
        dev_handle: _DevRef,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: array[int],
        timeout: int,
    ) -> int:
        if bRequest != _GET_DESCRIPTOR or (wValue >> 8) != _DESC_STRING:
            raise usb_error("Pipe error", LIBUSB_ERROR_PIPE, errno.EPIPE)
        index = wValue & 0xFF
        sim = dev_handle.sim
        if index == 0:
            payload = struct.pack("<H", _LANG_EN_US)
        else:
            text = {
                1: "XGecu",
                2: "T48" if sim.model == MODEL_T48 else "Xgecu TL866II+",
                3: sim.serial,
            }.get(index)
            if text is None:
                raise usb_error("Pipe error", LIBUSB_ERROR_PIPE, errno.EPIPE)
            payload = text.encode("utf-16-le")
        desc = bytes([2 + len(payload), _DESC_STRING]) + payload
        n = min(len(data), len(desc))
        data[:n] = array("B", desc[:n])
        return n


# --- attaching devices -------------------------------------------------------------------

_ATTACHED: list[SimTl866] = []


def attach(device: SimTl866) -> SimTl866:
    """Put ``device`` on the simulated bus that :func:`factory` backends see."""
    _ATTACHED.append(device)
    return device


def detach_all() -> None:
    """Remove every attached device (tests call this in teardown)."""
    _ATTACHED.clear()


def factory() -> SimUsbBackend:
    """``ROMTOOL_USB_BACKEND`` factory: a backend over the :func:`attach`-ed devices."""
    return SimUsbBackend(lambda: list(_ATTACHED))


_MODELS = {"tl866ii+": MODEL_TL866II_PLUS, "tl866iiplus": MODEL_TL866II_PLUS, "t48": MODEL_T48}
_ENV_CACHE: dict[str, list[SimTl866]] = {}


def parse_sim_spec(text: str) -> SimTl866:
    """Build a device from ``MODEL:PART[,state=FILE][,serial=S][,FAULT[=N]]...``.

    ``MODEL`` is ``tl866ii+`` or ``t48``; ``PART`` a chip name from romtool's chip database
    (``empty`` for an empty socket). Faults: ``overcurrent=N`` (after N blocks; 0 at begin),
    ``verify-error=ADDR``, ``wrong-id=0xMMDD``, ``bootloader``, ``unplug-after=N`` (read
    blocks).

    Raises:
        UsageError: a malformed spec, an unknown model, part or fault.
    """
    head, *opts = [p.strip() for p in text.split(",")]
    model_name, sep, part = head.partition(":")
    model = _MODELS.get(model_name.strip().lower())
    if model is None or not sep or not part:
        raise UsageError(
            f"bad {ENV_SIM} entry {text!r}: expected MODEL:PART with MODEL tl866ii+ or t48"
        )
    faults = SimFaults()
    state: Path | None = None
    serial = "SIMT48000000000000000001" if model == MODEL_T48 else "SIM86600000000000001"
    for opt in opts:
        key, _eq, value = opt.partition("=")
        key = key.strip().lower()
        if key == "state":
            state = Path(value)
        elif key == "serial":
            serial = value
        elif key == "overcurrent":
            faults.overcurrent_after = parse_int(value or "0", what="overcurrent block")
        elif key == "verify-error":
            faults.verify_error_at = parse_int(value, what="verify-error address")
        elif key == "wrong-id":
            faults.wrong_id = parse_int(value, what="chip id")
        elif key == "bootloader":
            faults.bootloader = True
        elif key == "unplug-after":
            faults.unplug_after_reads = parse_int(value, what="read block count")
        else:
            raise UsageError(f"unknown {ENV_SIM} option {key!r}")
    chip = None
    if part.lower() != "empty":
        chip = socket_chip(get_chip(part), state)

    def save(sim: SimTl866) -> None:
        if state is not None and sim.chip is not None:
            write_atomic(state, sim.chip.snapshot(), force=True)

    return SimTl866(model, chip, serial=serial, faults=faults, on_end=save)


def from_env() -> SimUsbBackend:
    """``ROMTOOL_USB_BACKEND`` factory for shells: devices from ``$ROMTOOL_TL866_SIM``.

    Several devices are separated by ``;``. The same environment value gives the same
    devices for the whole process.
    """
    text = os.environ.get(ENV_SIM, "").strip()
    if text not in _ENV_CACHE:
        _ENV_CACHE[text] = [parse_sim_spec(t) for t in text.split(";") if t.strip()]
    return SimUsbBackend(_ENV_CACHE[text])
