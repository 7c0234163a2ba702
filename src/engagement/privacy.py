"""What a partner may see: identifier refusal, small-cell suppression, anonymous organisations,
and a scan of finished HTML reports for anything that identifies a learner.

Two audiences (DESIGN.md, "Reports and audiences"):

- ``researcher``: internal; tables shown as computed (identifier columns are still refused,
  because no report table needs one).
- ``partner``: what leaves the organisation; no learner identity, no group smaller than the
  minimum size, organisations other than the reader's own shown only under anonymous labels.

Notebooks call :func:`for_audience` on every table they show (declaring the totals a table
shows, so that :func:`suppress_small` hides complementary cells), and the report batch runs
:func:`scan_html` on every partner HTML it writes, with the names, e-mail addresses and ids
:func:`raw_identifying_terms` finds in the dataset's raw exports.
"""

from __future__ import annotations

import html as _html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path

import numpy as np
import pandas as pd

AUDIENCES = ("researcher", "partner")

PSEUDONYM_PATTERN = re.compile(r"\bL-[0-9a-f]{10}\b")
"""A pseudonymised learner id as clean.py writes it: ``L-`` and 10 lowercase hex digits."""

IDENTIFIER_COLUMNS = frozenset({
    # contract and pseudonymised ids
    "learner_id", "target_learner_id", "learner", "pseudonym",
    # raw exports (Moodle logs and forum posts, enrolments, Zoom, sign-in sheets, OULAD)
    "user_id", "userid", "user", "username", "user_name", "student_id", "id_student",
    "affected_user", "related_user", "user_full_name", "userfullname", "full_name",
    "fullname", "name", "name_original_name", "first_name", "firstname", "last_name",
    "lastname", "surname", "email", "e_mail", "email_address", "user_email", "mail",
    "ip_address", "ip", "ipaddress", "phone", "phone_number", "mobile", "address",
    "postcode", "zip_code", "date_of_birth", "dob",
})
"""Column names (normalised: lower case, non-alphanumerics as ``_``) that identify a person."""

SUPPRESSED_SUFFIX = "_suppressed"
"""Suffix of the boolean marker column :func:`suppress_small` adds for each column it touches."""

SECONDARY_SUFFIX = "_secondary"
"""Suffix of the boolean marker of cells :func:`suppress_small` hid to protect another cell."""

SECONDARY_MARKER = "hidden"
"""How :func:`render_suppressed` shows a cell hidden by secondary suppression."""


