"""An attacker's bounds on hidden cells, by linear programming over the tables one reader holds.

A reader of partner pages sees controlled Results (:func:`engagement.privacy.control`): shown
counts, the totals and parts the tables declare, shares and intervals as printed. For every
hidden count of people this module computes, with scipy's ``linprog``, the smallest and the
largest value consistent with everything shown, and says whether the cell is pinned:
protected means the bounds differ by at least the minimum group size, or the lower bound is
0 and the upper reaches the minimum.

What the attacker is given (all linear, integrality relaxed, which only widens nothing: an
integer solution lies inside the real bounds, so a pinned real interval is pinned):

- every shown count of people, exactly;
- every hidden count is at least 0; a count that is ``part_of`` another is at most it (and
  the parts of one total sum to at most it);
- a total row equals the sum of the rows it totals (per ``by`` key);
- the groups of a ``partition`` sum to the same cells of a Result of the same kind on another
  page that has no such group (the overall page), when the reader holds it; otherwise to an
  unknown, non-negative total;
- a share printed beside a shown denominator pins its numerator to the printed rounding
  interval (and a share beside a shown numerator pins the denominator the same way);
- a Wilson interval printed beside a shown n pins the numerator to the integers whose
  interval prints the same.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from engagement import stats
from engagement.results import Result


@dataclass(frozen=True)
class Cell:
    page: int
    table: int
    row: int
    column: str


def _labels(res: Result) -> list[str]:
    return [c for c, col in res.columns.items()
            if col.kind in ("label", "organisation") and not col.technical]


def _people(res: Result) -> list[str]:
    return [c for c, col in res.columns.items() if col.people]


def _printed_half_width(unit: str, text_value: float, decimals: int) -> float:
    scale = 100 if unit in ("share", "points") else 1
    return 0.5 * 10 ** -decimals / scale


class Attack:
    """The linear system a reader of `pages` (each a list of controlled Results) can write."""

    def __init__(self, pages: list[list[Result]], *, truth: list[list[Result]] | None = None):
        self.pages = pages
        self.index: dict[Cell, int] = {}
        self.values: dict[Cell, float] = {}      # true values (for the self-check)
        self.shown: dict[int, float] = {}
        self.eq: list[tuple[dict[int, float], float]] = []
        self.le: list[tuple[dict[int, float], float]] = []
        self.bounds: dict[int, tuple[float, float | None]] = {}
        self.truth = truth
        for p, page in enumerate(pages):
            for t, res in enumerate(page):
                true = truth[p][t] if truth else None
                for c in _people(res):
                    for i in range(len(res.table)):
                        cell = Cell(p, t, i, c)
                        v = self._var(cell)
                        if true is not None:
                            self.values[cell] = float(true.table[c].iloc[i])
                        if not res.is_hidden(i, c) and np.isfinite(res.table[c].iloc[i]):
                            self.shown[v] = float(res.table[c].iloc[i])
                self._structure(p, t, res)
        self._across_pages()

    # --- variables and constraints ------------------------------------------------------

    def truth_of(self, p: int, t: int):
        return self.truth[p][t] if self.truth else None

    def _var(self, cell) -> int:
        if cell not in self.index:
            self.index[cell] = len(self.index)
            self.bounds[self.index[cell]] = (0, None)
        return self.index[cell]

    def _rest(self, p, t, i, total, parts, name, truth, *, equal, zero=False) -> None:
        rest = self._var(Cell(p, t, i, name))
        coef = {self.index[Cell(p, t, i, q)]: 1.0 for q in parts}
        coef[self.index[Cell(p, t, i, total)]] = -1.0
        coef[rest] = 1.0
        self.eq.append((coef, 0.0))
        if zero:
            self.shown[rest] = 0.0
        if truth is not None:
            self.values[Cell(p, t, i, name)] = float(
                truth.table[total].iloc[i] - sum(truth.table[q].iloc[i] for q in parts))

    @staticmethod
    def _is_ratio(truth, i, name, col, half) -> bool:
        """Whether the share is its numerator over its denominator (as printed): some
        estimates are declared as shares of the counts they depend on without being one."""
        num, den = truth.table[col.of].iloc[i], truth.table[col.over].iloc[i]
        return bool(den) and abs(num / den - truth.table[name].iloc[i]) <= half + 1e-9

    def _free(self) -> int:
        key = ("free", len(self.index))
        return self._var(key)

    def _structure(self, p: int, t: int, res: Result) -> None:
        truth = self.truth_of(p, t)
        cols = res.columns
        n = len(res.table)
        people = _people(res)
        # parts within totals
        parts_of: dict[str, list[str]] = {}
        for c in people:
            if cols[c].part_of in people:
                parts_of.setdefault(cols[c].part_of, []).append(c)
        for total, parts in parts_of.items():
            for i in range(n):
                # each part's complement in its total is a cell too: a variable >= 0
                for q in parts:
                    self._rest(p, t, i, total, [q], f"rest of {total} without {q}", truth,
                               equal=True)
                if len(parts) < 2:
                    continue
                # the parts together: an attacker who can tell they do not overlap knows
                # their sum is at most the total (exactly, when they fill it)
                if truth is not None:
                    summed = sum(truth.table[q].iloc[i] for q in parts)
                    total_value = truth.table[total].iloc[i]
                    if summed <= total_value:
                        self._rest(p, t, i, total, parts, f"rest of {total}", truth,
                                   equal=True, zero=summed == total_value)

        # total rows
        tr = res.total_row
        if tr is not None:
            is_total = res.table[tr.column].astype(object).eq(tr.value).to_numpy()
            keys = (res.table[list(tr.by)].astype(str).agg("|".join, axis=1).to_numpy()
                    if tr.by else np.zeros(n, dtype=object))
            for i in np.flatnonzero(is_total):
                members = [j for j in range(n) if keys[j] == keys[i] and not is_total[j]]
                for c in (tr.columns or people):
                    coef = {self.index[Cell(p, t, j, c)]: 1.0 for j in members}
                    coef[self.index[Cell(p, t, i, c)]] = -1.0
                    self.eq.append((coef, 0.0))
        # shares and intervals
        for name, col in cols.items():
            if col.kind == "share" and col.of in people and col.over in people:
                for i in range(n):
                    if res.is_hidden(i, name) or not stats.finite(res.table[name].iloc[i]):
                        continue
                    s = float(res.table[name].iloc[i])
                    half = _printed_half_width("share", s, 0)
                    num, den = Cell(p, t, i, col.of), Cell(p, t, i, col.over)
                    if truth is not None and not self._is_ratio(truth, i, name, col, half):
                        continue  # a share by dependency only (a posterior, a survival)
                    # (s - half) * den <= num <= (s + half) * den
                    self.le.append(({self.index[num]: -1.0, self.index[den]: s - half}, 0.0))
                    self.le.append(({self.index[num]: 1.0, self.index[den]: -(s + half)}, 0.0))
            if col.kind == "low" and cols[col.of].kind == "share":
                share = cols[col.of]
                if share.of not in people or share.over not in people:
                    continue
                if truth is not None and not all(
                        self._is_ratio(truth, i, col.of, share, 1e-6)
                        for i in range(n) if stats.finite(truth.table[col.of].iloc[i])):
                    continue  # not a Wilson interval of a count over a count
                high = next((c for c, k in cols.items() if k.kind == "high" and k.of == col.of),
                            None)
                for i in range(n):
                    den = res.table[share.over].iloc[i]
                    if (res.is_hidden(i, name) or res.is_hidden(i, share.over)
                            or not stats.finite(den) or high is None):
                        continue
                    lo_v, hi_v = res.table[name].iloc[i], res.table[high].iloc[i]
                    if not (stats.finite(lo_v) and stats.finite(hi_v)):
                        continue
                    d = stats.interval_decimals("share", lo_v, hi_v, res.table[col.of].iloc[i])
                    want = (stats.format_share(lo_v, d), stats.format_share(hi_v, d))
                    xs = np.arange(int(den) + 1)
                    lows, highs = stats.wilson_interval(xs, np.full_like(xs, int(den)))
                    ok = [x for x, a, b in zip(xs, lows, highs)
                          if (stats.format_share(a, d), stats.format_share(b, d)) == want]
                    if ok:
                        v = self.index[Cell(p, t, i, share.of)]
                        self.le.append(({v: 1.0}, float(max(ok))))
                        self.le.append(({v: -1.0}, -float(min(ok))))

    # The same quantity under another kind: an organisation's "came back within 14 days of
    # a first session" rows are return-after-k's k = 1 row, split by organisation.
    SAME = {("findings.organisation_comparisons", "retention"):
            ("retention.return_after_k", {"k": 1}, {"n": "at_risk", "x": "returned"})}

    def _across_kinds(self, p: int, t: int, res: Result) -> bool:
        """Equations from :data:`SAME`; True when `res` was handled here."""
        if res.kind != "findings.organisation_comparisons":
            return False
        table = res.table
        for question in table["question"].unique():
            target = self.SAME.get((res.kind, question))
            rows = [i for i in range(len(table)) if table["question"].iloc[i] == question]
            found = None
            if target is not None:
                kind, where, names = target
                for q, other_page in enumerate(self.pages):
                    for u, other in enumerate(other_page):
                        if other.kind == kind and other.partition is None:
                            hit = [i for i in range(len(other.table)) if all(
                                other.table[c].iloc[i] == v for c, v in where.items())]
                            if hit:
                                found = (q, u, hit[0], names)
            for column in ("n", "x"):
                coef = {self.index[Cell(p, t, i, column)]: 1.0 for i in rows}
                if found is not None:
                    q, u, i, names = found
                    total = self.index[Cell(q, u, i, names[column])]
                else:
                    total = self._free()
                coef[total] = coef.get(total, 0.0) - 1.0
                self.eq.append((coef, 0.0))
        return True

    def _across_pages(self) -> None:
        """A partitioned Result sums, per key, to the same cells of an unpartitioned Result of
        the same kind on another page; with none, to an unknown public total."""
        for p, page in enumerate(self.pages):
            for t, res in enumerate(page):
                part = res.partition
                if part is None or self._across_kinds(p, t, res):
                    continue
                keys_cols = [c for c in _labels(res) if c != part]
                tr = res.total_row
                is_total = (res.table[tr.column].astype(object).eq(tr.value).to_numpy()
                            if tr is not None and tr.column == part else
                            np.zeros(len(res.table), dtype=bool))
                overall = self._overall(res, keys_cols, p)
                groups: dict[tuple, list[int]] = {}
                for i in range(len(res.table)):
                    if not is_total[i]:
                        key = tuple(res.table[c].iloc[i] for c in keys_cols)
                        groups.setdefault(key, []).append(i)
                for key, rows in groups.items():
                    for c in _people(res):
                        coef = {self.index[Cell(p, t, i, c)]: 1.0 for i in rows}
                        target = overall.get((key, c)) if overall else None
                        total = target if target is not None else self._free()
                        coef[total] = coef.get(total, 0.0) - 1.0
                        self.eq.append((coef, 0.0))

    def _overall(self, res: Result, keys_cols: list[str], page: int) -> dict:
        """Cells (key, column) -> variable of a same-kind Result without the partition."""
        found = {}
        for p, other_page in enumerate(self.pages):
            for t, other in enumerate(other_page):
                if other is res or other.kind != res.kind or other.partition is not None:
                    continue
                if set(_labels(other)) != set(keys_cols):
                    continue
                if dict(other.constants) != dict(res.constants):
                    continue
                for i in range(len(other.table)):
                    key = tuple(other.table[c].iloc[i] for c in keys_cols)
                    for c in _people(other):
                        found.setdefault((key, c), self.index[Cell(p, t, i, c)])
        return found

    # --- solving --------------------------------------------------------------------------

    def _matrices(self):
        size = len(self.index)

        def build(rows):
            a = np.zeros((len(rows), size))
            b = np.zeros(len(rows))
            for r, (coef, rhs) in enumerate(rows):
                for v, k in coef.items():
                    a[r, v] += k
                b[r] = rhs
            return a, b

        eq = list(self.eq) + [({v: 1.0}, val) for v, val in self.shown.items()]
        a_eq, b_eq = build(eq)
        a_ub, b_ub = build(self.le)
        return a_eq, b_eq, a_ub, b_ub

    def bounds_of(self, cells) -> dict:
        """{cell: (lowest, highest)} for each cell."""
        a_eq, b_eq, a_ub, b_ub = self._matrices()
        size = len(self.index)
        bounds = [self.bounds[v] for v in range(size)]
        out = {}
        for cell in cells:
            v = self.index[cell]
            found = []
            for sign in (1.0, -1.0):
                c = np.zeros(size)
                c[v] = sign
                res = linprog(c, A_ub=a_ub if len(b_ub) else None, b_ub=b_ub if len(b_ub) else None,
                              A_eq=a_eq if len(b_eq) else None, b_eq=b_eq if len(b_eq) else None,
                              bounds=bounds, method="highs")
                if res.status == 3:      # unbounded
                    found.append(np.inf if sign < 0 else 0.0)
                elif res.status != 0:
                    raise AssertionError(f"the attacker's system is infeasible ({res.message}): "
                                         "the pages contradict each other or the model is wrong")
                else:
                    found.append(sign * res.fun)
            out[cell] = (found[0], found[1])
        return out

    def hidden_cells(self, min_size: int) -> list[Cell]:
        """Hidden counts of people, and (when the truth is known) complements that are small
        (a complement is never printed: it is protected when it is small)."""
        cells = []
        for p, page in enumerate(self.pages):
            for t, res in enumerate(page):
                for c in _people(res):
                    for i in range(len(res.table)):
                        if res.is_hidden(i, c):
                            cells.append(Cell(p, t, i, c))
        for cell, value in self.values.items():
            if cell.column.startswith("rest of ") and 0 < value < min_size:
                cells.append(cell)
        return cells


def pinned(bounds: dict, min_size: int) -> list:
    """The cells whose bounds give them away (see the module docstring).

    A cell pinned at exactly 0 is not counted: "nobody" is shown openly on these pages
    (zero counts are not suppressed), so a zero worked out from a public zero total says
    nothing the overall page did not already say of every learner in it.
    """
    bad = []
    for cell, (low, high) in bounds.items():
        low = max(0.0, low)
        if high - low >= min_size - 1e-6 or (low < 0.5 and high >= min_size - 1e-6):
            continue
        if high < 0.5:
            continue
        bad.append((cell, low, high))
    return bad


def attack(pages: list[list[Result]], *, min_size: int, truth=None) -> list:
    """The hidden cells of `pages` that linear programming pins (empty: none)."""
    model = Attack(pages, truth=truth)
    hidden = model.hidden_cells(min_size)
    if not hidden:
        return []
    bounds = model.bounds_of(hidden)
    if truth is not None:  # the truth must lie inside the bounds, or the model is wrong
        for cell, (low, high) in bounds.items():
            value = model.values[cell]
            assert low - 1e-6 <= value <= high + 1e-6, (cell, value, low, high)
    return pinned(bounds, min_size)


def pairs(items):
    return itertools.combinations(items, 2)


def violations(model: Attack) -> list[str]:
    """The constraints of `model` that the true values break (a wrong model), for debugging."""
    inv = {v: k for k, v in model.index.items()}
    val = {model.index[k]: v for k, v in model.values.items()}
    out = []
    for what, rows in (("=", model.eq), ("<=", model.le)):
        for coef, rhs in rows:
            if all(v in val for v in coef):
                lhs = sum(k * val[v] for v, k in coef.items())
                if (abs(lhs - rhs) if what == "=" else lhs - rhs) > 1e-6:
                    out.append(f"{what} {[(inv[v], k) for v, k in coef.items()]}: {lhs} vs {rhs}")
    out += [f"shown {inv[v]}: {s} vs {val[v]}" for v, s in model.shown.items()
            if v in val and abs(val[v] - s) > 1e-6]
    return out
