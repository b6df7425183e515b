"""A :class:`~romtool.chips.spec.ChipSpec` for a part that only minipro's database knows.

romtool's own chip database covers the boot-ROM parts; minipro's ``infoic.xml`` covers tens of
thousands. With ``-p tl866,part=NAME`` (and no ``-c``) the TL866 driver offers the part named
in minipro's database, described by :func:`chipspec_from_profile`, so the operations can plan,
check and verify it like any other part. The programmer's firmware runs the chip algorithm
from the profile itself; the host-side description only decides how writes are planned
(whether 0 bits can become 1 without an erase) and which id to expect.

What is inferred, and how (our reading of the entry, marked in the spec's notes):

* technology: the entry's erase flag clear -> UV EPROM; protocol 0x05 -> AT29-style page
  flash; with the erase flag, ``page_size`` > 1 -> page EEPROM, 1 -> byte EEPROM, 0 -> JEDEC
  byte-program flash;
* id method: EPROMs -> electronic signature (A9 at 12 V), others with an id -> JEDEC id;
* package: the ``@PACKAGE`` of the name typed, else the pin count.
"""

from __future__ import annotations

from romtool.chips.spec import (
    Algorithm,
    ChipId,
    ChipSpec,
    IdMethod,
    Operation,
    SdpMode,
    Status,
    Technology,
    Timing,
)
from romtool.errors import ChipDatabaseError
from romtool.programmers.tl866.profiles import Tl866Profile

_PROTOCOL_AT29 = 0x05


def _technology(profile: Tl866Profile) -> tuple[Technology, Algorithm]:
    if not profile.can_erase:
        return Technology.UV_EPROM, Algorithm.EPROM_QUICKPULSE
    if profile.protocol_id == _PROTOCOL_AT29:
        return Technology.PAGE_FLASH, Algorithm.AT29_PAGE
    if profile.page_size > 1:
        return Technology.EEPROM, Algorithm.EEPROM_PAGE
    if profile.page_size == 1:
        return Technology.EEPROM, Algorithm.EEPROM_BYTE
    return Technology.JEDEC_FLASH, Algorithm.JEDEC_BYTE


def chipspec_from_profile(profile: Tl866Profile, typed_name: str) -> ChipSpec:
    """Describe the minipro entry ``profile`` (found as ``typed_name``) as a ChipSpec.

    Raises:
        ChipDatabaseError: the entry is not a memory the driver can run (see
            :meth:`Tl866Profile.check_usable`), its size is not a power of two, or its id is
            not a manufacturer:device pair.
    """
    profile.check_usable()
    size = profile.code_memory_size
    if size & (size - 1):
        raise ChipDatabaseError(
            f"{typed_name}: memory size {size} is not a power of two", op="select"
        )
    tech, algorithm = _technology(profile)
    ids: tuple[ChipId, ...] = ()
    id_method = IdMethod.NONE
    if profile.has_chip_id:
        if profile.chip_id_bytes != 2:
            raise ChipDatabaseError(
                f"{typed_name}: id 0x{profile.chip_id:X} is not a manufacturer:device pair",
                op="select",
            )
        ids = (ChipId(profile.chip_id >> 8, profile.chip_id & 0xFF),)
        id_method = IdMethod.A9_HV if tech is Technology.UV_EPROM else IdMethod.JEDEC
    pins = profile.pins
    _base, at, package = typed_name.partition("@")
    page = profile.page_size if profile.page_size > 1 else 1
    return ChipSpec(
        name=typed_name,
        vendor="minipro database",
        size=size,
        package=package if at else f"{pins}-pin",
        pins=pins,
        technology=tech,
        algorithm=algorithm,
        ids=ids,
        id_method=id_method,
        blank=profile.blank_value,
        write_granularity=page if tech is Technology.PAGE_FLASH else 1,
        page_size=page,
        timing=Timing(pulse_us=profile.pulse_delay or None)
        if tech is Technology.UV_EPROM
        else Timing(),
        sdp=SdpMode.OPTIONAL if profile.protect_off_before_write else SdpMode.NONE,
        status=tuple((op, Status.UNTESTED) for op in Operation),
        notes=(
            f"described from minipro's database ({profile.source}); technology inferred "
            "from the entry's flags",
        ),
    )
