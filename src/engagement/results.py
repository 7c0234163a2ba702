"""The Result type: a tidy table together with what its columns mean.

An analysis returns a :class:`Result` rather than a bare DataFrame, so that nothing
downstream guesses what a column is from its name. For every column it records a *kind*
(what the values are), a plain-language *label* for partners, and the links between
columns that disclosure control needs:

========================  ===============================================================
kind                      values
========================  ===============================================================
``label``                 names the row (course, k, week, format, arm): never hidden
``organisation``          a label naming an organisation: anonymised on partner pages
``count``                 a count of `unit` (learners, recipients, posts...); counts of
                          people are disclosure-controlled; ``part_of`` names the count it
                          is part of (so its complement is a cell too)
``share``                 a proportion 0-1: ``of`` / ``over`` (two count columns)
``points``                a difference of two shares (as a fraction), in percentage points
``ratio``                 an odds, hazard or rate ratio
``days``                  a duration in days
``number``                any other statistic (chi-square, AUC, an index)
``low``, ``high``         the ends of an interval of the estimate column ``of``
``p``, ``p_adjusted``     a p-value, and one adjusted for multiple comparisons
``date``, ``text``        dates, and free text that is not a label
``flag``                  yes/no
========================  ===============================================================

Estimates (share, points, ratio, days, number, p) depend on the counts of their row:
``of``/``over`` for a share, ``of`` (a tuple of count columns) for the others; an estimate
that names none depends on every count of people in its row. A hidden count hides every
value that depends on it.

A Result also says which column gives the learners behind each row (``n``: a row about
too few learners is hidden whole), which rows are totals of other rows (``total_row``),
which column's groups partition the population (``partition``: their sum is public, shown
on other pages, so a hidden group needs a partner), what design produced it
(randomised, observational or descriptive), and constants said once under the table.

The disclosure control itself is :func:`engagement.privacy.control`; the rendering is
:mod:`engagement.display`. A controlled Result carries a ``hidden`` mask (and
``secondary``: hidden to protect another cell) beside its table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

KINDS = ("label", "organisation", "count", "share", "points", "ratio", "days", "number",
         "low", "high", "p", "p_adjusted", "date", "text", "flag")
ESTIMATE_KINDS = ("share", "points", "ratio", "days", "number", "p", "p_adjusted")
LABEL_KINDS = ("label", "organisation")
DESIGNS = ("randomised", "observational", "descriptive")

NOT_PEOPLE = frozenset({"posts", "events", "rows", "sessions held", "files", "folds",
                        "courses", "organisations", "weeks", "messages", "variants", "days",
                        "statements", "exports", "channels", "rules", "impressions",
                        "engagements", "clicks", "planned recipients", "communities"})
"""Units of counts that are not counts of people (not disclosure-controlled)."""

MIME = "application/vnd.engagement.result+json"
"""The MIME type a Result is stored under in an executed notebook's outputs."""


@dataclass(frozen=True)
class Column:
    """What one column of a Result holds (see the module docstring for the kinds)."""

    kind: str
    label: str
    unit: str = ""            # count: what is counted ("learners", "posts"...)
    of: str | tuple[str, ...] | None = None   # share: numerator; low/high: estimate;
    #                                           other estimates: the counts they depend on
    over: str | None = None   # share: its denominator
    part_of: str | None = None  # count: the count it is part of
    technical: bool = False   # shown to researchers only

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.kind in ("low", "high") and not self.of:
            raise ValueError(f"an interval end ({self.kind}) must name its estimate (of=)")
        if self.kind == "share" and not (self.of and self.over):
            raise ValueError("a share must name its numerator and denominator (of=, over=)")

    @property
    def people(self) -> bool:
        """Whether this is a count of people (disclosure-controlled)."""
        return self.kind == "count" and self.unit not in NOT_PEOPLE

    @property
    def depends_on(self) -> tuple[str, ...] | None:
        """The count columns this estimate is computed from (None: every count of people;
        for a count, the counts named by ``of``, or none)."""
        if self.kind == "count":
            return () if self.of is None else (
                (self.of,) if isinstance(self.of, str) else tuple(self.of))
        if self.kind == "share":
            return (self.of, self.over)
        if self.kind in ("low", "high"):
            return (self.of,)
        if self.of is None:
            return None
        return (self.of,) if isinstance(self.of, str) else tuple(self.of)


# Short constructors, so that a function declares its columns in one line each.

def label(text: str, **kw) -> Column:
    return Column("label", text, **kw)


