"""Retention: return after k, cohorts, disengagement, Kaplan-Meier, log-rank, lifecycle,
stickiness. Small hand-made tables with answers worked out by hand; KM and log-rank
checked against lifelines; properties with hypothesis."""

import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.statistics import logrank_test, multivariate_logrank_test  # noqa: E402
from lifelines.utils import median_survival_times  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

from engagement import plots, privacy, results, retention, stats  # noqa: E402
from engagement.retention import (  # noqa: E402
    active_days_per_week, cohort_retention, disengagement, kaplan_meier, lifecycle, logrank,
    median_survival, return_after_k, stickiness_ratio)


def T(s):
    return pd.Timestamp(s, tz="UTC")


def utc(values):
    return pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[ns, UTC]")


def course_table(rows):
    df = pd.DataFrame(rows, columns=["course", "starts_at", "ends_at", "observation_end"])
    for c in ("starts_at", "ends_at", "observation_end"):
        df[c] = utc(df[c])
    df["title"] = df["course"]
    return df


def learner_table(rows):
    df = pd.DataFrame(rows, columns=["learner_id", "course", "organisation", "enrolled_at"])
    df["enrolled_at"] = utc(df["enrolled_at"])
    df["acquisition_channel"] = "email"
    return df


def outcome_table(rows):
    df = pd.DataFrame(rows, columns=["learner_id", "course", "completed_at"])
    df["completed_at"] = utc(df["completed_at"])
    df["final_result"] = np.where(df["completed_at"].notna(), "completed", "in_progress")
    df["withdrawn_at"] = utc([None] * len(df))
    df["score"] = np.nan
    return df


def day_table(rows):
    df = pd.DataFrame(rows, columns=["learner_id", "course", "day"])
    df["day"] = utc(df["day"])
    df["events"] = 1
    return df


def hidden_numbers(original, controlled, rows=None):
    """The numbers disclosure control hid (in the positional `rows`, default all), as a
    sentence would print them."""
    out = set()
    for c, col in controlled.columns.items():
        for i in (range(len(controlled)) if rows is None else rows):
            if not controlled.is_hidden(i, c):
                continue
            v = original.table[c].iloc[i]
            if col.kind == "count":
                out.add(("count", stats.format_count(v)))
            elif col.kind == "share" or (col.kind in ("low", "high")
                                         and original.columns[col.of].kind == "share"):
                out.add(("share", stats.format_share(v)))
    return out


def assert_not_said(text, numbers, *, labels=()):
    """None of `numbers` is in `text` (`labels`: numbers the text says as names, "week 1")."""
    for kind, printed in numbers:
        if printed in labels:
            continue
        after = r"(?![\d.,%])" if kind == "count" else ""
        assert not re.search(rf"(?<![\d.,]){re.escape(printed)}{after}", text), (printed, text)


# --------------------------------------------------------------------------- return after k

@pytest.fixture
def rak():
    courses = course_table([("R", "2024-01-01", None, "2024-02-01")])
    learners = learner_table([
        ("a", "R", "X", "2024-01-01"),
        ("b", "R", "X", "2024-01-01"),
        ("c", "R", "Y", "2024-01-25"),
        ("d", "R", "Y", None),
        ("e", "R", None, "2024-01-01"),
    ])
    outcomes = outcome_table([("e", "R", "2024-01-12"), ("a", "R", None)])
    s = [("a", "2024-01-02 10:00", "2024-01-02 11:00"),
         ("a", "2024-01-10 10:00", "2024-01-10 10:30"),
         ("a", "2024-01-30 10:00", "2024-01-30 11:00"),
         ("c", "2024-01-26 10:00", "2024-01-26 10:05"),
         ("d", "2024-01-05 09:00", "2024-01-05 09:10"),  # out of order on purpose
         ("d", "2024-01-03 09:00", "2024-01-03 09:10"),
         ("e", "2024-01-02 09:00", "2024-01-02 09:00"),
         ("e", "2024-01-04 09:00", "2024-01-04 09:30"),
         ("zz", "2024-01-02 09:00", "2024-01-02 09:30")]  # not enrolled: ignored
    sessions = pd.DataFrame(s, columns=["learner_id", "started_at", "ended_at"]).assign(course="R")
    sessions["started_at"] = utc(sessions["started_at"])
    sessions["ended_at"] = utc(sessions["ended_at"])
    sessions["session"] = sessions.groupby("learner_id").cumcount() + 1
    return sessions, learners, courses, outcomes


def test_return_after_k_by_hand(rak):
    sessions, learners, courses, outcomes = rak
    before = [x.copy() for x in rak]
    out = return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=4, within_days=14)
    for x, y in zip(rak, before, strict=True):
        pd.testing.assert_frame_equal(x, y)  # inputs untouched
    got = out.set_index("k")
    # k=0: a, b observed (a started); c (late enrolment) and e (completed Jan 12) censored;
    # d has no enrolment date
    assert got.loc[0, ["at_risk", "returned", "censored",
                       "no_enrolment_date"]].tolist() == [2, 1, 2, 1]
    # k=1: a and d observed and both back within 14 days; c and e censored
    assert got.loc[1, ["at_risk", "returned", "censored"]].tolist() == [2, 2, 2]
    # k=2: a (next session 20 days later) and d (none) observed, not back; e censored
    assert got.loc[2, ["at_risk", "returned", "censored"]].tolist() == [2, 0, 1]
    # k=3: a's 3rd session ends Jan 30: window runs past the data's end
    assert got.loc[3, ["at_risk", "returned", "censored"]].tolist() == [0, 0, 1]
    assert math.isnan(got.loc[3, "share"])
    assert got.loc[4, ["at_risk", "censored"]].tolist() == [0, 0]
    assert got.loc[0, "share"] == 0.5 and got.loc[1, "share"] == 1.0
    lo, hi = proportion_confint(1, 2, method="wilson")
    assert got.loc[0, "ci_low"] == pytest.approx(lo, abs=1e-12)
    assert got.loc[0, "ci_high"] == pytest.approx(hi, abs=1e-12)
    assert (got.loc[1:, "no_enrolment_date"] == 0).all()


