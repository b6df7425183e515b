"""Parse and format numbers, sizes, addresses and PCI ids the way users type them.

Numbers are parsed sanely: ``0x1F`` is hex, ``0b101`` binary, ``0o17`` octal and plain digits
are decimal (never Perl's ``oct()`` quirk of reading ``32768`` as octal). Sizes take binary
suffixes: ``32K`` = 32768, ``1M`` = 1048576; ``Kbit``/``Mbit`` count bits (``256Kbit`` = 32 KiB)
because EPROM part numbers are in kilobits.
"""

from __future__ import annotations

import re

from romtool.errors import UsageError

_SIZE_RE = re.compile(
    r"^\s*(?P<num>0x[0-9a-f]+|\d+(?:\.\d+)?)\s*(?P<unit>k|kb|kib|m|mb|mib|kbit|mbit|b)?\s*$",
    re.IGNORECASE,
)
_UNITS = {
    None: 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024 * 1024,
    "mb": 1024 * 1024,
    "mib": 1024 * 1024,
    "kbit": 1024 // 8,
    "mbit": 1024 * 1024 // 8,
}


def parse_int(text: str | int, *, what: str = "number") -> int:
    """Parse an integer: ``0x`` hex, ``0b`` binary, ``0o`` octal, ``NNh`` hex, else decimal.

    Raises:
        UsageError: the text is not a number (the message names ``what``).
    """
    if isinstance(text, int):
        return text
    s = text.strip().replace("_", "")
    try:
        if s.lower().endswith("h") and len(s) > 1:
            return int(s[:-1], 16)
        if s[:2].lower() in ("0x", "0b", "0o") or s[:3].lower() in ("-0x", "-0b", "-0o"):
            return int(s, 0)
        return int(s, 10)
    except ValueError:
        raise UsageError(f"bad {what} {text!r}: expected a number like 42, 0x2A or 2Ah") from None


def parse_byte(text: str | int, *, what: str = "byte value") -> int:
    """Parse a number in 0..255 (a fill byte, for example)."""
    value = parse_int(text, what=what)
    if not 0 <= value <= 0xFF:
        raise UsageError(f"bad {what} {text!r}: expected 0..255 (0x00..0xFF)")
    return value


def parse_address(text: str | int, *, what: str = "address") -> int:
    """Parse a non-negative address. Hex needs ``0x`` (or a trailing ``h``)."""
    value = parse_int(text, what=what)
    if value < 0:
        raise UsageError(f"bad {what} {text!r}: expected a non-negative number")
    return value


def parse_size(text: str | int, *, what: str = "size") -> int:
    """Parse a size in bytes: ``8192``, ``0x2000``, ``8K``, ``1M``, ``256Kbit``.

    Raises:
        UsageError: not a size, not a whole number of bytes, or not positive.
    """
    if isinstance(text, int):
        value = text
    else:
        m = _SIZE_RE.match(text)
        if not m:
            raise UsageError(f"bad {what} {text!r}: expected bytes, or a number with K or M")
        num = m.group("num")
        unit = m.group("unit")
        mult = _UNITS[unit.lower() if unit else None]
        scaled = (int(num, 16) if num.lower().startswith("0x") else float(num)) * mult
        if scaled != int(scaled):
            raise UsageError(f"bad {what} {text!r}: not a whole number of bytes")
        value = int(scaled)
    if value <= 0:
        raise UsageError(f"bad {what} {text!r}: expected a positive size")
    return value


def parse_pci_id(text: str) -> tuple[int, int]:
    """Parse ``VVVV:DDDD`` (hex, ``0x`` optional, ``,`` also accepted) into (vendor, device).

    Raises:
        UsageError: not two 16-bit hex numbers.
    """
    parts = re.split(r"[:,]", text.strip())
    if len(parts) != 2:
        raise UsageError(f"bad PCI id {text!r}: expected VENDOR:DEVICE in hex, like 8086:100e")
    out: list[int] = []
    for part in parts:
        p = part.strip().lower()
        if p.startswith("0x"):
            p = p[2:]
        if not re.fullmatch(r"[0-9a-f]{1,4}", p):
            raise UsageError(
                f"bad PCI id {text!r}: expected VENDOR:DEVICE as 16-bit hex, like 8086:100e"
            )
        out.append(int(p, 16))
    return out[0], out[1]


def format_pci_id(vendor: int, device: int) -> str:
    """``8086:100e`` (4-digit lowercase hex, the form lspci prints)."""
    return f"{vendor:04x}:{device:04x}"


def format_size(n: int) -> str:
    """Human size: ``512 B``, ``8 KiB``, ``75264 B (73.5 KiB)``, ``16 MiB``."""
    if n < 1024:
        return f"{n} B"
    for unit, div in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= div:
            if n % div == 0:
                return f"{n // div} {unit}"
            return f"{n} B ({n / div:.1f} {unit})"
    return f"{n} B"  # pragma: no cover - unreachable


def format_rate(nbytes: int, seconds: float) -> str:
    """Transfer rate, e.g. ``12.3 KiB/s``; ``-`` when no time has passed."""
    if seconds <= 0:
        return "-"
    rate = nbytes / seconds
    if rate >= 1024 * 1024:
        return f"{rate / (1024 * 1024):.1f} MiB/s"
    if rate >= 1024:
        return f"{rate / 1024:.1f} KiB/s"
    return f"{rate:.0f} B/s"
