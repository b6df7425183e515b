"""The resume journal: how far an interrupted write got.

While a write runs, the journal (a small JSON file) records which image is being written to
which part through which programmer, and the chip address up to which the programmer has
*committed* (programmed and verified) the data. When the link is lost, ``--resume`` reads it
back, checks that it is the same image and part, and continues from there; the final verify
still checks the whole image. A finished write deletes its journal.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

from romtool.errors import UsageError
from romtool.fileio import write_atomic
from romtool.image.model import Image

SAVE_EVERY = 4096
"""Bytes of progress between journal updates (each one is an fsync'd atomic write)."""


@dataclass
class Journal:
    """One interrupted (or running) write.

    Attributes:
        programmer: the spec string of the programmer.
        part: the part name.
        image_crc: CRC-32 over the image's segments (addresses included).
        start / stop: the image span on the chip.
        committed_to: chip address below which the write is committed.
    """

    programmer: str
    part: str
    image_crc: int
    start: int
    stop: int
    committed_to: int

    def matches(self, other: Journal) -> bool:
        return (self.programmer, self.part, self.image_crc, self.start, self.stop) == (
            other.programmer,
            other.part,
            other.image_crc,
            other.start,
            other.stop,
        )


def image_crc(image: Image) -> int:
    """CRC-32 of the image's addresses and bytes (two images with equal CRC are the same)."""
    crc = 0
    for seg in image.segments:
        crc = zlib.crc32(seg.start.to_bytes(4, "little") + len(seg.data).to_bytes(4, "little"), crc)
        crc = zlib.crc32(seg.data, crc)
    return crc


def journal_path(directory: Path, programmer: str, part: str) -> Path:
    """The journal file for one programmer and part in ``directory``."""
    key = hashlib.sha1(f"{programmer}\0{part}".encode(), usedforsecurity=False).hexdigest()[:16]
    return directory / f"write-{key}.json"


def load(path: Path) -> Journal | None:
    """The journal at ``path``, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Journal(**data)
    except (OSError, ValueError, TypeError):
        return None


def save(path: Path, journal: Journal) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(asdict(journal)).encode(), force=True)


def clear(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def resume_point(path: Path, current: Journal) -> int:
    """The address to resume ``current`` from.

    Raises:
        UsageError: no journal, or it records another image, part or programmer.
    """
    old = load(path)
    if old is None:
        raise UsageError(
            "nothing to resume: no interrupted write was recorded",
            hint="run the write without --resume",
        )
    if not old.matches(current):
        raise UsageError(
            "nothing to resume for this image: the interrupted write was of "
            f"another image or part ({old.part}, 0x{old.start:X}-0x{old.stop - 1:X})",
            hint="run the write without --resume",
        )
    return old.committed_to
