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

from engagement import privacy, results
from engagement import stats as estats
from engagement.channels import (channel_rates, describe_channel_rates, describe_paired,
                                 paired_by_message, rate_ratios)
from engagement.results import Result
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


def _paired_result(table: pd.DataFrame, design: str = "randomised") -> Result:
    """A hand-made paired_by_message Result (the columns it declares for these)."""
    low, high = results.interval("mean_difference")
    columns = {"channel": results.label("Channel"), "reference": results.label("Compared with"),
               "n_messages": results.count("Messages", unit="messages"),
               "mean_difference": results.estimate("points", "Difference"),
               "ci_low": low, "ci_high": high, "p_value": results.estimate("p", "p-value")}
    return Result(table, {c: columns[c] for c in table.columns}, title="paired",
                  design=design)


def test_channel_rates_by_hand():
    df = _tiny()
    before = df.copy()
    res = channel_rates(df, n_boot=500, seed=1)
    out = res.set_index("channel")
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
    assert res.design == "observational" and "design" not in res.table
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
    def odds(g):
        return g.engagements.sum() / (g.exposures.sum() - g.engagements.sum())

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
    assert channels.social_posts(outreach, campaign="Spring")["channel"].tolist() == [
        "linkedin", "x"]
    with pytest.raises(ValueError, match="no posts of campaign 'Autumn'"):
        channels.social_posts(outreach, campaign="Autumn")
    paired = _paired_result(pd.DataFrame({
        "channel": ["linkedin", "x"], "reference": ["facebook"] * 2, "n_messages": [20, 20],
        "mean_difference": [0.018, -0.001], "ci_low": [0.011, -0.006],
        "ci_high": [0.025, 0.004], "p_value": [0.0002, 0.7]}))
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


# ------------------------------------------------------------------ what the Results declare

def test_channel_rates_declares_posts_and_platform_counts_not_learners():
    res = channel_rates(_tiny(), n_boot=200)
    cols = res.columns
    assert res.kind == "channels.channel_rates" and res.title
    assert res.design == "observational" and res.partition == "channel" and res.n is None
    assert channel_rates(_tiny(), n_boot=200, randomised=True).design == "randomised"
    assert cols["channel"].kind == "label"
    assert cols["posts"].unit == "posts" and not cols["posts"].people
    assert cols["exposures"].unit == "impressions" and cols["engagements"].unit == "engagements"
    assert (cols["rate"].kind, cols["rate"].of, cols["rate"].over) == ("share", "engagements",
                                                                       "exposures")
    for c in ("naive_ci_low", "ci_low"):
        assert (cols[c].kind, cols[c].of) == ("low", "rate")
    for c in ("naive_ci_high", "ci_high"):
        assert (cols[c].kind, cols[c].of) == ("high", "rate")
    assert cols["mean_post_rate"].kind == "share"
    for c in ("impossible_left_out", "no_exposures", "missing_numerator"):
        assert cols[c].unit == "posts"
    assert all(cols[c].technical for c in ("measure", "n_boot", "alpha"))
    assert "200 bootstrap resamples of posts" in res.constants["n_boot"]
    assert "95%" in res.constants["alpha"]
    # sign-ups are people: disclosure-controlled
    signups = channel_rates(_tiny().assign(signups=1), numerator="signups", n_boot=200)
    assert signups.columns["signups"].people


def test_rate_ratios_and_paired_declare_their_estimates():
    df = _sim_channels()
    res = rate_ratios(df, reference="facebook")
    cols = res.columns
    assert res.design == "observational" and "design" not in res.table
    assert rate_ratios(df, reference="facebook", adjust=None, randomised=True).design == \
        "randomised"
    assert cols["odds_ratio"].kind == "ratio"
    assert (cols["ci_low"].of, cols["ci_high"].of) == ("odds_ratio", "odds_ratio")
    assert cols["p_value"].kind == "p" and cols["reference"].kind == "label"
    assert cols["n_posts"].unit == "posts" and not cols["n_posts"].people
    assert all(cols[c].technical for c in ("dispersion", "n_posts_model", "adjusted_for",
                                           "alpha"))
    assert "month and weekday" in res.constants["adjusted_for"]
    assert "Not adjusted" in rate_ratios(df, adjust=None).constants["adjusted_for"]

    posts = df.assign(message=df.groupby("channel").cumcount() % 30)
    paired = paired_by_message(posts, reference="facebook", n_boot=200)
    cols = paired.columns
    assert paired.design == "observational" and "design" not in paired.table
    assert cols["mean_difference"].kind == "points"
    assert (cols["ci_low"].kind, cols["ci_low"].of) == ("low", "mean_difference")
    assert (cols["ci_high"].kind, cols["ci_high"].of) == ("high", "mean_difference")
    assert cols["n_messages"].unit == "messages" and not cols["n_messages"].people
    assert cols["n_boot"].technical and "200 paired bootstrap resamples" in \
        paired.constants["n_boot"]
    assert cols["p_value"].kind == "p"


# ------------------------------------------------------------------ sentences after control

