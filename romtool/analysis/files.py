"""Load a file to compare (raw, Intel HEX or S-records, detected from name and contents).

Shared by the ``compare``/``stability`` commands and the TUI, which must not import each other.
"""

from __future__ import annotations

from romtool.image.formats import load_image as _load
from romtool.image.model import Image


def load_image(path: str) -> Image:
    """Read ``path`` as an :class:`Image` (a raw file is one segment at address 0).

    Raises:
        InputError: unreadable, empty or too large.
        FormatError: a HEX or S-record file that does not parse.
    """
    return _load(path)
