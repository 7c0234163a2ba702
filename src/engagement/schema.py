"""The data contract: five tidy tables, their pandera schemas, and how a dataset is stored.

Every source is turned into these tables and every metric reads only them (DESIGN.md).

=============  ==========================================  ===================================
table          one row per                                 columns
=============  ==========================================  ===================================
``courses``    course (presentation, cohort)               course, title, starts_at, ends_at
                                                           (null: self-paced), observation_end
``learners``   learner enrolment in a course               learner_id, course, organisation,
                                                           enrolled_at, acquisition_channel
``events``     one thing a learner did                     learner_id, course, timestamp,
                                                           source, action, object_id,
                                                           target_learner_id, count
``outreach``   one post or message on one channel          channel, post_id, published_at,
                                                           variant, exposures, engagements,
                                                           clicks, signups
``outcomes``   learner enrolment result                    learner_id, course, final_result,
                                                           completed_at, withdrawn_at, score
=============  ==========================================  ===================================

All timestamps are timezone-aware UTC. A processed dataset is a folder holding
``<table>.parquet`` for each table present (optional tables stay absent, never faked) and
``quality.json``: what cleaning dropped or fixed, per rule, with counts; matching rates;
the time zone assumed for each source; the MD5 of every raw file read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from contextlib import suppress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

TABLES = ("courses", "learners", "events", "outreach", "outcomes")

SOURCES = (
    "lms", "forum", "webinar", "tutorial", "face_to_face", "social_group", "email", "other",
)
"""Where an event happened. ``lms`` is the learning platform itself (Moodle, the OU VLE)."""

ACTIONS = (
    "login", "view", "post", "reply", "submit", "attempt", "complete", "attend", "other",
)
"""What a learner did. ``attend`` is joining a webinar, tutorial or face-to-face session."""

CHANNELS = ("linkedin", "facebook", "x", "email", "other")
"""Outreach channels. X is the platform formerly called Twitter."""

FINAL_RESULTS = ("completed", "passed", "distinction", "failed", "withdrawn", "in_progress")


class ContractError(ValueError):
    """A table breaks the data contract. The message names table, columns, rows and file."""


class InputError(ValueError):
    """A raw file cannot be read as what it claims to be.

    The message always names the file, and the row (1-based line number in the file, the
    header being line 1) and column where there is one, so a user can open the file there.
    """

    def __init__(self, file: str | os.PathLike, message: str, *, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column = str(file), row, column
        where = [str(file)]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


def _is_utc(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dtype.tz) == "UTC"


# Timestamps are checked for "timezone-aware UTC" whatever their unit (ns in memory,
# us in Parquet so that Spark can read it).
_utc = pa.Check(_is_utc, element_wise=False, error="must be a timezone-aware UTC datetime")


def _text(nullable: bool = False, isin: tuple[str, ...] | None = None, unique: bool = False):
    checks = [pa.Check.str_length(min_value=1)]
    if isin is not None:
        checks.append(pa.Check.isin(isin))
    return pa.Column(str, checks=checks, nullable=nullable, unique=unique)


def _time(nullable: bool = False):
    return pa.Column(checks=[_utc], nullable=nullable)


def _count(nullable: bool = True, min_value: int = 0):
    return pa.Column("Int64", checks=[pa.Check.ge(min_value)], nullable=nullable, coerce=True)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "courses": pa.DataFrameSchema(
        {
            "course": _text(unique=True),
            "title": _text(nullable=True),
            "starts_at": _time(),
            "ends_at": _time(nullable=True),
            "observation_end": _time(),
        },
        checks=[pa.Check(lambda d: d["observation_end"] >= d["starts_at"],
                         error="observation_end must not be before starts_at")],
        strict=False,
    ),
    "learners": pa.DataFrameSchema(
        {
            "learner_id": _text(),
            "course": _text(),
            "organisation": _text(nullable=True),
            "enrolled_at": _time(nullable=True),
            "acquisition_channel": _text(nullable=True),
        },
        unique=["learner_id", "course"],
        strict=False,
    ),
    "events": pa.DataFrameSchema(
        {
            "learner_id": _text(),
            "course": _text(),
            "timestamp": _time(),
            "source": _text(isin=SOURCES),
            "action": _text(isin=ACTIONS),
            "object_id": _text(nullable=True),
            "target_learner_id": _text(nullable=True),
            "count": _count(nullable=False, min_value=1),
        },
        strict=False,
    ),
    "outreach": pa.DataFrameSchema(
        {
            "channel": _text(isin=CHANNELS),
            "post_id": _text(),
            "published_at": _time(),
            "variant": _text(nullable=True),
            "exposures": _count(),
            "engagements": _count(),
            "clicks": _count(),
            "signups": _count(),
        },
        unique=["channel", "post_id"],
        strict=False,
    ),
    "outcomes": pa.DataFrameSchema(
        {
            "learner_id": _text(),
            "course": _text(),
            "final_result": _text(isin=FINAL_RESULTS),
            "completed_at": _time(nullable=True),
            "withdrawn_at": _time(nullable=True),
            "score": pa.Column(float, checks=[pa.Check.in_range(0, 100)], nullable=True,
                               coerce=True),
        },
        unique=["learner_id", "course"],
        strict=False,
    ),
}

COLUMNS: dict[str, list[str]] = {name: list(s.columns) for name, s in SCHEMAS.items()}


def require_columns(df: pd.DataFrame, columns, what: str) -> None:
    """Raise ValueError naming `what`, the missing columns and the columns it has."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(map(str, missing))}; "
                         f"it has {', '.join(map(str, df.columns)) or 'no columns'}")


