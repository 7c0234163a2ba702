"""Post-level channel rates: the post, not the impression, is the unit of analysis.

Checked against hand-computed answers, a simulation of overdispersed posts, statsmodels'
own GLM fit, scipy's paired t-test and the real social exports (when present).
"""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from engagement.channels import (channel_rates, describe_channel_rates, paired_by_message,
                                 rate_ratios)
from engagement.sources.social import read_social_export

from conftest import shared_data


def _tiny() -> pd.DataFrame:
    ts = pd.to_datetime(["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00",
                         "2024-02-05 10:00", "2024-02-06 10:00", "2024-02-07 10:00",
                         "2024-01-08 10:00", "2024-02-09 10:00"], utc=True)
    return pd.DataFrame({
        "channel": ["x", "x", "x", "x", "linkedin", "linkedin", "linkedin", "linkedin"],
        "post_id": list("abcdefgh"),
        "published_at": ts,
        "variant": [None] * 8,
        # x: posts a (10/100), b (30/200); c is impossible (5 > 0 exposures); d has no
        # exposures. linkedin: e (2/50), f (8/150), g impossible by flag (clicks), h has
        # engagements missing.
        "exposures": pd.array([100, 200, 0, pd.NA, 50, 150, 40, 60], dtype="Int64"),
        "engagements": pd.array([10, 30, 5, 3, 2, 8, 4, pd.NA], dtype="Int64"),
        "clicks": pd.array([1, 2, 0, 0, 1, 1, 99, 0], dtype="Int64"),
        "signups": pd.array([pd.NA] * 8, dtype="Int64"),
        "impossible": [False, False, True, False, False, False, True, False],
    })


def test_channel_rates_by_hand():
    df = _tiny()
    before = df.copy()
    out = channel_rates(df, n_boot=500, seed=1).set_index("channel")
    pd.testing.assert_frame_equal(df, before)  # input untouched
    assert list(out.index) == ["linkedin", "x"]
    x, li = out.loc["x"], out.loc["linkedin"]
    assert x["posts"] == 2 and x["exposures"] == 300 and x["engagements"] == 40
    assert x["rate"] == pytest.approx(40 / 300)
    assert x["mean_post_rate"] == pytest.approx((0.10 + 0.15) / 2)
    assert (x["impossible_left_out"], x["no_exposures"], x["missing_numerator"]) == (1, 1, 0)
    assert li["posts"] == 2 and li["rate"] == pytest.approx(10 / 200)
    assert (li["impossible_left_out"], li["no_exposures"], li["missing_numerator"]) == (1, 0, 1)
    # Wilson on the pooled impressions, by statsmodels.
    from statsmodels.stats.proportion import proportion_confint
    lo, hi = proportion_confint(40, 300, method="wilson")
    assert (x["naive_ci_low"], x["naive_ci_high"]) == pytest.approx((lo, hi))
    # Two posts: every resample is a, b or a mix, so the bootstrap interval lies within
    # the two post rates.
    assert 0.10 - 1e-12 <= x["ci_low"] <= x["rate"] <= x["ci_high"] <= 0.15 + 1e-12
    assert (out["design"] == "observational").all()
    # Same seed, same answer.
    again = channel_rates(df, n_boot=500, seed=1).set_index("channel")
    pd.testing.assert_frame_equal(out, again)


def test_keep_impossible_rows_when_asked():
    out = channel_rates(_tiny(), n_boot=200, drop_impossible=False).set_index("channel")
    # linkedin's flagged row g (4/40) is now used; x's c still has 0 exposures.
    assert out.loc["linkedin", "posts"] == 3
    assert out.loc["linkedin", "rate"] == pytest.approx(14 / 240)
    assert out.loc["x", "no_exposures"] == 2 and out.loc["x", "impossible_left_out"] == 0


