"""Simulated XGecu TL866II+ and T48 programmers, attached to the real driver through pyusb.

:mod:`.device` is the USB protocol side, :mod:`.firmware` drives the datasheet chip models,
:mod:`.backend` is the pyusb backend (``ROMTOOL_USB_BACKEND``).
"""
