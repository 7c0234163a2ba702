"""Beyond the first logins: who keeps coming back, and for how long.

Return after the k-th session, cohort retention by week since enrolment, time to
disengagement (Kaplan-Meier, log-rank), weekly lifecycle (new, returning, resurrecting,
dormant) and stickiness (active days per week, daily/28-day active ratio).

Where the data end matters (DESIGN.md). Each enrolment is observed until its
*observation end*::

    min(course observation_end, outcomes.completed_at if completed, course ends_at if set)

A learner quiet at the end of the data, after the course ended, or after completing has
not been observed to disengage: that time is censored, never counted as an event or as
"did not return". Every function here uses that per-learner observation end.

All functions take tidy tables (the contract's learners, courses and outcomes, and the
activity reductions ``sessions``, ``learner_days`` and ``learner_weeks``), never modify
them and raise ``ValueError`` naming missing columns. The analyses return an
:class:`engagement.results.Result` (the table, with what each column means, for display and
disclosure control); the learner-level tables (:func:`observation_end`,
:func:`disengagement`) are plain DataFrames. Proportions carry a Wilson 95% interval and
the n behind them. The ``describe_*`` functions word a sentence from a Result, as computed
or after :func:`engagement.privacy.control` (a hidden number is never said).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from engagement import results, stats
from engagement.schema import require_columns
from engagement.stats import wilson_interval  # moved to stats; still importable from here

KEYS = ["learner_id", "course"]
GROUP_COLUMNS = ("organisation", "acquisition_channel", "course")
UNKNOWN = "(unknown)"
_DAY = pd.Timedelta(days=1)
_EPOCH_MONDAY = pd.Timestamp("1970-01-05", tz="UTC")  # a Monday: week ordinals count from it
_ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
             "eighth", "ninth", "tenth", "eleventh", "twelfth")


# --------------------------------------------------------------------------- helpers

def _utc(series: pd.Series, what: str) -> pd.Series:
    """A timestamp column as datetime64[ns, UTC]; naive timestamps are refused, not guessed."""
    if series.isna().all():
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")
    if not pd.api.types.is_datetime64_any_dtype(series):
        try:
            series = pd.to_datetime(series)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what}: not timestamps ({exc})") from None
    if getattr(series.dt, "tz", None) is None:
        raise ValueError(f"{what}: timestamps must be timezone-aware UTC, not naive")
    return series.dt.tz_convert("UTC").dt.as_unit("ns")


def _ordinal(k: int) -> str:
    return _ORDINALS[k] if 0 <= k < len(_ORDINALS) else f"{k}th"


# --- Result columns and sentences ------------------------------------------------------------

_GROUP_LABELS = {"organisation": "Organisation", "acquisition_channel": "Acquisition channel",
                 "course": "Course"}


def _group_column(by: str) -> results.Column:
    """The column naming the groups of `by`: organisations are anonymised on partner pages."""
    text = _GROUP_LABELS.get(by, by.replace("_", " ").capitalize())
    return results.organisation(text) if by == "organisation" else results.label(text)


def _parameter(text: str) -> results.Column:
    # a parameter repeated on every row (within_days, df): not an estimate from the counts,
    # so declared like a label, which disclosure control never hides (not even in a row
    # hidden whole); researchers only (partners read the constant under the table)
    return results.label(text, technical=True)


def _days_text(value) -> str:
    """A number of days as a sentence says it: 14, 7.5."""
    decimals = next((d for d in (0, 1, 2) if round(float(value), d) == float(value)), 2)
    return stats.format_days(value, decimals)


def _too_small(res, rows, columns) -> bool:
    """Whether a hidden cell among `columns` of `rows` was hidden for being small itself
    (rather than to protect another cell: secondary suppression)."""
    if not results.hidden(res, rows, columns):
        return False
    if res.secondary is None:
        return True
    cols = [c for c in columns if c in res.hidden]
    block = res.hidden[cols].iloc[list(rows)] & ~res.secondary[cols].iloc[list(rows)]
    return bool(block.to_numpy().any())


_PROTECTED = "is not shown, so that a smaller group's numbers cannot be worked out from it"
"""What a sentence says of a group hidden to protect another (secondary suppression)."""


def _group_of(res, exclude=()) -> str | None:
    """The column naming the groups of a Result (its partition, or its first label)."""
    if isinstance(res, results.Result):
        if res.partition is not None and res.partition not in exclude:
            return res.partition
        names = [c for c in res.of_kind("label", "organisation")
                 if c not in exclude and not res.columns[c].technical]
        return names[0] if names else None
    return None


def observation_end(learners: pd.DataFrame, courses: pd.DataFrame,
                    outcomes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Until when each enrolment is observed, and what ends its observation.

    Parameters
    ----------
    learners : DataFrame
        The contract's learners table (learner_id, course, enrolled_at, group columns).
    courses : DataFrame
        The contract's courses table (course, ends_at, observation_end).
    outcomes : DataFrame, optional
        The contract's outcomes table; its ``completed_at`` censors (completion is not
        disengagement). Without it, nobody is treated as having completed.

    Returns
    -------
    DataFrame, one row per learner enrolment: the learners' columns, plus ``ends_at``,
    ``course_observation_end``, ``completed_at``, ``observed_until`` (the minimum of the
    three, nulls ignored) and ``ends_by`` ("completed", "course ended" or
    "observation end": which of them is the minimum; ties in that order).

    Raises
    ------
    ValueError
        Missing columns, naive timestamps, or learners whose course is not in `courses`.
    """
    require_columns(learners, KEYS, "learners")
    require_columns(courses, ["course", "ends_at", "observation_end"], "courses")
    lf = learners.copy()
    if "enrolled_at" in lf:
        lf["enrolled_at"] = _utc(lf["enrolled_at"], "learners.enrolled_at")
    crs = courses[["course", "ends_at", "observation_end"]].rename(
        columns={"observation_end": "course_observation_end"})
    crs = crs.assign(ends_at=_utc(crs["ends_at"], "courses.ends_at"),
                     course_observation_end=_utc(crs["course_observation_end"],
                                                 "courses.observation_end"))
    unknown = sorted(set(lf["course"]) - set(crs["course"]))
    if unknown:
        raise ValueError(f"learners: course(s) {', '.join(map(str, unknown[:5]))} are not in "
                         "the courses table, so their observation end is unknown")
    lf = lf.drop(columns=[c for c in ("ends_at", "course_observation_end", "completed_at")
                          if c in lf.columns])
    lf = lf.merge(crs, on="course", how="left")
    if outcomes is not None:
        require_columns(outcomes, [*KEYS, "completed_at"], "outcomes")
        done = outcomes[[*KEYS, "completed_at"]].drop_duplicates(KEYS)
        done = done.assign(completed_at=_utc(done["completed_at"], "outcomes.completed_at"))
        lf = lf.merge(done, on=KEYS, how="left")
    else:
        lf["completed_at"] = pd.Series(pd.NaT, index=lf.index, dtype="datetime64[ns, UTC]")
    until = lf["course_observation_end"]
    reason = pd.Series("observation end", index=lf.index, dtype=object)
    # ends_at before completed_at so that a tie goes to "completed"
    for col, why in (("ends_at", "course ended"), ("completed_at", "completed")):
        earlier = lf[col].notna() & (lf[col] <= until)
        until = until.where(~earlier, lf[col])
        reason = reason.where(~earlier, why)
    return lf.assign(observed_until=until, ends_by=reason)


def _group(lf: pd.DataFrame, by: str | None, what: str) -> pd.DataFrame:
    if by is None:
        return lf
    if by not in lf.columns:
        raise ValueError(f"{what}: by={by!r} is not a column of the learners table")
    return lf.assign(**{by: lf[by].astype(object).where(lf[by].notna(), UNKNOWN)})


# --------------------------------------------------------------------------- return after k

