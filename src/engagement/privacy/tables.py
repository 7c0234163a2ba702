"""Disclosure control of tables: identifier refusal, small-cell suppression (primary and
secondary), anonymous organisations and the at-risk cut of survival curves.

:func:`control` applies them to a :class:`engagement.results.Result` from what its columns
declare (what every page uses); :func:`suppress_small` is the same machinery for a bare
DataFrame whose counts and totals are named by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from engagement.privacy.patterns import EMAIL, PSEUDONYM_PATTERN, normalise
from engagement.schema import REST_LABEL

AUDIENCES = ("researcher", "partner")

MIN_GROUP_SIZE = 3
"""The smallest minimum group size a partner page may use."""


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
    bad = [c for c in labels if normalise(c) in IDENTIFIER_COLUMNS]
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
                                  ("e-mail address", EMAIL)):
                hit = text[text.str.contains(pattern, regex=True)]
                if len(hit):
                    problems.append(f"column {str(col)!r} holds {what}s "
                                    f"({len(hit)} row(s), first at row label {hit.index[0]!r})")
        if problems:
            raise ValueError("table cannot be shown to a partner: " + "; ".join(problems))
    return df


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
    DataFrame
        A copy of `df` with the hidden cells missing (NaN: an integer column with a hidden
        cell becomes float, which matplotlib and seaborn plot, unlike ``pd.NA``), plus one
        boolean ``<column>_suppressed`` column per column touched (and
        ``<column>_secondary`` per column where secondary suppression hid a cell);
        :func:`render_suppressed` shows it with its markers.

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
    return out


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
                   groups: list[list[tuple[int, str]]], *, min_size: int | None = None,
                   shown: pd.DataFrame | None = None,
                   public: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cells to hide so that no protected cell can be worked out from the equations.

    Each group of `groups` is an equation, its last cell the sum of the others. `values`
    and `hidden` are positionally indexed (0..n-1); `hidden` marks the protected cells
    (hidden for being small). A reader knows every cell that is `shown` (default: all) and
    not hidden, every `public` cell (a total printed on another page: known, never
    hidden), and whatever follows from those: an equation with one unknown cell gives it
    (cells not shown, such as the complement of a count inside its total, are known only
    this way). A missing value is never known.

    Repeated until nothing changes: when a protected cell can be worked out, a shown cell
    of the equation that gives it is hidden too (a part rather than the total, a non-zero
    one if any; the one opening the fewest other equations, then the smallest). With
    `min_size`, an equation whose total is known must also not leave its unknown parts
    (one of them protected) summing to more than 0 and fewer than `min_size`: each would
    lie within a group that small (the protection interval of statistical agencies'
    secondary suppression).

    Returns the cells hidden here (bool, same shape).
    """
    protected = hidden.to_numpy(copy=True)
    col = {c: j for j, c in enumerate(values.columns)}
    number = values.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(number)
    displayed = (np.ones_like(protected) if shown is None
                 else shown.to_numpy(dtype=bool, copy=True)) & present
    known_public = (np.zeros_like(protected) if public is None
                    else public.to_numpy(dtype=bool, copy=True)) & present
    hide = protected & displayed          # hidden displayed cells, grows below
    start = hide.copy()
    member: dict[tuple[int, str], list] = {}
    for cells in groups:
        for cell in cells:
            member.setdefault(cell, []).append(cells)

    def closure():
        """What a reader knows, and by which equation each derived cell became known."""
        known = (displayed & ~hide) | known_public
        via: dict[tuple[int, str], list] = {}
        changed = True
        while changed:
            changed = False
            for cells in groups:
                unknown = [(i, c) for i, c in cells if not known[i, col[c]]]
                if len(unknown) == 1 and present[unknown[0][0], col[unknown[0][1]]]:
                    known[unknown[0][0], col[unknown[0][1]]] = True
                    via[unknown[0]] = cells
                    changed = True
        return known, via

    def candidates(cells, via):
        """Shown cells whose hiding breaks the equation; through the equations that gave
        its unshown cells when it has none of its own."""
        seen, todo = set(), [cells]
        while todo:
            eq = todo.pop(0)
            if id(eq) in seen:
                continue
            seen.add(id(eq))
            total = eq[-1]
            pool = [cell for cell in eq if displayed[cell[0], col[cell[1]]]
                    and not hide[cell[0], col[cell[1]]]]
            parts = [cell for cell in pool if cell != total]
            found = ([cell for cell in parts if number[cell[0], col[cell[1]]] != 0] or parts
                     or pool)
            if found:
                return eq, found
            todo += [via[cell] for cell in eq if cell in via]
        return cells, []

    def opened(cell, cells, known):
        return sum(all(known[k, col[d]] for k, d in other if (k, d) != cell)
                   for other in member[cell] if other is not cells)

    stuck: set[int] = set()   # equations nothing on this page can fix (the scan is the net)
    for _ in range(int(protected.size) + 1):
        known, via = closure()
        problem = None
        for (i, c), cells in via.items():
            if protected[i, col[c]] and not known_public[i, col[c]] and id(cells) not in stuck:
                problem = cells  # a protected cell given back by this equation
                break
        if problem is None and min_size is not None:
            for cells in groups:
                unknown = [(i, c) for i, c in cells if not known[i, col[c]]]
                if (id(cells) not in stuck and unknown and cells[-1] not in unknown
                        and any(protected[i, col[c]] for i, c in unknown)):
                    held = [number[i, col[c]] for i, c in unknown]
                    if np.isfinite(held).all() and 0 < sum(held) < min_size:
                        problem = cells
                        break
        if problem is None and min_size is not None:
            # what the equations leave: a linear programme's bounds on each protected cell;
            # one more cell hidden for each cell pinned, then everything checked again
            fixes = []
            for cell in _pinned(number, present, known, groups, col, protected, known_public,
                                min_size):
                eq = next((cells for cells in member.get(cell, ())
                           if id(cells) not in stuck and candidates(cells, via)[1]), None)
                if eq is not None:
                    fixes.append(eq)
            for eq in fixes[:-1]:
                found, pool = candidates(eq, via)
                if pool:
                    i, c = min(pool, key=lambda cell: (number[cell[0], col[cell[1]]], cell[0]))
                    hide[i, col[c]] = protected[i, col[c]] = True
            problem = fixes[-1] if fixes else None
        if problem is None:
            break
        found, pool = candidates(problem, via)
        if not pool:
            stuck.add(id(problem))
            continue
        i, c = min(pool, key=lambda cell: (opened(cell, found, known),
                                           number[cell[0], col[cell[1]]], cell[0]))
        hide[i, col[c]] = True
        protected[i, col[c]] = True  # recovering it could give the first one back
    return pd.DataFrame(hide & ~start, columns=values.columns)


