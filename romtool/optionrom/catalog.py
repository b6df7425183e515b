"""The NIC driver catalog: which cards a boot ROM is built for, as data.

The entries live in ``romtool/optionrom/data/nics.toml`` (see the field list at its top);
this module loads them into frozen :class:`NicDriver` records, checks them (:func:`check`) and
answers lookups: by name or alias (:func:`get_driver`), by free text (:func:`search`) and by
PCI id (:func:`drivers_for_id`).
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from romtool.errors import BuildError
from romtool.units import format_pci_id

CATALOG_FILE = "nics.toml"
BUSES = ("isa", "pci")


@dataclass(frozen=True)
class NicDriver:
    """One catalog entry.

    Attributes:
        name: the name ``romtool build NAME`` takes.
        aliases: other names that select it.
        bus: ``"isa"`` or ``"pci"``.
        title: one line about the cards.
        etherboot: Etherboot driver/ROM names.
        ipxe: iPXE driver names (empty when iPXE has none).
        ids: every PCI (vendor, device) the driver claims (empty for ISA).
        default_id: the id used when ``--pci`` is not given (None for ISA).
        debian: Debian's prebuilt iPXE ROM file name, if any.
        sockets: boot-ROM sizes in bytes that sources state.
        chips: parts sources name for the socket.
        three_c503: makerom's ``-3`` fix-up applies.
        notes: what a burner needs to know.
    """

    name: str
    aliases: tuple[str, ...]
    bus: str
    title: str
    etherboot: tuple[str, ...]
    ipxe: tuple[str, ...]
    ids: tuple[tuple[int, int], ...]
    default_id: tuple[int, int] | None
    debian: str | None
    sockets: tuple[int, ...]
    chips: tuple[str, ...]
    three_c503: bool
    notes: str

    @property
    def is_pci(self) -> bool:
        return self.bus == "pci"

    @property
    def max_socket(self) -> int | None:
        """The largest socket size a source states, or None."""
        return max(self.sockets) if self.sockets else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (ids as ``vvvv:dddd`` strings)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "bus": self.bus,
            "title": self.title,
            "etherboot": list(self.etherboot),
            "ipxe": list(self.ipxe),
            "ids": [format_pci_id(v, d) for v, d in self.ids],
            "default_id": format_pci_id(*self.default_id) if self.default_id else None,
            "debian": self.debian,
            "sockets": list(self.sockets),
            "chips": list(self.chips),
            "three_c503": self.three_c503,
            "notes": self.notes,
        }


def _parse_id(text: str, where: str) -> tuple[int, int]:
    parts = text.split(":")
    if len(parts) != 2 or not all(len(p) == 4 for p in parts):
        raise BuildError(f"NIC catalog: {where}: bad PCI id {text!r}, expected vvvv:dddd")
    try:
        return int(parts[0], 16), int(parts[1], 16)
    except ValueError:
        raise BuildError(f"NIC catalog: {where}: bad PCI id {text!r}") from None


def parse_catalog(text: str) -> tuple[NicDriver, ...]:
    """Parse catalog TOML into records.

    Raises:
        BuildError: TOML syntax, a missing or mistyped field, a bad id or bus.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"NIC catalog: {exc}") from None
    out: list[NicDriver] = []
    for i, entry in enumerate(doc.get("driver", [])):
        where = f"entry {i + 1} ({entry.get('name', '?')})"
        try:
            ids = tuple(_parse_id(s, where) for s in entry.get("ids", []))
            default = entry.get("default_id")
            out.append(
                NicDriver(
                    name=str(entry["name"]),
                    aliases=tuple(str(a) for a in entry.get("aliases", [])),
                    bus=str(entry["bus"]),
                    title=str(entry["title"]),
                    etherboot=tuple(str(a) for a in entry.get("etherboot", [])),
                    ipxe=tuple(str(a) for a in entry.get("ipxe", [])),
                    ids=ids,
                    default_id=_parse_id(default, where) if default else None,
                    debian=entry.get("debian"),
                    sockets=tuple(int(s) for s in entry.get("sockets", [])),
                    chips=tuple(str(c) for c in entry.get("chips", [])),
                    three_c503=bool(entry.get("three_c503", False)),
                    notes=str(entry.get("notes", "")),
                )
            )
        except KeyError as exc:
            raise BuildError(f"NIC catalog: {where}: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise BuildError(f"NIC catalog: {where}: {exc}") from None
    return tuple(out)


def check(drivers: tuple[NicDriver, ...]) -> list[str]:
    """Consistency problems in the catalog (empty when it is sound).

    Names unique, bus known, ISA entries without ids, PCI entries with ids and a default among
    them, ids unique within an entry, sockets in whole 512-byte blocks.
    """
    problems: list[str] = []
    names: set[str] = set()
    for d in drivers:
        if d.name.lower() in names:
            problems.append(f"{d.name}: name used twice")
        names.add(d.name.lower())
        if d.bus not in BUSES:
            problems.append(f"{d.name}: bus {d.bus!r} is not one of {BUSES}")
        if d.bus == "isa" and (d.ids or d.default_id):
            problems.append(f"{d.name}: an ISA driver has no PCI ids")
        if d.bus == "pci":
            if not d.ids:
                problems.append(f"{d.name}: a PCI driver needs ids")
            if d.default_id is None or d.default_id not in d.ids:
                problems.append(f"{d.name}: default_id must be one of its ids")
        if len(set(d.ids)) != len(d.ids):
            problems.append(f"{d.name}: an id is listed twice")
        for s in d.sockets:
            if s <= 0 or s % 512:
                problems.append(f"{d.name}: socket size {s} is not whole 512-byte blocks")
        if not d.etherboot and not d.ipxe:
            problems.append(f"{d.name}: neither an Etherboot nor an iPXE driver")
    return problems


@functools.cache
def all_drivers() -> tuple[NicDriver, ...]:
    """Every catalog entry, in file order (loaded once)."""
    text = resources.files("romtool.optionrom").joinpath("data", CATALOG_FILE).read_text("utf-8")
    return parse_catalog(text)


def find_driver(name: str) -> NicDriver | None:
    """The entry whose name is ``name``, else the one entry with that alias, else None.

    Raises:
        BuildError: several entries share the alias (the message lists them).
    """
    key = name.strip().lower()
    drivers = all_drivers()
    for d in drivers:
        if d.name.lower() == key:
            return d
    hits = [d for d in drivers if key in (a.lower() for a in d.aliases)]
    if len(hits) > 1:
        raise BuildError(
            f"{name!r} names several drivers: {', '.join(d.name for d in hits)}",
            hint="use one of those names",
        )
    return hits[0] if hits else None


def get_driver(name: str) -> NicDriver:
    """Like :func:`find_driver`, but an unknown name is an error with suggestions.

    Raises:
        BuildError: unknown or ambiguous name.
    """
    found = find_driver(name)
    if found is not None:
        return found
    every = [d.name for d in all_drivers()] + [a for d in all_drivers() for a in d.aliases]
    close = difflib.get_close_matches(name.lower(), every, n=4, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else "see `romtool drivers`"
    raise BuildError(f"unknown driver {name!r}", hint=hint)


def search(text: str) -> list[NicDriver]:
    """Entries whose name, aliases, title, driver names, ids or notes contain ``text``.

    An id may be given as ``vvvv:dddd`` or just ``dddd``; matching ignores case.
    """
    needle = text.strip().lower()
    out = []
    for d in all_drivers():
        hay = " ".join(
            [d.name, *d.aliases, d.title, *d.etherboot, *d.ipxe, *d.chips, d.notes, d.bus]
            + [format_pci_id(v, dev) for v, dev in d.ids]
            + ([d.debian] if d.debian else [])
        ).lower()
        if needle in hay:
            out.append(d)
    return out


def drivers_for_id(vendor: int, device: int) -> list[NicDriver]:
    """Entries that claim the PCI id."""
    return [d for d in all_drivers() if (vendor, device) in d.ids]
