"""``romtool build``: from a NIC driver (or a ROM file) to the bytes that go into the chip.

Steps: find the driver binary (:func:`find_driver_binary`) or take the self-test payload;
choose the PCI ids (:func:`resolve_pci`); tell the family (:func:`detect_mode`, never a silent
guess); finalise it (:mod:`~romtool.optionrom.etherboot` byte-exact with makerom 5.4, or
:mod:`~romtool.optionrom.ipxe` like fixrom); then place it in the chip
(:mod:`~romtool.optionrom.placement`). Everything is returned in a :class:`BuildResult`; the
CLI prints its notes and warnings and writes the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from romtool.errors import BuildError, RomFormatError, UsageError
from romtool.image.formats import Format, load_image, render_image
from romtool.optionrom import etherboot, ipxe, selftest
from romtool.optionrom.catalog import NicDriver
from romtool.optionrom.placement import Filler, Place, place_image
from romtool.optionrom.rom import Family, RomImage
from romtool.units import format_pci_id, format_size

ENV_PATH = "ROMTOOL_PATH"
"""Environment variable: a path list (``os.pathsep``) searched for driver binaries first."""

DEBIAN_IPXE_DIRS = ("/usr/lib/ipxe", "/usr/lib/ipxe/qemu", "/usr/share/ipxe")
"""Where Debian's ipxe and ipxe-qemu packages install prebuilt ROMs."""

BOOT_SIG_AT = 510
"""A floppy boot sector ends in 55 AA at 510; Etherboot's .dsk/.zdsk put the ROM after it."""

ROM_EXTENSIONS = (".rom", ".zrom", ".lzrom")
"""Etherboot/iPXE option-ROM file types (``.zrom`` NRV2B, ``.lzrom`` LZHUF-compressed)."""


class Mode(StrEnum):
    """How a driver binary is finalised."""

    AUTO = "auto"
    ETHERBOOT = "etherboot"
    IPXE = "ipxe"


@dataclass(frozen=True)
class BuildOptions:
    """Everything ``romtool build`` was asked for (sizes in bytes).

    Attributes:
        mode: finalising mode; AUTO detects the family and refuses to guess.
        pci: (vendor, device) to write; None: the driver's (default) id, or the file's own.
        ident: Etherboot ident string (PnP product name).
        size: ROM size in bytes (Etherboot ``-s``; iPXE resize; self-test size).
        three_c503: makerom's ``-3``; None takes it from the catalog entry.
        checksum: fix the inner and ROM checksums.
        chip_size: pad to this many bytes (``--chip`` or ``--fill-to``); None: no padding.
        chip_name: the chip's part name, for messages.
        place: low or high end of the chip.
        selftest_flags: QEMU switches for the self-test payload.
        pause_seconds: the self-test BEV's wait for a key.
    """

    mode: Mode = Mode.AUTO
    pci: tuple[int, int] | None = None
    ident: str | None = None
    size: int | None = None
    three_c503: bool | None = None
    checksum: bool = True
    chip_size: int | None = None
    chip_name: str | None = None
    place: Place = Place.LOW
    selftest_flags: selftest.SelftestFlag | None = None
    pause_seconds: int = 10


@dataclass(frozen=True)
class BuildResult:
    """A built ROM.

    Attributes:
        rom: the option-ROM image(s) as the BIOS sees them.
        output: the file contents (``rom`` placed in the chip, or ``rom`` itself).
        family: ``"etherboot"``, ``"ipxe"`` or ``"selftest"``.
        reason: why that family.
        pci: the ids written, or None (ISA, or left as they were).
        image_offset: where ``rom`` starts in ``output``.
        notes: what was done.
        warnings: what the user must know before burning.
    """

    rom: bytes
    output: bytes
    family: str
    reason: str
    pci: tuple[int, int] | None
    image_offset: int
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())


# --- finding the driver binary ------------------------------------------------------------


def search_dirs(env_path: str | None, cwd: Path) -> list[Path]:
    """The directories searched for a driver binary, in order.

    ``ROMTOOL_PATH`` entries, the current directory, ``./bin`` (where Etherboot and iPXE
    builds put ROMs), then Debian's iPXE locations.
    """
    dirs = [Path(p) for p in (env_path or "").split(os.pathsep) if p]
    dirs += [cwd, cwd / "bin"]
    dirs += [Path(p) for p in DEBIAN_IPXE_DIRS]
    return dirs


