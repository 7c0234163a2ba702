"""Events -> sessions, learner-day and learner-week activity; weekly active learners.

The event-level reductions (:func:`sessions`, :func:`learner_days`, :func:`learner_weeks`)
are written once as Ibis expressions. They run on DuckDB by default (embedded, reading
Parquet out of core), and the same functions accept an Ibis table from another backend
(PostgreSQL, ClickHouse, Spark), so the reduction happens where the data lives. Everything
downstream of them is small and plain pandas; the summaries shown in reports
(:func:`weekly_active`, :func:`activity_after_start`, :func:`started_share`, :func:`totals`)
return an :class:`engagement.results.Result`, and the ``describe_*`` sentences are worded
from one, as computed or after disclosure control. They give the same tables on DuckDB and on
Spark through ``ibis.pyspark.connect`` (tested in local mode: tests/test_activity_spark.py);
see the README's "Bigger than one machine".

Definitions
-----------
- Times are UTC. Days start at 00:00 UTC; weeks on Monday 00:00 UTC (``week_start``).
- *Online* activity is activity on the learning platform or its forum (:data:`ONLINE_SOURCES`):
  joining a webinar is attendance, not online engagement.
- A *session* is a run of a learner's online events in one course with no gap longer than
  `gap_minutes` (default 30) between consecutive events.
- *Minutes* are time between consecutive events inside a session, credited to the later
  event's day (and group): they add up to session durations. A one-event session lasts 0
  minutes. Of events at the same instant, the one first in the order of the group columns
  takes the step (the same on every engine).
- Sources with only daily totals (OULAD's clicks per day, ``resolution="day"``) have active
  days but no sessions or minutes: those columns are missing, never zero.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from engagement import results, stats
from engagement.schema import require_columns

ONLINE_SOURCES = ("lms", "forum")
RESOLUTIONS = ("event", "day")
EVENT_COLUMNS = ("learner_id", "course", "timestamp", "source", "action", "count")

LEARNER_GROUPS = ("course", "organisation", "acquisition_channel")
"""Groups that split learners' enrolments apart (unlike source or action, where one
learner is active in several): tables by them are partitions of the learners."""

_GROUP_LABELS = {"organisation": "Organisation", "acquisition_channel": "Acquisition channel",
                 "course": "Course", "source": "Where (source)", "action": "Action"}


def _group_column(by: str) -> results.Column:
    """The column naming the groups of `by`: organisations are anonymised on partner pages."""
    text = _GROUP_LABELS.get(by, by.replace("_", " ").capitalize())
    return results.organisation(text) if by == "organisation" else results.label(text)


MEMORY_LIMIT_ENV = "ENGAGEMENT_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "750MB"


def connect() -> ibis.BaseBackend:
    """An embedded DuckDB connection whose session time zone is UTC.

    DuckDB truncates timestamps to days and weeks in its session time zone, which defaults to
    the machine's: pinning it to UTC keeps the tables the same on every machine. DuckDB's
    own memory is capped at :data:`DEFAULT_MEMORY_LIMIT` (beyond it, it spills to disk) so
    that a big log fits beside everything else on a laptop; set $ENGAGEMENT_DUCKDB_MEMORY_LIMIT
    (e.g. ``8GB``) on a bigger machine for speed.
    """
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    # results are sorted in pandas afterwards: DuckDB need not keep rows in input order,
    # which lets it stream and saves memory on big logs
    con.raw_sql("SET preserve_insertion_order = false")
    limit = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit.strip(), re.I):
        raise ValueError(f"${MEMORY_LIMIT_ENV} must look like 750MB or 8GB, not {limit!r}")
    con.raw_sql(f"SET memory_limit = '{limit.strip()}'")
    return con


def _as_table(events) -> tuple[ir.Table, ibis.BaseBackend | None]:
    """An Ibis table for events given as pandas, a Parquet path or an Ibis table.

    Returns the table and the DuckDB connection to run it on (None: the table's own backend).
    """
    if isinstance(events, ir.Table):
        return events, None
    con = connect()
    if isinstance(events, (str, os.PathLike)):
        path = Path(events)
        if not path.exists():
            raise FileNotFoundError(f"events Parquet {path} does not exist")
        return con.read_parquet(str(path)), con
    if isinstance(events, pd.DataFrame):
        return ibis.memtable(events), con
    raise TypeError("events must be a pandas DataFrame, a Parquet path or an Ibis table, "
                    f"not {type(events).__name__}")


def _to_pandas(expr: ir.Table, con) -> pd.DataFrame:
    # through Arrow: Ibis's own to_pandas conversion costs a tenth of the run on big logs
    arrow = con.to_pyarrow(expr) if con is not None else expr.to_pyarrow()
    # self_destruct frees each Arrow column as it is converted: a lower peak on big results
    out = arrow.to_pandas(split_blocks=True, self_destruct=True)
    del arrow
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC").dt.as_unit("ns")
        elif pd.api.types.is_datetime64_dtype(out[column]):
            # truncations come back without a zone; they were computed in UTC
            out[column] = out[column].dt.tz_localize("UTC").dt.as_unit("ns")
    return out


def _by_list(by) -> list[str]:
    return [] if by is None else [by] if isinstance(by, str) else list(by)


def _prepared(t: ir.Table, *, by: list[str], online_only: bool) -> ir.Table:
    missing = [c for c in (*EVENT_COLUMNS[:4], "count", *by) if c not in t.columns]
    if missing:
        raise ValueError(f"events: missing column(s) {', '.join(missing)}; "
                         f"it has {', '.join(t.columns)}")
    if online_only:
        t = t.filter(t.source.isin(ONLINE_SOURCES))
    return t.select("learner_id", "course", "timestamp", "count", *by)


def _backend_name(t: ir.Table, con) -> str:
    """The name of the backend the table runs on ("duckdb", "pyspark", "postgres", ...)."""
    return (con if con is not None else t.get_backend()).name


def _epoch_seconds(timestamp: ir.TimestampValue, backend: str) -> ir.NumericValue:
    """Seconds since 1970 as a double, microseconds kept.

    Ibis's ``epoch_seconds`` is DuckDB's ``EPOCH`` (microseconds kept) but Spark's
    ``UNIX_TIMESTAMP`` (whole seconds): sub-second events would be split into sessions
    differently. Spark's ``CAST(ts AS DOUBLE)`` is micros / 1e6, as DuckDB's EPOCH is.
    """
    if backend == "pyspark":
        return timestamp.cast("float64")
    return timestamp.epoch_seconds()


def _sessionised(t: ir.Table, gap_minutes: float, *, by: list[str] = (),
                 backend: str = "duckdb") -> ir.Table:
    """Events with ``session`` (1, 2, ... per learner and course) and ``step_seconds``.

    The step goes to the later event; of events at the same instant, to the first in the
    order of the `by` columns, so that the minutes of each group do not depend on the order
    the database happens to read tied rows in (it differs between DuckDB and Spark).
    """
    if not gap_minutes > 0:
        raise ValueError(f"gap_minutes must be positive, not {gap_minutes!r}")
    # epoch seconds once per event, and the step as its own column, so that neither the
    # conversion nor the window function is repeated in the generated SQL
    t = t.mutate(epoch=_epoch_seconds(t.timestamp, backend))
    order = ibis.window(group_by=[t.learner_id, t.course],
                        order_by=[t.epoch, *(t[c] for c in by)])
    t = t.mutate(step=t.epoch - t.epoch.lag().over(order))
    starts = t.step.isnull() | (t.step > gap_minutes * 60)
    t = t.mutate(new_session=starts.ifelse(1, 0), step_seconds=starts.ifelse(0, t.step))
    # RANGE, not ROWS: events at the same second are peers and get the same running total,
    # whatever order the database puts them in (with ROWS, tied events could be numbered
    # into two sessions)
    running = ibis.window(group_by=[t.learner_id, t.course], order_by=[t.epoch],
                          range=(None, 0))
    return t.mutate(session=t.new_session.sum().over(running))


def sessions(events, *, gap_minutes: float = 30, online_only: bool = True,
             resolution: str = "event") -> pd.DataFrame:
    """Split each learner's events into sessions.

    Parameters
    ----------
    events : DataFrame, Parquet path or Ibis table
        The contract's events table.
    gap_minutes : float
        A gap longer than this between consecutive events starts a new session.
    online_only : bool
        Keep only :data:`ONLINE_SOURCES` (default).
    resolution : {"event", "day"}
        With ``"day"`` (sources with only daily totals) there are no sessions to find: each
        active day stands in for one, starting and ending at midnight, minutes missing.

    Returns
    -------
    DataFrame: learner_id, course, session (1-based order within learner and course),
    started_at, ended_at (UTC; the first and last event), events (sum of ``count``),
    minutes (ended_at - started_at).
    """
    if resolution == "day":
        days = learner_days(events, resolution="day", online_only=online_only)
        out = days.rename(columns={"day": "started_at"}).assign(ended_at=lambda d: d["started_at"])
        out["session"] = out.groupby(["learner_id", "course"]).cumcount() + 1
        return out[["learner_id", "course", "session", "started_at", "ended_at", "events",
                    "minutes"]]
    t, con = _as_table(events)
    s = _sessionised(_prepared(t, by=[], online_only=online_only), gap_minutes,
                     backend=_backend_name(t, con))
    out = s.group_by("learner_id", "course", "session").aggregate(
        started_at=s.timestamp.min(), ended_at=s.timestamp.max(), events=s["count"].sum(),
        minutes=s.step_seconds.sum() / 60.0)
    result = _to_pandas(out, con)
    return result.sort_values(["course", "learner_id", "session"], kind="stable",
                              ignore_index=True)


def _activity(events, *, unit: str, by, gap_minutes: float, resolution: str,
              online_only: bool) -> pd.DataFrame:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}, not {resolution!r}")
    by = _by_list(by)
    t, con = _as_table(events)
    t = _prepared(t, by=by, online_only=online_only)
    if resolution == "event":
        t = _sessionised(t, gap_minutes, by=by, backend=_backend_name(t, con))
    t = t.mutate(day=t.timestamp.truncate("D"))
    key = "day" if unit == "day" else "week_start"
    if unit == "week":
        t = t.mutate(week_start=t.timestamp.truncate("W"))
    metrics = {"events": t["count"].sum()}
    if unit == "week":
        metrics["active_days"] = t.day.nunique()
    if resolution == "event":
        metrics["sessions"] = t.session.nunique()
        metrics["minutes"] = t.step_seconds.sum() / 60.0
    out = _to_pandas(t.group_by("learner_id", "course", key, *by).aggregate(**metrics), con)
    if resolution == "day":
        out["sessions"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["minutes"] = float("nan")
    columns = ["learner_id", "course", key, *by,
               *(["active_days"] if unit == "week" else []), "events", "sessions", "minutes"]
    return out[columns].sort_values(["course", "learner_id", key, *by], kind="stable",
                                    ignore_index=True)


def learner_days(events, *, by: str | list[str] | None = None, gap_minutes: float = 30,
                 resolution: str = "event", online_only: bool = True) -> pd.DataFrame:
    """One row per learner, course and UTC day with activity (and per group of `by`).

    Parameters
    ----------
    events : DataFrame, Parquet path or Ibis table
        The contract's events table.
    by : str or list of str, optional
        Event columns to split by, e.g. ``"source"`` or ``["source", "action"]``.
    gap_minutes : float
        Session gap (see :func:`sessions`).
    resolution : {"event", "day"}
        ``"day"`` for sources with only daily totals: sessions and minutes are left missing.
    online_only : bool
        Keep only :data:`ONLINE_SOURCES` (default).

    Returns
    -------
    DataFrame: learner_id, course, day, [by], events, sessions (distinct sessions with an
    event in the cell), minutes (time between consecutive events of a session credited to
    the later event's cell).
    """
    return _activity(events, unit="day", by=by, gap_minutes=gap_minutes,
                     resolution=resolution, online_only=online_only)


def learner_weeks(events, *, by: str | list[str] | None = None, gap_minutes: float = 30,
                  resolution: str = "event", online_only: bool = True) -> pd.DataFrame:
    """One row per learner, course and week (Monday 00:00 UTC) with activity.

    Parameters are those of :func:`learner_days`.

    Returns
    -------
    DataFrame: learner_id, course, week_start, [by], active_days, events, sessions, minutes.
    """
    return _activity(events, unit="week", by=by, gap_minutes=gap_minutes,
                     resolution=resolution, online_only=online_only)


def week_start(timestamps: pd.Series) -> pd.Series:
    """The Monday 00:00 UTC starting the week of each timestamp (pandas, for small tables)."""
    day = timestamps.dt.tz_convert("UTC").dt.floor("D")
    return day - pd.to_timedelta(day.dt.weekday, unit="D")


def online(days: pd.DataFrame) -> pd.DataFrame:
    """The rows of a learner-day table (split by ``source``) that are online activity."""
    require_columns(days, ["source"], "learner days")
    return days[days["source"].isin(ONLINE_SOURCES)]


def weekly_active(days: pd.DataFrame, *, by: str | None = None,
                  learners: pd.DataFrame | None = None) -> results.Result:
    """Distinct active learners and events per calendar week, optionally per group.

    Parameters
    ----------
    days : DataFrame
        A :func:`learner_days` table (split by the `by` column when it is an event column).
    by : str, optional
        A column of `days` (``source``, ``action``, ``course``) or, with `learners`, of the
        learners table (``organisation``, ``acquisition_channel``).
    learners : DataFrame, optional
        The contract's learners table, needed when `by` is one of its columns.

    Returns
    -------
    Result (``activity.weekly_active``; n ``active_learners``; partitioned by `by` when it
    splits learners apart: course, or a column of the learners table): week_start, [by],
    active_learners, events (a count of events, not of people).
    """
    require_columns(days, ["learner_id", "course", "day", "events"], "learner days")
    from_learners = by is not None and by not in days.columns
    if by is not None and by not in days.columns:
        if learners is None or by not in learners.columns:
            raise ValueError(f"weekly_active: {by!r} is neither a column of the learner days "
                             "nor of the learners table given")
        days = days.merge(learners[["learner_id", "course", by]], on=["learner_id", "course"],
                          how="left")
        days[by] = days[by].fillna("(unknown)")
    keys = ["week_start"] + ([by] if by else [])
    table = (days.assign(week_start=week_start(days["day"]))
             .groupby(keys, as_index=False)
             .agg(active_learners=("learner_id", "nunique"), events=("events", "sum")))
    columns = {"week_start": results.label("Week starting")}
    if by:
        columns[by] = _group_column(by)
    columns.update(active_learners=results.count("Active learners"),
                   events=results.count("Events", unit="events"))
    split = by is not None and (from_learners or by in LEARNER_GROUPS)
    return results.Result(
        table, columns,
        title="Active learners and events per week"
              + (f", by {_group_column(by).label.lower()}" if by else ""),
        n="active_learners", partition=by if split else None,
        notes=("Weeks start on Monday (UTC); a learner active in a week counts once "
               + ("in each group they were active in." if by and not split
                  else "that week."),),
        kind="activity.weekly_active")


def activity_after_start(weeks: pd.DataFrame, courses: pd.DataFrame, *,
                         max_weeks: int = 12) -> results.Result:
    """Share of learners active online k weeks after their first online week.

    Week 0 is each learner's first week with online activity in a course. A learner counts in
    week k's denominator only when the data cover that whole week (its end is before the
    course's ``observation_end``): learners not yet observed are censored, not inactive.

    Parameters
    ----------
    weeks : DataFrame
        A :func:`learner_weeks` table of online activity.
    courses : DataFrame
        The contract's courses table.
    max_weeks : int
        The last k reported.

    Returns
    -------
    Result (``activity.activity_after_start``; n ``observed``): weeks_since_start
    (0..max_weeks), observed (learners whose week k is covered), active (part of observed),
    share.
    """
    require_columns(weeks, ["learner_id", "course", "week_start"], "learner weeks")
    require_columns(courses, ["course", "observation_end"], "courses")
    columns = {
        "weeks_since_start": results.label("Weeks after the first online week"),
        "observed": results.count("Learners observed through the week"),
        "active": results.count("Learners active online that week", part_of="observed"),
        "share": results.share("Active online that week", of="active", over="observed"),
    }

    def result(table):
        return results.Result(
            table, columns, title="Learners active online k weeks after their first online week",
            n="observed",
            notes=("Week 0 is each learner's first week with online activity; a learner counts "
                   "in a week only when the data cover all of it.",),
            kind="activity.activity_after_start")

    if weeks.empty:
        return result(pd.DataFrame({
            "weeks_since_start": pd.Series(dtype="int64"), "observed": pd.Series(dtype="int64"),
            "active": pd.Series(dtype="int64"), "share": pd.Series(dtype="float64")}))
    weeks = weeks[["learner_id", "course", "week_start"]].drop_duplicates()
    first = weeks.groupby(["learner_id", "course"])["week_start"].transform("min")
    weeks = weeks.assign(weeks_since_start=(weeks["week_start"] - first).dt.days // 7)
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
    return result(pd.DataFrame(rows))


def started_share(days: pd.DataFrame, learners: pd.DataFrame) -> results.Result:
    """Enrolled learners per course, and how many ever did anything online.

    Parameters
    ----------
    days : DataFrame
        A :func:`learner_days` table of online activity.
    learners : DataFrame
        The contract's learners table.

    Returns
    -------
    Result (``activity.started_share``; n ``enrolled``, partitioned by course): course,
    enrolled, started and never_started (both part of enrolled), share_started.
    """
    require_columns(learners, ["learner_id", "course"], "learners")
    active = days[["learner_id", "course"]].drop_duplicates()
    started = learners.merge(active, on=["learner_id", "course"], how="left", indicator=True)
    started["started"] = started["_merge"] == "both"
    out = (started.groupby("course", as_index=False)
           .agg(enrolled=("learner_id", "size"), started=("started", "sum")))
    out["never_started"] = out["enrolled"] - out["started"]
    out["share_started"] = out["started"] / out["enrolled"]
    columns = {
        "course": results.label("Course"),
        "enrolled": results.count("Enrolments", unit="enrolments"),
        "started": results.count("Did anything online", unit="enrolments", part_of="enrolled"),
        "never_started": results.count("Never started", unit="enrolments", part_of="enrolled"),
        "share_started": results.share("Started", of="started", over="enrolled"),
    }
    return results.Result(out, columns, title="Enrolments that led to any online activity, "
                                              "by course",
                          n="enrolled", partition="course", kind="activity.started_share")


def totals(days: pd.DataFrame, *, by: list[str]) -> results.Result:
    """Distinct learners and events over the whole period, per group of `by`.

    Parameters
    ----------
    days : DataFrame
        A :func:`learner_days` table split by the `by` columns.
    by : list of str
        Its grouping columns, e.g. ``["source", "action"]``.

    Returns
    -------
    Result (``activity.totals``; n ``learners``; partitioned by the one `by` column when it
    splits learners apart): the `by` columns, learners, events (a count of events, not of
    people); sorted by learners, most first.
    """
    by = [by] if isinstance(by, str) else list(by)
    require_columns(days, ["learner_id", "events", *by], "learner days")
    table = (days.groupby(by, as_index=False)
             .agg(learners=("learner_id", "nunique"), events=("events", "sum"))
             .sort_values("learners", ascending=False, kind="stable").reset_index(drop=True))
    columns = {c: _group_column(c) for c in by}
    columns.update(learners=results.count("Learners"),
                   events=results.count("Events", unit="events"))
    split = len(by) == 1 and by[0] in LEARNER_GROUPS
    return results.Result(
        table, columns,
        title="Learners and events over the whole period, by "
              + " and ".join(columns[c].label.lower() for c in by),
        n="learners", partition=by[0] if split else None,
        notes=() if split else ("A learner active in several groups counts once in each.",),
        kind="activity.totals")


def describe_started(started: results.Result) -> str:
    """One sentence on how many enrolled learners ever started (from :func:`started_share`).

    After disclosure control, enrolments are added up over the courses only when none of
    the counts added is hidden, and the lowest start rate is picked among the courses
    shown (and said so).
    """
    table = results.table_of(started)
    if table.empty:
        return "No enrolments in these data."
    count = stats.format_count
    enrolled_hidden = results.hidden_rows(started, ["enrolled"]).any()
    started_hidden = results.hidden_rows(started, ["started", "never_started"]).any()
    if not enrolled_hidden and not started_hidden:
        enrolled, began = int(table["enrolled"].sum()), int(table["started"].sum())
        if not enrolled:
            return "No enrolments in these data."
        text = (f"Of {count(enrolled)} enrolments, {count(began)} "
                f"({stats.format_share(began / enrolled)}) led to any online activity; "
                f"{count(enrolled - began)} learners enrolled and never started.")
    elif not enrolled_hidden:
        enrolled = int(table["enrolled"].sum())
        if not enrolled:
            return "No enrolments in these data."
        text = (f"Of {count(enrolled)} enrolments, how many led to any online activity is not "
                "added up here: in some courses, too few learners started or too few never "
                "started to show.")
    else:
        text = ("Enrolments are not added up over the courses here: some courses have too "
                "few learners to show.")
    hidden = results.hidden_rows(started, ["share_started"])
    shown = table[~hidden & table["share_started"].notna().to_numpy()]
    if shown.empty:
        return text
    worst = shown.sort_values("share_started").iloc[0]
    among = " of the courses shown" if hidden.any() else ""
    return (f"{text} The lowest start rate{among} is in {worst['course']} "
            f"({stats.format_share(worst['share_started'])}).")


def describe_drop(after_start: results.Result) -> str:
    """Sentences on the drop after the first week (from :func:`activity_after_start`).

    After disclosure control, a week whose numbers are hidden is said to have too few
    learners to show, and the steepest fall is looked for between weeks shown.
    """
    table = results.table_of(after_start)
    hidden = results.hidden_rows(after_start, ["observed", "active", "share"])
    hidden = pd.Series(hidden, index=table["weeks_since_start"].to_numpy())
    observed = table.set_index("weeks_since_start")
    covered = observed["observed"].gt(0) | hidden  # a hidden count is small, not zero
    observed, hidden = observed[covered], hidden[covered]
    if 1 not in observed.index:
        return "The data do not yet cover a second week for any learner."

    if hidden[1]:
        parts = ["Of learners who started, too few were observed in the week after their "
                 "first to show how many were active online again"]
    else:
        parts = [f"Of learners who started, {stats.format_share(observed.loc[1, 'share'])} "
                 f"were active online again in the week after their first "
                 f"(n = {stats.format_count(observed.loc[1, 'observed'])})"]
    for k in (4, 8):
        if k not in observed.index:
            continue
        if hidden[k]:
            parts.append(f"too few learners to show in week {k}")
        else:
            parts.append(f"{stats.format_share(observed.loc[k, 'share'])} in week {k} "
                         f"(n = {stats.format_count(observed.loc[k, 'observed'])})")
    share = observed["share"].where(~hidden)
    drops = share.diff()
    # a fall between two weeks both shown (consecutive weeks)
    drops = drops[drops.notna() & (pd.Series(drops.index, index=drops.index).diff() == 1)]
    text = "; ".join(parts) + "."
    if drops.empty:
        return text
    steepest = int(drops.idxmin())
    among = " among the weeks shown" if hidden.any() else ""
    if drops.min() >= 0:
        return text + f" The share does not fall from one week to the next{among}."
    return (text + f" The steepest fall{among} is from week {steepest - 1} to week "
            f"{steepest} ({stats.format_points(-drops.min(), sign=False)} percentage points).")
