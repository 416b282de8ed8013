"""Reading an import file row by row: a CSV file with a header row, or JSON Lines (contract §14).

One reader for every bulk import (members, code pools), locally and in the deployed chunk worker. It streams: one
physical line (or one quoted CSV record spanning a few lines) in memory at a time, never the whole file. Each row
comes with its 1-based physical line number (of its first line), so a report can point at it; a line that cannot even
be read (not UTF-8, longer than `MAX_LINE_BYTES`, not a JSON object, the wrong number of CSV cells, a column the
caller does not know) is yielded as a `RowError` for that line and the reader carries on with the next one. Field
validation (an email's form, a negative number) is the caller's: here a row is a dict of raw values — strings for CSV
(an empty cell is left out: it means "no value"), JSON values for JSON Lines.

The format is sniffed from the first non-blank byte: `{` is JSON Lines, anything else must be a CSV header row of
column names; a file that is neither raises `ValueError` on the first read.
"""

from __future__ import annotations

import csv
import json
import re
from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

MAX_LINE_BYTES = 1_048_576
"""The longest line (or quoted CSV record) read, in bytes without its line break; a longer one is a `RowError`."""

NOT_IMPORT_FILE = "not a CSV or JSON Lines file"

_DRAIN_CHUNK = 65_536
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RowError:
    """A row that cannot even be read: `line` is its physical line number, `field` the column at fault if one is."""

    line: int
    field: str | None
    reason: str


def read_rows(
    stream: BinaryIO, *, columns: Collection[str] | None = None
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """Yield (line number, row) for each row of a CSV-with-header or JSON Lines file, or (line, RowError).

    `columns`, when given, are the names a row may carry: a JSON Lines row with another key is a `RowError` for that
    field, and a CSV header naming another column makes the file unreadable (`ValueError`: every row would be wrong).
    Blank lines are skipped. Raises `ValueError` on the first read for a file that is neither format.
    """
    lines = _physical_lines(stream)
    step = next(lines, None)
    while step is not None and step[1] is not None and not step[1].strip():
        step = next(lines, None)  # blank lines before the first row
    if step is None:
        return  # an empty file: no rows
    number, raw = step
    if raw is None:  # the very first line is over the limit: no header or JSON object reads that way
        raise ValueError(NOT_IMPORT_FILE)
    first = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    if first.lstrip()[:1] == b"{":
        yield from _json_lines(number, first, lines, columns)
    else:
        yield from _csv_rows(first, lines, columns)


def _physical_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, the line's bytes without its line break) per physical line; None for a line over the limit."""
    number = 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 2)
        if not chunk:
            return
        number += 1
        if not chunk.endswith(b"\n") and len(chunk) >= MAX_LINE_BYTES + 2:
            while True:  # drain the rest of the over-long line without keeping it
                more = stream.readline(_DRAIN_CHUNK)
                if not more or more.endswith(b"\n"):
                    break
            yield number, None
            continue
        line = chunk.rstrip(b"\r\n") if chunk.endswith(b"\n") else chunk
        yield number, (None if len(line) > MAX_LINE_BYTES else line)


def _too_long(number: int) -> RowError:
    return RowError(number, None, f"line longer than {MAX_LINE_BYTES} bytes")


def _decode(number: int, raw: bytes) -> str | RowError:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RowError(number, None, f"not UTF-8 (byte {exc.start + 1})")


