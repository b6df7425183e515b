"""XGecu TL866II+ and T48 programmers over USB (the protocol minipro speaks).

Modules: :mod:`.protocol` (packet codecs), :mod:`.profiles` (chip profiles),
:mod:`.infoic` (minipro's infoic.xml), :mod:`.session` (one method per command) and
:mod:`.driver` (the ``tl866[:SERIAL]`` programmer).
"""
