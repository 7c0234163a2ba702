"""blended.py: alignment on a hand-made log, the lift against hand-worked and independent answers,
and the demo's planted attendance effect (and its absence) over 20 seeds."""

import numpy as np
import pandas as pd
import pytest

from engagement import blended, privacy, results
from engagement.results import Result, TotalRow
from engagement.sources import demo

UTC = "UTC"


def ts(s):
    return pd.Timestamp(s, tz=UTC)


def ev(learner, when, source="lms", action="view", object_id=None):
    return {"learner_id": learner, "course": "C", "timestamp": ts(when), "source": source,
            "action": action, "object_id": object_id, "target_learner_id": None, "count": 1}


@pytest.fixture
def hand_log():
    """Course C, session S1 a webinar on Wednesday 21 January 2026 at 18:30 (week 0 = Mon 19 Jan).

    a attends; active twice in week -1 (13, 14 Jan), once in week -2 (6 Jan), clicks the Zoom
      link at 18:40 during the session (the session's own event), active once in week +1.
    b attends but is first active online on 22 January: left out (not at risk before).
    c does not attend; active in week -1, not after.
    d does not attend and withdrew on 20 January: not at risk, not listed.
    e attends but withdrew on 22 January (end of the session's week): left out.
    """
    events = pd.DataFrame([
        ev("a", "2026-01-06 10:00"), ev("a", "2026-01-13 09:00"), ev("a", "2026-01-13 09:05"),
        ev("a", "2026-01-14 20:00"), ev("a", "2026-01-21 18:40"), ev("a", "2026-01-27 08:00"),
        ev("a", "2026-01-21 18:30", "webinar", "attend", "S1"),
        ev("b", "2026-01-21 18:35", "webinar", "attend", "S1"), ev("b", "2026-01-22 12:00"),
        ev("c", "2026-01-12 11:00"),
        ev("d", "2026-01-12 11:00"),
        ev("e", "2026-01-13 11:00"), ev("e", "2026-01-21 18:31", "webinar", "attend", "S1"),
    ])
    learners = pd.DataFrame({"learner_id": list("abcde"), "course": "C",
                             "enrolled_at": ts("2026-01-01")})
    courses = pd.DataFrame({"course": ["C"], "starts_at": [ts("2026-01-05")],
                            "ends_at": [ts("2026-03-01")], "observation_end": [ts("2026-03-01")]})
    outcomes = pd.DataFrame({"learner_id": list("abcde"), "course": "C",
                             "final_result": ["in_progress"] * 3 + ["withdrawn"] * 2,
                             "completed_at": pd.Series([pd.NaT] * 5, dtype="datetime64[ns, UTC]"),
                             "withdrawn_at": [pd.NaT, pd.NaT, pd.NaT, ts("2026-01-20"),
                                              ts("2026-01-22")]})
    return events, learners, courses, outcomes


def test_attendances_and_session_start(hand_log):
    events, *_ = hand_log
    att = blended.attendances(events)
    assert att["learner_id"].tolist() == ["a", "e", "b"]
    assert att["session_start"].eq(ts("2026-01-21 18:30")).all()
    assert att["session_week"].eq(ts("2026-01-19")).all()


def test_session_own_events_are_the_clicks_during_the_session(hand_log):
    events, *_ = hand_log
    own = blended.session_own_events(events)
    assert own.index.tolist() == [4]  # a's 18:40 click; b's activity next day is not
    assert own["session_id"].tolist() == ["S1"]
    assert blended.session_own_events(events, minutes_after=5).empty