def test_missing_columns_and_bad_options():
    with pytest.raises(ValueError, match="missing column.*exposures"):
        channel_rates(_tiny().drop(columns="exposures"))
    with pytest.raises(ValueError, match="n_boot"):
        channel_rates(_tiny(), n_boot=5)
    with pytest.raises(ValueError, match="randomised"):
        channel_rates(_tiny(), randomised="no")
    with pytest.raises(ValueError, match="message"):
        paired_by_message(_tiny())
    with pytest.raises(ValueError, match="adjust"):
        rate_ratios(_tiny(), adjust=("hour",))


def test_describe_words_design_and_left_out_rows():
    rates = channel_rates(_tiny(), n_boot=200)
    text = describe_channel_rates(rates, randomised=False)
    assert "associated with" in text
    assert "not evidence that the channel causes it" in text
    assert "2 impossible rows" in text
    assert "1 post with no exposures" in text
    assert "13.33%" in text  # x's pooled rate 40/300
    with pytest.raises(ValueError, match="design"):
        describe_channel_rates(rates, randomised=True)
    rnd = describe_channel_rates(channel_rates(_tiny(), n_boot=200, randomised=True),
                                 randomised=True)
    assert "at random" in rnd and "associated" not in rnd


def _overdispersed(rng, mu, n_posts, *, kappa=50, median_impressions=2000, sigma=0.6):
    """Post rates ~ Beta(mean mu, precision kappa), impressions log-normal, binomial."""
    p = rng.beta(mu * kappa, (1 - mu) * kappa, n_posts)
    n = np.round(np.exp(rng.normal(math.log(median_impressions), sigma, n_posts))) + 1
    x = rng.binomial(n.astype(int), p)
    return n.astype(int), x


def test_post_bootstrap_covers_true_rate_naive_does_not():
    rng = np.random.default_rng(2024)
    mu, reps = 0.05, 300
    boot = naive = 0
    for r in range(reps):
        n, x = _overdispersed(rng, mu, 80)
        df = pd.DataFrame({"channel": "facebook", "exposures": n, "engagements": x})
        out = channel_rates(df, n_boot=1000, seed=r).iloc[0]
        boot += out["ci_low"] <= mu <= out["ci_high"]
        naive += out["naive_ci_low"] <= mu <= out["naive_ci_high"]
    mc_se = math.sqrt(0.95 * 0.05 / reps)
    assert abs(boot / reps - 0.95) < 3 * mc_se, boot / reps
    assert naive / reps < 0.70, naive / reps


def _sim_channels(seed=7):
    rng = np.random.default_rng(seed)
    frames = []
    days = pd.date_range("2024-01-01", "2024-06-30", freq="D", tz="UTC")
    for channel, mu, k in (("facebook", 0.03, 120), ("x", 0.05, 90), ("linkedin", 0.04, 60)):
        n, x = _overdispersed(rng, mu, k, kappa=30)
        frames.append(pd.DataFrame({
            "channel": channel, "post_id": [f"{channel}{i}" for i in range(k)],
            "published_at": rng.choice(days, k), "exposures": n, "engagements": x}))
    return pd.concat(frames, ignore_index=True)


