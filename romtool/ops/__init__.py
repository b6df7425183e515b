"""Use cases: the public API behind ``romtool id|read|write|verify|blank|erase``.

Typical use::

    from romtool.ops import open_session, write_image
    from romtool.image.formats import load_image

    with open_session("sim:27C256", "27C256") as session:
        result = write_image(session, load_image("3c509.rom"))

Every function reports through a :class:`~romtool.events.Reporter` and raises
:class:`~romtool.errors.RomtoolError` subclasses; nothing here prints.
"""

from __future__ import annotations

from romtool.ops.basic import (
    BlankReport,
    blank_check,
    chip_range,
    erase_chip,
    identify,
    read_chip,
    verify_chip,
)
from romtool.ops.plan import BlockAction, Plan, plan_write
from romtool.ops.session import IdCheck, Session, check_id, open_session
from romtool.ops.verify import Diagnosis, VerifyResult, diagnose, verify_image
from romtool.ops.write import WriteResult, write_image

__all__ = [
    "BlankReport",
    "BlockAction",
    "Diagnosis",
    "IdCheck",
    "Plan",
    "Session",
    "VerifyResult",
    "WriteResult",
    "blank_check",
    "check_id",
    "chip_range",
    "diagnose",
    "erase_chip",
    "identify",
    "open_session",
    "plan_write",
    "read_chip",
    "verify_chip",
    "verify_image",
    "write_image",
]
