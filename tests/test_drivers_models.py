"""Models in engagement.drivers: checked against statsmodels, lifelines, scipy, wildboottest."""

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from engagement import drivers, privacy, results
from engagement.results import Result
from engagement.schema import QualityLog


def _learners(seed=1, groups=8, per=40, effect=0.0, cluster_sd=1.0):
    """Learners in `groups` organisations; x and the outcome both share organisation-level noise."""
    rng = np.random.default_rng(seed)
    org = np.repeat([f"org{g}" for g in range(groups)], per)
    a = rng.normal(0, cluster_sd, groups)[np.arange(groups).repeat(per)]
    b = rng.normal(0, cluster_sd, groups)[np.arange(groups).repeat(per)]
    x = a + rng.normal(size=len(org))
    noise = rng.normal(size=len(org))
    eta = -0.3 + effect * x + b
    y = (rng.random(len(org)) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"organisation": org, "x": x, "noise": noise, "engaged": y})


# ---- logistic_drivers


def test_logistic_matches_statsmodels_cluster_logit():
    df = _learners(seed=3, effect=0.6)
    df["role"] = np.where(np.arange(len(df)) % 3 == 0, "manager",
                          np.where(np.arange(len(df)) % 3 == 1, "staff", "staff2"))
    df.loc[df.index[:20], "role"] = "staff"  # make "staff" the most common level
    before = df.copy()
    out = drivers.logistic_drivers(df, outcome="engaged", features=["x", "noise", "role"])
    pd.testing.assert_frame_equal(df, before)  # input untouched
    # reference: statsmodels on the same design, reference level = most common ("staff")
    x = pd.DataFrame({"Intercept": 1.0, "x": df["x"], "noise": df["noise"],
                      "role[manager]": (df["role"] == "manager").astype(float),
                      "role[staff2]": (df["role"] == "staff2").astype(float)})
    groups = pd.factorize(df["organisation"])[0]
    ref = sm.Logit(df["engaged"], x).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    assert list(out["term"]) == list(x.columns)
    np.testing.assert_allclose(out["odds_ratio"], np.exp(ref.params), rtol=1e-8)
    ci = np.exp(ref.conf_int(alpha=0.05))
    np.testing.assert_allclose(out["ci_low"], ci[0], rtol=1e-8)
    np.testing.assert_allclose(out["ci_high"], ci[1], rtol=1e-8)
    np.testing.assert_allclose(out["p_value"], ref.pvalues, rtol=1e-8)
    assert (out["n"] == len(df)).all() and (out["events"] == df["engaged"].sum()).all()
    assert (out["clusters"] == 8).all() and out.design == "observational"
    assert out["wild_p_value_lpm"].between(0, 1).all()
    # what the columns are
    cols = out.columns
    assert isinstance(out, Result) and out.kind == "drivers.logistic_drivers"
    assert "design" not in list(out.columns)
    assert cols["term"].kind == "label" and out["term"].iloc[0] == drivers.INTERCEPT
    assert cols["odds_ratio"].kind == "ratio" and cols["odds_ratio"].depends_on == ("n", "events")
    assert (cols["ci_low"].kind, cols["ci_low"].of) == ("low", "odds_ratio")
    assert (cols["ci_high"].kind, cols["ci_high"].of) == ("high", "odds_ratio")
    assert cols["p_value"].kind == "p" and not cols["p_value"].technical
    assert cols["wild_p_value_lpm"].kind == "p" and cols["wild_p_value_lpm"].technical
    assert cols["n"].people and cols["events"].people and cols["events"].part_of == "n"
    assert cols["clusters"].technical and not cols["clusters"].people  # organisations
    assert out.n == "n" and out.partition is None
    assert out.constants == {
        "clusters": "Standard errors are clustered by organisation (8 clusters)."}
    assert any("With only 8 clusters" in note for note in out.notes)
    rand = drivers.logistic_drivers(df, outcome="engaged", features=["x"], randomised=True)
    assert rand.design == "randomised"
    # the intercept is kept (checked above against statsmodels) and easy to leave out
    terms = drivers.without_intercept(out)
    assert isinstance(terms, Result) and list(terms["term"]) == list(x.columns[1:])
    assert terms.columns == out.columns


