"""Settings as frozen dataclasses; no file I/O at import.

Defaults live here; :func:`load_settings` reads a TOML file on request (the CLI finds it in the
user's config directory) and command-line options override per command. Every timeout names
why it has its value.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from romtool.errors import ConfigError


@dataclass(frozen=True)
class Timeouts:
    """Time budgets in seconds."""

    command_s: float = 3.0
    """A single request/response round trip; generous over a 115200 baud CH340 bridge."""
    per_byte_s: float = 0.0005
    """Added per byte for reads/writes/CRCs: covers 27C quick-pulse at ~25 pulses worst case."""
    open_s: float = 2.5
    """Opening a serial port and waiting for the board's reset banner (Arduino resets on DTR)."""
    erase_s: float = 60.0
    """Chip erase: Am29F010 datasheet max is about 30 s for the whole chip, doubled."""


@dataclass(frozen=True)
class Retries:
    """Bounded retries, smallest unit first."""

    frame: int = 5
    """Retransmissions of one frame before the operation is retried."""
    operation: int = 2
    """Whole-operation retries (for example a block write) after frame retries ran out."""


@dataclass(frozen=True)
class Settings:
    """Everything a user can set in the config file."""

    programmer: str | None = None
    part: str | None = None
    fill: int = 0xFF
    verify: bool = True
    infoic: str | None = None
    """minipro's infoic.xml, the chip profiles of TL866 programmers (when unset:
    ``$ROMTOOL_INFOIC``, then minipro's install directories)."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: Retries = field(default_factory=Retries)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _build(cls: type[Any], data: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"unknown setting {where}{key!r}")
        sub = known[key].type
        if isinstance(value, dict):
            target = {"Timeouts": Timeouts, "Retries": Retries}.get(str(sub))
            if target is None:
                raise ConfigError(f"setting {where}{key!r} is not a table")
            kwargs[key] = _build(target, value, f"{where}{key}.")
        else:
            kwargs[key] = value
    return cls(**kwargs)


def load_settings(path: Path) -> Settings:
    """Read settings from a TOML file; a missing file gives the defaults.

    Raises:
        ConfigError: unreadable TOML or an unknown key.
    """
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read settings: {exc}", path=str(path)) from None
    try:
        result: Settings = _build(Settings, data, "")
    except TypeError as exc:
        raise ConfigError(f"bad settings: {exc}", path=str(path)) from None
    return result
