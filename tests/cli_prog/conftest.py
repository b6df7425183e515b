"""Keep resume journals of CLI tests in the test's own directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROMTOOL_STATE_DIR", str(tmp_path / "state"))