def test_wild_pvalue_equals_wildboottest_package():
    wbt = pytest.importorskip("wildboottest.wildboottest")
    df = _learners(seed=5, groups=8, per=25, effect=0.4)
    out = drivers.logistic_drivers(df, outcome="engaged", features=["x", "noise"])
    x = pd.DataFrame({"Intercept": 1.0, "x": df["x"], "noise": df["noise"]})
    ols = sm.OLS(df["engaged"].astype(float), x)
    cluster = pd.factorize(df["organisation"])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "setting full_enumeration to True"
        ref = wbt.wildboottest(ols, B=9999, cluster=cluster, weights_type="rademacher",
                               impose_null=True, bootstrap_type="11", seed=1, show=False,
                               parallel=False)
    # with 8 clusters both enumerate all 256 sign vectors: no randomness. The sign vectors
    # +1 and -1 reproduce the observed |t| exactly; wildboottest counts only strictly larger
    # |t*|, so rounding decides that tie there: its p-value is within 2/256 of ours.
    got = out.set_index("term")["wild_p_value_lpm"]
    for term in ["Intercept", "x", "noise"]:
        assert abs(got[term] - float(ref.loc[term, "p-value"])) <= 2 / 256 + 1e-12, term
    # exact: wildboottest's own bootstrap t's and t, with ties counted as we count them
    for j, term in enumerate(["Intercept", "x", "noise"]):
        r = np.zeros(3)
        r[j] = 1
        boot = wbt.WildboottestCL(X=x.to_numpy(), Y=df["engaged"].to_numpy(float),
                                  cluster=cluster, R=r, B=9999, seed=1, parallel=False)
        boot.get_scores(bootstrap_type="11", impose_null=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot.get_weights(weights_type="rademacher")
        assert boot.v.shape == (8, 256)
        boot.get_numer()
        boot.get_denom()
        boot.get_tboot()
        boot.get_vcov()
        boot.get_tstat()
        t = abs(float(np.ravel(boot.t_stat)[0]))
        expected = np.mean(np.abs(boot.t_boot) >= t * (1 - 1e-9))
        assert got[term] == pytest.approx(expected, abs=1e-12), term


def test_wild_enumeration_is_deterministic_and_webb_draws_depend_on_seed():
    df = _learners(seed=7, groups=6, per=20, effect=0.5)
    a = drivers.logistic_drivers(df, outcome="engaged", features=["x"], seed=1)
    b = drivers.logistic_drivers(df, outcome="engaged", features=["x"], seed=2)
    assert a["wild_p_value_lpm"].tolist() == b["wild_p_value_lpm"].tolist()
    # 2**6 = 64 sign vectors: every p-value is a multiple of 1/64
    assert np.allclose((a["wild_p_value_lpm"] * 64) % 1, 0)
    w1 = drivers.logistic_drivers(df, outcome="engaged", features=["x"], weights="webb",
                                  bootstrap=999, seed=1)
    w2 = drivers.logistic_drivers(df, outcome="engaged", features=["x"], weights="webb",
                                  bootstrap=999, seed=1)
    assert w1["wild_p_value_lpm"].tolist() == w2["wild_p_value_lpm"].tolist()
    assert abs(w1["wild_p_value_lpm"].iloc[1] - a["wild_p_value_lpm"].iloc[1]) < 0.15


def test_null_simulation_wild_holds_size_while_cluster_robust_overrejects():
    reject_wild = reject_crv = 0
    n_sim = 200
    for s in range(n_sim):
        df = _learners(seed=1000 + s, groups=8, per=30, effect=0.0, cluster_sd=1.0)
        out = drivers.logistic_drivers(df, outcome="engaged", features=["x"]).set_index("term")
        reject_wild += out.loc["x", "wild_p_value_lpm"] < 0.05
        reject_crv += out.loc["x", "p_value"] < 0.05
    se = np.sqrt(0.05 * 0.95 / n_sim)
    assert abs(reject_wild / n_sim - 0.05) < 3.5 * se, reject_wild
    assert reject_crv / n_sim > 0.05 + 2 * se, reject_crv
    assert reject_crv > reject_wild


def test_logistic_refuses_bad_input():
    df = _learners()
    with pytest.raises(ValueError, match="missing column.*minutes"):
        drivers.logistic_drivers(df, outcome="engaged", features=["x", "minutes"])
    bad = df.assign(engaged=df["engaged"] * 2)
    with pytest.raises(ValueError, match="'engaged' must be 0/1"):
        drivers.logistic_drivers(bad, outcome="engaged", features=["x"])


def test_logistic_counts_dropped_rows():
    df = _learners()
    df.loc[:4, "x"] = np.nan
    log = QualityLog()
    out = drivers.logistic_drivers(df, outcome="engaged", features=["x"], quality=log)
    assert out["n"].iloc[0] == len(df) - 5
    assert log.dropped("logistic_drivers table") == 5


# ---- time-varying table


def _hand_tables():
    w = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday
    week = pd.Timedelta(days=7)
    weeks = pd.DataFrame({
        "learner_id": ["a", "a", "a", "b", "b", "c"],
        "course": ["C"] * 6,
        "week_start": [w, w + week, w + 3 * week, w, w + 2 * week, w + week],
        "active_days": [3, 2, 1, 4, 5, 2],
    })
    day = pd.Timedelta(days=1)
    dis = pd.DataFrame({
        "learner_id": ["a", "b", "c", "d"], "course": ["C"] * 4,
        "organisation": ["o1", "o1", "o2", "o2"],
        "started": [True, True, True, False],
        # a: weeks 0,1,3 active, last active in week 3, disengaged -> rows 1..4, event on 4
        # b: weeks 0,2 active, censored in week 2 -> rows 1..2, no event
        # c: only week 0 (its first week is Jan 8), censored -> no rows
        # d: never started -> left out
        "first_active": [w + 2 * day, w, w + week + 3 * day, pd.NaT],
        "last_active": [w + 3 * week + 4 * day, w + 2 * week + day, w + week + 5 * day, pd.NaT],
        "event": pd.array([True, False, False, pd.NA], dtype="boolean"),
    })
    return weeks, dis


def test_time_varying_table_by_hand_with_lag():
    weeks, dis = _hand_tables()
    log = QualityLog()
    before = weeks.copy()
    long = drivers.time_varying_table(weeks, dis, covariates=["active_days"], lag_weeks=2,
                                      idle_days=14, quality=log)
    pd.testing.assert_frame_equal(weeks, before)
    assert long["learner_id"].tolist() == ["a"] * 4 + ["b"] * 2
    assert long["week"].tolist() == [1, 2, 3, 4, 1, 2]
    assert long["start"].tolist() == [0, 1, 2, 3, 0, 1]
    assert long["stop"].tolist() == [1, 2, 3, 4, 1, 2]
    assert long["event"].tolist() == [False, False, False, True, False, False]
    # covariate of row k is week k - 2: a: weeks -1, 0, 1, 2 -> 0, 3, 2, 0; b: -1, 0 -> 0, 4
    assert long["active_days"].tolist() == [0, 3, 2, 0, 0, 4]
    assert long["organisation"].tolist() == ["o1"] * 6
    assert long.groupby("learner_id")["id"].nunique().eq(1).all()
    assert log.dropped("disengaged") == 2  # d never started, c censored in week 0
    lag1 = drivers.time_varying_table(weeks, dis, covariates=["active_days"], lag_weeks=1,
                                      idle_days=7)
    assert lag1["active_days"].tolist() == [3, 2, 0, 1, 4, 0]


def test_time_varying_table_refuses_short_lags():
    weeks, dis = _hand_tables()
    with pytest.raises(ValueError, match="at least 1"):
        drivers.time_varying_table(weeks, dis, covariates=["active_days"], lag_weeks=0,
                                   idle_days=1)
    with pytest.raises(ValueError, match="idle window"):
        drivers.time_varying_table(weeks, dis, covariates=["active_days"], lag_weeks=3)
    with pytest.raises(ValueError, match="minutes"):
        drivers.time_varying_table(weeks, dis, covariates=["minutes"], lag_weeks=4)


def _simulated_long(beta=0.7, n=600, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for k in range(1, 21):
            x = rng.normal()
            hazard = 0.08 * np.exp(beta * x)
            event = rng.random() < 1 - np.exp(-hazard)
            rows.append((i, k - 1, k, event, x, rng.normal()))
            if event:
                break
    return pd.DataFrame(rows, columns=["id", "start", "stop", "event", "x", "noise"])


def test_cox_time_varying_matches_lifelines_and_recovers_log_hazard_ratio():
    from lifelines import CoxTimeVaryingFitter

    long = _simulated_long()
    out = drivers.cox_time_varying(long, covariates=["x", "noise"])
    ref = CoxTimeVaryingFitter(alpha=0.05).fit(long, id_col="id", event_col="event",
                                               start_col="start", stop_col="stop")
    np.testing.assert_allclose(out["hazard_ratio"], ref.summary["exp(coef)"], rtol=1e-8)
    np.testing.assert_allclose(out["ci_low"], ref.summary["exp(coef) lower 95%"], rtol=1e-8)
    np.testing.assert_allclose(out["ci_high"], ref.summary["exp(coef) upper 95%"], rtol=1e-8)
    np.testing.assert_allclose(out["p_value"], ref.summary["p"], rtol=1e-8)
    assert out["n"].iloc[0] == 600 and out["events"].iloc[0] == long["event"].sum()
    # grouped-time discretisation biases a little; the estimate is close to 0.7
    assert abs(np.log(out["hazard_ratio"].iloc[0]) - 0.7) < 0.12
    assert out["ci_low"].iloc[1] < 1 < out["ci_high"].iloc[1]
    assert out.design == "observational" and out.kind == "drivers.cox_time_varying"
    cols = out.columns
    assert cols["hazard_ratio"].kind == "ratio" and cols["p_value"].kind == "p"
    assert (cols["ci_low"].of, cols["ci_high"].of) == ("hazard_ratio", "hazard_ratio")
    assert cols["n"].people and cols["events"].part_of == "n" and out.n == "n"
    assert "design" not in list(out.columns)


# ---- grouped cross-validation


def test_auc_is_mann_whitney():
    rng = np.random.default_rng(0)
    s = np.round(rng.normal(size=50), 1)  # ties on purpose
    y = rng.random(50) < 0.4
    u = stats.mannwhitneyu(s[y], s[~y]).statistic
    assert drivers.auc(s, y) == pytest.approx(u / (y.sum() * (~y).sum()))
    assert drivers.auc([1, 2, 3], [0, 1, 1]) == 1.0
    assert np.isnan(drivers.auc([1, 2], [1, 1]))


def _cv_data(seed=0, groups=10, per=60, strength=2.0):
    rng = np.random.default_rng(seed)
    org = np.repeat([f"org{g:02d}" for g in range(groups)], per)
    strong = rng.normal(size=len(org))
    noise = rng.normal(size=len(org))
    y = (rng.random(len(org)) < 1 / (1 + np.exp(-strength * strong))).astype(int)
    return pd.DataFrame({"organisation": org, "strong": strong, "noise": noise, "engaged": y})


def test_grouped_cv_keeps_organisations_whole_and_separates_signal_from_noise():
    df = _cv_data()
    logo = drivers.grouped_cross_validation(df, outcome="engaged", features=["noise"], n_boot=300)
    folds = logo[logo["fold"] != "pooled"]
    assert len(folds) == 10
    held = [set(h.split(", ")) for h in folds["held_out_groups"]]
    train = [set(t.split(", ")) for t in folds["train_groups"]]
    for h, t in zip(held, train):
        assert not h & t and h | t == set(df["organisation"])
    assert sorted(g for h in held for g in h) == sorted(df["organisation"].unique())
    pooled = logo.iloc[-1]
    assert pooled["fold"] == "pooled" and pooled["n"] == len(df)
    assert pooled["ci_low"] < 0.5 < pooled["ci_high"] and abs(pooled["auc"] - 0.5) < 0.07
    strong = drivers.grouped_cross_validation(df, outcome="engaged", features=["strong", "noise"],
                                              folds=3, n_boot=300)
    f3 = strong[strong["fold"] != "pooled"]
    assert len(f3) == 3 and f3["n"].sum() == len(df)
    for h, t in zip(f3["held_out_groups"], f3["train_groups"]):
        assert not set(h.split(", ")) & set(t.split(", "))
    assert strong.iloc[-1]["auc"] > 0.75 and strong.iloc[-1]["ci_low"] > 0.7
    assert strong.design == "observational" and "design" not in list(strong.columns)
    cols = strong.columns
    assert cols["fold"].kind == "label" and cols["auc"].kind == "number"
    assert (cols["ci_low"].of, cols["ci_high"].of) == ("auc", "auc")
    assert cols["n"].people and cols["events"].part_of == "n"
    assert cols["held_out_groups"].kind == "organisation" and cols["held_out_groups"].technical
    assert cols["train_groups"].kind == "organisation" and cols["train_groups"].technical
    assert strong.n == "n" and strong.partition == "fold"
    assert strong.total_row == results.TotalRow("fold", "pooled")
    assert "3 folds" in strong.notes[0] and "300 resamples" in strong.notes[0]


def test_fold_auc_is_auc_of_a_model_fitted_without_the_fold():
    df = _cv_data(seed=2, groups=4, per=50)
    out = drivers.grouped_cross_validation(df, outcome="engaged", features=["strong"], n_boot=10)
    test = df["organisation"] == "org00"
    train = df[~test]
    fit = sm.Logit(train["engaged"], sm.add_constant(train[["strong"]])).fit(disp=0)
    pred = fit.predict(sm.add_constant(df.loc[test, ["strong"]]))
    y = df.loc[test, "engaged"].to_numpy().astype(bool)
    u = stats.mannwhitneyu(pred[y], pred[~y]).statistic
    row = out[out["held_out_groups"] == "org00"].iloc[0]
    assert row["auc"] == pytest.approx(u / (y.sum() * (~y).sum()))
    assert row["events"] == y.sum()


def test_group_folds_balance_rows():
    groups = pd.Series(["a"] * 50 + ["b"] * 40 + ["c"] * 30 + ["d"] * 20 + ["e"] * 10)
    f = drivers.group_folds(groups, folds=2)
    load = f.groupby("fold")["rows"].sum()
    assert sorted(load) == [70, 80]
    with pytest.raises(ValueError, match="folds"):
        drivers.group_folds(groups, folds=6)


def test_grouped_concordance_noise_and_signal():
    from lifelines.utils import concordance_index

    rng = np.random.default_rng(4)
    n = 400
    org = np.repeat([f"org{g}" for g in range(8)], n // 8)
    x, noise = rng.normal(size=n), rng.normal(size=n)
    t = rng.exponential(1 / np.exp(1.0 * x))
    c = rng.exponential(2.0, n)
    df = pd.DataFrame({"organisation": org, "x": x, "noise": noise,
                       "duration": np.minimum(t, c), "event": t <= c})
    out = drivers.grouped_concordance(df, duration="duration", event="event", features=["x"],
                                      n_boot=200)
    pooled = out.iloc[-1]
    assert pooled["concordance"] > 0.7
    # one variable: within a fold the C is that of x itself (the sign is learned correctly)
    for _, row in out[out["fold"] != "pooled"].iterrows():
        d = df[df["organisation"] == row["held_out_groups"]]
        assert row["concordance"] == pytest.approx(
            concordance_index(d["duration"], -d["x"], d["event"]))
        assert row["events"] == d["event"].sum()
    null = drivers.grouped_concordance(df, duration="duration", event="event",
                                       features=["noise"], n_boot=200).iloc[-1]
    assert null["ci_low"] < 0.5 < null["ci_high"]


# ---- standardised effects


def test_standardised_effects_ranks_and_full_data_coefficients():
    rng = np.random.default_rng(11)
    n = 800
    org = np.repeat([f"org{g:02d}" for g in range(12)], n // 12 + 1)[:n]
    df = pd.DataFrame({"organisation": org, "strong": rng.normal(0, 2, n),
                       "medium": rng.normal(0, 1, n), "noise": rng.normal(0, 5, n),
                       "posted": rng.random(n) < 0.3})
    eta = 0.6 * df["strong"] + 0.5 * df["medium"] + 0.0 * df["noise"]
    df["engaged"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    out = drivers.standardised_effects(df, outcome="engaged",
                                       features=["noise", "medium", "strong", "posted"],
                                       n_boot=200)
    assert out["term"].tolist()[:2] == ["strong", "medium"]
    top = out.set_index("term")
    assert top.loc["strong", "rank"] == 1 and top.loc["strong", "rank_high"] == 1
    assert top.loc["medium", "rank"] == 2 and top.loc["medium", "rank_low"] == 2
    # the noise feature (any sample's chance association aside) ranks below the real ones
    assert top.loc["noise", "rank"] >= 3 and top.loc["noise", "rank_low"] >= 3
    assert abs(top.loc["noise", "effect"]) < 0.25
    assert top.loc["strong", "ci_low"] > 0.8
    # full-data effects = statsmodels on the standardised design (sample SD)
    feats = ["noise", "medium", "strong", "posted"]
    z = df[feats].astype(float)
    z = (z - z.mean()) / z.std()
    ref = sm.Logit(df["engaged"], sm.add_constant(z)).fit(disp=0).params[feats]
    np.testing.assert_allclose(top.loc[feats, "effect"], ref, rtol=1e-6)
    np.testing.assert_allclose(top.loc[feats, "odds_ratio_per_sd"], np.exp(ref), rtol=1e-6)
    assert (out["failed_fits"] == 0).all() and (out["n_boot"] == 200).all()
    # what the columns are
    cols = out.columns
    assert out.design == "observational" and "design" not in list(out.columns)
    assert cols["effect"].kind == "number" and cols["odds_ratio_per_sd"].kind == "ratio"
    assert (cols["ci_low"].of, cols["ci_high"].of) == ("effect", "effect")
    assert cols["rank"].kind == "number"
    assert (cols["rank_low"].kind, cols["rank_low"].of) == ("low", "rank")
    assert (cols["rank_high"].kind, cols["rank_high"].of) == ("high", "rank")
    assert cols["n"].people and cols["events"].part_of == "n" and out.n == "n"
    assert all(cols[c].technical for c in ("clusters", "n_boot", "failed_fits"))
    assert not cols["n_boot"].depends_on and not cols["failed_fits"].depends_on
    assert out.constants["clusters"] == "Resampling is by whole organisation (12 clusters)."
    assert out.constants["n_boot"] == ("Intervals are 95% percentile intervals from 200 "
                                       "bootstrap resamples.")


def test_standardised_effects_counts_failed_fits():
    # a feature that separates the outcome perfectly in every organisation: every fit fails
    df = pd.DataFrame({"organisation": np.repeat(["a", "b", "c", "d"], 10),
                       "x": np.tile(np.arange(10.0), 4)})
    df["engaged"] = (df["x"] >= 5).astype(int)
    df["other"] = np.random.default_rng(0).normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = drivers.standardised_effects(df, outcome="engaged", features=["x", "other"],
                                               n_boot=20)
        except Exception as exc:  # statsmodels may refuse the full-data fit outright
            pytest.skip(f"full-data fit refused: {exc}")
    assert (out["failed_fits"] == 20).all() and out["ci_low"].isna().all()


# ---- words


def _model(table):
    """A hand-made Result shaped as logistic_drivers returns it."""
    low, high = results.interval("odds_ratio")
    counts = ("n", "events")
    columns = {"term": results.label("Term"),
               "odds_ratio": results.estimate("ratio", "Odds ratio", of=counts),
               "ci_low": low, "ci_high": high,
               "p_value": results.estimate("p", "p", of=counts),
               "wild_p_value_lpm": results.estimate("p", "wild p", of=counts, technical=True),
               "n": results.count("Learners"), "events": results.count("With", part_of="n")}
    return Result(table, columns, title="model", design="observational", n="n")


def _drivers_table(**changes):
    table = pd.DataFrame({"term": ["Intercept", "forum_posts", "logins"],
                          "odds_ratio": [0.5, 1.8, 1.05], "ci_low": [0.3, 1.2, 0.9],
                          "ci_high": [0.8, 2.7, 1.2], "p_value": [0.01, 0.002, 0.5],
                          "wild_p_value_lpm": [0.02, 0.01, 0.6], "n": 200, "events": 80})
    return table.assign(**changes)


def test_describe_drivers_speaks_of_association():
    res = _model(_drivers_table())
    text = drivers.describe_drivers(res)
    assert "goes with higher odds" in text and "(OR 1.80, 95% CI 1.20\u20132.70)" in text
    assert "Logins: no clear difference" in text
    assert "Intercept" not in text and "cause" in text and "causes:" in text
    assert "leads to" not in text
    assert text.index("forum posts") < text.index("Logins")
    rand = drivers.describe_drivers(res, randomised=True)
    assert "leads to higher odds" in rand and "observational" not in rand
    # a randomised Result speaks of effects without being told
    assert "leads to higher odds" in drivers.describe_drivers(replace(res, design="randomised"))
    lower = _model(_drivers_table(odds_ratio=[0.5, 0.6, 1.0], ci_low=[0.3, 0.4, 0.9],
                                  ci_high=[0.8, 0.9, 1.1]))
    assert "goes with lower odds" in drivers.describe_drivers(lower)
    shaky = drivers.describe_drivers(_model(_drivers_table(wild_p_value_lpm=[0.02, 0.2, 0.6])))
    # worded by the actual clustering: the number of clusters when the table has it
    assert ("With few clusters, the wild cluster bootstrap (p = 0.20) does not confirm "
            "the cluster-robust test (p = 0.002) for forum posts.") in shaky
    counted = _model(_drivers_table(wild_p_value_lpm=[0.02, 0.2, 0.6]))
    counted = Result(counted.table.assign(clusters=6),
                     {**counted.columns, "clusters": results.count("Clusters", unit="courses")},
                     title="model", design="observational", n="n")
    assert "With only 6 clusters, the wild cluster bootstrap" in drivers.describe_drivers(counted)
    with pytest.raises(ValueError, match="odds_ratio"):
        drivers.describe_drivers(res.drop(columns="odds_ratio"))
    # the same sentence on a partner page when nothing is small
    assert drivers.describe_drivers(privacy.control(res, min_size=5)) == text


def test_describe_drivers_quotes_no_hidden_number():
    # 3 learners with the outcome: hidden, and with them every estimate of the model
    small = privacy.control(_model(_drivers_table(n=200, events=3)), min_size=5)
    assert small.is_hidden(1, "odds_ratio") and small.is_hidden(1, "ci_low")
    text = drivers.describe_drivers(small)
    assert text.startswith("There are too few learners to show these estimates.")
    assert "causes:" in text
    for number in ("1.80", "1.20", "2.70", "1.05", "0.002", "0.20", " 3 "):
        assert number not in text
    # one term's row about too few learners is hidden whole; the others are still said
    one = privacy.control(_model(_drivers_table(n=[200, 200, 4], events=[80, 80, 2])),
                          min_size=5)
    text = drivers.describe_drivers(one)
    assert "(OR 1.80, 95% CI 1.20\u20132.70)" in text
    assert "Too few learners to show the estimate for logins." in text
    assert "1.05" not in text and "no clear difference" not in text


def test_describe_drivers_standardised_interval_is_of_the_odds_ratio():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"organisation": np.repeat(list("abcdefgh"), n // 8),
                       "strong": rng.normal(size=n), "noise": rng.normal(size=n)})
    df["engaged"] = (rng.random(n) < 1 / (1 + np.exp(-1.2 * df["strong"]))).astype(int)
    eff = drivers.standardised_effects(df, outcome="engaged", features=["strong", "noise"],
                                       n_boot=100)
    row = eff.set_index("term").loc["strong"]
    text = drivers.describe_drivers(eff)
    # the interval is printed as one of the odds ratio (exp of the log-odds interval)
    lo, hi = np.exp(row["ci_low"]), np.exp(row["ci_high"])
    assert f"95% CI {lo:.2f}\u2013{hi:.2f})" in text
    assert "A higher strong per standard deviation goes with higher odds" in text


def test_bootstrap_concordance_counts_match_lifelines_on_a_resample():
    from lifelines.utils import concordance_index

    rng = np.random.default_rng(8)
    n = 60
    t, e, pred = rng.exponential(size=n), rng.random(n) < 0.7, rng.normal(size=n)
    codes = np.repeat(np.arange(4), 15)
    pick = np.array([0, 0, 2, 3])  # organisation 0 twice, 1 left out
    ix = np.concatenate([np.flatnonzero(codes == c) for c in pick])
    mult = np.bincount(pick, minlength=4)[None, :]
    got = drivers._boot_concordance(t, e, pred, codes, 4, mult)[0]
    assert got == pytest.approx(concordance_index(t[ix], pred[ix], e[ix]))


def test_the_limits_are_worded_by_the_actual_clustering():
    few = drivers.describe_limits(pd.DataFrame({"clusters": [6]}))
    assert "With only 6 clusters (organisations)" in few
    many = drivers.describe_limits(pd.DataFrame({"clusters": [4084]}), cluster="learner_id")
    assert "With only" not in many and "4,084 clusters" in many and "learner id" in many