def return_after_k(sessions: pd.DataFrame, learners: pd.DataFrame, courses: pd.DataFrame, *,
                   outcomes: pd.DataFrame | None = None, k_max: int = 10,
                   within_days: float = 14, by: str | None = None) -> results.Result:
    """Share of learners who come back for a (k+1)-th session within `within_days` of their k-th.

    k = 0 is enrolment: the anchor is ``enrolled_at`` and "returning" means having a first
    session. For k >= 1 the anchor is the end of the k-th session (sessions numbered by
    ``started_at`` within learner and course). A learner counts as returned when the next
    session starts at most `within_days` after the anchor (for k = 0 a first session that
    starts before the recorded enrolment also counts: they did start).

    Censoring: a learner enters k's denominator (``at_risk``) only when observed for the
    whole window, ``anchor + within_days <= observed_until`` (see :func:`observation_end`:
    the course's observation end, its end date, and completion all stop observation).
    The others are ``censored``: left out, never counted as not returning, even when they
    came back inside the part of the window that was observed (counting only those would
    bias the share upwards).

    Parameters
    ----------
    sessions : DataFrame
        ``activity.sessions(events)``: learner_id, course, started_at, ended_at (UTC).
        Sessions of enrolments missing from `learners` are ignored.
    learners, courses : DataFrame
        The contract's tables.
    outcomes : DataFrame, optional
        The contract's outcomes; completion (``completed_at``) censors.
    k_max : int
        Largest k reported.
    within_days : float
        Length of the return window in days.
    by : str, optional
        A column of `learners` (organisation, course, acquisition_channel); missing values
        become "(unknown)".

    Returns
    -------
    Result (``retention.return_after_k``; n ``at_risk``, partitioned by `by`; observational
    when grouped), one row per k (0..k_max) and group of `by`: [by], k, at_risk, returned
    (part of at_risk), share (returned / at_risk; NaN when at_risk is 0), ci_low, ci_high
    (Wilson 95%), censored (had a k-th anchor but were not observed for the whole window),
    no_enrolment_date (k = 0 only: learners left out because enrolled_at is null; 0 for
    k >= 1), within_days (the last three technical; the window is said as a constant).
    """
    require_columns(sessions, [*KEYS, "started_at", "ended_at"], "sessions")
    require_columns(learners, [*KEYS, "enrolled_at"], "learners")
    if k_max < 0 or within_days < 0:
        raise ValueError("k_max and within_days must not be negative")
    lf = _group(observation_end(learners, courses, outcomes), by, "return_after_k")
    window = pd.Timedelta(days=within_days)
    keep = [*KEYS, "observed_until"] + ([by] if by and by not in KEYS else [])

    s = sessions[[*KEYS, "started_at", "ended_at"]].copy()
    s["started_at"] = _utc(s["started_at"], "sessions.started_at")
    s["ended_at"] = _utc(s["ended_at"], "sessions.ended_at")
    s = s.merge(lf[keep], on=KEYS, how="inner").sort_values([*KEYS, "started_at"],
                                                            kind="stable")
    s["k"] = s.groupby(KEYS).cumcount() + 1
    s["next_start"] = s.groupby(KEYS)["started_at"].shift(-1)

    # k = 0: enrolment is the anchor, the first session the return
    first = s.loc[s["k"] == 1, [*KEYS, "started_at"]].rename(columns={"started_at": "next_start"})
    enrol = lf.merge(first, on=KEYS, how="left")
    no_date = enrol["enrolled_at"].isna()
    anchors = [enrol.loc[~no_date].assign(k=0, anchor=enrol["enrolled_at"])[
        [*keep, "k", "anchor", "next_start"]]]
    later = s[s["k"] <= k_max].assign(anchor=s["ended_at"])
    anchors.append(later[[*keep, "k", "anchor", "next_start"]])
    a = pd.concat(anchors, ignore_index=True)
    a["observed"] = (a["anchor"] + window) <= a["observed_until"]
    a["back"] = a["observed"] & a["next_start"].notna() & (a["next_start"] <= a["anchor"] + window)

    groups = [by] if by else []
    counts = (a.groupby([*groups, "k"]).agg(at_risk=("observed", "sum"), returned=("back", "sum"),
                                            anchored=("observed", "size")))
    # every k for every group, even when nobody reached it
    if by:
        full = pd.MultiIndex.from_product([sorted(lf[by].unique(), key=str), range(k_max + 1)],
                                          names=[by, "k"])
    else:
        full = pd.Index(range(k_max + 1), name="k")
    out = counts.reindex(full, fill_value=0).reset_index()
    out["censored"] = out["anchored"] - out["at_risk"]
    nd = (enrol[no_date].groupby(groups).size() if by else pd.Series([int(no_date.sum())]))
    out["no_enrolment_date"] = 0
    k0 = out["k"] == 0
    out.loc[k0, "no_enrolment_date"] = (out.loc[k0, by].map(nd).fillna(0).to_numpy() if by
                                        else int(no_date.sum()))
    out = _proportion(out, "returned", "at_risk")
    out["within_days"] = within_days
    cols = [*groups, "k", "at_risk", "returned", "share", "ci_low", "ci_high", "censored",
            "no_enrolment_date", "within_days"]
    table = out[cols].astype({c: "int64" for c in
                              ("k", "at_risk", "returned", "censored", "no_enrolment_date")})
    days = _days_text(within_days)
    columns = {by: _group_column(by)} if by else {}
    columns.update(
        k=results.label("Sessions so far (k; 0 = enrolment)"),
        at_risk=results.count("Learners who had a k-th session"),
        returned=results.count(f"Learners who came back within {days} days", part_of="at_risk"),
        share=results.share(f"Came back within {days} days", of="returned", over="at_risk"))
    columns["ci_low"], columns["ci_high"] = results.interval("share")
    columns.update(
        censored=results.count("Not observed long enough to tell (left out)", technical=True),
        no_enrolment_date=results.count("No enrolment date (left out)", technical=True),
        within_days=_parameter("Return window (days)"))
    what = f", by {_group_column(by).label.lower()}" if by else ""
    return results.Result(
        table, columns, title=f"Learners who came back after their k-th session{what}",
        design="observational" if by else "descriptive", n="at_risk", partition=by,
        constants={"within_days": (
            f"Coming back means another session within {days} days of the end of the "
            f"previous one (for k = 0, a first session within {days} days of enrolling); "
            f"learners not observed for the whole {days} days are left out, not counted as "
            "not coming back.")},
        kind="retention.return_after_k")


def _proportion(df: pd.DataFrame, x: str, n: str) -> pd.DataFrame:
    df = df.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        df["share"] = np.where(df[n] > 0, df[x] / df[n].where(df[n] > 0, 1), np.nan)
    df["ci_low"], df["ci_high"] = wilson_interval(df[x], df[n])
    return df