def test_return_after_k_without_outcomes_does_not_censor_completion(rak):
    sessions, learners, courses, _ = rak
    got = return_after_k(sessions, learners, courses, k_max=2).set_index("k")
    # e is now observed at k=0 (and returned), and at k=1 (back on Jan 4)
    assert got.loc[0, ["at_risk", "returned"]].tolist() == [3, 2]
    assert got.loc[1, ["at_risk", "returned"]].tolist() == [3, 3]


def test_return_after_k_by_group(rak):
    sessions, learners, courses, outcomes = rak
    out = return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=1,
                         by="organisation")
    got = out.set_index(["organisation", "k"])
    assert set(out["organisation"]) == {"X", "Y", "(unknown)"}
    assert got.loc[("X", 0), ["at_risk", "returned", "censored",
                              "no_enrolment_date"]].tolist() == [2, 1, 0, 0]
    assert got.loc[("Y", 0), ["at_risk", "censored", "no_enrolment_date"]].tolist() == [0, 1, 1]
    assert got.loc[("Y", 1), ["at_risk", "returned", "censored"]].tolist() == [1, 1, 1]
    assert got.loc[("(unknown)", 0), ["at_risk", "censored"]].tolist() == [0, 1]
    assert len(out) == 3 * 2


def test_return_after_k_missing_column(rak):
    sessions, learners, courses, _ = rak
    with pytest.raises(ValueError, match="ended_at"):
        return_after_k(sessions.drop(columns="ended_at"), learners, courses)
    with pytest.raises(ValueError, match="not a column"):
        return_after_k(sessions, learners, courses, by="nope")


def test_describe_return_after_k(rak):
    sessions, learners, courses, outcomes = rak
    out = return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=2)
    text = retention.describe_return_after_k(out, k=0)
    assert "Of 2 enrolled learners" in text and "50%" in text and "within 14 days" in text
    text = retention.describe_return_after_k(out, k=1)
    assert text.startswith("Of 2 learners who had a first session, 100% came back for a second")


# --------------------------------------------------------------------------- disengagement

@pytest.fixture
def dis():
    courses = course_table([("C1", "2024-01-01", None, "2024-04-01"),
                            ("C2", "2024-01-01", "2024-02-01", "2024-04-01")])
    learners = learner_table([
        ("done", "C1", "O1", "2024-01-01"), ("quiet", "C1", "O1", "2024-01-01"),
        ("never", "C1", "O2", "2024-01-01"), ("gone", "C1", "O2", "2024-01-01"),
        ("ended", "C2", "O1", "2024-01-01"), ("edge", "C1", "O2", "2024-01-01"),
        ("edge2", "C1", "O2", "2024-01-01"),
    ])
    outcomes = outcome_table([("done", "C1", "2024-01-20 12:00"), ("quiet", "C1", None)])
    days = day_table([
        ("done", "C1", "2024-01-01"), ("done", "C1", "2024-01-05"), ("done", "C1", "2024-01-10"),
        ("done", "C1", "2024-02-15"),  # after completing: not followed
        ("quiet", "C1", "2024-01-02"), ("quiet", "C1", "2024-03-10"),
        ("gone", "C1", "2024-01-03"), ("gone", "C1", "2024-01-08"), ("gone", "C1", "2024-01-08"),
        ("ended", "C2", "2024-01-03"), ("ended", "C2", "2024-01-20"),
        ("edge", "C1", "2024-03-01"), ("edge", "C1", "2024-03-03"),
        ("edge2", "C1", "2024-03-04"),
    ])
    return days, learners, courses, outcomes


def test_disengagement_by_hand(dis):
    days, learners, courses, outcomes = dis
    before = [x.copy() for x in dis]
    out = disengagement(days, learners, courses, outcomes, idle_days=28)
    for x, y in zip(dis, before, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert len(out) == len(learners)
    got = out.set_index("learner_id")
    # the completer: censored at completion, activity after it ignored
    assert not got.loc["done", "event"] and got.loc["done", "censor_reason"] == "completed"
    assert got.loc["done", "duration_days"] == 9.0
    assert got.loc["done", "last_active"] == T("2024-01-10")
    # quiet at the data's end: Mar 10 + 28 idle days runs past Apr 1
    assert not got.loc["quiet", "event"] and got.loc["quiet", "censor_reason"] == "observation end"
    assert got.loc["quiet", "duration_days"] == 68.0
    # never started: apart, not an event at time zero
    assert not got.loc["never", "started"]
    assert pd.isna(got.loc["never", "event"]) and pd.isna(got.loc["never", "duration_days"])
    assert got.loc["never", "censor_reason"] is None
    # disengaged: Jan 8 then nothing until the end of the data
    assert got.loc["gone", "event"] and got.loc["gone", "censor_reason"] is None
    assert got.loc["gone", "duration_days"] == 5.0
    # the course ended on Feb 1, less than 28 days after Jan 20
    assert not got.loc["ended", "event"] and got.loc["ended", "censor_reason"] == "course ended"
    assert got.loc["ended", "duration_days"] == 17.0
    assert got.loc["ended", "observed_until"] == T("2024-02-01")
    # boundary: Mar 3 + 28 whole idle days (Mar 4..Mar 31) end exactly on Apr 1
    assert got.loc["edge", "event"] and got.loc["edge", "duration_days"] == 2.0
    assert not got.loc["edge2", "event"] and got.loc["edge2", "duration_days"] == 0.0
    assert int(out["event"].sum()) == 2
    assert out["started"].sum() == 6
    assert {"organisation", "acquisition_channel", "course"} <= set(out.columns)


def test_disengagement_censor_reasons_without_outcomes(dis):
    days, learners, courses, _ = dis
    got = disengagement(days, learners, courses, idle_days=28).set_index("learner_id")
    # without outcomes the completer's Feb 15 visit counts; Feb 15 + 28 < Apr 1: an event
    assert got.loc["done", "event"] and got.loc["done", "last_active"] == T("2024-02-15")


def test_describe_disengagement(dis):
    summary = retention.disengagement_summary(disengagement(*dis, idle_days=28))
    assert summary.table.iloc[0].to_dict() == {
        "enrolled": 7, "started": 6, "disengaged": 2, "completed": 1, "course_ended": 1,
        "observation_end": 2}
    assert summary.columns["disengaged"].part_of == "started" and summary.n == "enrolled"
    text = retention.describe_disengagement(summary, idle_days=28)
    assert text.startswith("Of 7 enrolments, 6 started; 2 of them were seen to disengage")
    assert "4 are censored" in text and "1 had completed" in text
    assert "1 enrolled and never started" in text


def test_describe_disengagement_hides_what_control_hid(dis):
    from engagement import privacy

    summary = retention.disengagement_summary(disengagement(*dis, idle_days=28))
    big = summary.with_table(pd.DataFrame({"enrolled": [70], "started": [60],
                                           "disengaged": [20], "completed": [1],
                                           "course_ended": [10], "observation_end": [29]}))
    shown = privacy.control(big, min_size=5)   # completed: 1; another part hides with it
    text = retention.describe_disengagement(shown, idle_days=28)
    assert "too few to show had completed" in text and " 1 had completed" not in text
    assert text.startswith("Of 70 enrolments, 60 started")


# --------------------------------------------------------------------------- Kaplan-Meier

def _random_durations(seed, n=60):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "duration_days": rng.integers(0, 15, n).astype(float),  # many ties, zeros
        "event": rng.random(n) < 0.6,
        "g": rng.choice(["a", "b", "c"], n),
    })
    df.loc[df["g"] == "c", "event"] = False  # an all-censored group
    return df


