"""The ISA FlashCard: flash in the PC's own memory window, programmed through ``/dev/mem``.

See :mod:`romtool.programmers.flashcard.window` for the placement rules and
docs/programmers/flashcard.md for use.
"""
