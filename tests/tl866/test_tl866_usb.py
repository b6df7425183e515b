"""The USB transport: backend choice and how libusb errors reach the user."""

from __future__ import annotations

import errno

import pytest
import usb.backend.libusb1
import usb.core

from romtool.errors import DeviceTimeout, TransportError, UsageError
from romtool.programmers.sim.tl866.backend import SimUsbBackend
from romtool.programmers.sim.tl866.device import SimTl866
from romtool.programmers.transports import usb as transport


def test_backend_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(transport.ENV_BACKEND, "romtool.programmers.sim.tl866.backend:factory")
    assert isinstance(transport.get_backend(), SimUsbBackend)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("no-colon", "expected package.module:factory"),
        ("romtool.no_such_module:f", "cannot import"),
        ("romtool.programmers.sim.tl866.backend:nothing", "has no callable"),
    ],
)
def test_bad_backend_variable(monkeypatch: pytest.MonkeyPatch, value: str, match: str) -> None:
    monkeypatch.setenv(transport.ENV_BACKEND, value)
    with pytest.raises(UsageError, match=match):
        transport.get_backend()


def test_default_backend_falls_back_to_bundled_libusb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(transport.ENV_BACKEND, raising=False)
    sentinel = object()
    monkeypatch.setattr(usb.backend.libusb1, "get_backend", lambda: None)
    monkeypatch.setattr(transport, "_bundled_backend", lambda: sentinel)
    assert transport.get_backend() is sentinel
    monkeypatch.setattr(transport, "_bundled_backend", lambda: None)
    with pytest.raises(TransportError, match="no USB library found") as exc:
        transport.get_backend()
    assert exc.value.hint and "libusb" in exc.value.hint


def test_bundled_libusb_loads() -> None:
    pytest.importorskip("libusb_package")
    assert transport._bundled_backend() is not None


@pytest.mark.parametrize(
    ("exc", "kind", "match", "hint"),
    [
        (usb.core.USBTimeoutError("t", -7, errno.ETIMEDOUT), DeviceTimeout, "timed out", None),
        (usb.core.USBError("a", -3, errno.EACCES), TransportError, "permission", "udev"),
        (usb.core.USBError("n", -4, errno.ENODEV), TransportError, "disconnected", "cable"),
        (usb.core.USBError("b", -6, errno.EBUSY), TransportError, "busy", "other programs"),
        (usb.core.USBError("Pipe error", -9, errno.EPIPE), TransportError, "Pipe error", None),
    ],
)
def test_error_translation(exc: Exception, kind: type, match: str, hint: str | None) -> None:
    got = transport._translate(exc, "read block")
    assert isinstance(got, kind)
    assert match in str(got)
    assert str(got).startswith("read block: ")
    if hint:
        assert got.hint and hint in got.hint  # type: ignore[attr-defined]


def test_link_reads_writes_and_closes_twice() -> None:
    sim = SimTl866()
    (dev,) = transport.find_devices(0xA466, 0x0A53, backend=SimUsbBackend([sim]))
    assert dev.info.location == "bus 1 address 2"
    link = dev.open()
    link.write(0x01, bytes(5), timeout_s=1, op="get system info")
    reply = link.read(0x81, 80, timeout_s=1, op="get system info")
    assert reply[6] == 5  # TL866II+
    with pytest.raises(DeviceTimeout):
        link.read(0x81, 80, timeout_s=0.05, op="get system info")
    sim.unplug()
    with pytest.raises(TransportError, match="device disconnected"):
        link.write(0x01, bytes(5), timeout_s=1, op="get system info")
    link.close()
    link.close()
    assert transport.find_devices(0xA466, 0x0A53, backend=SimUsbBackend([sim])) == []