def _lifelines(df):
    kmf = KaplanMeierFitter().fit(df["duration_days"], df["event"])
    return kmf


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 7])
def test_kaplan_meier_equals_lifelines(seed):
    df = _random_durations(seed)
    km = kaplan_meier(df, by="g")
    for g, sub in df.groupby("g"):
        kmf = _lifelines(sub)
        mine = km[km["group"] == g].set_index("time")
        theirs = kmf.survival_function_.join(kmf.confidence_interval_)
        assert list(mine.index) == list(theirs.index)
        np.testing.assert_allclose(mine["survival"], theirs.iloc[:, 0], atol=1e-10, rtol=0)
        np.testing.assert_allclose(mine["ci_low"], theirs.iloc[:, 1], atol=1e-10, rtol=0)
        np.testing.assert_allclose(mine["ci_high"], theirs.iloc[:, 2], atol=1e-10, rtol=0)
        table = kmf.event_table
        np.testing.assert_array_equal(mine["at_risk"], table["at_risk"])
        np.testing.assert_array_equal(mine["events"], table["observed"])
        np.testing.assert_array_equal(mine["censored"], table["censored"])
        med = median_survival(km.table[km["group"] == g].drop(columns="group"))
        assert med["median"].iloc[0] == kmf.median_survival_time_
        ci = median_survival_times(kmf.confidence_interval_)
        assert med["ci_low"].iloc[0] == ci.iloc[0, 0]
        assert med["ci_high"].iloc[0] == ci.iloc[0, 1]
    # the all-censored group stays at 1 and never reaches its median
    c = km[km["group"] == "c"]
    assert (c["survival"] == 1).all()
    assert math.isinf(median_survival(km).set_index("group").loc["c", "median"])


def test_kaplan_meier_pooled_alpha_and_started_only():
    df = _random_durations(11)
    df["started"] = True
    extra = pd.DataFrame({"duration_days": [np.nan], "event": [pd.NA], "g": ["a"],
                          "started": [False]})
    km = kaplan_meier(pd.concat([df, extra], ignore_index=True), alpha=0.1)
    kmf = KaplanMeierFitter(alpha=0.1).fit(df["duration_days"], df["event"])
    assert km["at_risk"].iloc[0] == len(df)  # the non-starter is left out
    np.testing.assert_allclose(km["ci_low"], kmf.confidence_interval_.iloc[:, 0], atol=1e-10)
    np.testing.assert_allclose(km["ci_high"], kmf.confidence_interval_.iloc[:, 1], atol=1e-10)
    assert "group" not in km.columns


def test_kaplan_meier_by_hand_on_disengagement(dis):
    out = disengagement(*dis, idle_days=28)
    km = kaplan_meier(out).set_index("time")
    # started durations: done 9 (c), quiet 68 (c), gone 5 (e), ended 17 (c), edge 2 (e), edge2 0 (c)
    assert list(km.index) == [0.0, 2.0, 5.0, 9.0, 17.0, 68.0]
    assert km.loc[0.0, "at_risk"] == 6 and km.loc[0.0, "censored"] == 1
    assert km.loc[2.0, "survival"] == pytest.approx(4 / 5)
    assert km.loc[5.0, "survival"] == pytest.approx(4 / 5 * 3 / 4)
    assert km.loc[68.0, "survival"] == pytest.approx(0.6)


def test_kaplan_meier_rejects_bad_input():
    with pytest.raises(ValueError, match="event"):
        kaplan_meier(pd.DataFrame({"duration_days": [1.0]}))
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier(pd.DataFrame({"duration_days": [-1.0], "event": [True]}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=40))
def test_kaplan_meier_properties(pairs):
    df = pd.DataFrame(pairs, columns=["duration_days", "event"])
    km = kaplan_meier(df)
    s = km["survival"].to_numpy()
    assert ((s >= 0) & (s <= 1)).all()
    assert (np.diff(s) <= 1e-15).all()
    assert (np.diff(km["at_risk"].to_numpy()) <= 0).all()
    assert (km["ci_low"] <= s + 1e-12).all() and (s <= km["ci_high"] + 1e-12).all()
    assert km["events"].sum() + km["censored"].sum() == len(df)


# --------------------------------------------------------------------------- log-rank

