"""Person-level split tests: checked against statsmodels/scipy and hand-computed answers."""

import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (proportion_confint, proportion_effectsize,
                                          proportions_ztest)
from statsmodels.stats.proportion import test_proportions_2indep as wald_two_proportions

from engagement import channels as ch
from engagement import privacy

COUNTS = pd.DataFrame({"arm": ["email", "linkedin", "facebook"],
                       "n": [400, 380, 420], "successes": [60, 38, 84]})


# ------------------------------------------------------------------ summaries

def test_arm_summary_counts_and_wilson_match_statsmodels():
    df = pd.DataFrame({"variant": ["A"] * 10 + ["B"] * 5,
                       "signed_up": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
                       + [True, False, False, False, False]})
    before = df.copy()
    out = ch.arm_summary(df, arm="variant", converted="signed_up")
    pd.testing.assert_frame_equal(df, before)
    assert out["arm"].tolist() == ["A", "B"]
    assert out["n"].tolist() == [10, 5]
    assert out["successes"].tolist() == [3, 1]
    assert out["rate"].tolist() == pytest.approx([0.3, 0.2])
    for row in out.itertuples():
        lo, hi = proportion_confint(row.successes, row.n, alpha=0.05, method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), rel=1e-10)
    assert out.design == "randomised"
    obs = ch.arm_summary(df, arm="variant", converted="signed_up", randomised=False, alpha=0.1)
    assert obs.design == "observational"
    lo, hi = proportion_confint(3, 10, alpha=0.1, method="wilson")
    assert obs.loc[0, ["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi])


def test_arm_counts_matches_wilson_including_zero_and_all():
    table = pd.DataFrame({"a": ["x", "y", "z"], "people": [20, 7, 50], "yes": [0, 7, 13]})
    out = ch.arm_counts(table, arm="a", n="people", successes="yes")
    for row in out.itertuples():
        lo, hi = proportion_confint(row.successes, row.n, method="wilson")
        assert row.ci_low == pytest.approx(lo, abs=1e-12)
        assert row.ci_high == pytest.approx(hi, abs=1e-12)
    assert out.loc[0, "ci_low"] == 0 and out.loc[1, "ci_high"] == 1


@pytest.mark.parametrize("bad, word", [
    (pd.DataFrame({"arm": ["a"], "n": [10]}), "successes"),
    (pd.DataFrame({"arm": ["a", "b"], "n": [10, 5], "successes": [11, 1]}), "successes"),
    (pd.DataFrame({"arm": ["a", "b"], "n": [10, -5], "successes": [1, 1]}), "'n'"),
    (pd.DataFrame({"arm": ["a", "b"], "n": [10, 2.5], "successes": [1, 1]}), "'n'"),
    (pd.DataFrame({"arm": ["a", "a"], "n": [10, 5], "successes": [1, 1]}), "'arm'"),
    (pd.DataFrame({"arm": ["a", "b"], "n": [10, 0], "successes": [0, 0]}), "'n'"),
])
def test_bad_counts_raise_value_error_naming_column(bad, word):
    with pytest.raises(ValueError, match=word):
        ch.arm_counts(bad)


def test_arm_summary_rejects_non_binary_and_missing_columns():
    with pytest.raises(ValueError, match="'converted'.*row 2"):
        ch.arm_summary(pd.DataFrame({"arm": ["a", "b"], "converted": [1, 2]}),
                       arm="arm", converted="converted")
    with pytest.raises(ValueError, match="clicked"):
        ch.arm_summary(pd.DataFrame({"arm": ["a"]}), arm="arm", converted="clicked")
    with pytest.raises(ValueError, match="randomised"):
        ch.arm_counts(COUNTS, randomised="yes")


# ------------------------------------------------------------------ pairwise tests

def test_pairwise_matches_statsmodels_and_hand_formulas():
    before = COUNTS.copy()
    out = ch.pairwise_tests(COUNTS, correction=None)
    pd.testing.assert_frame_equal(COUNTS, before)
    assert list(zip(out["arm_a"], out["arm_b"], strict=True)) == [
        ("email", "linkedin"), ("email", "facebook"), ("linkedin", "facebook")]
    z = stats.norm.ppf(0.975)
    for row in out.itertuples():
        xa, na = COUNTS.set_index("arm").loc[row.arm_a, ["successes", "n"]]
        xb, nb = COUNTS.set_index("arm").loc[row.arm_b, ["successes", "n"]]
        # the Wald test: the standard error the interval uses (statsmodels, method "wald")
        test = wald_two_proportions(xa, na, xb, nb, method="wald", correction=False)
        assert row.z == pytest.approx(test.statistic, rel=1e-10)
        assert row.p_value == pytest.approx(test.pvalue, rel=1e-10)
        assert row.p_adjusted == row.p_value
        pa_, pb = xa / na, xb / nb
        se = math.sqrt(pa_ * (1 - pa_) / na + pb * (1 - pb) / nb)
        assert row.difference == pytest.approx(pa_ - pb)
        assert row.diff_ci_low == pytest.approx(pa_ - pb - z * se)
        assert row.diff_ci_high == pytest.approx(pa_ - pb + z * se)
        sl = math.sqrt(1 / xa - 1 / na + 1 / xb - 1 / nb)
        assert row.rate_ratio == pytest.approx(pa_ / pb)
        assert row.ratio_ci_low == pytest.approx(pa_ / pb * math.exp(-z * sl))
        assert row.ratio_ci_high == pytest.approx(pa_ / pb * math.exp(z * sl))


def test_pairwise_hand_example():
    # 50/100 vs 30/100: SE = sqrt(.5*.5/100 + .3*.7/100) = 0.067823; z = 2.948839.
    out = ch.pairwise_tests(pd.DataFrame({"arm": ["A", "B"], "n": [100, 100],
                                          "successes": [50, 30]}))
    r = out.iloc[0]
    assert r["z"] == pytest.approx(0.2 / math.sqrt(0.25 / 100 + 0.21 / 100))
    assert r["z"] == pytest.approx(2.948839, abs=1e-6)
    assert r["rate_ratio"] == pytest.approx(5 / 3)
    # One pair: Holm changes nothing.
    assert r["p_adjusted"] == pytest.approx(r["p_value"])
    assert bool(r["reject"]) and out.design == "randomised" and r["correction"] == "holm"


def test_pairwise_edge_cases():
    out = ch.pairwise_tests(pd.DataFrame({"arm": ["A", "B"], "n": [10, 20],
                                          "successes": [0, 0]}))
    assert out.loc[0, "p_value"] == 1.0 and not out.loc[0, "reject"]
    assert math.isnan(out.loc[0, "ratio_ci_low"])
    with pytest.raises(ValueError, match="correction"):
        ch.pairwise_tests(COUNTS, correction="bonferroni")
    with pytest.raises(ValueError, match="two arms"):
        ch.pairwise_tests(COUNTS.iloc[:1])


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_adjustment_matches_multipletests(method):
    rng = np.random.default_rng(7)
    # Few cases: statsmodels' multipletests runs gc.collect() on every Holm call (slow).
    for _ in range(30):
        m = rng.integers(1, 12)
        p = rng.uniform(0, 1, m) ** rng.uniform(0.5, 4)
        if rng.random() < 0.3:
            p[: m // 2] = p[0]  # ties
        reject, adj, _, _ = multipletests(p, alpha=0.05, method=method)
        np.testing.assert_allclose(ch._adjust(p, method), adj, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_pairwise_adjusted_and_reject_match_multipletests(method):
    counts = pd.DataFrame({"arm": list("ABCDE"), "n": [500] * 5,
                           "successes": [50, 62, 70, 48, 80]})
    out = ch.pairwise_tests(counts, correction=method)
    reject, adj, _, _ = multipletests(out["p_value"], alpha=0.05, method=method)
    np.testing.assert_allclose(out["p_adjusted"], adj, rtol=1e-12)
    assert out["reject"].tolist() == reject.tolist()
    assert 0 < out["reject"].sum() < len(out)


def test_holm_controls_family_wise_error_and_uncorrected_does_not():
    rng = np.random.default_rng(20240601)
    reps, alpha = 2000, 0.05
    x = rng.binomial(500, 0.1, size=(reps, 3))
    arms = ["a", "b", "c"]
    any_holm = np.empty(reps, bool)
    any_raw = np.empty(reps, bool)
    for i, row in enumerate(x):
        out = ch.pairwise_tests(pd.DataFrame({"arm": arms, "n": 500, "successes": row}))
        any_holm[i] = out["reject"].any()
        any_raw[i] = (out["p_value"] <= alpha).any()
    mcse = math.sqrt(alpha * (1 - alpha) / reps)
    assert any_holm.mean() <= alpha + 3 * mcse
    assert any_raw.mean() > alpha + 3 * mcse


def test_difference_interval_covers_truth_at_nominal_rate():
    rng = np.random.default_rng(99)
    reps, p_a, p_b, n = 2000, 0.15, 0.10, 600
    x = rng.binomial(n, [p_a, p_b], size=(reps, 2))
    covered = np.empty(reps, bool)
    for i, row in enumerate(x):
        out = ch.pairwise_tests(pd.DataFrame({"arm": ["a", "b"], "n": n, "successes": row}))
        covered[i] = out.loc[0, "diff_ci_low"] <= p_a - p_b <= out.loc[0, "diff_ci_high"]
    mcse = math.sqrt(0.95 * 0.05 / reps)
    assert abs(covered.mean() - 0.95) <= 3 * mcse


# ------------------------------------------------------------------ Bayesian

def test_bayesian_arms_posteriors_and_best_arm():
    counts = pd.DataFrame({"arm": ["A", "B", "C"], "n": [1000, 1000, 1000],
                           "successes": [100, 100, 140]})
    out = ch.bayesian_arms(counts, draws=50_000, seed=3)
    assert out["prob_best"].sum() == pytest.approx(1.0)
    assert out.loc[out["prob_best"].idxmax(), "arm"] == "C"
    assert out.loc[2, "prob_best"] > 0.99
    assert out.loc[2, "expected_loss"] < out.loc[0, "expected_loss"]
    assert (out["expected_loss"] >= 0).all()
    # Beta(1 + 100, 1 + 900): exact mean and quantiles.
    assert out.loc[0, "posterior_mean"] == pytest.approx(101 / 1002)
    assert out.loc[0, "cri_low"] == pytest.approx(stats.beta.ppf(0.025, 101, 901))
    assert out.loc[0, "cri_high"] == pytest.approx(stats.beta.ppf(0.975, 101, 901))
    # Symmetric arms A and B share the rest roughly equally; seeded => reproducible.
    assert out.loc[0, "prob_best"] == pytest.approx(out.loc[1, "prob_best"], abs=0.01)
    again = ch.bayesian_arms(counts, draws=50_000, seed=3)
    pd.testing.assert_frame_equal(out.table, again.table)
    # Expected loss of A is about the rate gap to C (0.04).
    assert out.loc[0, "expected_loss"] == pytest.approx(0.04, abs=0.003)


def test_bayesian_arms_planted_best_over_simulations():
    rng = np.random.default_rng(5)
    wins = 0
    for row in rng.binomial(2000, [0.10, 0.10, 0.13], size=(50, 3)):
        out = ch.bayesian_arms(pd.DataFrame({"arm": ["a", "b", "c"], "n": 2000,
                                             "successes": row}), draws=5_000, seed=1)
        assert out["prob_best"].sum() == pytest.approx(1.0)
        wins += out["prob_best"].idxmax() == 2
    assert wins >= 45


def test_bayesian_arms_bad_prior():
    with pytest.raises(ValueError, match="prior"):
        ch.bayesian_arms(COUNTS, prior=(0, 1))
    with pytest.raises(ValueError, match="draws"):
        ch.bayesian_arms(COUNTS, draws=0)


# ------------------------------------------------------------------ SRM

def test_srm_flags_52_48_of_20000_and_warns():
    counts = pd.DataFrame({"arm": ["A", "B"], "n": [10_400, 9_600]})
    with pytest.warns(UserWarning, match="Sample ratio mismatch"):
        out = ch.sample_ratio_mismatch(counts)
    chi, p = stats.chisquare([10_400, 9_600])
    assert out.loc[0, "chi_square"] == pytest.approx(chi) == pytest.approx(32.0)
    assert out.loc[0, "p_value"] == pytest.approx(p)
    assert out.loc[0, "df"] == 1 and bool(out.loc[0, "mismatch"])
    assert "do not trust this test's results until the cause is found" in out.loc[0, "message"]


def test_srm_does_not_flag_503_497():
    counts = pd.DataFrame({"arm": ["A", "B"], "n": [10_060, 9_940]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ch.sample_ratio_mismatch(counts)
    assert not out.loc[0, "mismatch"]
    assert out.loc[0, "p_value"] == pytest.approx(stats.chisquare([10_060, 9_940]).pvalue)
    assert "No sample ratio mismatch" in out.loc[0, "message"]


def test_srm_planned_allocation_list_and_dict():
    counts = pd.DataFrame({"arm": ["ctl", "v1", "v2"], "n": [5000, 2600, 2400]})
    chi, p = stats.chisquare([5000, 2600, 2400], f_exp=[5000, 2500, 2500])
    out = ch.sample_ratio_mismatch(counts, planned=[2, 1, 1])
    assert out.loc[0, "chi_square"] == pytest.approx(chi) and out.loc[0, "df"] == 2
    assert out.loc[0, "p_value"] == pytest.approx(p)
    out2 = ch.sample_ratio_mismatch(counts, planned={"v2": 0.25, "ctl": 0.5, "v1": 0.25})
    assert out2.loc[0, "chi_square"] == pytest.approx(chi)
    with pytest.raises(ValueError, match="planned"):
        ch.sample_ratio_mismatch(counts, planned=[1, 1])
    with pytest.raises(ValueError, match="people"):
        ch.sample_ratio_mismatch(counts, n="people")


# ------------------------------------------------------------------ planning

@pytest.mark.parametrize("baseline, lift, ratio, alpha, power", [
    (0.10, 0.02, 1.0, 0.05, 0.8), (0.05, 0.01, 2.0, 0.05, 0.9),
    (0.30, -0.05, 0.5, 0.01, 0.8), (0.5, 0.1, 1.0, 0.1, 0.95),
])
def test_sample_size_matches_statsmodels(baseline, lift, ratio, alpha, power):
    out = ch.sample_size_per_arm(baseline=baseline, lift=lift, alpha=alpha, power=power,
                                 ratio=ratio)
    h = proportion_effectsize(baseline + lift, baseline)
    expected = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power,
                                            ratio=ratio, alternative="two-sided")
    assert out.loc[0, "n_exact"] == pytest.approx(expected, rel=1e-5)
    assert out.loc[0, "n_per_arm"] == math.ceil(expected)
    assert out.loc[0, "n_other_arm"] == math.ceil(expected * ratio)
    assert out.loc[0, "effect_size_h"] == pytest.approx(h)
    same = ch.sample_size_per_arm(baseline=baseline, target=baseline + lift, alpha=alpha,
                                  power=power, ratio=ratio)
    assert same.loc[0, "n_per_arm"] == out.loc[0, "n_per_arm"]


def test_sample_size_hand_value_and_errors():
    # 10% -> 12%: h = 0.0639821, n = (1.959964 + 0.841621)^2 * 2 / h^2 = 3834.6 -> 3835.
    out = ch.sample_size_per_arm(baseline=0.10, lift=0.02)
    assert out.loc[0, "effect_size_h"] == pytest.approx(0.0639821, abs=1e-7)
    assert out.loc[0, "n_per_arm"] == 3835
    with pytest.raises(ValueError, match="lift"):
        ch.sample_size_per_arm(baseline=0.1)
    with pytest.raises(ValueError, match="lift"):
        ch.sample_size_per_arm(baseline=0.1, lift=0.1, target=0.2)
    with pytest.raises(ValueError, match="baseline"):
        ch.sample_size_per_arm(baseline=1.2, lift=0.1)


def test_minimum_detectable_effect_round_trips():
    out = ch.minimum_detectable_effect(baseline=0.10, n_per_arm=3835)
    assert out.loc[0, "mde_increase"] == pytest.approx(0.02, abs=2e-5)
    # Below 50% a drop is easier to detect in percentage points than a rise.
    assert out.loc[0, "mde_decrease"] < out.loc[0, "mde_increase"]
    assert out.loc[0, "mde"] == out.loc[0, "mde_decrease"]
    for lift in (out.loc[0, "mde_increase"], -out.loc[0, "mde_decrease"]):
        back = ch.sample_size_per_arm(baseline=0.10, lift=lift)
        assert back.loc[0, "n_exact"] == pytest.approx(3835, rel=1e-6)
    h = NormalIndPower().solve_power(nobs1=3835, alpha=0.05, power=0.8, ratio=1.0)
    assert out.loc[0, "effect_size_h"] == pytest.approx(h, rel=1e-5)
    with pytest.raises(ValueError, match="n_per_arm"):
        ch.minimum_detectable_effect(baseline=0.1, n_per_arm=0)


# ------------------------------------------------------------------ wording

def test_describe_pairwise_randomised_and_observational():
    counts = pd.DataFrame({"arm": ["Variant B", "Variant A"], "n": [100, 100],
                           "successes": [50, 30]})
    text = ch.describe_pairwise(ch.pairwise_tests(counts))
    assert text.startswith("Variant B's rate was higher than Variant A's by 20.0 percentage "
                           "points (95% CI +6.7 to +33.3; Holm-adjusted p = 0.003)")
    assert "associated" not in text
    obs = ch.describe_pairwise(ch.pairwise_tests(counts, randomised=False))
    assert "associated" in obs and "not evidence that the channel causes it" in obs
    assert "was higher than" not in obs
    null = pd.DataFrame({"arm": ["email", "x"], "n": [100, 100], "successes": [30, 28]})
    text = ch.describe_pairwise(ch.pairwise_tests(null, correction="fdr_bh"))
    assert text.startswith("There was no clear difference between email and x")
    assert "Benjamini-Hochberg-adjusted p" in text
    three = ch.describe_pairwise(ch.pairwise_tests(COUNTS))
    assert len(three.splitlines()) == 3
    # Lower arm listed first: the sentence names the higher arm first, interval positive.
    flipped = ch.describe_pairwise(ch.pairwise_tests(counts.iloc[::-1]))
    assert flipped.startswith("Variant B's rate was higher than Variant A's by 20.0 "
                              "percentage points (95% CI +6.7 to +33.3;")
    with pytest.raises(ValueError, match="design"):
        ch.describe_pairwise(replace(ch.pairwise_tests(counts), design="descriptive"))
    with pytest.raises(TypeError, match="Result"):
        ch.describe_pairwise(ch.pairwise_tests(counts).table)


def test_arms_differ_equals_scipy_chi2_contingency():
    import numpy as np
    import pandas as pd
    from scipy.stats import chi2_contingency

    from engagement import channels

    counts = pd.DataFrame({"arm": ["A", "B", "C"], "n": [1000, 1000, 980],
                           "successes": [32, 53, 37]})
    ours = channels.arms_differ(counts).iloc[0]
    table = np.column_stack([counts["successes"], counts["n"] - counts["successes"]])
    chi2, p, dof, _ = chi2_contingency(table, correction=False)
    assert ours["chi_square"] == pytest.approx(chi2, rel=1e-12)
    assert ours["p_value"] == pytest.approx(p, rel=1e-10) and ours["df"] == dof == 2
    with pytest.raises(ValueError, match="at least two arms"):
        channels.arms_differ(counts.head(1))


# ------------------------------------------------------------------ what the Results declare

def test_arm_counts_and_summary_declare_their_columns():
    for res in (ch.arm_counts(COUNTS),
                ch.arm_summary(pd.DataFrame({"v": ["a", "a", "b"], "c": [1, 0, 1]}),
                               arm="v", converted="c", randomised=False)):
        cols = res.columns
        assert list(cols) == ["arm", "n", "successes", "rate", "ci_low", "ci_high"]
        assert cols["arm"].kind == "label"
        assert cols["n"].kind == "count" and cols["n"].unit == "recipients" and cols["n"].people
        assert cols["successes"].part_of == "n" and cols["successes"].people
        assert (cols["rate"].kind, cols["rate"].of, cols["rate"].over) == ("share", "successes",
                                                                           "n")
        assert (cols["ci_low"].kind, cols["ci_low"].of) == ("low", "rate")
        assert (cols["ci_high"].kind, cols["ci_high"].of) == ("high", "rate")
        assert res.n == "n" and res.partition == "arm" and "design" not in res.table
    assert ch.arm_counts(COUNTS).design == "randomised"
    assert ch.arm_counts(COUNTS, randomised=False).design == "observational"
    assert ch.arm_counts(COUNTS).kind == "channels.arm_counts"


def test_arm_counts_under_disclosure_control_hides_the_small_arm_and_its_rate():
    counts = pd.DataFrame({"arm": ["A", "B", "C"], "n": [200, 200, 40],
                           "successes": [40, 20, 3]})
    res = ch.arm_counts(counts)
    # a Result in, the same numbers out
    assert ch.arm_counts(res).table.equals(res.table)
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(2, "successes") and shown.is_hidden(2, "rate")
    assert shown.is_hidden(2, "ci_low") and shown.is_hidden(2, "ci_high")
    assert np.isnan(shown["rate"].iloc[2])


def test_pairwise_tests_declares_counts_rates_and_the_correction():
    res = ch.pairwise_tests(COUNTS)
    cols = res.columns
    assert res.title and res.kind == "channels.pairwise_tests" and res.design == "randomised"
    assert ch.pairwise_tests(COUNTS, randomised=False).design == "observational"
    assert "design" not in res.table
    # the conversions of each arm are in the table now, so the rates are shares of them
    assert res["x_a"].tolist() == [60, 60, 38] and res["x_b"].tolist() == [38, 84, 84]
    assert cols["n_a"].unit == "recipients" and cols["n_a"].people and cols["n_b"].people
    assert cols["x_a"].part_of == "n_a" and cols["x_b"].part_of == "n_b"
    assert (cols["rate_a"].kind, cols["rate_a"].of, cols["rate_a"].over) == ("share", "x_a",
                                                                             "n_a")
    assert (cols["rate_b"].of, cols["rate_b"].over) == ("x_b", "n_b")
    assert cols["difference"].kind == "points"
    assert set(cols["difference"].depends_on) == {"n_a", "x_a", "n_b", "x_b"}
    assert (cols["diff_ci_low"].kind, cols["diff_ci_low"].of) == ("low", "difference")
    assert (cols["diff_ci_high"].kind, cols["diff_ci_high"].of) == ("high", "difference")
    assert cols["rate_ratio"].kind == "ratio"
    assert (cols["ratio_ci_low"].of, cols["ratio_ci_high"].of) == ("rate_ratio", "rate_ratio")
    assert cols["p_value"].kind == "p" and cols["p_adjusted"].kind == "p_adjusted"
    assert all(cols[c].technical for c in ("z", "correction", "alpha", "reject"))
    assert res.constants["correction"] == "p-values adjusted for 3 comparisons by Holm's method."
    assert "Benjamini-Hochberg" in ch.pairwise_tests(COUNTS, correction="fdr_bh").constants[
        "correction"]
    assert "not adjusted" in ch.pairwise_tests(COUNTS, correction=None).constants["correction"]
    assert "0.05" in res.constants["alpha"] and "95%" in res.constants["alpha"]
    assert res.n is None and res.partition is None
    # an arm_counts Result goes straight in
    pd.testing.assert_frame_equal(ch.pairwise_tests(ch.arm_counts(COUNTS)).table, res.table)


def test_arms_differ_bayesian_and_srm_declare_their_columns():
    differ = ch.arms_differ(ch.arm_counts(COUNTS))
    assert differ.title == "One test across all variants" and differ.n == "total"
    assert differ.columns["chi_square"].kind == "number"
    assert differ.columns["df"].technical and differ.columns["p_value"].kind == "p"
    assert differ.columns["arms"].unit == "variants" and not differ.columns["arms"].people
    assert differ.columns["total"].people and differ.design == "randomised"
    assert "design" not in differ.table

    bayes = ch.bayesian_arms(COUNTS, draws=2000)
    cols = bayes.columns
    assert (cols["posterior_mean"].kind, cols["posterior_mean"].of,
            cols["posterior_mean"].over) == ("share", "successes", "n")
    assert (cols["cri_low"].of, cols["cri_high"].of) == ("posterior_mean", "posterior_mean")
    assert cols["cri_low"].kind == "low" and "credible" in cols["cri_low"].label
    assert cols["prob_best"].kind == "share"  # printed as a probability, "97%"
    assert cols["expected_loss"].kind == "points"
    assert cols["successes"].part_of == "n" and bayes.n == "n" and bayes.partition == "arm"
    note = " ".join(bayes.notes)
    assert "probability" in note and "best" in note and "flat prior" in note
    assert "Beta(2, 3)" in " ".join(ch.bayesian_arms(COUNTS, prior=(2, 3), draws=100).notes)

    srm = ch.sample_ratio_mismatch(ch.arm_counts(COUNTS))
    assert srm.columns["message"].kind == "text" and srm.columns["message"].technical
    assert srm.columns["mismatch"].kind == "flag" and srm.n == "total"
    assert srm.columns["p_value"].kind == "p" and srm.columns["threshold"].technical
    assert "0.001" in srm.constants["threshold"]


def test_planning_tables_count_planned_people_not_observed_ones():
    size = ch.sample_size_per_arm(baseline=0.10, lift=0.02)
    for c in ("n_per_arm", "n_other_arm", "n_total"):
        assert size.columns[c].kind == "count" and size.columns[c].unit == "planned recipients"
    assert size.columns["lift"].kind == "points"
    assert all(size.columns[c].technical for c in ("alpha", "power", "ratio", "n_exact",
                                                   "effect_size_h"))
    assert "5%" in size.constants["alpha"] and "80%" in size.constants["power"]
    assert size.n is None
    assert "2.5 times" in ch.sample_size_per_arm(baseline=0.1, lift=0.02,
                                                 ratio=2.5).constants["ratio"]
    mde = ch.minimum_detectable_effect(baseline=0.10, n_per_arm=3835)
    assert mde.columns["n_per_arm"].unit == "planned recipients"
    assert {mde.columns[c].kind for c in ("mde_increase", "mde_decrease", "mde")} == {"points"}
    assert "not people observed" in mde.notes[0]


# ------------------------------------------------------------------ sentences after control

def _three_arms_one_small():
    return pd.DataFrame({"arm": ["A", "B", "C"], "n": [200, 200, 40], "successes": [40, 20, 3]})


def test_describe_pairwise_hides_what_control_hid():
    from engagement import stats

    res = ch.pairwise_tests(_three_arms_one_small())
    full = ch.describe_pairwise(res).splitlines()
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(1, "x_b") and shown.is_hidden(2, "x_b")  # arm C's 3 sign-ups
    assert shown.is_hidden(1, "difference") and not shown.is_hidden(0, "difference")
    text = ch.describe_pairwise(shown)
    lines = text.splitlines()
    assert lines[1] == "A and C: too few people to show the comparison."
    assert lines[2] == "B and C: too few people to show the comparison."
    # the hidden differences, their intervals and C's rate appear nowhere
    for i in (1, 2):
        row = res.iloc[i]
        d, lo, hi = abs(row["difference"]), row["diff_ci_low"], row["diff_ci_high"]
        dec = stats.interval_decimals("points", lo, hi, row["difference"])
        for v in (d, lo, hi, -lo, -hi):
            assert stats.format_points(v, dec, sign=False).lstrip("-") not in text
    assert "7.5%" not in text and "8%" not in text
    # Holm's adjusted p of A vs B could give C's p back: not quoted, and said so
    # (control hides the whole adjusted family when one of it is hidden: no verdict is given
    # for A and B either, only the difference and its interval)
    p_ab = stats.p_phrase(res["p_adjusted"].iloc[0], label="Holm-adjusted p")
    assert p_ab in full[0] and "Holm-adjusted p" not in text
    assert shown.hidden["p_adjusted"].all()
    # the interval at the level Holm tested A and B at (one of 3: 98.3%)
    assert lines[0].startswith("A minus B: +10.0 percentage points (98.3% CI +1.5 to +18.5)")
    assert lines[-1].startswith("Adjusted p-values are not quoted")
    assert "nan" not in text and "inf" not in text
    # unadjusted: the shown pair keeps its p-value
    raw = ch.pairwise_tests(_three_arms_one_small(), correction=None)
    shown_raw = ch.describe_pairwise(privacy.control(raw, min_size=5))
    assert shown_raw.splitlines()[0] == ch.describe_pairwise(raw).splitlines()[0]
    assert "unadjusted p" in shown_raw.splitlines()[0]


def test_describe_pairwise_unchanged_when_nothing_is_hidden():
    res = ch.pairwise_tests(COUNTS)
    shown = privacy.control(res, min_size=5)
    assert not shown.any_hidden()
    assert ch.describe_pairwise(shown) == ch.describe_pairwise(res)
    obs = ch.pairwise_tests(COUNTS, randomised=False)
    assert ch.describe_pairwise(privacy.control(obs, min_size=5)) == ch.describe_pairwise(obs)


def test_describe_pairwise_never_prints_an_interval_whose_ends_are_the_same():
    text = ch.describe_pairwise(ch.pairwise_tests(pd.DataFrame(
        {"arm": ["A", "B"], "n": [10, 20], "successes": [0, 0]})))
    assert "no interval" in text and "CI +0.0 to +0.0" not in text and "-0.0" not in text
    assert "p > 0.99" in text



@pytest.mark.parametrize("correction", ["holm", "fdr_bh", None])
def test_each_difference_interval_agrees_with_its_adjusted_verdict(correction):
    """Both directions, on many random families: no "no clear difference" beside an
    interval that excludes 0, no "clear" beside one that covers it."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        arms = int(rng.integers(2, 6))
        n = rng.integers(50, 400, size=arms)
        x = rng.binomial(n, rng.uniform(0.05, 0.3, size=arms))
        out = ch.pairwise_tests(pd.DataFrame({"arm": [f"a{i}" for i in range(arms)], "n": n,
                                              "successes": x}), correction=correction)
        excludes = (out["diff_ci_low"] > 0) | (out["diff_ci_high"] < 0)
        assert (excludes == out["reject"]).all()
