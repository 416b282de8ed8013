"""The import file reader (services/import_files.py), the row rules (models/imports.py) and the event builder's
silence on an import's writes: no engine needed."""

import io

import pytest
from loyalty.models.imports import RowRejected, parse_row
from loyalty.services import events
from loyalty.services.import_files import MAX_LINE_BYTES, RowError, read_rows


def _rows(data: bytes, **kw):
    return list(read_rows(io.BytesIO(data), **kw))


def test_csv_rows_carry_their_physical_line_numbers():
    data = b'\xef\xbb\xbfemail,points\r\na@b.co,10\r\n\r\n"x\ny@z.co",3\nbad,\xff\nq,1,2\n' + b"z" * (
        MAX_LINE_BYTES + 1
    )
    assert _rows(data) == [
        (2, {"email": "a@b.co", "points": "10"}),
        (4, {"email": "x\ny@z.co", "points": "3"}),
        (6, RowError(6, None, "not UTF-8 (byte 5)")),
        (7, RowError(7, None, "expected 2 columns, found 3")),
        (8, RowError(8, None, f"line longer than {MAX_LINE_BYTES} bytes")),
    ]
    assert _rows(b"email,lotId\na@b.co,\n") == [(2, {"email": "a@b.co"})]  # an empty cell is no value


def test_a_quote_inside_an_unquoted_cell_is_a_character_and_an_unclosed_quote_costs_only_its_row():
    data = b'externalId,firstName,points\nq1,O"Brien,10\nq2,"Ann ""A"" B",20\nq3,5" screen,30\nq4,"ab"c,40\n'
    assert _rows(data) == [
        (2, {"externalId": "q1", "firstName": 'O"Brien', "points": "10"}),
        (3, {"externalId": "q2", "firstName": 'Ann "A" B', "points": "20"}),
        (4, {"externalId": "q3", "firstName": '5" screen', "points": "30"}),
        (5, {"externalId": "q4", "firstName": "abc", "points": "40"}),
    ]
    unclosed = b'email,points\n"a@b.co,1\nc@d.co,2\ne@f.co,3\n'
    assert _rows(unclosed) == [
        (2, RowError(2, None, "a quoted cell is not closed")),
        (3, {"email": "c@d.co", "points": "2"}),
        (4, {"email": "e@f.co", "points": "3"}),
    ]
    long_cell = b'email,points\n"' + b"x" * (MAX_LINE_BYTES - 10) + b"\nmore\nlast@x.co,4\n"
    assert _rows(long_cell) == [
        (2, RowError(2, None, f"a quoted cell is not closed within {MAX_LINE_BYTES} bytes")),
        (3, RowError(3, None, "expected 2 columns, found 1")),
        (4, {"email": "last@x.co", "points": "4"}),
    ]
    assert _rows(b"email,points\na@b.co,1\rc@d.co,2\n") == [
        (
            2,
            RowError(
                2, None, "a carriage return outside quotes splits the line; save the file with one kind of line break"
            ),
        )
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"email,points\ra@b.co,1\r", "a carriage return alone; save it with LF or CRLF"),
        (b"email,points,\na@b.co,1,\n", "a column of its header has no name"),
        (b"email;points\na@b.co;1\n", "'email;points' in its header is not a column name (commas separate them)"),
        (b"\x00\x01binary\n\x02", "not a CSV or JSON Lines file"),  # nothing printable to name
    ],
)
def test_a_header_that_is_not_one_says_why(data, reason):
    with pytest.raises(ValueError, match="not a CSV or JSON Lines file") as refused:
        _rows(data)
    assert str(refused.value).endswith(reason)


def test_json_lines_and_unknown_columns():
    data = b'{"email":"a"}\n[1]\n\n{"zz":1}\nnot json\n{"email":"b"}'
    assert _rows(data, columns={"email"}) == [
        (1, {"email": "a"}),
        (2, RowError(2, None, "not a JSON object")),
        (4, RowError(4, "zz", "unknown column")),
        (5, RowError(5, None, "not JSON (Expecting value)")),
        (6, {"email": "b"}),
    ]
    with pytest.raises(ValueError, match="unknown column in the CSV header: zz"):
        _rows(b"email,zz\n", columns={"email"})


@pytest.mark.parametrize(
    "data", [b"\x89PNG\r\n\x1a\n\x00\x00", b'[{"a":1}]', b'<?xml version="1.0"?>\n<a/>', b"hello world, prose\n"]
)
def test_a_file_that_is_neither_format_is_refused_on_the_first_read(data):
    with pytest.raises(ValueError, match="not a CSV or JSON Lines file"):
        _rows(data)
    assert _rows(b"") == []