def test_rate_ratios_match_statsmodels_and_are_wider_than_binomial():
    df = _sim_channels()
    before = df.copy()
    out = rate_ratios(df, reference="facebook").set_index("channel")
    pd.testing.assert_frame_equal(df, before)
    assert list(out.index) == ["linkedin", "x"]
    assert (out["adjusted_for"] == "month, weekday").all()
    # The same model fitted directly with statsmodels' formula interface: the post rate
    # with exposures as variance weights, and (for the point estimate and the Pearson
    # chi2) the (successes, failures) form. statsmodels 0.15's scale="X2" on the
    # two-column form divides by the trials again and returns a far too small scale,
    # so the quasi-binomial reference fit uses the rate + var_weights form.
    import statsmodels.formula.api as smf
    d = df.assign(month=df["published_at"].dt.month, weekday=df["published_at"].dt.dayofweek,
                  failures=df["exposures"] - df["engagements"],
                  rate=df["engagements"] / df["exposures"])
    rhs = "C(channel, Treatment('facebook')) + C(month) + C(weekday)"
    binom = sm.families.Binomial()
    quasi = smf.glm("rate ~ " + rhs, d, family=binom, var_weights=d["exposures"]).fit(scale="X2")
    plain = smf.glm("engagements + failures ~ " + rhs, d, family=binom).fit()
    for ch in ("linkedin", "x"):
        term = f"C(channel, Treatment('facebook'))[T.{ch}]"
        assert out.loc[ch, "odds_ratio"] == pytest.approx(math.exp(quasi.params[term]), rel=1e-6)
        assert out.loc[ch, "odds_ratio"] == pytest.approx(math.exp(plain.params[term]), rel=1e-6)
        lo, hi = np.exp(quasi.conf_int().loc[term])
        assert (out.loc[ch, "ci_low"], out.loc[ch, "ci_high"]) == pytest.approx((lo, hi), rel=1e-6)
        assert out.loc[ch, "p_value"] == pytest.approx(quasi.pvalues[term], rel=1e-6, abs=1e-12)
        plo, phi = np.exp(plain.conf_int().loc[term])
        assert out.loc[ch, "ci_low"] < plo and out.loc[ch, "ci_high"] > phi
    # Dispersion: Pearson chi2 of the binomial fit over its residual degrees of freedom.
    assert out["dispersion"].iloc[0] == pytest.approx(plain.pearson_chi2 / plain.df_resid)
    assert out["dispersion"].iloc[0] > 2
    assert out.loc["x", "n_posts"] == 90 and out.loc["x", "n_posts_model"] == 270


def test_rate_ratios_unadjusted_default_reference():
    df = _sim_channels()
    out = rate_ratios(df, adjust=None).set_index("channel")
    assert (out["reference"] == "facebook").all()  # most posts
    assert (out["adjusted_for"] == "none").all()
    fb = df[df.channel == "facebook"]
    xx = df[df.channel == "x"]
    # Without covariates the fitted odds are each channel's pooled odds.
    odds = lambda g: g.engagements.sum() / (g.exposures.sum() - g.engagements.sum())
    assert out.loc["x", "odds_ratio"] == pytest.approx(odds(xx) / odds(fb), rel=1e-6)


def test_paired_by_message_matches_ttest_rel():
    rng = np.random.default_rng(3)
    rows = []
    for m in range(25):
        base = rng.beta(4, 80)
        for channel, lift in (("facebook", 0.0), ("x", 0.01), ("linkedin", -0.005)):
            if channel == "linkedin" and m % 5 == 0:
                continue  # not every message went out on every channel
            n = int(rng.integers(500, 5000))
            rows.append({"channel": channel, "message": f"m{m}", "exposures": n,
                         "engagements": int(rng.binomial(n, min(max(base + lift, 0), 1)))})
    df = pd.DataFrame(rows)
    out = paired_by_message(df, reference="facebook", n_boot=1000).set_index("channel")
    rate = (df.engagements / df.exposures).to_numpy()
    wide = df.assign(rate=rate).pivot(index="message", columns="channel", values="rate")
    for ch, k in (("x", 25), ("linkedin", 20)):
        pair = wide[[ch, "facebook"]].dropna()
        assert out.loc[ch, "n_messages"] == k == len(pair)
        assert out.loc[ch, "p_value"] == pytest.approx(
            stats.ttest_rel(pair[ch], pair["facebook"]).pvalue, rel=1e-10)
        diff = (pair[ch] - pair["facebook"]).mean()
        assert out.loc[ch, "mean_difference"] == pytest.approx(diff)
        assert out.loc[ch, "ci_low"] < diff < out.loc[ch, "ci_high"]
    assert out.loc["x", "ci_low"] > 0  # a lift of 1 point over 25 messages is clear


