"""USB transport over pyusb: the one module that imports ``usb`` and ``libusb_package``.

Programmers with USB links (the XGecu TL866II+/T48) find their device with :func:`find_devices`
and talk to it through a :class:`UsbLink`, which claims one interface and turns every pyusb
failure into a :class:`~romtool.errors.RomtoolError` that names the operation:

* a permission problem (``LIBUSB_ERROR_ACCESS``) becomes a :class:`TransportError` whose hint
  points to the udev rule shipped in ``hardware/udev/60-romtool.rules``;
* a device that went away (``LIBUSB_ERROR_NO_DEVICE``) becomes "device disconnected";
* a transfer timeout becomes :class:`DeviceTimeout`.

The backend is pluggable. ``ROMTOOL_USB_BACKEND=package.module:factory`` names a callable that
returns a pyusb backend object (a ``usb.backend.IBackend``); the simulated programmers attach
this way, so tests and demos run the real driver with no libusb, no kernel and no root. Without
it, pyusb's libusb-1.0 backend is used, falling back to the library bundled with the
``libusb-package`` wheel where the system has none.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from romtool.errors import DeviceTimeout, TransportError, UsageError

ENV_BACKEND = "ROMTOOL_USB_BACKEND"
"""Environment variable naming a backend factory as ``package.module:callable``."""

UDEV_HINT = (
    "allow your user to open the device: install hardware/udev/60-romtool.rules into "
    "/etc/udev/rules.d/, run 'udevadm control --reload-rules', then replug the programmer"
)

INTERFACE = 0
"""All supported USB programmers speak on interface 0 of configuration 1."""

# libusb error codes (libusb.h, enum libusb_error) as pyusb's libusb1 backend reports them in
# USBError.backend_error_code; errno values are checked too because other backends set only
# those.
LIBUSB_ERROR_ACCESS = -3
LIBUSB_ERROR_NO_DEVICE = -4
LIBUSB_ERROR_BUSY = -6
LIBUSB_ERROR_TIMEOUT = -7
LIBUSB_ERROR_PIPE = -9
LIBUSB_ERROR_NOT_SUPPORTED = -12


@dataclass(frozen=True)
class UsbDeviceInfo:
    """What the bus says about a device, before any vendor protocol is spoken.

    Attributes:
        vendor_id: idVendor.
        product_id: idProduct.
        bus: bus number, when the backend knows it.
        address: device address on that bus, when known.
        location: ``"bus 1 address 7"`` style text for messages.
    """

    vendor_id: int
    product_id: int
    bus: int | None
    address: int | None

    @property
    def location(self) -> str:
        if self.bus is None and self.address is None:
            return f"{self.vendor_id:04x}:{self.product_id:04x}"
        return f"bus {self.bus} address {self.address}"


def _load_factory(spec: str) -> Callable[[], Any]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(
            f"bad {ENV_BACKEND} value {spec!r}: expected package.module:factory",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"{ENV_BACKEND}: cannot import {module_name!r}: {exc}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise UsageError(f"{ENV_BACKEND}: {module_name!r} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def get_backend() -> Any:
    """Return the pyusb backend to use (see the module docstring for the order).

    Raises:
        UsageError: ``ROMTOOL_USB_BACKEND`` is malformed or does not resolve.
        TransportError: no libusb-1.0 could be loaded at all.
    """
    spec = os.environ.get(ENV_BACKEND, "").strip()
    if spec:
        backend = _load_factory(spec)()
        if backend is None:
            raise TransportError(f"{ENV_BACKEND}={spec} returned no backend")
        return backend
    import usb.backend.libusb1

    backend = usb.backend.libusb1.get_backend()
    if backend is not None:
        return backend
    backend = _bundled_backend()
    if backend is not None:
        return backend
    raise TransportError(
        "no USB library found",
        hint="install libusb-1.0 (Debian: apt install libusb-1.0-0) or pip install libusb-package",
    )


def usb_error(message: str, code: int, err: int) -> Exception:
    """A pyusb error as the libusb-1.0 backend raises it (for simulated backends).

    Args:
        message: libusb's error text.
        code: the libusb error code (``LIBUSB_ERROR_*``, negative).
        err: the matching errno value.

    Returns:
        ``usb.core.USBTimeoutError`` for ``LIBUSB_ERROR_TIMEOUT``, else ``usb.core.USBError``.
    """
    import usb.core

    if code == LIBUSB_ERROR_TIMEOUT:
        return usb.core.USBTimeoutError(message, code, err)  # type: ignore[no-any-return]
    return usb.core.USBError(message, code, err)  # type: ignore[no-any-return]


def _bundled_backend() -> Any:
    """pyusb backend over the libusb-1.0 shipped inside the libusb-package wheel, or None."""
    try:
        import libusb_package
    except ImportError:
        return None
    return libusb_package.get_libusb1_backend()


def find_devices(vendor_id: int, product_id: int, *, backend: Any = None) -> list[UsbDevice]:
    """Every attached device with this VID:PID, not yet opened.

    Args:
        vendor_id: idVendor to match.
        product_id: idProduct to match.
        backend: a pyusb backend; default :func:`get_backend`.
    """
    import usb.core

    be = get_backend() if backend is None else backend
    try:
        found = usb.core.find(find_all=True, backend=be, idVendor=vendor_id, idProduct=product_id)
        devices = list(found) if found is not None else []
    except usb.core.USBError as exc:
        raise _translate(exc, "enumerate USB devices") from None
    return [UsbDevice(dev, be) for dev in devices]


class UsbDevice:
    """A found (not yet opened) USB device."""

    def __init__(self, dev: Any, backend: Any = None) -> None:
        self._dev = dev
        self._backend = backend
        self.info = UsbDeviceInfo(
            vendor_id=int(dev.idVendor),
            product_id=int(dev.idProduct),
            bus=getattr(dev, "bus", None),
            address=getattr(dev, "address", None),
        )

    def open(self, *, interface: int = INTERFACE) -> UsbLink:
        """Select configuration 1 if needed and claim ``interface``.

        Raises:
            TransportError: permission denied (with the udev hint), busy, or gone.
        """
        return UsbLink(self._dev, self.info, interface, self._backend)


def _translate(exc: Exception, op: str) -> Exception:
    """Turn a pyusb exception into the RomtoolError a user should see."""
    import usb.core

    if isinstance(exc, usb.core.USBTimeoutError):
        return DeviceTimeout("USB transfer timed out", op=op)
    code = getattr(exc, "backend_error_code", None)
    err = getattr(exc, "errno", None)
    if code == LIBUSB_ERROR_ACCESS or err in (errno.EACCES, errno.EPERM):
        return TransportError("permission denied opening the USB device", op=op, hint=UDEV_HINT)
    if code == LIBUSB_ERROR_NO_DEVICE or err == errno.ENODEV:
        return TransportError(
            "device disconnected", op=op, hint="check the USB cable and plug the programmer in"
        )
    if code == LIBUSB_ERROR_BUSY or err == errno.EBUSY:
        return TransportError(
            "USB device is busy", op=op, hint="close other programs using the programmer"
        )
    if isinstance(exc, usb.core.USBError):
        return TransportError(f"USB error: {exc.strerror or exc}", op=op)
    return TransportError(f"USB error: {exc}", op=op)


class UsbLink:
    """An opened device with one claimed interface; bulk transfers by endpoint address.

    Thread use: :meth:`read_concurrently` runs one transfer per endpoint in its own thread so
    that a device which alternates its payload between two IN endpoints never stalls on a full
    FIFO. Other methods are called from one thread at a time.
    """

    def __init__(self, dev: Any, info: UsbDeviceInfo, interface: int, backend: Any = None) -> None:
        import usb.core

        self._dev = dev
        self._backend = backend
        self.info = info
        self.interface = interface
        self._closed = False
        op = f"open USB device {info.location}"
        try:
            try:
                dev.get_active_configuration()
            except usb.core.USBError:
                # "configuration not set" is the normal state of a fresh device; anything
                # else (permission, gone) is re-raised by set_configuration below.
                dev.set_configuration()
            import usb.util

            usb.util.claim_interface(dev, interface)
        except usb.core.USBError as exc:
            self._dispose()
            raise _translate(exc, op) from None

    def write(self, endpoint: int, data: bytes, *, timeout_s: float, op: str) -> None:
        """Bulk-write ``data`` to OUT ``endpoint``; a short write is an error.

        Raises:
            TransportError, DeviceTimeout: the transfer failed (``op`` names it).
        """
        import usb.core

        try:
            n = self._dev.write(endpoint, data, timeout=_ms(timeout_s))
        except usb.core.USBError as exc:
            raise _translate(exc, op) from None
        if n != len(data):
            raise TransportError("short USB write", op=op, expected=len(data), actual=n)

    def read(self, endpoint: int, size: int, *, timeout_s: float, op: str) -> bytes:
        """Bulk-read up to ``size`` bytes from IN ``endpoint`` (may return fewer).

        Raises:
            TransportError, DeviceTimeout: the transfer failed (``op`` names it).
        """
        import usb.core

        try:
            data = self._dev.read(endpoint, size, timeout=_ms(timeout_s))
        except usb.core.USBError as exc:
            raise _translate(exc, op) from None
        return bytes(data)

    def read_concurrently(
        self, requests: Sequence[tuple[int, int]], *, timeout_s: float, op: str
    ) -> list[bytes]:
        """Read several IN endpoints at the same time, one thread per ``(endpoint, size)``.

        pyusb's transfers are synchronous, but ctypes releases the GIL while libusb waits, so
        all transfers are pending on the bus together, the way an asynchronous libusb
        submission would be.

        Returns:
            The data of each request, in request order.

        Raises:
            TransportError, DeviceTimeout: the first failure among the transfers.
        """
        results: list[bytes | None] = [None] * len(requests)
        errors: list[BaseException | None] = [None] * len(requests)

        def run(i: int, endpoint: int, size: int) -> None:
            try:
                results[i] = self.read(endpoint, size, timeout_s=timeout_s, op=op)
            except BaseException as exc:  # handed to the caller's thread below
                errors[i] = exc

        threads = [
            threading.Thread(target=run, args=(i, ep, size), daemon=True)
            for i, (ep, size) in enumerate(requests)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for exc in errors:
            if exc is not None:
                raise exc
        return [r if r is not None else b"" for r in results]

    def device_time_s(self) -> float | None:
        """The device's own time line in seconds, when the backend models one.

        Simulated backends may offer ``device_time_s(address)`` (their virtual clock), so
        durations and rates reported for a simulated programmer are the modeled ones. Real
        backends have no such method: None.
        """
        hook = getattr(self._backend, "device_time_s", None)
        if hook is None or self.info.address is None:
            return None
        value = hook(self.info.address)
        return None if value is None else float(value)

    def close(self) -> None:
        """Release the interface and free the handle; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        import usb.core
        import usb.util

        # A device that is already gone has nothing left to release.
        with contextlib.suppress(usb.core.USBError):
            usb.util.release_interface(self._dev, self.interface)
        self._dispose()

    def _dispose(self) -> None:
        import usb.core
        import usb.util

        # A device that vanished has no resources left to free.
        with contextlib.suppress(usb.core.USBError):
            usb.util.dispose_resources(self._dev)

    def __enter__(self) -> UsbLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ms(seconds: float) -> int:
    """pyusb timeouts are integer milliseconds; never 0, which libusb reads as "forever"."""
    return max(1, round(seconds * 1000))
