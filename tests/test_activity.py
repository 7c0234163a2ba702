"""Activity reductions on hand-made events with answers worked out by hand, the same tables
from every kind of input, and properties of sessions on random logs."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement import activity, privacy, results, stats


def events(rows):
    df = pd.DataFrame(rows, columns=["learner_id", "course", "timestamp", "source", "action"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    df["count"] = 1
    return df


def utc(text):
    return pd.Timestamp(text, tz="UTC")


# 2026-01-12 and 2026-01-19 are Mondays.
LOG = events([
    ("a", "C", "2026-01-12 09:00", "lms", "view"),
    ("a", "C", "2026-01-12 09:05", "lms", "view"),
    ("a", "C", "2026-01-12 09:40", "forum", "post"),    # 35 min gap: second session
    ("a", "C", "2026-01-14 10:00", "forum", "post"),
    ("a", "C", "2026-01-20 10:00", "lms", "view"),      # week 1 for a
    ("b", "C", "2026-01-18 23:59", "lms", "view"),      # Sunday: still week of the 12th
    ("b", "C", "2026-01-19 00:10", "lms", "view"),      # same session across midnight
    ("b", "C", "2026-01-19 10:00", "webinar", "attend"),  # attendance is not online activity
    ("c", "C", "2026-01-26 10:00", "lms", "view"),      # starts in the third week
])
COURSES = pd.DataFrame({"course": ["C"], "observation_end": [utc("2026-02-02 00:00")]})


def test_sessions_by_hand():
    s = activity.sessions(LOG).set_index(["learner_id", "session"])
    assert list(s.loc["a"].index) == [1, 2, 3, 4]
    assert s.loc[("a", 1), ["events", "minutes"]].tolist() == [2, 5.0]
    assert s.loc[("a", 2), "started_at"] == utc("2026-01-12 09:40")
    assert s.loc[("b", 1), ["events", "minutes"]].tolist() == [2, 11.0]
    assert s.loc[("b", 1), "ended_at"] == utc("2026-01-19 00:10")
    assert len(s) == 4 + 1 + 1
    assert len(activity.sessions(LOG, gap_minutes=60).query("learner_id == 'a'")) == 3
    with pytest.raises(ValueError, match="gap_minutes"):
        activity.sessions(LOG, gap_minutes=0)


def test_learner_days_split_minutes_across_midnight_and_groups():
    days = activity.learner_days(LOG).set_index(["learner_id", "day"])
    a12 = days.loc[("a", utc("2026-01-12"))]
    assert a12[["events", "sessions", "minutes"]].tolist() == [3, 2, 5.0]
    # b's one session runs over midnight: it counts on both days, its 11 minutes go to the
    # day of the later event
    assert days.loc[("b", utc("2026-01-18")), ["sessions", "minutes"]].tolist() == [1, 0.0]
    assert days.loc[("b", utc("2026-01-19")), ["sessions", "minutes"]].tolist() == [1, 11.0]
    by_source = activity.learner_days(LOG, by="source", online_only=False)
    b19 = by_source[(by_source.learner_id == "b") & (by_source.day == utc("2026-01-19"))]
    assert dict(zip(b19.source, b19.events, strict=True)) == {"lms": 1, "webinar": 1}


def test_daily_totals_have_active_days_but_no_sessions():
    daily = LOG.assign(timestamp=LOG["timestamp"].dt.floor("D"), count=3)
    weeks = activity.learner_weeks(daily, resolution="day")
    assert weeks["sessions"].isna().all() and weeks["minutes"].isna().all()
    a = weeks[(weeks.learner_id == "a") & (weeks.week_start == utc("2026-01-12"))]
    assert a[["active_days", "events"]].values.tolist() == [[2, 12]]  # 4 rows x 3
    with pytest.raises(ValueError, match="resolution"):
        activity.learner_weeks(daily, resolution="hour")


def test_learner_weeks_by_hand():
    weeks = activity.learner_weeks(LOG).set_index(["learner_id", "week_start"])
    a12 = weeks.loc[("a", utc("2026-01-12")), ["active_days", "events", "sessions"]]
    assert a12.tolist() == [2, 4, 3]
    assert weeks.loc[("b", utc("2026-01-12")), "active_days"] == 1
    assert ("b", utc("2026-01-19")) in weeks.index  # the 00:10 view; the webinar is not online


def test_same_tables_from_pandas_parquet_and_an_ibis_table(tmp_path):
    import ibis

    path = tmp_path / "events.parquet"
    LOG.assign(timestamp=LOG["timestamp"].dt.as_unit("us")).to_parquet(path)
    expected = activity.learner_days(LOG, by="action")
    pd.testing.assert_frame_equal(activity.learner_days(path, by="action"), expected)
    con = activity.connect()
    table = con.read_parquet(str(path))
    pd.testing.assert_frame_equal(activity.learner_days(table, by="action"), expected)
    with pytest.raises(FileNotFoundError):
        activity.sessions(tmp_path / "missing.parquet")
    with pytest.raises(ValueError, match="missing column"):
        activity.sessions(LOG.drop(columns="count"))
    assert isinstance(table, ibis.expr.types.Table)


def test_weekly_tables_and_sentences():
    days = activity.learner_days(LOG, by=["source", "action"], online_only=False)
    by_source = activity.weekly_active(days, by="source")
    row = by_source[(by_source["week_start"] == utc("2026-01-12")) & (by_source["source"] == "lms")]
    assert row[["active_learners", "events"]].values.tolist() == [[2, 3]]
    learners = pd.DataFrame({"learner_id": ["a", "b", "d"], "course": ["C"] * 3,
                             "organisation": ["X", "Y", "Y"]})
    by_org = activity.weekly_active(days, by="organisation", learners=learners)
    assert set(by_org["organisation"]) == {"X", "Y", "(unknown)"}
    with pytest.raises(ValueError, match="neither a column"):
        activity.weekly_active(days, by="organisation")
    out = activity.totals(days, by=["source"]).set_index("source")
    assert out.loc["lms", ["learners", "events"]].tolist() == [3, 6]
    started = activity.started_share(activity.online(days), learners)
    assert started[["enrolled", "started", "never_started"]].values.tolist() == [[3, 2, 1]]
    assert "Of 3 enrolments, 2 (67%)" in activity.describe_started(started)


def test_activity_after_start_censors_weeks_the_data_do_not_cover():
    weeks = activity.learner_weeks(LOG)
    out = activity.activity_after_start(weeks, COURSES, max_weeks=3).set_index("weeks_since_start")
    # week 0: a (12th), b (12th), c (26th) all observed and active
    assert out.loc[0, ["observed", "active"]].tolist() == [3, 3]
    # week 1: a and b observed (their week 1 ends on the 26th), both active (b at 00:10 on
    # the 19th); c's week 1 ends Feb 9, after the data: censored
    assert out.loc[1, ["observed", "active"]].tolist() == [2, 2]
    # week 2: a and b's week 2 ends Feb 2 = observation end: observed, neither active
    assert out.loc[2, ["observed", "active"]].tolist() == [2, 0]
    assert out.loc[3, "observed"] == 0
    text = activity.describe_drop(out.reset_index())
    assert text.startswith("Of learners who started, 100% were active online again")
    assert "steepest fall is from week 1 to week 2 (100.0 percentage points" in text  # was 100%


# --- properties on random logs --------------------------------------------------------------

def _random_log(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    minutes = np.cumsum(rng.exponential(20, n)).round()
    return pd.DataFrame({
        "learner_id": rng.choice(["p", "q", "r"], n),
        "course": rng.choice(["A", "B"], n),
        "timestamp": pd.Timestamp("2026-03-01", tz="UTC")
        + pd.to_timedelta(rng.permutation(minutes), unit="min"),
        "source": rng.choice(["lms", "forum"], n),
        "action": "view",
        "count": rng.integers(1, 4, n),
    })


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), gap=st.sampled_from([5, 30, 90]))
def test_sessions_partition_events_and_no_gap_inside_exceeds_the_threshold(seed, n, gap):
    log = _random_log(seed, n)
    s = activity.sessions(log, gap_minutes=gap)
    assert s["events"].sum() == log["count"].sum()  # every event in exactly one session
    for (learner, course), group in log.groupby(["learner_id", "course"]):
        times = group["timestamp"].sort_values()
        mine = s[(s.learner_id == learner) & (s.course == course)].sort_values("session")
        assert list(mine["session"]) == list(range(1, len(mine) + 1))
        # sessions cover the learner's events in order, without overlap
        assert (mine["started_at"].iloc[1:].values > mine["ended_at"].iloc[:-1].values).all()
        # inside a session no gap exceeds the threshold; between sessions every gap does
        between = (mine["started_at"].iloc[1:].values - mine["ended_at"].iloc[:-1].values)
        assert (between > np.timedelta64(gap * 60, "s")).all()
        gaps = times.diff().dropna()
        assert (gaps > pd.Timedelta(minutes=gap)).sum() == len(mine) - 1
        assert mine["minutes"].sum() == pytest.approx(
            gaps[gaps <= pd.Timedelta(minutes=gap)].sum().total_seconds() / 60)


def test_daily_totals_give_one_session_per_active_day():
    daily = LOG.assign(timestamp=LOG["timestamp"].dt.floor("D"))
    s = activity.sessions(daily, resolution="day")
    a = s[s.learner_id == "a"]
    assert a["session"].tolist() == [1, 2, 3] and a["events"].tolist() == [3, 1, 1]
    assert a["minutes"].isna().all() and (a["started_at"] == a["ended_at"]).all()


def test_events_at_the_same_instant_share_a_session_whatever_their_order():
    # after a long gap, two events at the same second: whichever the database sees first
    # starts the session, and both must be numbered into it
    rows = [("a", "C", "2026-01-12 09:00", "lms", "view")] + \
           [("a", "C", "2026-01-12 12:00", "lms", "view")] * 2 + \
           [("a", "C", "2026-01-12 12:01", "forum", "post")]
    for order in ([0, 1, 2, 3], [0, 3, 2, 1], [3, 2, 1, 0]):
        log = events([rows[i] for i in order])
        days = activity.learner_days(log)
        assert days[["events", "sessions", "minutes"]].values.tolist() == [[4, 2, 1.0]]
        assert activity.sessions(log)["events"].tolist() == [1, 3]


# --- Results: what the columns mean, and sentences after disclosure control -----------------

def _not_said(text, original, controlled, *, labels=()):
    """None of the numbers control hid is in `text` (counts and shares as printed)."""
    import re

    for c, col in controlled.columns.items():
        for i in range(len(controlled)):
            if not controlled.is_hidden(i, c) or col.kind not in ("count", "share"):
                continue
            v = original.table[c].iloc[i]
            printed = stats.format_count(v) if col.kind == "count" else stats.format_share(v)
            if printed in labels:
                continue
            after = r"(?![\d.,%])" if col.kind == "count" else ""
            assert not re.search(rf"(?<![\d.,]){re.escape(printed)}{after}", text), (c, text)


def test_activity_results_declare_their_columns():
    days = activity.learner_days(LOG, by=["source", "action"], online_only=False)
    weekly = activity.weekly_active(days)
    assert isinstance(weekly, results.Result) and weekly.kind == "activity.weekly_active"
    assert weekly.columns["week_start"].kind == "label" and weekly.n == "active_learners"
    assert weekly.columns["active_learners"].people
    assert weekly.columns["events"].kind == "count" and not weekly.columns["events"].people
    assert weekly.partition is None and weekly.design == "descriptive"
    by_source = activity.weekly_active(days, by="source")
    assert by_source.columns["source"].kind == "label"
    assert by_source.partition is None  # one learner is active in several sources
    learners = pd.DataFrame({"learner_id": ["a", "b", "d"], "course": ["C"] * 3,
                             "organisation": ["X", "Y", "Y"]})
    by_org = activity.weekly_active(days, by="organisation", learners=learners)
    assert by_org.columns["organisation"].kind == "organisation"
    assert by_org.partition == "organisation"
    assert activity.weekly_active(days, by="course").partition == "course"

    after = activity.activity_after_start(activity.learner_weeks(LOG), COURSES)
    cols = after.columns
    assert after.kind == "activity.activity_after_start" and after.n == "observed"
    assert cols["weeks_since_start"].kind == "label" and cols["observed"].people
    assert cols["active"].part_of == "observed"
    assert (cols["share"].kind, cols["share"].of, cols["share"].over) == (
        "share", "active", "observed")
    empty = activity.activity_after_start(activity.learner_weeks(LOG).iloc[:0], COURSES)
    assert empty.empty and list(empty.columns) == list(after.columns)

    started = activity.started_share(activity.online(days), learners)
    cols = started.columns
    assert started.kind == "activity.started_share"
    assert started.n == "enrolled" and started.partition == "course"
    assert cols["enrolled"].people and cols["enrolled"].unit == "enrolments"
    assert cols["started"].part_of == "enrolled" and cols["never_started"].part_of == "enrolled"
    assert (cols["share_started"].of, cols["share_started"].over) == ("started", "enrolled")

    totals = activity.totals(days, by=["source", "action"])
    assert totals.kind == "activity.totals" and totals.n == "learners"
    assert totals.partition is None and totals.columns["learners"].people
    assert not totals.columns["events"].people
    assert activity.totals(days, by=["course"]).partition == "course"


def test_describe_started_hides_what_control_hides():
    learners = pd.DataFrame({"learner_id": ["a", "b", "d"], "course": ["C"] * 3})
    shape = activity.started_share(activity.learner_days(LOG), learners)
    table = pd.DataFrame({"course": ["A", "B", "C"], "enrolled": [50, 60, 4],
                          "started": [40, 57, 2]})
    table["never_started"] = table["enrolled"] - table["started"]
    table["share_started"] = table["started"] / table["enrolled"]
    res = shape.with_table(table)
    assert activity.describe_started(res) == (
        "Of 114 enrolments, 99 (87%) led to any online activity; 15 learners enrolled and "
        "never started. The lowest start rate is in C (50%).")
    shown = privacy.control(res, min_size=5)
    said = activity.describe_started(shown)
    _not_said(said, res, shown)
    assert "114" not in said and "99" not in said and "15" not in said and "50%" not in said
    assert said.startswith("Enrolments are not added up over the courses here: some courses "
                           "have too few learners to show.")
    assert "The lowest start rate of the courses shown is in A (80%)." in said


def test_describe_drop_hides_what_control_hides():
    shape = activity.activity_after_start(activity.learner_weeks(LOG), COURSES)
    table = pd.DataFrame({"weeks_since_start": range(6), "observed": [40, 40, 38, 36, 30, 20],
                          "active": [40, 22, 18, 15, 3, 6]})
    table["share"] = table["active"] / table["observed"]
    res = shape.with_table(table)
    text = activity.describe_drop(res)
    assert text == ("Of learners who started, 55% were active online again in the week after "
                    "their first (n = 40); 10% in week 4 (n = 30). The steepest fall is from "
                    "week 0 to week 1 (45.0 percentage points).")
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(4, "active") and shown.is_hidden(4, "share")
    said = activity.describe_drop(shown)
    _not_said(said, res, shown, labels=("4",))  # "week 4"
    assert "10%" not in said
    assert said == ("Of learners who started, 55% were active online again in the week after "
                    "their first (n = 40); too few learners to show in week 4. The steepest "
                    "fall among the weeks shown is from week 0 to week 1 (45.0 percentage "
                    "points).")