def describe_return_after_k(res: results.Result, *, k: int = 1) -> str:
    """One or two sentences on returning after the k-th session (from :func:`return_after_k`).

    Works on the Result as computed and after disclosure control: a group with a hidden
    count is neither quoted nor added into the pooled figure (the pooled figure is then
    left out), and is said to have too few learners to show.
    """
    table = results.table_of(res)
    pos = np.flatnonzero((table["k"] == k).to_numpy())
    rows = table.iloc[pos]
    counts = ["at_risk", "returned"]
    pooled_hidden = results.hidden(res, pos, counts)
    if rows.empty or (not pooled_hidden and rows["at_risk"].sum() == 0):
        return (f"No learner was observed long enough after a {_ordinal(k)} "
                f"{'session' if k else 'enrolment'} to say whether they came back.")
    days = rows["within_days"].iloc[0] if "within_days" in rows else 14
    days = _days_text(days)
    g = _group_of(res, exclude=("k",)) if isinstance(res, results.Result) else next(
        (c for c in rows.columns if c not in _RAK_COLUMNS), None)
    after = f"a {_ordinal(k)} session" if k else "enrolling"
    if pooled_hidden and g is None:
        return (f"Too few learners were observed long enough after {after} to show whether "
                f"they came back within {days} days.")
    if pooled_hidden:
        text = (f"Coming back within {days} days after {after} is not added up across "
                f"{g.replace('_', ' ')}s here, because some have too few learners to show.")
    else:
        n, x = int(rows["at_risk"].sum()), int(rows["returned"].sum())
        lo, hi = (float(v[0]) for v in wilson_interval([x], [n]))
        p = x / n
        share = stats.format_share(p, stats.interval_decimals("share", lo, hi, p))
        ci = stats.format_interval(lo, hi, "share", estimate=p)
        if k == 0:
            text = (f"Of {stats.format_count(n)} enrolled learners observed for {days} days "
                    f"after enrolling, {share} had a first session within {days} days "
                    f"(95% CI {ci})")
        else:
            text = (f"Of {stats.format_count(n)} learners who had a {_ordinal(k)} session, "
                    f"{share} came back for a {_ordinal(k + 1)} within {days} days "
                    f"(95% CI {ci})")
        if "censored" in rows and not results.hidden(res, pos, ["censored"]):
            censored = int(rows["censored"].sum())
            if censored:
                text += (f"; {stats.format_count(censored)} more were not observed long enough "
                         "to tell and are left out")
        text += "."
    if g is not None:
        shown = [i for i in pos
                 if not results.hidden(res, [i], [*counts, "share", "ci_low", "ci_high"])]
        small = [i for i in pos if i not in shown]
        seen = table.iloc[shown]
        seen = seen[seen["at_risk"] > 0].sort_values("share")
        if len(seen) >= 2:
            low, high = seen.iloc[0], seen.iloc[-1]
            text += (f" By {g.replace('_', ' ')}, it ranges from "
                     f"{stats.format_share(low['share'])} ({low[g]}, "
                     f"n = {stats.format_count(low['at_risk'])}) to "
                     f"{stats.format_share(high['share'])} ({high[g]}, "
                     f"n = {stats.format_count(high['at_risk'])})"
                     + (" among the groups shown." if small else "."))
        elif len(seen) == 1 and small:
            one = seen.iloc[0]
            text += (f" In {one[g]}, it is {stats.format_share(one['share'])} "
                     f"(n = {stats.format_count(one['at_risk'])}).")
        keys = [*counts, "share"]
        few = [i for i in small if _too_small(res, [i], keys)]
        kept = [i for i in small if i not in few]
        if few:
            names = ", ".join(str(table[g].iloc[i]) for i in few)
            text += f" {names} {'has' if len(few) == 1 else 'have'} too few learners to show."
        if kept:
            names = ", ".join(str(table[g].iloc[i]) for i in kept)
            text += (f" {names} {_PROTECTED}." if len(kept) == 1 else
                     f" {names} are not shown, so that a smaller group's numbers cannot be "
                     "worked out from them.")
    return text


_RAK_COLUMNS = {"k", "at_risk", "returned", "share", "ci_low", "ci_high", "censored",
                "no_enrolment_date", "within_days"}


# --------------------------------------------------------------------------- cohort retention

def cohort_retention(learner_days: pd.DataFrame, learners: pd.DataFrame, courses: pd.DataFrame,
                     *, outcomes: pd.DataFrame | None = None, min_active_days: int = 1,
                     max_weeks: int = 12, cohort: str = "week") -> results.Result:
    """Share of each enrolment cohort active in each week since enrolment.

    Week w since enrolment covers the days from the enrolment day + 7w to the enrolment
    day + 7(w+1) (exclusive), days being UTC days. A learner is retained in week w with at
    least `min_active_days` active days in it. To measure a chosen action only, pass
    ``learner_days(events, by="action")`` filtered to that action.

    Censoring, per learner: a learner enters week w's denominator (``observed``) only when
    observed through the whole week (its end <= ``observed_until``, see
    :func:`observation_end`; completion and the course's end stop observation). A cell
    nobody in the cohort was observed through has ``observed`` 0 and a missing share: it
    is blank, not zero.

    Parameters
    ----------
    learner_days : DataFrame
        learner_id, course, day (UTC midnight); only active days have rows.
    learners, courses : DataFrame
        The contract's tables. Learners with a null enrolled_at are left out.
    outcomes : DataFrame, optional
        The contract's outcomes; completion censors.
    min_active_days : int
        Active days in the week needed to count as retained (1..7).
    max_weeks : int
        Last week since enrolment reported.
    cohort : {"week", "month"}
        Cohorts by enrolment week (Monday 00:00 UTC) or calendar month (UTC).

    Returns
    -------
    Result (``retention.cohort_retention``; n ``observed``, partitioned by cohort), one row
    per cohort and week since enrolment: cohort_week (or cohort_month),
    weeks_since_enrolment, cohort_size, observed (part of cohort_size), retained (part of
    observed), share (NaN when observed is 0), ci_low, ci_high (Wilson 95%).
    """
    require_columns(learner_days, [*KEYS, "day"], "learner_days")
    require_columns(learners, [*KEYS, "enrolled_at"], "learners")
    if cohort not in ("week", "month"):
        raise ValueError(f"cohort must be 'week' or 'month', not {cohort!r}")
    if not 1 <= min_active_days <= 7:
        raise ValueError("min_active_days must be between 1 and 7")
    label = f"cohort_{cohort}"
    lf = observation_end(learners, courses, outcomes)
    lf = lf[lf["enrolled_at"].notna()].copy()
    lf["enrol_day"] = lf["enrolled_at"].dt.floor("D")
    if cohort == "week":
        lf[label] = lf["enrol_day"] - pd.to_timedelta(lf["enrol_day"].dt.weekday, unit="D")
    else:
        lf[label] = lf["enrol_day"] - pd.to_timedelta(lf["enrol_day"].dt.day - 1, unit="D")

    days = learner_days[[*KEYS, "day"]].copy()
    days["day"] = _utc(days["day"], "learner_days.day").dt.floor("D")
    days = days.drop_duplicates().merge(lf[[*KEYS, "enrol_day"]], on=KEYS, how="inner")
    days["w"] = (days["day"] - days["enrol_day"]).dt.days // 7
    days = days[(days["w"] >= 0) & (days["w"] <= max_weeks)]
    active = days.groupby([*KEYS, "w"]).size()
    retained = active[active >= min_active_days].reset_index()[[*KEYS, "w"]]

    rows = []
    sizes = lf.groupby(label).size()
    for w in range(max_weeks + 1):
        seen = lf[lf["enrol_day"] + pd.Timedelta(days=7 * (w + 1)) <= lf["observed_until"]]
        kept = seen.merge(retained[retained["w"] == w], on=KEYS, how="inner")
        rows.append(pd.DataFrame({
            label: sizes.index, "weeks_since_enrolment": w, "cohort_size": sizes.to_numpy(),
            "observed": seen.groupby(label).size().reindex(sizes.index, fill_value=0).to_numpy(),
            "retained": kept.groupby(label).size().reindex(sizes.index, fill_value=0).to_numpy(),
        }))
    if not rows or sizes.empty:
        out = pd.DataFrame({label: pd.Series(dtype="datetime64[ns, UTC]"),
                            **{c: pd.Series(dtype="int64") for c in
                               ("weeks_since_enrolment", "cohort_size", "observed",
                                "retained")},
                            **{c: pd.Series(dtype="float64") for c in
                               ("share", "ci_low", "ci_high")}})
    else:
        out = pd.concat(rows, ignore_index=True).sort_values([label, "weeks_since_enrolment"])
        out = _proportion(out, "retained", "observed").reset_index(drop=True)
    active = (f"at least {min_active_days} active days" if min_active_days > 1
              else "at least one active day")
    columns = {
        label: results.label("Enrolment week" if cohort == "week" else "Enrolment month"),
        "weeks_since_enrolment": results.label("Weeks since enrolment"),
        "cohort_size": results.count("Learners enrolled in the cohort"),
        "observed": results.count("Learners observed through the week", part_of="cohort_size"),
        "retained": results.count("Learners active in the week", part_of="observed"),
        "share": results.share("Active in the week", of="retained", over="observed"),
    }
    columns["ci_low"], columns["ci_high"] = results.interval("share")
    return results.Result(
        out, columns, title=f"Learners active in each week since enrolment, by enrolment "
                            f"{cohort}",
        n="observed", partition=label,
        constants={"min_active_days": (
            f"Active in a week means {active} in it; learners not observed through the "
            "whole week (the data, their course or their studies ended) are left out of "
            "that week.")},
        kind="retention.cohort_retention")