def candidate_names(name: str, driver: NicDriver | None, pci: tuple[int, int] | None) -> list[str]:
    """File names tried for a driver, most specific first.

    ``<name>.rom/.zrom/.lzrom`` for the given name and the catalog's Etherboot/iPXE names,
    iPXE's ``<vvvvdddd>.rom`` for the chosen id, and Debian's ``pxe-<name>.rom``.
    """
    stems = [name]
    if driver is not None:
        stems += [driver.name, *driver.aliases]
        stems += [n.split(" ")[0] for n in (*driver.etherboot, *driver.ipxe)]
    out: list[str] = []
    for stem in stems:
        for ext in ROM_EXTENSIONS:
            out.append(stem + ext)
    if pci is not None:
        out.append(f"{pci[0]:04x}{pci[1]:04x}.rom")
    if driver is not None and driver.debian:
        out.append(driver.debian)
    out += [f"pxe-{stem}.rom" for stem in stems]
    return list(dict.fromkeys(out))


def find_driver_binary(
    name: str,
    driver: NicDriver | None,
    pci: tuple[int, int] | None,
    *,
    env_path: str | None,
    cwd: Path,
) -> Path:
    """The first driver binary found for ``name`` (see :func:`search_dirs`).

    Raises:
        BuildError: nothing found; the message lists what was searched.
    """
    dirs = search_dirs(env_path, cwd)
    names = candidate_names(name, driver, pci)
    for d in dirs:
        for n in names:
            p = d / n
            if p.is_file():
                return p
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    raise BuildError(
        f"no driver binary for {name!r}: tried {shown} in {', '.join(str(d) for d in dirs)}",
        hint="give --from FILE, or build the self-test with --payload selftest",
    )


def read_rom_file(path: str | os.PathLike[str]) -> bytes:
    """A ROM file as bytes; Intel HEX and S-records are accepted too (from address 0).

    Raises:
        InputError/FormatError: unreadable or unparsable.
    """
    return render_image(load_image(path), Format.RAW)


# --- ids and family -----------------------------------------------------------------------


def resolve_pci(
    driver: NicDriver | None, pci: tuple[int, int] | None
) -> tuple[tuple[int, int] | None, list[str], list[str]]:
    """The ids to write, with notes and warnings.

    Raises:
        BuildError: ids for an ISA driver.
    """
    notes: list[str] = []
    warnings: list[str] = []
    if driver is None:
        return pci, notes, warnings
    if not driver.is_pci:
        if pci is not None:
            raise BuildError(
                f"{driver.name} is an ISA driver: it takes no PCI ids", hint="drop --pci"
            )
        return None, notes, warnings
    if pci is not None:
        if pci not in driver.ids:
            warnings.append(
                f"{format_pci_id(*pci)} is not an id the {driver.name} driver claims; "
                "the driver may not recognise the card"
            )
        return pci, notes, warnings
    assert driver.default_id is not None
    if len(driver.ids) > 1:
        notes.append(
            f"{driver.name} covers {len(driver.ids)} PCI ids; using the family default "
            f"{format_pci_id(*driver.default_id)} (choose another with --pci)"
        )
    return driver.default_id, notes, warnings


def detect_mode(raw: bytes) -> tuple[Mode, str]:
    """Tell whether ``raw`` is finalised the Etherboot or the iPXE way.

    Raises:
        RomFormatError: not an option ROM.
        BuildError: the evidence does not say (the message gives what was seen).
    """
    if len(raw) < 3 or raw[:2] != b"\x55\xaa":
        hint = None
        if raw[BOOT_SIG_AT : BOOT_SIG_AT + 2] == b"\x55\xaa" and raw[512:514] == b"\x55\xaa":
            hint = (
                "this looks like a floppy image (boot sector + ROM, e.g. .zdsk): "
                "the ROM starts at offset 512"
            )
        raise RomFormatError(
            "not an option ROM",
            address=0,
            expected="55 AA",
            actual=raw[:2].hex(" ").upper(),
            hint=hint,
        )
    if selftest.is_selftest(raw):
        return Mode.IPXE, "romtool self-test image (checksum at 6)"
    guess = RomImage(raw).detect_family()
    if guess.family is Family.ETHERBOOT:
        return Mode.ETHERBOOT, guess.reason
    if guess.family in (Family.IPXE, Family.EFI):
        return Mode.IPXE, guess.reason
    if raw[3:4] == b"\xeb" and raw[2] == 0:
        return Mode.ETHERBOOT, "EB short jump at 3 and size byte 0: an unfinalised Etherboot prefix"
    raise BuildError(
        f"cannot tell whether this is an Etherboot or an iPXE image ({guess.reason})",
        hint="give --mode etherboot (checksum at 5) or --mode ipxe (checksum at 6)",
    )


# --- building -----------------------------------------------------------------------------


