"""Small shared statistics and the one home of number formatting and wording.

Every table, sentence and figure annotation of a report formats its numbers here, by unit,
never by column name:

- a p-value is never printed as 0: ``< 0.001`` (and never as 1: ``> 0.99``);
- an interval gets enough decimals that its two ends never print the same
  (:func:`interval_decimals`);
- a difference of two shares is in percentage points, in tables and in sentences alike;
- ratios (odds, hazard, rate ratios) are shown as ratios, never as percentages;
- anything not finite reads "not estimable", and ``-0.00`` never appears.

Question modules word their sentences with these functions; :mod:`engagement.display` uses
them for tables.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _scipy_stats

NOT_ESTIMABLE = "not estimable"
"""What stands in for an infinite or missing estimate."""

DASH = "\u2013"  # an en dash joins the two ends of an interval

UNITS = ("share", "points", "ratio", "days", "count", "number", "p")
"""The units :func:`format_value` knows."""


def wilson_interval(successes, n, *, alpha: float = 0.05):
    """Wilson score interval for a proportion (vectorised; NaN where n is 0).

    Returns
    -------
    (low, high) : arrays of floats
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _scipy_stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z ** 2 / n
        centre = (p + z ** 2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
        low, high = centre - half, centre + half
    empty = n == 0
    return np.where(empty, np.nan, np.clip(low, 0, 1)), np.where(empty, np.nan, np.clip(high, 0, 1))


def finite(value) -> bool:
    """Whether `value` is a real, finite number (not None, NaN, inf or a string)."""
    try:
        return value is not None and not isinstance(value, (str, bytes)) and math.isfinite(value)
    except TypeError:
        return False


def _plain(text: str) -> str:
    # "-0", "-0.0", "-0.00%": a rounded zero has no sign
    stripped = text.lstrip("-+").rstrip("%")
    if stripped and set(stripped) <= set("0.,"):
        return text.lstrip("-+")
    return text


def _fixed(value: float, decimals: int) -> str:
    return _plain(f"{value:,.{decimals}f}")


# --- the units ----------------------------------------------------------------------------

def format_p(p) -> str:
    """A p-value as printed: ``< 0.001``, three decimals below 0.1, two above, ``> 0.99``.

    Three decimals below 0.1 keep 0.049 and 0.051 apart around the usual threshold.
    """
    if not finite(p):
        return NOT_ESTIMABLE
    if p < 0.001:
        return "< 0.001"
    if p > 0.99:
        return "> 0.99"
    if 0.0495 <= p < 0.05:  # would print 0.050 beside a "clear" verdict
        return f"{math.floor(p * 10_000) / 10_000:.4f}"
    return f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def p_phrase(p, *, label: str = "p") -> str:
    """``p = 0.012`` or ``p < 0.001`` (with another label: ``Holm-adjusted p = 0.060``)."""
    text = format_p(p)
    if text == NOT_ESTIMABLE:
        return f"{label} {NOT_ESTIMABLE}"
    return f"{label} {text}" if text[0] in "<>" else f"{label} = {text}"


def format_share(value, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: ``19%``."""
    if not finite(value):
        return NOT_ESTIMABLE
    return _fixed(value * 100, decimals) + "%"


def format_points(value, decimals: int = 1, *, sign: bool = True) -> str:
    """A difference of two shares (as a fraction, 0.013) in percentage points: ``+1.3``."""
    if not finite(value):
        return NOT_ESTIMABLE
    text = _fixed(value * 100, decimals)
    zero = set(text) <= set("0.,")
    return f"+{text}" if sign and not zero and not text.startswith("-") else text


def format_ratio(value, decimals: int = 2) -> str:
    """A ratio (odds, hazard, rate): ``1.43``; small ratios keep two significant digits."""
    if not finite(value) or value < 0:
        return NOT_ESTIMABLE
    if 0 < value < 0.1:
        decimals = max(decimals, 1 - math.floor(math.log10(value)) + 1)
    return _fixed(value, decimals)


def format_count(value) -> str:
    """A count: ``1,234``."""
    if not finite(value):
        return NOT_ESTIMABLE
    return f"{round(value):,}"


def format_number(value, decimals: int = 2) -> str:
    """Any other statistic (chi-square, AUC, an index): two decimals by default."""
    if not finite(value):
        return NOT_ESTIMABLE
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return _fixed(value, decimals)


NOT_REACHED = "not reached"
"""A duration that is infinite: a median of a curve that never fell to one half."""


def format_days(value, decimals: int = 0) -> str:
    """A duration in days: ``12`` (``12.5`` with one decimal); infinite: "not reached"."""
    if value is not None and not isinstance(value, str) and value == float("inf"):
        return NOT_REACHED
    if not finite(value):
        return NOT_ESTIMABLE
    return _fixed(value, decimals)


_FORMATTERS = {"share": format_share, "points": format_points, "ratio": format_ratio,
               "days": format_days, "number": format_number}
_DEFAULT_DECIMALS = {"share": 0, "points": 1, "ratio": 2, "days": 0, "number": 2}


def format_value(value, unit: str, decimals: int | None = None) -> str:
    """`value` formatted by its unit (one of :data:`UNITS`)."""
    if unit == "p":
        return format_p(value)
    if unit == "count":
        return format_count(value)
    if unit not in _FORMATTERS:
        raise ValueError(f"unknown unit {unit!r}; known: {', '.join(UNITS)}")
    return _FORMATTERS[unit](value, _DEFAULT_DECIMALS[unit] if decimals is None else decimals)


def interval_decimals(unit: str, low, high, estimate=None, *, most: int = 4) -> int:
    """The fewest decimals (at least the unit's default) at which an interval's two ends
    print differently, and an estimate strictly inside prints differently from both; at
    most `most` more than the default."""
    base = _DEFAULT_DECIMALS.get(unit, 0)
    if not (finite(low) and finite(high)) or low == high:
        return base
    inside = finite(estimate) and low < estimate < high
    for decimals in range(base, base + most + 1):
        lo, hi = format_value(low, unit, decimals), format_value(high, unit, decimals)
        est = format_value(estimate, unit, decimals) if inside else None
        if lo != hi and est not in (lo, hi):
            return decimals
    return base + most


def format_interval(low, high, unit: str, *, estimate=None,
                    decimals: int | None = None) -> str:
    """``18%–21%`` (ends that differ in print, see :func:`interval_decimals`)."""
    if not (finite(low) and finite(high)):
        if unit == "days" and finite(low) and high == float("inf"):
            return f"{format_days(low, decimals or 0)}{DASH}{NOT_REACHED}"
        return NOT_ESTIMABLE
    if decimals is None:
        decimals = interval_decimals(unit, low, high, estimate)
    return f"{format_value(low, unit, decimals)}{DASH}{format_value(high, unit, decimals)}"


def level_text(level: float) -> str:
    """A confidence level as a percentage: ``95%``, ``97.5%``."""
    percent = round(level * 100, 1)
    return f"{percent:g}%"


def estimate_with_interval(estimate, low, high, unit: str, *, level: float = 0.95,
                           words: bool = False) -> str:
    """``19% (95% CI 18%–21%)``, or in words ``19% (between 18% and 21%)``.

    The estimate and both ends share the decimals that keep them apart.
    """
    decimals = interval_decimals(unit, low, high, estimate)
    text = format_value(estimate, unit, decimals)
    if not (finite(low) and finite(high)):
        return text
    lo, hi = format_value(low, unit, decimals), format_value(high, unit, decimals)
    if words:
        return f"{text} (between {lo} and {hi})"
    return f"{text} ({level_text(level)} CI {lo}{DASH}{hi})"


def points_phrase(value, low=None, high=None, *, level: float = 0.95) -> str:
    """A difference in percentage points, as a sentence says it, with its interval:
    ``+1.3 percentage points (95% CI +0.2 to +2.4)``."""
    if not finite(value):
        return f"a difference that is {NOT_ESTIMABLE}"
    decimals = interval_decimals("points", low, high, value)
    text = f"{format_points(value, decimals)} percentage points"
    if finite(low) and finite(high):
        text += (f" ({level_text(level)} CI {format_points(low, decimals)} to "
                 f"{format_points(high, decimals)})")
    return text


def count_phrase(n, singular: str, plural: str | None = None) -> str:
    """``1 learner``, ``1,234 learners``."""
    plural = plural or f"{singular}s"
    return f"{format_count(n)} {singular if n == 1 else plural}"


# --- a family of comparisons --------------------------------------------------------------

def holm(p_values, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down procedure: adjusted p-values and which hypotheses are rejected.

    Equals ``statsmodels.stats.multitest.multipletests(p, method="holm")``; missing p-values
    (NaN) take no part and are never rejected.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = len(present)
    order = present[np.argsort(p[present], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted, np.where(np.isnan(adjusted), False, adjusted <= alpha)


def holm_levels(p_values, *, alpha: float = 0.05) -> np.ndarray:
    """Per hypothesis, the significance level at which to draw its interval so that the
    interval agrees with Holm's verdict in both directions.

    A hypothesis at rank r (1 = smallest p) of m is tested at alpha / (m - r + 1). Its
    interval at that level excludes the null exactly when its own test rejects there. Holm
    also stops at the first hypothesis not rejected: one after it whose own p passes its
    level is still not rejected, and its interval is drawn at alpha / m (Bonferroni), which
    then covers the null (were its p below alpha / m, every earlier p would be too, and Holm
    would not have stopped).
    """
    p = np.asarray(p_values, dtype=float)
    _, rejected = holm(p, alpha=alpha)
    levels = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = len(present)
    order = present[np.argsort(p[present], kind="stable")]
    for rank, i in enumerate(order):
        step = alpha / (m - rank)
        levels[i] = step if rejected[i] or p[i] > step else alpha / m
    return levels
