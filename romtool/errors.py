"""The one error tree of romtool.

Every failure the user can cause or meet (bad input, a refused plan, a programmer that stops
answering, a verify mismatch) is a :class:`RomtoolError`. Frontends show it as one line and exit
with :attr:`RomtoolError.exit_status`; anything that is *not* a ``RomtoolError`` is a bug and
keeps its traceback.

Facts travel in fields (``path``, ``line``, ``address``, ``op``, ``expected``, ``actual``) so
that tests and the JSON output can read them; :meth:`RomtoolError.__str__` composes the one-line
message from them: ``"rom.hex: line 3: bad record checksum: expected 0x1F, but got 0x20"``.

Exit statuses (shared by every command):

* 1: a comparison said "different" (verify mismatch, blank check failed, lint error);
* 2: bad input or usage (unreadable file, bad option value, a plan that cannot succeed);
* 3: programmer or device error (no answer, wrong chip, timeout, link lost).
"""

from __future__ import annotations

from typing import Any

EXIT_MISMATCH = 1
EXIT_INPUT = 2
EXIT_DEVICE = 3


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"0x{value:X}" if value > 9 else str(value)
    return str(value)


class RomtoolError(Exception):
    """Base of every expected failure.

    Args:
        message: what went wrong, without the context prefix (path, line, operation).
        path: the file the error is about.
        line: 1-based line number in a text file.
        address: byte address (in the image, chip or window) where it happened.
        op: the operation, e.g. ``"write block"`` or ``"read"``.
        expected: what was expected; printed as "expected X, but got Y" together with
            ``actual``.
        actual: what was found.
        hint: one short suggestion of what to do, appended after " -- ".
    """

    exit_status: int = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        address: int | None = None,
        op: str | None = None,
        expected: Any = None,
        actual: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.address = address
        self.op = op
        self.expected = expected
        self.actual = actual
        self.hint = hint

    def __str__(self) -> str:
        parts: list[str] = []
        if self.path is not None:
            parts.append(str(self.path))
        if self.line is not None:
            parts.append(f"line {self.line}")
        where = ""
        if self.op is not None:
            where = self.op
            if self.address is not None:
                where += f" at 0x{self.address:X}"
        elif self.address is not None:
            where = f"at 0x{self.address:X}"
        if where:
            parts.append(where)
        text = self.message
        if self.expected is not None or self.actual is not None:
            text += f": expected {_fmt(self.expected)}, but got {_fmt(self.actual)}"
        parts.append(text)
        out = ": ".join(parts)
        if self.hint:
            out += f" -- {self.hint}"
        return out

    def facts(self) -> dict[str, Any]:
        """The error as a JSON-ready dict (for ``--json`` output)."""
        data: dict[str, Any] = {"error": type(self).__name__, "message": str(self)}
        for key in ("path", "line", "address", "op", "expected", "actual"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


# --- input and usage (exit 2) -------------------------------------------------------------


class UsageError(RomtoolError):
    """A bad option value or combination."""


class InputError(RomtoolError):
    """An input file cannot be read or is not what it claims to be."""


class FormatError(InputError):
    """A file format parser rejected its input (bad record, bad checksum, truncation)."""


class ImageError(RomtoolError):
    """An operation on an :class:`~romtool.image.Image` cannot be done (overlap, range)."""


class RomFormatError(InputError):
    """An option-ROM header is missing, truncated, or points outside the image."""


class BuildError(RomtoolError):
    """An option ROM cannot be built as asked (does not fit, unknown driver, ...)."""


class OutputExistsError(RomtoolError):
    """The output file exists and ``--force`` was not given."""


class ChipDatabaseError(RomtoolError):
    """Unknown part name or an inconsistent chip database entry."""


class PlanRefused(RomtoolError):
    """A write was refused before the chip was touched (too large, needs erase, ...)."""


class ConfigError(RomtoolError):
    """The settings file is unreadable or has a bad value."""


# --- mismatch (exit 1) --------------------------------------------------------------------


class MismatchError(RomtoolError):
    """Two things that should be equal are not (verify, blank check, compare)."""

    exit_status = EXIT_MISMATCH


class VerifyError(MismatchError):
    """The chip does not hold what was written."""


class BlankCheckError(MismatchError):
    """The chip is not blank."""


# --- programmer and device (exit 3) -------------------------------------------------------


class ProgrammerError(RomtoolError):
    """The programmer or its link failed."""

    exit_status = EXIT_DEVICE


class TransportError(ProgrammerError):
    """The link to the programmer failed (port missing, unplugged, permission)."""


class ProtocolError(ProgrammerError):
    """The programmer answered something the protocol does not allow."""


class DeviceTimeout(ProgrammerError):
    """An operation did not finish in its time budget."""


class DeviceError(ProgrammerError):
    """The device reported a failure (overcurrent, program failure, VPP out of range)."""


class ChipIdMismatch(DeviceError):
    """The chip in the socket is not the part that was chosen."""


class ProgramFailure(DeviceError):
    """A byte or block would not program within the algorithm's limits."""


class OperationCancelled(RomtoolError):
    """The user cancelled a running operation."""

    exit_status = EXIT_DEVICE
