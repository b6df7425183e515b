"""Random and mutated HEX/S-record/raw input: only FormatError (a RomtoolError) may escape;
rendered images always parse back to themselves."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.errors import RomtoolError
from romtool.image import Image
from romtool.image.formats import Format, parse_image, render_image, sniff_format


@st.composite
def images(draw: st.DrawFn) -> Image:
    img = Image()
    for start, data in draw(
        st.lists(st.tuples(st.integers(0, 0x30000), st.binary(min_size=1, max_size=80)), max_size=6)
    ):
        with contextlib.suppress(RomtoolError):
            img.add(start, data)
    return img


@st.composite
def mutated_text(draw: st.DrawFn) -> tuple[Format, bytes]:
    fmt = draw(st.sampled_from([Format.IHEX, Format.SREC]))
    text = bytearray(render_image(draw(images()), fmt))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "cut", "dup"]))
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        if op == "flip":
            text[at] = draw(st.sampled_from(b"0123456789ABCDEFSs:\n \x00\xff"))
        elif op == "delete":
            del text[at]
        elif op == "insert":
            text.insert(at, draw(st.integers(0, 255)))
        elif op == "cut":
            del text[at:]
        else:
            lines = bytes(text).splitlines(keepends=True)
            i = at % len(lines)
            lines.insert(i, lines[i])
            text = bytearray(b"".join(lines))
    return fmt, bytes(text)


@settings(max_examples=300, deadline=None)
@given(mutated_text())
def test_mutated_records(case: tuple[Format, bytes]) -> None:
    fmt, text = case
    with contextlib.suppress(RomtoolError):
        parse_image(text, fmt, path="fuzz")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(list(Format)))
def test_random_bytes(data: bytes, fmt: Format) -> None:
    sniff_format(data)
    with contextlib.suppress(RomtoolError):
        parse_image(data, fmt, path="fuzz")


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=":S0123456789ABCDEFabcdef\n\r ", max_size=400), st.sampled_from(list(Format))
)
def test_record_like_text(text: str, fmt: Format) -> None:
    with contextlib.suppress(RomtoolError):
        parse_image(text.encode(), fmt, path="fuzz")


@settings(max_examples=100, deadline=None)
@given(images(), st.sampled_from([Format.IHEX, Format.SREC]))
def test_round_trip(img: Image, fmt: Format) -> None:
    assert parse_image(render_image(img, fmt), fmt) == img