def test_real_social_exports_post_intervals_wider_than_naive():
    folder = shared_data() / "social-exports"
    if not folder.is_dir():
        pytest.skip(f"real social exports absent at {folder} (set ENGAGEMENT_SHARED_DATA)")
    files = sorted(folder.glob("genv_*.csv"))
    if not files:
        pytest.skip(f"no genv_*.csv in {folder}")
    df = pd.concat([read_social_export(p) for p in files], ignore_index=True)
    out = channel_rates(df, n_boot=1000, seed=0)
    assert set(out["channel"]) == {"facebook", "linkedin", "x"}
    assert (out["posts"] > 0).all()
    width = out["ci_high"] - out["ci_low"]
    naive = out["naive_ci_high"] - out["naive_ci_low"]
    assert (width > naive).all(), out[["channel", "ci_low", "ci_high", "naive_ci_low",
                                       "naive_ci_high"]]
    # X has posts with 0 impressions but engagement: those are left out, counted.
    assert out.set_index("channel").loc["x", "impossible_left_out"] == int(
        df.loc[df.channel == "x", "impossible"].sum()) > 0
    assert "not evidence that the channel causes it" in describe_channel_rates(
        out, randomised=False)


def test_social_posts_and_the_paired_sentence():
    import pandas as pd
    from engagement import channels

    outreach = pd.DataFrame({"channel": ["linkedin", "x", "email", "facebook"],
                             "campaign": ["Spring", "Spring", None, "Other"]})
    assert channels.social_posts(outreach)["channel"].tolist() == ["linkedin", "x", "facebook"]
    assert channels.social_posts(outreach, campaign="Spring")["channel"].tolist() == ["linkedin", "x"]
    with pytest.raises(ValueError, match="no posts of campaign 'Autumn'"):
        channels.social_posts(outreach, campaign="Autumn")
    paired = pd.DataFrame({"channel": ["linkedin", "x"], "reference": ["facebook"] * 2,
                           "n_messages": [20, 20], "mean_difference": [0.018, -0.001],
                           "ci_low": [0.011, -0.006], "ci_high": [0.025, 0.004],
                           "p_value": [0.0002, 0.7]})
    text = channels.describe_paired(paired, randomised=True)
    assert "linkedin's engagement rate was higher than facebook's by 1.8 percentage points" in text
    assert "paired t-test p < 0.001" in text
    assert "x and facebook show no clear difference" in text
    assert "not evidence" in channels.describe_paired(paired, randomised=False)


@pytest.mark.slow
@pytest.mark.parametrize("effects", [1.0, 0.0])
def test_the_paired_comparison_finds_the_planted_linkedin_lead_and_nothing_without_it(effects):
    """On the demo's campaign (every message on every channel), LinkedIn against Facebook
    within message: the interval covers the generator's true difference at about its nominal
    rate; it excludes zero in most runs when the lead is planted and covers zero when not."""
    from engagement import channels
    from engagement.sources import demo

    truth = demo.truth(n_learners=2000, effects=effects).set_index("estimand")["value"]
    true_difference = (truth["engagement_rate_linkedin_within_message"]
                       - truth["engagement_rate_facebook_within_message"])
    covers_truth = excludes_zero = 0
    runs = 12
    for seed in range(runs):
        community = demo.simulate(seed=seed, n_learners=200, n_organisations=6, n_courses=2,
                                  weeks=8, effects=effects, start="2026-01-12")
        posts = channels.social_posts(community.outreach).dropna(subset=["message"])
        row = channels.paired_by_message(posts, reference="facebook", n_boot=500,
                                         seed=seed).set_index("channel").loc["linkedin"]
        covers_truth += row.ci_low <= true_difference <= row.ci_high
        excludes_zero += row.ci_low > 0 or row.ci_high < 0
    assert covers_truth >= runs - 3  # 95% intervals: about 11.4 of 12 expected
    if effects:
        assert true_difference > 0.01 and excludes_zero >= runs - 3
    else:
        assert true_difference == 0 and excludes_zero <= 2