@pytest.mark.parametrize(
    ("raw", "field", "reason"),
    [
        ({"email": "a@b.co", "lotId": "L", "points": "-5"}, "points", "must not be negative"),
        ({"email": "a@b.co", "lotId": "L", "points": -5}, "points", "must not be negative"),
        ({"email": "a@b.co", "lotId": "L", "points": "١٢٣"}, "points", "digits 0-9"),
        ({"email": "a@b.co", "lotId": "L", "points": "1e3"}, "points", "digits 0-9"),
        ({"email": "not-mail", "lotId": "L", "points": "5"}, "email", ""),
        ({"email": "a@b.co", "lotId": "L", "points": "5", "expiresAt": "2026-02-30"}, "expiresAt", "date"),
        ({"email": "a@b.co", "lotId": "L"}, "points", "go together"),
        ({"firstName": "Ann"}, "email", "at least one"),
        ({"email": "a@b.co", "phone": "0044 1234"}, "phone", "E.164"),
        (
            {"email": "a@b.co", "lotId": "L", "points": "5", "earnedAt": "2027-05-01", "expiresAt": "2027-01-01"},
            "expiresAt",
            "before earnedAt",
        ),
    ],
)
def test_row_rules(raw, field, reason):
    with pytest.raises(RowRejected) as rejected:
        parse_row(raw)
    assert rejected.value.field == field and reason in rejected.value.reason


def test_row_forms():
    row = parse_row(
        {"email": "A@B.co", "tags": "VIP; news", "lotId": "L", "points": "12", "expiresAt": "2027-01-01T23:59:59Z"}
    )
    assert (row.tags, row.points, row.expiresAt) == (["vip", "news"], 12, "2027-01-01")
    assert parse_row({"externalId": "e", "earnedAt": "2025-01-02"}).earnedAt == "2025-01-02T00:00:00Z"
    same_day = {
        "externalId": "e",
        "lotId": "L",
        "points": "1",
        "earnedAt": "2027-01-01T10:00:00Z",
        "expiresAt": "2027-01-01",
    }
    assert parse_row(same_day).expiresAt == "2027-01-01"  # earned and expiring on one day: a lot of one day


def test_an_imports_writes_make_no_per_row_event():
    member = {"memberId": "M1", "status": "active", "balance": {"qualified": 0}, "importWrite": "imp:2"}
    change = events.Change("T#t1#M#M1", "MEMBER", None, member, "2026-01-01T00:00:00Z")
    assert events.build(change, events.Lookups(settings=lambda _: {})) == []
    entry = {"transactionId": "X", "memberId": "M1", "type": "expire", "points": 5, "importId": "imp"}
    assert events.build(events.Change("T#t1#TX#X", "TX", None, entry, "2026-01-01T00:00:00Z")) == []


def test_the_runner_keeps_a_members_rows_in_order_and_stops_cleanly_on_ctrl_c(tmp_path):
    import threading
    import time
    from dataclasses import dataclass

    from tools.imports_cli import run_import

    @dataclass(frozen=True)
    class Outcome:
        line: int
        status: str
        field: str | None = None
        reason: str | None = None

    seen: dict[str, list[int]] = {}
    lock = threading.Lock()

    def process(batch):
        time.sleep(0.01)
        with lock:
            for line, row in batch:
                seen.setdefault(row["k"], []).append(line)
        return [Outcome(line, "created" if row["k"] != "bad" else "conflict", "k", "held") for line, row in batch]

    rows = [(i + 2, {"k": f"m{i % 7}" if i % 50 else "bad"}) for i in range(400)]
    rows.insert(3, (1000, RowError(1000, None, "not UTF-8 (byte 1)")))
    report = tmp_path / "r.csv"
    summary = run_import(iter(rows), process, key=lambda row: row["k"], workers=3, report=report, progress=False)
    assert (summary.created, summary.conflicts, summary.rejected, summary.rows_total) == (392, 8, 1, 401)
    assert all(lines == sorted(lines) for lines in seen.values())
    assert len(report.read_text().splitlines()) == 1 + 9

    def interrupted():
        for i, row in enumerate(rows):
            if i == 200:
                raise KeyboardInterrupt
            yield row

    seen.clear()
    summary = run_import(interrupted(), process, key=lambda row: row["k"], workers=3, progress=False)
    assert summary.interrupted and 0 < summary.rows_total <= 200
    assert summary.rows_total == sum(len(lines) for lines in seen.values()) + 1  # every row begun was finished