def _normalise(label) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(label).strip().lower()).strip("_")


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}(?![\w-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Four octets, each 0-255, not part of a longer dotted or alphanumeric run (so "2.3.3" and
# "1.2.3.4.5" do not match, "10.0.0.1." at the end of a sentence does).
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")


def refuse_identifiers(df: pd.DataFrame, *, check_values: bool = False) -> pd.DataFrame:
    """Raise if a table carries a column that identifies a person.

    Parameters
    ----------
    df : DataFrame
        The table about to be shown. It is not modified.
    check_values : bool
        Also look inside text columns for pseudonymised learner ids (:data:`PSEUDONYM_PATTERN`)
        and e-mail addresses, whatever the column is called. Used for the partner audience.

    Returns
    -------
    DataFrame
        `df` itself, unchanged, so the call chains (``df.pipe(refuse_identifiers)``).

    Raises
    ------
    ValueError
        Naming every offending column (or index level) and, for values, the first offending
        row label.
    """
    labels = [*map(str, df.columns), *(str(n) for n in df.index.names if n is not None)]
    bad = [c for c in labels if _normalise(c) in IDENTIFIER_COLUMNS]
    if bad:
        raise ValueError(
            f"identifier column(s) {', '.join(map(repr, bad))} cannot be shown in a report; "
            "aggregate them away or drop them first")
    if check_values:
        problems = []
        frame = df.reset_index() if any(n is not None for n in df.index.names) else df
        for col in frame.columns:
            values = frame[col]
            if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
                continue
            text = values.dropna().astype(str)
            for what, pattern in (("pseudonymised learner id", PSEUDONYM_PATTERN),
                                  ("e-mail address", _EMAIL)):
                hit = text[text.str.contains(pattern, regex=True)]
                if len(hit):
                    problems.append(f"column {str(col)!r} holds {what}s "
                                    f"({len(hit)} row(s), first at row label {hit.index[0]!r})")
        if problems:
            raise ValueError("table cannot be shown to a partner: " + "; ".join(problems))
    return df


class SuppressedTable(pd.DataFrame):
    """A DataFrame from :func:`suppress_small` that displays hidden cells as ``"<5"``.

    Its values are those of an ordinary DataFrame (hidden cells are missing, marker columns
    ``*_suppressed`` present); only its notebook and text display go through
    :func:`render_suppressed`, so ``display(for_audience(...))`` reads "<5" where a count
    was hidden. Any operation on it returns a plain DataFrame.
    """

    _metadata = ["_min_size", "_count_columns"]

    @property
    def _constructor(self):
        return pd.DataFrame

    def for_display(self) -> pd.DataFrame:
        """The table as displayed: hidden counts read \"<5\"."""
        return render_suppressed(pd.DataFrame(self), min_size=getattr(self, "_min_size", 5),
                                 count_columns=getattr(self, "_count_columns", ("n",)))

    def _repr_html_(self):
        return self.for_display()._repr_html_()

    def __repr__(self) -> str:
        return repr(self.for_display())


def suppress_small(df: pd.DataFrame, *, count_columns: Sequence[str] = (), min_size: int = 5,
                   n_column: str | None = "n", linked: Mapping[str, Sequence[str]] | None = None,
                   label_columns: Sequence[str] = (),
                   total_columns: Mapping[str, Sequence[str]] | None = None,
                   total_row: tuple[str, object] | None = None,
                   total_by: Sequence[str] = ()) -> pd.DataFrame:
    """Hide counts of fewer than `min_size` (but more than zero) people.

    What is suppressed (replaced by missing):

    1. every cell of a `count_columns` column whose value is > 0 and < `min_size`
       (zero is kept: "nobody" discloses nothing about an individual);
    2. every column listed in ``linked[c]`` on the rows where count column ``c`` was
       suppressed (derived values such as a share or its interval would otherwise give the
       hidden count back);
    3. every numeric cell of a row whose `n_column` (the number of learners behind the row)
       is > 0 and < `min_size`, except `label_columns` (numeric labels such as week or k).

    4. secondary (complementary) suppression, when the table shows totals: a hidden cell
       must not be recoverable by subtraction from a total shown in the same table. Totals
       are declared with `total_columns` (in each row, a column that is the sum of other
       columns, e.g. ``n`` = ``completed`` + ``withdrawn`` + ``ongoing``) and `total_row`
       (a row, e.g. course ``"all"``, whose count cells are the sums of the other rows, within
       each group of `total_by`). Each total with its parts is one equation; whenever an
       equation has exactly one cell hidden, its smallest shown cell (a non-zero one if there
       is any; the total only when no part is left) is hidden too, and this is repeated over
       rows and columns until no equation has a single hidden cell. Derived columns
       (`linked`) follow their counts there too. Without declared totals nothing is done, so
       declare every total a table shows.

    For each column touched, a boolean column ``<column>_suppressed`` marks the hidden cells,
    so that :func:`render_suppressed` can show them as ``"<5"`` (counts) or ``"n<5"`` (other
    values); a cell hidden by secondary suppression (it may be large) is also marked in
    ``<column>_secondary`` and shown as ``"hidden"``. That rendering is for display only:
    the numbers are gone from the table.


    Parameters
    ----------
    df : DataFrame
        The table. It is not modified.
    count_columns : sequence of str
        Columns holding counts of people.
    min_size : int
        The smallest group that may be shown (default 5).
    n_column : str or None
        The column giving the number of learners behind each row. Used when the table has
        it; the default ``"n"`` is silently skipped when absent, any other name must exist.
    linked : mapping, optional
        ``{count column: [columns derived from it]}``.
    label_columns : sequence of str
        Numeric columns that name the row and are never suppressed.
    total_columns : mapping, optional
        ``{total column: [part columns]}``: in every row the total is the sum of the parts.
        Total and part columns are count columns (small cells of them are suppressed too).
    total_row : (str, value), optional
        ``(label column, value)``: rows whose label column holds `value` (e.g.
        ``("course", "all")``) are totals over the other rows of every count column.
    total_by : sequence of str
        With `total_row`: the columns whose values delimit the groups each total row sums
        (e.g. ``["week"]`` for one "all" row per week). One total row per group at most.

    Returns
    -------
    SuppressedTable (a DataFrame)
        A copy of `df` with the hidden cells missing (NaN: an integer column with a hidden
        cell becomes float, which matplotlib and seaborn plot, unlike ``pd.NA``), plus one
        boolean ``<column>_suppressed`` column per column touched (and
        ``<column>_secondary`` per column where secondary suppression hid a cell). It
        displays (in a notebook, or printed) with the markers of :func:`render_suppressed`,
        whole-number counts shown as integers.

    Raises
    ------
    ValueError
        If a named column is missing, a count column is not numeric, or a group of
        `total_by` has more than one total row.
    """
    if min_size < 1:
        raise ValueError(f"min_size must be at least 1, not {min_size!r}")
    linked = dict(linked or {})
    total_columns = {t: list(parts) for t, parts in (total_columns or {}).items()}
    use_n = n_column is not None and n_column in df.columns
    if n_column is not None and n_column != "n" and not use_n:
        raise ValueError(f"n_column {n_column!r} is not a column of the table "
                         f"({', '.join(map(str, df.columns))})")
    # totals and their parts are counts of people: their small cells are suppressed too
    count_columns = list(dict.fromkeys([*count_columns, *total_columns,
                                        *(c for cs in total_columns.values() for c in cs)]))
    needed = [*count_columns, *linked, *(c for cs in linked.values() for c in cs), *label_columns,
              *([total_row[0]] if total_row is not None else []), *total_by]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"column(s) {', '.join(map(repr, missing))} not in the table "
                         f"({', '.join(map(str, df.columns))})")
    unknown_links = [c for c in linked if c not in count_columns and c != n_column]
    if unknown_links:
        raise ValueError(f"linked keys {', '.join(map(repr, unknown_links))} must be count columns")
    counts = list(dict.fromkeys([*count_columns, *([n_column] if use_n else [])]))
    for col in counts:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            raise ValueError(f"count column {col!r} must be numeric, not {df[col].dtype}")

    out = df.copy()
    masks: dict[str, pd.Series] = {}

    def hide(col: str, rows: pd.Series) -> None:
        masks[col] = masks.get(col, pd.Series(False, index=out.index)) | rows

    small = {c: (df[c] > 0) & (df[c] < min_size) for c in counts}
    for col in counts:
        rows = small[col].fillna(False).astype(bool)
        hide(col, rows)
        for derived in linked.get(col, ()):
            hide(derived, rows)
    if use_n:
        rows = small[n_column].fillna(False).astype(bool)
        numeric = [c for c in df.columns
                   if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
                   and c not in label_columns]
        for col in numeric:
            hide(col, rows)

    secondary: dict[str, pd.Series] = {}
    if total_columns or total_row is not None:
        groups = _total_groups(df, counts=counts, total_columns=total_columns,
                               total_row=total_row, total_by=total_by)
        hidden = pd.DataFrame({c: masks.get(c, pd.Series(False, index=out.index)).to_numpy()
                               for c in counts})
        extra = _complementary(df[counts].reset_index(drop=True), hidden, groups)
        for col in counts:
            rows = pd.Series(extra[col].to_numpy(), index=out.index)
            if rows.any():
                secondary[col] = rows
                hide(col, rows)
                for derived in linked.get(col, ()):
                    hide(derived, rows)
                    secondary[derived] = secondary.get(
                        derived, pd.Series(False, index=out.index)) | rows

    for col, rows in masks.items():
        if pd.api.types.is_integer_dtype(out[col]) and rows.any():
            out[col] = out[col].astype("float64")  # NaN, not pd.NA: plotting libraries choke on NA
        out[col] = out[col].mask(rows)
        out[f"{col}{SUPPRESSED_SUFFIX}"] = rows.to_numpy()
    for col, rows in secondary.items():
        out[f"{col}{SECONDARY_SUFFIX}"] = rows.to_numpy()
    table = SuppressedTable(out)
    table._min_size, table._count_columns = min_size, tuple(counts)
    return table


def _total_groups(df: pd.DataFrame, *, counts: Sequence[str],
                  total_columns: Mapping[str, Sequence[str]],
                  total_row: tuple[str, object] | None,
                  total_by: Sequence[str]) -> list[list[tuple[int, str]]]:
    """The table's totals as equations: lists of (row position, column) cells, total last."""
    groups: list[list[tuple[int, str]]] = []
    for total, parts in total_columns.items():
        for i in range(len(df)):
            groups.append([(i, p) for p in parts] + [(i, total)])
    if total_row is not None:
        label, value = total_row
        is_total = df[label].astype(object).eq(value).to_numpy()
        keys = (df[list(total_by)].astype(str).agg("\x1f".join, axis=1).to_numpy()
                if total_by else np.zeros(len(df), dtype=int))
        for key in pd.unique(keys):
            rows = np.flatnonzero(keys == key)
            totals = [i for i in rows if is_total[i]]
            if not totals:
                continue
            if len(totals) > 1:
                raise ValueError(f"{len(totals)} total rows ({label} = {value!r}) in one group of "
                                 f"{list(total_by) or 'the table'}: give total_by")
            parts = [i for i in rows if not is_total[i]]
            for col in counts:
                groups.append([(i, col) for i in parts] + [(totals[0], col)])
    return groups


def _complementary(values: pd.DataFrame, hidden: pd.DataFrame,
                   groups: list[list[tuple[int, str]]]) -> pd.DataFrame:
    """Cells to hide so that no equation of `groups` has exactly one unknown cell.

    `values` and `hidden` are positionally indexed (0..n-1), columns the count columns.
    A missing value counts as unknown (a reader cannot subtract it). Returns the cells
    hidden here (bool, same shape).
    """
    protected = hidden.to_numpy(copy=True)
    known = ~protected & values.notna().to_numpy()
    start = known.copy()
    number = values.to_numpy(dtype=float, na_value=np.nan)
    col = {c: j for j, c in enumerate(values.columns)}
    member: dict[tuple[int, str], list] = {}
    for cells in groups:
        for cell in cells:
            member.setdefault(cell, []).append(cells)
    changed = True
    while changed:  # hiding a cell can open another equation: repeat until stable
        changed = False
        for cells in groups:
            unknown = [(i, c) for i, c in cells if not known[i, col[c]]]
            # one unknown cell is given back by subtraction: a problem when it was hidden
            # (a value missing from the data is not protected)
            if len(unknown) != 1 or not protected[unknown[0][0], col[unknown[0][1]]]:
                continue
            shown = [(i, c) for i, c in cells if known[i, col[c]]]
            if not shown:
                continue
            total = cells[-1]
            parts = [cell for cell in shown if cell != total]
            # A part rather than the total, a non-zero one if there is any; among those the
            # cell whose hiding leaves the fewest other equations with a single unknown (one
            # already sharing an equation with a hidden cell closes a rectangle), then the
            # smallest.
            pool = ([cell for cell in parts if number[cell[0], col[cell[1]]] != 0] or parts
                    or shown)

            def opened(cell):
                return sum(all(known[k, col[d]] for k, d in other if (k, d) != cell)
                           for other in member[cell] if other is not cells)

            i, c = min(pool, key=lambda cell: (opened(cell), number[cell[0], col[cell[1]]],
                                               cell[0]))
            known[i, col[c]] = False
            protected[i, col[c]] = True  # recovering it could give the first one back
            changed = True
    return pd.DataFrame(start & ~known, columns=values.columns)


def render_suppressed(df: pd.DataFrame, *, min_size: int = 5,
                      count_columns: Sequence[str] = ("n",)) -> pd.DataFrame:
    """The display form of a :func:`suppress_small` table: hidden cells as text markers.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`suppress_small`. It is not modified.
    min_size : int
        The minimum size used, shown in the marker.
    count_columns : sequence of str
        Columns whose hidden cells read ``"<5"``; other hidden cells read ``"n<5"``.

    Returns
    -------
    DataFrame
        The same columns without the ``*_suppressed`` and ``*_secondary`` markers; a column
        with a hidden cell becomes text (object dtype), with ``"<5"``/``"n<5"`` where a value
        was hidden for being small, :data:`SECONDARY_MARKER` (``"hidden"``) where it was
        hidden to protect another cell, whole-number values written as integers and other
        numbers to two decimals.
    """
    out = df.copy()
    markers = [c for c in out.columns if str(c).endswith(SUPPRESSED_SUFFIX)
               and str(c)[: -len(SUPPRESSED_SUFFIX)] in out.columns]
    seconds = [c for c in out.columns if str(c).endswith(SECONDARY_SUFFIX)
               and str(c)[: -len(SECONDARY_SUFFIX)] in out.columns]
    for marker in markers:
        col = str(marker)[: -len(SUPPRESSED_SUFFIX)]
        rows = out[marker].fillna(False).astype(bool)
        if rows.any():
            values = out[col]
            if pd.api.types.is_float_dtype(values):
                whole = values.dropna()
                # the column turns to text: write 12, not 12.0, and 0.35, not 0.3512345
                # (an infinite median is not a whole number: Int64 cannot hold it)
                values = (values.astype("Int64")
                          if np.isfinite(whole).all() and (whole == whole.round()).all()
                          else values.map(lambda v: v if pd.isna(v) else f"{v:.2f}"))
            text = f"<{min_size}" if col in count_columns else f"n<{min_size}"
            shown = values.astype(object).where(~rows, text)
            second = f"{col}{SECONDARY_SUFFIX}"
            if second in out.columns:
                shown = shown.where(~out[second].fillna(False).astype(bool), SECONDARY_MARKER)
            out[col] = shown
    return out.drop(columns=markers + seconds)


def own_versus_rest(learners: pd.DataFrame, *, own: str, column: str = "organisation",
                    rest_label: str = "all other organisations") -> pd.DataFrame:
    """Learners with a ``comparison`` column: `own`'s name, or one label for everyone else.

    A partner's report compares its own learners with the rest of the community as one
    anonymous aggregate (no other organisation is named or shown on its own).
    """
    if column not in learners.columns:
        raise ValueError(f"learners: no column {column!r} to compare {own!r} with the rest")
    if own not in set(learners[column].dropna()):
        raise ValueError(f"organisation {own!r} is not in the learners table")
    return learners.assign(comparison=np.where(learners[column].eq(own), own, rest_label))


def _letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet column style)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def organisation_labels(df: pd.DataFrame, *, column: str = "organisation", own: str | None = None,
                        size_column: str | None = None,
                        prefix: str = "Organisation") -> dict[str, str]:
    """Anonymous labels for organisations: ``{"Acme": "Organisation A", ...}``.

    Organisations are lettered by size, largest first (size = number of rows, or the sum of
    `size_column`), ties broken by name so that the result does not depend on row order.
    Compute the labels once (e.g. on the learners table) and pass them to
    :func:`anonymise_organisations` for every table of a report, so that "Organisation B"
    is the same organisation throughout.

    Returns
    -------
    dict
        Organisation name -> label; `own`, when given, maps to itself.
    """
    if column not in df.columns:
        raise ValueError(f"organisation column {column!r} not in the table "
                         f"({', '.join(map(str, df.columns))})")
    orgs = df[[column] + ([size_column] if size_column else [])].dropna(subset=[column])
    if size_column:
        sizes = orgs.groupby(column, observed=True)[size_column].sum()
    else:
        sizes = orgs.groupby(column, observed=True).size()
    sizes = sizes.rename("size").reset_index()
    sizes[column] = sizes[column].astype(str)
    ordered = sizes.sort_values(["size", column], ascending=[False, True], kind="mergesort")
    labels, k = {}, 0
    for name in ordered[column]:
        if own is not None and name == own:
            labels[name] = name
            continue
        labels[name] = f"{prefix} {_letters(k)}"
        k += 1
    return labels


def anonymise_organisations(df: pd.DataFrame, *, column: str = "organisation",
                            own: str | None = None, size_column: str | None = None,
                            labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Replace organisation names by stable anonymous labels, keeping the reader's own.

    Parameters
    ----------
    df : DataFrame
        The table. It is not modified.
    column : str
        The organisation column.
    own : str, optional
        The reader's organisation, left named.
    size_column : str, optional
        Column whose sum per organisation orders the labels (default: row count).
    labels : mapping, optional
        Labels from :func:`organisation_labels`, to keep them the same across tables.

    Returns
    -------
    DataFrame
        A copy of `df` with `column` replaced by ``"Organisation A"``, ``"Organisation B"``...
        (A the largest) or `own`'s name; missing organisations stay missing.

    Raises
    ------
    ValueError
        If the column is missing, or `labels` lacks an organisation of the table.
    """
    if labels is None:
        labels = organisation_labels(df, column=column, own=own, size_column=size_column)
    elif column not in df.columns:
        raise ValueError(f"organisation column {column!r} not in the table")
    names = df[column].dropna().astype(str)
    unlabelled = sorted(set(names) - set(labels))
    if unlabelled:
        raise ValueError(f"{len(unlabelled)} organisation(s) in column {column!r} have no label; "
                         "compute the labels on a table holding every organisation")
    out = df.copy()
    out[column] = df[column].map(lambda v: v if pd.isna(v) else labels[str(v)])
    return out


def for_audience(df: pd.DataFrame, *, audience: str, min_size: int = 5,
                 count_columns: Sequence[str] = (), organisation_column: str | None = None,
                 own_organisation: str | None = None, n_column: str | None = "n",
                 linked: Mapping[str, Sequence[str]] | None = None,
                 label_columns: Sequence[str] = (),
                 labels: Mapping[str, str] | None = None,
                 survival_group: str | None = None, survival: bool = False,
                 total_columns: Mapping[str, Sequence[str]] | None = None,
                 total_row: tuple[str, object] | None = None,
                 total_by: Sequence[str] = ()) -> pd.DataFrame:
    """The table to show to `audience`.

    ``researcher``: `df` as is (a copy), once identifier columns have been refused.
    ``partner``: identifier columns refused, and pseudonymised ids or e-mail addresses in any
    text column refused; organisations other than `own_organisation` anonymised (when
    `organisation_column` is given; pass `labels` from :func:`organisation_labels` to keep
    them the same across tables); small cells suppressed (:func:`suppress_small`, which
    `n_column`, `linked`, `label_columns` and the totals shown, `total_columns`,
    `total_row` and `total_by`, are passed to); with `survival`, a table of
    survival curves (an ``at_risk`` column, one curve per `survival_group`) is first cut
    where fewer than `min_size` learners remain at risk (:func:`cut_at_risk`).

    Returns
    -------
    DataFrame
        For ``researcher`` the columns of `df`; for ``partner`` a :class:`SuppressedTable`:
        the same columns with hidden cells missing, plus the ``*_suppressed`` marker columns
        of :func:`suppress_small`; it displays "<5" where a count was hidden.

    Raises
    ------
    ValueError
        Unknown audience, identifier column, or a bad column name.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    if audience == "researcher":
        refuse_identifiers(df)
        return df.copy()
    refuse_identifiers(df, check_values=True)
    out = cut_at_risk(df, min_size=min_size, group=survival_group) if survival else df
    if organisation_column is not None:
        out = anonymise_organisations(out, column=organisation_column, own=own_organisation,
                                      labels=labels)
    return suppress_small(out, count_columns=count_columns, min_size=min_size,
                          n_column=n_column, linked=linked, label_columns=label_columns,
                          total_columns=total_columns, total_row=total_row, total_by=total_by)


def cut_at_risk(curve: pd.DataFrame, *, min_size: int = 5, at_risk: str = "at_risk",
                group: str | None = None) -> pd.DataFrame:
    """Cut survival curves where fewer than `min_size` learners remain at risk.

    The tail of a Kaplan-Meier curve is about the last few learners: each later step would
    disclose what one of them did. Rows from the first time a curve's at-risk count falls
    below `min_size` onwards are dropped (per `group`, when given).

    Returns
    -------
    DataFrame: the rows of `curve` before each curve's cut.
    """
    if at_risk not in curve.columns:
        raise ValueError(f"cut_at_risk: no column {at_risk!r}; columns are {list(curve.columns)}")
    small = curve[at_risk] < min_size
    if group is None:
        keep = ~small.cummax()
    else:
        keep = ~small.groupby(curve[group], sort=False).cummax()
    return curve.loc[keep].reset_index(drop=True)


# --- scanning finished HTML ---------------------------------------------------------------

_DATA_QUOTED = re.compile(r"""(["'])\s*data:.*?\1""", re.S | re.I)
_DATA_CSS = re.compile(r"url\(\s*data:[^)]*\)", re.I)
_DATA_BARE = re.compile(r"data:[a-z]+/[\w.+-]+[^\s\"'<>)]*", re.I)
_EXTERNAL = r"""\s*(?:https?:)?//"""
_TAG_CHECKS = (
    ("external_script", re.compile(rf"<script\b[^>]*\bsrc\s*=\s*[\"']?{_EXTERNAL}[^>]*>", re.I)),
    ("external_link", re.compile(rf"<link\b[^>]*\bhref\s*=\s*[\"']?{_EXTERNAL}[^>]*>", re.I)),
    ("external_image", re.compile(
        rf"<(?:img|image)\b[^>]*\b(?:src|srcset|xlink:href|href)\s*=\s*[\"']?{_EXTERNAL}[^>]*>",
        re.I)),
    ("external_frame", re.compile(
        rf"<(?:iframe|embed|object|audio|video|source|track)\b[^>]*\b(?:src|data)\s*=\s*[\"']?"
        rf"{_EXTERNAL}[^>]*>", re.I)),
    ("external_css", re.compile(
        rf"@import\s+(?:url\(\s*)?[\"']?{_EXTERNAL}[^;]*|url\(\s*[\"']?{_EXTERNAL}[^)]*\)", re.I)),
    ("external_module", re.compile(rf"\bimport\s*\(\s*[\"']{_EXTERNAL}[^)]*\)", re.I)),
)
# Scripts of any kind: a partner page needs none (the offline template writes none), so one
# can only come from data that was not escaped. Inline event handlers likewise; javascript:
# URLs in a link or source attribute too.
_SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)
_ATTR_GAP = r"""(?:\s+|/|(?<=["']))"""  # what may separate attributes: `"x"onerror=` counts
_EVENT_HANDLER = re.compile(
    rf"""<[a-z][\w:-]*(?:{_ATTR_GAP}[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]*))?)*?"""
    rf"""{_ATTR_GAP}on[a-z]+\s*=""", re.I)
_SCRIPT_URL = re.compile(
    r"""<[a-z][^<>]*\b(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*"""
    r"""(?:javascript|vbscript):""", re.I)
# Code input: the editor of a code cell (lab template), the input area of the classic one.
# jp-InputArea alone is not enough: the lab template wraps markdown cells in it too.
_CODE_CLASSES = {"jp-InputArea-editor", "jp-CodeMirrorEditor", "input_area"}
_CLASS_ATTR = re.compile(r"""\bclass\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_CODE_CELL_INPUT = re.compile(
    r"""class\s*=\s*["'][^"']*\bjp-CodeCell\b[^"']*["'][^>]*>\s*<div\s+class\s*=\s*["']"""
    r"""[^"']*\bjp-Cell-inputWrapper\b""", re.I)


def _strip_data_uris(text: str) -> str:
    # Inline images are base64: random text that could spell anything.
    text = _DATA_QUOTED.sub(lambda m: f"{m.group(1)}data:{m.group(1)}", text)
    text = _DATA_CSS.sub("url(data:)", text)
    return _DATA_BARE.sub("data:", text)


def _context(text: str, start: int, end: int, width: int = 30) -> str:
    return re.sub(r"\s+", " ", text[max(0, start - width): end + width]).strip()


def scan_html(html: str, *, extra_terms: Iterable[str] = ()) -> list[dict]:
    """Find what must not be in a partner report.

    Looks for: e-mail addresses; IPv4 addresses (four octets 0-255, so three-part version
    numbers such as "2.3.3" do not match); pseudonymised learner ids; code input cells;
    anything fetched from the network (``<script src>``, ``<link href>``, ``<img src>``,
    frames, CSS ``@import``/``url()`` and JS ``import()`` of an ``http(s)://`` or ``//`` URL);
    any other ``<script>`` tag, inline event-handler attribute (``onerror=``, ``onload=``...)
    and ``javascript:`` URL (a report has none: one can only come from text of the data
    that was not escaped); and each of `extra_terms` (names of people or organisations;
    whole words, any case); and hidden small cells that the totals of a table give back
    by subtraction (:func:`recoverable_cells`: a table whose totals were not declared to
    :func:`suppress_small`).
    ``data:`` URIs (inline images) are removed before scanning so that base64 cannot match.

    Parameters
    ----------
    html : str
        The page.
    extra_terms : iterable of str
        Words that must not appear.

    Returns
    -------
    list of dict
        One per leak, in order of kind then position: ``kind`` (email, ipv4, pseudonym,
        code_input, external_script, external_link, external_image, external_frame,
        external_css, external_module, script, event_handler, script_url, term,
        recoverable_cell), ``match`` (the text found; for a recoverable cell, where it is:
        table, row, column and marker, never the value) and ``context`` (the text around it,
        whitespace collapsed; for a recoverable cell, the equation that gives it back).
        Empty when the page is clean.
    """
    page = _strip_data_uris(html)
    text = _html.unescape(page)
    leaks: list[dict] = []

    def add(kind: str, source: str, m: re.Match) -> None:
        leaks.append({"kind": kind, "match": m.group(0),
                      "context": _context(source, m.start(), m.end())})

    for kind, pattern in (("email", _EMAIL), ("ipv4", _IPV4), ("pseudonym", PSEUDONYM_PATTERN)):
        for m in pattern.finditer(text):
            add(kind, text, m)
    for m in _CLASS_ATTR.finditer(page):
        if _CODE_CLASSES & set(m.group(2).split()):
            add("code_input", page, m)
    for m in _CODE_CELL_INPUT.finditer(page):
        add("code_input", page, m)
    for kind, pattern in _TAG_CHECKS:
        for m in pattern.finditer(page):
            add(kind, page, m)
    fetched = [leak["context"] for leak in leaks if leak["kind"] == "external_script"]
    for m in _SCRIPT_TAG.finditer(page):
        # a <script src=https://...> is reported once, as external_script
        if not any(m.group(0) in context for context in fetched):
            add("script", page, m)
    for kind, pattern in (("event_handler", _EVENT_HANDLER), ("script_url", _SCRIPT_URL)):
        for m in pattern.finditer(page):
            add(kind, page, m)
    words = None
    for term in dict.fromkeys(t.strip() for t in extra_terms):
        if term:
            # thousands of names (from the raw exports) against a long page: a term runs its
            # search only when every word of it is somewhere on the page
            tokens = re.findall(r"\w+", term.casefold())
            if tokens:
                words = words if words is not None else set(re.findall(r"\w+", text.casefold()))
                if not all(t in words for t in tokens):
                    continue
            for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.I):
                add("term", text, m)
    for cell in recoverable_cells(page):
        leaks.append({"kind": "recoverable_cell",
                      "match": f"table {cell['table'] + 1}, row {cell['row']!r}, "
                               f"column {cell['column']!r}: {cell['marker']}",
                      "context": cell["via"]})
    return leaks


def scan_report(path: str | os.PathLike, **kw) -> list[dict]:
    """:func:`scan_html` on a file (read as UTF-8); keywords are passed on."""
    return scan_html(Path(path).read_text(encoding="utf-8", errors="replace"), **kw)


# --- small cells a reader can work out from the totals a page shows -----------------------

_SMALL_MARKER = re.compile(r"^(n?)\s*<\s*(\d+)$", re.I)
_INTEGER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:e[+-]?\d+)?\s*%?$", re.I)
_MISSING_TEXT = frozenset({"", "nan", "<na>", "none", "nat", "-", "\u2014", "\u2013", "n/a"})
_TOTAL_LABEL = re.compile(
    r"^\(?\s*(?:all|total|totals|overall|grand\s+total|pooled|combined|"
    r"(?:all|total)\s+(?!others?\b|rest\b|else\b)[a-z][\w-]*)\s*\)?$", re.I)
