"""Transports: the only modules that talk to operating-system devices (serial, USB, mmio).

Each hardware library is imported in exactly one module here, and only when a programmer is
opened, so ``romtool --help`` never loads libusb or pyserial.
"""