def describe_cohort_retention(res: results.Result, *, weeks=(1, 4)) -> str:
    """One sentence on retention by week since enrolment (from :func:`cohort_retention`).

    A week is pooled over the cohorts only when none of its counts is hidden (after
    disclosure control); otherwise it is said not to be pooled.
    """
    table = results.table_of(res)
    label = next(c for c in table.columns if c.startswith("cohort_") and c != "cohort_size")
    parts, skipped = [], []
    for w in weeks:
        pos = np.flatnonzero((table["weeks_since_enrolment"] == w).to_numpy())
        if not len(pos):
            continue
        if results.hidden(res, pos, ["observed", "retained"]):
            skipped.append(w)
            continue
        n, x = table["observed"].iloc[pos].sum(), table["retained"].iloc[pos].sum()
        if n > 0:
            parts.append(f"{stats.format_share(x / n)} were active in week {w} after enrolling "
                         f"(n = {stats.format_count(n)})")
    if not parts and not skipped:
        return "The data do not yet cover those weeks after enrolment for any cohort."
    cohorts = stats.format_count(table[label].nunique())
    which = " and ".join(f"week {w}" for w in skipped)
    not_pooled = (f"{which} after enrolling {'is' if len(skipped) == 1 else 'are'} not pooled "
                  "here: some cohorts have too few learners to show.")
    if not parts:
        return f"Across {cohorts} enrolment cohorts, {not_pooled}"
    text = (f"Across {cohorts} enrolment cohorts, pooling the learners observed through each "
            "week: " + "; ".join(parts) + ".")
    if skipped:
        text += f" {not_pooled[0].upper()}{not_pooled[1:]}"
    return text


# --------------------------------------------------------------------------- disengagement

def disengagement(learner_days: pd.DataFrame, learners: pd.DataFrame, courses: pd.DataFrame,
                  outcomes: pd.DataFrame | None = None, *, idle_days: int = 28) -> pd.DataFrame:
    """Time from first to last active day, and whether the learner was seen to disengage.

    Only activity up to the learner's observation end counts (``observed_until`` from
    :func:`observation_end`: the course's observation end, its end date, or completion,
    whichever comes first). A learner disengaged (``event`` True) when the `idle_days`
    whole UTC days after their last active day D all lie before their observation end:
    ``D + idle_days + 1 day <= observed_until``. Otherwise they are censored at their
    last active day, with the reason being whatever ended observation first:

    - "completed": completed_at came before disengagement could be established
      (completion censors: it is not disengagement);
    - "course ended": the course's ends_at came less than `idle_days` after;
    - "observation end": the data end less than `idle_days` after.

    Learners with no activity (``started`` False) are reported apart: event and
    duration missing, never events at time zero.

    Parameters
    ----------
    learner_days : DataFrame
        learner_id, course, day (UTC midnight); only active days have rows.
    learners, courses : DataFrame
        The contract's tables.
    outcomes : DataFrame, optional
        The contract's outcomes; its completed_at censors.
    idle_days : int
        Idle days after the last activity that establish disengagement.

    Returns
    -------
    DataFrame, one row per enrolment in `learners`: learner_id, course, the other columns of
    `learners` (organisation, acquisition_channel, ...; not enrolled_at), started (bool),
    first_active, last_active (UTC days), duration_days (float: last_active -
    first_active; missing if not started), event (nullable boolean), censor_reason (None
    for events and non-starters), observed_until.
    """
    require_columns(learner_days, [*KEYS, "day"], "learner_days")
    if idle_days < 1:
        raise ValueError("idle_days must be at least 1")
    lf = observation_end(learners, courses, outcomes)
    days = learner_days[[*KEYS, "day"]].copy()
    days["day"] = _utc(days["day"], "learner_days.day").dt.floor("D")
    days = days.merge(lf[[*KEYS, "observed_until"]], on=KEYS, how="inner")
    # activity after observation ends (after completing, after the course) is not followed
    days = days[days["day"] <= days["observed_until"]]
    span = days.groupby(KEYS, as_index=False).agg(first_active=("day", "min"),
                                                  last_active=("day", "max"))
    out = lf.merge(span, on=KEYS, how="left")
    started = out["first_active"].notna()
    out["started"] = started
    out["duration_days"] = (out["last_active"] - out["first_active"]) / _DAY
    established = out["last_active"] + pd.Timedelta(days=idle_days + 1)
    event = established <= out["observed_until"]
    out["event"] = pd.array(np.where(started, event, pd.NA), dtype="boolean")
    out["censor_reason"] = pd.Series(np.where(started & ~event, out["ends_by"], None),
                                     index=out.index, dtype=object)
    out["censor_reason"] = out["censor_reason"].where(out["censor_reason"].notna(), None)
    # the learners' own columns (organisation, channel, any grouping added) travel along
    groups = [c for c in learners.columns if c not in (*KEYS, "enrolled_at") and c in out.columns
              and c not in ("started", "first_active", "last_active", "duration_days", "event",
                            "censor_reason", "observed_until")]
    cols = [*KEYS, *groups, "started", "first_active", "last_active", "duration_days", "event",
            "censor_reason", "observed_until"]
    return out[cols].reset_index(drop=True)


def disengagement_summary(durations: pd.DataFrame) -> results.Result:
    """How many enrolments started, were seen to disengage, or are censored, and why.

    Parameters
    ----------
    durations : DataFrame
        :func:`disengagement`'s learner-level table.

    Returns
    -------
    Result (``retention.disengagement_summary``), one row: enrolled, started (part of
    enrolled), disengaged, completed, course_ended, observation_end (each part of started:
    together they are all who started), counts of enrolments.
    """
    require_columns(durations, ["started", "event", "censor_reason"], "durations")
    began = durations[durations["started"].fillna(False).astype(bool)]
    reasons = began["censor_reason"].value_counts()
    table = pd.DataFrame({
        "enrolled": [len(durations)], "started": [len(began)],
        "disengaged": [int(began["event"].fillna(False).astype(bool).sum())],
        "completed": [int(reasons.get("completed", 0))],
        "course_ended": [int(reasons.get("course ended", 0))],
        "observation_end": [int(reasons.get("observation end", 0))]})
    columns = {
        "enrolled": results.count("Enrolments", unit="enrolments"),
        "started": results.count("Started", unit="enrolments", part_of="enrolled"),
        "disengaged": results.count("Seen to disengage", unit="enrolments", part_of="started"),
        "completed": results.count("Censored: had completed", unit="enrolments",
                                   part_of="started"),
        "course_ended": results.count("Censored: the course ended", unit="enrolments",
                                      part_of="started"),
        "observation_end": results.count("Censored: still within the data's last days",
                                         unit="enrolments", part_of="started"),
    }
    return results.Result(table, columns, title="Who was seen to disengage, and who is "
                          "censored", n="enrolled", kind="retention.disengagement_summary")


def describe_disengagement(res: results.Result, *, idle_days: int = 28) -> str:
    """Sentences on who was seen to disengage and who is censored (from
    :func:`disengagement_summary`); a hidden count is said to be too small to show."""
    table = results.table_of(res)
    count = stats.format_count

    def shown(column):
        return None if results.hidden(res, [0], [column]) else int(table[column].iloc[0])

    n = shown("enrolled")
    if n == 0:
        return "No enrolments in these data."
    started, events = shown("started"), shown("disengaged")
    if n is None or started is None:
        return "Too few enrolments to show who disengaged."
    text = f"Of {count(n)} enrolments, {count(started)} started; "
    text += (f"{count(events)} of them were seen to disengage" if events is not None
             else "too few to show were seen to disengage")
    text += f" (no activity for {count(idle_days)} days before their observation ended)"
    reasons = [(shown(c), label) for c, label in (
        ("completed", "had completed"), ("course_ended", "were in a course that ended"),
        ("observation_end", f"were still within the data's last {count(idle_days)} days"))]
    if events is not None and started - events:
        parts = [f"{count(v)} {label}" if v is not None else f"too few to show {label}"
                 for v, label in reasons if v != 0]
        text += (f", and {count(started - events)} are censored, not counted as disengaged "
                 f"({', '.join(parts)})")
    text += f". {count(n - started)} enrolled and never started; they are reported apart."
    return text


# --------------------------------------------------------------------------- Kaplan-Meier

def _durations(durations: pd.DataFrame, duration: str, event: str,
               by: str | None, what: str) -> pd.DataFrame:
    require_columns(durations, [duration, event] + ([by] if by else []), what)
    d = durations
    if "started" in d.columns:
        d = d[d["started"].fillna(False).astype(bool)]
    d = d[d[duration].notna() & d[event].notna()]
    t = d[duration].astype(float)
    if (t < 0).any():
        raise ValueError(f"{what}: column {duration!r} has negative durations")
    if not np.isfinite(t).all():
        raise ValueError(f"{what}: column {duration!r} has infinite durations")
    out = pd.DataFrame({"t": t.to_numpy(), "e": d[event].astype(bool).to_numpy()})
    if by:
        out["group"] = d[by].astype(object).where(d[by].notna(), UNKNOWN).to_numpy()
    return out