# Integer-looking columns that are not counts of people: labels (week, k) and statistics.
_NOT_COUNT_NAME = re.compile(
    r"(share|rate|ratio|percent|pct|mean|median|average|avg|ci_|_ci|p_value|pvalue|estimate|"
    r"odds|hazard|score|rank|week|^k$|^days?$|_days?$|year|month|^band)")
_MAX_PARTS_SEARCH = 12  # count columns beyond this: parts of row totals looked for up to 4


class _TableParser:
    """Every ``<table>`` of a page as header rows and body rows of (text, is_th) cells."""

    def __init__(self) -> None:
        from html.parser import HTMLParser

        outer = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                outer._start(tag, dict(attrs))

            def handle_endtag(self, tag):
                outer._end(tag)

            def handle_data(self, data):
                outer._data(data)

        self.tables: list[dict] = []
        self._open: list[dict] = []
        self._skip = 0
        self._parser = Parser(convert_charrefs=True)

    def feed(self, html: str) -> list[dict]:
        self._parser.feed(html)
        self._parser.close()
        while self._open:
            self._end("table")
        for table in self.tables:
            # no <thead>: a first row of <th> only is the header
            if not table["head"] and table["body"] and all(th for _, th in table["body"][0]):
                table["head"].append(table["body"].pop(0))
        return self.tables

    def _start(self, tag: str, attrs: dict) -> None:
        if tag in ("style", "script"):
            self._skip += 1
            return
        if tag == "table":
            table = {"head": [], "body": [], "row": None, "cell": None, "thead": False}
            self.tables.append(table)  # document order of the opening tags
            self._open.append(table)
            return
        if not self._open:
            return
        table = self._open[-1]
        if tag == "thead":
            table["thead"] = True
        elif tag in ("tbody", "tfoot"):
            self._end_row(table)
            table["thead"] = False
        elif tag == "tr":
            self._end_row(table)
            table["row"] = []
        elif tag in ("td", "th"):
            self._end_cell(table)
            if table["row"] is None:
                table["row"] = []
            span = str(attrs.get("colspan") or "1")
            table["cell"] = {"th": tag == "th", "text": [],
                             "span": min(int(span), 100) if span.isdigit() and int(span) else 1}
        elif tag == "br" and table["cell"] is not None:
            table["cell"]["text"].append(" ")

    def _end(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
            return
        if not self._open:
            return
        table = self._open[-1]
        if tag in ("td", "th"):
            self._end_cell(table)
        elif tag == "tr":
            self._end_row(table)
        elif tag == "thead":
            self._end_row(table)
            table["thead"] = False
        elif tag == "table":
            self._end_row(table)
            self._open.pop()

    def _data(self, data: str) -> None:
        if self._skip or not self._open:
            return
        cell = self._open[-1]["cell"]
        if cell is not None:
            cell["text"].append(data)

    @staticmethod
    def _end_cell(table: dict) -> None:
        cell = table["cell"]
        if cell is not None:
            text = " ".join("".join(cell["text"]).split())
            table["row"].extend([(text, cell["th"])] * cell["span"])
            table["cell"] = None

    def _end_row(self, table: dict) -> None:
        self._end_cell(table)
        if table["row"]:
            table["head" if table["thead"] else "body"].append(table["row"])
        table["row"] = None


def _read_cell(text: str, th: bool):
    """(kind, value): "int" (value the number), "hidden" ((low, high) it may hold), "missing",
    "number" (not a whole number: a share, rate or percentage), "label" (text, or a <th>)."""
    if th:
        return "label", text
    t = text.strip()
    if t.lower() in _MISSING_TEXT:
        return "missing", None
    m = _SMALL_MARKER.match(t)
    if m:
        # "<5" is a count of 1-4 (zero is shown); "n<5" any value of a small row
        return "hidden", ((1, int(m.group(2)) - 1) if not m.group(1) else (0, np.inf))
    if t.lower() == SECONDARY_MARKER:
        return "hidden", (0, np.inf)
    if _INTEGER_TEXT.match(t):
        return "int", int(t.replace(",", ""))
    if _NUMBER_TEXT.match(t) and any(ch.isdigit() for ch in t):
        return "number", t
    return "label", t


def recoverable_cells(html: str) -> list[dict]:
    """Hidden small cells of a report page that a reader can work out from the totals shown.

    Every ``<table>`` of the page is read as displayed: ``"<5"`` (a count of 1-4),
    ``"n<5"`` and ``"hidden"`` (the markers of :func:`render_suppressed`) are hidden cells;
    whole numbers (thousands separators allowed) are counts. Only columns whose every value
    is a non-negative whole number or a marker take part (percentages, shares, rates, and
    integer-looking labels and statistics such as ``week``, ``k``, ``median_*``,
    ``within_days`` are left
    out; so are ``<th>`` index cells). Additive structure is found from the visible cells:

    - a column that equals the sum of two or more other count columns in every row where
      all of them are shown (at least two such rows, each part non-zero somewhere);
    - a row labelled as a total (``all``, ``total``, ``overall``, ``pooled``,
      ``(all courses)``, ``all sessions``...; not ``all other ...``) is the sum of the
      other rows, or of the
      rows of its block when there are several (the grouping that the shown cells bear
      out); a count column where a fully shown total disagrees is left out;
    - an unlabelled first or last row equal to the sum of the other rows in at least two
      fully shown count columns.

    Each total with its parts is an equation. An equation with exactly one unknown cell
    gives that cell back by subtraction when the value it gives fits the marker (1-4 for
    ``"<5"``); cells worked out this way are known for the next equations, until nothing
    changes. Hidden cells given back are reported; cells that are simply empty are not.

    Parameters
    ----------
    html : str
        The page (markers may be escaped, ``&lt;5``).

    Returns
    -------
    list of dict
        One per recoverable hidden cell: ``table`` (0-based position of the ``<table>`` on
        the page), ``row`` (the row's text labels, or ``"row N"``), ``row_index`` (0-based
        body row), ``column`` (header text), ``marker`` (as shown, e.g. ``"<5"``) and
        ``via`` (the equation that gives it back). The value is not reported.
    """
    found: list[dict] = []
    for position, table in enumerate(_TableParser().feed(html)):
        found += _table_recoverable(position, table)
    return found


def _table_recoverable(position: int, table: dict) -> list[dict]:
    body = table["body"]
    if len(body) < 2:
        return []
    width = max(len(r) for r in body)
    rows = [r + [("", False)] * (width - len(r)) for r in body]
    heads = [h for h in table["head"] if len(h) == width]
    # the header row naming the most columns (pandas adds a row of index names)
    header = (max(reversed(heads), key=lambda h: sum(bool(t) for t, _ in h)) if heads else [])
    names = [header[j][0] if header and header[j][0] else f"column {j + 1}" for j in range(width)]
    cells = [[_read_cell(t, th) for t, th in r] for r in rows]
    n = len(rows)
    counts = []
    for j in range(width):
        kinds = [cells[i][j][0] for i in range(n)]
        ints = [cells[i][j][1] for i in range(n) if kinds[i] == "int"]
        if (ints and min(ints) >= 0 and all(k in ("int", "hidden", "missing") for k in kinds)
                and not _NOT_COUNT_NAME.search(_normalise(names[j]))):
            counts.append(j)
    if not counts:
        return []
    known = np.zeros((n, width), dtype=bool)
    value = np.full((n, width), np.nan)
    for i in range(n):
        for j in counts:
            if cells[i][j][0] == "int":
                known[i, j], value[i, j] = True, cells[i][j][1]
    # a row is named by its text and its whole-number labels (week): the columns not counted
    labels = [" / ".join(rows[i][j][0] for j in range(width) if j not in counts
                         and cells[i][j][0] in ("label", "int") and rows[i][j][0])
              or f"row {i + 1}" for i in range(n)]

    # equations: (parts, total, description), cells as (row, column) positions
    equations: list[tuple[list[tuple[int, int]], tuple[int, int], str]] = []
    equations += _column_totals(counts, known, value, names)
    equations += _row_totals(rows, cells, counts, known, value, labels)
    if not equations:
        return []

    found: list[dict] = []
    changed = True
    while changed:  # a cell worked out can leave another equation with one unknown
        changed = False
        for parts, total, via in equations:
            unknown = [c for c in (*parts, total) if not known[c]]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            rest = sum(value[c] for c in parts if c != cell)
            got = rest if cell == total else value[total] - rest
            kind, allowed = cells[cell[0]][cell[1]]
            low, high = allowed if kind == "hidden" else (0, np.inf)
            if not low <= got <= high:
                continue  # the equation does not hold on this row: nothing is given back
            known[cell], value[cell] = True, got
            changed = True
            if kind == "hidden":
                found.append({"table": position, "row": labels[cell[0]], "row_index": cell[0],
                              "column": names[cell[1]], "marker": rows[cell[0]][cell[1]][0],
                              "via": via})
    return found


def _column_totals(counts, known, value, names):
    """Row totals: a count column equal to the sum of other count columns on every fully
    shown row (at least two rows, the total non-zero on two of them)."""
    from itertools import combinations

    equations = []
    n = known.shape[0]
    for t in counts:
        others = [c for c in counts if c != t]
        largest = len(others) if len(counts) <= _MAX_PARTS_SEARCH else 4
        fitted: list[tuple[int, ...]] = []
        for size in range(2, largest + 1):
            for parts in combinations(others, size):
                # a superset of a fitted set adds only columns that are zero: skip it
                if any(set(f) <= set(parts) for f in fitted):
                    continue
                cols = [t, *parts]
                full = known[:, cols].all(axis=1)
                if full.sum() < 2:
                    continue
                v = value[full]
                if not np.array_equal(v[:, t], v[:, list(parts)].sum(axis=1)):
                    continue
                if (v[:, t] > 0).sum() < 2 or (v[:, list(parts)] == 0).all(axis=0).any():
                    continue
                fitted.append(parts)
                via = f"column {names[t]!r} = " + " + ".join(repr(names[p]) for p in parts)
                equations += [([(i, p) for p in parts], (i, t), via) for i in range(n)]
    return equations


def _row_totals(rows, cells, counts, known, value, labels):
    """Column totals: rows labelled as totals (grouped as the shown cells bear out), or an
    unlabelled first or last row equal to the sum of the others."""
    n, width = known.shape
    flagged = [i for i in range(n)
               if any(k == "label" and _TOTAL_LABEL.match(t)
                      for (t, _), (k, _) in zip(rows[i], cells[i]))]

    def tally(groups):
        """Per count column, among fully shown equations: {column: how many hold with a
        non-zero total}, {column: how many do not hold}."""
        holds = dict.fromkeys(counts, 0)
        fails = dict.fromkeys(counts, 0)
        for total, parts in groups:
            for j in counts:
                cols = [total, *parts]
                if known[cols, j].all():
                    if value[total, j] == value[parts, j].sum() and value[total, j] > 0:
                        holds[j] += 1
                    elif value[total, j] != value[parts, j].sum():
                        fails[j] += 1
        return holds, fails

    def equations_of(groups, columns, via):
        return [([(i, j) for i in parts], (total, j), via(total))
                for total, parts in groups for j in columns]

    equations = []
    if flagged:
        others = [i for i in range(n) if i not in flagged]
        candidates = []
        if len(flagged) == 1:
            candidates.append([(flagged[0], others)])
        else:
            # several totals (one per week, say): the rows of a block, or those sharing a value
            before, after = [], []
            for k, t in enumerate(flagged):
                start = flagged[k - 1] + 1 if k else 0
                end = flagged[k + 1] if k + 1 < len(flagged) else n
                before.append((t, list(range(start, t))))
                after.append((t, list(range(t + 1, end))))
            candidates += [before, after]
            # label columns (text, or whole numbers that are not counts: week) other than
            # the one naming the totals, each alone and all together
            keys = [j for j in range(width) if j not in counts
                    and all(cells[i][j][0] in ("label", "int", "missing") for i in range(n))
                    and not any(_TOTAL_LABEL.match(rows[t][j][0]) for t in flagged)]
            for columns in [[j] for j in keys] + ([keys] if len(keys) > 1 else []):
                key = [tuple(rows[i][j][0] for j in columns) for i in range(n)]
                candidates.append([(t, [i for i in others if key[i] == key[t]]) for t in flagged])
        best, best_score = None, 0
        for groups in candidates:
            if any(not parts for _, parts in groups):
                continue
            holds, fails = tally(groups)
            score = sum(h for j, h in holds.items() if not fails[j])
            if score > best_score:
                best, best_score = groups, score
        if best is None and len(flagged) == 1 and others:
            best = candidates[0]  # one row labelled total: taken at its word
        if best is not None:
            holds, fails = tally(best)
            columns = [j for j in counts if not fails[j]]
            equations += equations_of(best, columns,
                                      lambda t: f"row {labels[t]!r} = sum of the rows it totals")
    if n >= 3:
        for t in dict.fromkeys((0, n - 1)):
            if t in flagged:
                continue
            groups = [(t, [i for i in range(n) if i != t])]
            holds, fails = tally(groups)
            good = [j for j in counts if holds[j] and not fails[j]]
            if len(good) >= 2 and sum(holds.values()) > sum(fails.values()):
                columns = [j for j in counts if not fails[j]]
                equations += equations_of(
                    groups, columns, lambda t: f"row {labels[t]!r} = sum of the other rows")
    return equations


# --- names, addresses and ids found in the raw exports -------------------------------------

RAW_NAME_COLUMNS = frozenset({
    "user_full_name", "userfullname", "full_name", "fullname", "name", "name_original_name",
    "user_name_original_name", "affected_user", "related_user", "display_name",
    "participant_name", "attendee_name", "student_name", "learner_name", "created_by",
    "author_name", "sender_name", "recipient_name",
})
"""Raw export columns (normalised) holding a person's name: Moodle logs and forum posts,
enrolments, Zoom and Teams reports, sign-in sheets, social-media exports (post authors)."""

RAW_EMAIL_COLUMNS = frozenset({
    "email", "e_mail", "email_address", "user_email", "recipient_email", "mail",
    "participant_id_upn", "upn", "attendee_email",
})
"""Raw export columns (normalised) holding an e-mail address (Teams' UPN is one)."""

RAW_ID_COLUMNS = frozenset({
    "user_id", "userid", "id_student", "student_id", "username", "learner_id", "participant_id",
    "account_name", "login", "uid",
})
"""Raw export columns (normalised) holding a person's id in the source system."""

_FIRST_LAST = (("first_name", "firstname", "given_name"), ("last_name", "lastname", "surname",
                                                            "family_name"))
# Entries of name columns that are not a person (Moodle writes "-" for the system).
_NOT_PEOPLE = frozenset({"admin user", "guest user", "system", "cli", "web", "anonymous",
                         "not available", "n a", "unknown", "deleted user"})
_RAW_SUFFIXES = (".csv", ".txt", ".tsv", ".json", ".jsonl", ".xlsx")


def _raw_rows(path: Path) -> Iterable[list[str]]:
    """Every row of a delimited or spreadsheet raw file, as text cells (header rows included)."""
    import csv

    if path.suffix.lower() == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        for sheet in sheets.values():
            for row in sheet.itertuples(index=False):
                yield ["" if pd.isna(v) else str(v) for v in row]
        return
    from engagement.sources.text import decode

    text, _ = decode(path)
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    delimiter = "\t" if sample.count("\t") > sample.count(",") else (
        ";" if sample.count(";") > sample.count(",") else ",")
    yield from csv.reader(lines, delimiter=delimiter)


def _header_kinds(row: Sequence[str]) -> dict[int, str] | None:
    """{cell index: "name"/"email"/"id"} when `row` is a header naming a person's column."""
    norm = [_normalise(c) for c in row]
    kinds = {}
    for j, c in enumerate(norm):
        if c in RAW_NAME_COLUMNS:
            kinds[j] = "name"
        elif c in RAW_EMAIL_COLUMNS:
            kinds[j] = "email"
        elif c in RAW_ID_COLUMNS:
            kinds[j] = "id"
    first = next((norm.index(c) for c in _FIRST_LAST[0] if c in norm), None)
    last = next((norm.index(c) for c in _FIRST_LAST[1] if c in norm), None)
    if first is not None and last is not None:
        kinds[(first, last)] = "name"  # type: ignore[index]  # the two cells make the name
    return kinds or None


def _json_people(value, found: list[tuple[str, str, str]]) -> None:
    """xAPI actors (and any object with mbox/account): name, mbox, account name."""
    if isinstance(value, list):
        for item in value:
            _json_people(item, found)
        return
    if not isinstance(value, dict):
        return
    if "mbox" in value or "account" in value or value.get("objectType") in ("Agent", "Group"):
        if isinstance(value.get("name"), str):
            found.append(("name", "name", value["name"]))
        if isinstance(value.get("mbox"), str):
            found.append(("email", "mbox", value["mbox"].removeprefix("mailto:")))
        account = value.get("account")
        if isinstance(account, dict) and account.get("name") is not None:
            found.append(("id", "account.name", str(account["name"])))
    for item in value.values():
        _json_people(item, found)


def _usable(kind: str, term: str, min_id_length: int) -> bool:
    if kind == "name":
        words = re.findall(r"[^\W\d_]{2,}", term)
        # one word ("Admin", "Wei") would match ordinary text: full names only
        return len(words) >= 2 and _normalise(term).replace("_", " ") not in _NOT_PEOPLE
    if kind == "email":
        return bool(_EMAIL.fullmatch(term))
    # a short number (Moodle id 4) cannot be told from any count in a report
    return len(term) >= min_id_length or (len(term) >= 4 and not term.isdigit())


def raw_identifying_terms(paths: Iterable[str | os.PathLike], *,
                          min_id_length: int = 6) -> pd.DataFrame:
    """Names, e-mail addresses and ids of people found in raw export files, to scan reports for.

    The files are only read, and nothing found is written anywhere: the table is for
    :func:`scan_html`'s `extra_terms` (``reports`` uses it on every partner page of a batch).
    A row is a header when it names a person's column (:data:`RAW_NAME_COLUMNS`,
    :data:`RAW_EMAIL_COLUMNS`, :data:`RAW_ID_COLUMNS`, or first and last name together),
    whatever its line, so multi-section exports (Teams) are read too; the header holds until
    a blank row. xAPI JSON gives its actors' names, mailboxes and account names.

    Only terms that cannot be mistaken for ordinary report text are kept: names of two or
    more words (not "Admin User", "-"), well-formed e-mail addresses, and ids of at least
    `min_id_length` characters (or 4 when not all digits). Short numeric ids such as Moodle's
    are protected by pseudonymisation and :func:`refuse_identifiers`, not by the scan.

    Parameters
    ----------
    paths : iterable of path
        Raw files (``.csv``, ``.txt``, ``.tsv``, ``.json``, ``.jsonl``, ``.xlsx``); other files
        (archives) are skipped.
    min_id_length : int
        The shortest all-digit id kept.

    Returns
    -------
    DataFrame
        One row per distinct (term, kind): term (stripped text), kind ("name", "email",
        "id"), file (the first file's name it was found in), column (that file's column).
    """
    found: dict[tuple[str, str], tuple[str, str]] = {}
    seen: set[tuple[str, str, str]] = set()
    for path in map(Path, paths):
        suffix = path.suffix.lower()
        if suffix not in _RAW_SUFFIXES or not path.is_file():
            continue
        hits: list[tuple[str, str, str]] = []
        if suffix in (".json", ".jsonl"):
            import json

            text = path.read_text(encoding="utf-8-sig", errors="replace")
            try:
                _json_people(json.loads(text), hits)
            except ValueError:
                for line in text.splitlines():
                    with suppress(ValueError):
                        _json_people(json.loads(line), hits)
        else:
            header: list[str] = []
            kinds: dict | None = None
            for row in _raw_rows(path):
                if not any(cell.strip() for cell in row):
                    kinds = None  # a blank line ends a section
                    continue
                if kinds is None:  # looking for a header (the first row, or after a blank)
                    new = _header_kinds(row)
                    if new is not None:
                        header, kinds = list(row), new
                    continue
                for j, kind in kinds.items():
                    if isinstance(j, tuple):
                        if max(j) < len(row):
                            hits.append((kind, f"{header[j[0]]} + {header[j[1]]}",
                                         f"{row[j[0]].strip()} {row[j[1]].strip()}"))
                    elif j < len(row):
                        hits.append((kind, header[j], row[j]))
        for kind, column, value in hits:
            if (kind, column, value) in seen:  # the same learner on many log lines
                continue
            seen.add((kind, column, value))
            term = " ".join(str(value).split())
            if kind == "email":
                term = term.removeprefix("mailto:")
            if term and _usable(kind, term, min_id_length):
                found.setdefault((term, kind), (path.name, column))
    rows = [(t, k, f, c) for (t, k), (f, c) in found.items()]
    return pd.DataFrame(rows, columns=["term", "kind", "file", "column"])