@pytest.mark.parametrize("seed", [0, 4, 5])
def test_logrank_equals_lifelines(seed):
    df = _random_durations(seed, n=80)
    mine = logrank(df, by="g")
    theirs = multivariate_logrank_test(df["duration_days"], df["g"], df["event"])
    assert mine["chi_square"].iloc[0] == pytest.approx(theirs.test_statistic, abs=1e-10)
    assert mine["p_value"].iloc[0] == pytest.approx(theirs.p_value, abs=1e-10)
    assert mine["df"].iloc[0] == 2
    got = mine.set_index("group")
    for g, sub in df.groupby("g"):
        assert got.loc[g, "n"] == len(sub) and got.loc[g, "events"] == sub["event"].sum()
    assert got["expected"].sum() == pytest.approx(df["event"].sum())

    two = df[df["g"] != "c"]
    mine2 = logrank(two, by="g")
    a, b = two[two["g"] == "a"], two[two["g"] == "b"]
    theirs2 = logrank_test(a["duration_days"], b["duration_days"], a["event"], b["event"])
    assert mine2["chi_square"].iloc[0] == pytest.approx(theirs2.test_statistic, abs=1e-10)
    assert mine2["p_value"].iloc[0] == pytest.approx(theirs2.p_value, abs=1e-10)


def test_logrank_needs_two_groups_and_describes():
    df = _random_durations(0)
    with pytest.raises(ValueError, match="two groups"):
        logrank(df.assign(g="a"), by="g")
    same = pd.DataFrame({"duration_days": [1.0, 2, 3, 1, 2, 3], "event": [True] * 6,
                         "g": list("aaabbb")})
    text = retention.describe_logrank(logrank(same, by="g"), by="g")
    assert "no clear difference" in text and "p > 0.99" in text  # p = 1.00 before stats
    apart = pd.DataFrame({"duration_days": list(range(1, 11)) + list(range(40, 50)),
                          "event": [True] * 20, "g": ["fast"] * 10 + ["slow"] * 10})
    text = retention.describe_logrank(logrank(apart, by="g"), by="g")
    assert "differs" in text and "fast disengaged soonest" in text


def test_describe_survival():
    df = pd.DataFrame({"duration_days": [1.0, 2, 3, 4], "event": [True] * 4})
    text = retention.describe_survival(median_survival(kaplan_meier(df)))
    assert "half had stopped being active after 2 days" in text
    text = retention.describe_survival(median_survival(kaplan_meier(df.assign(event=False))))
    assert "median not reached" in text


# --------------------------------------------------------------------------- cohorts

@pytest.fixture
def cohorts():
    courses = course_table([("K", "2024-01-01", None, "2024-01-29")])
    learners = learner_table([
        ("p", "K", "O", "2024-01-01 10:00"), ("q", "K", "O", "2024-01-03 10:00"),
        ("r", "K", "O", "2024-01-08 10:00"), ("s", "K", "O", "2024-01-01 09:00"),
        ("t", "K", "O", None), ("u", "K", "O", "2024-01-01 08:00"),
    ])
    outcomes = outcome_table([("s", "K", "2024-01-16")])
    days = day_table([
        ("p", "K", "2024-01-02"), ("p", "K", "2024-01-09"), ("p", "K", "2024-01-10"),
        ("p", "K", "2024-01-22"), ("q", "K", "2024-01-03"), ("q", "K", "2024-01-12"),
        ("r", "K", "2024-01-20"), ("s", "K", "2024-01-01"), ("t", "K", "2024-01-02"),
    ])
    return days, learners, courses, outcomes


def test_cohort_retention_by_hand(cohorts):
    days, learners, courses, outcomes = cohorts
    out = cohort_retention(days, learners, courses, outcomes=outcomes, max_weeks=4)
    got = out.set_index(["cohort_week", "weeks_since_enrolment"])
    c1, c8 = T("2024-01-01"), T("2024-01-08")
    assert (got.loc[c1, "cohort_size"] == 4).all() and (got.loc[c8, "cohort_size"] == 1).all()
    assert got.loc[c1, "observed"].tolist() == [4, 4, 3, 2, 0]
    assert got.loc[c1, "retained"].tolist() == [3, 2, 0, 1, 0]
    assert got.loc[c8, "observed"].tolist() == [1, 1, 1, 0, 0]
    assert got.loc[c8, "retained"].tolist() == [0, 1, 0, 0, 0]
    # blank past the data's end, not zero
    assert math.isnan(got.loc[(c1, 4), "share"]) and math.isnan(got.loc[(c8, 3), "share"])
    assert got.loc[(c1, 3), "share"] == 0.5
    strict = cohort_retention(days, learners, courses, outcomes=outcomes, max_weeks=4,
                              min_active_days=2).set_index(["cohort_week", "weeks_since_enrolment"])
    assert strict.loc[(c1, 1), "retained"] == 1
    months = cohort_retention(days, learners, courses, outcomes=outcomes, cohort="month",
                              max_weeks=1)
    assert months["cohort_month"].unique().tolist() == [c1]
    assert months["cohort_size"].iloc[0] == 5
    assert "observed" in retention.describe_cohort_retention(out)


def test_cohort_retention_missing_column(cohorts):
    days, learners, courses, _ = cohorts
    with pytest.raises(ValueError, match="enrolled_at"):
        cohort_retention(days, learners.drop(columns="enrolled_at"), courses)


# --------------------------------------------------------------------------- lifecycle

def test_lifecycle_by_hand():
    w = {i: T("2024-01-01") + pd.Timedelta(weeks=i - 1) for i in range(1, 6)}
    rows = [("A", "K1", 1), ("A", "K1", 1), ("A", "K1", 2), ("A", "K1", 4),
            ("B", "K1", 2), ("B", "K1", 3), ("C", "K1", 3), ("C", "K1", 4), ("C", "K2", 1)]
    lw = pd.DataFrame([(a, c, w[i]) for a, c, i in rows],
                      columns=["learner_id", "course", "week_start"])
    lw["week_start"] = lw["week_start"].astype("datetime64[ns, UTC]")
    out = lifecycle(lw)
    assert out["week_start"].tolist() == [w[1], w[2], w[3], w[4]]
    cols = ["new", "returning", "resurrecting", "dormant"]
    assert out[cols].to_numpy().tolist() == [[2, 0, 0, 0], [1, 1, 0, 1], [1, 1, 0, 1],
                                             [0, 1, 1, 1]]
    assert out["active"].tolist() == [2, 2, 2, 2]
    ext = lifecycle(lw, weeks=[w[i] for i in range(1, 6)])
    assert ext.iloc[-1][cols].tolist() == [0, 0, 0, 2]
    assert "went quiet" in retention.describe_lifecycle(ext)


