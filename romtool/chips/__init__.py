"""The chip database: specs of the EPROM/EEPROM/flash parts found in boot-ROM sockets.

Public API::

    from romtool.chips import get_chip, find_chips, all_chips, chips_with_id, ChipSpec

    spec = get_chip("27C256")          # ChipDatabaseError with the nearest names if unknown
    spec.size, spec.algorithm, spec.timing.pulse_us, spec.voltages.vpp_mv

Specs are data (``romtool/chips/data/*.toml``) read through a typed loader
(:mod:`romtool.chips.loader`) and checked by :mod:`romtool.chips.selfcheck`.
"""

from __future__ import annotations

from romtool.chips.db import (
    ChipDatabase,
    all_chips,
    check_database,
    chips_with_id,
    database,
    describe_id,
    find_chips,
    get_chip,
    load_database,
)
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

__all__ = [
    "Algorithm",
    "ChipDatabase",
    "ChipId",
    "ChipSpec",
    "IdMethod",
    "Operation",
    "SdpMode",
    "SectorGroup",
    "Status",
    "Technology",
    "Timing",
    "Voltages",
    "all_chips",
    "check_database",
    "chips_with_id",
    "database",
    "describe_id",
    "find_chips",
    "get_chip",
    "load_database",
]
