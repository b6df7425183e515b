"""Dump analysis: diffs as ranges, what differences mean, digests, ROM listings, stability.

Works on bytes and :class:`~romtool.image.Image` s only, never on devices: a frontend reads the
chip through :mod:`romtool.ops` and hands the bytes here.
"""

from __future__ import annotations

from romtool.analysis.classify import (
    Classification,
    ClassifiedRange,
    DiffClass,
    Finding,
    FindingKind,
    byte_class,
    classify,
)
from romtool.analysis.diff import ImageDiff, diff_bytes, diff_images
from romtool.analysis.hashes import Digests, digests, sum8
from romtool.analysis.report import CompareReport, Side, Wanted, compare
from romtool.analysis.roms import RomListing, describe_hit, list_roms
from romtool.analysis.stability import Stability, UnstableByte, stability

__all__ = [
    "Classification",
    "ClassifiedRange",
    "CompareReport",
    "DiffClass",
    "Digests",
    "Finding",
    "FindingKind",
    "ImageDiff",
    "RomListing",
    "Side",
    "Stability",
    "UnstableByte",
    "Wanted",
    "byte_class",
    "classify",
    "compare",
    "describe_hit",
    "diff_bytes",
    "diff_images",
    "digests",
    "list_roms",
    "stability",
    "sum8",
]
