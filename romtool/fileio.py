"""Safe file input and output: atomic writes that never clobber without permission.

Every output romtool writes goes through :func:`write_atomic`: the data lands in a temporary
file in the same directory, is flushed to disk, and is renamed over the target in one step,
so an interrupted run leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from romtool.errors import InputError, OutputExistsError

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Refuse inputs larger than this (256 MiB): far above any parallel EPROM, and it keeps a
mistaken ``/dev/zero`` or disk image from eating memory."""


def read_input(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a whole input file, with one-line errors for the usual mistakes.

    Raises:
        InputError: missing, a directory, unreadable, empty, or larger than ``limit``.
    """
    p = Path(path)
    name = str(path)
    try:
        if p.is_dir():
            raise InputError("is a directory, expected a file", path=name)
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError("no such file", path=name) from None
    except PermissionError:
        raise InputError("permission denied", path=name) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=name) from None
    if len(data) > limit:
        raise InputError(f"file is larger than {limit} bytes", path=name)
    if not data:
        raise InputError("file is empty", path=name)
    return data


def check_writable(path: str | os.PathLike[str], *, force: bool) -> None:
    """Refuse before any work is done when ``path`` exists and ``force`` is false.

    Raises:
        OutputExistsError: the file exists and ``force`` is false.
        InputError: the path is a directory.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory, expected an output file name", path=str(path))
    if p.exists() and not force:
        raise OutputExistsError("output exists", path=str(path), hint="use --force to replace it")


def write_atomic(path: str | os.PathLike[str], data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` atomically.

    Args:
        path: the output file.
        data: its whole new contents.
        force: replace an existing file (otherwise :class:`OutputExistsError`).

    Raises:
        OutputExistsError: exists and not ``force``.
        InputError: the directory is missing or not writable.
    """
    check_writable(path, force=force)
    p = Path(path)
    directory = p.parent if str(p.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=directory)
    except FileNotFoundError:
        raise InputError("directory does not exist", path=str(directory)) from None
    except PermissionError:
        raise InputError("permission denied", path=str(directory)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if p.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, p.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
