"""Images (bytes at addresses with holes) and their file formats."""

from __future__ import annotations

from romtool.image.model import Image, Overlap, Segment

__all__ = ["Image", "Overlap", "Segment"]
