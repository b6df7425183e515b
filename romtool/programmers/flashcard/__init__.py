"""The ISA FlashCard: flash in the PC's own memory window, programmed through ``/dev/mem``.

See :mod:`romtool.programmers.flashcard.window` for the placement rules and
docs/programmers/flashcard.md for use.
"""

from __future__ import annotations

from romtool.programmers.registry import ProgrammerType, register

register(
    ProgrammerType(
        "flashcard",
        "ISA FlashCard: flash in this PC's upper memory, programmed through /dev/mem (root)",
        "flashcard:0xD0000[,size=32K] or flashcard:auto or flashcard:sim",
        "romtool.programmers.flashcard.open:open_flashcard",
    )
)