def organisation(text: str = "Organisation", **kw) -> Column:
    return Column("organisation", text, **kw)


def count(text: str, unit: str = "learners", **kw) -> Column:
    return Column("count", text, unit=unit, **kw)


def share(text: str, *, of: str, over: str, **kw) -> Column:
    return Column("share", text, of=of, over=over, **kw)


def interval(estimate: str, *, level: float = 0.95, technical: bool = False
             ) -> tuple[Column, Column]:
    """The (low, high) columns of a `level` interval of `estimate`."""
    return (Column("low", f"{level:.0%} interval, from", of=estimate, technical=technical),
            Column("high", f"{level:.0%} interval, to", of=estimate, technical=technical))


def estimate(kind: str, text: str, **kw) -> Column:
    if kind not in ESTIMATE_KINDS:
        raise ValueError(f"not an estimate kind: {kind!r}")
    return Column(kind, text, **kw)


def text(label_text: str, **kw) -> Column:
    return Column("text", label_text, **kw)


def flag(label_text: str, **kw) -> Column:
    return Column("flag", label_text, **kw)


def date(label_text: str, **kw) -> Column:
    return Column("date", label_text, **kw)


@dataclass(frozen=True)
class TotalRow:
    """Rows whose `column` holds `value` are the sums of the other rows (within `by`), in
    the count `columns` (default: every count of people; name them when some are not
    additive, such as distinct learners over formats a learner may share)."""

    column: str
    value: object
    by: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Result:
    """A tidy table and what its columns mean.

    Attributes
    ----------
    table : DataFrame
        The numbers (one row per group/estimate), as computed.
    columns : mapping of str to Column
        Every column of `table`, in order.
    title : str
        What the table is, in plain words (partners read it above the table).
    design : {"randomised", "observational", "descriptive"}
        How the comparison it makes was obtained, stated once under the table.
    n : str, optional
        The count column giving the learners behind each row: a row about fewer learners
        than the minimum is hidden whole (its labels stay).
    total_row : TotalRow, optional
        Rows that are totals of the others.
    partition : str, optional
        A label column whose groups partition the population (organisation, course,
        channel): their sum is taken as public, so a hidden group's cell gets a partner.
    constants : mapping of str to str
        Parameters that are the same on every row, each with the sentence saying it
        (``{"within_days": "Coming back means another session within 14 days."}``).
    notes : tuple of str
        Sentences said under the table (what the design means, where the data come from).
    curve : str, optional
        For a survival curve: its at-risk column (the curve is cut where fewer than the
        minimum remain at risk).
    kind : str
        What made it (e.g. ``"retention.return_after_k"``).
    hidden, secondary : DataFrame of bool, optional
        Set by :func:`engagement.privacy.control`: the cells it hid, and those of them hidden
        to protect another cell.
    audience : str
        ``"researcher"`` (as computed) or ``"partner"`` (after control).
    """

    table: pd.DataFrame
    columns: Mapping[str, Column]
    title: str
    design: str = "descriptive"
    n: str | None = None
    total_row: TotalRow | None = None
    partition: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    curve: str | None = None
    kind: str = ""
    hidden: pd.DataFrame | None = None
    secondary: pd.DataFrame | None = None
    audience: str = "researcher"

    def __post_init__(self):
        if not isinstance(self.table, pd.DataFrame):
            raise TypeError(f"Result.table must be a DataFrame, not {type(self.table).__name__}")
        columns = dict(self.columns)
        undeclared = [c for c in self.table.columns if c not in columns]
        absent = [c for c in columns if c not in self.table.columns]
        if undeclared or absent:
            raise ValueError(
                f"Result {self.title!r}: " + "; ".join(
                    part for part in (
                        undeclared and f"column(s) {', '.join(map(repr, undeclared))} have no "
                                       "declared kind",
                        absent and f"declared column(s) {', '.join(map(repr, absent))} are "
                                   "not in the table") if part))
        if self.design not in DESIGNS:
            raise ValueError(f"design must be one of {', '.join(DESIGNS)}, not {self.design!r}")
        for name, col in columns.items():
            refs = [r for r in (*(col.depends_on or ()), col.part_of) if r]
            bad = [r for r in refs if r not in columns]
            if bad:
                raise ValueError(f"Result {self.title!r}: column {name!r} refers to "
                                 f"{', '.join(map(repr, bad))}, not a column of the table")
        if self.total_row is not None:
            refs = [self.total_row.column, *self.total_row.by, *self.total_row.columns]
            bad = [r for r in refs if r not in columns]
            if bad:
                raise ValueError(f"Result {self.title!r}: its total row refers to "
                                 f"{', '.join(map(repr, bad))}, not a column of the table")
        for ref in (self.n, self.curve, self.partition):
            if ref is not None and ref not in columns:
                raise ValueError(f"Result {self.title!r}: {ref!r} is not a column of the table")
        # the table in the declared order, with a clean index
        object.__setattr__(self, "columns", {c: columns[c] for c in self.table.columns})
        object.__setattr__(self, "table", self.table.reset_index(drop=True))
        object.__setattr__(self, "notes", tuple(self.notes))

    # --- reading it ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, column):
        """Columns of the table (as computed, or with hidden cells missing)."""
        return self.table[column]

    def __iter__(self):
        return iter(self.table.columns)

    def __getattr__(self, name: str):
        # Reading a Result reads its table (res.loc, res.iloc, res.empty, res.query...): what
        # comes back is a plain DataFrame or Series, without the metadata, which
        # display.show refuses; use where() and only() to keep it.
        if name.startswith("__") or name in ("table", "columns"):
            raise AttributeError(name)
        return getattr(self.table, name)

    def of_kind(self, *kinds: str) -> list[str]:
        """The columns of the given kinds, in table order."""
        return [c for c, col in self.columns.items() if col.kind in kinds]

    def is_hidden(self, row, column: str) -> bool:
        """Whether the cell at (positional `row`, `column`) was hidden by disclosure control."""
        return bool(self.hidden is not None and column in self.hidden
                    and self.hidden[column].iloc[row])

    def any_hidden(self, rows=None, columns: Sequence[str] | None = None) -> bool:
        """Whether any cell of the positional `rows` (default all) and `columns` is hidden."""
        if self.hidden is None:
            return False
        cols = [c for c in (columns if columns is not None else self.hidden.columns)
                if c in self.hidden]
        block = self.hidden[cols] if rows is None else self.hidden[cols].iloc[list(rows)]
        return bool(block.to_numpy().any())

    def where(self, mask) -> Result:
        """The rows where `mask` (a boolean Series or array over the table) holds."""
        keep = np.asarray(mask.to_numpy() if hasattr(mask, "to_numpy") else mask, dtype=bool)
        return replace(self, table=self.table[keep],
                       hidden=None if self.hidden is None else self.hidden[keep].reset_index(drop=True),
                       secondary=None if self.secondary is None
                       else self.secondary[keep].reset_index(drop=True))

    def only(self, columns: Sequence[str]) -> Result:
        """The Result with only `columns` (and the columns they depend on)."""
        wanted = list(dict.fromkeys(columns))
        for name in list(wanted):
            col = self.columns[name]
            wanted += [r for r in (*(col.depends_on or ()), col.part_of) if r and r not in wanted]
        keep = [c for c in self.table.columns if c in wanted]
        return replace(
            self, table=self.table[keep], columns={c: self.columns[c] for c in keep},
            n=self.n if self.n in keep else None,
            curve=self.curve if self.curve in keep else None,
            partition=self.partition if self.partition in keep else None,
            total_row=_kept_total(self.total_row, keep),
            hidden=None if self.hidden is None else self.hidden[[c for c in keep if c in self.hidden]],
            secondary=None if self.secondary is None
            else self.secondary[[c for c in keep if c in self.secondary]])

    def with_table(self, table: pd.DataFrame) -> Result:
        """The same metadata around another table with the same columns."""
        return replace(self, table=table, hidden=None, secondary=None)

    # --- storing it ---------------------------------------------------------------------

    def to_dict(self) -> dict:
        """A JSON-able form: metadata, the table (records) and the masks."""
        def records(df):
            if df is None:
                return None
            out = df.astype(object).where(df.notna(), None)
            return [[_jsonable(v) for v in row] for row in out.itertuples(index=False)]
        return {
            "title": self.title, "kind": self.kind, "design": self.design, "n": self.n,
            "total_row": None if self.total_row is None else asdict(self.total_row),
            "partition": self.partition, "constants": dict(self.constants),
            "notes": list(self.notes), "curve": self.curve, "audience": self.audience,
            # the order kept apart: notebook JSON is written with its keys sorted
            "order": list(self.columns),
            "columns": {c: asdict(col) for c, col in self.columns.items()},
            "rows": records(self.table),
            "hidden": records(self.hidden), "secondary": records(self.secondary),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping) -> Result:
        """The Result :meth:`to_dict` stored (values as JSON keeps them: dates as text)."""
        names = list(data.get("order") or data["columns"])
        cols = {c: Column(**{**spec, "of": tuple(spec["of"]) if isinstance(spec["of"], list)
                             else spec["of"]}) for c, spec in
                ((c, data["columns"][c]) for c in names)}

        def frame(rows):
            if rows is None:
                return None
            out = pd.DataFrame(rows, columns=names)
            for c in names:  # JSON null back to NaN in numeric columns
                if cols[c].kind not in ("label", "organisation", "text", "date", "flag") \
                        and out[c].dtype == object:
                    try:
                        out[c] = pd.to_numeric(out[c])
                    except (TypeError, ValueError):
                        pass  # text such as "inf" stored for a non-finite value stays text
            return out.infer_objects()

        total = data.get("total_row")
        return cls(table=frame(data["rows"]), columns=cols, title=data["title"],
                   design=data["design"], n=data.get("n"),
                   total_row=None if total is None else TotalRow(
                       total["column"], total["value"], tuple(total["by"]),
                       tuple(total.get("columns") or ())),
                   partition=data.get("partition"), constants=data.get("constants", {}),
                   notes=tuple(data.get("notes", ())), curve=data.get("curve"),
                   kind=data.get("kind", ""),
                   hidden=_mask(frame(data.get("hidden"))),
                   secondary=_mask(frame(data.get("secondary"))),
                   audience=data.get("audience", "researcher"))

    def _repr_html_(self) -> str:
        # JupyterLab shows a Result as the researcher sees it (engagement.display registers
        # the renderer; without it, the plain table)
        if _RENDERER is not None:
            return _RENDERER(self)
        return self.table._repr_html_()

    def __repr__(self) -> str:
        return f"Result({self.title!r}, {len(self.table)} rows)\n{self.table!r}"