def test_panel_aligns_weeks_and_states_who_is_left_out(hand_log):
    panel = blended.session_panel(*hand_log, weeks_before=3, weeks_after=2).set_index("learner_id")
    assert sorted(panel.index) == ["a", "b", "c", "e"]  # d was not at risk
    a, c = panel.loc["a"], panel.loc["c"]
    assert [a[blended.day_column(r)] for r in range(-3, 3)] == [0, 1, 2, 0, 1, 0]
    assert [c[blended.day_column(r)] for r in range(-3, 3)] == [0, 0, 1, 0, 0, 0]
    assert a["attended"] and not c["attended"]
    assert a["active_before"] and a["active_weeks_before"] == 2 and a["active_after"] == 1
    assert c["active_before"] and c["active_weeks_before"] == 1 and c["active_after"] == 0
    assert a["left_out"] is None and c["left_out"] is None
    assert panel.loc["b", "left_out"] == "not active online before the session's week"
    assert panel.loc["e", "left_out"] == "withdrawn by the end of the session's week"
    gone = blended.left_out(panel.reset_index())
    assert gone.set_index("reason")["attendances"].to_dict() == {
        "not active online before the session's week": 1,
        "withdrawn by the end of the session's week": 1}


def test_weeks_past_the_observation_end_are_missing(hand_log):
    events, learners, courses, outcomes = hand_log
    courses = courses.assign(observation_end=ts("2026-02-01 12:00"))  # Sunday of week +1
    panel = blended.session_panel(events, learners, courses, outcomes, weeks_after=2)
    a = panel.set_index("learner_id").loc["a"]
    assert a[blended.day_column(1)] == 1 and np.isnan(a[blended.day_column(2)])
    short = courses.assign(observation_end=ts("2026-01-30"))  # week +1 not fully observed
    panel = blended.session_panel(events, learners, short, outcomes)
    assert set(panel["left_out"].dropna()) >= {"week after the session not observed"}


def test_event_study_counts_hand_log(hand_log):
    study = blended.event_study(blended.session_panel(*hand_log, weeks_before=2, weeks_after=1))
    got = study.set_index(["group", "relative_week"])
    assert got.loc[("attended", -1), "active"] == 1
    assert got.loc[("attended", -1), "learner_sessions"] == 1
    assert got.loc[("attended", -1), "mean_active_days"] == 2
    assert got.loc[("attended", 0), "active"] == 0  # the session's own click is not engagement
    assert got.loc[("did not attend", 1), "active_share"] == 0


def stratum_panel():
    """One session, two strata (active the week before or not), answer worked out by hand."""
    rows = []
    for y in (1, 1, 0):
        rows.append(("t", True, True, y))
    for y in (1, 0):
        rows.append(("c", False, True, y))
    rows.append(("t", True, False, 1))
    for y in (0, 0, 1, 0):
        rows.append(("c", False, False, y))
    df = pd.DataFrame(rows, columns=["who", "attended", "active_before", "active_after"])
    return df.assign(learner_id=[f"L{i}" for i in range(len(df))], course="C", session_id="S1",
                     format="webinar", left_out=None, **{"active_days[-1]": 0.0},
                     active_weeks_before=0)


def test_lift_on_hand_strata():
    # active-before stratum: attendees 2/3, non-attendees 1/2 -> 1/6, 3 attendees;
    # inactive-before stratum: attendee 1, non-attendees 1/4 -> 3/4, 1 attendee.
    # effect on the attended = (3 * 1/6 + 1 * 3/4) / 4 = 0.3125; naive = 3/4 - 2/6.
    lift = blended.attendance_lift(stratum_panel(), covariates=()).iloc[0]
    assert lift["estimate"] == pytest.approx(0.3125)
    assert lift["naive_difference"] == pytest.approx(0.75 - 2 / 6)
    assert (lift["attended"], lift["comparison"]) == (4, 6)
    assert lift["ci_low"] < lift["estimate"] < lift["ci_high"]


def test_stratum_without_comparison_is_left_out_and_counted():
    panel = stratum_panel()
    extra = panel.iloc[:1].assign(learner_id="X", session_id="S2")  # nobody to compare with
    lift = blended.attendance_lift(pd.concat([panel, extra]), covariates=()).iloc[0]
    assert lift["attended_without_comparison"] == 1
    assert lift["estimate"] == pytest.approx(0.3125)


