"""The ``romtool`` command line: a thin click layer over :mod:`romtool.ops` and friends.

:func:`main` takes ``argv`` and returns the exit status, so tests call it in-process.
Command modules are imported only when their command runs, which keeps ``romtool --help``
fast and free of textual/usb imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from romtool import __version__
from romtool.cli.common import report_error
from romtool.errors import EXIT_INPUT, RomtoolError

# command name -> (module, attribute, one-line help). The help is duplicated here so that
# `romtool --help` can list every command without importing any of them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "info": ("romtool.cli.rom_cmds", "info", "Show every option-ROM image in a file, lint it."),
    "checksum": ("romtool.cli.rom_cmds", "checksum", "Check or fix option-ROM checksums."),
    "convert": ("romtool.cli.rom_cmds", "convert", "Convert between raw, Intel HEX, S-records."),
    "scan": ("romtool.cli.rom_cmds", "scan", "Find option ROMs inside a dump or memory."),
    "build": ("romtool.cli.build_cmds", "build", "Build a burnable option ROM for a NIC."),
    "cat": ("romtool.cli.build_cmds", "cat", "Chain option-ROM images into one file."),
    "drivers": ("romtool.cli.build_cmds", "drivers", "List the NIC drivers romtool knows."),
    "chips": ("romtool.cli.chip_cmds", "chips", "List and describe supported chips."),
    "programmers": ("romtool.cli.prog_cmds", "programmers", "List programmer types, devices."),
    "id": ("romtool.cli.prog_cmds", "identify", "Read the chip id in the programmer."),
    "read": ("romtool.cli.prog_cmds", "read", "Read a chip to a file."),
    "write": ("romtool.cli.prog_cmds", "write", "Write (program) a file into a chip."),
    "verify": ("romtool.cli.prog_cmds", "verify", "Compare a chip with a file."),
    "blank": ("romtool.cli.prog_cmds", "blank", "Check that a chip is blank."),
    "erase": ("romtool.cli.prog_cmds", "erase", "Erase an electrically erasable chip."),
    "compare": ("romtool.cli.compare_cmds", "compare", "Compare two images or dumps."),
    "stability": ("romtool.cli.compare_cmds", "stability", "Find bits that flip between reads."),
    "tui": ("romtool.cli.tui_cmd", "tui", "Open the full-screen interface."),
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr, _help = entry
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return _not_yet(cmd_name)
            raise
        command = getattr(module, attr, None)
        if command is None:
            return _not_yet(cmd_name)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry[2]) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _not_yet(name: str) -> click.Command:
    @click.command(name=name, hidden=True)
    def missing() -> None:
        raise RomtoolError(f"command {name!r} is not available in this build")

    return missing


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="romtool")
def cli() -> None:
    """romtool: build, inspect and burn network boot ROMs.

    Typical use: `romtool build 3c509 -o 3c509.rom`, then
    `romtool write -p sim:27C256 -c 27C256 3c509.rom`.
    """


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="romtool", standalone_mode=False)
    except RomtoolError as exc:
        report_error(exc)
        return exc.exit_status
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("romtool: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT if exc.exit_code == 2 else int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("romtool: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    return int(result) if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
