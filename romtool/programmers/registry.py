"""Programmer spec strings and the table of programmer types.

A spec string names a programmer the way users type it::

    TYPE[:TARGET][,KEY=VALUE]...

    sim:27C256,state=chip.bin          simulated romprog board with a 27C256 in the socket
    romprog:/dev/ttyACM0,baud=1000000  romprog board on a serial port, switched to 1 Mbaud
    romprog:socket://localhost:7000    a board (or `python -m romtool.programmers.sim.serve`)
    tl866:SERIAL, serprog:..., tommyprom:..., flashcard:0xD0000

Each type maps to a factory ``module:function`` imported only when that type is opened, so the
table costs nothing at startup. Driver packages register their types with :func:`register` in
their ``__init__``; :data:`DRIVER_PACKAGES` lists the packages imported to collect them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from romtool.errors import RomtoolError, UsageError
from romtool.settings import Settings
from romtool.units import parse_int

if TYPE_CHECKING:
    from romtool.chips.spec import ChipSpec
    from romtool.programmers.base import Programmer


@dataclass(frozen=True)
class ProgrammerSpec:
    """A parsed spec string.

    Attributes:
        kind: the type (``"sim"``, ``"romprog"``).
        target: what follows ``TYPE:`` up to the first comma (port, part, serial), or None.
        options: ``key=value`` pairs after it (keys lower-cased).
        text: the original string, for messages.
    """

    kind: str
    target: str | None
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class OpenContext:
    """What a factory gets besides the spec.

    Attributes:
        settings: timeouts, retries.
        part: the part chosen with ``-c`` (a simulator puts it in the socket by default).
        trace: receives ``--trace`` lines, or None.
    """

    settings: Settings = field(default_factory=Settings)
    part: ChipSpec | None = None
    trace: Callable[[str], None] | None = None


Factory = Callable[[ProgrammerSpec, OpenContext], "Programmer"]


@dataclass(frozen=True)
class Discovered:
    """A device a type can see right now (for ``romtool programmers``)."""

    spec: str
    description: str


@dataclass(frozen=True)
class ProgrammerType:
    """One entry of the table.

    Attributes:
        name: the ``TYPE`` of spec strings.
        summary: one line for ``romtool programmers``.
        example: a spec string to show.
        factory: ``"module:function"`` taking (ProgrammerSpec, OpenContext).
        discover: optional ``"module:function"`` returning a list of :class:`Discovered`.
    """

    name: str
    summary: str
    example: str
    factory: str
    discover: str | None = None


_TYPES: dict[str, ProgrammerType] = {}

DRIVER_PACKAGES = (
    "romtool.programmers.tl866",
    "romtool.programmers.serprog",
    "romtool.programmers.tommyprom",
    "romtool.programmers.flashcard",
)
"""Packages imported once to let them :func:`register` their types."""
_collected = False


def register(ptype: ProgrammerType) -> None:
    """Add (or replace) a programmer type."""
    _TYPES[ptype.name] = ptype


register(
    ProgrammerType(
        "romprog",
        "romtool's open serial programmer (firmware/PROTOCOL.md); any pyserial port or URL",
        "romprog:/dev/ttyACM0[,baud=1000000]",
        "romtool.programmers.romprog.open:open_romprog",
        "romtool.programmers.romprog.open:discover",
    )
)
register(
    ProgrammerType(
        "sim",
        "simulated romprog board with a datasheet model of PART in the socket",
        "sim:27C256[,state=chip.bin][,drop=1e-4]",
        "romtool.programmers.sim.simprog:open_sim",
    )
)


def _collect() -> None:
    global _collected
    if _collected:
        return
    _collected = True
    for name in DRIVER_PACKAGES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise


def known_types() -> list[ProgrammerType]:
    """Every registered type, sorted by name."""
    _collect()
    return sorted(_TYPES.values(), key=lambda t: t.name)


def parse_spec(text: str) -> ProgrammerSpec:
    """Parse ``TYPE[:TARGET][,KEY=VALUE]...``.

    Raises:
        UsageError: empty, a type that is not a word, or an option without ``=``.
    """
    raw = text.strip()
    if not raw:
        raise UsageError("empty programmer spec", hint="for example -p sim:27C256")
    kind, sep, rest = raw.partition(":")
    if not sep:
        kind, _, rest = raw.partition(",")
        target_and_opts = ["", *rest.split(",")] if rest else [""]
    else:
        target_and_opts = rest.split(",")
    kind = kind.strip().lower()
    if not kind.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"bad programmer spec {text!r}: expected TYPE[:TARGET][,KEY=VALUE]")
    target = target_and_opts[0].strip() or None
    options: dict[str, str] = {}
    for item in target_and_opts[1:]:
        item = item.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(
                f"bad programmer option {item!r} in {text!r}: expected KEY=VALUE",
            )
        options[key.strip().lower()] = value.strip()
    return ProgrammerSpec(kind, target, options, raw)


IDENTITY_OPTIONS = frozenset({"state"})
"""Options that say *which* device a spec means (a simulator's state file), as opposed to how
to talk to it (baud, faults, timeouts)."""


def device_identity(text: str) -> str:
    """``TYPE:TARGET`` plus identity options: the same device whatever the link options.

    Resume journals are keyed by it, so a write interrupted at ``baud=1000000`` can be resumed
    at the default rate.
    """
    spec = parse_spec(text)
    out = spec.kind + (f":{spec.target}" if spec.target else "")
    for key in sorted(IDENTITY_OPTIONS & set(spec.options)):
        out += f",{key}={spec.options[key]}"
    return out


def lookup(kind: str) -> ProgrammerType:
    """The type named ``kind``.

    Raises:
        UsageError: unknown, with the list of known types.
    """
    _collect()
    ptype = _TYPES.get(kind)
    if ptype is None:
        names = ", ".join(t.name for t in known_types())
        raise UsageError(f"unknown programmer type {kind!r}", hint=f"known types: {names}")
    return ptype


def _resolve(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def open_programmer(text: str, context: OpenContext | None = None) -> Programmer:
    """Build (not yet open) the programmer for spec string ``text``.

    Raises:
        UsageError: bad spec, unknown type, or bad options for the type.
    """
    spec = parse_spec(text)
    ptype = lookup(spec.kind)
    factory: Factory = _resolve(ptype.factory)
    return factory(spec, context or OpenContext())


def discover() -> list[tuple[ProgrammerType, list[Discovered]]]:
    """Every type with the devices it can see now (types without discovery list none)."""
    out: list[tuple[ProgrammerType, list[Discovered]]] = []
    for ptype in known_types():
        found: list[Discovered] = []
        if ptype.discover:
            try:
                found = list(_resolve(ptype.discover)())
            except RomtoolError:
                found = []
        out.append((ptype, found))
    return out


def check_options(spec: ProgrammerSpec, allowed: set[str]) -> None:
    """Refuse options a type does not know (typos must not be ignored silently).

    Raises:
        UsageError: naming the unknown option and the allowed ones.
    """
    unknown = sorted(set(spec.options) - allowed)
    if unknown:
        raise UsageError(
            f"unknown option {unknown[0]!r} for {spec.kind} programmers",
            hint="allowed: " + ", ".join(sorted(allowed)),
        )


def baud_option(spec: ProgrammerSpec) -> int | None:
    """The ``baud=N`` option, or None when absent.

    Raises:
        UsageError: not a number, or not positive.
    """
    if "baud" not in spec.options:
        return None
    baud = parse_int(spec.options["baud"], what="baud rate")
    if baud <= 0:
        raise UsageError(f"bad baud rate {baud}: expected a positive number")
    return baud
