"""Textual stays out of every command but `tui`; `tui` checks its arguments before it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

PROBE = """
import contextlib, io, sys
from romtool.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main({argv!r})
print("textual" in sys.modules, "romtool.tui" in sys.modules)
"""


def loaded(argv: list[str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_help_and_compare_do_not_import_textual(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"\x00" * 16)
    assert loaded(["--help"]) == "False False"
    assert loaded(["compare", str(f), str(f)]) == "False False"
    assert loaded(["tui", "--help"]) == "False False"


def test_tui_argument_errors(cli: Any, tmp_path: Path) -> None:
    res = cli("tui", "compare", str(tmp_path / "a"))
    assert res.status == 2 and "two files" in res.err
    res = cli("tui", "inspect")
    assert res.status == 2 and "one file" in res.err
    res = cli("tui", "bogus")
    assert res.status == 2