# --------------------------------------------------------------------------- stickiness

@pytest.fixture
def sticky():
    courses = course_table([("S", "2024-01-01", None, "2024-01-08"),
                            ("S2", "2024-01-01", None, "2024-01-08")])
    days = day_table([
        ("x", "S", "2024-01-01"), ("x", "S", "2024-01-03"), ("x", "S", "2024-01-07"),
        ("y", "S", "2024-01-02"), ("y", "S", "2024-01-03"), ("z", "S", "2024-01-05"),
        ("x", "S2", "2024-01-03"), ("y", "S", "2024-01-08"),
    ])
    return days, courses


def test_stickiness_ratio_by_hand(sticky):
    days, courses = sticky
    out = stickiness_ratio(days, courses, window_days=3)
    assert out["day"].tolist() == [T(f"2024-01-0{d}") for d in range(3, 8)]
    assert out["dau"].tolist() == [2, 0, 1, 0, 1]
    assert out["mau"].tolist() == [2, 2, 3, 1, 2]
    np.testing.assert_allclose(out["ratio"], [1, 0, 1 / 3, 0, 0.5])
    per = stickiness_ratio(days, courses, window_days=3, by="course")
    s2 = per[per["course"] == "S2"]
    assert s2["dau"].tolist() == [1, 0, 0, 0, 0] and s2["mau"].tolist() == [1, 1, 1, 0, 0]
    assert s2["ratio"].isna().tolist() == [False, False, False, True, True]


def test_active_days_per_week_by_hand(sticky):
    days, courses = sticky
    out = active_days_per_week(days, courses=courses)
    assert out["week_start"].unique().tolist() == [T("2024-01-01")]
    assert out["learners"].tolist() == [2, 1, 1, 0, 0, 0, 0]  # z and x/S2; y; x/S
    assert out["share"].sum() == pytest.approx(1)
    unfiltered = active_days_per_week(days)
    assert unfiltered["week_start"].nunique() == 2  # the partial week of Jan 8 kept
    text = retention.describe_stickiness(stickiness_ratio(days, courses, window_days=3), out,
                                         window_days=3)
    assert "50% of learners were active on a single day" in text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 20)), min_size=1,
                max_size=40), st.integers(1, 8))
def test_stickiness_matches_brute_force(pairs, window):
    days = day_table([(a, "S", T("2024-01-01") + pd.Timedelta(days=d)) for a, d in pairs])
    courses = course_table([("S", "2024-01-01", None, "2024-01-22")])
    out = stickiness_ratio(days, courses, window_days=window)
    for _, row in out.iterrows():
        in_window = days[(days["day"] > row["day"] - pd.Timedelta(days=window))
                         & (days["day"] <= row["day"])]
        assert row["mau"] == in_window["learner_id"].nunique()
        assert row["dau"] == days.loc[days["day"] == row["day"], "learner_id"].nunique()
    assert len(out) == max(0, 21 - (window - 1))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40), st.integers(0, 300)),
                min_size=0, max_size=30), st.integers(1, 20))
def test_return_after_k_counts_never_exceed_learners(raw, within):
    learners = learner_table([(str(i), "R", "O", "2024-01-01") for i in range(6)])
    courses = course_table([("R", "2024-01-01", None, "2024-02-10")])
    s = pd.DataFrame([(str(i), T("2024-01-01") + pd.Timedelta(days=d),
                       T("2024-01-01") + pd.Timedelta(days=d, minutes=m)) for i, d, m in raw],
                     columns=["learner_id", "started_at", "ended_at"]).assign(course="R")
    s["started_at"] = s["started_at"].astype("datetime64[ns, UTC]")
    s["ended_at"] = s["ended_at"].astype("datetime64[ns, UTC]")
    out = return_after_k(s, learners, courses, k_max=5, within_days=within)
    assert ((out["at_risk"] + out["censored"]) <= len(learners)).all()
    assert (out["returned"] <= out["at_risk"]).all()
    seen = out[out["at_risk"] > 0]
    assert ((seen["ci_low"] <= seen["share"]) & (seen["share"] <= seen["ci_high"])).all()


# --------------------------------------------------------------------------- plots

def test_plots_draw_retention_results(rak, cohorts, dis):
    sessions, learners, courses, outcomes = rak
    try:
        ax = plots.return_after_k_curve(
            return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=3,
                           by="organisation").table)
        assert len(ax.get_lines()) == 3 and ax.get_legend() is not None

        table = cohort_retention(*cohorts[:3], outcomes=cohorts[3], max_weeks=4).table
        ax = plots.cohort_heatmap(table)
        cells = ax.collections[0].get_array()
        assert np.ma.count_masked(cells) == table["share"].isna().sum() == 3  # blank cells

        out = disengagement(*dis)
        km = kaplan_meier(out, by="organisation").table
        ax = plots.km_curves(km)
        assert ax.get_legend() is not None

        lw = pd.DataFrame({"learner_id": ["a", "a", "b"], "course": "K",
                           "week_start": utc(["2024-01-01", "2024-01-08", "2024-01-01"])})
        ax = plots.lifecycle_bars(lifecycle(lw, weeks=utc(["2024-01-01", "2024-01-08",
                                                           "2024-01-15"])).table)
        heights = [p.get_height() for p in ax.patches]
        assert min(heights) == -1  # dormant drawn below zero

        days = day_table([("x", "S", "2024-01-0%d" % d) for d in range(1, 8)])
        crs = course_table([("S", "2024-01-01", None, "2024-01-08")])
        ax = plots.stickiness_plot(stickiness_ratio(days, crs, window_days=2).table)
        assert len(ax.get_lines()) >= 1
    finally:
        plt.close("all")


# --------------------------------------------------------------------------- Results

