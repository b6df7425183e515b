"""Helpers shared by the command modules: error display, JSON output, common options."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from romtool.errors import RomtoolError


def report_error(exc: RomtoolError) -> None:
    """Print a RomtoolError as the one line users see."""
    click.echo(f"romtool: error: {exc}", err=True)


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "__dict__"):
        return vars(value)
    return str(value)


def use_color() -> bool:
    """Colour only on a terminal and when NO_COLOR is unset (https://no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def force_option(f: Any) -> Any:
    """``--force``: allow replacing an existing output file."""
    return click.option("--force", "-f", is_flag=True, help="Replace an existing output file.")(f)


def json_option(f: Any) -> Any:
    """``--json``: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(f)