def _pinned(number, present, known, groups, col, protected, public, min_size) -> list:
    """Protected cells a reader can bound too tightly from the equations (each cell at
    least 0): the bounds differ by less than `min_size`, unless the lower is 0 and the upper
    reaches `min_size`. A cell bounded to exactly 0 is not counted ("nobody" is shown)."""
    from scipy.optimize import linprog

    # the cells fall apart into systems that share no equation: one programme each
    parent: dict = {}

    def root(cell):
        parent.setdefault(cell, cell)
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for eq in groups:
        for cell in eq[1:]:
            parent[root(cell)] = root(eq[0])
    systems: dict = {}
    for eq in groups:
        systems.setdefault(root(eq[0]), []).append(eq)
    pinned = []
    for eqs in systems.values():
        cells = list(dict.fromkeys(cell for eq in eqs for cell in eq))
        targets = [cell for cell in cells if protected[cell[0], col[cell[1]]]
                   and not public[cell[0], col[cell[1]]] and present[cell[0], col[cell[1]]]]
        if not targets:
            continue
        index = {cell: k for k, cell in enumerate(cells)}
        size = len(cells)
        rows, rhs = [], []
        for eq in eqs:
            row = np.zeros(size)
            for cell in eq[:-1]:
                row[index[cell]] += 1.0
            row[index[eq[-1]]] -= 1.0
            rows.append(row)
            rhs.append(0.0)
        for cell, k in index.items():
            i, j = cell[0], col[cell[1]]
            if known[i, j] and present[i, j] and not (protected[i, j] and not public[i, j]):
                row = np.zeros(size)
                row[k] = 1.0
                rows.append(row)
                rhs.append(number[i, j])
        a_eq, b_eq = np.array(rows), np.array(rhs)
        bounds = [(0, None)] * size
        for cell in targets:
            k = index[cell]
            ends = []
            for sign in (1.0, -1.0):
                goal = np.zeros(size)
                goal[k] = sign
                res = linprog(goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                ends.append(np.inf if res.status == 3 else sign * res.fun if res.status == 0
                            else None)
            if None in ends:
                continue  # the equations do not hold exactly (a rounded total): not audited
            low, high = max(0.0, ends[0]), ends[1]
            if high - low >= min_size - 1e-6 or (low < 0.5 and high >= min_size - 1e-6) \
                    or high < 0.5:
                continue
            pinned.append(cell)
    return pinned


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



# --- disclosure control of a Result ---------------------------------------------------------

def check_min_group_size(value, *, what: str = "min_group_size") -> int:
    """`value` if it is a whole number of at least :data:`MIN_GROUP_SIZE`, else ValueError.

    ``True``, ``"5"``, ``5.0``, 0, 1 and 2 are all refused: a partner page never shows a
    cell about one or two learners, whatever a batch file or a hand run says.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be a whole number of at least {MIN_GROUP_SIZE}, "
                         f"not {value!r} ({type(value).__name__})")
    if value < MIN_GROUP_SIZE:
        raise ValueError(f"{what} must be at least {MIN_GROUP_SIZE}: a partner page may not "
                         f"show a group of {value} learner(s) or fewer than {MIN_GROUP_SIZE}; "
                         f"got {value}")
    return int(value)


def control(result, *, min_size: int, own: str | None = None,
            labels: Mapping[str, str] | None = None):
    """The partner version of a :class:`engagement.results.Result`, from what it declares.

    In this order:

    1. identifiers are refused (columns named as one, pseudonyms or e-mail addresses in
       any text; :func:`refuse_identifiers`);
    2. a survival curve (``result.curve``, its at-risk column) is cut where fewer than
       `min_size` remain at risk, per group of ``result.partition``;
    3. organisations (columns of kind ``organisation``) other than `own` get the anonymous
       `labels` (:func:`organisation_labels`; computed from the table when not given);
    4. primary suppression: a count of people (``Column.people``) above 0 and below
       `min_size`; the complement of a count inside the total it is part of
       (``part_of``: total minus its parts) likewise, by hiding the part; a row whose
       ``result.n`` is small is hidden whole (labels stay);
    5. secondary suppression (:func:`_complementary`), so that no hidden cell comes back by
       subtraction, against: each total and its parts, the total rows
       (``result.total_row``), and the sum over each partition (``result.partition``:
       organisation, course, channel, an organisation against all the others): that sum is
       treated as public, because other pages of the batch show it;
    6. every estimate that depends on a hidden count (a share over or of it, an interval of
       such an estimate, a difference, ratio or p-value of its row) is hidden too.

    Parameters
    ----------
    result : Result
        As computed.
    min_size : int
        The minimum group size (at least :data:`MIN_GROUP_SIZE`).
    own : str, optional
        The reader's organisation: kept by name; the others are anonymised.
    labels : mapping, optional
        Organisation name -> anonymous label, the same for every Result of a page.

    Returns
    -------
    Result
        ``audience="partner"``; hidden cells missing (NaN) in its table, marked in
        ``hidden`` (and in ``secondary`` when hidden to protect another cell).
    """
    from dataclasses import replace

    from engagement.results import Result

    if not isinstance(result, Result):
        raise TypeError(f"control() takes a Result, not {type(result).__name__}")
    min_size = check_min_group_size(min_size)
    cols = result.columns
    table = result.table.copy()
    refuse_identifiers(table, check_values=True)
    if result.curve is not None:
        table = cut_at_risk(table, min_size=min_size, at_risk=result.curve,
                            group=result.partition)
    for name, col in cols.items():
        if col.kind == "organisation" and table[name].notna().any():
            names = table[name].dropna().astype(str)
            known = {own, REST_LABEL} | set(labels or {})
            if labels is None or not set(names) <= known:
                table_labels = organisation_labels(
                    table.assign(**{name: table[name].astype(object)}).loc[
                        ~table[name].isin([REST_LABEL])], column=name, own=own)
                current = {**table_labels, **(labels or {})}
            else:
                current = dict(labels)
            current[REST_LABEL] = REST_LABEL
            if own is not None:
                current[own] = own
            table[name] = table[name].map(lambda v: v if pd.isna(v) else current[str(v)])

    if result.curve is not None:
        # a survival curve is protected by its at-risk cut: each step shown is about at least
        # `min_size` learners at risk (its events are not suppressed one by one, which would
        # blank most of the curve and protect nothing the cut does not)
        hidden = pd.DataFrame(False, index=range(len(table)), columns=list(cols))
        return replace(result, table=table.reset_index(drop=True), hidden=hidden,
                       secondary=hidden.copy(), audience="partner")
    people = [c for c, col in cols.items() if col.people]
    for c in people:
        if not pd.api.types.is_numeric_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c]):
            raise ValueError(f"Result {result.title!r}: count column {c!r} must be numeric, "
                             f"not {table[c].dtype}")
    n_rows = len(table)
    hidden = pd.DataFrame(False, index=range(n_rows), columns=list(cols))
    secondary = hidden.copy()
    values = table[people].astype(float).reset_index(drop=True) if people else pd.DataFrame(
        index=range(n_rows))

    def small(v):
        return (v > 0) & (v < min_size)

    # 4. primary: small counts of people; small rows whole
    for c in people:
        hidden[c] |= small(values[c]).to_numpy()
    # the complements of parts inside their totals (virtual columns "rest of <total>")
    parts_of: dict[str, list[str]] = {}
    for c in people:
        if cols[c].part_of in people:
            parts_of.setdefault(cols[c].part_of, []).append(c)
    # each part's complement in its total is a cell; so is what the parts together leave,
    # when they do not overlap (their sum never exceeds the total)
    rest_columns = {}
    for total, parts in parts_of.items():
        for part in parts:
            rest_columns[f"\0rest of {total} without {part}"] = (
                total, [part], values[total] - values[part])
        joint = values[total] - values[parts].sum(axis=1, min_count=len(parts))
        if len(parts) > 1 and (joint.dropna() >= 0).all():
            rest_columns[f"\0rest of {total}"] = (total, parts, joint)
    if result.n is not None:
        row_small = small(table[result.n].astype(float)).to_numpy()
        for c, col in cols.items():
            if col.kind not in ("label", "organisation"):
                hidden.loc[row_small, c] = True

    # 5. secondary suppression against totals, total rows and partitions. The cells: the
    # table's counts of people (shown unless hidden); the complement of each total's parts
    # ("rest of <total>", never shown, protected when small); and, per key of a partition,
    # a row of public totals (shown on other pages)
    extended = values.copy()
    protected = hidden[people].copy() if people else pd.DataFrame(index=range(n_rows))
    shown_cells = pd.DataFrame(True, index=range(n_rows), columns=people)
    for name, (total, parts, rest) in rest_columns.items():
        extended[name] = rest
        protected[name] = small(rest).fillna(False).to_numpy()
        shown_cells[name] = False
    counted = [*people, *rest_columns]
    groups: list[list[tuple[int, str]]] = []
    for name, (total, parts, _) in rest_columns.items():
        groups += [[*((i, p) for p in parts), (i, name), (i, total)] for i in range(n_rows)]
    labels_cols = [c for c, col in cols.items() if col.kind in ("label", "organisation")]
    if result.total_row is not None:
        tr = result.total_row
        summed = [c for c in counted if c in (tr.columns or people)
                  or (c in rest_columns and rest_columns[c][0] in (tr.columns or people)
                      and set(rest_columns[c][1]) <= set(tr.columns or people))]
        groups += _total_groups(extended.assign(**{c: table[c].to_numpy() for c in labels_cols}),
                                counts=summed, total_columns={},
                                total_row=(tr.column, tr.value), total_by=tr.by)
    public = pd.DataFrame(False, index=range(n_rows), columns=counted)
    if result.partition is not None and people:
        part = result.partition
        # the rows' other labels, less those that only describe the row (technical)
        keys = [c for c in labels_cols if c != part and not cols[c].technical]
        is_total = (table[part].astype(object).eq(result.total_row.value).to_numpy()
                    if result.total_row is not None and result.total_row.column == part
                    else np.zeros(n_rows, dtype=bool))
        key_values = (table[keys].astype(str).agg("\x1f".join, axis=1).to_numpy() if keys
                      else np.zeros(n_rows, dtype=object))
        for key in (pd.unique(np.asarray(key_values[~is_total], dtype=object)) if n_rows
                    else ()):
            rows = [i for i in np.flatnonzero(key_values == key) if not is_total[i]]
            # a virtual row holding the public total of this key
            virtual = len(extended)
            extended.loc[virtual] = np.nan
            for frame in (protected, shown_cells, public):
                frame.loc[virtual] = False
            for c in counted:
                total = extended.loc[rows, c].sum(min_count=1)
                extended.loc[virtual, c] = total
                # public unless the other page hides it too (a small total)
                public.loc[virtual, c] = not (0 < total < min_size)
                protected.loc[virtual, c] = 0 < total < min_size
                groups.append([*((i, c) for i in rows), (virtual, c)])
    if groups:
        extra = _complementary(extended.reset_index(drop=True),
                               protected.fillna(False).astype(bool).reset_index(drop=True),
                               groups, min_size=min_size,
                               shown=shown_cells.fillna(False).astype(bool).reset_index(drop=True),
                               public=public.fillna(False).astype(bool).reset_index(drop=True))
        for c in people:
            more = extra[c].to_numpy()[:n_rows]
            secondary[c] |= more & ~hidden[c].to_numpy()
            hidden[c] |= more

    # 6. what depends on a hidden count
    for c, col in cols.items():
        if col.kind == "count" and col.depends_on:
            hit = hidden[list(col.depends_on)].any(axis=1)
            secondary[c] |= hit & ~hidden[c]
            hidden[c] |= hit
    for c, col in cols.items():
        if col.kind in ("share", "points", "ratio", "days", "number", "p", "p_adjusted"):
            deps = col.depends_on
            deps = [d for d in (people if deps is None else deps) if d in hidden]
            if deps:
                hit = hidden[deps].any(axis=1)
                secondary[c] |= hit & ~hidden[c] & secondary[deps].any(axis=1)
                hidden[c] |= hit
        if col.kind == "p_adjusted" and hidden[c].any():
            # an adjusted p-value depends on the whole family (Holm multiplies by ranks):
            # one hidden hides them all
            secondary[c] |= ~hidden[c]
            hidden[c] |= True
    for c, col in cols.items():
        if col.kind in ("low", "high"):
            hidden[c] |= hidden[col.of]
            secondary[c] |= secondary[col.of]

    shown = table.reset_index(drop=True)
    for c in cols:
        rows = hidden[c].to_numpy()
        if rows.any():
            if pd.api.types.is_integer_dtype(shown[c]) or pd.api.types.is_bool_dtype(shown[c]):
                shown[c] = shown[c].astype("float64")
            shown[c] = shown[c].mask(rows)
    return replace(result, table=shown, hidden=hidden, secondary=secondary & hidden,
                   audience="partner")
