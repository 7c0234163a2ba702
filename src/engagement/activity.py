"""Events -> learner-week activity, weekly active learners, and the drop after the start.

Weeks are calendar weeks starting on Monday 00:00 UTC (``week_start``). An event counts as
*online* activity when its source is the learning platform or its forum (``ONLINE_SOURCES``):
joining a webinar is attendance, not online engagement.

These reductions are plain pandas for now; issue 3 moves them to Ibis/DuckDB for logs that
do not fit in memory, with the same results.
"""

from __future__ import annotations

import pandas as pd

ONLINE_SOURCES = ("lms", "forum")


def _check_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}; "
                         f"it has {', '.join(map(str, df.columns))}")


def week_start(timestamps: pd.Series) -> pd.Series:
    """The Monday 00:00 UTC starting the week of each timestamp."""
    day = timestamps.dt.tz_convert("UTC").dt.floor("D")
    return day - pd.to_timedelta(day.dt.weekday, unit="D")


def learner_weeks(events: pd.DataFrame, *, online_only: bool = True) -> pd.DataFrame:
    """One row per learner, course and week with any activity.

    Parameters
    ----------
    events : DataFrame
        The contract's events table.
    online_only : bool
        Count only :data:`ONLINE_SOURCES` (default) or every source.

    Returns
    -------
    DataFrame: learner_id, course, week_start, events (sum of ``count``), active_days.
    """
    _check_columns(events, ["learner_id", "course", "timestamp", "source", "count"], "events")
    ev = events[events["source"].isin(ONLINE_SOURCES)] if online_only else events
    ev = ev.assign(week_start=week_start(ev["timestamp"]), day=ev["timestamp"].dt.floor("D"))
    return (ev.groupby(["learner_id", "course", "week_start"], as_index=False)
            .agg(events=("count", "sum"), active_days=("day", "nunique")))