def _km_one(t: np.ndarray, e: np.ndarray, alpha: float) -> pd.DataFrame:
    # Timeline as lifelines: 0 and every distinct duration.
    times = np.unique(np.concatenate([[0.0], t]))
    ts = np.sort(t)
    at_risk = len(t) - np.searchsorted(ts, times, side="left")
    events = pd.Series(e.astype(int)).groupby(t).sum().reindex(times, fill_value=0).to_numpy()
    removed = pd.Series(1, index=t).groupby(level=0).sum().reindex(times, fill_value=0).to_numpy()
    censored = removed - events
    n, d = at_risk.astype(float), events.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the same arithmetic as lifelines (sum of logs, not a product) so that ties at
        # S = 0.5 fall on the same side for the median
        log_s = np.cumsum(np.log(n - d) - np.log(n))
        greenwood = d / (n * (n - d))
        greenwood[np.isinf(greenwood)] = 0.0  # a step to S = 0 adds no variance (lifelines)
        var = np.cumsum(np.nan_to_num(greenwood, nan=0.0))
        s = np.exp(log_s)
        z = scipy_stats.norm.ppf(1 - alpha / 2)
        v = np.log(s)
        low = np.exp(-np.exp(np.log(-v) - z * np.sqrt(var) / v))
        high = np.exp(-np.exp(np.log(-v) + z * np.sqrt(var) / v))
    return pd.DataFrame({"time": times, "at_risk": at_risk.astype("int64"),
                         "events": events.astype("int64"), "censored": censored.astype("int64"),
                         "survival": s, "ci_low": np.nan_to_num(low, nan=1.0),
                         "ci_high": np.nan_to_num(high, nan=1.0)})


def kaplan_meier(durations: pd.DataFrame, *, duration: str = "duration_days",
                 event: str = "event", by: str | None = None,
                 alpha: float = 0.05) -> results.Result:
    """Kaplan-Meier (product-limit) survival curve, per group, with Greenwood log(-log) CI.

    The estimate, variance and interval are those of lifelines' ``KaplanMeierFitter``
    (default settings): survival S(t) = prod (1 - d_i / n_i) over event times <= t, the
    Greenwood variance of log S, and the exponential-Greenwood ("log(-log)") interval.
    Only started learners count: rows with ``started`` False (when that column is
    present) or with a missing duration or event are left out.

    Parameters
    ----------
    durations : DataFrame
        One row per learner, e.g. :func:`disengagement`.
    duration, event : str
        Columns holding the time (>= 0) and whether it ended in the event (True) or is
        censored (False).
    by : str, optional
        Column to split by (missing values become "(unknown)").
    alpha : float
        1 - confidence level of the interval.

    Returns
    -------
    Result (``retention.kaplan_meier``; a curve with at-risk column ``at_risk``, cut on
    partner pages where fewer than the minimum remain; partitioned by ``group`` and
    observational when grouped), one row per (group and) time on the timeline (0 and every
    distinct duration): [group], time, at_risk (n with duration >= time), events, censored
    (leaving at that time; both part of at_risk), survival, ci_low, ci_high.
    """
    d = _durations(durations, duration, event, by, "kaplan_meier")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if d.empty:
        table = pd.DataFrame({
            **({"group": pd.Series(dtype=object)} if by else {}),
            "time": pd.Series(dtype="float64"),
            **{c: pd.Series(dtype="int64") for c in ("at_risk", "events", "censored")},
            **{c: pd.Series(dtype="float64") for c in ("survival", "ci_low", "ci_high")}})
    elif not by:
        table = _km_one(d["t"].to_numpy(), d["e"].to_numpy(), alpha)
    else:
        parts = []
        for g, sub in d.groupby("group", sort=True):
            part = _km_one(sub["t"].to_numpy(), sub["e"].to_numpy(), alpha)
            part.insert(0, "group", g)
            parts.append(part)
        table = pd.concat(parts, ignore_index=True)
    columns = {"group": _group_column(by)} if by else {}
    columns.update(
        time=results.label("Days since first activity" if duration == "duration_days"
                           else duration.replace("_", " ").capitalize()),
        at_risk=results.count("Learners still followed (at risk)"),
        events=results.count("Disengaged at this time", part_of="at_risk"),
        censored=results.count("Stopped being followed at this time (censored)",
                               part_of="at_risk"),
        # survival is a product-limit estimate, not events / at_risk: of/over name the counts
        # it depends on (the disclosure dependency: a hidden count of its row hides it), not
        # its arithmetic
        survival=results.Column("share", "Share still engaged", of="events", over="at_risk"))
    columns["ci_low"], columns["ci_high"] = results.interval("survival", level=1 - alpha)
    what = f", by {_group_column(by).label.lower()}" if by else ""
    return results.Result(
        table, columns, title=f"Share of learners not yet disengaged over time{what}",
        design="observational" if by else "descriptive", n="at_risk", curve="at_risk",
        partition="group" if by else None,
        notes=("Kaplan-Meier estimate: learners stop being followed (are censored) when "
               "their observation ends before they disengage, and are not counted as "
               "disengaged.",),
        kind="retention.kaplan_meier")


def _first_crossing(times: np.ndarray, values: np.ndarray, q: float = 0.5) -> float:
    # lifelines.utils.qth_survival_time: inf when the curve never reaches q
    if values[-1] > q:
        return math.inf
    return float(times[np.searchsorted(-values, -q)])


def median_survival(km) -> results.Result:
    """Median survival time, and its interval, per group of a :func:`kaplan_meier` table.

    The median is the first time the curve is at or below 0.5 (lifelines'
    ``median_survival_time_``). Its interval is the times at which the lower and upper
    confidence bounds of the curve first reach 0.5 (lifelines'
    ``median_survival_times(kmf.confidence_interval_)``, a Brookmeyer-Crowley-type
    interval read off the pointwise band). A median or bound the curve never reaches is
    ``inf`` ("not reached").

    Parameters
    ----------
    km : Result or DataFrame
        From :func:`kaplan_meier`.

    Returns
    -------
    Result (``retention.median_survival``; n ``n``, partitioned by ``group`` when grouped),
    one row per group: [group], n (learners), events (part of n), median, ci_low, ci_high
    (days; ``inf`` where not reached).
    """
    if isinstance(km, results.Result) and km.audience == "partner":
        raise ValueError("median_survival: compute the medians from the curve as computed, "
                         "then apply disclosure control to them (a controlled curve has "
                         "cells missing)")
    source = km
    km = results.table_of(km)
    require_columns(km, ["time", "at_risk", "events", "survival", "ci_low", "ci_high"],
                   "median_survival")
    grouped = "group" in km.columns
    rows = []
    for g, sub in (km.groupby("group", sort=False) if grouped else [(None, km)]):
        sub = sub.sort_values("time")
        t = sub["time"].to_numpy(dtype=float)
        row = {"group": g} if grouped else {}
        row.update(n=int(sub["at_risk"].iloc[0]), events=int(sub["events"].sum()),
                   median=_first_crossing(t, sub["survival"].to_numpy(dtype=float)),
                   ci_low=_first_crossing(t, sub["ci_low"].to_numpy(dtype=float)),
                   ci_high=_first_crossing(t, sub["ci_high"].to_numpy(dtype=float)))
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*(["group"] if grouped else []), "n", "events",
                                        "median", "ci_low", "ci_high"])
    table = table.astype({"n": "int64", "events": "int64", "median": "float64",
                          "ci_low": "float64", "ci_high": "float64"})
    declared = source.columns if isinstance(source, results.Result) else {}
    columns = {"group": declared.get("group", results.label("Group"))} if grouped else {}
    columns.update(
        n=results.count("Learners who started"),
        events=results.count("Seen to disengage", part_of="n"),
        median=results.estimate("days", "Median days to disengagement"))
    low, high = results.interval("median")
    if "ci_low" in declared:  # the curve's level
        low = results.Column("low", declared["ci_low"].label, of="median")
        high = results.Column("high", declared["ci_high"].label, of="median")
    columns["ci_low"], columns["ci_high"] = low, high
    design = source.design if isinstance(source, results.Result) else (
        "observational" if grouped else "descriptive")
    group = columns["group"].label.lower() if grouped else ""
    return results.Result(
        table, columns,
        title="Median time to disengagement" + (f", by {group}" if grouped else ""),
        design=design, n="n", partition="group" if grouped else None,
        notes=("The median is the first time at which the share still engaged is at or "
               "below one half; where it never falls that far during follow-up, it is not "
               "reached.",),
        kind="retention.median_survival")


