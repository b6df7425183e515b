"""The inspect screen's model: a ROM file's images and headers as a tree of labelled nodes.

No Textual here; the screen turns :class:`Node` s into a ``Tree``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from romtool.errors import RomtoolError
from romtool.optionrom import RomImage, Where, walk_chain
from romtool.optionrom.fields import HeaderView
from romtool.optionrom.lint import Severity, Verdict
from romtool.optionrom.report import inspect_rom


@dataclass
class Node:
    """One line of the tree and the lines under it.

    Attributes:
        label: the text shown.
        children: nodes under it.
        level: ``"ok"``, ``"warn"`` or ``"error"`` (the screen colours by it), or ``""``.
    """

    label: str
    children: list[Node] = field(default_factory=list)
    level: str = ""

    def add(self, label: str, level: str = "") -> Node:
        node = Node(label, level=level)
        self.children.append(node)
        return node

    def walk(self) -> list[Node]:
        """This node and every node under it, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def _value(view: HeaderView, name: str) -> str:
    try:
        value = getattr(view, name)
    except RomtoolError as exc:
        return f"({exc.message})"
    if isinstance(value, bytes | bytearray):
        return value.hex(" ").upper()
    if isinstance(value, int):
        return f"0x{value:X}"
    return str(value)


def header_node(parent: Node, view: HeaderView, image_offset: int) -> Node:
    """A header and its field table (offsets relative to the image)."""
    node = parent.add(f"{view.NAME} at +0x{view.offset - image_offset:X}")
    for f in view.FIELDS:
        if view.offset + f.offset + f.size > view.limit:
            continue
        value = _value(view, f.name)
        if value == "None":  # an optional field beyond the structure's declared length
            continue
        node.add(f"+0x{f.offset:02X} {f.name} = {value}  {f.doc}")
    return node


def image_node(parent: Node, img: RomImage) -> Node:
    """One image: summary line, then every structure found (or why not)."""
    fam = img.detect_family()
    pcir = img.pcir
    ids = f", {pcir.vendor:04x}:{pcir.device:04x}" if pcir is not None else ""
    try:
        ok = img.checksum_ok()
        checksum = "checksum ok" if ok else f"checksum BAD (sum 0x{img.checksum_sum():02X})"
    except RomtoolError as exc:
        ok, checksum = False, exc.message
    node = parent.add(
        f"image {img.index + 1} at 0x{img.offset:X}: {img.size} bytes, {fam.family}{ids}, "
        f"{checksum}",
        level="ok" if ok else "error",
    )
    node.add(f"family: {fam.family} ({fam.reason})")
    header_node(node, img.header, img.offset)
    locators = (
        ("PCIR", img.locate_pcir),
        ("$PnP", img.locate_pnp),
        ("UNDI", img.locate_undi),
        ("iPXE", img.locate_ipxe),
    )
    for name, locate in locators:
        found = locate()
        if found.status is Where.OK and found.view is not None:
            header_node(node, found.view, img.offset)
        elif found.status is not Where.ABSENT:
            node.add(f"{name}: {found.status} {found.detail}".rstrip(), level="warn")
    efi = img.efi
    if efi is not None:
        header_node(node, efi, img.offset)
    return node


SEVERITY_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warn", Severity.INFO: ""}


def _verdict(parent: Node, who: str, verdict: Verdict) -> None:
    word = "runs it" if verdict.accepted else "refuses it"
    parent.add(f"{who} {word}: {verdict.reason}", level="ok" if verdict.accepted else "error")


def inspect_tree(data: bytes, name: str) -> Node:
    """The tree for one ROM file: its images with their headers and lint findings, the BIOS
    verdicts, and any problem that stopped the walk."""
    root = Node(f"{name}: {len(data)} bytes")
    try:
        chain = walk_chain(data, strict=False)
    except RomtoolError as exc:
        root.add(str(exc), level="error")
        return root
    if not chain.images:
        root.add("no option ROM (no 55 AA at the start)", level="error")
    try:
        report = inspect_rom(data)
    except RomtoolError as exc:
        report = None
        root.add(f"lint: {exc}", level="error")
    for img in chain.images:
        node = image_node(root, img)
        if report is not None:
            for f in report.findings:
                if f.image == img.index:
                    node.add(f"{f.severity}: {f.message}", level=SEVERITY_LEVEL[f.severity])
    for problem in chain.problems:
        root.add(problem, level="error")
    if report is not None:
        for f in report.findings:
            if f.image is None and f.code != "chain":
                root.add(f"{f.severity}: {f.message}", level=SEVERITY_LEVEL[f.severity])
        bios = Node("BIOS verdict")
        root.children.insert(0, bios)
        if report.seabios is not None and report.seabios_target is not None:
            v, d = report.seabios_target
            _verdict(bios, f"SeaBIOS (as PCI {v:04x}:{d:04x})", report.seabios)
        _verdict(bios, "ISA BIOS scan", report.isa)
        bios.level = "ok" if all(n.level == "ok" for n in bios.children) else "warn"
    return root
