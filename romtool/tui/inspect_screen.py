"""The inspect screen: a ROM file's images and headers as a tree."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Tree
from textual.widgets.tree import TreeNode

from romtool.errors import RomtoolError
from romtool.image.formats import load_image
from romtool.tui.inspect_model import Node, inspect_tree

LEVEL_STYLES = {"ok": "green", "warn": "yellow", "error": "bold red"}


class InspectScreen(Screen[None]):
    """Show ``path`` as a tree: images, headers with their fields, problems."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "expand_all", "Expand all"),
        Binding("c", "collapse_all", "Collapse all"),
        Binding("escape", "app.pop_screen", "Back", show=False),
    ]

    class Built(Message):
        def __init__(self, root: Node) -> None:
            super().__init__()
            self.root = root

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tree(self.path, id="tree")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Tree).focus()
        self.build()

    @work(thread=True, exclusive=True)
    def build(self) -> None:
        try:
            data = load_image(self.path).to_bytes(fill=0xFF)
            root = inspect_tree(data, self.path)
        except RomtoolError as exc:
            root = Node(self.path)
            root.add(str(exc), level="error")
        self.post_message(self.Built(root))

    def on_inspect_screen_built(self, message: Built) -> None:
        tree: Tree[None] = self.query_one(Tree)
        tree.clear()
        tree.root.set_label(message.root.label)
        self._fill(tree.root, message.root)
        # Verdict, images and findings open; header field tables closed until asked for.
        tree.root.expand()
        for child in tree.root.children:
            child.expand()

    def _fill(self, target: TreeNode[None], node: Node) -> None:
        for child in node.children:
            label = Text(child.label, style=LEVEL_STYLES.get(child.level, ""))
            if child.children:
                self._fill(target.add(label), child)
            else:
                target.add_leaf(label)

    def action_expand_all(self) -> None:
        self.query_one(Tree).root.expand_all()

    def action_collapse_all(self) -> None:
        tree: Tree[None] = self.query_one(Tree)
        tree.root.collapse_all()
        tree.root.expand()
