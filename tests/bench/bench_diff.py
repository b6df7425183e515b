"""Benchmark: diff two 16 MiB dumps with 1000 scattered differences, against `cmp -l`.

Run: .venv/bin/python tests/bench/bench_diff.py [--size 16M] [--diffs 1000] [--repeat 5]

Prints the best of N wall times for `cmp -l` (run as a process, its output read through a pipe:
GNU cmp stops at the first difference when its output is /dev/null), for romtool's diff on
bytes in memory, for read + diff from the files (what cmp does), and for the whole
`romtool compare` report (which also digests both sides), with the ratios to cmp.
Target: read + diff at most 2x cmp's time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from romtool.analysis import compare, diff_bytes
from romtool.image.model import Image
from romtool.units import parse_size


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="16M")
    ap.add_argument("--diffs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    size = parse_size(args.size)
    cmp = shutil.which("cmp")
    if cmp is None:
        print("cmp is not installed (diffutils)", file=sys.stderr)
        return 2

    rnd = random.Random(args.seed)
    a = rnd.randbytes(size)
    b = bytearray(a)
    for pos in rnd.sample(range(size), args.diffs):
        b[pos] ^= 1 << rnd.randrange(8)
    b = bytes(b)

    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = Path(tmp) / "a.bin", Path(tmp) / "b.bin"
        pa.write_bytes(a)
        pb.write_bytes(b)

        lines: list[bytes] = []

        def run_cmp() -> None:
            out = subprocess.run([cmp, "-l", pa, pb], stdout=subprocess.PIPE, check=False)
            lines[:] = out.stdout.splitlines()

        def read_and_diff() -> None:
            diff_bytes(pa.read_bytes(), pb.read_bytes())

        ranges = diff_bytes(a, b)
        t_cmp = best(run_cmp, args.repeat)
        t_mem = best(lambda: diff_bytes(a, b), args.repeat)
        t_file = best(read_and_diff, args.repeat)
        ia, ib = Image.from_bytes(a), Image.from_bytes(b)
        t_report = best(lambda: compare(ia, ib), max(1, args.repeat // 2))

    assert len(lines) == args.diffs, "cmp -l printed an unexpected number of lines"
    assert sum(len(r) for r in ranges) == args.diffs
    print(f"dumps: 2 x {size} bytes, {args.diffs} scattered differences, best of {args.repeat}")
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    print(f"cmp -l (process, piped)        {t_cmp * 1000:8.2f} ms")
    print(f"diff_bytes (in memory)         {t_mem * 1000:8.2f} ms  ratio {t_mem / t_cmp:5.2f}x")
    print(f"read both files + diff_bytes   {t_file * 1000:8.2f} ms  ratio {t_file / t_cmp:5.2f}x")
    ratio = t_report / t_cmp
    print(f"full compare report (digests)  {t_report * 1000:8.2f} ms  ratio {ratio:5.2f}x")
    print(f"target read+diff <= 2x cmp: {'met' if t_file <= 2 * t_cmp else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
