"""Write an image into a chip: guard, plan, program, verify.

Order of business, and nothing touches the chip before step 4:

1. the image must fit the chip (at its offset);
2. the chip id must match the part (unless ``force``), saying which part the id belongs to;
3. the plan (:mod:`romtool.ops.plan`) must be possible: a UV EPROM or unerasable flash that
   cannot take the image is refused with the number of bytes and where;
4. program each run of blocks (erasing JEDEC sectors first where the plan says so), with the
   resume journal following the committed bytes;
5. verify (on by default): device CRC-32 first, bytes only on mismatch, diagnosed.

Bytes of the chip outside the image are left as they are, and the result says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from romtool.errors import DeviceTimeout, TransportError, UsageError
from romtool.events import Reporter
from romtool.image.model import Image
from romtool.ops import journal as jr
from romtool.ops.plan import BlockAction, Plan, check_fits, plan_write
from romtool.ops.session import Session, check_id
from romtool.ops.verify import NestedReporter, VerifyResult, verify_image
from romtool.programmers.base import Capability, StreamStalled, nullable
from romtool.ranges import Range
from romtool.settings import Retries


@dataclass(frozen=True)
class WriteResult:
    """What a write did (the CLI's summary line and ``--json``).

    Attributes:
        part: the part name.
        span: the chip range the image covers (first to last byte).
        plan: block counts per action.
        programmed: bytes sent to the chip (whole blocks that were not skipped).
        seconds: duration on the programmer's clock (modeled time for simulators).
        verify: the verify result (None with ``verify=False`` or ``dry_run``).
        untouched: chip ranges left as they were.
        dry_run: nothing was written.
        resumed_from: address the write resumed from, or None.
        max_pulses: most pulses one byte needed (EPROMs).
        retried_frames: frames the link had to resend.
        plan_blocks: the plan itself (dry run output).
    """

    part: str
    span: Range
    plan: dict[str, int]
    programmed: int
    seconds: float
    verify: VerifyResult | None = None
    untouched: tuple[Range, ...] = ()
    dry_run: bool = False
    resumed_from: int | None = None
    max_pulses: int = 0
    retried_frames: int = 0
    plan_blocks: Plan | None = field(default=None, compare=False, repr=False)


def write_image(
    session: Session,
    image: Image,
    *,
    verify: bool = True,
    dry_run: bool = False,
    force: bool = False,
    resume: bool = False,
    journal_file: Path | None = None,
    reporter: Reporter | None = None,
    retries: int = Retries().operation,
) -> WriteResult:
    """Write ``image`` (chip addresses) into the session's chip.

    Raises:
        PlanRefused: the image does not fit, or the chip cannot take it without an erase.
        ChipIdMismatch: the chip is another part (without ``force``).
        UsageError: ``resume`` without a matching journal.
        VerifyError: the chip does not hold the image afterwards (diagnosis in the message).
        ProgrammerError: the programmer or link failed; with a journal, ``--resume`` continues.

    A stream that stalls while the board still answers is started again from the last
    committed byte, at most ``retries`` times (``settings.retries.operation``).
    """
    rep = nullable(reporter)
    prog, chip = session.programmer, session.chip
    t0 = prog.now()
    span = check_fits(chip, image)
    check_id(session, force=force, reporter=rep)
    current = jr.Journal(
        session.spec_text, chip.name, jr.image_crc(image), span.start, span.stop, span.start
    )
    resume_at: int | None = None
    if resume:
        if journal_file is None:
            raise UsageError("resume needs a journal file", op="resume")
        resume_at = jr.resume_point(journal_file, current)
        rep.note(f"resuming at 0x{resume_at:X}")
    plan = plan_write(prog, chip, image if resume_at is None else _from(image, resume_at), rep)
    plan.check(can_erase=Capability.SECTOR_ERASE in prog.capabilities)
    if dry_run:
        return WriteResult(
            chip.name,
            span,
            plan.summary(),
            plan.bytes_to_program,
            prog.now() - t0,
            untouched=plan.untouched,
            dry_run=True,
            resumed_from=resume_at,
            plan_blocks=plan,
        )
    programmed, max_pulses, resent = _program(session, plan, current, journal_file, rep, retries)
    result_verify: VerifyResult | None = None
    if verify:
        result_verify = verify_image(prog, image, rep)
        result_verify.check()
    if journal_file is not None:
        jr.clear(journal_file)
    return WriteResult(
        chip.name,
        span,
        plan.summary(),
        programmed,
        prog.now() - t0,
        result_verify,
        plan.untouched,
        resumed_from=resume_at,
        max_pulses=max_pulses,
        retried_frames=resent,
        plan_blocks=plan,
    )


def _from(image: Image, address: int) -> Image:
    """The part of ``image`` at or above ``address`` (an empty image stays planable)."""
    span = image.span
    assert span is not None
    if address <= span.start:
        return image
    rest = image.crop(min(address, span.stop - 1), span.stop)
    return rest


def _program(
    session: Session,
    plan: Plan,
    current: jr.Journal,
    journal_file: Path | None,
    rep: Reporter,
    retries: int,
) -> tuple[int, int, int]:
    prog = session.programmer
    runs = plan.runs()
    total = sum(len(r.range) for r in runs)
    rep.stage("write", total)
    done_before = 0
    max_pulses = resent = 0
    last_saved = [0]

    def committed(stream_start: int, skipped: int, n: int) -> None:
        rep.progress(done_before + skipped + n, total)
        current.committed_to = stream_start + n
        if journal_file is not None and n - last_saved[0] >= jr.SAVE_EVERY:
            last_saved[0] = n
            jr.save(journal_file, current)

    if journal_file is not None:
        jr.save(journal_file, current)
    for run in runs:
        for sector in run.erase:
            rep.note(f"erasing sector {sector}")
            prog.erase(sector=sector)
        start = run.range.start
        attempt = 0
        while True:
            last_saved[0] = 0
            skip = start - run.range.start
            try:
                # Progress comes from the commit callback; the driver's own is dropped.
                report = prog.program(
                    start, run.data[skip:], NestedReporter(rep), partial(committed, start, skip)
                )
                break
            except StreamStalled as exc:
                # Operation-level retry: the link still works but the stream stalled; start a
                # new stream from the last committed byte (bounded by retries.operation).
                if attempt < retries:
                    attempt += 1
                    start = max(start, current.committed_to)
                    rep.warn(f"write stalled at 0x{start:X}; retrying from there ({attempt})")
                    continue
                _save_for_resume(journal_file, current, exc)
                raise
            except (TransportError, DeviceTimeout) as exc:
                _save_for_resume(journal_file, current, exc)
                raise
        max_pulses = max(max_pulses, report.max_pulses)
        resent += report.retried_frames
        done_before += len(run.range)
        current.committed_to = run.range.stop
    rep.progress(total, total)
    return total, max_pulses, resent


def _save_for_resume(
    journal_file: Path | None, current: jr.Journal, exc: TransportError | DeviceTimeout
) -> None:
    if journal_file is not None:
        jr.save(journal_file, current)
        if exc.hint is None:
            exc.hint = "run the same command again with --resume"


__all__ = ["BlockAction", "WriteResult", "write_image"]