def test_return_after_k_declares_its_columns(rak):
    sessions, learners, courses, outcomes = rak
    res = return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=2,
                         by="organisation")
    assert isinstance(res, results.Result) and res.kind == "retention.return_after_k"
    cols = res.columns
    assert cols["organisation"].kind == "organisation" and cols["k"].kind == "label"
    assert cols["at_risk"].kind == "count" and cols["at_risk"].people
    assert cols["returned"].people and cols["returned"].part_of == "at_risk"
    assert cols["share"].kind == "share"
    assert (cols["share"].of, cols["share"].over) == ("returned", "at_risk")
    assert (cols["ci_low"].kind, cols["ci_low"].of) == ("low", "share")
    assert (cols["ci_high"].kind, cols["ci_high"].of) == ("high", "share")
    assert cols["censored"].people and cols["censored"].technical
    assert cols["no_enrolment_date"].people and cols["no_enrolment_date"].technical
    assert cols["within_days"].technical and cols["within_days"].kind == "label"
    assert "Came back within 14 days" == cols["share"].label
    assert "within 14 days" in res.constants["within_days"]
    assert res.n == "at_risk" and res.partition == "organisation"
    assert res.design == "observational"
    pooled = return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=2,
                            within_days=7.5)
    assert pooled.partition is None and pooled.design == "descriptive"
    assert "within 7.5 days" in pooled.constants["within_days"]
    channel = return_after_k(sessions, learners, courses, k_max=1, by="acquisition_channel")
    assert channel.columns["acquisition_channel"].kind == "label"
    assert channel.partition == "acquisition_channel"


def _rak_table(rows, by="organisation"):
    """A return_after_k table from hand-made counts."""
    df = pd.DataFrame(rows, columns=[by, "k", "at_risk", "returned", "censored"])
    df["share"] = df["returned"] / df["at_risk"]
    df["ci_low"], df["ci_high"] = retention.wilson_interval(df["returned"], df["at_risk"])
    df["no_enrolment_date"] = 0
    df["within_days"] = 14.0
    return df[[by, "k", "at_risk", "returned", "share", "ci_low", "ci_high", "censored",
               "no_enrolment_date", "within_days"]]


def test_describe_return_after_k_hides_what_control_hides(rak):
    sessions, learners, courses, outcomes = rak
    shape = return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=1,
                           by="organisation")
    res = shape.with_table(_rak_table([
        ("A", 0, 50, 40, 0), ("A", 1, 40, 22, 2), ("B", 0, 60, 45, 0), ("B", 1, 45, 36, 1),
        ("C", 0, 4, 3, 0), ("C", 1, 3, 2, 0)]))
    # as computed: the pooled figure and the range, as before
    text = retention.describe_return_after_k(res, k=1)
    assert text.startswith("Of 88 learners who had a first session, 68% came back for a "
                           "second within 14 days (95% CI 58%–77%); 3 more were not observed")
    assert text.endswith("By organisation, it ranges from 55% (A, n = 40) to 80% (B, n = 45).")
    # partners: C is too small; its numbers, the pooled figure (a sum over a hidden cell) and
    # whatever was hidden to protect it are not said
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(5, "at_risk") and shown.is_hidden(5, "share")
    said = retention.describe_return_after_k(shown, k=1)
    assert_not_said(said, hidden_numbers(res, shown, rows=[1, 3, 5]))  # k = 1
    assert "88" not in said and "68%" not in said and "67%" not in said
    small = [i for i in (1, 3, 5) if shown.any_hidden([i], ["at_risk", "returned", "share"])]
    assert len(small) == 2 and 5 in small  # C, and another to protect it (the total is public)
    assert f"{shown['organisation'].iloc[5]} has too few learners to show." in said
    other = shown["organisation"].iloc[[i for i in small if i != 5][0]]
    assert (f"{other} is not shown, so that a smaller group's numbers cannot be worked out "
            "from it.") in said
    assert "not added up across organisations" in said
    for i in np.flatnonzero(shown["k"] == 1):
        if not shown.any_hidden([i], ["at_risk", "returned", "share"]):
            assert shown["organisation"].iloc[i] in said
            assert f"n = {int(shown['at_risk'].iloc[i])}" in said
    # the same table without groups: one row, hidden whole
    flat = return_after_k(sessions, learners, courses, outcomes=outcomes, k_max=1)
    small = privacy.control(flat.with_table(_rak_table([("-", 0, 4, 3, 0), ("-", 1, 3, 2, 1)])
                                            .drop(columns="organisation")), min_size=5)
    said = retention.describe_return_after_k(small, k=1)
    assert said == ("Too few learners were observed long enough after a first session to show "
                    "whether they came back within 14 days.")


def test_cohort_retention_declares_its_columns(cohorts):
    days, learners, courses, outcomes = cohorts
    res = cohort_retention(days, learners, courses, outcomes=outcomes, max_weeks=4)
    cols = res.columns
    assert res.kind == "retention.cohort_retention"
    assert cols["cohort_week"].kind == "label" and cols["weeks_since_enrolment"].kind == "label"
    assert cols["cohort_size"].people
    assert cols["observed"].part_of == "cohort_size" and cols["retained"].part_of == "observed"
    assert (cols["share"].of, cols["share"].over) == ("retained", "observed")
    assert cols["ci_low"].of == "share" and cols["ci_high"].of == "share"
    assert res.n == "observed" and res.partition == "cohort_week"
    assert res.design == "descriptive" and "at least one active day" in res.constants[
        "min_active_days"]
    months = cohort_retention(days, learners, courses, cohort="month", min_active_days=2)
    assert months.partition == "cohort_month"
    assert "at least 2 active days" in months.constants["min_active_days"]
    empty = cohort_retention(days.iloc[:0], learners.iloc[:0], courses)
    assert empty.empty and list(empty.columns) == list(res.columns)