def weekly_active(events: pd.DataFrame, *, by: str | None = None,
                  learners: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distinct active learners and events per calendar week, optionally per group.

    Parameters
    ----------
    events : DataFrame
        The contract's events table (every source counts: use `by="source"` to split).
    by : str, optional
        A column of events (``source``, ``action``, ``course``) or, with `learners`, of the
        learners table (``organisation``, ``acquisition_channel``).
    learners : DataFrame, optional
        The contract's learners table, needed when `by` is one of its columns.

    Returns
    -------
    DataFrame: week_start, [by], active_learners, events.
    """
    _check_columns(events, ["learner_id", "course", "timestamp", "count"], "events")
    ev = events
    if by is not None and by not in ev.columns:
        if learners is None or by not in learners.columns:
            raise ValueError(f"weekly_active: {by!r} is neither a column of events nor of "
                             "the learners table given")
        ev = ev.merge(learners[["learner_id", "course", by]], on=["learner_id", "course"],
                      how="left")
        ev[by] = ev[by].fillna("(unknown)")
    keys = ["week_start"] + ([by] if by else [])
    return (ev.assign(week_start=week_start(ev["timestamp"]))
            .groupby(keys, as_index=False)
            .agg(active_learners=("learner_id", "nunique"), events=("count", "sum")))


def activity_after_start(events: pd.DataFrame, courses: pd.DataFrame, *,
                         max_weeks: int = 12) -> pd.DataFrame:
    """Share of learners active online k weeks after their first online week.

    Week 0 is each learner's first week with online activity in a course. A learner counts in
    week k's denominator only when the data cover that whole week (its end is before the
    course's ``observation_end``): learners not yet observed are censored, not inactive.

    Returns
    -------
    DataFrame: weeks_since_start (0..max_weeks), observed (learners whose week k is
    covered), active, share.
    """
    _check_columns(courses, ["course", "observation_end"], "courses")
    weeks = learner_weeks(events)
    if weeks.empty:
        return pd.DataFrame(columns=["weeks_since_start", "observed", "active", "share"])
    first = weeks.groupby(["learner_id", "course"])["week_start"].transform("min")
    weeks["weeks_since_start"] = (weeks["week_start"] - first).dt.days // 7
    starters = (weeks.loc[weeks["weeks_since_start"] == 0, ["learner_id", "course", "week_start"]]
                .merge(courses[["course", "observation_end"]], on="course"))
    rows = []
    for k in range(max_weeks + 1):
        week_end = starters["week_start"] + pd.Timedelta(weeks=k + 1)
        observed = starters.loc[week_end <= starters["observation_end"], ["learner_id", "course"]]
        active = weeks.loc[weeks["weeks_since_start"] == k, ["learner_id", "course"]]
        n_active = len(observed.merge(active, on=["learner_id", "course"]))
        rows.append({"weeks_since_start": k, "observed": len(observed), "active": n_active,
                     "share": n_active / len(observed) if len(observed) else float("nan")})
    return pd.DataFrame(rows)


def started_share(events: pd.DataFrame, learners: pd.DataFrame) -> pd.DataFrame:
    """Enrolled learners per course, and how many ever did anything online.

    Returns
    -------
    DataFrame: course, enrolled, started, never_started, share_started.
    """
    _check_columns(learners, ["learner_id", "course"], "learners")
    online = events.loc[events["source"].isin(ONLINE_SOURCES), ["learner_id", "course"]]
    started = learners.merge(online.drop_duplicates(), on=["learner_id", "course"],
                             how="left", indicator=True)
    started["started"] = started["_merge"] == "both"
    out = (started.groupby("course", as_index=False)
           .agg(enrolled=("learner_id", "size"), started=("started", "sum")))
    out["never_started"] = out["enrolled"] - out["started"]
    out["share_started"] = out["started"] / out["enrolled"]
    return out


def totals(events: pd.DataFrame, *, by: list[str]) -> pd.DataFrame:
    """Distinct learners and events over the whole period, per group of `by`.

    Returns
    -------
    DataFrame: the `by` columns, learners, events; sorted by learners, most first.
    """
    _check_columns(events, ["learner_id", "count", *by], "events")
    return (events.groupby(by, as_index=False)
            .agg(learners=("learner_id", "nunique"), events=("count", "sum"))
            .sort_values("learners", ascending=False, kind="stable").reset_index(drop=True))


def describe_started(started: pd.DataFrame) -> str:
    """One sentence on how many enrolled learners ever started (from :func:`started_share`)."""
    enrolled, began = int(started["enrolled"].sum()), int(started["started"].sum())
    if not enrolled:
        return "No enrolments in these data."
    worst = started.sort_values("share_started").iloc[0]
    return (f"Of {enrolled:,} enrolments, {began:,} ({began / enrolled:.0%}) led to any online "
            f"activity; {enrolled - began:,} learners enrolled and never started. The lowest "
            f"start rate is in {worst['course']} ({worst['share_started']:.0%}).")


def describe_drop(after_start: pd.DataFrame) -> str:
    """Sentences on the drop after the first week (from :func:`activity_after_start`)."""
    observed = after_start[after_start["observed"] > 0].set_index("weeks_since_start")
    if 1 not in observed.index:
        return "The data do not yet cover a second week for any learner."
    parts = [f"Of learners who started, {observed.loc[1, 'share']:.0%} were active online again "
             f"in the week after their first (n = {int(observed.loc[1, 'observed']):,})"]
    later = [k for k in (4, 8) if k in observed.index]
    parts += [f"{observed.loc[k, 'share']:.0%} in week {k} (n = {int(observed.loc[k, 'observed']):,})"
              for k in later]
    drops = observed["share"].diff().dropna()
    steepest = int(drops.idxmin())
    return ("; ".join(parts) + f". The steepest fall is from week {steepest - 1} to week "
            f"{steepest} ({-drops.min():.0%} of learners).")