def _signup_posts() -> pd.DataFrame:
    rows = []
    for channel, signups in (("facebook", [10, 10, 10, 10, 5, 5]), ("linkedin", [8] * 5),
                             ("x", [1, 1, 1, 0])):
        for j, s in enumerate(signups):
            rows.append({"channel": channel, "exposures": 600 + 37 * j, "engagements": 20 + j,
                         "signups": s})
    return pd.DataFrame(rows)


def test_describe_channel_rates_hides_what_control_hid():
    res = channel_rates(_signup_posts(), numerator="signups", n_boot=200)
    full = describe_channel_rates(res, randomised=False).splitlines()
    shown = privacy.control(res, min_size=5)
    # x's 3 sign-ups are hidden, and linkedin's too (the channels partition the posts)
    assert shown.is_hidden(2, "signups") and shown.is_hidden(1, "signups")
    assert not shown.is_hidden(0, "signups")
    text = describe_channel_rates(shown, randomised=False)
    lines = text.splitlines()
    assert lines[0] == full[0]  # facebook, unchanged
    assert lines[1] == ("linkedin: 5 posts; the rate is not shown (hidden so that a smaller "
                        "group's number cannot be worked out from it).")
    assert lines[2] == "x: 4 posts; the rate is not shown (too few signups to show)."
    assert lines[3:] == full[3:]
    for i in (1, 2):
        row = res.iloc[i]
        for c in ("rate", "ci_low", "ci_high", "naive_ci_low", "naive_ci_high"):
            assert estats.format_share(row[c], 2) not in text
    assert "nan" not in text.lower() and "inf" not in text


def test_describe_channel_rates_unchanged_when_nothing_is_hidden():
    res = channel_rates(_tiny(), n_boot=200, randomised=True)
    shown = privacy.control(res, min_size=5)
    assert describe_channel_rates(shown, randomised=True) == describe_channel_rates(
        res, randomised=True)
    with pytest.raises(TypeError, match="Result"):
        describe_channel_rates(res.table, randomised=True)


def test_describe_paired_hides_what_control_hid():
    # a hand-made Result whose rows rest on counts of people (recipients): the x row is
    # about 3 of them
    table = pd.DataFrame({"channel": ["linkedin", "x"], "reference": ["facebook"] * 2,
                          "recipients": [40, 3], "n_messages": [20, 20],
                          "mean_difference": [0.018, 0.031], "ci_low": [0.011, 0.012],
                          "ci_high": [0.025, 0.047], "p_value": [0.0002, 0.004]})
    low, high = results.interval("mean_difference")
    res = Result(table, {
        "channel": results.label("Channel"), "reference": results.label("Compared with"),
        "recipients": results.count("Recipients", unit="recipients"),
        "n_messages": results.count("Messages", unit="messages"),
        "mean_difference": results.estimate("points", "Difference"), "ci_low": low,
        "ci_high": high, "p_value": results.estimate("p", "p-value")},
        title="paired", design="randomised")
    full = describe_paired(res, randomised=True).split("\n\n")
    shown = privacy.control(res, min_size=5)
    assert shown.is_hidden(1, "mean_difference") and shown.is_hidden(1, "p_value")
    text = describe_paired(shown, randomised=True)
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == full[0]
    assert "by 1.8 percentage points" in paragraphs[0] and "paired t-test p < 0.001" in text
    assert paragraphs[1] == "Within the same 20 messages, x against facebook: too few to show."
    for hidden in ("3.1", "1.2", "4.7", "0.004"):
        assert hidden not in text
    # with nothing hidden, the same sentences
    assert describe_paired(privacy.control(_paired_result(table.drop(columns="recipients")),
                                           min_size=5), randomised=True) == \
        describe_paired(_paired_result(table.drop(columns="recipients")), randomised=True)


def test_describe_agreement_says_which_analysis_the_page_relies_on():
    from engagement import channels as ch

    def paired(low, high):
        lo, hi = results.interval("mean_difference")
        table = pd.DataFrame({"channel": ["linkedin"], "mean_difference": [(low + high) / 2],
                              "ci_low": [low], "ci_high": [high]})
        return Result(table, {"channel": results.label("Channel"),
                              "mean_difference": results.estimate("points", "d"),
                              "ci_low": lo, "ci_high": hi}, title="t")

    def ratios(low, high):
        lo, hi = results.interval("odds_ratio")
        table = pd.DataFrame({"channel": ["linkedin"], "odds_ratio": [1.0], "ci_low": [low],
                              "ci_high": [high]})
        return Result(table, {"channel": results.label("Channel"),
                              "odds_ratio": results.estimate("ratio", "r"), "ci_low": lo,
                              "ci_high": hi}, title="t")

    agree = ch.describe_agreement(paired(0.01, 0.03), ratios(1.1, 1.5))
    assert agree.startswith("The within-message comparison and the model adjusted for timing "
                            "agree")
    disagree = ch.describe_agreement(paired(0.01, 0.03), ratios(0.9, 1.5))
    assert ("for linkedin the within-message comparison says higher and the model adjusted "
            "for timing says no clear difference") in disagree
    assert "This page relies on the within-message comparison" in disagree