def random_panel(seed=0, n=300):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        u = rng.normal()
        for s in range(6):
            before = rng.random() < 0.6
            days = rng.integers(1, 6) if before else 0
            att = rng.random() < (0.5 if before else 0.15)
            p = 1 / (1 + np.exp(-(-0.5 + u + 0.3 * days + 0.8 * att + 0.1 * s)))
            rows.append((f"L{i}", f"S{s}", before, days, int(rng.integers(0, 5)), att,
                         float(rng.random() < p)))
    df = pd.DataFrame(rows, columns=["learner_id", "session_id", "active_before", "active_days[-1]",
                                     "active_weeks_before", "attended", "active_after"])
    return df.assign(course="C", format="webinar", left_out=None)


def imputation_arrays(df):
    strata = pd.get_dummies(df["session_id"] + df["active_before"].astype(str), dtype=float)
    x = np.column_stack([strata.to_numpy(),
                         df[["active_days[-1]", "active_weeks_before"]].to_numpy(float)])
    return x, df["attended"].to_numpy(), df["active_after"].to_numpy()


def imputation_estimate(x, t, y):
    """Independent: least squares on non-attendees, predicted for attendees (numpy only)."""
    beta, *_ = np.linalg.lstsq(x[~t], y[~t], rcond=None)
    return float(np.mean(y[t] - x[t] @ beta))


def test_lift_equals_regression_imputation_and_its_se_matches_a_cluster_bootstrap():
    df = random_panel()
    lift = blended.attendance_lift(df).iloc[0]
    x, t, y = imputation_arrays(df)
    assert lift["estimate"] == pytest.approx(imputation_estimate(x, t, y), abs=1e-10)
    rng = np.random.default_rng(1)
    rows_of = df.groupby("learner_id").indices
    ids = list(rows_of)
    boot = []
    for _ in range(300):
        rows = np.concatenate([rows_of[i] for i in rng.choice(ids, len(ids))])
        boot.append(imputation_estimate(x[rows], t[rows], y[rows]))
    assert lift["std_error"] == pytest.approx(np.std(boot, ddof=1), rel=0.2)


def test_sentences_carry_the_caveat_and_numbers():
    lift = blended.attendance_lift(random_panel())
    text = blended.describe_lift(lift)
    assert blended.CAVEAT in text and f"{int(lift.iloc[0]['attended']):,} attendances" in text


@pytest.mark.slow
@pytest.mark.parametrize("effects", [1.0, 0.0])
def test_demo_lift_recovers_the_planted_effect_over_20_seeds(effects):
    """The adjusted interval covers the truth in >= 17 of 20 demos; the naive one is biased up."""
    truth = demo.truth(effects=effects).set_index("estimand")["value"]
    target = truth["attendance_lift"]
    covered, naive_above = 0, 0
    for seed in range(20):
        c = demo.simulate(seed=seed, effects=effects)
        lift = blended.attendance_lift(
            blended.session_panel(c.events, c.learners, c.courses, c.outcomes)).iloc[0]
        covered += lift["ci_low"] <= target <= lift["ci_high"]
        naive_above += lift["naive_ci_low"] > lift["ci_high"]
    assert covered >= 17
    assert naive_above == 20  # the naive difference sits above the adjusted interval every time
    if effects == 0:
        assert target == 0
    else:
        assert truth["naive_attendance_difference"] > target + 0.1


def test_attendance_summary_by_hand(hand_log):
    events, *_ = hand_log
    extra = pd.DataFrame([ev("c", "2026-01-22 12:30", "tutorial", "attend", "T1")])
    got = blended.attendance_summary(pd.concat([events, extra])).set_index("format")
    assert got.loc["webinar", ["sessions", "attendances", "learners"]].tolist() == [1, 3, 3]
    assert got.loc["tutorial", "attendances_per_session"] == 1


