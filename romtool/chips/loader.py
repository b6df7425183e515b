"""Typed loader for the chip data files (TOML) in ``romtool/chips/data/``.

File layout::

    [defaults]                      # merged under every [[chip]] of this file
    status = { read = "simulated" }

    [[chip]]
    name = "AT27C256R"
    vendor = "Atmel"
    aliases = ["AT27C256R@DIP28"]
    size = "32K"                    # int bytes or a size string (units.parse_size)
    package = "DIP28"
    pins = 28
    technology = "uv-eprom"
    algorithm = "eprom-quickpulse"
    ids = ["1E:8C"]                 # mfr:dev in hex
    id_method = "a9"
    sectors = [[512, 64]]           # [count, size] groups (flash only)
    timing = { pulse_us = 100, max_pulses = 25 }
    voltages = { vpp_mv = 13000 }
    notes = ["..."]

    [[chip]]
    like = "AT27C256R"              # start from an earlier entry (same file), then override
    name = "AT27C256R-OTP"

Tables (``timing``, ``voltages``, ``status``) merge key by key with ``like`` and
``[defaults]``; everything else replaces.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from romtool.chips.spec import (
    Algorithm,
    ChipId,
    ChipSpec,
    IdMethod,
    Operation,
    SdpMode,
    SectorGroup,
    Status,
    Technology,
    Timing,
    Voltages,
)
from romtool.errors import ChipDatabaseError, UsageError
from romtool.units import parse_size

_TABLES = ("timing", "voltages", "status")
_KNOWN_KEYS = {
    "like",
    "name",
    "vendor",
    "aliases",
    "size",
    "package",
    "pins",
    "technology",
    "algorithm",
    "ids",
    "id_method",
    "blank",
    "write_granularity",
    "page_size",
    "sectors",
    "sdp",
    "vpp_pin",
    "notes",
    *_TABLES,
}


@dataclass(frozen=True)
class LoadProblem:
    """One entry that could not be turned into a :class:`ChipSpec`."""

    source: str
    chip: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.chip}: {self.message}"


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key in _TABLES and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _enum(cls: Any, value: Any, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown {what} {value!r} (known: {choices})") from None


def _size(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} must be a number of bytes or a size like '32K'")
    try:
        return parse_size(value, what=what)
    except UsageError as exc:
        raise ValueError(exc.message) from None


def _chip_id(text: Any) -> ChipId:
    if not isinstance(text, str) or text.count(":") != 1:
        raise ValueError(f"bad id {text!r}: expected 'MM:DD' in hex")
    mfr, dev = (int(part, 16) for part in text.split(":"))
    if not (0 <= mfr <= 0xFF and 0 <= dev <= 0xFF):
        raise ValueError(f"bad id {text!r}: each half is one byte")
    return ChipId(mfr, dev)


def _dataclass_from(cls: Any, data: Mapping[str, Any], what: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {what} field(s): {', '.join(unknown)}")
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{what}.{key} must be a number, got {value!r}")
    return cls(**data)


def build_spec(entry: Mapping[str, Any]) -> ChipSpec:
    """Turn one merged ``[[chip]]`` table into a :class:`ChipSpec`.

    Raises:
        ValueError: a missing or malformed field, or an unknown enum value (technology,
            algorithm, id method, SDP mode, status); the message names it.
    """
    unknown = sorted(set(entry) - _KNOWN_KEYS)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    for key in ("name", "vendor", "size", "package", "pins", "technology", "algorithm"):
        if key not in entry:
            raise ValueError(f"missing field {key!r}")
    status_table = entry.get("status", {})
    status = tuple(
        (_enum(Operation, op, "operation"), _enum(Status, value, "status"))
        for op, value in status_table.items()
    )
    sectors = tuple(
        SectorGroup(int(group[0]), _size(group[1], "sector size"))
        for group in entry.get("sectors", [])
    )
    vpp_pin = entry.get("vpp_pin")
    return ChipSpec(
        name=str(entry["name"]),
        vendor=str(entry["vendor"]),
        aliases=tuple(str(a) for a in entry.get("aliases", [])),
        size=_size(entry["size"], "size"),
        package=str(entry["package"]),
        pins=int(entry["pins"]),
        technology=_enum(Technology, entry["technology"], "technology"),
        algorithm=_enum(Algorithm, entry["algorithm"], "algorithm"),
        ids=tuple(_chip_id(text) for text in entry.get("ids", [])),
        id_method=_enum(IdMethod, entry.get("id_method", "none"), "id method"),
        blank=int(entry.get("blank", 0xFF)),
        write_granularity=int(entry.get("write_granularity", 1)),
        page_size=int(entry.get("page_size", 1)),
        sectors=sectors,
        timing=_dataclass_from(Timing, entry.get("timing", {}), "timing"),
        voltages=_dataclass_from(Voltages, entry.get("voltages", {}), "voltages"),
        sdp=_enum(SdpMode, entry.get("sdp", "none"), "SDP mode"),
        vpp_pin=None if vpp_pin is None else int(vpp_pin),
        status=status,
        notes=tuple(str(n) for n in entry.get("notes", [])),
    )


def load_source(text: str, source: str) -> tuple[list[ChipSpec], list[LoadProblem]]:
    """Parse one data file; entries that fail become :class:`LoadProblem` s.

    Returning problems instead of raising lets the selfcheck list every bad entry at once.

    Raises:
        ChipDatabaseError: the file is not valid TOML at all.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChipDatabaseError(f"bad chip data: {exc}", path=source) from None
    defaults = doc.get("defaults", {})
    specs: list[ChipSpec] = []
    problems: list[LoadProblem] = []
    merged_by_name: dict[str, dict[str, Any]] = {}
    for index, raw in enumerate(doc.get("chip", []), start=1):
        label = str(raw.get("name", f"entry #{index}"))
        entry = _merge(defaults, {})
        like = raw.get("like")
        if like is not None:
            base = merged_by_name.get(str(like))
            if base is None:
                problems.append(LoadProblem(source, label, f"'like' names unknown entry {like!r}"))
                continue
            # A derived entry inherits data, never the names or the notes of its base.
            entry = _merge(entry, {k: v for k, v in base.items() if k not in ("aliases", "notes")})
        entry = _merge(entry, raw)
        entry.pop("like", None)
        merged_by_name[label] = entry
        try:
            specs.append(build_spec(entry))
        except (ValueError, TypeError, IndexError) as exc:
            problems.append(LoadProblem(source, label, str(exc)))
    return specs, problems
