"""Fault-injection soak: many write sessions over a damaged link; none may lie.

Run: .venv/bin/python tests/bench/bench_soak.py [--sessions 1000] [--seed 1]

Each session writes a random image (256 B - 4 KiB, at a random offset) into a random part
(UV EPROM, EEPROM, AT29 page flash, JEDEC flash) through ``ops.write_image`` (plan from device
digests, windowed program, device CRC-32 verify), over a link with random bit errors, drops,
duplicates and stalls (rates up to 2e-3 per byte); one session in ten also loses its link for
good partway, and is then resumed with ``--resume`` semantics on a clean link.

Afterwards the simulated chip is compared with the image. The one number that must be zero is
"wrong contents reported as success". The report also counts sessions that completed only
thanks to retries (frames resent or dropped), sessions that failed with a clear error, and
lost-link sessions that the resume completed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from romtool.chips import get_chip
from romtool.errors import RomtoolError
from romtool.image import Image
from romtool.ops import open_session, write_image
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import LinkModel
from romtool.programmers.sim.simprog import SimProgrammer

PARTS = ("27C256", "27C512", "AT28C256", "AT29C256", "SST39SF010A", "AM29F010")
FAILURES: list[str] = []
"""Messages of sessions that failed without a lost link (shown after the counts)."""
MAX_RATE = 2e-3
"""Highest per-byte fault rate drawn (about one damaged frame in every few hundred bytes)."""


def session(rng: random.Random, index: int, journal: Path, stats: Counter[str]) -> None:
    spec = get_chip(rng.choice(PARTS))
    size = rng.randrange(256, 4097)
    offset = rng.randrange(0, spec.size - size)
    payload = bytes(rng.randrange(256) for _ in range(size))
    image = Image.from_bytes(payload, offset)
    model = model_for(spec, clock=VirtualClock())
    faults = {k: rng.uniform(0, MAX_RATE) for k in ("ber", "drop", "dup") if rng.random() < 0.7}
    if rng.random() < 0.2:
        faults["stall"] = rng.uniform(0, MAX_RATE / 4)
    disconnect = rng.randrange(500, 6000) if rng.random() < 0.1 else None
    link = LinkModel(seed=index, disconnect_after=disconnect, **faults)
    prog = SimProgrammer(spec, chip=model, link=link)
    journal.unlink(missing_ok=True)
    try:
        with open_session(None, spec, programmer=prog) as s:
            result = write_image(s, image, journal_file=journal)
    except RomtoolError as exc:
        stats[f"failed: {type(exc).__name__}"] += 1
        if disconnect is None:
            FAILURES.append(f"session {index} ({spec.name}, {faults}): {exc}")
            return
        # Lost link: resume on a clean link, as a user would after replugging; when the link
        # went before the write began there is nothing to resume, so write again.
        again = SimProgrammer(spec, chip=model)
        resume = journal.exists()
        try:
            with open_session(None, spec, programmer=again) as s:
                result = write_image(s, image, resume=resume, journal_file=journal)
        except RomtoolError as exc2:
            stats[f"after the lost link, failed: {type(exc2).__name__}: {exc2}"] += 1
            return
        stats["lost link, completed by --resume" if resume else "lost link, written again"] += 1
    ok = model.snapshot()[offset : offset + size] == payload
    if not ok:
        stats["WRONG CONTENTS REPORTED AS SUCCESS"] += 1
        return
    stats["success"] += 1
    channel = prog.channel
    link_stats = prog.sim_link.stats if prog.sim_link else None
    damaged = link_stats is not None and (
        link_stats.flipped + link_stats.dropped + link_stats.duplicated + link_stats.stalls
    )
    if result.retried_frames or (channel is not None and channel.resent) or damaged:
        stats["success that needed retries or survived damaged bytes"] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stats: Counter[str] = Counter()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "journal.json"
        for i in range(args.sessions):
            session(rng, i, journal, stats)
    wall = time.perf_counter() - t0
    print(f"{args.sessions} sessions in {wall:.1f} s wall (seed {args.seed})")
    for key in sorted(stats):
        print(f"  {key:<58} {stats[key]:6d}")
    for line in FAILURES[:10]:
        print(f"  failure: {line}")
    lies = stats["WRONG CONTENTS REPORTED AS SUCCESS"]
    print(f"wrong contents reported as success: {lies}")
    return 1 if lies else 0


if __name__ == "__main__":
    sys.exit(main())