def _level(res, column: str) -> str:
    """The level of an interval ("95%"), from its declared label ("90% interval, from")."""
    if isinstance(res, results.Result) and column in res.columns:
        head = res.columns[column].label.split(" ", 1)[0]
        if head.endswith("%"):
            return head
    return "95%"


def _days_or_not_reached(x: float, decimals: int = 0) -> str:
    return "not reached" if math.isinf(x) else stats.format_days(x, decimals)


def describe_survival(medians: results.Result, *, unit: str = "days") -> str:
    """One sentence per group on the median time to disengagement (from :func:`median_survival`).

    After disclosure control, a group whose count of learners is hidden is said to have
    too few learners to show, and a median (or count of disengaged) that is hidden is not
    said.
    """
    table = results.table_of(medians)
    if table.empty:
        return "No learner started, so there is no time to disengagement to describe."
    out = []
    grouped = "group" in table.columns
    for i in range(len(table)):
        r = table.iloc[i]
        who = f"In {r['group']}, of" if grouped else "Of"
        if results.hidden(medians, [i], ["n"]):
            if not _too_small(medians, [i], ["n", "events"]):
                out.append(f"{r['group'] if grouped else 'The median'} {_PROTECTED}.")
            else:
                out.append((f"{r['group']} has" if grouped else "There are")
                           + " too few learners who started to show the time to "
                           "disengagement.")
            continue
        n = stats.format_count(r["n"])
        if results.hidden(medians, [i], ["events", "median", "ci_low", "ci_high"]):
            why = (": too few learners disengaged, or too few did not, to show"
                   if _too_small(medians, [i], ["events"])
                   else ", so that a smaller group's numbers cannot be worked out from it")
            out.append(f"{who} {n} learners who started, the median time to disengagement is "
                       f"not shown{why}.")
            continue
        events = stats.format_count(r["events"])
        if math.isinf(r["median"]):
            out.append(f"{who} {n} learners who started, more than half were not "
                       f"seen to disengage during follow-up (median not reached; "
                       f"{events} disengaged).")
            continue
        ends = [v for v in (r["median"], r["ci_low"], r["ci_high"]) if stats.finite(v)]
        decimals = max(len(_days_text(v).partition(".")[2]) for v in ends)
        if stats.finite(r["ci_low"]) and stats.finite(r["ci_high"]):
            decimals = max(decimals, stats.interval_decimals("days", r["ci_low"], r["ci_high"],
                                                             r["median"]))
        lo = _days_or_not_reached(r["ci_low"], decimals)
        hi = _days_or_not_reached(r["ci_high"], decimals)
        level = _level(medians, "ci_low")
        ci = (f"{level} CI {lo} at both ends" if lo == hi
              else f"{level} CI {lo}{stats.DASH}{hi}")
        out.append(f"{who} {n} learners who started, half had stopped being "
                   f"active after {stats.format_days(r['median'], decimals)} {unit} ({ci}; "
                   f"{events} disengaged).")
    return " ".join(out)


# --------------------------------------------------------------------------- log-rank

def logrank(durations: pd.DataFrame, *, by: str, duration: str = "duration_days",
            event: str = "event") -> results.Result:
    """Log-rank test that time to disengagement is the same in every group of `by`.

    The k-group test: for each group the observed events O_j and the events expected
    under one common hazard E_j = sum_t d_t n_tj / n_t; the statistic
    (O - E)' V^-1 (O - E) over the first k-1 groups, with the hypergeometric covariance
    V, is chi-square with k-1 degrees of freedom (as lifelines'
    ``multivariate_logrank_test``; with two groups, ``logrank_test``). Only started
    learners count (see :func:`kaplan_meier`).

    Returns
    -------
    Result (``retention.logrank``; observational, n ``n``, partitioned by ``group``), one
    row per group: group, n, events (observed; part of n), expected, chi_square, df
    (technical), p_value (the test's values, the same on every row).

    Raises
    ------
    ValueError
        Fewer than two groups.
    """
    d = _durations(durations, duration, event, by, "logrank")
    groups = sorted(d["group"].unique(), key=str)
    if len(groups) < 2:
        raise ValueError(f"logrank: needs at least two groups of {by!r}, found {len(groups)}")
    times = np.unique(d["t"].to_numpy())
    at_risk = np.empty((len(times), len(groups)))
    deaths = np.empty_like(at_risk)
    for j, g in enumerate(groups):
        sub = d[d["group"] == g]
        ts = np.sort(sub["t"].to_numpy())
        at_risk[:, j] = len(ts) - np.searchsorted(ts, times, side="left")
        deaths[:, j] = (pd.Series(sub["e"].astype(float).to_numpy(), index=sub["t"].to_numpy())
                        .groupby(level=0).sum().reindex(times, fill_value=0.0).to_numpy())
    n_t, d_t = at_risk.sum(1), deaths.sum(1)
    share = at_risk / n_t[:, None]
    expected = (share * d_t[:, None]).sum(0)
    observed = deaths.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # (n - d) / (n - 1) is 0/0 when one learner is at risk; its term is 0 anyway
        factor = np.where(n_t > 1, (n_t - d_t) / (n_t - 1), 1.0) * d_t
    cov = (np.einsum("t,tj->j", factor, share)[:, None] * np.eye(len(groups))
           - np.einsum("t,tj,tl->jl", factor, share, share))
    z = (observed - expected)[:-1]
    chi = float(z @ np.linalg.pinv(cov[:-1, :-1]) @ z)
    dof = len(groups) - 1
    table = pd.DataFrame({"group": groups,
                          "n": at_risk[0].astype("int64") if len(times) else 0,
                          "events": observed.astype("int64"), "expected": expected,
                          "chi_square": chi, "df": dof,
                          "p_value": scipy_stats.chi2.sf(chi, dof)})
    columns = {
        "group": _group_column(by),
        "n": results.count("Learners who started"),
        "events": results.count("Seen to disengage", part_of="n"),
        "expected": results.estimate("number", "Disengaged if all groups were alike "
                                               "(expected)"),
        "chi_square": results.estimate("number", "Log-rank chi-square"),
        "df": _parameter("Degrees of freedom"),
        "p_value": results.estimate("p", "p-value (log-rank test)"),
    }
    return results.Result(
        table, columns,
        title=f"Time to disengagement by {_group_column(by).label.lower()}: log-rank test",
        design="observational", n="n", partition="group",
        notes=("The log-rank test asks whether the groups disengage at the same pace over "
               "the whole follow-up; its statistic and p-value are repeated on every row.",),
        kind="retention.logrank")


def describe_logrank(test: results.Result, *, by: str = "group", alpha: float = 0.05) -> str:
    """One sentence on a :func:`logrank` result: a clear difference, or none.

    After disclosure control the test is quoted from a row where it is shown; the total n
    is left out when a group's n is hidden, and the group that disengaged soonest is
    picked among the groups shown (and said so).
    """
    table = results.table_of(test)
    what = by.replace("_", " ")
    stat = ["chi_square", "p_value"]
    shown = [i for i in range(len(table)) if not results.hidden(test, [i], stat)]
    if not shown:
        return (f"The log-rank test of time to disengagement between groups of {what} is not "
                "shown: the groups have too few learners to show.")
    first = table.iloc[shown[0]]
    p, chi, dof = float(first["p_value"]), float(first["chi_square"]), first["df"]
    ptext = stats.p_phrase(p)
    if p >= alpha:
        n = ("" if results.hidden(test, range(len(table)), ["n"])
             else f"; n = {stats.format_count(table['n'].sum())}")
        return (f"Time to disengagement shows no clear difference between groups of {what} "
                f"(log-rank {ptext}{n}).")
    text = (f"Time to disengagement differs between groups of {what} (log-rank chi-square = "
            f"{stats.format_number(chi, 1)}, df = {stats.format_count(dof)}, {ptext})")
    rows = [i for i in range(len(table)) if not results.hidden(test, [i], ["events", "expected"])]
    some = len(rows) < len(table)
    sub = table.iloc[rows]
    ratio = sub["events"] / sub["expected"].where(sub["expected"] > 0)
    if ratio.notna().sum() >= (2 if some else 1):  # a comparison needs two groups shown
        worst = sub.loc[ratio.idxmax()]
        text += ("; of the groups shown, learners" if some else "; learners")
        text += (f" in {worst['group']} disengaged soonest "
                 f"({stats.format_count(worst['events'])} disengaged where "
                 f"{stats.format_number(worst['expected'], 1)} were expected if all groups "
                 "were alike).")
    else:
        text += ("; some groups have too few learners to show, so which disengaged soonest "
                 "is not said." if some else ".")
    return text


