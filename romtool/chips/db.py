"""The chip database: loading the packaged data files and looking parts up.

The data files (``romtool/chips/data/*.toml``) are read once, on first use, never at import.
Names are matched case-insensitively; ``NAME@PACKAGE`` matches an entry whose package is
``PACKAGE`` even when that exact spelling is not listed as an alias.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from importlib import resources

from romtool.chips.loader import LoadProblem, load_source
from romtool.chips.selfcheck import Problem, selfcheck
from romtool.chips.spec import ChipId, ChipSpec
from romtool.errors import ChipDatabaseError

DATA_PACKAGE = "romtool.chips.data"


@dataclass(frozen=True)
class ChipDatabase:
    """A loaded set of chip specs with name and id indexes."""

    chips: tuple[ChipSpec, ...]
    load_problems: tuple[LoadProblem, ...] = ()

    @functools.cached_property
    def _by_name(self) -> dict[str, ChipSpec]:
        index: dict[str, ChipSpec] = {}
        for chip in self.chips:
            for name in chip.names:
                index.setdefault(name.upper(), chip)
        return index

    def get(self, name: str) -> ChipSpec:
        """The entry named ``name`` (canonical, alias, or ``NAME@PACKAGE``).

        Raises:
            ChipDatabaseError: no such part; the message lists the nearest names.
        """
        key = name.strip().upper()
        chip = self._by_name.get(key)
        if chip is not None:
            return chip
        if "@" in key:
            base, _, package = key.partition("@")
            chip = self._by_name.get(base)
            if chip is not None and chip.package.upper() == package:
                return chip
        near = self.nearest(name)
        hint = f"did you mean {', '.join(near)}?" if near else "see `romtool chips`"
        raise ChipDatabaseError(f"unknown chip {name!r}", hint=hint)

    def nearest(self, name: str, count: int = 5) -> list[str]:
        """Up to ``count`` known names that look like ``name`` (best first)."""
        key = name.strip().upper()
        upper_to_name = {n.upper(): n for chip in self.chips for n in chip.names}
        hits = difflib.get_close_matches(key, list(upper_to_name), n=count, cutoff=0.6)
        # Substring matches help for "27C256" -> "AT27C256R" style partial names.
        for upper in upper_to_name:
            if len(hits) >= count:
                break
            if key and key in upper and upper not in hits:
                hits.append(upper)
        return [upper_to_name[h] for h in hits]

    def find(self, text: str) -> list[ChipSpec]:
        """Entries whose name, alias, vendor, technology, package or id contains ``text``.

        The match is case-insensitive; an empty text matches everything.
        """
        needle = text.strip().upper()
        out = []
        for chip in self.chips:
            hay = [*chip.names, chip.vendor, chip.technology.value, chip.package]
            hay += [str(cid) for cid in chip.ids]
            if any(needle in h.upper() for h in hay):
                out.append(chip)
        return out

    def with_id(self, mfr: int, dev: int) -> list[ChipSpec]:
        """Entries that answer with ``mfr:dev``: vendor parts first, generic entries last."""
        hits = [c for c in self.chips if c.answers_to(mfr, dev)]
        return sorted(hits, key=lambda c: (c.vendor == "generic", c.name))

    def check(self) -> list[str]:
        """Load problems plus :func:`~romtool.chips.selfcheck.selfcheck` findings, as text."""
        problems: list[LoadProblem | Problem] = [*self.load_problems, *selfcheck(self.chips)]
        return [str(p) for p in problems]


def load_database(sources: dict[str, str] | None = None) -> ChipDatabase:
    """Load chip data from ``sources`` (name -> TOML text), or the packaged data files.

    Raises:
        ChipDatabaseError: a data file is not valid TOML.
    """
    if sources is None:
        sources = {}
        for item in sorted(resources.files(DATA_PACKAGE).iterdir(), key=lambda p: p.name):
            if item.name.endswith(".toml"):
                sources[item.name] = item.read_text(encoding="utf-8")
    chips: list[ChipSpec] = []
    problems: list[LoadProblem] = []
    for source, text in sources.items():
        specs, probs = load_source(text, source)
        chips.extend(specs)
        problems.extend(probs)
    return ChipDatabase(tuple(chips), tuple(problems))


@functools.cache
def database() -> ChipDatabase:
    """The packaged database, loaded on first use."""
    return load_database()


def get_chip(name: str) -> ChipSpec:
    """The packaged entry named ``name``; see :meth:`ChipDatabase.get`."""
    return database().get(name)


def find_chips(text: str) -> list[ChipSpec]:
    """Packaged entries matching ``text``; see :meth:`ChipDatabase.find`."""
    return database().find(text)


def all_chips() -> tuple[ChipSpec, ...]:
    """Every packaged entry, in data-file order."""
    return database().chips


def chips_with_id(mfr: int, dev: int) -> list[ChipSpec]:
    """Packaged entries answering with ``mfr:dev``; see :meth:`ChipDatabase.with_id`."""
    return database().with_id(mfr, dev)


def check_database() -> list[str]:
    """Problems in the packaged database (empty when it is consistent)."""
    return database().check()


def describe_id(chip_id: ChipId) -> str:
    """``"1E:8C (AT27C256R, 27C256)"`` or ``"1E:8C (unknown)"`` for messages."""
    names = [c.name for c in chips_with_id(chip_id.mfr, chip_id.dev)]
    return f"{chip_id} ({', '.join(names) if names else 'unknown'})"
