"""Identify, read, verify, blank check and erase: the operations that are not a write."""

from __future__ import annotations

from dataclasses import dataclass

from romtool.chips.spec import Technology
from romtool.errors import BlankCheckError, UsageError
from romtool.events import Reporter
from romtool.image.model import Image
from romtool.ops.plan import check_fits
from romtool.ops.session import IdCheck, Session, check_id, read_id
from romtool.ops.verify import VerifyResult, verify_image
from romtool.programmers.base import BlankResult, Capability, nullable
from romtool.ranges import Range

UV_MINUTES = 20
"""Default simulated UV exposure: the 15-20 minutes datasheets quote for a full erase."""


def identify(session: Session) -> IdCheck:
    """Read the chip id and say which parts it belongs to (no refusal: this is a question)."""
    return read_id(session)


def chip_range(session: Session, start: int = 0, length: int | None = None) -> Range:
    """``[start, start + length)`` of the chip (default: to its end), checked.

    Raises:
        UsageError: outside the chip.
    """
    size = session.chip.size
    if length is None:
        length = size - start
    rng = Range.sized(start, length) if start >= 0 and length >= 0 else None
    if rng is None or rng.stop > size or not len(rng):
        raise UsageError(
            f"bad range: {session.chip.name} has {size} bytes (0x0-0x{size - 1:X})",
            expected=f"a range inside 0x0-0x{size - 1:X}",
            actual=f"start 0x{start:X}, length {length}",
        )
    return rng


def read_chip(
    session: Session,
    rng: Range | None = None,
    *,
    force: bool = False,
    reporter: Reporter | None = None,
) -> bytes:
    """Read ``rng`` (default: the whole chip), after the id check."""
    rep = nullable(reporter)
    rng = rng or chip_range(session)
    check_id(session, force=force, reporter=rep)
    rep.stage("read", len(rng))
    data = session.programmer.read(rng, rep)
    rep.progress(len(rng), len(rng))
    return data


def verify_chip(
    session: Session,
    image: Image,
    *,
    force: bool = False,
    reporter: Reporter | None = None,
) -> VerifyResult:
    """Compare the chip with ``image``.

    Raises:
        VerifyError: they differ (with the diagnosis).
    """
    rep = nullable(reporter)
    check_fits(session.chip, image)
    check_id(session, force=force, reporter=rep)
    result = verify_image(session.programmer, image, rep)
    result.check()
    return result


@dataclass(frozen=True)
class BlankReport:
    """A blank check's answer with the range checked."""

    range: Range
    result: BlankResult
    how: str


def blank_check(
    session: Session,
    rng: Range | None = None,
    *,
    force: bool = False,
    reporter: Reporter | None = None,
    id_check: bool = True,
) -> BlankReport:
    """Check that ``rng`` (default: the whole chip) reads the blank value.

    Raises:
        BlankCheckError: it does not (count and first address in the message).
    """
    rep = nullable(reporter)
    rng = rng or chip_range(session)
    if id_check:
        check_id(session, force=force, reporter=rep)
    rep.stage("blank check", len(rng))
    prog = session.programmer
    result = prog.blank_check(rng, session.chip.blank, rep)
    rep.progress(len(rng), len(rng))
    how = "on the device" if Capability.BLANK_CHECK in prog.capabilities else "by reading"
    if not result.blank:
        raise BlankCheckError(
            f"not blank: {result.nonblank} of {len(rng)} bytes differ from "
            f"0x{session.chip.blank:02X}",
            op="blank check",
            address=result.first,
        )
    return BlankReport(rng, result, how)


def erase_chip(
    session: Session,
    *,
    uv: bool = False,
    minutes: int = UV_MINUTES,
    force: bool = False,
    check: bool = True,
    reporter: Reporter | None = None,
) -> BlankReport | None:
    """Erase the chip (electrically, or under the simulator's UV lamp with ``uv``), then
    blank-check it when ``check``.

    Raises:
        UsageError: a UV EPROM without ``uv`` (or an electrically erasable part with it), an
            OTP part.
        ProgrammerError: the programmer cannot erase (UV on real hardware).
        BlankCheckError: the chip is not blank afterwards.
    """
    rep = nullable(reporter)
    chip = session.chip
    prog = session.programmer
    if chip.technology is Technology.OTP_EPROM:
        raise UsageError(f"{chip.name} is one-time programmable: it cannot be erased")
    if chip.technology is Technology.UV_EPROM and not uv:
        raise UsageError(
            f"{chip.name} is a UV EPROM: only UV light erases it",
            hint="erase it in a UV eraser (15-20 minutes); on a simulator use --uv",
        )
    if uv and chip.technology is not Technology.UV_EPROM:
        raise UsageError(f"{chip.name} is erased electrically; drop --uv")
    check_id(session, force=force, reporter=rep)
    if uv:
        rep.stage("uv erase")
        prog.uv_erase(minutes)
    else:
        if Capability.ERASE not in prog.capabilities:
            raise UsageError(f"{prog.kind} cannot erase chips electrically")
        rep.stage("erase")
        prog.erase(rep)
    if not check:
        return None
    return blank_check(session, reporter=rep, id_check=False)
