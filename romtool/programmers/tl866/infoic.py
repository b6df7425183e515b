"""Load chip profiles from a user's minipro ``infoic.xml`` (never shipped with romtool).

minipro keeps its chip database in ``infoic.xml`` (section 1.6 of the protocol reference): a
``<database type="INFOIC2PLUS">`` section for the TL866II+, T48 and T56, with ``<ic>`` elements
grouped under ``<manufacturer>`` and ``<custom>``. Each ``<ic>`` has a comma-separated ``name``
(aliases and ``@PACKAGE`` suffixes, e.g. ``"AT28C256,AT28C256@SOIC28"``) and hex-string
attributes that map one to one onto :class:`~romtool.programmers.tl866.profiles.Tl866Profile`.

The file is large (about 19 MB), so it is parsed as a stream once per process and indexed by
upper-cased name. The file is GPL-licensed data of the minipro project; romtool reads the
copy a user installed with minipro and does not redistribute it.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from romtool.errors import ChipDatabaseError, FormatError, InputError
from romtool.programmers.tl866.profiles import Tl866Profile

DATABASE_TYPE = "INFOIC2PLUS"
"""The database section for the TL866II+ family (``INFOIC`` is the TL866A/CS)."""

ENV_INFOIC = "ROMTOOL_INFOIC"
"""Environment variable with the path of an infoic.xml to use."""

STANDARD_LOCATIONS = (
    Path("/usr/share/minipro/infoic.xml"),
    Path("/usr/local/share/minipro/infoic.xml"),
)
"""Where minipro's install puts the file; used when nothing else is configured."""

# infoic.xml attribute -> Tl866Profile field; all values are hex strings.
_ATTRIBUTES = {
    "type": "ic_type",
    "protocol_id": "protocol_id",
    "variant": "variant",
    "read_buffer_size": "read_buffer_size",
    "write_buffer_size": "write_buffer_size",
    "code_memory_size": "code_memory_size",
    "data_memory_size": "data_memory_size",
    "data_memory2_size": "data_memory2_size",
    "page_size": "page_size",
    "pages_per_block": "pages_per_block",
    "chip_id": "chip_id",
    "voltages": "voltages",
    "pulse_delay": "pulse_delay",
    "flags": "flags",
    "chip_info": "chip_info",
    "pin_map": "pin_map",
    "package_details": "package_details",
    "blank_value": "blank_value",
}
# Tl866Profile fields without a default of their own are 0 when the entry lacks them; the
# others (blank_value 0xFF, ic_type MEMORY) keep the dataclass defaults.
_DEFAULTS: dict[str, int] = {
    "protocol_id": 0,
    "variant": 0,
    "read_buffer_size": 0,
    "write_buffer_size": 0,
    "code_memory_size": 0,
    "chip_id": 0,
    "voltages": 0,
    "pulse_delay": 0,
    "flags": 0,
}


def _hex(value: str, attr: str, name: str, path: str) -> int:
    try:
        return int(value.strip(), 16)
    except ValueError:
        raise FormatError(
            f"<ic name={name!r}>: attribute {attr} is not a hex number: {value!r}", path=path
        ) from None


def _profile(attrs: dict[str, str], path: str) -> Tl866Profile | None:
    raw_names = [n.strip() for n in attrs.get("name", "").split(",")]
    names = [n for n in raw_names if n]
    if not names:
        return None
    values: dict[str, Any] = dict(_DEFAULTS)
    for attr, field_name in _ATTRIBUTES.items():
        text = attrs.get(attr)
        if text is not None and text.strip():
            values[field_name] = _hex(text, attr, names[0], path)
    return Tl866Profile(
        name=names[0], aliases=tuple(names[1:]), source=f"infoic.xml ({path})", **values
    )


