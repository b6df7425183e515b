"""XGecu TL866II+ and T48 programmers over USB (the protocol minipro speaks).

Modules: :mod:`.protocol` (packet codecs), :mod:`.profiles` (chip profiles),
:mod:`.infoic` (minipro's infoic.xml), :mod:`.session` (one method per command) and
:mod:`.driver` (the ``tl866[:SERIAL]`` programmer).
"""

from __future__ import annotations

from romtool.programmers.registry import ProgrammerType, register

register(
    ProgrammerType(
        "tl866",
        "XGecu TL866II+ or T48 over USB (chip profiles built in or from minipro's infoic.xml)",
        "tl866[:SERIAL][,infoic=FILE][,part=NAME][,unverified=yes][,protect=yes]",
        "romtool.programmers.tl866.open:open_tl866",
        "romtool.programmers.tl866.open:discover",
    )
)
