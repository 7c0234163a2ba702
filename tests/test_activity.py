"""Activity reductions on hand-made events with answers worked out by hand."""

import pandas as pd
import pytest

from engagement import activity


def events(rows):
    df = pd.DataFrame(rows, columns=["learner_id", "course", "timestamp", "source", "action"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    df["count"] = 1
    return df


# 2026-01-12 and 2026-01-19 are Mondays.
LOG = events([
    ("a", "C", "2026-01-12 09:00", "lms", "view"),
    ("a", "C", "2026-01-12 09:05", "lms", "view"),
    ("a", "C", "2026-01-14 10:00", "forum", "post"),
    ("a", "C", "2026-01-20 10:00", "lms", "view"),      # week 1 for a
    ("b", "C", "2026-01-18 23:59", "lms", "view"),      # Sunday: still week of the 12th
    ("b", "C", "2026-01-19 10:00", "webinar", "attend"),  # attendance is not online activity
    ("c", "C", "2026-01-26 10:00", "lms", "view"),      # starts in the third week
])
COURSES = pd.DataFrame({"course": ["C"],
                        "observation_end": pd.to_datetime(["2026-02-02 00:00"], utc=True)})


def test_week_start_is_monday_utc():
    weeks = activity.week_start(LOG["timestamp"])
    assert list(weeks.dt.strftime("%Y-%m-%d")) == ["2026-01-12"] * 3 + ["2026-01-19"] + [
        "2026-01-12", "2026-01-19", "2026-01-26"]


def test_learner_weeks_counts_events_and_active_days_online_only():
    lw = activity.learner_weeks(LOG).set_index(["learner_id", "week_start"])
    assert lw.loc[("a", pd.Timestamp("2026-01-12", tz="UTC")), ["events", "active_days"]].tolist() == [3, 2]
    assert ("b", pd.Timestamp("2026-01-19", tz="UTC")) not in lw.index
    assert len(activity.learner_weeks(LOG, online_only=False)) == len(lw) + 1


def test_weekly_active_by_source_and_by_learner_column():
    by_source = activity.weekly_active(LOG, by="source")
    row = by_source[(by_source["week_start"] == "2026-01-12") & (by_source["source"] == "lms")]
    assert row[["active_learners", "events"]].values.tolist() == [[2, 3]]
    learners = pd.DataFrame({"learner_id": ["a", "b"], "course": ["C", "C"], "organisation": ["X", "Y"]})
    by_org = activity.weekly_active(LOG, by="organisation", learners=learners)
    assert set(by_org["organisation"]) == {"X", "Y", "(unknown)"}
    with pytest.raises(ValueError, match="neither a column"):
        activity.weekly_active(LOG, by="organisation")


def test_activity_after_start_censors_weeks_the_data_do_not_cover():
    out = activity.activity_after_start(LOG, COURSES, max_weeks=3).set_index("weeks_since_start")
    # week 0: a (12th), b (12th), c (26th) all observed and active
    assert out.loc[0, ["observed", "active"]].tolist() == [3, 3]
    # week 1: a and b observed (their week 1 ends on the 26th); c's week 1 ends Feb 9, censored
    assert out.loc[1, ["observed", "active"]].tolist() == [2, 1]
    assert out.loc[1, "share"] == pytest.approx(0.5)
    # week 2: a and b's week 2 ends Feb 2 = observation end: observed, neither active
    assert out.loc[2, ["observed", "active"]].tolist() == [2, 0]
    assert out.loc[3, "observed"] == 0


def test_started_share_and_sentences():
    learners = pd.DataFrame({"learner_id": ["a", "b", "c", "d"], "course": ["C"] * 4})
    started = activity.started_share(LOG, learners)
    assert started[["enrolled", "started", "never_started"]].values.tolist() == [[4, 3, 1]]
    assert "Of 4 enrolments, 3 (75%)" in activity.describe_started(started)
    text = activity.describe_drop(activity.activity_after_start(LOG, COURSES, max_weeks=3))
    assert text.startswith("Of learners who started, 50% were active online again")


def test_totals():
    out = activity.totals(LOG, by=["source"])
    assert out.set_index("source").loc["lms", ["learners", "events"]].tolist() == [3, 5]
