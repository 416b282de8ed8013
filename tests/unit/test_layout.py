"""The layer's layout rules: services and operations know no HTTP; only the repository talks to DynamoDB."""

from __future__ import annotations

import ast
import re
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


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.stem)
def test_services_leave_page_tokens_to_the_repository(path):
    """A service asks `repository.paging` for a page; the token's encoding and signature are not its business."""
    assert "loyalty.repository.cursor" not in imports(path)


def service_graph(paths: list[Path]) -> dict[str, set[str]]:
    """Which service modules each service module imports (at the top or inside a function)."""
    names = {path.stem for path in paths}
    return {
        path.stem: {n.split(".")[2] for n in imports(path) if n.startswith("loyalty.services.")} & names - {path.stem}
        for path in paths
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle of `graph`, each once, as the path that closes it."""
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for after in sorted(graph.get(path[-1], ())):
            if after == path[0]:
                found.append([*path, after])
            elif after not in path and after > path[0]:  # a cycle is found from its smallest module only
                walk([*path, after])

    for start in sorted(graph):
        walk([start])
    return found


def test_services_import_each_other_one_way_only():
    """No two services need each other (a circle forces imports into functions and hides the layering)."""
    assert cycles(service_graph(SERVICES)) == []


def test_the_cycle_check_finds_what_it_looks_for():
    assert cycles({"program": {"rewards"}, "rewards": {"program"}}) == [["program", "rewards", "program"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


# --- the table layout lives in loyalty/repository only ------------------------------------------

_MACHINERY = {"__init__", "client", "cursor", "list_shards", "marshal", "paging", "records", "retry", "store", "table"}
ENTITY_MODULES = sorted(p for p in (PACKAGE / "repository").glob("*.py") if p.stem not in _MACHINERY)
_SEPARATOR = re.compile(r"[A-Za-z0-9}]#|#[A-Z]")  # T#…, …#M#…, {a}#{b}; not "#s = :s" placeholders
_INDEX_ATTRIBUTE = re.compile(r"\bgsi\d")
_KEY_ATTRIBUTES = {"pk", "sk"}
_KEY_BUILDERS = {("store", "key"), ("keys", "tenant"), ("store", "index_entry"), ("store", "Collection")}


def _text(node: ast.AST) -> str | None:
    """A string literal, or an f-string with `{}` where its values go."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def key_words() -> set[str]:
    """The upper-case words the repository spells keys with (MEMBER, REWARD, GUARD, STOCK …)."""
    words: set[str] = set()
    for path in ENTITY_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            text = _text(node)
            if text:
                words |= {w for w in re.split(r"[#{}]", text) if re.fullmatch(r"[A-Z][A-Z_]{1,}", w)}
    return words


def docstring_ids(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants of `tree` (its module's, functions' and classes')."""
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def layout_spelled_in(source: str, words: set[str]) -> list[str]:
    """Every place `source` builds or reads a key, a guard, a due entry or an index attribute itself."""
    found = []
    tree = ast.parse(source)
    inside_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    docstrings = docstring_ids(tree)
    for node in ast.walk(tree):
        text = _text(node)
        where = f"line {getattr(node, 'lineno', '?')}"
        if text is not None and id(node) not in inside_fstrings | docstrings:
            if _SEPARATOR.search(text):
                found.append(f"{where}: key string {text!r}")
            if _INDEX_ATTRIBUTE.search(text) or text in _KEY_ATTRIBUTES or text in words:
                found.append(f"{where}: key or index name {text!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in _KEY_BUILDERS:
                found.append(f"{where}: {owner.id}.{node.func.attr}(…) builds a key")
            if node.func.attr == "query" and isinstance(owner, ast.Name) and owner.id == "store":
                found.append(f"{where}: store.query(…) names a partition")
        if isinstance(node, ast.keyword) and node.arg in {"index", "gsi1pk", "gsi2pk", "gsi3pk"}:
            found.append(f"{where}: names an index ({node.arg}=)")
    return found


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.stem)
def test_services_never_spell_keys_or_index_attributes(path):
    """Keys, guards, counters, due entries and index attributes are built in loyalty/repository only."""
    assert layout_spelled_in(path.read_text(), key_words()) == []


def test_the_layout_check_finds_what_it_looks_for():
    """The check is not vacuous: each way of spelling the layout in a service is caught."""
    words = key_words()
    assert {"MEMBER", "REWARD", "GUARD", "TX", "STOCK"} <= words
    spelled = {
        'k = store.key(f"{keys.tenant(t)}#M#{m}", "MEMBER")': 4,
        'p = f"{tenant}#DUE#EXPIRE"': 1,
        'e = {"gsi3sk": f"{day}#{member}"}': 2,
        'store.query(("pk", p), index="gsi2")': 4,
        'if item["sk"].startswith("STOCK#"): pass': 2,
        'if item["sk"] == "REWARD": pass': 2,
        "x = item.pop('gsi1pk')": 1,
    }
    for source, at_least in spelled.items():
        assert len(layout_spelled_in(source, words)) >= at_least, (source, layout_spelled_in(source, words))
    clean = 'store.update_if(key, {"status": "pending"}, changes)\nsort = "#s BETWEEN :low AND :high"\nf"#{x} = :{x}"'
    assert layout_spelled_in(clean, words) == []


# A DynamoDB expression: a #name compared, a :value placeholder, a range or one of its functions
# (`{}` stands for an f-string's value).
_EXPRESSION = re.compile(
    r"#\w+\s*(=|<|>|BETWEEN\b)|#\w+\s+\{\}|\bBETWEEN\b|(^|[\s(,=<>]):([A-Za-z]|\{\})"
    r"|\b(begins_with|attribute_exists|attribute_not_exists|attribute_type|if_not_exists|contains|size)\("
)


def expressions_in(source: str) -> list[str]:
    """Every string of `source` (docstrings aside) that is, or holds, a DynamoDB expression."""
    tree = ast.parse(source)
    docstrings = docstring_ids(tree)
    found = []
    for node in ast.walk(tree):
        text = _text(node)
        if text is not None and id(node) not in docstrings and _EXPRESSION.search(text):
            found.append(f"line {node.lineno}: {text!r}")
    return found


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.stem)
def test_services_write_no_dynamodb_expressions(path):
    """Key ranges, filters and conditions are spelled by the repository (`between=`, `within=`, its methods)."""
    assert expressions_in(path.read_text()) == []


def test_the_expression_check_finds_what_it_looks_for():
    spelled = [
        'sort, values = "#s BETWEEN :low AND :high", {":low": low, ":high": high}',
        'filters.append(f"#c {op} :{name}")',
        'store.check(key, "#v = :v", {"#v": "version"}, {":v": 1})',
        'condition = "attribute_not_exists(pk) OR memberId = :m"',
        'sort = "begins_with(#s, :status)"',
    ]
    for source in spelled:
        assert expressions_in(source), source
    clean = 'raise Conflict("invalid_state", f"Tiers still named by rewards can\'t be removed: {which}.")\nx = "T#1"'
    assert expressions_in(clean) == []


def test_the_repository_does_build_the_layout():
    """Every entity module of the repository spells its keys (so the services need not)."""
    assert {p.stem for p in ENTITY_MODULES} >= {
        "members",
        "ledger",
        "lots",
        "activities",
        "orders",
        "rewards",
        "redemptions",
        "awards",
        "idempotency",
        "program",
        "keys",
    }
    for path in ENTITY_MODULES:
        assert layout_spelled_in(path.read_text(), key_words()), f"{path.name} builds no keys"


ERRORS_WITH_A_MESSAGE_FIRST = {"NotFound", "ValidationFailed", "Forbidden", "Unauthorized", "Gone", "ApiError"}


def client_messages(path: Path) -> list[tuple[int, str, str]]:
    """(line, start, end) of each literal message an error raised in `path` gives the client: the first argument of
    the errors above, the second of Conflict(code, message); an f-string's literal head and tail."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        index = 1 if node.func.id == "Conflict" else 0 if node.func.id in ERRORS_WITH_A_MESSAGE_FIRST else None
        if index is None or len(node.args) <= index:
            continue
        message = node.args[index]
        if isinstance(message, ast.Constant) and isinstance(message.value, str):
            found.append((node.lineno, message.value, message.value))
        elif isinstance(message, ast.JoinedStr) and message.values:
            head, tail = message.values[0], message.values[-1]
            start = head.value if isinstance(head, ast.Constant) else "{"
            end = tail.value if isinstance(tail, ast.Constant) else "}"
            found.append((node.lineno, str(start), str(end)))
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_error_message_a_client_reads_is_a_sentence(path):
    """`NotFound("promo code")` answered `"message": "promo code"`: a message starts with a capital, a
    placeholder or a field's name (`teamId is ...`) and ends with a full stop."""
    for line, start, end in client_messages(path):
        opens = start[:1].isupper() or start.startswith("{") or re.match(r"[a-z]+[A-Z]\w* ", start)
        assert opens and end.endswith((".", ".)")), (path.name, line)


def test_the_sentence_check_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('NotFound("promo code")\nConflict("x", f"The {a} is gone.")\nNotFound(f"{a} b")\n')
    assert client_messages(sample) == [(1, "promo code", "promo code"), (2, "The ", " is gone."), (3, "{", " b")]
