"""Which outreach channel engages people: person-level split tests and their planning.

The unit here is the *person*: each person is in exactly one arm (an e-mail invitation
variant, a sign-up page variant, a channel) and either converted or not.

What is randomised and what is not
----------------------------------
* In a **randomised** test (e.g. invitation variants assigned at random by the mailing
  tool, or a sign-up page split by the web server) the arms differ only by chance apart
  from the treatment, so a difference in rates can be read as the effect of the variant.
* Comparing **channels as they were used** (people who came through LinkedIn vs Facebook
  vs X vs e-mail) is **observational**: people choose or are reached through channels for
  reasons that also affect whether they engage. Such differences are associations only.

The analysis functions therefore take ``randomised: bool`` (default ``True`` for the
person-level tests, ``False`` for posts) and return an :class:`engagement.results.Result`
whose ``design`` is "randomised" or "observational"; :func:`describe_pairwise` words a
result as a randomised comparison only when the design says the arms were randomly
assigned, and otherwise as an association that is not evidence the channel causes it.

Functions
---------
arm_summary, arm_counts
    Per-arm n, successes, rate and Wilson interval (from one row per person, or from
    pre-aggregated counts).
pairwise_tests
    Every pair of arms: pooled two-proportion z-test, difference with a Wald interval,
    rate ratio with a Katz log interval, Holm or Benjamini-Hochberg adjusted p-values.
arms_differ
    One chi-square test across all arms, before the pairs.
bayesian_arms
    Beta-binomial posteriors, probability each arm is best, expected loss.
sample_ratio_mismatch
    Chi-square check that arm sizes match the planned allocation.
sample_size_per_arm, minimum_detectable_effect
    Planning with Cohen's h and the normal approximation.
describe_pairwise
    Plain-language sentences from :func:`pairwise_tests` results (as computed, or after
    disclosure control: a hidden number is never quoted).
channel_rates, rate_ratios, paired_by_message, describe_channel_rates, describe_paired
    Post-level analysis of the ``outreach`` table (one row per post): pooled rates with a
    post-level bootstrap interval (the naive pooled-impressions Wilson interval beside it),
    quasi-binomial odds ratios adjusted for month and weekday, within-message paired
    comparisons, and sentences worded from the design.

Every analysis function returns an :class:`engagement.results.Result` (its table holds
the numbers; its columns say what they are, for display and disclosure control) and
accepts a previous function's Result as input; the ``describe_*`` functions take the
Result, as computed or after :func:`engagement.privacy.control`. Inputs are never
modified; bad input raises ``ValueError`` naming the column or argument.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import optimize, stats

from engagement import results
from engagement import stats as estats  # wording and number formatting (scipy's is `stats`)
from engagement.results import Result
from engagement.schema import require_columns
from engagement.stats import wilson_interval

CORRECTIONS = ("holm", "fdr_bh", None)
_CORRECTION_LABEL = {"holm": "Holm-adjusted p", "fdr_bh": "Benjamini-Hochberg-adjusted p",
                     None: "unadjusted p"}
_CORRECTION_METHOD = {"holm": "Holm's method",
                      "fdr_bh": "the Benjamini-Hochberg method (false discovery rate)"}

# Units of the counts (Column.unit). Recipients and sign-ups are people (disclosure-
# controlled); posts and messages are not (results.NOT_PEOPLE); impressions, engagements
# and clicks count platform events, not learners ("impressions", "engagements" and
# "clicks" belong in results.NOT_PEOPLE), and planned sizes are not people observed
# ("planned recipients" belongs there too).
_PEOPLE = "recipients"
_CONVERTED = "sign-ups"
_PLANNED = "planned recipients"
_POST_UNITS = {"exposures": "impressions", "impressions": "impressions",
               "engagements": "engagements", "clicks": "clicks", "signups": "sign-ups"}


# --------------------------------------------------------------------------- helpers

def _design(randomised: bool) -> str:
    if not isinstance(randomised, (bool, np.bool_)):
        raise ValueError(f"randomised must be True or False, got {randomised!r}")
    return "randomised" if randomised else "observational"


def _check_alpha(alpha: float, name: str = "alpha") -> float:
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1), got {alpha!r}") from None
    if not 0 < alpha < 1:
        raise ValueError(f"{name} must be in (0, 1), got {alpha!r}")
    return alpha


def _percent(x: float) -> str:
    """A level or rate such as 0.05 or 0.975 as a percentage with the decimals it needs
    ("5%", "97.5%")."""
    for decimals in range(4):
        if abs(round(x * 100, decimals) - x * 100) < 1e-9:
            return estats.format_share(x, decimals)
    return estats.format_share(x, 4)


def _decimal(x: float) -> str:
    """A parameter such as alpha (0.05, 0.025) with the decimals it needs, at least two."""
    for decimals in range(2, 6):
        if abs(round(x, decimals) - x) < 1e-12:
            return estats.format_number(x, decimals)
    return estats.format_number(x, 6)


def _plain_number(x: float) -> str:
    """A parameter such as a prior or a size ratio with the decimals it needs (2, 2.5)."""
    for decimals in range(5):
        if abs(round(x, decimals) - x) < 1e-12:
            return estats.format_number(x, decimals)
    return estats.format_number(x, 4)


def _integer_column(df: pd.DataFrame, column: str, what: str) -> np.ndarray:
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() | (values < 0) | (values != np.floor(values))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{what}: column {column!r} must hold non-negative whole numbers; "
                         f"row {i + 1} has {df[column].iloc[i]!r}")
    return values.to_numpy(dtype=np.int64)


def _counts(counts: pd.DataFrame, arm: str, n: str, successes: str, what: str):
    """Validated (labels, n, successes) arrays from a table of per-arm counts."""
    require_columns(counts, [arm, n, successes], what)
    if len(counts) < 1:
        raise ValueError(f"{what}: the table has no arms")
    labels = counts[arm]
    if labels.isna().any():
        raise ValueError(f"{what}: column {arm!r} has missing arm labels")
    if labels.duplicated().any():
        dup = labels[labels.duplicated()].iloc[0]
        raise ValueError(f"{what}: column {arm!r} lists arm {dup!r} more than once")
    nn = _integer_column(counts, n, what)
    xx = _integer_column(counts, successes, what)
    if (nn == 0).any():
        raise ValueError(f"{what}: column {n!r} must be positive; arm "
                         f"{labels.iloc[int(np.flatnonzero(nn == 0)[0])]!r} has 0 people")
    if (xx > nn).any():
        i = int(np.flatnonzero(xx > nn)[0])
        raise ValueError(f"{what}: column {successes!r} exceeds column {n!r} for arm "
                         f"{labels.iloc[i]!r} ({xx[i]} > {nn[i]})")
    return labels.to_list(), nn, xx


def _arm_columns() -> dict:
    """The arm, its people and its conversions, as every per-arm table declares them."""
    return {"arm": results.label("Variant"),
            "n": results.count("People in the variant", unit=_PEOPLE),
            "successes": results.count("Signed up (converted)", unit=_CONVERTED, part_of="n")}


def _summary_result(labels, nn, xx, alpha, randomised, kind) -> Result:
    design = _design(randomised)
    lo, hi = wilson_interval(xx, nn, alpha=alpha)
    table = pd.DataFrame({"arm": labels, "n": nn, "successes": xx, "rate": xx / nn,
                          "ci_low": lo, "ci_high": hi})
    low, high = results.interval("rate", level=1 - alpha)
    columns = {**_arm_columns(),
               "rate": results.share("Conversion rate", of="successes", over="n"),
               "ci_low": low, "ci_high": high}
    # each person is in exactly one arm: the arms partition the people of the test
    return Result(table, columns, title="Conversion rate per variant", design=design, n="n",
                  partition="arm",
                  notes=(f"The {_percent(1 - alpha)} interval of each rate is Wilson's score "
                         "interval.",),
                  kind=f"channels.{kind}")


def _adjust(p, correction):
    """Holm or Benjamini-Hochberg adjusted p-values (one family, 1-D)."""
    p = np.asarray(p, dtype=float)
    m = p.size
    if correction is None or m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ps = p[order]
    ranks = np.arange(1, m + 1)
    if correction == "holm":
        # Step-down: (m - i + 1) p_(i), made monotone from the smallest p upwards.
        adj = np.maximum.accumulate(np.minimum((m - ranks + 1) * ps, 1.0))
    elif correction == "fdr_bh":
        # Step-up: m p_(i) / i, made monotone from the largest p downwards.
        adj = np.minimum.accumulate((m * ps / ranks)[::-1])[::-1]
        adj = np.minimum(adj, 1.0)
    else:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    out = np.empty(m)
    out[order] = adj
    return out


# --------------------------------------------------------------------------- summaries

def arm_summary(df: pd.DataFrame, *, arm: str, converted: str, alpha: float = 0.05,
                randomised: bool = True) -> Result:
    """Per-arm conversion rate from one row per person.

    Parameters
    ----------
    df : DataFrame
        One row per person, with the arm label and whether the person converted
        (0/1 or bool; no missing values). Not modified.
    arm, converted : str
        Column names.
    alpha : float, default 0.05
        The interval is at level ``1 - alpha``.
    randomised : bool, default True
        Whether people were randomly assigned to arms (sets the Result's ``design``).

    Returns
    -------
    Result
        "Conversion rate per variant": one row per arm in order of first appearance,
        columns ``arm``, ``n`` (people, unit "recipients"), ``successes`` (part of ``n``),
        ``rate`` (share ``successes`` / ``n``), ``ci_low``, ``ci_high`` (Wilson score
        interval of ``rate``). ``n="n"``, ``partition="arm"`` (each person is in one arm),
        ``design`` "randomised" or "observational".
    """
    what = "arm_summary"
    require_columns(df, [arm, converted], what)
    alpha = _check_alpha(alpha)
    if len(df) == 0:
        raise ValueError(f"{what}: the table has no rows")
    if df[arm].isna().any():
        i = int(np.flatnonzero(df[arm].isna().to_numpy())[0])
        raise ValueError(f"{what}: column {arm!r} is missing on row {i + 1}")
    conv = df[converted]
    ok = conv.isin([0, 1, True, False]) & conv.notna()
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        raise ValueError(f"{what}: column {converted!r} must be 0/1 or True/False; "
                         f"row {i + 1} has {conv.iloc[i]!r}")
    grouped = (pd.DataFrame({"arm": df[arm].to_numpy(), "x": conv.astype(int).to_numpy()})
               .groupby("arm", sort=False)["x"].agg(["size", "sum"]))
    return _summary_result(grouped.index.to_list(), grouped["size"].to_numpy(np.int64),
                           grouped["sum"].to_numpy(np.int64), alpha, randomised, what)


def arm_counts(table: pd.DataFrame, *, arm: str = "arm", n: str = "n",
               successes: str = "successes", alpha: float = 0.05,
               randomised: bool = True) -> Result:
    """Per-arm conversion rate from pre-aggregated counts.

    Parameters
    ----------
    table : DataFrame or Result
        One row per arm with the number of people and of conversions. Not modified.
    arm, n, successes : str
        Column names.
    alpha : float, default 0.05
        The interval is at level ``1 - alpha``.
    randomised : bool, default True
        Whether people were randomly assigned to arms (sets the Result's ``design``).

    Returns
    -------
    Result
        As :func:`arm_summary`: ``arm``, ``n``, ``successes``, ``rate``, ``ci_low``,
        ``ci_high`` (Wilson); ``n="n"``, ``partition="arm"``.
    """
    alpha = _check_alpha(alpha)
    labels, nn, xx = _counts(results.table_of(table), arm, n, successes, "arm_counts")
    return _summary_result(labels, nn, xx, alpha, randomised, "arm_counts")


# --------------------------------------------------------------------------- frequentist

def _family_levels(p, p_adjusted, correction, alpha) -> np.ndarray:
    """Per comparison, the significance level of its interval, chosen so that the interval
    excludes no difference exactly when the adjusted p-value is at most `alpha`: Holm's
    step levels (:func:`engagement.stats.holm_levels`); for Benjamini-Hochberg, the
    false-coverage-rate level R * alpha / m of Benjamini and Yekutieli (R the number of
    rejections, alpha / m when there is none); unadjusted, `alpha` itself."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if correction == "holm":
        return estats.holm_levels(p, alpha=alpha)
    if correction == "fdr_bh":
        rejected = int((np.asarray(p_adjusted) <= alpha).sum())
        return np.full(m, alpha * max(rejected, 1) / m)
    return np.full(m, alpha)


def pairwise_tests(counts: pd.DataFrame, *, arm: str = "arm", n: str = "n",
                   successes: str = "successes", correction: str | None = "holm",
                   alpha: float = 0.05, randomised: bool = True) -> Result:
    """Compare every pair of arms.

    For each pair (``arm_a``, ``arm_b``) in table order: the difference ``rate_a - rate_b``
    with its two-sided Wald test and interval (one unpooled standard error for both, so they
    agree), and the rate ratio ``rate_a / rate_b`` with a Katz interval on the log scale.
    The p-values of all pairs form one family adjusted by Holm (default) or
    Benjamini-Hochberg (``"fdr_bh"``), or not at all (``None``); each difference's interval
    is drawn at the level that agrees with its adjusted verdict (:func:`_family_levels`), so
    "no clear difference" never sits beside an interval that excludes 0, nor the reverse.

    Parameters
    ----------
    counts : DataFrame or Result
        One row per arm (e.g. the output of :func:`arm_counts`). Not modified.
    arm, n, successes : str
        Column names.
    correction : {"holm", "fdr_bh", None}
        Multiple-comparison adjustment.
    alpha : float, default 0.05
        ``reject`` is ``p_adjusted <= alpha``; the rate ratio's interval is at level
        ``1 - alpha`` (not adjusted); the difference's at ``diff_level``.
    randomised : bool, default True
        Whether the arms were randomly assigned (sets the Result's ``design``).

    Returns
    -------
    Result
        "Every pair of variants compared": one row per pair, columns ``arm_a``,
        ``arm_b``, ``n_a``, ``n_b`` (people), ``x_a``, ``x_b`` (conversions, part of
        ``n_a``/``n_b``), ``rate_a``, ``rate_b`` (shares), ``difference`` (points, with
        ``diff_ci_low``, ``diff_ci_high``), ``rate_ratio`` (with ``ratio_ci_low``,
        ``ratio_ci_high``; NaN when either arm has no successes), ``z``, ``p_value`` (1
        when both arms are all 0 or all 1), ``p_adjusted``, ``correction`` ("holm",
        "fdr_bh" or "none"), ``alpha``, ``reject`` (the last four technical; the
        correction and alpha are also said once as constants). No ``n`` (a pair has two
        groups: each arm's counts are controlled on their own); ``design`` from
        `randomised`.
    """
    what = "pairwise_tests"
    alpha = _check_alpha(alpha)
    if correction not in CORRECTIONS:
        raise ValueError(f"{what}: correction must be one of {CORRECTIONS}, got {correction!r}")
    labels, nn, xx = _counts(results.table_of(counts), arm, n, successes, what)
    if len(labels) < 2:
        raise ValueError(f"{what}: column {arm!r} needs at least two arms, got {len(labels)}")
    pairs = list(itertools.combinations(range(len(labels)), 2))
    ia = np.array([a for a, _ in pairs])
    ib = np.array([b for _, b in pairs])
    n1, n2 = nn[ia].astype(float), nn[ib].astype(float)
    x1, x2 = xx[ia].astype(float), xx[ib].astype(float)
    p1, p2 = x1 / n1, x2 / n2
    zcrit = stats.norm.ppf(1 - alpha / 2)

    # One standard error for the test and the interval (unpooled, Wald), so that they agree
    diff = p1 - p2
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, diff / se, np.nan)
    # Identical all-0 or all-1 arms: no evidence of a difference at all.
    p_value = np.where(se > 0, 2 * stats.norm.sf(np.abs(z)), np.where(diff == 0, 1.0, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(p2 > 0, p1 / p2, np.nan)
        ok = (x1 > 0) & (x2 > 0)
        se_log = np.sqrt(np.where(ok, 1 / x1 - 1 / n1 + 1 / x2 - 1 / n2, np.nan))
        log_ratio = np.log(np.where(ok, ratio, np.nan))
    p_adj = _adjust(p_value, correction)
    # each difference's interval at the level that agrees with its adjusted verdict
    levels = _family_levels(p_value, p_adj, correction, alpha)
    zdiff = stats.norm.isf(levels / 2)
    design = _design(randomised)
    table = pd.DataFrame({
        "arm_a": [labels[i] for i in ia], "arm_b": [labels[i] for i in ib],
        "n_a": nn[ia], "n_b": nn[ib], "x_a": xx[ia], "x_b": xx[ib], "rate_a": p1, "rate_b": p2,
        "difference": diff, "diff_ci_low": diff - zdiff * se, "diff_ci_high": diff + zdiff * se,
        "diff_level": 1 - levels,
        "rate_ratio": ratio, "ratio_ci_low": np.exp(log_ratio - zcrit * se_log),
        "ratio_ci_high": np.exp(log_ratio + zcrit * se_log),
        "z": z, "p_value": p_value, "p_adjusted": p_adj,
        "correction": correction or "none", "alpha": alpha,
        "reject": p_adj <= alpha,
    })
    level = 1 - alpha
    counts_of_row = ("n_a", "x_a", "n_b", "x_b")
    diff_low = results.Column("low", "Interval of the difference (adjusted like the p-value), "
                              "from", of="difference")
    diff_high = results.Column("high", "Interval of the difference (adjusted like the "
                               "p-value), to", of="difference")
    ratio_low, ratio_high = results.interval("rate_ratio", level=level)
    columns = {
        "arm_a": results.label("Variant"), "arm_b": results.label("Compared with"),
        "n_a": results.count("People in the variant", unit=_PEOPLE),
        "n_b": results.count("People in the variant compared with", unit=_PEOPLE),
        "x_a": results.count("Signed up, variant", unit=_CONVERTED, part_of="n_a"),
        "x_b": results.count("Signed up, variant compared with", unit=_CONVERTED,
                             part_of="n_b"),
        "rate_a": results.share("Conversion rate, variant", of="x_a", over="n_a"),
        "rate_b": results.share("Conversion rate, variant compared with", of="x_b",
                                over="n_b"),
        "difference": results.estimate("points", "Difference in rate (variant minus the "
                                       "one compared with)", of=counts_of_row),
        "diff_ci_low": diff_low, "diff_ci_high": diff_high,
        "diff_level": results.Column("number", "Level of the difference's interval",
                                     technical=True),
        "rate_ratio": results.estimate("ratio", "Rate ratio (variant / compared with)",
                                       of=counts_of_row),
        "ratio_ci_low": ratio_low, "ratio_ci_high": ratio_high,
        "z": results.estimate("number", "z statistic", of=counts_of_row, technical=True),
        "p_value": results.estimate("p", "p-value (unadjusted)", of=counts_of_row),
        # without a correction the column is the unadjusted p-value again: no family
        "p_adjusted": (results.estimate("p_adjusted", "p-value adjusted for multiple "
                                        "comparisons", of=counts_of_row) if correction
                       else results.estimate("p", "p-value (no adjustment)", of=counts_of_row,
                                             technical=True)),
        "correction": results.text("Correction", technical=True),
        "alpha": results.estimate("number", "Significance level", technical=True),
        # derived from p_adjusted, which control hides with the counts; a flag is never
        # hidden, so partners read the adjusted p-value instead
        "reject": results.flag(f"Clear difference (adjusted p at most {_decimal(alpha)})",
                               technical=True),
    }
    m = len(table)
    comparisons = estats.count_phrase(m, "comparison")
    if correction is None:
        corrected = f"p-values not adjusted for multiple comparisons ({comparisons})."
    else:
        corrected = (f"p-values adjusted for {comparisons} by {_CORRECTION_METHOD[correction]}"
                     + (" (one comparison: nothing to adjust)." if m == 1 else "."))
    constants = {
        "correction": corrected,
        "alpha": (f"A difference is called clear when its adjusted p-value is at most "
                  f"{_decimal(alpha)}; intervals are {_percent(level)} and not adjusted."),
    }
    return Result(table, columns, title="Every pair of variants compared", design=design,
                  constants=constants,
                  notes=("Each difference has a Wald interval and a two-proportion z-test "
                         "(pooled standard error); each rate ratio has a Katz interval on "
                         "the log scale.",),
                  kind="channels.pairwise_tests")


# --------------------------------------------------------------------------- Bayesian

def arms_differ(counts: pd.DataFrame, *, arm: str = "arm", n: str = "n",
                successes: str = "successes", randomised: bool = True) -> Result:
    """One test of whether any arm's rate differs: Pearson's chi-square on the arms x
    (success, failure) table, before looking at pairs.

    Parameters
    ----------
    counts : DataFrame or Result
        One row per arm (e.g. the output of :func:`arm_counts`). Not modified.
    arm, n, successes : str
        Column names.
    randomised : bool, default True
        Whether the arms were randomly assigned (sets the Result's ``design``).

    Returns
    -------
    Result
        "One test across all variants", one row: arms (count of variants), total
        (people, the row's ``n``), chi_square, df (technical), p_value.
    """
    design = _design(randomised)
    labels, nn, xx = _counts(results.table_of(counts), arm, n, successes, "arms_differ")
    if len(labels) < 2:
        raise ValueError("arms_differ: needs at least two arms")
    observed = np.column_stack([xx, nn - xx]).astype(float)
    expected = np.outer(nn, observed.sum(axis=0)) / nn.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        chi_square = float(np.nansum((observed - expected) ** 2 / expected))
    df = len(labels) - 1
    table = pd.DataFrame([{"arms": len(labels), "total": int(nn.sum()), "chi_square": chi_square,
                           "df": df, "p_value": float(stats.chi2.sf(chi_square, df))}])
    columns = {"arms": results.count("Variants", unit="variants"),
               "total": results.count("People in the test", unit=_PEOPLE),
               "chi_square": results.estimate("number", "Chi-square"),
               "df": results.estimate("number", "Degrees of freedom", technical=True),
               "p_value": results.estimate("p", "p-value")}
    return Result(table, columns, title="One test across all variants", design=design,
                  n="total",
                  notes=("Pearson's chi-square test of whether the conversion rate differs "
                         "between any of the variants, before comparing them in pairs.",),
                  kind="channels.arms_differ")


def bayesian_arms(counts: pd.DataFrame, *, arm: str = "arm", n: str = "n",
                  successes: str = "successes", prior: tuple[float, float] = (1, 1),
                  draws: int = 100_000, seed: int = 0, randomised: bool = True) -> Result:
    """Beta-binomial posterior for each arm's rate, and which arm is best.

    Each arm's rate has a ``Beta(prior[0] + successes, prior[1] + n - successes)``
    posterior. ``prob_best`` and ``expected_loss`` come from ``draws`` seeded Monte Carlo
    draws of all arms at once; the mean and credible interval are exact.

    Parameters
    ----------
    counts : DataFrame or Result
        One row per arm. Not modified.
    arm, n, successes : str
        Column names.
    prior : (float, float), default (1, 1)
        Beta prior parameters (uniform by default), both positive.
    draws : int, default 100_000
        Monte Carlo draws per arm.
    seed : int, default 0
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same result.
    randomised : bool, default True
        Whether the arms were randomly assigned (sets the Result's ``design``).

    Returns
    -------
    Result
        "Which variant is best", one row per arm: ``arm``, ``n``, ``successes`` (part of
        ``n``), ``posterior_mean``, ``cri_low``, ``cri_high`` (equal-tailed 95% credible
        interval), ``prob_best`` (share of draws in which the arm has the highest rate;
        sums to 1), ``expected_loss`` (mean of best rate minus this arm's rate over draws:
        the rate given up on average by choosing this arm, in points). ``n="n"``,
        ``partition="arm"``; the notes say what the probability of being best means.
    """
    what = "bayesian_arms"
    design = _design(randomised)
    labels, nn, xx = _counts(results.table_of(counts), arm, n, successes, what)
    try:
        a0, b0 = (float(v) for v in prior)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: prior must be a pair of positive numbers, "
                         f"got {prior!r}") from None
    if not (a0 > 0 and b0 > 0):
        raise ValueError(f"{what}: prior must be a pair of positive numbers, got {prior!r}")
    if not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"{what}: draws must be a positive integer, got {draws!r}")
    a, b = a0 + xx, b0 + nn - xx
    rng = np.random.default_rng(seed)
    theta = rng.beta(a, b, size=(int(draws), len(labels)))
    best = theta.argmax(axis=1)
    prob_best = np.bincount(best, minlength=len(labels)) / draws
    loss = (theta.max(axis=1, keepdims=True) - theta).mean(axis=0)
    table = pd.DataFrame({
        "arm": labels, "n": nn, "successes": xx, "posterior_mean": a / (a + b),
        "cri_low": stats.beta.ppf(0.025, a, b), "cri_high": stats.beta.ppf(0.975, a, b),
        "prob_best": prob_best, "expected_loss": loss,
    })
    cri_low, cri_high = results.interval("posterior_mean")
    columns = {
        **_arm_columns(),
        # Not successes / n exactly (the prior is added to both): of/over name the counts
        # the estimate depends on, so that it is hidden with them.
        "posterior_mean": results.Column("share", "Conversion rate (posterior mean)",
                                         of="successes", over="n"),
        "cri_low": replace(cri_low, label="95% credible interval, from"),
        "cri_high": replace(cri_high, label="95% credible interval, to"),
        # A probability, printed as one ("97%"); of/over name the counts of its row it
        # depends on (it depends on the other arms' counts too).
        "prob_best": results.Column("share", "Probability of being the best variant",
                                    of="successes", over="n"),
        "expected_loss": results.estimate("points", "Expected loss if chosen (percentage "
                                          "points of rate)", of=("n", "successes")),
    }
    flat = a0 == 1 and b0 == 1
    prior_words = ("a flat prior (every rate from 0 to 1 equally likely beforehand)" if flat
                   else f"a Beta({_plain_number(a0)}, {_plain_number(b0)}) "
                        "prior")
    notes = (f"The probability of being the best variant is the probability that the "
             f"variant's conversion rate is the highest of all, given the data and "
             f"{prior_words}; the probabilities of all variants add up to 100%. They come "
             f"from {estats.format_count(draws)} simulated draws.",
             "The expected loss is how much conversion rate one gives up on average, in "
             "percentage points, by choosing this variant if another is in fact better.",
             "A high probability of being best does not make a difference clear: the "
             "pairwise tests ask whether a difference is beyond chance, allowing for the "
             "several comparisons, and can say \u201cno clear difference\u201d while one "
             "variant is probably, but not surely, better. Read both: choose the likely best "
             "only when being wrong costs little (a small expected loss).")
    return Result(table, columns, title="Which variant is best: the rate each variant is "
                  "likely to have", design=design, n="n", partition="arm", notes=notes,
                  kind="channels.bayesian_arms")


# --------------------------------------------------------------------------- SRM

def sample_ratio_mismatch(counts: pd.DataFrame, *, n: str = "n", arm: str | None = "arm",
                          planned=None, threshold: float = 0.001) -> Result:
    """Check the arm sizes against the planned allocation (sample ratio mismatch).

    A chi-square goodness-of-fit test of the observed number of people per arm against
    the planned shares. A mismatch means assignment or logging is broken (e.g. one
    variant's e-mails bounced or its page failed to record sign-ups), so the arms are no
    longer comparable. Following GrowthBook's default, a mismatch is flagged when
    ``p_value < threshold`` (0.001). When flagged, the same message is also issued with
    :func:`warnings.warn`.

    Parameters
    ----------
    counts : DataFrame or Result
        One row per arm. Not modified.
    n : str
        Column with the number of people assigned to each arm.
    arm : str or None, default "arm"
        Column with arm labels, used in the message and to match a dict ``planned``;
        ``None`` (or a missing column when ``planned`` is not a dict) numbers the arms.
    planned : sequence or dict of float, optional
        Planned allocation weights in table order, or a dict keyed by arm label; they
        need not sum to 1. Equal allocation by default.
    threshold : float, default 0.001
        p-value below which a mismatch is flagged.

    Returns
    -------
    Result
        "Are the variants as large as planned?", one row: ``arms`` (number of arms),
        ``total`` (people, the row's ``n``), ``chi_square``, ``df``, ``p_value``,
        ``threshold``, ``mismatch`` (flag), ``message`` (text; it quotes every arm's size,
        so it is technical: partners do not see it).
    """
    what = "sample_ratio_mismatch"
    counts = results.table_of(counts)
    require_columns(counts, [n], what)
    threshold = _check_alpha(threshold, "threshold")
    observed = _integer_column(counts, n, what).astype(float)
    k = observed.size
    if k < 2:
        raise ValueError(f"{what}: column {n!r} needs at least two arms, got {k}")
    total = observed.sum()
    if total == 0:
        raise ValueError(f"{what}: column {n!r} sums to 0")
    if arm is not None and arm in counts.columns:
        labels = [str(v) for v in counts[arm]]
    elif isinstance(planned, dict):
        raise ValueError(f"{what}: planned is a dict but column {arm!r} with arm labels is absent")
    else:
        labels = [f"arm {i + 1}" for i in range(k)]
    if planned is None:
        weights = np.ones(k)
    elif isinstance(planned, dict):
        missing = [lab for lab in counts[arm] if lab not in planned]
        if missing:
            raise ValueError(f"{what}: planned has no weight for arm(s) "
                             f"{', '.join(map(repr, missing))}")
        weights = np.array([planned[lab] for lab in counts[arm]], dtype=float)
    else:
        weights = np.asarray(list(planned), dtype=float)
        if weights.size != k:
            raise ValueError(f"{what}: planned has {weights.size} weights for {k} arms")
    if not np.all(np.isfinite(weights)) or (weights <= 0).any():
        raise ValueError(f"{what}: planned weights must be positive numbers, got {planned!r}")
    share = weights / weights.sum()
    expected = total * share
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    dof = k - 1
    p = float(stats.chi2.sf(chi2, dof))
    mismatch = p < threshold
    split = ", ".join(f"{lab} {o:.0f} ({o / total:.1%}, planned {s:.1%})"
                      for lab, o, s in zip(labels, observed, share, strict=True))
    if mismatch:
        message = (f"Sample ratio mismatch: observed {split}; chi-square = {chi2:.2f} on "
                   f"{dof} df, p = {p:.2g} < {threshold:g}. Assignment or tracking is "
                   f"broken, so the arms are not comparable: do not trust this test's "
                   f"results until the cause is found.")
        warnings.warn(message, stacklevel=2)
    else:
        message = (f"No sample ratio mismatch detected: observed {split}; chi-square = "
                   f"{chi2:.2f} on {dof} df, p = {p:.3g} (threshold {threshold:g}).")
    table = pd.DataFrame({"arms": [k], "total": [int(total)], "chi_square": [chi2],
                          "df": [dof], "p_value": [p], "threshold": [threshold],
                          "mismatch": [bool(mismatch)], "message": [message]})
    columns = {"arms": results.count("Variants", unit="variants"),
               "total": results.count("People in the test", unit=_PEOPLE),
               "chi_square": results.estimate("number", "Chi-square"),
               "df": results.estimate("number", "Degrees of freedom", technical=True),
               "p_value": results.estimate("p", "p-value"),
               "threshold": results.estimate("number", "Threshold", technical=True),
               "mismatch": results.flag("Sizes differ from the plan"),
               # the message quotes each arm's size, which disclosure control does not see
               "message": results.text("Message", technical=True)}
    plan = "equal sizes" if planned is None else "the planned allocation"
    return Result(table, columns, title="Are the variants as large as planned? (sample ratio "
                  "mismatch)", n="total",
                  constants={"threshold": f"Arm sizes are flagged as different from {plan} "
                                          f"when the chi-square test's p-value is below "
                                          f"{_decimal(threshold)}."},
                  notes=("A mismatch means assignment or tracking is broken, so the variants "
                         "are not comparable until the cause is found.",),
                  kind="channels.sample_ratio_mismatch")


# --------------------------------------------------------------------------- planning

def _cohens_h(p1, p2):
    return 2 * np.arcsin(np.sqrt(p2)) - 2 * np.arcsin(np.sqrt(p1))


def _power(h: float, n1: float, ratio: float, alpha: float) -> float:
    """Two-sided power of the normal test for effect h (both rejection tails counted)."""
    nobs = 1.0 / (1.0 / n1 + 1.0 / (n1 * ratio))
    crit = stats.norm.isf(alpha / 2)
    shift = abs(h) * math.sqrt(nobs)
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def _check_rate(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a rate strictly between 0 and 1, got {value!r}") from None
    if not 0 < value < 1:
        raise ValueError(f"{name} must be a rate strictly between 0 and 1, got {value!r}")
    return value


_PLANNING_NOTE = ("A planning calculation: the numbers of people are to be recruited, not "
                  "people observed (two-sided two-proportion test, normal approximation on "
                  "Cohen's h).")


def _planning_columns() -> dict:
    return {"alpha": results.estimate("number", "Significance level", technical=True),
            "power": results.estimate("number", "Power", technical=True)}


def _planning_constants(alpha: float, power: float) -> dict:
    return {"alpha": f"Planned for a two-sided test at the {_percent(alpha)} significance "
                     "level.",
            "power": f"Power {_percent(power)}: the chance of detecting the change if it is "
                     "real."}


def sample_size_per_arm(*, baseline: float, lift: float | None = None,
                        target: float | None = None, alpha: float = 0.05, power: float = 0.8,
                        ratio: float = 1.0) -> Result:
    """People needed per arm to detect a change from ``baseline`` to ``target``.

    Two-sided two-proportion test, effect size Cohen's ``h = 2 asin(sqrt(target)) -
    2 asin(sqrt(baseline))`` and the normal approximation (as statsmodels'
    ``NormalIndPower().solve_power`` on ``proportion_effectsize``).

    Parameters
    ----------
    baseline : float
        Expected rate in the baseline (control) arm, in (0, 1).
    lift, target : float
        Give exactly one: the absolute change in rate (``target = baseline + lift``), or
        the rate to detect.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Probability of detecting the change.
    ratio : float, default 1.0
        Size of the other arm relative to the baseline arm.

    Returns
    -------
    Result
        "People needed per variant", one row: ``baseline``, ``target`` (rates, as
        numbers 0-1), ``lift`` (points), ``effect_size_h``, ``alpha``, ``power``,
        ``ratio``, ``n_exact`` (unrounded baseline-arm size; these five technical, alpha,
        power and ratio said as constants), ``n_per_arm`` (baseline arm, rounded up),
        ``n_other_arm`` (rounded up), ``n_total``: counts of unit "planned recipients",
        not people observed.
    """
    baseline = _check_rate(baseline, "baseline")
    if (lift is None) == (target is None):
        raise ValueError("give exactly one of lift and target")
    target = _check_rate(baseline + lift if lift is not None else target,
                         "target" if target is not None else "baseline + lift")
    if target == baseline:
        raise ValueError("lift must be non-zero (target equals baseline)")
    alpha = _check_alpha(alpha)
    power = _check_alpha(power, "power")
    if not (isinstance(ratio, (int, float)) and ratio > 0):
        raise ValueError(f"ratio must be a positive number, got {ratio!r}")
    h = float(_cohens_h(baseline, target))
    if power <= alpha:
        raise ValueError(f"power ({power}) must exceed alpha ({alpha})")
    # Power rises monotonically with n; bracket the root and solve.
    hi = 2.0
    while _power(h, hi, ratio, alpha) < power:
        hi *= 2
    n_exact = optimize.brentq(lambda m: _power(h, m, ratio, alpha) - power, 1e-9, hi,
                              xtol=1e-10, rtol=1e-12)
    n1 = math.ceil(n_exact - 1e-9)
    n2 = math.ceil(n_exact * ratio - 1e-9)
    table = pd.DataFrame({"baseline": [baseline], "target": [target],
                          "lift": [target - baseline], "effect_size_h": [h], "alpha": [alpha],
                          "power": [power], "ratio": [float(ratio)], "n_exact": [n_exact],
                          "n_per_arm": [n1], "n_other_arm": [n2], "n_total": [n1 + n2]})
    columns = {
        "baseline": results.estimate("number", "Baseline rate (proportion)"),
        "target": results.estimate("number", "Rate to detect (proportion)"),
        "lift": results.estimate("points", "Change to detect"),
        "effect_size_h": results.estimate("number", "Effect size (Cohen's h)", technical=True),
        **_planning_columns(),
        "ratio": results.estimate("number", "Other arm's size relative to the baseline arm",
                                  technical=True),
        "n_exact": results.estimate("number", "People per baseline arm (unrounded)",
                                    technical=True),
        "n_per_arm": results.count("People needed in the baseline variant", unit=_PLANNED),
        "n_other_arm": results.count("People needed in the other variant", unit=_PLANNED),
        "n_total": results.count("People needed in all", unit=_PLANNED),
    }
    sizes = ("Both variants are the same size." if ratio == 1 else
             f"The other variant is {_plain_number(ratio)} times the size of the "
             f"baseline variant.")
    return Result(table, columns, title="People needed per variant to detect the planned "
                  "change", constants={**_planning_constants(alpha, power), "ratio": sizes},
                  notes=(_PLANNING_NOTE,), kind="channels.sample_size_per_arm")


def minimum_detectable_effect(*, baseline: float, n_per_arm: int, alpha: float = 0.05,
                              power: float = 0.8) -> Result:
    """Smallest absolute change in rate detectable with ``n_per_arm`` people in each arm.

    Same test and approximation as :func:`sample_size_per_arm` (equal arms). On the
    arcsine scale an increase and a decrease of the same ``h`` differ in percentage
    points, so both are given; ``mde`` is the smaller.

    Parameters
    ----------
    baseline : float
        Baseline rate, in (0, 1).
    n_per_arm : int
        People in each arm.
    alpha, power : float
        Two-sided significance level and power.

    Returns
    -------
    Result
        "Smallest change detectable", one row: ``baseline`` (a number 0-1),
        ``n_per_arm`` (unit "planned recipients"), ``alpha``, ``power``,
        ``effect_size_h`` (technical; alpha and power said as constants),
        ``mde_increase`` (absolute lift upwards, points; NaN when not reachable below a
        rate of 1), ``mde_decrease`` (absolute drop, positive; NaN when not reachable
        above 0), ``mde`` (the smaller of the two).
    """
    baseline = _check_rate(baseline, "baseline")
    alpha = _check_alpha(alpha)
    power = _check_alpha(power, "power")
    if power <= alpha:
        raise ValueError(f"power ({power}) must exceed alpha ({alpha})")
    if not isinstance(n_per_arm, (int, np.integer, float)) or not n_per_arm > 0:
        raise ValueError(f"n_per_arm must be a positive number, got {n_per_arm!r}")
    h = optimize.brentq(lambda e: _power(e, float(n_per_arm), 1.0, alpha) - power,
                        1e-12, 50.0, xtol=1e-13)
    phi = math.asin(math.sqrt(baseline))
    up = phi + h / 2
    down = phi - h / 2
    inc = math.sin(up) ** 2 - baseline if up < math.pi / 2 else float("nan")
    dec = baseline - math.sin(down) ** 2 if down > 0 else float("nan")
    mde = (float(np.nanmin([inc, dec])) if not (math.isnan(inc) and math.isnan(dec))
           else float("nan"))
    table = pd.DataFrame({"baseline": [baseline], "n_per_arm": [n_per_arm], "alpha": [alpha],
                          "power": [power], "effect_size_h": [h], "mde_increase": [inc],
                          "mde_decrease": [dec], "mde": [mde]})
    columns = {
        "baseline": results.estimate("number", "Baseline rate (proportion)"),
        "n_per_arm": results.count("People in each variant", unit=_PLANNED),
        **_planning_columns(),
        "effect_size_h": results.estimate("number", "Effect size (Cohen's h)", technical=True),
        "mde_increase": results.estimate("points", "Smallest detectable increase"),
        "mde_decrease": results.estimate("points", "Smallest detectable decrease (its size)"),
        "mde": results.estimate("points", "Smallest detectable change (the smaller)"),
    }
    return Result(table, columns, title="Smallest change detectable with this many people per "
                  "variant", constants=_planning_constants(alpha, power),
                  notes=(_PLANNING_NOTE,), kind="channels.minimum_detectable_effect")


# --------------------------------------------------------------------------- wording

def _level(res: Result) -> str:
    """The confidence level of a Result's intervals ("95%"), from its alpha column (the same
    on every row; a row's cell may be hidden, the level is not)."""
    alpha = res["alpha"].dropna() if "alpha" in res.columns else pd.Series(dtype=float)
    return _percent(1 - float(alpha.iloc[0])) if len(alpha) else "95%"


def _result(value, what: str) -> Result:
    if not isinstance(value, Result):
        raise TypeError(f"{what} takes the Result of the analysis (as computed, or after "
                        f"privacy.control), not {type(value).__name__}")
    return value


def describe_pairwise(tests: Result) -> str:
    """Plain-language sentences, one per pair, from :func:`pairwise_tests`.

    Randomised designs are worded as comparisons ("X's rate was higher than Y's by d
    percentage points (95% CI a to b; Holm-adjusted p = ...)" or "no clear difference
    between X and Y"); observational ones as associations that are not evidence the
    channel causes the difference. The higher arm is named first, so the difference and
    its interval read as positive. "Clear" means ``reject`` (adjusted p <= alpha).

    After disclosure control a pair whose difference is hidden (an arm with too few people
    or sign-ups) is said to be too small to show, and a hidden p-value is not quoted (nor
    is the verdict it would give).

    Parameters
    ----------
    tests : Result
        Output of :func:`pairwise_tests`, as computed or after
        :func:`engagement.privacy.control`. Not modified.

    Returns
    -------
    str
        The sentences, one per line, in the order of ``tests``.
    """
    what = "describe_pairwise"
    res = _result(tests, what)
    need = ["arm_a", "arm_b", "difference", "diff_ci_low", "diff_ci_high", "p_adjusted",
            "correction", "alpha", "reject"]
    require_columns(res.table, need, what)
    if res.design not in ("randomised", "observational"):
        raise ValueError(f"{what}: the Result's design must be 'randomised' or "
                         f"'observational', got {res.design!r}")
    # An adjusted p-value depends on the other p-values of its family (Holm's maximum over
    # smaller ones, Benjamini-Hochberg's minimum over larger ones): one can equal a
    # multiple of a hidden p-value. When any p-value is hidden, no adjusted one is quoted.
    corrected = bool((res.table["correction"].fillna("none") != "none").any())
    family_hidden = corrected and res.any_hidden(None, ["p_value", "p_adjusted", "z"])
    level = _level(res)
    lines = []
    for i, row in enumerate(res.table.itertuples(index=False)):
        corr = None if row.correction in (None, "none") else row.correction
        label = _CORRECTION_LABEL.get(corr, f"{row.correction}-adjusted p")
        a, b, d = row.arm_a, row.arm_b, row.difference
        if results.hidden(res, i, ["difference", "diff_ci_low", "diff_ci_high"]):
            lines.append(f"{a} and {b}: too few people to show the comparison.")
            continue
        lo, hi = row.diff_ci_low, row.diff_ci_high
        if d < 0:
            # Name the higher arm first so the difference and its interval read positive.
            a, b, d, lo, hi = b, a, -d, -hi, -lo
        dec = estats.interval_decimals("points", lo, hi, d)
        size = estats.format_points(d, dec, sign=False)
        signed = estats.format_points(d, dec)
        if not (estats.finite(lo) and estats.finite(hi)):
            ci = "no interval"
        elif lo == hi:
            ci = "no interval: no variation in either variant"
        else:
            # the interval's own level: adjusted like the p-value (see pairwise_tests)
            own = getattr(row, "diff_level", None)
            said = estats.level_text(own) if own is not None and estats.finite(own) else level
            ci = f"{said} CI {estats.format_points(lo, dec)} to {estats.format_points(hi, dec)}"
        if results.hidden(res, i, ["p_adjusted", "reject"]):
            # without the p-value there is no verdict either
            lines.append(f"{a} minus {b}: {signed} percentage points ({ci}).")
            continue
        stat = "" if family_hidden else f"; {estats.p_phrase(row.p_adjusted, label=label)}"
        clear = bool(row.reject) and d != 0
        if res.design == "randomised":
            if clear:
                lines.append(f"{a}'s rate was higher than {b}'s by {size} "
                             f"percentage points ({ci}{stat}).")
            else:
                lines.append(f"There was no clear difference between {a} and {b} "
                             f"({a} minus {b}: {signed} percentage points, {ci}{stat}).")
        else:
            if clear:
                lines.append(f"In this observational comparison, people reached through {a} "
                             f"are associated with a rate {size} percentage points "
                             f"higher than those reached through {b} ({ci}{stat}); "
                             f"this is an association, not evidence that the channel "
                             f"causes it.")
            else:
                lines.append(f"In this observational comparison there was no clear "
                             f"difference between {a} and {b} ({a} minus {b}: {signed} "
                             f"percentage points, {ci}{stat}); either way such a "
                             f"comparison shows association, not evidence that the "
                             f"channel causes it.")
    if family_hidden and any(not results.hidden(res, i, ["difference"]) for i in range(len(res))):
        lines.append("Adjusted p-values are not quoted: the adjustment involves a comparison "
                     "with too few people to show.")
    return "\n".join(lines)


# =========================================================================== post level
#
# Outreach posts: one row per post on one channel (the contract's ``outreach`` table).
# Impressions on one post are not independent trials -- the post's content, timing and
# the platform's algorithm make every impression of it alike -- so the unit of analysis
# is the POST. A binomial interval on pooled impressions treats millions of impressions
# as independent and is far too narrow; the functions below resample or model posts.

ADJUSTMENTS = ("month", "weekday")
"""Calendar terms :func:`rate_ratios` can adjust for (from ``published_at``, UTC)."""


def _prepare_posts(outreach: pd.DataFrame, *, by: str, numerator: str, denominator: str,
                   drop_impossible: bool, what: str, extra=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Usable posts and, per group, how many rows were left out and why.

    Returns ``(posts, left_out)``: ``posts`` has the group in ``_g``, numerator ``_x`` and
    denominator ``_n`` as floats plus the `extra` columns; ``left_out`` is indexed by group
    with columns impossible_left_out, no_exposures, missing_numerator. Each row is counted
    under the first reason that applies, in that order.
    """
    if not isinstance(drop_impossible, (bool, np.bool_)):
        raise ValueError(f"{what}: drop_impossible must be True or False, "
                         f"got {drop_impossible!r}")
    require_columns(outreach, [by, numerator, denominator, *extra], what)
    if outreach[by].isna().any():
        i = int(np.flatnonzero(outreach[by].isna().to_numpy())[0])
        raise ValueError(f"{what}: column {by!r} has a missing group on row {i + 1}")
    x = pd.to_numeric(outreach[numerator], errors="coerce").astype(float)
    n = pd.to_numeric(outreach[denominator], errors="coerce").astype(float)
    for col, values in ((numerator, x), (denominator, n)):
        bad = (values < 0).to_numpy() | (values.isna() & outreach[col].notna()).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{what}: column {col!r} must hold non-negative numbers; "
                             f"row {i + 1} has {outreach[col].iloc[i]!r}")
    if "impossible" in outreach.columns:
        # The loaders' flag also covers clicks above exposures: such a row's counts are
        # not trustworthy, whichever count broke the rule.
        impossible = outreach["impossible"].fillna(False).astype(bool).to_numpy()
        impossible = impossible | (x > n).fillna(False).to_numpy()
    else:
        impossible = (x > n).fillna(False).to_numpy()
    if not drop_impossible:
        impossible = np.zeros(len(outreach), dtype=bool)
    no_exp = ~impossible & (n.isna() | (n == 0)).to_numpy()
    no_num = ~impossible & ~no_exp & x.isna().to_numpy()
    keep = ~(impossible | no_exp | no_num)
    groups = outreach[by]
    left_out = pd.DataFrame({"impossible_left_out": impossible, "no_exposures": no_exp,
                             "missing_numerator": no_num}).groupby(groups.to_numpy()).sum()
    posts = pd.DataFrame({"_g": groups.to_numpy()[keep], "_x": x.to_numpy()[keep],
                          "_n": n.to_numpy()[keep]})
    for col in extra:
        posts[col] = outreach[col].to_numpy()[keep]
    return posts, left_out.astype(np.int64)


def _words(name: str) -> str:
    """A column name as words: ``published_at`` -> ``published at``."""
    return str(name).replace("_", " ")


def _singular(words: str) -> str:
    return words[:-1] if words.endswith("s") else words


def _post_unit(column: str) -> str:
    """What a post-level count column counts (impressions, engagements, clicks...)."""
    return _POST_UNITS.get(str(column).lower(), _words(column))


def _percentile(values: np.ndarray, alpha: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan, np.nan
    lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _check_boot(n_boot) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise ValueError(f"n_boot must be a whole number >= 100, got {n_boot!r}")
    return int(n_boot)


def channel_rates(outreach: pd.DataFrame, *, by: str = "channel",
                  numerator: str = "engagements", denominator: str = "exposures",
                  n_boot: int = 2000, seed: int = 0, alpha: float = 0.05,
                  drop_impossible: bool = True, randomised: bool = False) -> Result:
    """Per-group pooled rate with a post-level (cluster) bootstrap interval.

    The pooled rate is ``sum(numerator) / sum(denominator)`` over a group's posts. Its
    interval comes from resampling *posts* with replacement within the group (percentile
    bootstrap, seeded), because impressions of one post are not independent trials. The
    Wilson interval on the pooled impressions (``naive_ci_*``) treats them as independent;
    it is shown only for comparison and is far too narrow when post rates vary.

    Rows left out (each counted once, under the first reason that applies):

    * impossible rows, when `drop_impossible` -- the ``impossible`` column is True (the
      loaders set it when engagements or clicks exceed exposures) or the numerator exceeds
      the denominator. Their counts cannot all be right, so they are not used; with
      ``drop_impossible=False`` they are kept as they are (a post rate may then exceed 1);
    * posts whose denominator is missing or zero (no rate can be formed);
    * posts whose numerator is missing (e.g. Facebook's blank ``Engaged users``).

    Parameters
    ----------
    outreach : DataFrame
        One row per post (the contract's ``outreach`` table); needs `by`, `numerator`,
        `denominator`; ``impossible`` is used when present. Not modified.
    by : str
        The column whose groups are compared (default ``channel``).
    numerator, denominator : str
        Count columns forming the rate (default engagements per exposure).
    n_boot : int
        Bootstrap resamples (>= 100).
    seed : int
        Seed of the bootstrap's random generator.
    alpha : float
        1 - confidence level of both intervals.
    drop_impossible : bool
        Leave out impossible rows (see above).
    randomised : bool
        Whether posts were assigned to the groups at random; only sets the Result's
        ``design`` ("randomised" / "observational").

    Returns
    -------
    Result
        One row per group (sorted), columns: `by` (label, the partition), measure
        (``"<numerator>/<denominator>"``, technical, said once as a constant), posts
        (used; unit "posts"), `denominator` and `numerator` (sums over the posts used;
        units "impressions" and "engagements" for the default columns: not learners),
        rate (pooled share), naive_ci_low, naive_ci_high (Wilson on pooled impressions --
        wrong, for comparison), ci_low, ci_high (post-level bootstrap), mean_post_rate
        (unweighted mean of per-post rates), impossible_left_out, no_exposures,
        missing_numerator (posts), n_boot, alpha (technical, said once as constants). No
        ``n``: posts are not people. A group whose rows were all left out has posts 0 and
        missing rates.
    """
    what = "channel_rates"
    alpha = _check_alpha(alpha)
    n_boot = _check_boot(n_boot)
    design = _design(randomised)
    posts, left_out = _prepare_posts(outreach, by=by, numerator=numerator,
                                     denominator=denominator,
                                     drop_impossible=drop_impossible, what=what)
    rng = np.random.default_rng(seed)
    rows = []
    for group in sorted(left_out.index, key=str):
        part = posts[posts["_g"] == group]
        x, n = part["_x"].to_numpy(), part["_n"].to_numpy()
        k = len(part)
        row = {by: group, "measure": f"{numerator}/{denominator}", "posts": k,
               denominator: n.sum(), numerator: x.sum()}
        if k:
            row["rate"] = x.sum() / n.sum()
            lo, hi = wilson_interval(x.sum(), n.sum(), alpha=alpha)
            row["naive_ci_low"], row["naive_ci_high"] = float(lo), float(hi)
            # Resample in chunks so a group of many posts does not need n_boot x k memory.
            step = max(1, 2_000_000 // k)
            boot = np.empty(n_boot)
            for start in range(0, n_boot, step):
                idx = rng.integers(0, k, size=(min(step, n_boot - start), k))
                boot[start:start + len(idx)] = x[idx].sum(axis=1) / n[idx].sum(axis=1)
            row["ci_low"], row["ci_high"] = _percentile(boot, alpha)
            row["mean_post_rate"] = float(np.mean(x / n))
        else:
            row.update(rate=np.nan, naive_ci_low=np.nan, naive_ci_high=np.nan,
                       ci_low=np.nan, ci_high=np.nan, mean_post_rate=np.nan)
        row.update(left_out.loc[group].to_dict())
        row.update(n_boot=n_boot, alpha=alpha)
        rows.append(row)
    names = [by, "measure", "posts", denominator, numerator, "rate", "naive_ci_low",
             "naive_ci_high", "ci_low", "ci_high", "mean_post_rate", "impossible_left_out",
             "no_exposures", "missing_numerator", "n_boot", "alpha"]
    table = pd.DataFrame(rows, columns=names)
    level = _percent(1 - alpha)
    num, den = _words(numerator), _words(denominator)
    columns = {
        by: results.label(_words(by).capitalize()),
        "measure": results.text("Measure", technical=True),
        "posts": results.count("Posts used", unit="posts"),
        denominator: results.count(den.capitalize(), unit=_post_unit(denominator)),
        numerator: results.count(num.capitalize(), unit=_post_unit(numerator)),
        "rate": results.share(f"Rate of {num} per {_singular(den)} (pooled)", of=numerator,
                              over=denominator),
        "naive_ci_low": results.Column("low", f"Naive {level} interval ({den} as independent "
                                       f"trials), from", of="rate"),
        "naive_ci_high": results.Column("high", f"Naive {level} interval ({den} as "
                                        f"independent trials), to", of="rate"),
        "ci_low": results.Column("low", f"{level} interval (posts resampled), from", of="rate"),
        "ci_high": results.Column("high", f"{level} interval (posts resampled), to",
                                  of="rate"),
        # an unweighted mean of the posts' rates, not numerator / denominator: of/over name
        # the counts it depends on
        "mean_post_rate": results.Column("share", "Mean of the posts' rates", of=numerator,
                                         over=denominator),
        "impossible_left_out": results.count(f"Impossible posts left out ({num} or clicks "
                                             f"above {den})", unit="posts"),
        "no_exposures": results.count(f"Posts left out with no {den}", unit="posts"),
        "missing_numerator": results.count(f"Posts left out with {num} missing",
                                           unit="posts"),
        "n_boot": results.estimate("number", "Bootstrap resamples", technical=True),
        "alpha": results.estimate("number", "Significance level", technical=True),
    }
    constants = {
        "measure": f"The rate is {num} per {_singular(den)}, pooled over each {_words(by)}'s "
                   f"posts.",
        "n_boot": f"Intervals from {estats.format_count(n_boot)} bootstrap resamples of posts: "
                  f"the post, not the {_singular(den)}, is the unit.",
        "alpha": f"Intervals are {level}.",
    }
    # the groups are disjoint sets of posts
    return Result(table, columns, title=f"Rate of {num} per {_singular(den)}, by {_words(by)}",
                  design=design, partition=by, constants=constants,
                  notes=(f"The naive interval treats every one of the {den} as an independent "
                         f"trial and is shown only to show how much too narrow it is.",),
                  kind="channels.channel_rates")


def _reference(posts: pd.DataFrame, reference, what: str):
    """The named reference group, or (None) the group with most posts, ties by name."""
    groups = posts["_g"]
    if reference is None:
        sizes = groups.value_counts()
        if sizes.empty:
            raise ValueError(f"{what}: no usable posts")
        top = sizes[sizes == sizes.max()].index
        return sorted(top, key=str)[0]
    if not (groups == reference).any():
        raise ValueError(f"{what}: reference {reference!r} has no usable posts; groups "
                         f"with posts: {', '.join(map(str, sorted(groups.unique(), key=str)))}")
    return reference


def _adjust_terms(adjust, what: str) -> tuple[str, ...]:
    if adjust is None:
        return ()
    if isinstance(adjust, str):
        adjust = (adjust,)
    adjust = tuple(adjust)
    bad = [a for a in adjust if a not in ADJUSTMENTS]
    if bad:
        raise ValueError(f"{what}: adjust must be drawn from {', '.join(ADJUSTMENTS)}; "
                         f"got {', '.join(map(repr, bad))}")
    return adjust


def _design_matrix(posts: pd.DataFrame, reference, terms) -> tuple[pd.DataFrame, list]:
    """Intercept, group dummies (reference left out) and calendar dummies; terms used."""
    groups = sorted(posts["_g"].unique(), key=str)
    cols = {"const": np.ones(len(posts))}
    for g in groups:
        if g != reference:
            cols[("group", g)] = (posts["_g"] == g).to_numpy(dtype=float)
    when = pd.to_datetime(posts["published_at"], utc=True) if terms else None
    used = []
    for term in terms:
        level = when.dt.month if term == "month" else when.dt.dayofweek
        levels = sorted(level.unique())
        if len(levels) < 2:
            continue  # one level: nothing to adjust for
        used.append(term)
        for v in levels[1:]:
            cols[(term, int(v))] = (level == v).to_numpy(dtype=float)
    return pd.DataFrame(cols), used


def rate_ratios(outreach: pd.DataFrame, *, by: str = "channel", reference=None,
                adjust=ADJUSTMENTS, numerator: str = "engagements",
                denominator: str = "exposures", alpha: float = 0.05,
                drop_impossible: bool = True, randomised: bool = False) -> Result:
    """Odds ratios of the post engagement rate between groups, from a quasi-binomial GLM.

    Fits a binomial GLM (logit link) to each post's ``numerator / denominator`` with the
    denominator as variance weights -- the same likelihood as a binomial on the post's
    counts -- on the group (treatment-coded against `reference`) plus calendar month
    (1-12) and weekday of ``published_at`` in UTC when `adjust` names them and they have
    more than one level. The scale is the Pearson chi-square dispersion (``scale="X2"``,
    i.e. quasi-binomial), so standard errors grow with the extra-binomial variation
    between posts instead of treating impressions as independent trials. The ratio
    reported is an ODDS ratio; for rates of a few percent it is close to the rate ratio.
    Intervals and p-values are Wald (normal) on the log-odds scale.

    Rows are left out as in :func:`channel_rates` (impossible rows when
    `drop_impossible`, zero or missing denominator, missing numerator).

    Parameters
    ----------
    outreach : DataFrame
        One row per post; needs `by`, `numerator`, `denominator`, and ``published_at``
        when `adjust` is not empty. Not modified.
    by : str
        The grouping column.
    reference : optional
        The group the others are compared with; default the group with most posts.
    adjust : sequence of {"month", "weekday"} or None
        Calendar terms to adjust for.
    numerator, denominator : str
        Count columns forming the rate.
    alpha : float
        1 - confidence level.
    drop_impossible : bool
        Leave out impossible rows.
    randomised : bool
        Whether posts were assigned to groups at random; only sets the Result's ``design``.

    Returns
    -------
    Result
        One row per group other than the reference (sorted), columns: `by`, reference
        (labels), odds_ratio (ratio) with ci_low, ci_high, p_value, dispersion (Pearson
        chi2 / residual df; technical), n_posts (this group's posts used),
        n_posts_reference, n_posts_model (all posts in the fit; technical),
        adjusted_for ("month, weekday" as used, or "none"; technical, said as a constant),
        alpha (technical, said as a constant). Counts are of posts: no ``n``.

    Raises
    ------
    ValueError
        Missing columns, a bad option, fewer than two groups with posts, or a design that
        cannot be estimated (e.g. a group posting only in one month confounded with it).
    """
    import statsmodels.api as sm

    what = "rate_ratios"
    alpha = _check_alpha(alpha)
    design = _design(randomised)
    terms = _adjust_terms(adjust, what)
    extra = ("published_at",) if terms else ()
    posts, _ = _prepare_posts(outreach, by=by, numerator=numerator, denominator=denominator,
                              drop_impossible=drop_impossible, what=what, extra=extra)
    reference = _reference(posts, reference, what)
    if posts["_g"].nunique() < 2:
        raise ValueError(f"{what}: need at least two groups with usable posts")
    if terms and posts["published_at"].isna().any():
        raise ValueError(f"{what}: published_at is missing for some posts; "
                         f"use adjust=None or fill it")
    exog, used = _design_matrix(posts, reference, terms)
    if np.linalg.matrix_rank(exog.to_numpy()) < exog.shape[1]:
        raise ValueError(f"{what}: the groups cannot be separated from {', '.join(used)} "
                         f"(collinear design); use fewer adjustment terms")
    if len(posts) <= exog.shape[1]:
        raise ValueError(f"{what}: {len(posts)} posts are too few for "
                         f"{exog.shape[1]} parameters")
    endog = posts["_x"].to_numpy() / posts["_n"].to_numpy()
    model = sm.GLM(endog, exog.to_numpy(), family=sm.families.Binomial(),
                   var_weights=posts["_n"].to_numpy())
    fit = model.fit(scale="X2")
    z = stats.norm.ppf(1 - alpha / 2)
    names = list(exog.columns)
    sizes = posts["_g"].value_counts()
    rows = []
    for j, name in enumerate(names):
        if not (isinstance(name, tuple) and name[0] == "group"):
            continue
        b, se = fit.params[j], fit.bse[j]
        rows.append({by: name[1], "reference": reference, "odds_ratio": math.exp(b),
                     "ci_low": math.exp(b - z * se), "ci_high": math.exp(b + z * se),
                     "p_value": float(fit.pvalues[j]), "dispersion": float(fit.scale),
                     "n_posts": int(sizes[name[1]]),
                     "n_posts_reference": int(sizes[reference]),
                     "n_posts_model": len(posts),
                     "adjusted_for": ", ".join(used) or "none", "alpha": alpha})
    names = [by, "reference", "odds_ratio", "ci_low", "ci_high", "p_value", "dispersion",
             "n_posts", "n_posts_reference", "n_posts_model", "adjusted_for", "alpha"]
    table = pd.DataFrame(rows, columns=names)
    level = 1 - alpha
    low, high = results.interval("odds_ratio", level=level)
    num, den = _words(numerator), _words(denominator)
    columns = {
        by: results.label(_words(by).capitalize()),
        "reference": results.label("Compared with"),
        "odds_ratio": results.estimate("ratio", f"Odds ratio of {num} per {_singular(den)}"),
        "ci_low": low, "ci_high": high,
        "p_value": results.estimate("p", "p-value"),
        "dispersion": results.estimate("number", "Dispersion (Pearson chi-square / residual "
                                       "df)", technical=True),
        "n_posts": results.count("Posts", unit="posts"),
        "n_posts_reference": results.count("Posts of the one compared with", unit="posts"),
        "n_posts_model": results.count("Posts in the model", unit="posts", technical=True),
        "adjusted_for": results.text("Adjusted for", technical=True),
        "alpha": results.estimate("number", "Significance level", technical=True),
    }
    adjusted = (f"Adjusted for the calendar {' and '.join(used)} of posting (UTC)." if used
                else "Not adjusted for when the posts went out.")
    constants = {"adjusted_for": adjusted,
                 "alpha": f"Intervals are {_percent(level)} (Wald, on the log-odds scale)."}
    return Result(table, columns, title=f"Odds of {num} per {_singular(den)} against "
                  f"{reference}, by {_words(by)}", design=design, constants=constants,
                  notes=("Odds ratios from a quasi-binomial model of each post's rate: its "
                         "dispersion widens the intervals for the variation between posts. "
                         "For rates of a few percent an odds ratio is close to the rate "
                         "ratio.",),
                  kind="channels.rate_ratios")


def paired_by_message(outreach: pd.DataFrame, *, message: str = "message", by: str = "channel",
                      reference=None, n_boot: int = 2000, seed: int = 0,
                      numerator: str = "engagements", denominator: str = "exposures",
                      alpha: float = 0.05, drop_impossible: bool = True,
                      randomised: bool = False) -> Result:
    """Compare groups within message: the same message sent out on several channels.

    For each message the rate on each channel is the pooled ``sum(numerator) /
    sum(denominator)`` of that message's posts there (usually one post). For each channel
    against `reference`, only messages posted on both count; the difference (channel minus
    reference) is averaged over them, with a paired bootstrap interval (messages resampled
    with replacement, seeded, percentile) and the paired t-test p-value
    (:func:`scipy.stats.ttest_rel`). Pairing removes what differs between messages (topic,
    timing); it does not make the channels randomised.

    Rows are left out as in :func:`channel_rates`.

    Parameters
    ----------
    outreach : DataFrame
        One row per post; needs `message`, `by`, `numerator`, `denominator`. Not modified.
    message : str
        The column identifying the message (e.g. a campaign id or the post text).
    by : str
        The grouping column.
    reference : optional
        The group compared against; default the group with most posts.
    n_boot, seed : int
        Bootstrap resamples (>= 100) and seed.
    numerator, denominator : str
        Count columns forming the rate.
    alpha : float
        1 - confidence level.
    drop_impossible : bool
        Leave out impossible rows.
    randomised : bool
        Whether channels were assigned at random within message; only sets the Result's
        ``design``.

    Returns
    -------
    Result
        One row per group other than the reference (sorted), columns: `by`, reference
        (labels), n_messages (messages on both; unit "messages"), mean_difference (points:
        rate, channel minus reference), ci_low, ci_high (its paired bootstrap interval),
        p_value (paired t-test; NaN with fewer than 2 messages), n_boot, alpha (technical,
        said once as constants). No ``n``: messages are not people.

    Raises
    ------
    ValueError
        When the `message` column (or another needed column) is absent, or an option is bad.
    """
    what = "paired_by_message"
    if message not in getattr(outreach, "columns", []):
        raise ValueError(f"{what}: no column {message!r} identifying the message sent on "
                         f"several channels; pass message=<column> (columns: "
                         f"{', '.join(map(str, getattr(outreach, 'columns', [])))})")
    alpha = _check_alpha(alpha)
    n_boot = _check_boot(n_boot)
    design = _design(randomised)
    posts, _ = _prepare_posts(outreach, by=by, numerator=numerator, denominator=denominator,
                              drop_impossible=drop_impossible, what=what, extra=(message,))
    posts = posts[posts[message].notna()]
    reference = _reference(posts, reference, what)
    sums = posts.groupby([message, "_g"])[["_x", "_n"]].sum()
    rates = (sums["_x"] / sums["_n"]).unstack("_g")
    rng = np.random.default_rng(seed)
    rows = []
    for group in sorted(rates.columns, key=str):
        if group == reference:
            continue
        both = rates[[group, reference]].dropna()
        a, b = both[group].to_numpy(), both[reference].to_numpy()
        k = len(both)
        d = a - b
        row = {by: group, "reference": reference, "n_messages": k,
               "mean_difference": float(d.mean()) if k else np.nan}
        if k >= 2:
            idx = rng.integers(0, k, size=(n_boot, k))
            row["ci_low"], row["ci_high"] = _percentile(d[idx].mean(axis=1), alpha)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # identical pairs: p is NaN
                row["p_value"] = float(stats.ttest_rel(a, b).pvalue)
        else:
            row.update(ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
        row.update(n_boot=n_boot, alpha=alpha)
        rows.append(row)
    names = [by, "reference", "n_messages", "mean_difference", "ci_low", "ci_high",
             "p_value", "n_boot", "alpha"]
    table = pd.DataFrame(rows, columns=names)
    level = _percent(1 - alpha)
    num, den = _words(numerator), _words(denominator)
    columns = {
        by: results.label(_words(by).capitalize()),
        "reference": results.label("Compared with"),
        "n_messages": results.count("Messages sent on both", unit="messages"),
        "mean_difference": results.estimate("points", f"Difference in the rate of {num} per "
                                            f"{_singular(den)} (mean over messages)"),
        "ci_low": results.Column("low", f"{level} interval (messages resampled), from",
                                 of="mean_difference"),
        "ci_high": results.Column("high", f"{level} interval (messages resampled), to",
                                  of="mean_difference"),
        "p_value": results.estimate("p", "p-value (paired t-test)"),
        "n_boot": results.estimate("number", "Bootstrap resamples", technical=True),
        "alpha": results.estimate("number", "Significance level", technical=True),
    }
    constants = {
        "n_boot": f"Intervals from {estats.format_count(n_boot)} paired bootstrap resamples "
                  f"of messages.",
        "alpha": f"Intervals are {level}.",
    }
    return Result(table, columns, title=f"The same message on each {_words(by)}: rate of "
                  f"{num} per {_singular(den)} minus {reference}'s", design=design,
                  constants=constants,
                  notes=("Only messages sent on both are compared, which removes what differs "
                         "between messages (topic, timing) from the comparison"
                         + ("." if randomised else "; it does not make the comparison "
                                                   "randomised."),),
                  kind="channels.paired_by_message")


def describe_channel_rates(rates: Result, *, randomised: bool) -> str:
    """Plain-language sentences from :func:`channel_rates`.

    One sentence per group (pooled rate, its post-level interval and the naive one for
    contrast), then what the design allows one to conclude -- for observational data,
    that rates are *associated with* the channel and are not evidence that the channel
    causes them -- and how many rows were left out as impossible, without exposures or
    without a numerator. After disclosure control a hidden rate or count is not quoted:
    the group is said to be too small to show.

    Parameters
    ----------
    rates : Result
        Output of :func:`channel_rates`, as computed or after
        :func:`engagement.privacy.control`. Not modified.
    randomised : bool
        Whether posts were assigned to groups at random. Must agree with the Result's
        ``design``.

    Returns
    -------
    str
        The sentences, one per line.
    """
    what = "describe_channel_rates"
    res = _result(rates, what)
    design = _design(randomised)
    need = ["measure", "posts", "rate", "naive_ci_low", "naive_ci_high", "ci_low", "ci_high",
            "impossible_left_out", "no_exposures", "missing_numerator", "alpha"]
    require_columns(res.table, need, what)
    if res.empty:
        return "No groups to describe."
    if res.design != design:
        raise ValueError(f"{what}: randomised={randomised} but the rates were computed with "
                         f"design {res.design!r}")
    # The group column is the first column of channel_rates' output.
    by = list(res.columns)[0]
    num, den = str(res["measure"].iloc[0]).split("/", 1)
    rate_cells = ["rate", "naive_ci_low", "naive_ci_high", "ci_low", "ci_high"]
    level = _level(res)
    lines = []
    for i, row in enumerate(res.table.to_dict("records")):
        g = row[by]
        posts = ("" if results.hidden(res, i, ["posts"])
                 else f" {estats.count_phrase(row['posts'], 'post')};")
        if not results.hidden(res, i, ["posts"]) and row["posts"] == 0:
            lines.append(f"{g}: no usable posts.")
            continue
        if results.hidden(res, i, rate_cells):
            protecting = res.secondary is not None and all(
                bool(res.secondary[c].iloc[i]) for c in rate_cells if res.is_hidden(i, c))
            why = ("hidden so that a smaller group's number cannot be worked out from it"
                   if protecting else f"too few {num} to show")
            lines.append(f"{g}:{posts} the rate is not shown ({why}).")
            continue
        exp = (f" of {estats.format_count(row[den])} {den}"
               if den in row and not results.hidden(res, i, [den]) else "")
        ends = [row[c] for c in rate_cells[1:]]
        # two decimals at least (rates of a few percent), more if an interval needs them
        dec = max([2, estats.interval_decimals("share", ends[0], ends[1], row["rate"]),
                   estats.interval_decimals("share", ends[2], ends[3], row["rate"])])
        pct = [estats.format_share(v, dec) for v in [row["rate"], *ends]]
        lines.append(
            f"{g}:{posts} pooled rate of {num} per {_singular(den)} "
            f"{pct[0]}{exp} ({level} post-level bootstrap interval "
            f"{pct[3]} to {pct[4]}; the naive interval treating "
            f"impressions as independent, {pct[1]} to {pct[2]}, is too narrow).")
    if design == "randomised":
        lines.append("Posts were assigned to the groups at random, so differences in rate "
                     "beyond chance can be read as effects of the group.")
    else:
        lines.append(f"These data are observational: different posts went out on each "
                     f"{by} at different times, so a higher rate is associated with the "
                     f"{by}, but this is not evidence that the {by} causes it.")
    left_out = ["impossible_left_out", "no_exposures", "missing_numerator"]
    if res.any_hidden(None, left_out):
        # a sum over rows with a hidden cell would give that cell back
        lines.append(f"Some rows were left out (impossible, with no {den} or with {num} "
                     f"missing); how many is too few to show.")
        return "\n".join(lines)
    imp = int(res["impossible_left_out"].sum())
    noexp = int(res["no_exposures"].sum())
    nonum = int(res["missing_numerator"].sum())
    lines.append(f"{estats.format_count(imp)} impossible row{'s' if imp != 1 else ''} ({num} "
                 f"or clicks above {den}) {'were' if imp != 1 else 'was'} left out; "
                 f"{estats.count_phrase(noexp, 'post')} with no {den} and "
                 f"{estats.format_count(nonum)} with {num} missing were also left out.")
    return "\n".join(lines)


SOCIAL_CHANNELS = ("linkedin", "facebook", "x")


def social_posts(outreach: pd.DataFrame, *, campaign: str | None = None) -> pd.DataFrame:
    """The social-media posts of an outreach table, optionally of one campaign only.

    Parameters
    ----------
    outreach : DataFrame
        The contract's outreach table.
    campaign : str, optional
        Keep only rows whose ``campaign`` column equals this (the Labels text of the export).

    Returns
    -------
    DataFrame: the rows of `outreach` on LinkedIn, Facebook or X (of `campaign`).
    """
    require_columns(outreach, ["channel"], "outreach")
    posts = outreach[outreach["channel"].isin(SOCIAL_CHANNELS)]
    if campaign is not None:
        require_columns(outreach, ["campaign"], "outreach (a campaign was asked for)")
        if not (posts["campaign"] == campaign).any():
            known = ", ".join(map(repr, sorted(posts["campaign"].dropna().unique())[:10]))
            raise ValueError(f"no posts of campaign {campaign!r}; campaigns: {known or 'none'}")
        posts = posts[posts["campaign"] == campaign]
    return posts.reset_index(drop=True)


def describe_paired(paired: Result, *, randomised: bool) -> str:
    """Sentences on a within-message comparison (from :func:`paired_by_message`).

    One paragraph per channel against the reference: the mean difference in engagement
    rate over the messages sent on both, in percentage points with its paired bootstrap
    interval; worded as an effect when `randomised`, as an association otherwise. After
    disclosure control a hidden difference is not quoted (the channel is said to be too
    small to show), and a hidden p-value is left out.

    Parameters
    ----------
    paired : Result
        Output of :func:`paired_by_message`, as computed or after
        :func:`engagement.privacy.control`.
    randomised : bool
        Whether channels were assigned to messages at random.

    Returns
    -------
    str
        The paragraphs, separated by blank lines.
    """
    res = _result(paired, "describe_paired")
    require_columns(res.table, ["reference", "n_messages", "mean_difference", "ci_low",
                                "ci_high", "p_value"], "describe_paired")
    by = list(res.columns)[0]
    level = _level(res)
    lines = []
    for i, row in enumerate(res.table.to_dict("records")):
        channel, reference = row[by], row["reference"]
        within = ("Within the same messages" if results.hidden(res, i, ["n_messages"]) else
                  f"Within the same {estats.count_phrase(row['n_messages'], 'message')}")
        if results.hidden(res, i, ["mean_difference", "ci_low", "ci_high"]):
            lines.append(f"{within}, {channel} against {reference}: too few to show.")
            continue
        d, lo, hi = row["mean_difference"], row["ci_low"], row["ci_high"]
        if not estats.finite(d):
            lines.append(f"{within}, {channel} and {reference} cannot be compared "
                         f"(no message went out on both).")
            continue
        dec = estats.interval_decimals("points", lo, hi, d)
        has_ci = estats.finite(lo) and estats.finite(hi)
        diff = f"{estats.format_points(d, dec)} percentage points"
        interval = (f"{level} CI {estats.format_points(lo, dec)} to "
                    f"{estats.format_points(hi, dec)}" if has_ci else "no interval")
        clear = has_ci and (lo > 0 or hi < 0)
        p = ("" if results.hidden(res, i, ["p_value"])
             else f"; {estats.p_phrase(row['p_value'], label='paired t-test p')}")
        if not clear:
            lines.append(f"{within}, {channel} and {reference} show no clear difference in "
                         f"engagement rate ({diff}; {interval}).")
        elif randomised:
            lines.append(f"{within}, {channel}'s engagement rate was "
                         f"{'higher' if d > 0 else 'lower'} than {reference}'s by "
                         f"{estats.format_points(abs(d), dec, sign=False)} percentage points "
                         f"({interval}{p}).")
        else:
            lines.append(f"{within}, posts on {channel} were associated with a "
                         f"{'higher' if d > 0 else 'lower'} engagement rate than on "
                         f"{reference} ({diff}; {interval}); observational, not evidence "
                         f"that the channel causes it.")
    return "\n\n".join(lines)


def describe_agreement(paired: Result, ratios: Result) -> str:
    """One sentence saying whether the within-message comparison and the model adjusted for
    timing agree on each channel, and which one the page relies on when they do not.

    The within-message comparison is the split test's own design (the same message on every
    channel, so differences between messages cannot explain it); the adjusted model pools
    every post and can only allow for what it measures (month, weekday).
    """
    p, r = results.table_of(paired), results.table_of(ratios)
    said = []
    for i in range(len(p)):
        channel = p["channel"].iloc[i]
        match = np.flatnonzero((r["channel"] == channel).to_numpy())
        if not len(match) or results.hidden(paired, i, ["ci_low", "ci_high"]) or \
                results.hidden(ratios, int(match[0]), ["ci_low", "ci_high"]):
            continue
        j = int(match[0])
        within = "higher" if p["ci_low"].iloc[i] > 0 else "lower" if p["ci_high"].iloc[i] < 0 \
            else "no clear difference"
        model = "higher" if r["ci_low"].iloc[j] > 1 else "lower" if r["ci_high"].iloc[j] < 1 \
            else "no clear difference"
        if within != model:
            said.append(f"for {channel} the within-message comparison says {within} and the "
                        f"model adjusted for timing says {model}")
    if not said:
        return ("The within-message comparison and the model adjusted for timing agree on "
                "every channel.")
    return ("The two analyses disagree: " + "; ".join(said) + ". This page relies on the "
            "within-message comparison: the same message on each channel rules out differences "
            "between messages, which the adjusted model cannot.")