def _kept_total(total: TotalRow | None, keep: list[str]) -> TotalRow | None:
    """A total row declaration restricted to the columns kept (None when nothing it sums is)."""
    if total is None or total.column not in keep or not set(total.by) <= set(keep):
        return None
    if not total.columns:
        return total
    summed = tuple(c for c in total.columns if c in keep)
    return replace(total, columns=summed) if summed else None


def _mask(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if df is None else df.fillna(False).astype(bool)


def _jsonable(value):
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else str(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, (str, int)) else str(value)


_RENDERER = None


def set_renderer(render) -> None:
    """Called by :mod:`engagement.display`: how a Result shows itself in JupyterLab."""
    global _RENDERER
    _RENDERER = render


def hidden(value, rows=None, columns=None) -> bool:
    """Whether disclosure control hid any cell of `value` in the positional `rows` (one row or
    a sequence; default every row) and `columns` (those it has; default all).

    False for a DataFrame and for a Result as computed: what describe functions ask before
    quoting a number, so that one function words both audiences' sentences.
    """
    if not isinstance(value, Result) or value.hidden is None:
        return False
    cols = [c for c in (value.hidden.columns if columns is None else columns)
            if c in value.hidden]
    if not cols:
        return False
    block = value.hidden[cols]
    if rows is not None:
        block = block.iloc[[rows] if isinstance(rows, (int, np.integer)) else list(rows)]
    return bool(block.to_numpy().any())


def hidden_rows(value, columns) -> np.ndarray:
    """Per row of `value`'s table, whether any of `columns` is hidden in it."""
    n = len(table_of(value))
    if not isinstance(value, Result) or value.hidden is None:
        return np.zeros(n, dtype=bool)
    cols = [c for c in columns if c in value.hidden]
    return value.hidden[cols].any(axis=1).to_numpy() if cols else np.zeros(n, dtype=bool)


def protecting(value, rows, columns) -> bool:
    """Whether the hidden cells among `columns` of `rows` were all hidden to protect another
    cell (secondary suppression), none for being small themselves."""
    if not hidden(value, rows, columns) or value.secondary is None:
        return False
    cols = [c for c in columns if c in value.hidden]
    pick = [rows] if isinstance(rows, (int, np.integer)) else list(rows)
    small = value.hidden[cols].iloc[pick] & ~value.secondary[cols].iloc[pick]
    return not bool(small.to_numpy().any())


def table_of(value) -> pd.DataFrame:
    """The table of a Result, or a DataFrame as it is (for functions that take either)."""
    return value.table if isinstance(value, Result) else value
