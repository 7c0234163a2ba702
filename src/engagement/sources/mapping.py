"""Any CSV into any contract table, by a small mapping; and the standard layout's own CSVs.

A mapping says which source column fills each contract column (schema.py), how times are
written and in which time zone, and how values are recoded. As YAML::

    table: learners            # one of the contract tables
    columns:                   # contract column: source column name, or {value: constant}
      learner_id: user_id
      course: course
      organisation: organisation
      enrolled_at: enrolled_at
      acquisition_channel: {value: null}
    datetime_format: "%Y-%m-%d %H:%M"   # optional: one strptime format, or one per column;
                                        # default ISO 8601 (2024-03-05, 2024-03-05 14:30, ...)
    timezone: Europe/London    # required when times carry no UTC offset
    encoding: utf-8            # optional; default auto (UTF-16 with BOM, UTF-8 with or
                               # without BOM, cp1252: sources/text.py decode)
    delimiter: ","             # optional
    values:                    # optional recoding per contract column (after trimming)
      acquisition_channel: {LinkedIn: linkedin, Twitter: x}
    thousands: ","             # optional, for numeric columns

Contract columns that may be null and are left out of ``columns`` are filled with nulls;
required ones must be mapped. Every problem in the file raises
:class:`engagement.schema.InputError` naming the file, the row (line number, header = 1)
and the source column.

The standard layout's CSVs (data/raw/README.md) have built-in loaders:
:func:`load_courses`, :func:`load_enrolments`, :func:`load_outcomes`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import importlib.util
import io
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from engagement.schema import (ACTIONS, CHANNELS, COLUMNS, FINAL_RESULTS, SCHEMAS, SOURCES,
                               TABLES, InputError, QualityLog, validate)
from engagement.sources.text import (AUTO_ENCODINGS, check_timezone, decode,  # noqa: F401
                                     drop_exact_duplicates, find_columns, flag_future,
                                     localize)

MAPPING_KEYS = ("table", "columns", "datetime_format", "timezone", "encoding", "delimiter",
                "values", "thousands")

TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "courses": ("starts_at", "ends_at", "observation_end"),
    "learners": ("enrolled_at",),
    "events": ("timestamp",),
    "outreach": ("published_at",),
    "outcomes": ("completed_at", "withdrawn_at"),
}
COUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("count",),
    "outreach": ("exposures", "engagements", "clicks", "signups"),
}
_FLOAT_COLUMNS = {"outcomes": {"score": (0.0, 100.0)}}
_MIN_COUNT = {("events", "count"): 1}
_ALLOWED = {("events", "source"): SOURCES, ("events", "action"): ACTIONS,
            ("outreach", "channel"): CHANNELS, ("outcomes", "final_result"): FINAL_RESULTS}
_KEYS = {"courses": ["course"], "learners": ["learner_id", "course"],
         "outreach": ["channel", "post_id"], "outcomes": ["learner_id", "course"]}
# AUTO_ENCODINGS (re-exported): tried in this order when the mapping gives no encoding.

SHORT_ROW_RULE = "row with fewer fields than the header: missing cells read as empty"
"""Quality rule (action flagged): a record shorter than the header (a truncated last line,
trailing empty cells left out), padded with empty cells."""
REPEATED_HEADER = "the header row is repeated inside the file (files joined together?)"

CHANNEL_ALIASES = {"linkedin": "linkedin", "facebook": "facebook", "x": "x", "twitter": "x",
                   "twitter/x": "x", "x/twitter": "x", "x (twitter)": "x", "email": "email",
                   "e-mail": "email", "other": "other"}
RESULTS = {"completed": "completed", "passed": "passed", "pass": "passed",
           "distinction": "distinction", "failed": "failed", "fail": "failed",
           "withdrawn": "withdrawn", "in progress": "in_progress", "in_progress": "in_progress"}


def required_columns(table: str) -> list[str]:
    """Contract columns of `table` that may not be null (and so must be mapped)."""
    return [c for c, col in SCHEMAS[table].columns.items() if not col.nullable]


# --------------------------------------------------------------------------- the mapping

def read_mapping(path_or_dict: str | os.PathLike | Mapping) -> dict:
    """Read and check a mapping (a YAML file or a dict).

    Parameters
    ----------
    path_or_dict : path or dict
        A YAML file holding the mapping, or the mapping itself.

    Returns
    -------
    dict
        The mapping completed with its defaults: ``table``; ``columns`` with every contract
        column of the table (a source column name, or ``{"value": constant}``; unmapped
        nullable columns get ``{"value": None}``); ``datetime_format`` as a dict per time
        column (None: ISO 8601); ``timezone`` (str or None); ``encoding`` ("auto" or a
        codec); ``delimiter``; ``values`` (dict per column); ``thousands`` (str or None).

    Raises
    ------
    InputError
        Naming the mapping file (or "mapping") and what is wrong: invalid YAML, unknown keys,
        unknown table, unknown contract columns, required columns left unmapped, bad
        formats, unknown time zone or encoding.
    """
    return _check_mapping(path_or_dict)


def _check_mapping(path_or_dict, optional: tuple[str, ...] = ()) -> dict:
    if isinstance(path_or_dict, Mapping):
        where, raw = "mapping", dict(path_or_dict)
    else:
        where = str(path_or_dict)
        try:
            text = Path(path_or_dict).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(where, f"cannot read the mapping file: {exc.strerror or exc}") from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise InputError(where, f"not valid YAML: {problem}",
                             row=mark.line + 1 if mark is not None else None) from None
        if not isinstance(raw, dict):
            raise InputError(where, "a mapping file must hold a YAML dictionary with at least "
                             "'table' and 'columns'")

    def fail(message: str):
        raise InputError(where, message)

    unknown = [k for k in raw if k not in MAPPING_KEYS]
    if unknown:
        fail(f"unknown key(s) {', '.join(map(repr, unknown))}; a mapping may have "
             f"{', '.join(MAPPING_KEYS)}")
    table = raw.get("table")
    if table not in TABLES:
        fail(f"unknown table {table!r}; the contract has {', '.join(TABLES)}")
    columns = raw.get("columns")
    if not isinstance(columns, dict) or not columns:
        fail("'columns' must be a dictionary of contract column: source column")
    contract = COLUMNS[table]
    bad = [c for c in columns if c not in contract]
    if bad:
        fail(f"column(s) {', '.join(map(repr, bad))} are not in the {table!r} table; "
             f"it has {', '.join(contract)}")
    out_columns: dict[str, str | dict] = {}
    for col in contract:
        spec = columns.get(col)
        if col not in columns:
            if col in required_columns(table) and col not in optional:
                fail(f"required column {col!r} of table {table!r} is not mapped; map it to a "
                     f"source column or give a constant with {{value: ...}}")
            spec = {"value": None}
        elif isinstance(spec, dict):
            if set(spec) != {"value"}:
                fail(f"column {col!r}: give a source column name or {{value: constant}}, "
                     f"not {spec!r}")
        elif isinstance(spec, str) and spec.strip():
            spec = spec.strip()
        else:
            fail(f"column {col!r}: give a source column name or {{value: constant}}, "
                 f"not {spec!r}")
        out_columns[col] = spec

    times = TIME_COLUMNS[table]
    fmt = raw.get("datetime_format")
    if fmt is None or isinstance(fmt, str):
        formats = {c: fmt for c in times}
    elif isinstance(fmt, dict):
        bad = [c for c in fmt if c not in times]
        if bad or not all(isinstance(v, str) for v in fmt.values()):
            fail(f"datetime_format must be one format or a dictionary of time column: format; "
                 f"the time columns of {table!r} are {', '.join(times) or 'none'}")
        formats = {c: fmt.get(c) for c in times}
    else:
        fail(f"datetime_format must be a string or a dictionary, not {fmt!r}")

    tz = raw.get("timezone")
    if tz is not None:
        tz = str(tz)
        try:
            check_timezone(tz)
        except (TypeError, ValueError) as exc:
            fail(str(exc))
    encoding = raw.get("encoding") or "auto"
    if encoding != "auto":
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            fail(f"unknown encoding {encoding!r}")
    delimiter = raw.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        fail(f"delimiter must be one character, not {delimiter!r}")
    thousands = raw.get("thousands")
    if thousands is not None and (not isinstance(thousands, str) or len(thousands) != 1):
        fail(f"thousands must be one character, not {thousands!r}")
    values = raw.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        fail("values must be a dictionary of contract column: {source value: contract value}")
    bad = [c for c in values if c not in contract]
    if bad:
        fail(f"values given for column(s) {', '.join(map(repr, bad))}, not in table {table!r}")
    # YAML reads keys such as yes/1 as bool/int: the file's text is compared as text.
    values = {c: {_as_text(k): (None if v is None else str(v)) for k, v in m.items()}
              for c, m in values.items()}
    return {"table": table, "columns": out_columns, "datetime_format": formats,
            "timezone": tz, "encoding": str(encoding), "delimiter": delimiter,
            "values": values, "thousands": thousands}


def _as_text(key) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else str(key)


# --------------------------------------------------------------------------- reading files

def _read_records(path: str | os.PathLike, *, encoding: str = "auto", delimiter: str = ",",
                  short: list | None = None) -> tuple[list[str], list[list], list[int]]:
    """Header, data records and their line numbers (header = line 1) of a CSV or XLSX file.

    Cells are trimmed strings (XLSX date/time cells stay datetime/time objects). Blank lines
    are skipped; short records are padded with empty cells, and their line numbers appended
    to `short` when a list is given (for the caller to count under :data:`SHORT_ROW_RULE`).
    A data record repeating the header (two exports joined) is an InputError at its line.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        records = _xlsx_records(path)
    elif path.suffix.lower() == ".xls":
        raise InputError(path, "old .xls workbooks are not read; save the sheet as .xlsx or CSV")
    else:
        text, _ = decode(path, encoding=encoding)
        if not text.strip():
            raise InputError(path, "the file is empty (no header, no rows)")
        records = _csv_records(path, text, delimiter)
    records = [(line, cells) for line, cells in records
               if any(c is not None and c != "" for c in cells)]
    if not records:
        raise InputError(path, "the file is empty (no header, no rows)")
    (_, header), data = records[0], records[1:]
    header = [str(c).strip() for c in header]
    while header and header[-1] == "":
        header.pop()
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(path, f"the header repeats column(s) {', '.join(map(repr, dupes))}",
                         row=records[0][0])
    rows, lines = [], []
    for line, cells in data:
        if [str(c).strip() for c in cells[:len(header)]] == header and len(header) > 1:
            raise InputError(path, REPEATED_HEADER, row=line)
        if len(cells) < len(header) and short is not None:
            short.append(line)
        if len(cells) > len(header):
            if any(c not in ("", None) for c in cells[len(header):]):
                raise InputError(path, f"the row has {len(cells)} fields but the header has "
                                 f"{len(header)} (a delimiter or quote inside a value?)", row=line)
            cells = cells[:len(header)]
        rows.append(list(cells) + [""] * (len(header) - len(cells)))
        lines.append(line)
    return header, rows, lines


