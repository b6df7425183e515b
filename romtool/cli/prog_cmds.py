"""Programmer commands: ``id``, ``read``, ``write``, ``verify``, ``blank``, ``erase``,
``programmers``. Thin wrappers over :mod:`romtool.ops`.

Output: progress on stderr (a rich bar with rate and ETA on a terminal, plain lines
otherwise), one summary line on stdout (or ``--json``), errors as one line with the exit status
of :mod:`romtool.errors` (0 ok, 1 mismatch, 2 bad input, 3 programmer or device).
Settings come from a TOML file (``$ROMTOOL_CONFIG``, else ``config.toml`` in the user's config
directory); options override them per command.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from romtool.cli.common import emit_json, json_option
from romtool.errors import EXIT_MISMATCH, UsageError
from romtool.events import MonotonicReporter, Reporter
from romtool.ranges import Range
from romtool.settings import Settings, load_settings
from romtool.units import format_rate, format_size, parse_address, parse_size

if TYPE_CHECKING:
    from romtool.ops.plan import Plan

ENV_CONFIG = "ROMTOOL_CONFIG"
"""Path of the settings file (tests set it to /dev/null)."""
ENV_STATE = "ROMTOOL_STATE_DIR"
"""Directory for resume journals (default: the user's state directory)."""
PLAIN_STEP = 25
"""Plain (non-terminal) progress prints a line every this many percent."""
PLAN_RUNS_SHOWN = 24
"""A dry run lists at most this many runs of blocks without -v (a screenful)."""


# --- settings and paths ------------------------------------------------------------------


def config_path() -> Path:
    """``$ROMTOOL_CONFIG``, else ``config.toml`` in the user's config directory."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("romtool")) / "config.toml"


def state_dir() -> Path:
    """Where resume journals live."""
    env = os.environ.get(ENV_STATE)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_state_dir("romtool"))


def _settings(timeout: float | None, retries: int | None) -> Settings:
    settings = load_settings(config_path())
    if timeout is not None:
        if timeout <= 0:
            raise UsageError(f"bad --timeout {timeout:g}: expected seconds > 0")
        settings = settings.replace(timeouts=replace(settings.timeouts, command_s=timeout))
    if retries is not None:
        if retries < 0:
            raise UsageError(f"bad --retries {retries}: expected 0 or more")
        settings = settings.replace(retries=replace(settings.retries, frame=retries))
    return settings


# --- progress rendering --------------------------------------------------------------------


class PlainReporter:
    """Progress as plain lines on stderr (pipes, logs, dumb terminals)."""

    def __init__(self, verbose: int, quiet: bool) -> None:
        self.verbose, self.quiet = verbose, quiet
        self._stage = ""
        self._total: int | None = None
        self._next = PLAIN_STEP

    def stage(self, name: str, total: int | None = None) -> None:
        self._stage, self._total, self._next = name, total, PLAIN_STEP
        if not self.quiet and self.verbose:
            size = f" ({format_size(total)})" if total else ""
            click.echo(f"{name}{size}", err=True)

    def progress(self, done: int, total: int | None = None) -> None:
        total = total or self._total
        if self.quiet or not total:
            return
        pct = done * 100 // total
        if pct >= self._next:
            click.echo(f"{self._stage}: {pct}% ({done}/{total} bytes)", err=True)
            self._next = (pct // PLAIN_STEP + 1) * PLAIN_STEP

    def note(self, message: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(f"romtool: {message}", err=True)

    def warn(self, message: str) -> None:
        click.echo(f"romtool: warning: {message}", err=True)

    def close(self) -> None:
        pass


class RichReporter(PlainReporter):
    """A rich progress bar (bytes, rate, ETA) on a terminal.

    The bar is built at the first stage, on :attr:`clock` when set: the programmer's clock, so
    a simulator shows the modeled rate and ETA, the same as its summary line.
    """

    def __init__(self, verbose: int, quiet: bool) -> None:
        super().__init__(verbose, quiet)
        from rich.console import Console

        self.console = Console(stderr=True)
        self.clock: Callable[[], float] | None = None
        self._progress: Any = None
        self._task: Any = None

    def _bar(self) -> Any:
        if self._progress is None:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            kwargs: dict[str, Any] = {"get_time": self.clock} if self.clock else {}
            self._progress = Progress(
                TextColumn("{task.description:<12}"),
                BarColumn(),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                **kwargs,
            )
            self._progress.start()
        return self._progress

    def stage(self, name: str, total: int | None = None) -> None:
        self._total = total
        bar = self._bar()
        if self._task is not None:
            bar.stop_task(self._task)
        self._task = bar.add_task(name, total=total)

    def progress(self, done: int, total: int | None = None) -> None:
        if self._task is not None:
            self._bar().update(self._task, completed=done, total=total or self._total)

    def note(self, message: str) -> None:
        if self.verbose:
            self.console.print(f"romtool: {message}", markup=False, highlight=False)

    def warn(self, message: str) -> None:
        self.console.print(f"romtool: warning: {message}", markup=False, highlight=False)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def make_reporter(verbose: int, quiet: bool, as_json: bool) -> PlainReporter:
    """A rich bar on an interactive stderr (and not quiet or JSON), else plain lines."""
    interactive = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
    if interactive and not quiet and not as_json:
        return RichReporter(verbose, quiet)
    return PlainReporter(verbose, quiet or as_json)


# --- shared options --------------------------------------------------------------------------


def prog_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options every programmer command takes."""
    options = [
        click.option(
            "-p",
            "--programmer",
            "spec",
            metavar="SPEC",
            help="Programmer, e.g. sim:27C256 or romprog:/dev/ttyACM0.",
        ),
        click.option("-c", "--chip", "part", metavar="PART", help="The part in the socket."),
        click.option(
            "-f",
            "--force",
            is_flag=True,
            help="Go on despite a chip id mismatch; replace an existing output file.",
        ),
        click.option("-v", "--verbose", count=True, help="Say more (repeat for more)."),
        click.option("-q", "--quiet", is_flag=True, help="Only errors, warnings and the result."),
        click.option("--trace", is_flag=True, help="Log every frame with a timestamp on stderr."),
        click.option(
            "--timeout",
            type=float,
            metavar="S",
            help="Seconds to wait for an answer (settings: timeouts.command_s).",
        ),
        click.option(
            "--retries",
            type=int,
            metavar="N",
            help="Resends of one frame before giving up (settings: retries.frame).",
        ),
        json_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


class Context:
    """What one command run needs: settings, reporter, trace."""

    def __init__(self, kw: dict[str, Any]) -> None:
        self.spec: str | None = kw.pop("spec")
        self.part: str | None = kw.pop("part")
        self.force: bool = kw.pop("force")
        self.verbose: int = kw.pop("verbose")
        self.quiet: bool = kw.pop("quiet")
        self.trace_on: bool = kw.pop("trace")
        self.as_json: bool = kw.pop("as_json")
        self.settings = _settings(kw.pop("timeout"), kw.pop("retries"))
        self.reporter = make_reporter(self.verbose, self.quiet, self.as_json)
        self.report: Reporter = MonotonicReporter(self.reporter)

    def trace(self, line: str) -> None:
        click.echo(f"trace {line}", err=True)

    @contextmanager
    def session(self) -> Iterator[Any]:
        from romtool.ops import open_session

        try:
            with open_session(
                self.spec,
                self.part,
                settings=self.settings,
                trace=self.trace if self.trace_on else None,
                reporter=self.report,
            ) as session:
                if isinstance(self.reporter, RichReporter):
                    self.reporter.clock = session.programmer.now
                yield session
        finally:
            self.reporter.close()

    def done(self, text: str, data: dict[str, Any]) -> None:
        if self.as_json:
            emit_json(data)
        else:
            click.echo(text)


def _plan_runs(plan: Plan) -> list[tuple[Range, str, int]]:
    """Merge adjacent plan blocks with the same action: ``(span, action, block count)``."""
    runs: list[tuple[Range, str, int]] = []
    for block in plan.blocks:
        action = block.action.value
        if runs and runs[-1][1] == action and runs[-1][0].stop == block.range.start:
            span, _, count = runs[-1]
            runs[-1] = (Range(span.start, block.range.stop), action, count + 1)
        else:
            runs.append((block.range, action, 1))
    return runs


def _timing(session: Any, seconds: float, nbytes: int) -> str:
    rate = format_rate(nbytes, seconds)
    simulated = " simulated" if session.programmer.kind == "sim" else ""
    return f"{seconds:.2f} s{simulated} ({rate})"


def _load(path: str, fmt: str | None, offset: int) -> Any:
    from romtool.image.formats import load_image

    image = load_image(path, fmt)
    return image.shifted(offset) if offset else image


def _range_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--length", "-l", metavar="N", help="Bytes (default: to the chip's end).")(f)
    return click.option(
        "--start", "-s", metavar="ADDR", default="0", help="First chip address (default 0)."
    )(f)


def _chip_range(session: Any, start: str, length: str | None) -> Range:
    from romtool.ops import chip_range

    return chip_range(
        session,
        parse_address(start, what="start address"),
        parse_size(length, what="length") if length else None,
    )


FORMAT_CHOICE = click.Choice(["raw", "ihex", "srec"])


def _image_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """FILE, ``--offset`` and ``--format``: an image to put into (or compare with) the chip."""
    fmt_help = "Input format (default: detect)."
    f = click.option("--format", "fmt", type=FORMAT_CHOICE, help=fmt_help)(f)
    # No short form: everywhere else in romtool `-o` names an output file, and a user who types
    # `write -o dump.bin` should get "no such option", not an offset parse error.
    f = click.option(
        "--offset",
        default="0",
        metavar="ADDR",
        help="Chip address of the image's address 0 (default 0).",
    )(f)
    return click.argument("image_file", metavar="FILE", type=click.Path(dir_okay=False))(f)


# --- commands --------------------------------------------------------------------------------


@click.command("id")
@prog_options
def identify(**kw: Any) -> int:
    """Read the chip id and name the parts it belongs to."""
    ctx = Context(kw)
    from romtool.ops import identify as op_identify

    with ctx.session() as session:
        check = op_identify(session)
    chip = session.chip
    data = {
        "part": chip.name,
        "id": str(check.chip_id) if check.chip_id else None,
        "matches": check.matches,
        "note": check.note,
    }
    if check.chip_id is None:
        text = f"{chip.name}: id not read: {check.note}"
    elif check.matches:
        text = f"{chip.name}: id {check.note}: matches"
    else:
        text = f"{chip.name}: id {check.note}: does NOT match {chip.name}"
    ctx.done(text, data)
    return EXIT_MISMATCH if check.matches is False else 0


@click.command("read")
@click.argument("output", type=click.Path(dir_okay=False))
@_range_options
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Output format (default: extension).")
@prog_options
def read(output: str, start: str, length: str | None, fmt: str | None, **kw: Any) -> int:
    """Read the chip (or a range of it) into OUTPUT."""
    ctx = Context(kw)
    from romtool.fileio import check_writable
    from romtool.image import Image
    from romtool.image.formats import save_image
    from romtool.ops import read_chip

    check_writable(output, force=ctx.force)
    with ctx.session() as session:
        rng = _chip_range(session, start, length)
        t0 = session.programmer.now()
        data = read_chip(session, rng, force=ctx.force, reporter=ctx.report)
        seconds = session.programmer.now() - t0
    save_image(output, Image.from_bytes(data, rng.start), fmt, force=ctx.force, base=rng.start)
    ctx.done(
        f"read {len(data)} bytes of {session.chip.name} ({rng}) into {output} "
        f"in {_timing(session, seconds, len(data))}",
        {
            "part": session.chip.name,
            "output": output,
            "start": rng.start,
            "length": len(data),
            "seconds": seconds,
        },
    )
    return 0


@click.command("write")
@_image_options
@click.option("--verify/--no-verify", default=None, help="Verify after writing (default on).")
@click.option("--dry-run", "-n", is_flag=True, help="Show the plan; do not touch the chip.")
@click.option("--resume", is_flag=True, help="Continue a write that lost its link.")
@prog_options
def write(
    image_file: str,
    offset: str,
    fmt: str | None,
    verify: bool | None,
    dry_run: bool,
    resume: bool,
    **kw: Any,
) -> int:
    """Write FILE into the chip: plan, program, verify."""
    ctx = Context(kw)
    from romtool.ops import write_image
    from romtool.ops.journal import journal_path

    image = _load(image_file, fmt, parse_address(offset, what="offset"))
    do_verify = ctx.settings.verify if verify is None else verify
    with ctx.session() as session:
        journal = journal_path(state_dir(), session.spec_text, session.chip.name)
        result = write_image(
            session,
            image,
            verify=do_verify,
            dry_run=dry_run,
            force=ctx.force,
            resume=resume,
            journal_file=journal,
            reporter=ctx.report,
            retries=ctx.settings.retries.operation,
        )
    chip = session.chip
    data: dict[str, Any] = {
        "part": chip.name,
        "file": image_file,
        "start": result.span.start,
        "stop": result.span.stop,
        "plan": result.plan,
        "programmed": result.programmed,
        "seconds": result.seconds,
        "dry_run": result.dry_run,
        "verified": result.verify.how if result.verify else None,
        "untouched": [[r.start, r.stop] for r in result.untouched],
        "resumed_from": result.resumed_from,
        "max_pulses": result.max_pulses,
        "retried_frames": result.retried_frames,
    }
    plan = result.plan
    plan_text = ", ".join(f"{n} {k}" for k, n in plan.items() if n)
    if result.dry_run:
        if not ctx.as_json and result.plan_blocks is not None:
            # One line per run of adjacent blocks with the same action: a 128 KiB chip is
            # hundreds of blocks, and what matters is where the actions change.
            runs = _plan_runs(result.plan_blocks)
            shown = runs if ctx.verbose or len(runs) <= PLAN_RUNS_SHOWN else runs[:PLAN_RUNS_SHOWN]
            for span, action, count in shown:
                blocks = "block" if count == 1 else "blocks"
                click.echo(f"  {span!s:>17}  {action} ({count} {blocks})")
            if len(shown) < len(runs):
                click.echo(f"  ... {len(runs) - len(shown)} more runs (-v shows all)")
        text = (
            f"dry run: {len(image)} bytes for {chip.name} at {result.span}: "
            f"{plan_text} (blocks); {result.programmed} bytes would be written"
        )
    else:
        how = f"verified by {result.verify.how}" if result.verify else "NOT verified"
        text = (
            f"wrote {len(image)} bytes to {chip.name} at {result.span} "
            f"in {_timing(session, result.seconds, result.programmed)}, {how}; "
            f"blocks: {plan_text}"
        )
        if result.resumed_from is not None:
            text += f"; resumed at 0x{result.resumed_from:X}"
    if result.untouched:
        left = ", ".join(str(r) for r in result.untouched)
        text += f"; left as they were: {left}"
    ctx.done(text, data)
    return 0


@click.command("verify")
@_image_options
@prog_options
def verify(image_file: str, offset: str, fmt: str | None, **kw: Any) -> int:
    """Compare the chip with FILE (digest first, bytes only where it differs)."""
    ctx = Context(kw)
    from romtool.ops import verify_chip

    image = _load(image_file, fmt, parse_address(offset, what="offset"))
    with ctx.session() as session:
        t0 = session.programmer.now()
        result = verify_chip(session, image, force=ctx.force, reporter=ctx.report)
        seconds = session.programmer.now() - t0
    span = image.span
    ctx.done(
        f"verified {result.checked} bytes of {session.chip.name} at {span} "
        f"by {result.how} in {_timing(session, seconds, result.checked)}: identical",
        {
            "part": session.chip.name,
            "file": image_file,
            "ok": True,
            "how": result.how,
            "checked": result.checked,
            "seconds": seconds,
        },
    )
    return 0


@click.command("blank")
@_range_options
@prog_options
def blank(start: str, length: str | None, **kw: Any) -> int:
    """Check that the chip (or a range) is blank (all 0xFF)."""
    ctx = Context(kw)
    from romtool.ops import blank_check

    with ctx.session() as session:
        rng = _chip_range(session, start, length)
        t0 = session.programmer.now()
        report = blank_check(session, rng, force=ctx.force, reporter=ctx.report)
        seconds = session.programmer.now() - t0
    ctx.done(
        f"{session.chip.name} is blank at {rng} (checked {report.how} in "
        f"{_timing(session, seconds, len(rng))})",
        {
            "part": session.chip.name,
            "blank": True,
            "start": rng.start,
            "stop": rng.stop,
            "how": report.how,
            "seconds": seconds,
        },
    )
    return 0


@click.command("erase")
@click.option("--uv", is_flag=True, help="Simulators: put the UV EPROM under the UV lamp.")
@click.option(
    "--minutes",
    type=int,
    default=20,
    show_default=True,
    help="UV exposure (shorter exposures erase partly).",
)
@click.option("--no-blank-check", is_flag=True, help="Do not blank-check afterwards.")
@prog_options
def erase(uv: bool, minutes: int, no_blank_check: bool, **kw: Any) -> int:
    """Erase the chip (electrically; --uv for a simulated UV EPROM), then blank-check."""
    ctx = Context(kw)
    from romtool.ops import erase_chip

    if minutes <= 0:
        raise UsageError(f"bad --minutes {minutes}: expected a positive number")
    with ctx.session() as session:
        t0 = session.programmer.now()
        report = erase_chip(
            session,
            uv=uv,
            minutes=minutes,
            force=ctx.force,
            check=not no_blank_check,
            reporter=ctx.report,
        )
        seconds = session.programmer.now() - t0
    how = f"UV, {minutes} min" if uv else "electrically"
    checked = ", blank check passed" if report else ""
    ctx.done(
        f"erased {session.chip.name} ({how}) in {seconds:.2f} s{checked}",
        {
            "part": session.chip.name,
            "uv": uv,
            "blank_checked": report is not None,
            "seconds": seconds,
        },
    )
    return 0


@click.command("programmers")
@json_option
def programmers(as_json: bool) -> int:
    """List programmer types and the devices romtool can see."""
    from romtool.programmers.registry import discover

    found = discover()
    if as_json:
        emit_json(
            [
                {
                    "type": t.name,
                    "summary": t.summary,
                    "example": t.example,
                    "devices": [{"spec": d.spec, "description": d.description} for d in devs],
                }
                for t, devs in found
            ]
        )
        return 0
    width = max(len(t.name) for t, _ in found)
    for ptype, devices in found:
        click.echo(f"{ptype.name:<{width}}  {ptype.summary}")
        click.echo(f"{'':<{width}}  e.g. -p {ptype.example}")
        for dev in devices:
            click.echo(f"{'':<{width}}  found: {dev.spec}  {dev.description}")
    return 0
