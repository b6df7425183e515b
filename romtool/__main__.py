"""``python -m romtool`` runs the command-line interface."""

from __future__ import annotations

from romtool.cli import run

run()
