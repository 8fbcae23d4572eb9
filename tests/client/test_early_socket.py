"""The socket main.py opens before the client's imports (issue 13) is made
with the same options as ``net.Socket`` makes its own (read from the sources:
both modules need the browser)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import flack_client

CLIENT = Path(flack_client.__file__).parent


def _assigned(module: str, name: str) -> ast.expr:
    tree = ast.parse((CLIENT / f"{module}.py").read_text())
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert isinstance(node, ast.Assign)
            return node.value
    raise AssertionError(f"{module}.{name} not found")


def test_the_early_socket_has_nets_options() -> None:
    options = ast.literal_eval(_assigned("net", "OPTIONS"))
    early = _assigned("main", "EARLY_SOCKET")
    # js.io(js.JSON.parse('<options as JSON>'))
    assert isinstance(early, ast.Call) and isinstance(early.args[0], ast.Call)
    literal = early.args[0].args[0]
    assert isinstance(literal, ast.Constant) and isinstance(literal.value, str)
    assert json.loads(literal.value) == options
    assert options["autoConnect"] is False  # handlers first, then connect


def test_the_early_socket_is_opened_before_the_clients_imports() -> None:
    source = (CLIENT / "main.py").read_text()
    assert source.index("EARLY_SOCKET.io.open()") < source.index("from flack_client")
