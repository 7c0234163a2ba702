"""drivers.py features and outcomes on a hand-made log with answers worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from engagement import drivers, privacy, results
from engagement.results import Result


def ts(s):
    return pd.Timestamp(s, tz="UTC")


def ev(learner, when, source="lms", action="view", target=None, object_id=None):
    return {"learner_id": learner, "course": "C", "timestamp": ts(when), "source": source,
            "action": action, "object_id": object_id, "target_learner_id": target, "count": 1}


@pytest.fixture
def hand():
    """Organisations: O1 = a, b, c, e (e never starts); O2 = d alone; O3 = g, h.

    a: first online Mon 5 Jan 10:00 (window to 12 Jan 10:00): post 6 Jan, submit 7 Jan,
       webinar 8 Jan, b's reply 9 Jan; the 12 Jan 10:00 view is outside; active 5 Feb (later).
    b: first online 9 Jan 09:00 replying to a; a view on 10 Jan.
    c: first online 20 Jan. d: first online 3 Jan. h: first online 5 Jan; g: first 8 Jan.
    """
    events = pd.DataFrame([
        ev("a", "2026-01-05 10:00"), ev("a", "2026-01-06 11:00", "forum", "post"),
        ev("a", "2026-01-07 12:00", action="submit"),
        ev("a", "2026-01-08 18:30", "webinar", "attend", object_id="S1"),
        ev("b", "2026-01-09 09:00", "forum", "reply", target="a"),
        ev("b", "2026-01-10 09:00"), ev("a", "2026-01-12 10:00"), ev("a", "2026-02-05 10:00"),
        ev("c", "2026-01-20 10:00"), ev("d", "2026-01-03 10:00"),
        ev("h", "2026-01-05 10:00"), ev("g", "2026-01-08 10:00"),
    ])
    learners = pd.DataFrame({"learner_id": list("abcdegh"), "course": "C",
                             "organisation": ["O1", "O1", "O1", "O2", "O1", "O3", "O3"],
                             "enrolled_at": ts("2026-01-01"),
                             "acquisition_channel": ["linkedin", "email", None, "x", "x", "x", "x"]})
    courses = pd.DataFrame({"course": ["C"], "starts_at": [ts("2026-01-05")],
                            "ends_at": [ts("2026-04-30")], "observation_end": [ts("2026-03-10")]})
    outcomes = pd.DataFrame({"learner_id": list("abcdegh"), "course": "C",
                             "final_result": ["completed", "withdrawn"] + ["in_progress"] * 5,
                             "completed_at": [ts("2026-03-09")] + [pd.NaT] * 6,
                             "withdrawn_at": [pd.NaT, ts("2026-02-01")] + [pd.NaT] * 5,
                             "score": np.nan})
    return events, learners, courses, outcomes


def test_early_features_by_hand(hand):
    events, learners, *_ = hand
    f = drivers.early_features(events, learners).set_index("learner_id")
    assert sorted(f.index) == list("abcdgh")  # e never started
    a, b = f.loc["a"], f.loc["b"]
    assert a["window_start"] == ts("2026-01-05 10:00") and a["window_end"] == ts("2026-01-12 10:00")
    assert (a["active_days"], a["actions_view"], a["actions_post"], a["actions_submit"]) == (3, 1, 1, 1)
    assert (a["posts"], a["replies_received"], a["replies_given"], a["sessions_attended"]) == (1, 1, 0, 1)
    assert a["uses_platform"] and a["uses_forum"] and a["uses_live_sessions"]
    assert (b["active_days"], b["actions_reply"], b["replies_given"], b["replies_received"]) == (2, 1, 1, 0)
    assert not b["uses_live_sessions"]
    assert f.loc["a", "acquisition_channel"] == "linkedin" and f.loc["a", "organisation"] == "O1"


def test_colleague_activity_is_before_the_window_and_leaves_the_learner_out(hand):
    events, learners, *_ = hand
    f = drivers.early_features(events, learners).set_index("learner_id")["colleague_activity"]
    # a: colleagues b, c, e; none active 29 Dec - 5 Jan. b: a active 5-8 Jan -> 1 of 3.
    # c: nobody active 13-20 Jan (a's last early event is 12 Jan 10:00, before 13 Jan 10:00).
    assert f["a"] == 0 and f["b"] == pytest.approx(1 / 3) and f["c"] == 0
    # g's only colleague h was active before g began: 1 of 1. Were g counted, it would be 1/2.
    assert f["g"] == 1 and f["h"] == 0
    assert np.isnan(f["d"])  # no colleague at all


def test_later_outcomes_by_hand(hand):
    events, learners, courses, outcomes = hand
    f = drivers.early_features(events, learners)
    later = drivers.later_outcomes(f, events, learners, courses, outcomes).set_index("learner_id")
    # a's weeks 4-8: 2 Feb 10:00 to 2 Mar 10:00, observed (data end 10 Mar): active on 5 Feb
    assert later.loc["a", "active_later"] == 1
    # b withdrew (no later activity: 0); c's later window ends 17 Mar, after the data end
    assert later.loc["b", "active_later"] == 0 and pd.isna(later.loc["c", "active_later"])
    assert later.loc["d", "active_later"] == 0
    assert later.loc["a", "completed"] == 1 and later.loc["b", "completed"] == 0
    assert pd.isna(later.loc["d", "completed"])  # course still running, in progress


def test_channel_mix_by_hand(hand):
    events, learners, courses, outcomes = hand
    f = drivers.early_features(events, learners)
    mix = drivers.channel_mix(f, drivers.later_outcomes(f, events, learners, courses, outcomes))
    got = mix.set_index("places")
    assert got.loc["platform", "learners"] == 4  # c, d, g, h
    assert got.loc["platform + forum + live sessions", "learners"] == 1  # a
    assert got.loc["platform + forum", "learners"] == 1  # b
    assert got.loc["platform", "followed"] == 3  # c's later window is not observed
    # what the columns are
    assert isinstance(mix, Result) and mix.kind == "drivers.channel_mix"
    assert mix.columns["places"].kind == "label" and mix.columns["learners"].people
    assert mix.columns["followed"].part_of == "learners"
    assert mix.columns["active_later"].part_of == "followed"
    assert (mix.columns["share"].of, mix.columns["share"].over) == ("active_later", "followed")
    assert mix.columns["ci_low"].kind == "low" and mix.columns["ci_low"].of == "share"
    assert mix.columns["ci_high"].kind == "high" and mix.columns["ci_high"].of == "share"
    assert (mix.n, mix.partition, mix.design) == ("followed", "places", "observational")
    assert list(mix.columns) == ["places", "learners", "followed", "active_later", "share",
                                 "ci_low", "ci_high"]


def test_withdrew_and_default_features(hand):
    events, learners, courses, outcomes = hand
    f = drivers.early_features(events, learners)
    later = drivers.later_outcomes(f, events, learners, courses, outcomes).set_index("learner_id")
    assert later.loc["b", "withdrew"] == 1 and later.loc["a", "withdrew"] == 0
    assert pd.isna(later.loc["d", "withdrew"])
    chosen = drivers.default_features(f)
    assert "posts" in chosen and "actions_post" not in chosen and "actions_reply" not in chosen
    assert all(f[c].nunique() > 1 for c in chosen)


def test_feature_summary_and_cv_sentence():
    table = pd.DataFrame({"y": [1, 1, 0, 0, None], "x": [2, 4, 1, 1, 9]})
    res = drivers.feature_summary(table, outcome="y", features=["x"])
    got = res.iloc[0]
    assert (got["mean_if_yes"], got["mean_if_no"], got["learners_yes"],
            got["learners_no"]) == (3, 1, 2, 2)
    assert res.columns["feature"].kind == "label"
    assert res.columns["learners_yes"].people and res.columns["learners_no"].people
    assert res.columns["mean_if_yes"].kind == "number"
    assert res.columns["mean_if_yes"].depends_on == ("learners_yes",)
    assert res.columns["mean_if_no"].depends_on == ("learners_no",)
    assert res.design == "observational" and res.kind == "drivers.feature_summary"
    # two learners with the outcome: hidden on a partner page, with their mean
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(0, "learners_yes") and shown.is_hidden(0, "mean_if_yes")
    cv = pd.DataFrame({"fold": ["1", "2", "pooled"], "auc": [0.7, 0.8, 0.72],
                       "ci_low": [np.nan, np.nan, 0.6], "ci_high": [np.nan, np.nan, 0.8]})
    assert "AUC was 0.72 (95% CI 0.60\u20130.80): moderate" in drivers.describe_cv(
        cv, group="course")


def _cv_result(n, events):
    """A hand-made grouped_cross_validation Result: two folds and the pooled row."""
    table = pd.DataFrame({"fold": ["1", "2", "pooled"], "held_out_groups": ["A", "B", "all"],
                          "train_groups": ["B", "A", ""], "n": n, "events": events,
                          "auc": [0.7, 0.8, 0.72], "ci_low": [np.nan, np.nan, 0.61],
                          "ci_high": [np.nan, np.nan, 0.83]})
    low, high = results.interval("auc")
    columns = {"fold": results.label("Fold"),
               "held_out_groups": results.organisation("Held out", technical=True),
               "train_groups": results.organisation("Fitted on", technical=True),
               "n": results.count("Learners"), "events": results.count("With", part_of="n"),
               "auc": results.estimate("number", "AUC", of=("n", "events")),
               "ci_low": low, "ci_high": high}
    return Result(table, columns, title="cv", n="n", partition="fold",
                  total_row=results.TotalRow("fold", "pooled"))


def test_describe_cv_hides_what_control_hides():
    shown = _cv_result([40, 50, 90], [20, 25, 45])
    text = drivers.describe_cv(shown)
    assert text == ("Scoring learners of each organisation with a model fitted without it "
                    "(2 folds), the AUC was 0.72 (95% CI 0.61\u20130.83): moderate at telling "
                    "the two outcomes apart (0.5 is a coin toss, 1 perfect).")
    assert drivers.describe_cv(privacy.control(shown, min_size=5)) == text  # nothing small
    # 4 learners in all: the pooled row is hidden whole, so is its AUC
    small = privacy.control(_cv_result([2, 2, 4], [1, 1, 2]), min_size=5)
    assert small.is_hidden(2, "auc")
    text = drivers.describe_cv(small)
    assert "too few learners to show the AUC" in text and "(2 folds)" in text
    for number in ("0.72", "0.61", "0.83", "4"):
        assert number not in text
    # a partner never reads organisation names in the (technical) group columns
    names = set(small["held_out_groups"]) | set(small["train_groups"])
    assert not names & {"A", "B", "all"}


def test_many_clusters_skip_the_wild_bootstrap():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    table = pd.DataFrame({"y": (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int), "x": x,
                          "cluster": np.arange(n) // 4})  # 100 clusters
    got = drivers.logistic_drivers(table, outcome="y", features=["x"], cluster="cluster")
    assert got["wild_p_value_lpm"].isna().all() and (got["clusters"] == 100).all()
    few = drivers.logistic_drivers(table.assign(cluster=table["cluster"] % 8), outcome="y",
                                   features=["x"], cluster="cluster")
    assert few["wild_p_value_lpm"].notna().all()
    # the sentences under the table follow the actual number of clusters
    assert got.constants["clusters"] == "Standard errors are clustered by cluster (100 clusters)."
    assert few.constants["clusters"] == "Standard errors are clustered by cluster (8 clusters)."
    assert not any("few" in n or "only" in n for n in got.notes)
    assert any(n.startswith("With only 8 clusters") and "wild cluster bootstrap" in n
               for n in few.notes)


@pytest.mark.realdata
@pytest.mark.slow
def test_oulad_early_vle_activity_goes_with_less_withdrawal(shared_data_dir, tmp_path):
    from engagement import clean, schema

    path = clean.prepare("oulad", shared_data_dir("oulad"), name="oulad",
                         processed_root=tmp_path / "processed")
    ds = schema.read_dataset(path)
    # the presentations the partial VLE file covers, and only those
    assert sorted(ds.courses["course"]) == ["AAA-2013J", "AAA-2014J", "BBB-2013B", "BBB-2013J"]
    features = drivers.early_features(ds.events, ds.learners, window_days=14)
    later = drivers.later_outcomes(features, ds.events, ds.learners, ds.courses, ds.outcomes)
    table = features.merge(later, on=["learner_id", "course"])
    model = drivers.logistic_drivers(table, outcome="withdrew",
                                     features=["active_days", "actions_submit"],
                                     cluster="learner_id").set_index("term")
    assert model.loc["active_days", "ci_high"] < 1  # more active days, less withdrawal
    assert model.loc["actions_submit", "odds_ratio"] < 1
    assert model["n"].iloc[0] > 4000


@pytest.mark.slow
@pytest.mark.parametrize("effects", [1.0, 0.0])
def test_demo_planted_peer_reply_driver_over_20_seeds(effects):
    """A peer reply in the first days (planted: hazard ratio 0.6) goes with later activity, with
    posting held level (only posters can be answered), and ranks above pure noise; with
    effects=0 the few-cluster test finds no clear difference in most demos."""
    from engagement.sources import demo

    features = ["replies_received", "posts", "active_days", "sessions_attended",
                "colleague_activity", "noise_a", "noise_b"]
    positive, above_noise, not_clear = 0, 0, 0
    for seed in range(20):
        c = demo.simulate(seed=seed, effects=effects)
        f = drivers.early_features(c.events, c.learners)
        table = f.merge(drivers.later_outcomes(f, c.events, c.learners, c.courses, c.outcomes),
                        on=["learner_id", "course"])
        rng = np.random.default_rng([seed, 99])
        table = table.assign(noise_a=rng.normal(size=len(table)), noise_b=rng.normal(size=len(table)))
        model = drivers.logistic_drivers(table, outcome="active_later", features=features,
                                         bootstrap=999).set_index("term")
        ranks = drivers.standardised_effects(table, outcome="active_later", features=features,
                                             n_boot=50).set_index("term")["rank"]
        positive += model.loc["replies_received", "odds_ratio"] > 1
        above_noise += ranks["replies_received"] < min(ranks["noise_a"], ranks["noise_b"])
        not_clear += model.loc["replies_received", "wild_p_value_lpm"] >= 0.05
    if effects:
        assert positive >= 17 and above_noise >= 17
    else:
        assert not_clear >= 17