def iter_profiles(path: str | os.PathLike[str]) -> Iterator[Tl866Profile]:
    """Every ``<ic>`` of the INFOIC2PLUS section of ``path``, in file order.

    Raises:
        InputError: the file cannot be opened.
        FormatError: the XML is malformed, an attribute is not hex, or there is no
            INFOIC2PLUS section.
    """
    spath = str(path)
    in_section = False
    seen_section = False
    try:
        for event, elem in ET.iterparse(spath, events=("start", "end")):
            if elem.tag == "database":
                if event == "start":
                    in_section = elem.get("type") == DATABASE_TYPE
                    seen_section = seen_section or in_section
                else:
                    in_section = False
                    elem.clear()
                continue
            if event == "end" and elem.tag == "ic":
                if in_section:
                    profile = _profile(dict(elem.attrib), spath)
                    if profile is not None:
                        yield profile
                elem.clear()
    except OSError as exc:
        raise InputError(f"cannot read minipro database: {exc.strerror}", path=spath) from None
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FormatError(f"not a valid infoic.xml: {exc.msg}", path=spath, line=line) from None
    if not seen_section:
        raise FormatError(
            f'no <database type="{DATABASE_TYPE}"> section (is this minipro\'s infoic.xml?)',
            path=spath,
        )


@dataclass(frozen=True)
class InfoIcDatabase:
    """An indexed infoic.xml: lookups by exact name, by name without package, by chip id."""

    path: str
    by_name: dict[str, Tl866Profile]
    profiles: tuple[Tl866Profile, ...]

    def find(self, name: str) -> Tl866Profile:
        """The entry for ``name``, matching the way users type part names.

        An exact name or alias (case-insensitive) wins. Otherwise a name without ``@PACKAGE``
        matches when exactly one entry has that base name (``W27C512`` finds
        ``W27C512@DIP28`` if there is no other package).

        Raises:
            ChipDatabaseError: no entry, or the base name is ambiguous (the message lists
                the candidates to type).
        """
        key = name.strip().upper()
        hit = self.by_name.get(key)
        if hit is not None:
            return hit
        candidates: dict[int, Tl866Profile] = {}
        shown: list[str] = []
        for full, profile in self.by_name.items():
            if full.split("@", 1)[0] == key:
                if id(profile) not in candidates:
                    candidates[id(profile)] = profile
                shown.append(full)
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        if candidates:
            listed = ", ".join(sorted(shown)[:8])
            raise ChipDatabaseError(
                f"{name!r} matches several minipro entries: {listed}",
                hint="type the full name with its @PACKAGE suffix",
                path=self.path,
            )
        raise ChipDatabaseError(f"no minipro entry named {name!r}", path=self.path)

    def names_for_id(self, chip_id: int) -> list[str]:
        """Names of entries reporting ``chip_id`` (to say what is really in the socket)."""
        if chip_id == 0:
            return []
        return [p.name for p in self.profiles if p.chip_id == chip_id]


_CACHE: dict[tuple[str, int, int], InfoIcDatabase] = {}


def load(path: str | os.PathLike[str]) -> InfoIcDatabase:
    """Parse and index ``path`` (cached per process while the file is unchanged).

    Raises:
        InputError, FormatError: see :func:`iter_profiles`.
    """
    spath = str(path)
    try:
        st = os.stat(spath)
    except OSError as exc:
        raise InputError(f"cannot read minipro database: {exc.strerror}", path=spath) from None
    key = (os.path.realpath(spath), st.st_mtime_ns, st.st_size)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    by_name: dict[str, Tl866Profile] = {}
    profiles: list[Tl866Profile] = []
    for profile in iter_profiles(spath):
        profiles.append(profile)
        for n in profile.names:
            # The first entry with a name wins, as in minipro's linear search.
            by_name.setdefault(n.upper(), profile)
    db = InfoIcDatabase(spath, by_name, tuple(profiles))
    _CACHE[key] = db
    return db


def default_path(explicit: str | None = None) -> str | None:
    """Which infoic.xml to use: ``explicit``, else ``$ROMTOOL_INFOIC``, else minipro's install.

    Returns None when there is none. An explicit path or the environment variable is
    returned even if missing, so that the user hears about the typo.
    """
    if explicit:
        return explicit
    env = os.environ.get(ENV_INFOIC, "").strip()
    if env:
        return env
    for candidate in STANDARD_LOCATIONS:
        if candidate.is_file():
            return str(candidate)
    return None
