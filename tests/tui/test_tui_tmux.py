"""The real thing: `romtool tui compare` in a real terminal (tmux), read back from the screen."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from romtool.image.model import Image
from tests.conftest import require_tool

WAIT_S = 30.0
"""Generous: the first start imports Textual cold on a busy 2-core machine."""


def capture(tmux: str, socket: str) -> str:
    return subprocess.run(
        [tmux, "-L", socket, "capture-pane", "-p", "-t", "rt"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def wait_for(tmux: str, socket: str, text: str) -> str:
    deadline = time.monotonic() + WAIT_S
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(tmux, socket)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear; the screen shows:\n{screen}")


def test_compare_in_tmux(tmp_path: Path, pair: tuple[Image, Image]) -> None:
    tmux = require_tool("tmux")
    want, dump = pair
    (tmp_path / "want.rom").write_bytes(want.to_bytes())
    (tmp_path / "dump.bin").write_bytes(dump.to_bytes())
    socket = f"romtool-test-{os.getpid()}"
    env = {**os.environ, "TERM": "xterm-256color", "ROMTOOL_CONFIG": os.devnull}
    command = f"{sys.executable} -m romtool tui compare --wanted a want.rom dump.bin"
    subprocess.run(
        [
            tmux,
            "-L",
            socket,
            "new-session",
            "-d",
            "-s",
            "rt",
            "-x",
            "100",
            "-y",
            "30",
            "-c",
            str(tmp_path),
            command,
        ],
        check=True,
        env=env,
    )
    try:
        screen = wait_for(tmux, socket, "different: 3 ranges")
        assert "000000 55 AA" in screen
        subprocess.run([tmux, "-L", socket, "send-keys", "-t", "rt", "n"], check=True)
        screen = wait_for(tmux, socket, "0x105  blank")
        assert "000100" in screen
        subprocess.run([tmux, "-L", socket, "send-keys", "-t", "rt", "q"], check=True)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            alive = subprocess.run(
                [tmux, "-L", socket, "has-session", "-t", "rt"], capture_output=True, check=False
            )
            if alive.returncode != 0:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the app did not quit on q")
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True, check=False)