def test_describe_cohort_retention_hides_what_control_hides(cohorts):
    days, learners, courses, outcomes = cohorts
    shape = cohort_retention(days, learners, courses, outcomes=outcomes, max_weeks=1)
    rows = []
    for cohort, size, obs, kept in (("2024-01-01", 40, (40, 38), (30, 20)),
                                    ("2024-01-08", 30, (30, 30), (25, 12)),
                                    ("2024-01-15", 4, (4, 4), (2, 1))):
        for w in (0, 1):
            rows.append((T(cohort), w, size, obs[w], kept[w]))
    table = pd.DataFrame(rows, columns=["cohort_week", "weeks_since_enrolment", "cohort_size",
                                        "observed", "retained"])
    table["share"] = table["retained"] / table["observed"]
    table["ci_low"], table["ci_high"] = retention.wilson_interval(table["retained"],
                                                                  table["observed"])
    res = shape.with_table(table)
    text = retention.describe_cohort_retention(res, weeks=(0, 1))
    assert text == ("Across 3 enrolment cohorts, pooling the learners observed through each "
                    "week: 77% were active in week 0 after enrolling (n = 74); 46% were active "
                    "in week 1 after enrolling (n = 72).")
    shown = privacy.control(res, min_size=5)
    said = retention.describe_cohort_retention(shown, weeks=(0, 1))
    assert_not_said(said, hidden_numbers(res, shown), labels=("0", "1"))  # "week 0", "week 1"
    assert "74" not in said and "72" not in said
    assert said == ("Across 3 enrolment cohorts, week 0 and week 1 after enrolling are not "
                    "pooled here: some cohorts have too few learners to show.")
    said = retention.describe_cohort_retention(shown, weeks=(0, 1, 2))  # week 2: no data
    assert said.startswith("Across 3 enrolment cohorts, week 0 and week 1")


def test_kaplan_meier_declares_a_curve():
    df = _random_durations(3)
    km = kaplan_meier(df, by="g", alpha=0.1)
    cols = km.columns
    assert km.kind == "retention.kaplan_meier" and km.curve == "at_risk"
    assert km.partition == "group" and km.design == "observational" and km.n == "at_risk"
    assert cols["group"].kind == "label" and cols["time"].kind == "label"
    assert cols["at_risk"].people
    assert cols["events"].part_of == "at_risk" and cols["censored"].part_of == "at_risk"
    assert cols["survival"].kind == "share"
    assert (cols["survival"].of, cols["survival"].over) == ("events", "at_risk")
    assert cols["ci_low"].of == "survival" and cols["ci_low"].label.startswith("90%")
    pooled = kaplan_meier(df)
    assert pooled.partition is None and pooled.design == "descriptive"
    assert pooled.columns["ci_high"].label.startswith("95%")
    by_org = kaplan_meier(df.rename(columns={"g": "organisation"}), by="organisation")
    assert by_org.columns["group"].kind == "organisation"
    empty = kaplan_meier(df.iloc[:0], by="g")
    assert empty.empty and list(empty.columns) == list(km.columns)
    # partners: the curve is cut where fewer than 5 remain at risk
    shown = privacy.control(km, min_size=5)
    assert (shown["at_risk"].dropna() >= 5).all()


def test_median_survival_and_logrank_declare_their_columns():
    df = _random_durations(0, n=80).rename(columns={"g": "organisation"})
    km = kaplan_meier(df, by="organisation")
    med = median_survival(km)
    assert med.kind == "retention.median_survival"
    assert med.columns["group"].kind == "organisation"  # carried over from the curve
    assert med.n == "n" and med.partition == "group" and med.design == "observational"
    assert med.columns["events"].part_of == "n" and med.columns["median"].kind == "days"
    assert med.columns["ci_low"].of == "median" and med.columns["ci_high"].of == "median"
    # from a plain table as well
    assert median_survival(km.table).columns["group"].kind == "label"
    test = logrank(df, by="organisation")
    cols = test.columns
    assert test.kind == "retention.logrank" and test.design == "observational"
    assert test.n == "n" and test.partition == "group"
    assert cols["group"].kind == "organisation" and cols["events"].part_of == "n"
    assert cols["p_value"].kind == "p" and cols["chi_square"].kind == "number"
    assert cols["df"].technical and not cols["chi_square"].technical


def _median_table(rows):
    return pd.DataFrame(rows, columns=["group", "n", "events", "median", "ci_low", "ci_high"])


def test_describe_survival_hides_what_control_hides():
    df = _random_durations(0, n=80)
    shape = median_survival(kaplan_meier(df, by="g"))
    res = shape.with_table(_median_table([
        ("early", 40, 30, 12.0, 8.0, 21.0), ("late", 35, 19, 31.0, 22.0, math.inf),
        ("tiny", 4, 3, 6.0, 2.0, math.inf)]))
    text = retention.describe_survival(res)
    assert ("In early, of 40 learners who started, half had stopped being active after 12 "
            "days (95% CI 8–21; 30 disengaged).") in text
    assert "after 31 days (95% CI 22–not reached; 19 disengaged)" in text
    shown = privacy.control(res, min_size=5)
    said = retention.describe_survival(shown)
    assert_not_said(said, hidden_numbers(res, shown))
    assert "tiny has too few learners who started to show the time to disengagement." in said
    # the group hidden to protect tiny (their sum is public) is not said to be small
    assert ("late is not shown, so that a smaller group's numbers cannot be worked out from "
            "it.") in said
    assert "after 6 days" not in said and "of 4 learners" not in said
    for i, group in enumerate(shown["group"]):
        if shown.is_hidden(i, "median") and not shown.is_hidden(i, "n"):
            assert f"In {group}, of {int(shown['n'].iloc[i])} learners who started, the median" \
                   " time to disengagement is not shown" in said
    # a median between whole days, and an interval whose ends are the same
    odd = shape.with_table(_median_table([("a", 40, 30, 2.5, 2.5, 2.5)]))
    assert "after 2.5 days (95% CI 2.5 at both ends; 30 disengaged)" in \
        retention.describe_survival(odd)


