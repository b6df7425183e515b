"""romtool: build, inspect and burn network boot ROMs.

The package is layered (see docs/architecture.md): base modules, the image model, the
option-ROM and chip domain, chip algorithms, programmers, use cases (`romtool.ops`,
`romtool.analysis`) and the frontends (`romtool.cli`, `romtool.tui`).
"""

from __future__ import annotations

__version__ = "0.1.0"