def test_panel_without_outcomes_keeps_the_withdrawn(hand_log):
    events, learners, courses, _ = hand_log
    panel = blended.session_panel(events, learners, courses).set_index("learner_id")
    assert panel.loc["e", "left_out"] is None and "d" in panel.index


def test_attendances_of_unknown_learners_are_refused(hand_log):
    events, learners, courses, outcomes = hand_log
    with pytest.raises(ValueError, match="1 attendances belong to learners missing"):
        blended.session_panel(events, learners[learners["learner_id"] != "a"], courses, outcomes)


# --------------------------------------------------------------------------- Results and sentences

def test_summary_and_left_out_are_results_with_their_meaning(hand_log):
    events, *_ = hand_log
    summary = blended.attendance_summary(events)
    assert isinstance(summary, Result) and summary.kind == "blended.attendance_summary"
    assert summary.columns["format"].kind == "label"
    assert summary.columns["learners"].people and summary.columns["attendances"].people
    assert not summary.columns["sessions"].people  # sessions held are not people
    assert summary.n == "learners" and summary.partition is None
    gone = blended.left_out(blended.session_panel(*hand_log))
    assert isinstance(gone, Result) and gone.n == "attendances"
    assert gone.columns["attendances"].unit == "attendances" and gone.columns["attendances"].people
    assert gone.columns["reason"].kind == "label"
    # people-level records stay disclosure-controlled
    assert privacy.control(gone, min_size=5).is_hidden(0, "attendances")


def test_event_study_metadata_and_its_total_rows():
    panel = random_panel(n=40).assign(**{"active_days[-2]": 1.0, "active_days[1]": 0.0})
    one = blended.event_study(panel)
    assert one.total_row is None  # one format: no "all" rows
    two = blended.event_study(pd.concat([panel, panel.assign(format="tutorial",
                                                              session_id="T")]))
    assert two.total_row == TotalRow("format", "all", by=("group", "relative_week"))
    cols = two.columns
    assert cols["learner_sessions"].kind == "count" and cols["learner_sessions"].people
    assert cols["learner_sessions"].unit == "learner-sessions"
    assert cols["active"].part_of == "learner_sessions"
    assert (cols["active_share"].kind, cols["active_share"].of, cols["active_share"].over) == (
        "share", "active", "learner_sessions")
    assert (cols["ci_low"].kind, cols["ci_low"].of) == ("low", "active_share")
    assert (cols["ci_high"].kind, cols["ci_high"].of) == ("high", "active_share")
    assert two.n == "learner_sessions" and two.design == "observational"
    assert two.kind == "blended.event_study"


def test_lift_metadata():
    lift = blended.attendance_lift(pd.concat([random_panel(n=60), random_panel(1, n=60).assign(
        format="tutorial", session_id=lambda d: "T" + d["session_id"])]))
    assert list(lift["format"]) == ["all", "webinar", "tutorial"]
    assert "design" not in lift.columns and lift.design == "observational"
    cols = lift.columns
    assert cols["estimate"].kind == "points" and cols["naive_difference"].kind == "points"
    assert (cols["ci_low"].of, cols["ci_high"].of) == ("estimate", "estimate")
    assert (cols["naive_ci_low"].of, cols["naive_ci_high"].kind) == ("naive_difference", "high")
    assert cols["p_value"].kind == "p" and cols["std_error"].technical
    for c in ("attended", "attended_learners", "comparison", "comparison_learners"):
        assert cols[c].kind == "count" and cols[c].people, c
    assert cols["attended"].unit == "attendances"
    # attendances add up over formats, distinct learners do not
    assert lift.n == "attended_learners" and lift.total_row == TotalRow(
        "format", "all", columns=("attended", "comparison", "attended_without_comparison"))
    table = lift.table.set_index("format")
    for column in lift.total_row.columns:
        assert table.loc["all", column] == table.drop("all")[column].sum(), column
    notes = " ".join(lift.notes)
    assert "selection may remain" in notes and "active days online in the week before" in notes
    single = blended.attendance_lift(random_panel(n=40), covariates=())
    assert single.total_row is None and "adjusted for" not in single.notes[0]