def _json_lines(
    number: int, first: bytes, lines: Iterator[tuple[int, bytes | None]], columns: Collection[str] | None
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    known = None if columns is None else frozenset(columns)
    pending: list[tuple[int, bytes | None]] = [(number, first)]
    while True:
        if pending:
            number, raw = pending.pop()
        else:
            step = next(lines, None)
            if step is None:
                return
            number, raw = step
        if raw is None:
            yield number, _too_long(number)
            continue
        if not raw.strip():
            continue
        text = _decode(number, raw)
        if isinstance(text, RowError):
            yield number, text
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, RowError(number, None, f"not JSON ({exc.msg})")
            continue
        except ValueError:  # a number too long to read
            yield number, RowError(number, None, "not JSON")
            continue
            continue
        if not isinstance(value, dict):
            yield number, RowError(number, None, "not a JSON object")
            continue
        if known is not None:
            unknown = next((key for key in value if key not in known), None)
            if unknown is not None:
                yield number, RowError(number, str(unknown)[:64], "unknown column")
                continue
        yield number, value


def _csv_header(first: bytes, columns: Collection[str] | None) -> list[str]:
    if b"\r" in first:
        raise ValueError(f"{NOT_IMPORT_FILE}: its lines end in a carriage return alone; save it with LF or CRLF")
    try:
        text = first.decode("utf-8")
        names = next(csv.reader([text]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise ValueError(NOT_IMPORT_FILE) from None
    names = [name.strip() for name in names]
    if not names:
        raise ValueError(NOT_IMPORT_FILE)
    wrong = next((name for name in names if not _COLUMN_NAME.fullmatch(name)), None)
    if wrong == "":
        raise ValueError(f"{NOT_IMPORT_FILE}: a column of its header has no name")
    if wrong is not None and not wrong.isprintable():  # a binary file: nothing in words to point at
        raise ValueError(NOT_IMPORT_FILE)
    if wrong is not None:
        raise ValueError(f"{NOT_IMPORT_FILE}: {wrong[:64]!r} in its header is not a column name (commas separate them)")
    if len(set(names)) != len(names):
        raise ValueError("a column is named twice in the CSV header")
    if columns is not None:
        unknown = [name for name in names if name not in columns]
        if unknown:
            raise ValueError(f"unknown column in the CSV header: {', '.join(unknown)}")
    return names


def _csv_rows(
    first: bytes, lines: Iterator[tuple[int, bytes | None]], columns: Collection[str] | None
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    names = _csv_header(first, columns)
    width = len(names)
    again: deque[tuple[int, bytes | None]] = deque()  # lines read past a quote never closed: read again as rows
    while (step := again.popleft() if again else next(lines, None)) is not None:
        number, raw = step
        if raw is None:
            yield number, _too_long(number)
            continue
        if not raw.strip():
            continue
        # A quoted cell may hold line breaks: the record goes on while a cell is open. Its number is its first line's.
        record, taken = raw, []
        inside = b'"' in raw and _quote_open(raw, inside=False)
        error: RowError | None = None
        while inside:
            more = again.popleft() if again else next(lines, None)
            if more is None:
                error = RowError(number, None, "a quoted cell is not closed")
                break
            taken.append(more)
            if more[1] is None or len(record) + 1 + len(more[1]) > MAX_LINE_BYTES:
                error = RowError(number, None, f"a quoted cell is not closed within {MAX_LINE_BYTES} bytes")
                break
            record = record + b"\n" + more[1]
            inside = _quote_open(more[1], inside=True)
        if error is not None:
            yield number, error
            again.extendleft(reversed(taken))  # the lines after it are rows of their own, not lost in its cell
            continue
        text = _decode(number, record)
        if isinstance(text, RowError):
            yield number, text
            continue
        try:
            cells = next(csv.reader([text]))
        except csv.Error as exc:
            yield number, RowError(number, None, _csv_error(exc))
            continue
        if len(cells) != width:
            yield number, RowError(number, None, f"expected {width} columns, found {len(cells)}")
            continue
        yield number, {name: cell for name, cell in zip(names, cells, strict=True) if cell != ""}


def _quote_open(text: bytes, *, inside: bool) -> bool:
    """Whether a CSV record is in a quoted cell after `text` (`inside`: it was at its start), read as the csv module
    reads it: a quote opens a quoted cell only as the cell's first character, a doubled quote in one is a quote, and
    any other quote (`O"Brien`, `5" screen`) is a character of its cell."""
    at_start, position, end = not inside, 0, len(text)
    while position < end:
        if inside:
            close = text.find(b'"', position)
            if close < 0:
                return True
            if text[close + 1 : close + 2] == b'"':
                position = close + 2  # a doubled quote: still inside
                continue
            inside, at_start, position = False, False, close + 1
        elif at_start and text[position : position + 1] == b'"':
            inside, position = True, position + 1
        else:
            comma = text.find(b",", position)
            if comma < 0:
                return False
            at_start, position = True, comma + 1
    return inside


def _csv_error(exc: csv.Error) -> str:
    if "new-line" in str(exc):
        return "a carriage return outside quotes splits the line; save the file with one kind of line break"
    if "field larger" in str(exc):
        return f"a cell longer than {csv.field_size_limit()} characters"
    return "not CSV"