# --------------------------------------------------------------------------- lifecycle

def lifecycle(learner_weeks: pd.DataFrame, *, weeks=None) -> results.Result:
    """New, returning, resurrecting and dormant learners per calendar week.

    The unit is the learner's enrolment in a course. In week t a learner is
    - new: active in t, their first active week in the course;
    - returning: active in t and in t-1;
    - resurrecting: active in t, not in t-1, but active before;
    - dormant: active in t-1, not in t.
    new + returning + resurrecting is the number active in week t.

    Parameters
    ----------
    learner_weeks : DataFrame
        learner_id, course, week_start (Monday 00:00 UTC); only active weeks have rows.
    weeks : sequence of timestamps, optional
        The weeks to report (Monday starts, UTC). By default every calendar week from the
        first to the last in `learner_weeks`. Pass weeks up to the data's end to see
        learners going dormant after the last active week. Whatever is reported, "last
        week" is the calendar week before.

    Returns
    -------
    Result (``retention.lifecycle``), one row per week: week_start, new, returning,
    resurrecting (each part of active), dormant (a positive count), active; counts of
    learners (enrolments).
    """
    require_columns(learner_weeks, [*KEYS, "week_start"], "learner_weeks")
    lw = learner_weeks[[*KEYS, "week_start"]].copy()
    ws = _utc(lw["week_start"], "learner_weeks.week_start")
    if (ws.dt.floor("D") != ws).any() or (ws.dt.weekday != 0).any():
        raise ValueError("learner_weeks: week_start must be Mondays 00:00 UTC")
    lw["wk"] = ((ws - _EPOCH_MONDAY) / pd.Timedelta(weeks=1)).astype("int64")
    lw = lw.drop_duplicates([*KEYS, "wk"]).sort_values([*KEYS, "wk"])
    prev = lw.groupby(KEYS)["wk"].shift(1)
    nxt = lw.groupby(KEYS)["wk"].shift(-1)
    lw["status"] = np.select([prev.isna(), prev == lw["wk"] - 1],
                             ["new", "returning"], "resurrecting")
    counts = lw.groupby(["wk", "status"]).size().unstack(fill_value=0)
    dormant = lw.loc[nxt != lw["wk"] + 1, "wk"] + 1
    counts = counts.join(dormant.value_counts().rename("dormant"), how="outer").fillna(0)
    if weeks is None:
        if lw.empty:
            wk = np.array([], dtype="int64")
        else:
            wk = np.arange(lw["wk"].min(), lw["wk"].max() + 1)
    else:
        w = _utc(pd.Series(pd.to_datetime(list(weeks), utc=True)), "weeks")
        if (w.dt.weekday != 0).any() or (w.dt.floor("D") != w).any():
            raise ValueError("weeks must be Mondays 00:00 UTC")
        wk = ((w - _EPOCH_MONDAY) / pd.Timedelta(weeks=1)).astype("int64").to_numpy()
    cols = ["new", "returning", "resurrecting", "dormant"]
    out = counts.reindex(index=wk, columns=cols, fill_value=0).fillna(0).astype("int64")
    out["active"] = out["new"] + out["returning"] + out["resurrecting"]
    out.insert(0, "week_start", _EPOCH_MONDAY + pd.to_timedelta(7 * out.index.to_numpy(), "D"))
    columns = {
        "week_start": results.label("Week starting"),
        # new + returning + resurrecting = active: declared, so that a hidden one is not
        # given back by subtraction
        "new": results.count("New: first active week", part_of="active"),
        "returning": results.count("Returning: also active the week before", part_of="active"),
        "resurrecting": results.count("Back after a break", part_of="active"),
        "dormant": results.count("Gone quiet: active the week before, not this week"),
        "active": results.count("Active this week"),
    }
    return results.Result(
        out.reset_index(drop=True), columns,
        title="Learners active each week: new, returning, back after a break, and gone quiet",
        notes=("Each learner's enrolment in a course counts once; weeks start on Monday "
               "(UTC).",),
        kind="retention.lifecycle")


def describe_lifecycle(res: results.Result) -> str:
    """One sentence on the weekly lifecycle (from :func:`lifecycle`).

    The weeks are added up only when none of the counts added is hidden (after disclosure
    control); a hidden count of the last week is said to be too small to show.
    """
    table = results.table_of(res)
    summed = ["new", "returning", "resurrecting", "active"]
    everything = range(len(table))
    if table.empty or (not results.hidden(res, everything, summed) and table["active"].sum() == 0):
        return "No learner was active in these weeks."
    weeks = stats.format_count(len(table))
    if results.hidden(res, everything, summed):
        text = (f"Over {weeks} weeks (not added up here: some weeks have too few learners in "
                "a group to show)")
    else:
        tot = table[summed].sum()
        active = tot["active"]
        text = (f"Over {weeks} weeks, {stats.format_share(tot['returning'] / active)} of "
                f"weekly active learners had also been active the week before, "
                f"{stats.format_share(tot['new'] / active)} were new and "
                f"{stats.format_share(tot['resurrecting'] / active)} came back after a break")
    last = len(table) - 1
    row = table.iloc[last]
    active = ("too few learners to show were active" if results.hidden(res, [last], ["active"])
              else f"{stats.format_count(row['active'])} were active")
    quiet = ("too few to show went quiet" if results.hidden(res, [last], ["dormant"])
             else f"{stats.format_count(row['dormant'])} went quiet")
    return f"{text}; in the week of {row['week_start']:%d %b %Y}, {active} and {quiet}."


# --------------------------------------------------------------------------- stickiness

def active_days_per_week(learner_days: pd.DataFrame, *,
                         courses: pd.DataFrame | None = None) -> results.Result:
    """How many days a week learners active that week were active.

    Parameters
    ----------
    learner_days : DataFrame
        learner_id, course, day (UTC midnight); only active days have rows.
    courses : DataFrame, optional
        The contract's courses table: when given, weeks that end after a course's
        observation_end (partly observed) are left out for that course.

    Returns
    -------
    Result (``retention.active_days_per_week``; n ``learners``, partitioned by
    ``active_days``: within a week, the numbers of active days split the learners active
    that week), one row per calendar week and number of active days 1..7: week_start,
    active_days, learners (enrolments with that many active days that week), share (of the
    enrolments active that week).
    """
    require_columns(learner_days, [*KEYS, "day"], "learner_days")
    d = learner_days[[*KEYS, "day"]].copy()
    d["day"] = _utc(d["day"], "learner_days.day").dt.floor("D")
    d = d.drop_duplicates()
    d["week_start"] = d["day"] - pd.to_timedelta(d["day"].dt.weekday, unit="D")
    if courses is not None:
        require_columns(courses, ["course", "observation_end"], "courses")
        end = courses.set_index("course")["observation_end"]
        end = _utc(end, "courses.observation_end")
        d = d[d["week_start"] + pd.Timedelta(days=7) <= d["course"].map(end)]
    per = d.groupby([*KEYS, "week_start"]).size().rename("active_days").reset_index()
    counts = per.groupby(["week_start", "active_days"]).size()
    weeks = sorted(per["week_start"].unique())
    full = pd.MultiIndex.from_product([weeks, range(1, 8)], names=["week_start", "active_days"])
    out = counts.reindex(full, fill_value=0).rename("learners").reset_index()
    total = out.groupby("week_start")["learners"].transform("sum")
    out["share"] = out["learners"] / total
    out = out.astype({"active_days": "int64", "learners": "int64", "share": "float64"})
    columns = {
        "week_start": results.label("Week starting"),
        "active_days": results.label("Active days in the week"),
        "learners": results.count("Learners active on that many days"),
        # the denominator is the week's total, the sum over the partition (treated as public
        # by disclosure control): the share depends on its row's count only
        "share": results.share("Share of the week's active learners", of="learners",
                               over="learners"),
    }
    return results.Result(
        out, columns, title="Days active in a week, among learners active that week",
        n="learners", partition="active_days",
        notes=("Each learner's enrolment in a course counts once a week; weeks start on "
               "Monday (UTC).",),
        kind="retention.active_days_per_week")