def _lift_like(**counts):
    """A hand-made attendance_lift Result: a clear lift, with the given counts."""
    row = {"format": "webinar", "estimate": 0.052, "std_error": 0.02, "ci_low": 0.012,
           "ci_high": 0.092, "p_value": 0.01, "attended": 120, "attended_learners": 60,
           "comparison": 700, "comparison_learners": 90, "attended_without_comparison": 0,
           "attendee_rate": 0.6, "comparison_rate": 0.4, "naive_difference": 0.2,
           "naive_ci_low": 0.15, "naive_ci_high": 0.25, **counts}
    template = blended.attendance_lift(random_panel(n=20))
    return template.with_table(pd.DataFrame([row])[list(template.columns)])


def test_describe_lift_hides_what_disclosure_control_hid():
    full = _lift_like()
    text = blended.describe_lift(full, format="webinar")
    assert text.startswith("Learners who attended webinars were more likely")
    assert "+5.2 percentage points (95% CI +1.2 to +9.2)" in text
    assert "120 attendances by 60 learners" in text and "700 non-attendee" in text
    assert "+20.0 percentage points" in text and blended.CAVEAT in text
    # nothing hidden: the partner sentence is the researcher's
    assert blended.describe_lift(privacy.control(full, min_size=5), format="webinar") == text

    small = privacy.control(_lift_like(attended=4, attended_learners=3), min_size=5)
    assert small.is_hidden(0, "attended_learners") and small.is_hidden(0, "estimate")
    text = blended.describe_lift(small, format="webinar")
    assert "Too few learners attended webinars" in text
    for hidden in ("4 attendances", "3 learners", "5.2", "1.2", "9.2", "20.0", "700"):
        assert hidden not in text, hidden
    assert "nan" not in text.lower() and "inf" not in text

    few = privacy.control(_lift_like(comparison_learners=4), min_size=5)
    text = blended.describe_lift(few, format="webinar")
    assert "Too few" in text and "4 " not in text and "5.2" not in text


def _study_like(attendees: int, active: int):
    """A hand-made event_study Result for week -1: non-attendees 200 (60 active)."""
    rows = [("all", "attended", -1, attendees, active, active / attendees),
            ("all", "did not attend", -1, 200, 60, 0.3)]
    df = pd.DataFrame(rows, columns=["format", "group", "relative_week", "learner_sessions",
                                     "active", "active_share"])
    lo, hi = blended.wilson_interval(df["active"], df["learner_sessions"])
    df = df.assign(ci_low=lo, ci_high=hi, mean_active_days=[1.0, 0.5])
    template = blended.event_study(random_panel(n=20).assign(**{"active_days[-2]": 1.0}))
    return template.with_table(df[list(template.columns)])


def test_describe_leads_hides_a_small_group_and_the_gap():
    full = _study_like(40, 6)
    text = blended.describe_leads(full)
    assert text.startswith("In week -1 before the session, 15% of attendees and 30% of "
                           "non-attendees were active online")
    assert "-15.0 percentage points" in text and "attendees were less active" in text
    assert blended.describe_leads(privacy.control(full, min_size=5)) == text
    small = privacy.control(_study_like(4, 3), min_size=5)
    assert small.is_hidden(0, "active_share")
    text = blended.describe_leads(small)
    assert "30% of non-attendees were active online" in text
    assert "too few learner-sessions of attendees" in text
    for hidden in ("75%", "points", "less active", "more engaged", "alike"):
        assert hidden not in text, hidden


def test_results_survive_json_and_wilson_comes_from_stats():
    from engagement import stats

    assert blended.wilson_interval is stats.wilson_interval
    lift = blended.attendance_lift(stratum_panel(), covariates=())
    back = Result.from_dict(lift.to_dict())
    assert back.columns == lift.columns and back.notes == lift.notes
    assert results.table_of(lift) is lift.table
