"""`romtool compare` and `romtool stability` in-process."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def image(size: int = 4096) -> bytes:
    return random.Random(7).randbytes(size)


def test_compare_same_different_and_bad_input(cli: Any, tmp_path: Path) -> None:
    a = write(tmp_path / "a.rom", image())
    same = write(tmp_path / "same.bin", image())
    dump = bytearray(image())
    dump[0x100] = dump[0x100] & 0x0F | 0xF0 if dump[0x100] != 0xF0 else 0x0F
    b = write(tmp_path / "b.bin", bytes(dump))

    res = cli("compare", a, same)
    assert res.status == 0 and "same" in res.out
    res = cli("compare", a, b)
    assert res.status == 1
    assert "0x000100-0x000100" in res.out and "1 range: 1 bytes" in res.out
    res = cli("compare", "-s", a, b)
    assert res.status == 1 and res.out == ""
    res = cli("compare", a, str(tmp_path / "missing.bin"))
    assert res.status == 2 and "no such file" in res.err and "Traceback" not in res.err
    res = cli("compare", "--wanted", "c", a, b)
    assert res.status == 2 and "--wanted" in res.err


def test_compare_wanted_json(cli: Any, tmp_path: Path) -> None:
    want = image()
    a = write(tmp_path / "want.rom", want)
    b = write(tmp_path / "dump.bin", want[:2048] + b"\xff" * 2048)
    res = cli("compare", "--json", "--wanted", a, a, b)
    assert res.status == 1
    data = json.loads(res.out)
    assert data["wanted"] == "a" and not data["same"]
    assert data["ranges"][-1]["class"] == "blank"
    assert any(f["kind"] == "not-written" for f in data["findings"])
    assert data["a"]["size"] == 4096 and len(data["a"]["sha256"]) == 64


def test_compare_lists_at_most_max(cli: Any, tmp_path: Path) -> None:
    a = write(tmp_path / "a.bin", bytes(1000))
    b = write(tmp_path / "b.bin", bytes([0, 1] * 500))
    res = cli("compare", "--max", "3", a, b)
    assert res.status == 1
    assert res.out.count("different ") == 3 and "and 497 more" in res.out


def test_stability_cli(cli: Any, tmp_path: Path) -> None:
    base = image(2048)
    flip = bytearray(base)
    flip[5] ^= 0x04
    r1 = write(tmp_path / "r1.bin", base)
    r2 = write(tmp_path / "r2.bin", bytes(flip))
    r3 = write(tmp_path / "r3.bin", base)
    out = tmp_path / "best.bin"
    res = cli("stability", r1, r2, r3, "--consensus", str(out))
    assert res.status == 1
    assert "1 bytes in 1 ranges" in res.out or "unstable: 1 bytes" in res.out
    assert "D2:1" in res.out
    assert out.read_bytes() == base
    res = cli("stability", r1, r3)
    assert res.status == 0 and "stable" in res.out
    res = cli("stability", r1, r2, r3, "--consensus", str(out))
    assert res.status == 2 and "exists" in res.err
    res = cli("stability", r1)
    assert res.status == 2
    res = cli("stability", "--json", r1, r2)
    data = json.loads(res.out)
    assert res.status == 1 and data["unstable_bytes"] == 1 and data["bit_flips"]["D2"] == 1