def validate(df: pd.DataFrame, table: str, *, source: str | os.PathLike | None = None,
             max_rows: int = 5) -> pd.DataFrame:
    """Check a DataFrame against the contract for `table`.

    Parameters
    ----------
    df : DataFrame
        The table to check. It is not modified.
    table : str
        One of :data:`TABLES`.
    source : str or path, optional
        The file the table came from, named in the error.
    max_rows : int
        How many failing rows to quote per failed check.

    Returns
    -------
    DataFrame
        The validated table (counts coerced to nullable integers, scores to float).

    Raises
    ------
    ContractError
        Naming the table, the source file, and for each failed check its column, the check
        and the first failing rows (by index label) with their values.
    """
    if table not in SCHEMAS:
        raise ValueError(f"unknown table {table!r}; the contract has {', '.join(TABLES)}")
    where = f" (from {source})" if source else ""
    missing = [c for c in COLUMNS[table] if c not in df.columns]
    if missing:
        raise ContractError(
            f"table {table!r}{where}: missing column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, df.columns)) or 'no columns'}")
    try:
        return SCHEMAS[table].validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ContractError(_describe_failures(exc.failure_cases, table, where, max_rows)) from None


def _describe_failures(cases: pd.DataFrame, table: str, where: str, max_rows: int) -> str:
    lines = [f"table {table!r}{where} breaks the contract:"]
    cases = cases.copy()
    cases["column"] = cases["column"].fillna("(table)")
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        rows = group.dropna(subset=["index"]) if "index" in group else group
        quoted = ", ".join(f"row {idx}: {val!r}" for idx, val in
                           zip(rows["index"].head(max_rows), rows["failure_case"].head(max_rows)))
        more = f" and {len(rows) - max_rows} more" if len(rows) > max_rows else ""
        lines.append(f"  column {column!r} fails {check} ({len(group)} case(s)); "
                     f"{quoted or group['failure_case'].iloc[0]}{more}")
    return "\n".join(lines)


def empty(table: str) -> pd.DataFrame:
    """An empty table with the contract's columns, for sources that have no rows of it."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS[table]})


def file_md5(path: str | os.PathLike) -> str:
    """MD5 of a file's bytes: the provenance recorded for every raw file read."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class QualityLog:
    """What loading and cleaning did to the data, written as ``quality.json``.

    Nothing is lost silently: every loader and cleaning step that drops, fixes or flags
    rows records it here with a count per rule.
    """

    rules: list[dict] = field(default_factory=list)
    raw_files: list[dict] = field(default_factory=list)
    timezones: dict[str, str] = field(default_factory=dict)
    matching: list[dict] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)

    def count(self, source: str, rule: str, rows: int, *, action: str = "dropped",
              detail: str = "") -> None:
        """Record that `rows` rows of `source` were dropped/fixed/flagged by `rule`."""
        if action not in ("dropped", "fixed", "flagged"):
            raise ValueError(f"action must be dropped, fixed or flagged, not {action!r}")
        self.rules.append({"source": source, "rule": rule, "action": action,
                           "rows": int(rows), "detail": detail})

    def read(self, source: str, path: str | os.PathLike, rows: int) -> None:
        """Record a raw file read: its name, MD5 and the number of data rows in it."""
        path = Path(path)
        self.raw_files.append({"source": source, "file": path.name, "md5": file_md5(path),
                               "rows": int(rows)})
        self.rows_read[source] = self.rows_read.get(source, 0) + int(rows)

    def timezone(self, source: str, tz: str) -> None:
        """Record the time zone assumed for a source's local times."""
        self.timezones[source] = tz

    def match(self, source: str, *, rows: int, by_email: int, by_name: int) -> None:
        """Record how many rows of a people-naming source were matched to a learner."""
        unmatched = rows - by_email - by_name
        self.matching.append({"source": source, "rows": int(rows), "by_email": int(by_email),
                              "by_name": int(by_name), "unmatched": int(unmatched),
                              "match_rate": (by_email + by_name) / rows if rows else None})

    def dropped(self, source: str) -> int:
        """Rows of `source` dropped so far, all rules together."""
        return sum(r["rows"] for r in self.rules
                   if r["source"] == source and r["action"] == "dropped")

    def to_dict(self) -> dict:
        return {"rows_read": self.rows_read, "rules": self.rules, "matching": self.matching,
                "timezones": self.timezones, "raw_files": self.raw_files}


