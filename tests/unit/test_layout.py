"""The layer's layout rules: services and operations know no HTTP; only the repository talks to DynamoDB."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "loyalty" / "python" / "loyalty"
SERVICES = sorted((PACKAGE / "services").glob("*.py"))


def imports(path: Path) -> set[str]:
    """Every module a file imports (`from a.b import c` gives a.b and a.b.c)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("path", [*SERVICES, PACKAGE / "operation.py"], ids=lambda p: p.stem)
def test_services_and_operations_know_no_http(path):
    assert not {name for name in imports(path) if name.startswith("loyalty.http")}, f"{path.name} imports loyalty.http"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.stem)
def test_services_never_call_dynamodb_themselves(path):
    forbidden = {"boto3", "botocore", "loyalty.repository.client"}
    assert not {n for n in imports(path) if n.split(".")[0] in forbidden or n in forbidden}
