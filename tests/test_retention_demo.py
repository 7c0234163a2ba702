"""Retention measures on the simulated community, checked against the generator.

The truth for the return-after-k curve is the same function applied to a large population
simulated by the same model (so the definition is the same by construction); the 800-learner
demo, which goes through raw exports and cleaning, must agree with it within its intervals.
"""

import pytest

from engagement import activity, clean, results, retention, schema
from engagement.sources import demo

pytestmark = pytest.mark.slow

K_MAX = 5


def _return_after_k(tables) -> results.Result:
    sessions = activity.sessions(tables["events"])
    return retention.return_after_k(sessions, tables["learners"], tables["courses"],
                                    outcomes=tables["outcomes"], k_max=K_MAX, within_days=14)


@pytest.fixture(scope="module")
def truth_curve():
    big = demo.simulate(seed=99, n_learners=12000, n_organisations=12, n_courses=3, weeks=16,
                        effects=1.0, start="2026-01-12")
    return _return_after_k(vars(big)).table.set_index("k")


def test_the_demo_curve_covers_the_generators_truth(tmp_path, truth_curve, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_KEY", "k")
    demo.write_demo(tmp_path / "raw")  # the default community every notebook runs on
    path = clean.prepare("demo", tmp_path / "raw", name="demo", processed_root=tmp_path)
    ds = schema.read_dataset(path)
    estimate = _return_after_k(ds.tables).table.set_index("k")
    inside = ((estimate["ci_low"] <= truth_curve["share"]) &
              (truth_curve["share"] <= estimate["ci_high"]))
    # 95% intervals: at most one of the six may miss by chance
    assert inside.sum() >= K_MAX, estimate.join(truth_curve["share"].rename("truth"))
    assert (truth_curve["at_risk"] > 10 * estimate["at_risk"]).all()  # the truth is precise


def test_with_no_planted_effects_channels_do_not_differ_beyond_chance():
    """Acquisition channel has no effect in the model: log-rank tests by channel should
    reject at about the 5% rate, not more."""
    p_values = []
    for seed in range(10):
        c = demo.simulate(seed=seed, n_learners=800, n_organisations=12, n_courses=3, weeks=16,
                          effects=0.0, start="2026-01-12")
        days = activity.learner_days(c.events)
        durations = retention.disengagement(days, c.learners, c.courses, c.outcomes)
        test = retention.logrank(durations, by="acquisition_channel")
        assert test.design == "observational"
        p_values.append(test["p_value"].iloc[0])
    assert sum(p < 0.05 for p in p_values) <= 2, p_values
    assert max(p_values) > 0.3  # not all small: the test can tell null data apart