class Tables(Mapping):
    """The tables of a dataset folder, each read (and validated) when first used.

    The events table can be far bigger than memory allows; code that reduces it should read
    ``<dataset>/events.parquet`` through :mod:`engagement.activity` instead.
    """

    def __init__(self, path: Path, *, check: bool = True):
        self._path, self._check, self._loaded = path, check, {}
        self._names = [t for t in TABLES if (path / f"{t}.parquet").exists()]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self._names:
            raise KeyError(table)
        if table not in self._loaded:
            file = self._path / f"{table}.parquet"
            df = pd.read_parquet(file)
            self._loaded[table] = validate(df, table, source=file) if self._check else df
        return self._loaded[table]


@dataclass
class Dataset:
    """A processed dataset: the contract tables present, and its quality record."""

    name: str
    path: Path
    tables: Mapping[str, pd.DataFrame]
    quality: dict

    def __getattr__(self, table: str) -> pd.DataFrame:
        if table in TABLES:
            try:
                return self.tables[table]
            except KeyError:
                raise AttributeError(
                    f"dataset {self.name!r} has no {table!r} table (its sources had none)"
                ) from None
        raise AttributeError(table)

    def has(self, table: str) -> bool:
        return table in self.tables


TEMP_FILE = re.compile(r"^\.[^/]+\.[A-Za-z0-9_]+\.tmp$")
"""A file being written: ``.<final name>.<random>.tmp`` beside it (see :func:`atomic_write`).
The leading dot and the ``.tmp`` suffix keep it out of every pattern a reader globs for."""


def _ordinary_mode(path) -> None:
    # mkstemp makes the file private (0600); give it the mode a plain open() would.
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def atomic_write(path: str | os.PathLike, write) -> Path:
    """Write a file so that, interrupted at any point, `path` is absent, the previous file
    or the new one in full, never part of one.

    `write(tmp)` writes the new content to the temporary path ``.<name>.<random>.tmp`` in
    the same folder (so the rename is atomic); it is synced to disk and renamed over `path`
    (``os.replace``). On any error, or Ctrl-C, the temporary file is removed.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())  # on disk before the rename makes it the file
        _ordinary_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write` of a text file (UTF-8)."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    return atomic_write(path, write)


def _to_parquet(df: pd.DataFrame, path: Path) -> None:
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            # microseconds: Spark rejects nanosecond Parquet timestamps
            out[col] = out[col].dt.as_unit("us")
    atomic_write(path, lambda tmp: out.to_parquet(tmp, index=False))


def write_dataset(path: str | os.PathLike, tables: dict[str, pd.DataFrame], quality: dict) -> Path:
    """Validate each table and write the dataset folder (Parquet + quality.json)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        _to_parquet(validate(df, name), path / f"{name}.parquet")
    events = tables.get("events")
    if events is not None and len(events):
        quality = {**quality, "events_span": [events["timestamp"].min().isoformat(),
                                              events["timestamp"].max().isoformat()]}
    quality = {**quality, "tables": {n: int(len(df)) for n, df in tables.items()},
               "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    atomic_write_text(path / "quality.json", json.dumps(quality, indent=2, default=str))
    return path


def read_dataset(path: str | os.PathLike, *, check: bool = True) -> Dataset:
    """Read a processed dataset folder written by :func:`write_dataset`.

    Tables are read, and with `check` validated, when first used (see :class:`Tables`).

    Raises
    ------
    FileNotFoundError
        If the folder or its quality.json is missing, saying how to make it.
    """
    path = Path(path)
    if not (path / "quality.json").exists():
        raise FileNotFoundError(
            f"{path} is not a processed dataset (no quality.json); "
            f"make it with `engagement prepare SOURCE RAW_DIR --name {path.name}`")
    quality = json.loads((path / "quality.json").read_text())
    return Dataset(name=path.name, path=path, tables=Tables(path, check=check), quality=quality)


# --- one organisation against all the others -------------------------------------------------

REST_LABEL = "all other organisations"
"""How an organisation's own page names everyone else, as one group."""


def own_versus_rest(learners: pd.DataFrame, *, own: str, column: str = "organisation",
                    rest_label: str = REST_LABEL) -> pd.DataFrame:
    """Learners with a ``comparison`` column: `own`'s name, or one label for everyone else.

    A partner's report compares its own learners with the rest of the community as one
    anonymous aggregate (no other organisation is named or shown on its own).
    """
    if column not in learners.columns:
        raise ValueError(f"learners: no column {column!r} to compare {own!r} with the rest")
    if own not in set(learners[column].dropna()):
        raise ValueError(f"organisation {own!r} is not in the learners table")
    return learners.assign(comparison=learners[column].eq(own).map({True: own, False: rest_label}))
