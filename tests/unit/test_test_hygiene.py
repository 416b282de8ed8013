"""The tests' own rules: no request whose answer nobody looks at (a set-up step that failed would go unseen)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
HTTP_CALLS = frozenset({"get", "post", "patch", "put", "delete", "call"})


def dropped_replies(source: str) -> list[int]:
    """Lines of test functions where a client call is a statement of its own: its reply is never read."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not (isinstance(function, ast.FunctionDef) and function.name.startswith("test_")):
            continue
        for node in ast.walk(function):
            call = node.value if isinstance(node, ast.Expr) else None
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in HTTP_CALLS:
                found.append(node.lineno)
    return found


def test_the_check_finds_a_dropped_reply():
    source = (
        "def test_x(tenant):\n    tenant.admin.patch('/program', {})\n    assert ok(200, tenant.read.get('/program'))\n"
    )
    assert dropped_replies(source) == [2]


def test_no_test_drops_the_reply_of_a_request():
    dropped = {
        f"{path.relative_to(TESTS)}:{line}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for line in dropped_replies(path.read_text())
    }
    assert dropped == set(), "wrap each in ok(status, ...) from tests.support.local, or assert on it"
