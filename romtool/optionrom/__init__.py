"""Option-ROM codecs, image chains, checksum repair, lint, BIOS verdicts and ROM scanning.

The codec API other modules build on:

* :mod:`romtool.optionrom.headers`: field tables (``RomHeader``, ``Pcir``, ``PnpHeader``,
  ``UndiRomId``, ``IpxeHeader``, ``EfiHeader``) that read and write in place;
* :mod:`romtool.optionrom.rom`: ``RomImage`` (find structures, family, checksum),
  ``walk_chain``;
* :mod:`romtool.optionrom.fix`: inner checksums then the ROM checksum, family-aware.
"""

from __future__ import annotations

from romtool.optionrom.fields import fix_sum8, sum8
from romtool.optionrom.fix import Fix, fix_all, fix_image, fix_inner_checksums, fix_rom_checksum
from romtool.optionrom.headers import (
    BLOCK,
    CodeType,
    EfiHeader,
    IpxeHeader,
    Pcir,
    PnpHeader,
    RomHeader,
    UndiRomId,
)
from romtool.optionrom.rom import Chain, Family, FamilyGuess, RomImage, Where, walk_chain

__all__ = [
    "BLOCK",
    "Chain",
    "CodeType",
    "EfiHeader",
    "Family",
    "FamilyGuess",
    "Fix",
    "IpxeHeader",
    "Pcir",
    "PnpHeader",
    "RomHeader",
    "RomImage",
    "UndiRomId",
    "Where",
    "fix_all",
    "fix_image",
    "fix_inner_checksums",
    "fix_rom_checksum",
    "fix_sum8",
    "sum8",
    "walk_chain",
]