def build_rom(raw: bytes, options: BuildOptions, driver: NicDriver | None = None) -> BuildResult:
    """Finalise a driver binary (or a finished ROM) and place it.

    Args:
        raw: the binary.
        options: what to do.
        driver: the catalog entry, when the user named a driver (ids, 3c503, socket size).

    Raises:
        RomFormatError: not an option ROM, truncated, broken chain.
        BuildError: anything that cannot be built as asked.
    """
    pci, notes, warnings = resolve_pci(driver, options.pci)
    if options.mode is Mode.AUTO:
        mode, reason = detect_mode(raw)
    else:
        mode, reason = options.mode, f"--mode {options.mode.value}"
        if len(raw) < 3 or raw[:2] != b"\x55\xaa":
            detect_mode(raw)  # raises the one-line "not an option ROM"
    three = options.three_c503
    if three is None:
        three = bool(driver and driver.three_c503)
    if mode is Mode.ETHERBOOT:
        # Without ids makerom leaves the PCIR length alone; romtool always updates it
        # (makerom's "-p ,"), so a resized PCI image never claims its old length.
        eb = etherboot.makerom(
            raw,
            size=options.size,
            ident=options.ident,
            pci=pci if pci is not None else (None, None),
            three_c503=three,
            checksum=options.checksum,
        )
        rom = eb.data
        notes += eb.notes
        if three and eb.size != etherboot.THREE_C503_SIZE:
            warnings.append(f"3c503 fix-up not applied: the ROM is {format_size(eb.size)}")
        family = "etherboot"
    else:
        if options.ident:
            raise BuildError("--ident is an Etherboot-mode option (iPXE sets its own name)")
        if three:
            raise BuildError("--3c503 is an Etherboot-mode option")
        ip = ipxe.finalize_ipxe(raw, pci=pci, size=options.size, checksum=options.checksum)
        rom = ip.data
        notes += ip.notes
        family = "selftest" if selftest.is_selftest(raw) else "ipxe"
    if not options.checksum:
        warnings.append("checksums not fixed (--no-checksum): a BIOS may reject this ROM")
    return _place(rom, family, reason, pci, options, driver, notes, warnings)


def build_selftest_rom(options: BuildOptions, driver: NicDriver | None = None) -> BuildResult:
    """Build the self-test payload for ``driver`` (ISA or PCI), or for ``options.pci`` alone.

    Raises:
        BuildError: ids for an ISA driver, a size or layout that does not fit, options that
            make no sense for the payload.
    """
    pci, notes, warnings = resolve_pci(driver, options.pci)
    if options.ident:
        raise BuildError("--ident does not apply to the self-test payload")
    if options.mode is not Mode.AUTO:
        raise BuildError("--mode does not apply to the self-test payload")
    if not options.checksum:
        raise BuildError("--no-checksum does not apply to the self-test payload")
    three = options.three_c503
    if three is None:
        three = bool(driver and driver.three_c503)
    size = options.size
    layout = None
    if options.chip_size is not None:
        natural = len(selftest.template())
        image_size = selftest.THREE_C503_SIZE if three else (size or natural)
        offset = 0 if options.place is Place.LOW else max(options.chip_size - image_size, 0)
        layout = selftest.ChipLayout(options.chip_size, offset)
        notes.append("unused chip blocks carry numbered markers for the window check")
    rom = selftest.build_selftest(
        pci,
        size=size,
        flags=options.selftest_flags,
        pause_seconds=options.pause_seconds,
        layout=layout,
        three_c503=three,
    )
    kind = f"PCI {format_pci_id(*pci)}" if pci else "ISA (no PCIR)"
    notes.insert(0, f"self-test {selftest.VERSION}, {kind}, {format_size(len(rom))}")
    return _place(rom, "selftest", "romtool self-test payload", pci, options, driver, notes,
                  warnings, filler=selftest.fill_block if layout else None)  # fmt: skip


def _place(
    rom: bytes,
    family: str,
    reason: str,
    pci: tuple[int, int] | None,
    options: BuildOptions,
    driver: NicDriver | None,
    notes: Sequence[str],
    warnings: Sequence[str],
    filler: Filler | None = None,
) -> BuildResult:
    socket = driver.max_socket if driver else None
    warn = list(warnings)
    if options.chip_size is None:
        if options.place is Place.HIGH:
            raise UsageError("--place high needs --chip or --fill-to")
        if socket is not None and len(rom) > socket:
            name = driver.name if driver else "card's"
            warn.append(
                f"the ROM ({format_size(len(rom))}) will not fit the {name} boot-ROM socket "
                f"window ({format_size(socket)})"
            )
        return BuildResult(rom, rom, family, reason, pci, 0, tuple(notes), tuple(warn))
    placed = place_image(
        rom,
        options.chip_size,
        options.place,
        socket_size=socket,
        chip_name=options.chip_name,
        filler=filler,
    )
    what = options.chip_name or format_size(options.chip_size)
    note = f"placed at 0x{placed.offset:X} in the {what} ({options.place.value})"
    return BuildResult(
        rom,
        placed.data,
        family,
        reason,
        pci,
        placed.offset,
        (*notes, note),
        (*warn, *placed.warnings),
    )
