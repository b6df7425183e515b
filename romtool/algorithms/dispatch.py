"""One entry point per operation, choosing the algorithm from the chip spec.

``ops`` (and the bus-programmer adapter) call these with a bus and a
:class:`~romtool.chips.spec.ChipSpec`; the spec's :class:`~romtool.chips.spec.Algorithm` and
:class:`~romtool.chips.spec.IdMethod` pick the code path.
"""

from __future__ import annotations

from romtool.algorithms import eprom, jedec, paged
from romtool.algorithms.bus import ParallelBus, ProgrammingBus
from romtool.algorithms.common import WriteReport, blank_check, verify_range
from romtool.algorithms.paged import SdpAction
from romtool.algorithms.plan import BlockAction, WritePlan
from romtool.chips.spec import ChipId, ChipSpec, IdMethod, Technology
from romtool.errors import UsageError
from romtool.events import NullReporter, Reporter

__all__ = ["apply_plan", "blank_check", "erase", "identify", "program", "verify_range"]


def _programming_bus(bus: ParallelBus, spec: ChipSpec) -> ProgrammingBus:
    if not isinstance(bus, ProgrammingBus):
        raise UsageError(f"{spec.name} needs a programmer that can drive VPP")
    return bus


def identify(bus: ParallelBus, spec: ChipSpec) -> ChipId | None:
    """Read the id the way ``spec`` says; None for parts without an id.

    Raises:
        UsageError: an EPROM on a bus that cannot drive A9 to 12 V.
    """
    if spec.id_method is IdMethod.JEDEC:
        return jedec.software_id(bus, spec)
    if spec.id_method is IdMethod.A9_HV:
        return eprom.read_signature(_programming_bus(bus, spec), spec)
    return None


def program(
    bus: ParallelBus,
    spec: ChipSpec,
    start: int,
    data: bytes,
    *,
    sdp: SdpAction = SdpAction.LEAVE,
    have: bytes | None = None,
    reporter: Reporter | None = None,
) -> WriteReport:
    """Program ``data`` at ``start`` with the spec's algorithm (no erase, see apply_plan).

    ``have`` (the chip's bytes at ``[start, start + len(data))`` when the caller knows them)
    spares the JEDEC and page algorithms their read before programming; the EPROM algorithm
    reads each byte as part of its pulse loop and does not need it.
    """
    if spec.algorithm in eprom.ALGORITHMS:
        return eprom.program_range(
            _programming_bus(bus, spec), spec, start, data, reporter=reporter
        )
    if spec.algorithm in paged.ALGORITHMS:
        return paged.program_range(bus, spec, start, data, sdp=sdp, have=have, reporter=reporter)
    return jedec.program_range(bus, spec, start, data, have=have, reporter=reporter)


def erase(bus: ParallelBus, spec: ChipSpec) -> None:
    """Erase the whole chip electrically.

    Raises:
        UsageError: EPROMs (UV only) and 28C EEPROMs (no erase command) cannot be erased.
    """
    if spec.technology is Technology.JEDEC_FLASH:
        jedec.erase_chip(bus, spec)
    elif spec.technology is Technology.PAGE_FLASH:
        paged.erase_chip(bus, spec)
    elif spec.technology.is_eprom:
        raise UsageError(f"{spec.name} is an EPROM: erase it with UV light")
    else:
        raise UsageError(f"{spec.name} needs no erase: each write replaces the bytes")


def apply_plan(
    bus: ParallelBus,
    plan: WritePlan,
    *,
    sdp: SdpAction = SdpAction.LEAVE,
    reporter: Reporter | None = None,
) -> WriteReport:
    """Carry out a checked :class:`~romtool.algorithms.plan.WritePlan` block by block.

    The plan knows what each block holds (blank after its sector erase), so the algorithms
    skip their read before programming; what they program is still read back.

    Raises:
        PlanRefused: the plan has blocks that need a UV erase.
    """
    plan.check()
    spec = plan.spec
    rep = reporter or NullReporter()
    total = plan.bytes_to_write
    rep.stage("write", total)
    done = programmed = erased = pulses = retries = 0
    t0 = bus.now_us()
    for block in plan.blocks:
        if block.action is BlockAction.SKIP:
            continue
        have = block.before
        if block.action is BlockAction.ERASE:
            jedec.erase_sector(bus, spec, block.range.start)
            erased += len(block.range)
            have = bytes([spec.blank]) * len(block.range)
        result = program(bus, spec, block.range.start, block.data, sdp=sdp, have=have)
        # The SDP unlock only needs to happen once per run.
        if sdp is SdpAction.UNLOCK:
            sdp = SdpAction.LEAVE
        programmed += result.programmed
        pulses += result.pulses
        retries += result.retries
        done += block.changed
        rep.progress(done, total)
    skipped = sum(len(b.range) for b in plan.with_action(BlockAction.SKIP))
    return WriteReport(
        programmed=programmed,
        skipped=skipped,
        erased=erased,
        pulses=pulses,
        retries=retries,
        elapsed_us=bus.now_us() - t0,
    )
