"""``romtool tui``: open the full-screen interface on the home menu or a named screen.

Textual is imported only here, inside the command (through :mod:`importlib`), so
``romtool --help`` and every other command stay free of it.
"""

from __future__ import annotations

import importlib

import click

from romtool.errors import UsageError

SCREENS = ("compare", "session", "inspect")


@click.command("tui")
@click.argument("screen", required=False, type=click.Choice(SCREENS))
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--wanted",
    "-w",
    type=click.Choice(["a", "b"]),
    help="compare: the side that should be in the chip.",
)
@click.option("--programmer", "-p", metavar="SPEC", help="session: programmer, e.g. sim:27C256.")
@click.option("--part", "-c", metavar="PART", help="session: the chip, e.g. 27C256.")
def tui(
    screen: str | None,
    paths: tuple[str, ...],
    wanted: str | None,
    programmer: str | None,
    part: str | None,
) -> int:
    """Open the full-screen interface (keyboard driven; ctrl+p for the command palette).

    \b
    Screens:
      romtool tui                              the home menu
      romtool tui compare A B [--wanted a]     two dumps side by side
      romtool tui session [-p SPEC] [-c PART] [IMAGE]
      romtool tui inspect FILE                 images and headers of a ROM file
    """
    need = {"compare": (2, 2), "inspect": (1, 1), "session": (0, 1), None: (0, 0)}[screen]
    if not need[0] <= len(paths) <= need[1]:
        what = {"compare": "two files", "inspect": "one file", "session": "at most one image"}
        raise UsageError(
            f"tui {screen or ''}: expected {what.get(screen or '', 'no files')}".replace("  ", " "),
            expected=need[1],
            actual=len(paths),
        )
    app_module = importlib.import_module("romtool.tui.app")
    analysis = importlib.import_module("romtool.analysis")
    start = app_module.Start(
        screen=screen or "home",
        paths=paths,
        wanted=analysis.Wanted(wanted) if wanted else analysis.Wanted.NONE,
        programmer=programmer,
        part=part,
    )
    app_module.RomtoolApp(start).run()
    return 0