def stickiness_ratio(learner_days: pd.DataFrame, courses: pd.DataFrame, *,
                     window_days: int = 28, by: str | None = None) -> results.Result:
    """Daily active learners over learners active in the trailing window (DAU/MAU).

    For each day, ``dau`` is the distinct learners active that day and ``mau`` the distinct
    learners active on any of the `window_days` days ending that day. Only days whose
    whole window lies inside the data are reported: from the first course's starts_at
    (UTC day) to the last course's observation_end (a day is reported only when it ends
    by then), or, with ``by="course"``, within each course's own dates.

    Parameters
    ----------
    learner_days : DataFrame
        learner_id, course, day (UTC midnight); only active days have rows.
    courses : DataFrame
        The contract's courses table (course, starts_at, observation_end).
    window_days : int
        Length of the trailing window (28: "monthly" active learners).
    by : {None, "course"}
        Pool all courses (a learner in two courses counts once) or one series per course.

    Returns
    -------
    Result (``retention.stickiness_ratio``; n ``mau``, partitioned by course when
    ``by="course"``), one row per (course and) day: [course], day, dau (part of mau), mau,
    ratio (dau / mau; NaN when mau is 0).
    """
    require_columns(learner_days, [*KEYS, "day"], "learner_days")
    require_columns(courses, ["course", "starts_at", "observation_end"], "courses")
    if by not in (None, "course"):
        raise ValueError("stickiness_ratio: by must be None or 'course'")
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    d = learner_days[[*KEYS, "day"]].copy()
    d["day"] = _utc(d["day"], "learner_days.day").dt.floor("D")
    crs = courses[["course", "starts_at", "observation_end"]].assign(
        starts_at=lambda c: _utc(c["starts_at"], "courses.starts_at"),
        observation_end=lambda c: _utc(c["observation_end"], "courses.observation_end"))
    if by:
        parts = []
        for course, sub in d.groupby("course", sort=True):
            c = crs[crs["course"] == course]
            if c.empty:
                raise ValueError(f"learner_days: course {course!r} is not in the courses table")
            part = _ratio(sub, c["starts_at"].iloc[0], c["observation_end"].iloc[0], window_days)
            part.insert(0, "course", course)
            parts.append(part)
        table = (pd.concat(parts, ignore_index=True) if parts else
                 _ratio(d.iloc[:0], pd.Timestamp(0, tz="UTC"), pd.Timestamp(0, tz="UTC"),
                        window_days).assign(course=pd.Series(dtype=object))[
                     ["course", "day", "dau", "mau", "ratio"]])
    else:
        table = _ratio(d, crs["starts_at"].min(), crs["observation_end"].max(), window_days)
    window = stats.format_count(window_days)
    columns = {"course": results.label("Course")} if by else {}
    columns.update(
        day=results.label("Day"),
        dau=results.count("Learners active that day", part_of="mau"),
        mau=results.count(f"Learners active in the {window} days ending that day"),
        ratio=results.share(f"Active that day, of those active in the last {window} days",
                            of="dau", over="mau"))
    return results.Result(
        table, columns,
        title=f"Learners active each day among those active in the last {window} days"
              + (", by course" if by else ""),
        n="mau", partition="course" if by else None,
        constants={"window_days": (
            f"Active in the last {window} days means active on any of the {window} days "
            f"ending that day; a day is shown only when all {window} days lie inside the "
            "data.")},
        kind="retention.stickiness_ratio")


def _ratio(d: pd.DataFrame, start, end, window: int) -> pd.DataFrame:
    first = start.floor("D") + pd.Timedelta(days=window - 1)
    last = end.floor("D") - _DAY  # the last day that ends by the observation end
    days = pd.date_range(first, last, freq="D") if first <= last else pd.DatetimeIndex([], tz="UTC")
    if len(days) == 0:
        return pd.DataFrame({"day": pd.Series(dtype="datetime64[ns, UTC]"),
                             "dau": pd.Series(dtype="int64"), "mau": pd.Series(dtype="int64"),
                             "ratio": pd.Series(dtype="float64")})
    origin = days[0] - pd.Timedelta(days=window - 1)
    ld = d[["learner_id", "day"]].drop_duplicates()
    ld = ld[(ld["day"] >= origin) & (ld["day"] <= days[-1])]
    idx = ((ld["day"] - origin) // _DAY).to_numpy(dtype="int64")
    size = (days[-1] - origin) // _DAY + 1 + window
    dau = np.bincount(idx, minlength=size)
    # each active day covers itself and the window-1 days after; a learner's covered days
    # are the union, so each day only adds the part not already covered by their previous one
    ld = ld.assign(i=idx).sort_values(["learner_id", "i"])
    prev = ld.groupby("learner_id")["i"].shift(1)
    start_cov = np.maximum(ld["i"].to_numpy(), (prev + window).fillna(-1).to_numpy(dtype="int64"))
    stop_cov = ld["i"].to_numpy() + window
    diff = np.zeros(size + 1, dtype="int64")
    keep = start_cov < stop_cov
    np.add.at(diff, start_cov[keep], 1)
    np.add.at(diff, stop_cov[keep], -1)
    mau = np.cumsum(diff)[:size]
    pos = ((days - origin) // _DAY).to_numpy(dtype="int64")
    out = pd.DataFrame({"day": days, "dau": dau[pos].astype("int64"),
                        "mau": mau[pos].astype("int64")})
    out["ratio"] = out["dau"] / out["mau"].where(out["mau"] > 0)
    return out


def describe_stickiness(ratio: results.Result, per_week: results.Result | None = None, *,
                        window_days: int = 28) -> str:
    """Sentences on stickiness (from :func:`stickiness_ratio` and :func:`active_days_per_week`).

    After disclosure control, days whose ratio is hidden are left out of the median and
    range (and said to be); the active days per week are added up over the weeks only
    when none of their counts is hidden. A partner sentence leaves the per-week part out
    when `per_week` has not been through disclosure control like `ratio`.
    """
    table = results.table_of(ratio)
    window = stats.format_count(window_days)
    hidden = results.hidden_rows(ratio, ["ratio"])
    r = table.loc[~hidden, "ratio"].dropna()
    if r.empty and hidden.any():
        text = ("The daily/monthly ratio is not shown: on every day, too few learners were "
                "active that day (or too few were not) to show.")
    elif r.empty:
        text = (f"The data do not cover a full {window}-day window with active learners, "
                "so the daily/monthly ratio cannot be computed.")
    else:
        left_out = (f"; {stats.count_phrase(int(hidden.sum()), 'day')} with too few learners "
                    "to show left out") if hidden.any() else ""
        spread = ("the same on every day" if r.min() == r.max()
                  else f"range {stats.format_interval(r.min(), r.max(), 'share')}")
        text = (f"On a typical day, {stats.format_share(r.median())} of the learners active in "
                f"the previous {window} days were active (median over "
                f"{stats.format_count(len(r))} days; {spread}{left_out}).")
    if per_week is None:
        return text
    partner = isinstance(ratio, results.Result) and ratio.audience == "partner"
    if partner and getattr(per_week, "audience", None) != "partner":
        return text  # never quote counts that were not controlled beside controlled ones
    week = results.table_of(per_week)
    if results.hidden(per_week, range(len(week)), ["learners"]):
        return (text + " How many days a week learners were active is not added up over the "
                "weeks here: some weeks have too few learners on some numbers of days to show.")
    if week["learners"].sum() > 0:
        tot = week.groupby("active_days")["learners"].sum()
        one, three = tot.get(1, 0) / tot.sum(), tot[tot.index >= 3].sum() / tot.sum()
        text += (f" In a week they were active, {stats.format_share(one)} of learners were "
                 f"active on a single day and {stats.format_share(three)} on three days or "
                 "more.")
    return text
