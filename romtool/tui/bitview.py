"""The bits of the selected byte on both sides, with what each differing bit needs."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from romtool.analysis import DiffClass, Wanted
from romtool.tui.compare_model import Cell
from romtool.tui.hexview import CLASS_STYLES


def bit_text(cell: Cell, wanted: Wanted, where: str = "") -> Text:
    """Three lines: bit numbers, A's bits, B's bits; differing bits coloured by direction.

    With a wanted side, a bit the chip holds at 0 where the image wants 1 needs an erase (red);
    one the chip holds at 1 where the image wants 0 can still be programmed (yellow).
    """
    out = Text()
    out.append(f"0x{cell.address:X}  ", style="cyan")
    out.append(str(cell.cls) if cell.cls else "same", style="bold")
    if where:
        out.append(f"  {where}", style="dim")
    out.append("\n     ")
    out.append(" ".join(f"D{bit}" for bit in range(7, -1, -1)), style="dim")
    for label, value, other in (("A", cell.a, cell.b), ("B", cell.b, cell.a)):
        out.append(f"\n{label} ")
        if value is None:
            out.append("--   (no data)", style="dim")
            continue
        out.append(f"{value:02X} ")
        for bit in range(7, -1, -1):
            mine = (value >> bit) & 1
            style = ""
            if other is not None and ((other >> bit) & 1) != mine:
                style = _bit_style(cell, label, mine, wanted)
            out.append(f" {mine} ", style=style)
    return out


def _bit_style(cell: Cell, label: str, mine: int, wanted: Wanted) -> str:
    if wanted is Wanted.NONE:
        return str(CLASS_STYLES[DiffClass.DIFFERENT])
    dump_side = "B" if wanted is Wanted.A else "A"
    dump_bit = mine if label == dump_side else 1 - mine
    cls = DiffClass.NEEDS_ERASE if dump_bit == 0 else DiffClass.PROGRAMMABLE
    return str(CLASS_STYLES[cls])


class BitView(Widget):
    """Shows :func:`bit_text` for the selected byte.

    A fixed-size widget that only repaints itself: a ``Static.update`` would ask for a new
    layout of the whole screen on every cursor move.
    """

    DEFAULT_CSS = """
    BitView { height: 4; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.text = Text()

    def show(self, cell: Cell, wanted: Wanted, where: str = "") -> None:
        self.text = bit_text(cell, wanted, where)
        self.refresh()

    def render(self) -> Text:
        return self.text
