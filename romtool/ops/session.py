"""Opening a programmer for an operation, choosing the part, and checking the chip's id.

Every operation starts the same way: build the programmer from its spec string, open it,
select the part, and, when the part has an id and the programmer can read it, make sure the
chip in the socket is that part. A wrong id stops the operation before anything is written
(unless ``force``), and the message says which part the id belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from romtool.chips import describe_id, get_chip
from romtool.chips.spec import ChipId, ChipSpec, IdMethod
from romtool.errors import ChipIdMismatch, DeviceError, UsageError
from romtool.events import Reporter
from romtool.programmers.base import Capability, Programmer, nullable
from romtool.programmers.registry import OpenContext, device_identity, open_programmer
from romtool.settings import Settings

NO_CHIP_IDS = (ChipId(0xFF, 0xFF), ChipId(0x00, 0x00))
"""Ids read from an empty socket (pulled-up data lines) or a chip with its outputs stuck low."""


@dataclass(frozen=True)
class IdCheck:
    """What the id check found.

    Attributes:
        chip_id: the id read, or None when it was not read.
        matches: True/False when compared; None when not compared.
        note: why it was not compared, or what the id belongs to.
    """

    chip_id: ChipId | None
    matches: bool | None
    note: str


@dataclass
class Session:
    """An open programmer with the part selected.

    Attributes:
        spec_text: the device identity (``TYPE:TARGET`` without link options), used to key
            resume journals.
    """

    programmer: Programmer
    chip: ChipSpec
    spec_text: str
    id_check: IdCheck | None = None


def resolve_part(part: str | ChipSpec | None, settings: Settings) -> ChipSpec | None:
    """The part named on the command line, else the settings' default part."""
    if isinstance(part, ChipSpec):
        return part
    name = part or settings.part
    return get_chip(name) if name else None


@contextmanager
def open_session(
    spec_text: str | None,
    part: str | ChipSpec | None,
    *,
    settings: Settings | None = None,
    trace: Callable[[str], None] | None = None,
    reporter: Reporter | None = None,
    programmer: Programmer | None = None,
) -> Iterator[Session]:
    """Open the programmer ``spec_text`` (or use ``programmer``) with ``part`` selected.

    The sim programmer puts ``part`` in its socket when its spec names none; when the spec
    names one (``sim:27C512``) and ``part`` differs, the id check catches it, as on hardware.

    Raises:
        UsageError: no programmer or part given, unknown part or type.
        ProgrammerError: the programmer cannot be opened or cannot handle the part.
    """
    cfg = settings or Settings()
    rep = nullable(reporter)
    chip = resolve_part(part, cfg)
    if programmer is None:
        text = spec_text or cfg.programmer
        if not text:
            raise UsageError("no programmer given", hint="use -p SPEC, e.g. -p sim:27C256")
        programmer = open_programmer(text, OpenContext(cfg, chip, trace))
        spec_text = device_identity(text)
    with programmer:
        if chip is None:
            chip = getattr(programmer, "part", None)
            if not isinstance(chip, ChipSpec):
                raise UsageError("no part given", hint="use -c PART, e.g. -c 27C256")
        info = programmer.info()
        rep.note(info.description)
        programmer.select(chip)
        yield Session(programmer, chip, spec_text or programmer.kind)


def read_id(session: Session) -> IdCheck:
    """Read the chip id if the part has one and the programmer can read it."""
    prog, chip = session.programmer, session.chip
    if chip.id_method is IdMethod.NONE:
        return IdCheck(None, None, f"{chip.name} has no readable id")
    need = Capability.A9_ID if chip.id_method is IdMethod.A9_HV else Capability.SOFTWARE_ID
    if need not in prog.capabilities:
        return IdCheck(None, None, f"{prog.kind} cannot read {chip.id_method.value} ids")
    chip_id = prog.identify()
    if chip_id is None:
        return IdCheck(None, None, "no id returned")
    if not chip.ids:
        return IdCheck(
            chip_id, None, f"{describe_id(chip_id)}; the database has no id for {chip.name}"
        )
    if chip_id in NO_CHIP_IDS:
        return IdCheck(chip_id, False, "no chip answers: empty socket, or the chip is in wrongly")
    if chip.answers_to(chip_id.mfr, chip_id.dev):
        return IdCheck(chip_id, True, describe_id(chip_id))
    return IdCheck(chip_id, False, describe_id(chip_id))


def check_id(session: Session, *, force: bool, reporter: Reporter | None = None) -> IdCheck:
    """Refuse a chip whose id does not match the selected part (unless ``force``).

    Raises:
        ChipIdMismatch: the id belongs to another part (named in the message).
        DeviceError: no chip answers (empty socket), unless ``force``.
    """
    rep = nullable(reporter)
    result = read_id(session)
    session.id_check = result
    if result.matches is False:
        chip = session.chip
        if result.chip_id in NO_CHIP_IDS:
            if not force:
                raise DeviceError(
                    f"{result.note} (id {result.chip_id})",
                    op="identify",
                    hint="check the chip and its orientation, or use --force",
                )
        elif not force:
            raise ChipIdMismatch(
                "the chip in the socket is another part",
                op="identify",
                expected=chip.name,
                actual=f"id {result.note}",
                hint="choose the right part with -c, or use --force to go on anyway",
            )
        rep.warn(f"id {result.note} does not match {chip.name}; going on because of --force")
    elif result.matches is None:
        rep.note(f"chip id not checked: {result.note}")
    else:
        rep.note(f"chip id {result.note}")
    return result