def count_short_rows(short: list[int], *, path, source: str, quality: QualityLog) -> None:
    """Count the records :func:`_read_records` padded (flagged, :data:`SHORT_ROW_RULE`)."""
    if short:
        shown = ", ".join(map(str, short[:20])) + (f" and {len(short) - 20} more"
                                                   if len(short) > 20 else "")
        quality.count(source, SHORT_ROW_RULE, len(short), action="flagged",
                      detail=f"{Path(path).name}: lines {shown}")


def _csv_records(path: Path, text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, previous = [], 0
    try:
        for cells in reader:
            # A quoted value may span lines: a record starts one line after the last one ended.
            records.append((previous + 1, [c.strip() for c in cells]))
            previous = reader.line_num
    except csv.Error as exc:
        raise InputError(path, f"not readable as CSV: {exc}", row=reader.line_num) from None
    return records


def _xlsx_records(path: Path) -> list[tuple[int, list]]:
    if importlib.util.find_spec("openpyxl") is None:
        raise InputError(path, "reading .xlsx files needs the openpyxl package, which is not "
                         "installed: install it (pip install openpyxl) or save the sheet as CSV")
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.active
        return [(i, [_cell(v) for v in row])
                for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------- conversions

def parse_datetime(value, fmt: str | None) -> dt.datetime:
    """One cell as a datetime (naive or aware): strptime `fmt`, or ISO 8601 when None."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if fmt is None:
        return dt.datetime.fromisoformat(str(value))
    return dt.datetime.strptime(str(value), fmt)


def to_utc(values: pd.Series, *, lines, file, column: str | None, timezone: str | None,
           fmt: str | None | Callable = None, source: str = "",
           quality: QualityLog | None = None) -> pd.Series:
    """Parse a column of local or offset-carrying times into datetime64[ns, UTC].

    Empty cells (None or "") give NaT. Times without an offset are local to `timezone`,
    converted by :func:`engagement.sources.text.localize`: a local time that a DST change
    makes ambiguous is read as the earlier (summer-time) instant and one that does not
    exist is shifted forward; both are counted as fixed (one rule each).
    `fmt` may be a callable turning one cell into a datetime.

    Raises
    ------
    InputError
        A value that is not a time (file, row, column, value), or a time without an offset
        when no time zone was given.
    """
    quality = QualityLog() if quality is None else quality
    lines = np.asarray(lines)
    present = values.notna() & (values.astype(str) != "")
    parse = fmt if callable(fmt) else (lambda v: parse_datetime(v, fmt))
    utc: dict = {}
    naive: dict = {}
    for value in pd.unique(values[present]):
        try:
            stamp = parse(value)
        except (ValueError, TypeError):
            row = _first_line(values, value, lines)
            expected = f"format {fmt!r}" if isinstance(fmt, str) else \
                "ISO 8601, e.g. 2024-03-05 or 2024-03-05 14:30" if fmt is None else "a date/time"
            raise InputError(file, f"cannot read {value!r} as a date/time ({expected})",
                             row=row, column=column) from None
        if not _IN_RANGE[0] <= stamp.year <= _IN_RANGE[1]:
            raise InputError(file, f"the year of {value!r} is outside "
                             f"{_IN_RANGE[0]}-{_IN_RANGE[1]}",
                             row=_first_line(values, value, lines), column=column)
        if stamp.tzinfo is None:
            naive[value] = stamp
        else:
            utc[value] = pd.Timestamp(stamp).tz_convert("UTC")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if utc:
        offset = present & values.isin(list(utc))
        out[offset] = pd.to_datetime(values[offset].map(utc), utc=True)
    if naive:
        if timezone is None:
            value = next(iter(naive))
            raise InputError(file, f"the time {value!r} has no UTC offset and no time zone was "
                             "given (set timezone)", row=_first_line(values, value, lines),
                             column=column)
        # row by row, so that the DST fixes are counted in rows, as for every source
        local = present & values.isin(list(naive))
        stamps = pd.to_datetime(values[local].map(naive))
        out[local] = localize(stamps, timezone, source=source, quality=quality,
                              where=Path(file).name, column=column)
    return out


_IN_RANGE = (1678, 2261)  # the years datetime64[ns] can hold (a day of margin each side)


def _first_line(values: pd.Series, value, lines) -> int | None:
    hits = np.flatnonzero((values == value).to_numpy())
    return int(lines[hits[0]]) if len(hits) and len(lines) else None


def _to_number(value, thousands: str | None) -> float:
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if thousands:
        text = text.replace(thousands, "")
    return float(text)


def _numbers(values: pd.Series, *, lines, file, column, thousands, check,
             dtype) -> pd.Series:
    """Parse each distinct non-empty value once; `check(number, value)` returns the
    problem with a number (an InputError message) or None, and the number to keep."""
    present = values.notna() & (values.astype(str) != "")
    out = pd.Series(pd.NA if dtype == "Int64" else np.nan, index=values.index, dtype=dtype)
    parsed = {}
    for value in pd.unique(values[present]):
        try:
            number = _to_number(value, thousands)
        except ValueError:
            raise InputError(file, f"{value!r} is not a number", column=column,
                             row=_first_line(values, value, lines)) from None
        problem, number = check(number, value)
        if problem:
            raise InputError(file, problem, column=column, row=_first_line(values, value, lines))
        parsed[value] = number
    if parsed:
        out[present] = values[present].map(parsed).astype(dtype)
    return out


def _counts(values: pd.Series, *, minimum: int, **kw) -> pd.Series:
    def check(number, value):
        if not float(number).is_integer():
            return f"{value!r} is not a whole number", None
        if number < minimum:
            what = "negative" if number < 0 else f"below {minimum}"
            return f"count {value!r} is {what}", None
        if number >= 2**53:  # beyond what a float holds exactly, and any real count
            return f"count {value!r} is too large", None
        return None, int(number)

    return _numbers(values, check=check, dtype="Int64", **kw)


def _floats(values: pd.Series, *, bounds, **kw) -> pd.Series:
    def check(number, value):
        if not bounds[0] <= number <= bounds[1]:
            return f"{value!r} is outside {bounds[0]:g}-{bounds[1]:g}", None
        return None, number

    return _numbers(values, check=check, dtype=float, **kw)


# --------------------------------------------------------------------------- loading

def load_mapped(path: str | os.PathLike, mapping: str | os.PathLike | Mapping, *,
                quality: QualityLog | None = None, source: str | None = None) -> pd.DataFrame:
    """Read a CSV (or XLSX) file into a contract table as a mapping says.

    Parameters
    ----------
    path : path
        The file; only read.
    mapping : path or dict
        See the module docstring and :func:`read_mapping`.
    quality : QualityLog, optional
        Receives the file read, the time zone assumed, the source columns dropped, exact
        duplicate rows dropped and DST fixes.
    source : str, optional
        The name of the source in `quality`; defaults to the table name.

    Returns
    -------
    DataFrame
        The contract table named by the mapping, validated, with exactly its columns
        (see schema.py): times tz-aware UTC, counts Int64, ids as raw strings. For tables
        with a key (courses, learners, outreach, outcomes), exact duplicate rows are dropped
        (counted).

    Raises
    ------
    InputError
        Naming the file, row and column: empty file, source columns missing (listing those
        found), empty required values, unreadable dates, non-numeric or negative counts,
        values outside the contract's allowed set, conflicting duplicate keys.
    """
    return _load(path, _check_mapping(mapping), quality=quality, source=source)[0]


def _load(path, mapping: dict, *, quality: QualityLog | None, source: str | None,
          keep: tuple[str, ...] = (), before: Callable | None = None,
          after: Callable | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table, and the raw text of the `keep` source columns (row-aligned before dedupe)."""
    quality = QualityLog() if quality is None else quality
    table = mapping["table"]
    source = source or table
    short: list[int] = []
    header, rows, lines = _read_records(path, encoding=mapping["encoding"],
                                        delimiter=mapping["delimiter"], short=short)
    if not rows:
        raise InputError(path, "the file has a header but no data rows", row=1)
    used = [s for s in mapping["columns"].values() if isinstance(s, str)] + list(keep)
    find_columns(path, header, {s: s for s in used})
    quality.read(source, path, len(rows))
    count_short_rows(short, path=path, source=source, quality=quality)
    extra = [h for h in header if h not in used]
    if extra:
        quality.count(source, "source columns not in the contract dropped", 0,
                      detail="columns: " + ", ".join(extra))
    raw = pd.DataFrame(rows, columns=header, dtype=object)
    lines = np.asarray(lines)

    frame = pd.DataFrame(index=raw.index)
    for col, spec in mapping["columns"].items():
        if isinstance(spec, str):
            values = raw[spec].where(raw[spec] != "", None)
            recode = mapping["values"].get(col)
            if recode:
                values = values.map(lambda v: recode.get(str(v), v) if v is not None else v)
            frame[col] = values
        else:
            frame[col] = pd.Series([spec["value"]] * len(raw), index=raw.index, dtype=object)
    if before is not None:
        frame = before(frame, raw, lines)

    def where(col):
        spec = mapping["columns"][col]
        return spec if isinstance(spec, str) else None

    for col in required_columns(table):
        empty = frame[col].isna() | (frame[col].astype(str) == "")
        if empty.any() and where(col) is not None:
            raise InputError(path, f"required value ({col}) is empty",
                             row=int(lines[np.flatnonzero(empty.to_numpy())[0]]),
                             column=where(col))
    for (tab, col), allowed in _ALLOWED.items():
        if tab == table:
            bad = frame[col].notna() & ~frame[col].isin(allowed)
            if bad.any():
                i = np.flatnonzero(bad.to_numpy())[0]
                raise InputError(path, f"{frame[col].iloc[i]!r} is not one of "
                                 f"{', '.join(allowed)} (recode it under 'values')",
                                 row=int(lines[i]), column=where(col))

    out = pd.DataFrame(index=frame.index)
    if TIME_COLUMNS[table] and mapping["timezone"]:
        quality.timezone(source, mapping["timezone"])
    for col in COLUMNS[table]:
        kw = dict(lines=lines, file=path, column=where(col))
        if col in TIME_COLUMNS[table]:
            out[col] = to_utc(frame[col], timezone=mapping["timezone"],
                              fmt=mapping["datetime_format"][col], source=source,
                              quality=quality, **kw)
        elif col in COUNT_COLUMNS.get(table, ()):
            out[col] = _counts(frame[col], thousands=mapping["thousands"],
                               minimum=_MIN_COUNT.get((table, col), 0), **kw)
        elif col in _FLOAT_COLUMNS.get(table, {}):
            out[col] = _floats(frame[col], thousands=mapping["thousands"],
                               bounds=_FLOAT_COLUMNS[table][col], **kw)
        else:
            out[col] = frame[col].map(lambda v: None if v is None or v == "" else str(v))
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    if table != "courses":  # a course may well end in the future; nothing else happens then
        for col in TIME_COLUMNS[table]:
            flag_future(out[col], source=source, quality=quality,
                        where=f"{Path(path).name}, column {where(col) or col!r}",
                        labels=lines, label="lines")
    if after is not None:
        out = after(out, lines)
    for col in required_columns(table):
        if out[col].isna().any() and where(col) is None:
            raise InputError(path, f"required column {col!r} is given no value by the mapping")

    kept = raw[list(dict.fromkeys(keep))].copy()
    if table in _KEYS:
        out, kept = _drop_duplicates(out, kept, lines, table, path, source, quality)
    out = validate(out.reset_index(drop=True), table, source=path)
    return out, kept.reset_index(drop=True)


def _drop_duplicates(out, kept, lines, table, path, source, quality):
    out, unique = drop_exact_duplicates(out, source=source, quality=quality,
                                        where=Path(path).name, labels=lines)
    kept, lines = kept.loc[unique], lines[unique]
    keys = _KEYS[table]
    clash = out.duplicated(subset=keys, keep=False)
    if clash.any():
        first = out.loc[clash].iloc[0]
        same = ((out[keys] == first[keys]).all(axis=1)).to_numpy()
        rows = lines[same]
        raise InputError(path, f"rows {rows[0]} and {rows[1]} have the same "
                         f"{' and '.join(keys)} ({', '.join(str(first[k]) for k in keys)}) "
                         "with different values", row=int(rows[1]))
    return out, kept


# --------------------------------------------------------------------------- built-in loaders

def load_courses(path: str | os.PathLike, *, timezone: str,
                 quality: QualityLog | None = None) -> pd.DataFrame:
    """Read the standard layout's ``courses.csv`` (course, title, starts_on, ends_on).

    Dates (YYYY-MM-DD) are midnight local time in `timezone`, converted to UTC.
    ``observation_end`` is not in the file: it is set here to ``ends_at`` (or ``starts_at``
    for a self-paced course with no end) as a placeholder; ``clean.prepare`` replaces it by
    the end of the data.

    Returns
    -------
    DataFrame, the contract ``courses`` table: course, title, starts_at, ends_at (NaT:
    self-paced), observation_end.

    Raises
    ------
    InputError
        As :func:`load_mapped`; also a course ending before it starts.
    """
    mapping = _check_mapping({"table": "courses", "timezone": timezone,
                              "datetime_format": "%Y-%m-%d",
                              "columns": {"course": "course", "title": "title",
                                          "starts_at": "starts_on", "ends_at": "ends_on"}},
                             optional=("observation_end",))

    def after(out, lines):
        backwards = (out["ends_at"] < out["starts_at"]).to_numpy()
        if backwards.any():
            raise InputError(path, "ends_on is before starts_on",
                             row=int(lines[np.flatnonzero(backwards)[0]]), column="ends_on")
        out["observation_end"] = out["ends_at"].fillna(out["starts_at"])
        return out

    return _load(path, mapping, quality=quality, source="courses", after=after)[0]


def load_enrolments(path: str | os.PathLike, *, timezone: str,
                    quality: QualityLog | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the standard layout's ``enrolments.csv``.

    Columns user_id, full_name, email, course, organisation, enrolled_at (YYYY-MM-DD HH:MM,
    local to `timezone`), acquisition_channel. The channel is lower-cased and read as one
    of linkedin, facebook, x (Twitter or X), email, other; blank stays null; any other value
    becomes ``other`` (counted as fixed).

    Returns
    -------
    learners : DataFrame
        The contract ``learners`` table: learner_id (the raw user id), course,
        organisation, enrolled_at (UTC), acquisition_channel.
    people : DataFrame
        user_id, course, full_name, email (None when blank), one row per enrolment: only for
        matching attendance and spotting test accounts; never written to processed data.
    """
    quality = QualityLog() if quality is None else quality
    mapping = _check_mapping({"table": "learners", "timezone": timezone,
                              "columns": {"learner_id": "user_id", "course": "course",
                                          "organisation": "organisation",
                                          "enrolled_at": "enrolled_at",
                                          "acquisition_channel": "acquisition_channel"}})

    def before(frame, raw, lines):
        text = frame["acquisition_channel"].map(
            lambda v: None if v is None else re.sub(r"\s+", " ", str(v).strip().casefold()))
        known = text.map(lambda v: CHANNEL_ALIASES.get(v) if v is not None else None)
        unknown = text.notna() & known.isna()
        if unknown.any():
            quality.count("enrolments", "unknown acquisition channel read as 'other'",
                          int(unknown.sum()), action="fixed",
                          detail="values: " + ", ".join(sorted(set(text[unknown]))[:20]))
        frame = frame.copy()
        frame["acquisition_channel"] = known.where(~unknown, "other")
        return frame

    learners, kept = _load(path, mapping, quality=quality, source="enrolments",
                           keep=("user_id", "course", "full_name", "email"), before=before)
    people = kept.map(lambda v: None if v == "" else str(v)).drop_duplicates()
    return learners, people.reset_index(drop=True)


def load_outcomes(path: str | os.PathLike, *, timezone: str,
                  quality: QualityLog | None = None) -> pd.DataFrame:
    """Read the standard layout's ``outcomes.csv``.

    Columns user_id, course, result (Completed, Passed, Distinction, Failed, Withdrawn,
    In progress; case ignored), completed_on, withdrawn_on (YYYY-MM-DD, midnight local to
    `timezone`; blank when not applicable), score (0-100, blank when none).

    Returns
    -------
    DataFrame, the contract ``outcomes`` table: learner_id, course, final_result,
    completed_at, withdrawn_at (UTC), score (float, NaN when none).

    Raises
    ------
    InputError
        As :func:`load_mapped`; an unknown result names its row.
    """
    mapping = _check_mapping({"table": "outcomes", "timezone": timezone,
                              "datetime_format": "%Y-%m-%d",
                              "columns": {"learner_id": "user_id", "course": "course",
                                          "final_result": "result",
                                          "completed_at": "completed_on",
                                          "withdrawn_at": "withdrawn_on", "score": "score"}})

    def before(frame, raw, lines):
        text = frame["final_result"].map(
            lambda v: None if v is None else re.sub(r"\s+", " ", str(v).strip().casefold()))
        result = text.map(lambda v: RESULTS.get(v) if v is not None else None)
        bad = (text.notna() & result.isna()).to_numpy()
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise InputError(path, f"unknown result {raw['result'].iloc[i]!r}; expected Completed,"
                             " Passed, Distinction, Failed, Withdrawn or In progress",
                             row=int(lines[i]), column="result")
        frame = frame.copy()
        frame["final_result"] = result
        return frame

    return _load(path, mapping, quality=quality, source="outcomes", before=before)[0]
