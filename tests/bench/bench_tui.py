"""Benchmark: the TUI compare screen on two 16 MiB dumps (headless Textual, wall time).

Run: .venv/bin/python tests/bench/bench_tui.py [--size 16M] [--diffs 1000]

Prints the time from pushing the compare screen to the first paint of the hex rows (files
read, model built, rows drawn), to the diff being ready (navigation and minimap), the time to
jump to the next difference (key press to repaint, with the headless harness's own cost of a
key press shown and subtracted, and the jump plus drawing every visible line measured
directly), averaged over 20 jumps, and a page-down.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from textual.strip import Strip

from romtool.tui.app import RomtoolApp
from romtool.tui.compare_screen import CompareScreen
from romtool.tui.hexview import HexDiffView
from romtool.units import parse_size

JUMPS = 20


async def measure(pa: Path, pb: Path) -> dict[str, float]:
    app = RomtoolApp()
    out: dict[str, float] = {}
    painted: list[float] = []
    draw = HexDiffView.render_line

    def timed_render_line(self: HexDiffView, y: int) -> Strip:
        # The first row drawn from a loaded model is the first paint of the dump.
        if self.model is not None and not painted:
            painted.append(time.perf_counter())
        return draw(self, y)

    HexDiffView.render_line = timed_render_line  # type: ignore[method-assign]
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        screen = CompareScreen(str(pa), str(pb))
        await app.push_screen(screen)
        view = screen.query_one(HexDiffView)
        while not painted:
            await asyncio.sleep(0.001)
        out["first paint"] = painted[0] - t0
        while screen.report is None:
            await asyncio.sleep(0.001)
        await pilot.pause()
        out["diff ready"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        for _ in range(JUMPS):
            await pilot.press("x")  # no binding: the harness's own cost of a key press
            await pilot.pause()
        idle = (time.perf_counter() - t1) / JUMPS
        t1 = time.perf_counter()
        for _ in range(JUMPS):
            await pilot.press("n")
            await pilot.pause()
        out["next diff (each)"] = (time.perf_counter() - t1) / JUMPS
        out["  minus idle key"] = out["next diff (each)"] - idle
        assert view.cursor > 0
        # The jump's own work without the harness: move the cursor, draw every visible line.
        t1 = time.perf_counter()
        for _ in range(JUMPS):
            screen.action_next_diff()
            for y in range(view.size.height):
                view.render_line(y)
        out["jump + draw (direct)"] = (time.perf_counter() - t1) / JUMPS
        t2 = time.perf_counter()
        await pilot.press("pagedown")
        await pilot.pause()
        out["page down"] = time.perf_counter() - t2
    HexDiffView.render_line = draw  # type: ignore[method-assign]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="16M")
    ap.add_argument("--diffs", type=int, default=1000)
    args = ap.parse_args()
    size = parse_size(args.size)
    rnd = random.Random(2)
    a = rnd.randbytes(size)
    b = bytearray(a)
    for pos in rnd.sample(range(size), args.diffs):
        b[pos] ^= 1 << rnd.randrange(8)
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = Path(tmp) / "a.bin", Path(tmp) / "b.bin"
        pa.write_bytes(a)
        pb.write_bytes(bytes(b))
        result = asyncio.run(measure(pa, pb))
    print(f"TUI compare of 2 x {size} bytes with {args.diffs} differences (headless, 140x40)")
    for name, seconds in result.items():
        print(f"{name:<18} {seconds * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