def test_describe_logrank_hides_what_control_hides():
    apart = pd.DataFrame({"duration_days": list(range(1, 11)) + list(range(40, 52)) + [1, 2, 3],
                          "event": [True] * 25, "g": ["fast"] * 10 + ["slow"] * 12 + ["few"] * 3})
    res = logrank(apart, by="g")
    text = retention.describe_logrank(res, by="g")
    assert "differs" in text and "df = 2" in text
    assert "learners in few disengaged soonest (3 disengaged where" in text
    shown = privacy.control(res, min_size=5)
    said = retention.describe_logrank(shown, by="g")
    assert_not_said(said, hidden_numbers(res, shown))
    assert "few disengaged" not in said
    # one group left to show: no "soonest" among one
    assert said.endswith("; some groups have too few learners to show, so which disengaged "
                         "soonest is not said.")
    four = pd.concat([apart, pd.DataFrame({"duration_days": list(range(20, 31)),
                                           "event": True, "g": "middle"})], ignore_index=True)
    res = logrank(four, by="g")
    shown = privacy.control(res, min_size=5)
    said = retention.describe_logrank(shown, by="g")
    assert_not_said(said, hidden_numbers(res, shown))
    assert "of the groups shown, learners in " in said
    assert "few disengaged" not in said
    same = pd.DataFrame({"duration_days": [1.0, 2, 3, 1, 2, 3, 2, 3], "event": [True] * 8,
                         "g": list("aaaaaabb")})
    res = logrank(same.assign(g=["a"] * 6 + ["b"] * 2), by="g")
    assert retention.describe_logrank(res, by="g").endswith("; n = 8).")
    said = retention.describe_logrank(privacy.control(res, min_size=5), by="g")
    assert "n = " not in said or "too few" in said
    assert "8" not in said and "2 " not in said


def test_lifecycle_declares_its_parts():
    lw = pd.DataFrame({"learner_id": ["a", "a", "b"], "course": "K",
                       "week_start": utc(["2024-01-01", "2024-01-08", "2024-01-01"])})
    res = lifecycle(lw)
    cols = res.columns
    assert res.kind == "retention.lifecycle" and res.partition is None and res.n is None
    assert cols["week_start"].kind == "label"
    assert all(cols[c].part_of == "active" for c in ("new", "returning", "resurrecting"))
    assert cols["dormant"].people and cols["dormant"].part_of is None
    assert cols["active"].people


def test_describe_lifecycle_hides_what_control_hides():
    lw = pd.DataFrame({"learner_id": ["a"], "course": "K", "week_start": utc(["2024-01-01"])})
    shape = lifecycle(lw)
    table = pd.DataFrame({"week_start": utc(["2024-01-01", "2024-01-08", "2024-01-15"]),
                          "new": [40, 12, 6], "returning": [0, 30, 25],
                          "resurrecting": [0, 0, 4], "dormant": [0, 10, 17]})
    table["active"] = table["new"] + table["returning"] + table["resurrecting"]
    res = shape.with_table(table)
    text = retention.describe_lifecycle(res)
    assert text == ("Over 3 weeks, 47% of weekly active learners had also been active the week "
                    "before, 50% were new and 3% came back after a break; in the week of 15 Jan "
                    "2024, 35 were active and 17 went quiet.")
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(2, "resurrecting")
    said = retention.describe_lifecycle(shown)
    assert_not_said(said, hidden_numbers(res, shown))
    assert "47%" not in said and "3%" not in said
    assert said.startswith("Over 3 weeks (not added up here: some weeks have too few")
    assert "in the week of 15 Jan 2024" in said and "17 went quiet" in said


def test_stickiness_results_declare_their_columns(sticky):
    days, courses = sticky
    ratio = stickiness_ratio(days, courses, window_days=3)
    cols = ratio.columns
    assert ratio.kind == "retention.stickiness_ratio" and ratio.n == "mau"
    assert ratio.partition is None and cols["day"].kind == "label"
    assert cols["dau"].people and cols["dau"].part_of == "mau" and cols["mau"].people
    assert (cols["ratio"].kind, cols["ratio"].of, cols["ratio"].over) == ("share", "dau", "mau")
    assert "3 days ending that day" in ratio.constants["window_days"]
    per_course = stickiness_ratio(days, courses, window_days=3, by="course")
    assert per_course.partition == "course" and per_course.columns["course"].kind == "label"
    per_week = active_days_per_week(days, courses=courses)
    assert per_week.kind == "retention.active_days_per_week"
    assert per_week.partition == "active_days" and per_week.n == "learners"
    assert per_week.columns["active_days"].kind == "label"
    assert per_week.columns["learners"].people and per_week.columns["share"].kind == "share"
    none = stickiness_ratio(days, courses, window_days=30, by="course")
    assert none.empty and list(none.columns) == list(per_course.columns)


def test_describe_stickiness_hides_what_control_hides(sticky):
    days, courses = sticky
    ratio_shape = stickiness_ratio(days, courses, window_days=3)
    week_shape = active_days_per_week(days, courses=courses)
    ratio = ratio_shape.with_table(pd.DataFrame({
        "day": utc(["2024-01-03", "2024-01-04", "2024-01-05"]), "dau": [20, 4, 30],
        "mau": [80, 4, 90], "ratio": [0.25, 1.0, 1 / 3]}))
    week = pd.DataFrame({"week_start": T("2024-01-01"), "active_days": range(1, 8),
                         "learners": [40, 30, 20, 6, 4, 0, 0]})
    week["share"] = week["learners"] / week["learners"].sum()
    per_week = week_shape.with_table(week)
    text = retention.describe_stickiness(ratio, per_week, window_days=3)
    assert text == ("On a typical day, 33% of the learners active in the previous 3 days were "
                    "active (median over 3 days; range 25%–100%). In a week they were active, "
                    "40% of learners were active on a single day and 30% on three days or more.")
    shown_ratio = privacy.control(ratio, min_size=5)
    shown_week = privacy.control(per_week, min_size=5)
    said = retention.describe_stickiness(shown_ratio, shown_week, window_days=3)
    assert_not_said(said, hidden_numbers(ratio, shown_ratio) | hidden_numbers(per_week,
                                                                               shown_week))
    assert "100%" not in said and "40%" not in said and "30%" not in said
    assert said.startswith("On a typical day, 29% of the learners active in the previous 3 "
                           "days were active (median over 2 days; range 25%–33%; 1 day with "
                           "too few learners to show left out).")
    assert "not added up over the weeks" in said
    # a per-week Result that did not go through control is not quoted beside a partner one
    assert retention.describe_stickiness(shown_ratio, per_week, window_days=3) == \
        said.split(" How many")[0]


def test_median_survival_refuses_a_controlled_curve():
    km = kaplan_meier(_random_durations(1), by="g")
    with pytest.raises(ValueError, match="as computed"):
        median_survival(privacy.control(km, min_size=5))
