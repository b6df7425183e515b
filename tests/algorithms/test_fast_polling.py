"""Cheap polling and blind programming: fewer bus round trips, the same failures caught.

A :class:`QueuedModelBus` is the chip-model bus with the queued-bus marker (what serprog's
operation buffer gives): it counts host round trips (one per read or block read) so the tests
can check how many an algorithm needs, without any timing assertion.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from romtool.algorithms import dispatch, jedec, paged
from romtool.algorithms.bus import QueuedBus, queues_writes
from romtool.algorithms.common import poll_ready
from romtool.algorithms.paged import SdpAction
from romtool.algorithms.plan import BlockAction, plan_write
from romtool.chips import ChipId, get_chip
from romtool.errors import DeviceTimeout, ProgramFailure, VerifyError
from romtool.image.model import Image
from romtool.programmers.sim.chips import ChipModel, model_for

from .conftest import ModelBus  # type: ignore[import-not-found]


class QueuedModelBus(ModelBus):
    """A queued bus over a chip model: reads are round trips, writes and delays are not.

    Args:
        model: the chip.
        delay_scale: scales every delay the algorithm asks for (below 1: a device whose
            timer runs short, so blind commands can reach a busy part).
        batch_cycle_us: as for :class:`ModelBus`.
    """

    def __init__(
        self, model: ChipModel, *, delay_scale: float = 1.0, batch_cycle_us: float = 0.0
    ) -> None:
        super().__init__(model, batch_cycle_us=batch_cycle_us)
        self.delay_scale = delay_scale
        self.round_trips = 0
        self.batches = 0

    def queues_writes(self) -> bool:
        return True

    def read_byte(self, address: int) -> int:
        self.round_trips += 1
        return super().read_byte(address)

    def read_block(self, address: int, length: int) -> bytes:
        assert not self.in_batch, "read inside batch()"
        self.round_trips += 1
        return bytes(self.model.read(address + i) for i in range(length))

    def delay_us(self, us: float) -> None:
        self.model.idle(us * self.delay_scale)

    @contextmanager
    def batch(self) -> Iterator[None]:
        self.batches += 1
        with super().batch():
            yield


def queued(
    name: str, delay_scale: float = 1.0, **kwargs: object
) -> tuple[ChipModel, QueuedModelBus]:
    bus_opts = {k: kwargs.pop(k) for k in ("batch_cycle_us",) if k in kwargs}
    model = model_for(get_chip(name), **kwargs)  # type: ignore[arg-type]
    return model, QueuedModelBus(model, delay_scale=delay_scale, **bus_opts)  # type: ignore[arg-type]


def plain(name: str, **kwargs: object) -> tuple[ChipModel, ModelBus]:
    model = model_for(get_chip(name), **kwargs)  # type: ignore[arg-type]
    return model, ModelBus(model)


def noise(n: int, seed: int = 3) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(n))


def test_queued_marker() -> None:
    _m, qbus = queued("SST39SF010A")
    _m, pbus = plain("SST39SF010A")
    assert isinstance(qbus, QueuedBus) and queues_writes(qbus)
    assert not queues_writes(pbus)


# --- status polling ----------------------------------------------------------------------


class ScriptBus:
    """Answers reads from a script (the last value repeats, or the whole script with
    ``cycle``); counts reads and delays."""

    def __init__(self, values: list[int], *, cycle: bool = False) -> None:
        self.values = values
        self.cycle = cycle
        self.reads = 0
        self.t = 0.0
        self.delays: list[float] = []

    def read_byte(self, address: int) -> int:
        n = len(self.values)
        value = self.values[self.reads % n if self.cycle else min(self.reads, n - 1)]
        self.reads += 1
        self.t += 1.0
        return value

    def write_byte(self, address: int, value: int) -> None:
        self.t += 1.0

    def delay_us(self, us: float) -> None:
        self.delays.append(us)
        self.t += us

    def now_us(self) -> float:
        return self.t

    @contextmanager
    def batch(self) -> Iterator[None]:
        yield


def test_poll_data_true_then_confirmed() -> None:
    # Busy (DQ7 complement of 0x12's 0, DQ6 toggling), then the byte.
    bus = ScriptBus([0x80, 0xC0, 0x12, 0x12])
    value, failed = poll_ready(
        bus, 0, expect=0x12, budget_us=1e4, interval_us=5.0, op="t", settle_us=14.0
    )
    assert (value, failed) == (0x12, False)
    # One read per poll while Data# says busy; the settle time comes first.
    assert bus.delays[0] == 14.0 and bus.reads == 4


def test_poll_ends_when_toggle_stops_even_if_data_never_comes() -> None:
    # A byte that did not program (weak cell): DQ7 never shows the data, DQ6 stops toggling.
    bus = ScriptBus([0xC0, 0x80, 0xFF, 0xFF])
    value, failed = poll_ready(bus, 0, expect=0x00, budget_us=1e4, interval_us=5.0, op="t")
    assert (value, failed) == (0xFF, False)


def test_poll_dq5_failure_and_timeout() -> None:
    bus = ScriptBus([0x80, 0xC0, 0xA0, 0xE0, 0xA0, 0xE0])
    _value, failed = poll_ready(
        bus, 0, expect=0x00, budget_us=1e4, interval_us=5.0, op="t", watch_dq5=True
    )
    assert failed
    forever = ScriptBus([0x80, 0xC0], cycle=True)  # an erase that never ends
    with pytest.raises(DeviceTimeout) as exc:
        poll_ready(forever, 0x40, expect=0x00, budget_us=2_000, interval_us=100.0, op="erase")
    assert exc.value.address == 0x40


def test_byte_program_costs_two_reads() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = plain("SST39SF010A")
    assert jedec.program_byte(bus, spec, 0x100, 0x5A) == 0x5A
    assert bus.reads == 2  # after the typical 14 µs: Data# true, then the byte
    assert model.snapshot()[0x100] == 0x5A


def test_byte_program_on_queued_bus_costs_two_round_trips() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = queued("SST39SF010A")
    assert jedec.program_byte(bus, spec, 0x100, 0x5A) == 0x5A
    assert bus.round_trips == 2  # after the typical 14 µs: Data# true, then the byte
    assert model.snapshot()[0x100] == 0x5A


@pytest.mark.parametrize("name", ["SST39SF010A", "AM29F010"])
def test_erase_sleeps_typical_time_first(name: str) -> None:
    spec = get_chip(name)
    model, bus = plain(name, data=bytes(spec.size))
    jedec.erase_sector(bus, spec, 0)
    sector = spec.sector_at(0)
    assert model.snapshot()[sector.start : sector.stop] == b"\xff" * len(sector)
    assert bus.reads <= 3


# --- JEDEC blind programming -------------------------------------------------------------


def test_blind_jedec_round_trips() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = queued("SST39SF010A")
    data = noise(1024)
    report = jedec.program_range(bus, spec, 0x800, data)
    assert model.snapshot()[0x800 : 0x800 + 1024] == data
    assert report.programmed + report.skipped == 1024 and report.retries == 0
    # One read of the range first, then one read-back per BLIND_SPAN bytes.
    assert bus.round_trips == 1 + 1024 // jedec.BLIND_SPAN


def test_blind_known_contents_skip_the_first_read_and_erased_bytes() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = queued("SST39SF010A")
    data = bytes(0xFF if i % 3 else i & 0x7F for i in range(600))
    report = jedec.program_range(bus, spec, 0, data, have=b"\xff" * 600)
    assert model.snapshot()[:600] == data
    assert report.skipped == sum(1 for b in data if b == 0xFF)
    assert model.programs == report.programmed  # type: ignore[attr-defined]
    assert bus.round_trips == -(-600 // jedec.BLIND_SPAN)


def test_blind_amd_dq5_reported_at_failing_byte_and_reset() -> None:
    spec = get_chip("AM29F010")
    initial = bytearray(b"\xff" * 64)
    initial[20] = 0x00  # the caller believes it is 0xFF (stale knowledge)
    model, bus = queued("AM29F010", data=bytes(initial))
    data = bytes(range(64))
    with pytest.raises(ProgramFailure) as exc:
        jedec.program_range(bus, spec, 0, data, have=b"\xff" * 64)
    assert exc.value.address == 20
    assert "DQ5" in str(exc.value)
    # Bytes before the failure are programmed; the part was reset and answers commands.
    assert model.snapshot()[:20] == data[:20]
    assert jedec.software_id(bus, spec) == ChipId(0x01, 0x20)


@pytest.mark.parametrize("make", [queued, plain])
def test_weak_byte_retried_and_reported(make) -> None:  # type: ignore[no-untyped-def]
    spec = get_chip("SST39SF010A")
    model, bus = make("SST39SF010A", weak={7: 2})
    report = jedec.program_range(bus, spec, 0, bytes(16))
    assert report.retries == 2 and model.snapshot()[:16] == bytes(16)
    model, bus = make("SST39SF010A", weak={7: None})
    with pytest.raises(VerifyError) as exc:
        jedec.program_range(bus, spec, 0, bytes(16))
    assert exc.value.address == 7
    assert f"after {1 + jedec.PROGRAM_RETRIES} attempts" in str(exc.value)


@pytest.mark.parametrize("make", [queued, plain])
def test_stuck_bits_named_with_address(make) -> None:  # type: ignore[no-untyped-def]
    spec = get_chip("SST39SF010A")
    _model, bus = make("SST39SF010A", stuck1={0x33: 0x01})
    with pytest.raises(VerifyError) as exc:
        jedec.program_range(bus, spec, 0x30, b"\x00" * 8)
    assert exc.value.address == 0x33
    _model, bus = make("SST39SF010A", stuck0={0x35: 0x80})
    with pytest.raises(VerifyError) as exc:
        jedec.program_range(bus, spec, 0x30, b"\xff" * 4 + b"\x80" * 4)
    assert exc.value.address == 0x35
    assert "erase" in str(exc.value.hint)


def test_blind_zero_to_one_refused_before_any_command() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = queued("SST39SF010A", data=b"\x0f" * 32)
    with pytest.raises(VerifyError) as exc:
        jedec.program_range(bus, spec, 0, b"\x0f" * 10 + b"\x1f")
    assert exc.value.address == 10
    assert model.counters.writes == 0


def test_blind_stale_knowledge_of_a_skipped_byte_is_corrected() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = queued("SST39SF010A")
    data = bytes([0x11, 0x22, 0x33, 0x44])
    # The caller thinks byte 1 already holds 0x22; the chip is blank there.
    report = jedec.program_range(bus, spec, 0, data, have=bytes([0xFF, 0x22, 0xFF, 0xFF]))
    assert model.snapshot()[:4] == data
    assert report.programmed == 3


def test_blind_device_timer_too_short_costs_retries_not_bytes() -> None:
    # Delays run at a tenth of what was asked: most blind commands reach a busy part and are
    # ignored; the careful path programs them, and nothing is written wrong.
    spec = get_chip("SST39SF010A")
    model, bus = queued("SST39SF010A", delay_scale=0.1)
    data = noise(300, seed=9)
    report = jedec.program_range(bus, spec, 0, data)
    assert model.snapshot()[:300] == data
    assert report.retries > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old=st.binary(min_size=40, max_size=40),
    mask=st.binary(min_size=40, max_size=40),
    blind=st.booleans(),
)
def test_blind_and_polled_agree(old: bytes, mask: bytes, blind: bool) -> None:
    """Whatever the chip holds, a programmable target ends up exactly in the chip."""
    spec = get_chip("AM29F010")
    want = bytes(a & b for a, b in zip(old, mask, strict=True))  # only clears bits
    model, bus = (queued if blind else plain)("AM29F010", data=old)
    report = jedec.program_range(bus, spec, 0, want)
    assert model.snapshot()[:40] == want
    assert report.programmed == sum(1 for a, b in zip(old, want, strict=True) if a != b)


# --- page writes ---------------------------------------------------------------------------


def test_blind_pages_round_trips() -> None:
    spec = get_chip("AT28C256")
    model, bus = queued("AT28C256")
    data = noise(2048, seed=5)
    report = paged.program_range(bus, spec, 0, data, sdp=SdpAction.PROTECT)
    assert model.snapshot()[:2048] == data
    assert report.programmed == 2048 and report.retries == 0
    # One read of the range, one read-back per BLIND_SPAN; one batch per page.
    assert bus.round_trips == 1 + 2048 // paged.BLIND_SPAN
    assert bus.batches == 2048 // 64


def test_blind_pages_locked_part_diagnosed() -> None:
    spec = get_chip("AT28C256")
    model, bus = queued("AT28C256")
    model.set_locked(True)  # type: ignore[attr-defined]
    with pytest.raises(ProgramFailure) as exc:
        paged.program_range(bus, spec, 0x100, noise(64))
    assert "software data protection" in str(exc.value)


def test_blind_pages_weak_byte_rewritten() -> None:
    spec = get_chip("AT28C64B")
    model, bus = queued("AT28C64B", weak={3: 1})
    report = paged.program_range(bus, spec, 0, noise(128, seed=2))
    assert report.retries == 1
    assert model.snapshot()[:128] == noise(128, seed=2)
    _model, bus = queued("AT28C64B", weak={3: None})
    with pytest.raises(VerifyError) as exc:
        paged.program_range(bus, spec, 0, noise(128, seed=2))
    assert exc.value.address == 3


def test_blind_pages_slow_load_still_detected() -> None:
    spec = get_chip("AT28C256")
    _model, bus = queued("AT28C256", batch_cycle_us=400.0)
    with pytest.raises(ProgramFailure) as exc:
        paged.program_range(bus, spec, 0, noise(64, seed=2))
    assert "too slow" in str(exc.value)


def test_blind_at29_partial_sector_merged_with_known_contents() -> None:
    spec = get_chip("AT29C256")
    before = noise(spec.size, seed=4)
    model, bus = queued("AT29C256", data=before)
    report = paged.program_range(bus, spec, 0x105, b"\x12\x34", have=before[0x105:0x107])
    snap = model.snapshot()
    assert snap[0x105:0x107] == b"\x12\x34"
    assert snap[0x100:0x105] == before[0x100:0x105]
    assert snap[0x107:0x140] == before[0x107:0x140]
    assert report.programmed == 2


# --- plans ---------------------------------------------------------------------------------


def test_apply_plan_uses_what_the_plan_knows() -> None:
    spec = get_chip("SST39SF010A")
    old = bytearray(b"\xff" * spec.size)
    old[0x1000:0x1010] = b"\x00" * 16  # sector 1 needs an erase
    model, bus = queued("SST39SF010A", data=bytes(old))
    image = Image.from_bytes(noise(0x1800, seed=6))
    plan = plan_write(spec, bytes(old), image)
    assert plan.summary()[BlockAction.ERASE.value] == 1
    assert all(b.before is not None for b in plan.blocks)
    dispatch.apply_plan(bus, plan)
    assert model.snapshot()[:0x1800] == image.read(0, 0x1800)
    # No read before programming: the erase's two status reads (after its typical time)
    # and one read-back per run of BLIND_SPAN addresses with bytes to program.
    spans = 0
    for block in plan.blocks:
        have = block.before if block.action is BlockAction.PROGRAM else b"\xff" * len(block.range)
        assert have is not None
        todo = [i for i, (h, w) in enumerate(zip(have, block.data, strict=True)) if h != w]
        first: int | None = None
        for i in todo:
            if first is None or i - first >= jedec.BLIND_SPAN:
                spans, first = spans + 1, i
    assert bus.round_trips == 2 + spans
