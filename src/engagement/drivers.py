"""What early behaviour goes with a learner still being engaged weeks later.

Features from each learner's first days (:func:`early_features`: actions by type, places
used, forum posts and replies, sessions attended, acquisition channel, and colleagues'
activity just before, leave-one-out), the mix of places they engaged in
(:func:`channel_mix`), and what became of them (:func:`later_outcomes`: active in a later
window, completion, time to disengagement censored as in :mod:`engagement.retention`).

Models for the question "which early behaviours go with sustained engagement": a logistic
model with cluster-robust standard errors and a wild cluster bootstrap check for few
organisations, a Cox model with time-varying weekly covariates, out-of-sample
discrimination with folds that keep each organisation whole, and standardised effects with
a bootstrap over organisations of their size and rank.

Everything here is observational: learners chose their own behaviour, so every model
Result has ``design="observational"`` and :func:`describe_drivers` speaks of
associations ("goes with"), never of causes, unless told that the data are randomised.

Learners are nested in organisations (workplaces), usually only 5-15 of them. Standard
errors are clustered by organisation, and because cluster-robust tests over-reject with
so few clusters, :func:`logistic_drivers` adds a wild cluster bootstrap p-value.

All functions take tidy tables (one row per learner, or per learner-interval), column names
as keyword-only arguments, never modify their input and raise ``ValueError`` naming missing
or unusable columns. The result tables (:func:`feature_summary`, :func:`channel_mix`,
:func:`logistic_drivers`, :func:`standardised_effects`, :func:`grouped_cross_validation`,
:func:`cox_time_varying`) are :class:`engagement.results.Result` objects declaring what
each column is; the features, outcomes and time-varying tables they are computed from stay
plain DataFrames.
"""

from __future__ import annotations

import itertools
import math
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from engagement import activity, results
from engagement import stats as fmt
from engagement.activity import ONLINE_SOURCES
from engagement.results import Result, TotalRow
from engagement.retention import KEYS, disengagement
from engagement.schema import QualityLog, require_columns
from engagement.stats import wilson_interval

# ---- features: the first days, colleagues before them, and what became of the learner

PLACES = {"lms": "platform", "forum": "forum", "webinar": "live sessions",
          "tutorial": "live sessions", "face_to_face": "live sessions",
          "social_group": "social group"}
"""Where a learner engages: the contract's sources grouped into places for the channel mix."""
COMPLETED_RESULTS = ("completed", "passed", "distinction")
SESSION_SOURCES = ("webinar", "tutorial", "face_to_face")


def _first_active(events: pd.DataFrame) -> pd.Series:
    online = events[events["source"].isin(ONLINE_SOURCES)]
    return online.groupby(KEYS)["timestamp"].min().rename("window_start")


def early_features(events: pd.DataFrame, learners: pd.DataFrame, *,
                   window_days: int = 7) -> pd.DataFrame:
    """What each learner did in their first `window_days` days, and what their colleagues did before.

    The window starts at the learner's first online (``lms``/``forum``) event and lasts
    `window_days` days. Learners who never started have no row.

    Parameters
    ----------
    events, learners : DataFrame
        Contract tables.
    window_days : int
        Length of the early window in days.

    Returns
    -------
    DataFrame, one row per started learner and course: learner_id, course, organisation,
    acquisition_channel, window_start, window_end, active_days (distinct UTC days with online
    activity), ``actions_<action>`` (online events by action, summing ``count``), ``uses_<place>``
    (bool, for each place of :data:`PLACES` seen in the data), posts (discussions started),
    replies_given (replies to another learner), replies_received (replies by other learners
    to them), sessions_attended (webinars, tutorials and face-to-face sessions joined),
    colleague_activity (share of the learner's colleagues, same organisation and course and
    the learner excluded, who were active online in the `window_days` days before the
    learner's window began; NaN without an organisation or without colleagues).
    """
    require_columns(events, [*KEYS, "timestamp", "source", "action", "target_learner_id",
                             "count"], "events")
    require_columns(learners, [*KEYS, "organisation", "acquisition_channel"], "learners")
    span = pd.Timedelta(days=window_days)
    start = _first_active(events)
    ev = events.merge(start.reset_index(), on=KEYS)
    ev = ev[(ev["timestamp"] >= ev["window_start"]) & (ev["timestamp"] < ev["window_start"] + span)]
    online = ev[ev["source"].isin(ONLINE_SOURCES)]
    out = start.reset_index()
    out["window_end"] = out["window_start"] + span
    out = out.merge(online.groupby(KEYS)["timestamp"].agg(lambda t: t.dt.floor("D").nunique())
                    .rename("active_days").reset_index(), on=KEYS, how="left")
    actions = online.pivot_table(index=KEYS, columns="action", values="count", aggfunc="sum",
                                 fill_value=0)
    actions.columns = [f"actions_{a}" for a in actions.columns]
    out = out.join(actions, on=KEYS)
    places = ev.assign(place=ev["source"].map(PLACES)).dropna(subset=["place"])
    used = pd.crosstab([places["learner_id"], places["course"]], places["place"]) > 0
    used.columns = [f"uses_{p.replace(' ', '_')}" for p in used.columns]
    used.index.names = KEYS
    out = out.join(used, on=KEYS)
    forum = online[online["source"] == "forum"]
    peer = forum["action"].eq("reply") & forum["target_learner_id"].notna() & \
        forum["target_learner_id"].ne(forum["learner_id"])
    out = out.join(forum[forum["action"] == "post"].groupby(KEYS).size().rename("posts"), on=KEYS)
    out = out.join(forum[peer].groupby(KEYS).size().rename("replies_given"), on=KEYS)
    # replies to a learner count when they fall inside that learner's own window
    to = events[events["source"].eq("forum") & events["action"].eq("reply")
                & events["target_learner_id"].notna()
                & events["target_learner_id"].ne(events["learner_id"])]
    to = to.drop(columns="learner_id").rename(columns={"target_learner_id": "learner_id"}) \
        .merge(start.reset_index(), on=KEYS)
    to = to[(to["timestamp"] >= to["window_start"]) & (to["timestamp"] < to["window_start"] + span)]
    out = out.join(to.groupby(KEYS).size().rename("replies_received"), on=KEYS)
    attended = ev[ev["source"].isin(SESSION_SOURCES) & ev["action"].eq("attend")]
    out = out.join(attended.groupby(KEYS).size().rename("sessions_attended"), on=KEYS)
    counts = [c for c in out.columns if c.startswith("actions_")] + [
        "active_days", "posts", "replies_given", "replies_received", "sessions_attended"]
    out[counts] = out[counts].fillna(0).astype("int64")
    uses = [c for c in out.columns if c.startswith("uses_")]
    out[uses] = out[uses].fillna(False).astype(bool)
    out = out.merge(learners[[*KEYS, "organisation", "acquisition_channel"]].drop_duplicates(KEYS),
                    on=KEYS, how="left")
    out["colleague_activity"] = colleague_activity(events, learners, out, window_days=window_days)
    front = [*KEYS, "organisation", "acquisition_channel", "window_start", "window_end"]
    return out[front + [c for c in out.columns if c not in front]].reset_index(drop=True)


def colleague_activity(events: pd.DataFrame, learners: pd.DataFrame, windows: pd.DataFrame, *,
                       window_days: int = 7) -> pd.Series:
    """Leave-one-out share of colleagues active online just before each learner's window.

    Colleagues are the other learners of the same organisation and course; the learner is
    never among them. Activity counts in the `window_days` days before ``window_start``.

    Returns
    -------
    Series aligned with `windows` (NaN where the learner has no organisation or no colleague).
    """
    span = pd.Timedelta(days=window_days)
    org = learners[[*KEYS, "organisation"]].dropna().drop_duplicates(KEYS)
    online = events[events["source"].isin(ONLINE_SOURCES)][[*KEYS, "timestamp"]]
    w = windows[[*KEYS, "window_start"]].reset_index().merge(org, on=KEYS, how="left")
    # every (learner, colleague) pair of an organisation and course, the learner left out
    pairs = w.merge(org.rename(columns={"learner_id": "colleague"}), on=["course", "organisation"])
    pairs = pairs[pairs["colleague"] != pairs["learner_id"]]
    act = online.rename(columns={"learner_id": "colleague"}).merge(
        pairs[["index", "colleague", "course", "window_start"]], on=["colleague", "course"])
    act = act[(act["timestamp"] >= act["window_start"] - span) & (act["timestamp"] < act["window_start"])]
    active = act.groupby("index")["colleague"].nunique()
    total = pairs.groupby("index")["colleague"].nunique()
    share = (active.reindex(total.index, fill_value=0) / total)
    return share.reindex(w["index"]).set_axis(windows.index)


def later_outcomes(features: pd.DataFrame, events: pd.DataFrame, learners: pd.DataFrame,
                   courses: pd.DataFrame, outcomes: pd.DataFrame | None = None, *,
                   later_weeks: tuple[int, int] = (4, 8), idle_days: int = 28) -> pd.DataFrame:
    """What became of each learner: active in a later window, completion, time to disengagement.

    Parameters
    ----------
    features : DataFrame
        From :func:`early_features` (its window_start anchors the later window).
    events, learners, courses, outcomes : DataFrame
        Contract tables.
    later_weeks : (int, int)
        The later window, in weeks after window_start: [first, last) (default weeks 4 to 8).
    idle_days : int
        As in :func:`engagement.retention.disengagement`.

    Returns
    -------
    DataFrame, one row per learner of `features`: learner_id, course, active_later (1/0;
    missing when the learner's observation ended before the later window did: never guessed),
    completed and withdrew (1/0; missing while the course has not ended and the learner
    neither completed, failed nor withdrew), duration_days and event (time from first to last activity and whether
    disengagement was seen, from :func:`engagement.retention.disengagement`).
    """
    first, last = later_weeks
    if not 0 < first < last:
        raise ValueError(f"later_weeks must be (first, last) with 0 < first < last, not {later_weeks}")
    days = activity.learner_days(events)
    dis = disengagement(days, learners, courses, outcomes, idle_days=idle_days)
    f = features[[*KEYS, "window_start"]].merge(
        dis[[*KEYS, "duration_days", "event", "observed_until"]], on=KEYS, how="left")
    lo, hi = f["window_start"] + pd.Timedelta(weeks=first), f["window_start"] + pd.Timedelta(weeks=last)
    online_days = days[[*KEYS, "day"]].merge(f[KEYS].assign(lo=lo.dt.floor("D"), hi=hi), on=KEYS)
    seen = online_days[(online_days["day"] >= online_days["lo"]) & (online_days["day"] < online_days["hi"])]
    active = f.set_index(KEYS).index.isin(seen.set_index(KEYS).index)
    observed = f["observed_until"] >= hi
    f["active_later"] = pd.array(np.where(observed, active.astype(int), pd.NA), dtype="Int64")
    result = pd.Series(pd.NA, index=f.index, dtype="Int64")
    withdrew = pd.Series(pd.NA, index=f.index, dtype="Int64")
    if outcomes is not None:
        o = f[KEYS].merge(outcomes[[*KEYS, "final_result"]].drop_duplicates(KEYS), on=KEYS,
                          how="left").merge(courses[["course", "ends_at", "observation_end"]],
                                            on="course", how="left")
        ended = o["ends_at"].notna() & (o["ends_at"] <= o["observation_end"])
        done = o["final_result"].isin(COMPLETED_RESULTS)
        settled = done | o["final_result"].isin(("failed", "withdrawn")) | ended
        result = pd.Series(np.where(settled, done.astype(int), pd.NA), index=f.index).astype("Int64")
        gone = o["final_result"].eq("withdrawn")
        withdrew = pd.Series(np.where(settled, gone.astype(int), pd.NA), index=f.index).astype("Int64")
    f["completed"], f["withdrew"] = result, withdrew
    return f[[*KEYS, "active_later", "completed", "withdrew", "duration_days", "event"]]


def default_features(features: pd.DataFrame) -> list[str]:
    """The numeric early features worth modelling: those that vary, in a stable order.

    Action counts are left out where they duplicate a named feature (``actions_post`` is
    ``posts``, ``actions_attend`` is ``sessions_attended``).
    """
    named = ["active_days", "posts", "replies_given", "replies_received", "sessions_attended",
             "colleague_activity"]
    actions = sorted(c for c in features.columns if c.startswith("actions_")
                     and c not in ("actions_post", "actions_reply", "actions_attend"))
    return [c for c in [*named, *actions] if c in features.columns
            and features[c].notna().any() and features[c].nunique(dropna=True) > 1]


def term_label(column: str) -> str:
    return str(column).replace("_", " ")


def _outcome_words(outcome: str) -> str:
    """How a title names the modelled outcome column: ``the outcome "active later"``."""
    return f'the outcome "{term_label(outcome)}"'


def feature_summary(table: pd.DataFrame, *, outcome: str, features) -> Result:
    """Mean of each early feature among learners with and without the later outcome.

    Returns
    -------
    Result, one row per feature: feature, mean_if_yes, mean_if_no (learners with the
    outcome 1 and 0; learners with it missing are left out), learners_yes, learners_no
    (counts of learners, the same on every row). Design: observational (the two groups are
    defined by what happened to the learners, not assigned).
    """
    require_columns(table, [outcome, *features], "drivers table")
    known = table[table[outcome].notna()]
    yes, no = known[known[outcome] == 1], known[known[outcome] == 0]
    out = pd.DataFrame({"feature": list(features),
                        "mean_if_yes": [float(yes[f].astype(float).mean()) for f in features],
                        "mean_if_no": [float(no[f].astype(float).mean()) for f in features],
                        "learners_yes": len(yes), "learners_no": len(no)})
    name = _outcome_words(outcome)
    columns = {
        "feature": results.label("Early feature"),
        "mean_if_yes": results.estimate("number", "Mean among learners with the outcome",
                                        of=("learners_yes",)),
        "mean_if_no": results.estimate("number", "Mean among learners without the outcome",
                                       of=("learners_no",)),
        "learners_yes": results.count("Learners with the outcome"),
        "learners_no": results.count("Learners without the outcome"),
    }
    return Result(out, columns,
                  title=f"Early behaviour of learners with and without {name}",
                  design="observational", kind="drivers.feature_summary",
                  notes=("Learners whose outcome is not known yet are left out.",))


def channel_mix(features: pd.DataFrame, later: pd.DataFrame, *, alpha: float = 0.05) -> Result:
    """Which combinations of places learners engaged in early, and how each fared later.

    Parameters
    ----------
    features : DataFrame
        From :func:`early_features` (its ``uses_*`` columns).
    later : DataFrame
        From :func:`later_outcomes`.

    Returns
    -------
    Result, one row per combination (largest first): places (e.g. "platform + forum"),
    learners, followed (learners whose later window was observed; part of learners),
    active_later (part of followed), share (active_later / followed), ci_low, ci_high
    (Wilson). The combinations partition the learners; n is ``followed``.
    """
    uses = [c for c in features.columns if c.startswith("uses_")]
    names = [c.removeprefix("uses_").replace("_", " ") for c in uses]
    order = sorted(range(len(uses)), key=lambda i: (names[i] != "platform", names[i]))
    label = features[uses].apply(
        lambda r: " + ".join(names[i] for i in order if r.iloc[i]) or "none", axis=1)
    t = features[KEYS].assign(places=label).merge(later[[*KEYS, "active_later"]], on=KEYS)
    g = t.groupby("places").agg(learners=("learner_id", "size"),
                                followed=("active_later", "count"),
                                active_later=("active_later", "sum")).reset_index()
    g["active_later"] = g["active_later"].astype("int64")
    g["share"] = g["active_later"] / g["followed"].where(g["followed"] > 0)
    g["ci_low"], g["ci_high"] = wilson_interval(g["active_later"], g["followed"], alpha=alpha)
    g = g.sort_values("learners", ascending=False, kind="stable").reset_index(drop=True)
    low, high = results.interval("share", level=1 - alpha)
    columns = {
        "places": results.label("Places engaged in early"),
        "learners": results.count("Learners"),
        "followed": results.count("Learners followed to the later window", part_of="learners"),
        "active_later": results.count("Active in the later window", part_of="followed"),
        "share": results.share("Share active in the later window", of="active_later",
                               over="followed"),
        "ci_low": low, "ci_high": high,
    }
    return Result(g, columns, title="Still active later, by the places learners engaged in early",
                  design="observational", n="followed", partition="places",
                  kind="drivers.channel_mix",
                  notes=("Learners whose later window ends after the data do are not followed: "
                         "the share is over the learners followed.",))


# ---- models

INTERCEPT = "Intercept"
MANY_CLUSTERS = 50
"""Above this many clusters the wild cluster bootstrap check is skipped (its p-value is NaN)."""
_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


def _design_value(randomised: bool) -> str:
    return "randomised" if randomised else "observational"


def _complete(table: pd.DataFrame, columns: list[str], what: str,
              quality: QualityLog | None) -> pd.DataFrame:
    """Rows with every used column present; the others are dropped and counted."""
    keep = table[columns].notna().all(axis=1)
    if (~keep).any():
        quality.count(what, "missing value in a model column", int((~keep).sum()),
                      detail=", ".join(c for c in columns if table[c].isna().any()))
    return table.loc[keep]


def _binary(series: pd.Series, name: str, what: str) -> np.ndarray:
    ok = series.isin([0, 1])
    if not ok.all():
        bad = sorted(map(str, pd.unique(series[~ok])))
        raise ValueError(f"{what}: outcome column {name!r} must be 0/1, found {', '.join(bad[:5])}")
    return np.asarray(series, dtype=float)


def _is_categorical(series: pd.Series) -> bool:
    return (series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype)
            or pd.api.types.is_string_dtype(series.dtype))


def _design(table: pd.DataFrame, features: list[str], *, intercept: bool = True) -> pd.DataFrame:
    """Design matrix: intercept, numeric/bool features as they are, categorical ones dummy-coded.

    A categorical feature (dtype object, string or category) gets one 0/1 column per level,
    named ``feature[level]``, except its most common level, the reference (ties: the first
    level in sorted order).
    """
    cols = {}
    if intercept:
        cols[INTERCEPT] = np.ones(len(table))
    for f in features:
        s = table[f]
        if _is_categorical(s):
            counts = s.astype(str).value_counts()
            levels = sorted(counts.index)
            reference = sorted(lv for lv in levels if counts[lv] == counts.max())[0]
            for lv in levels:
                if lv != reference:
                    cols[f"{f}[{lv}]"] = (s.astype(str) == lv).to_numpy(dtype=float)
        else:
            try:
                cols[f] = s.to_numpy(dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"feature column {f!r} is neither numeric nor categorical") \
                    from None
    return pd.DataFrame(cols, index=table.index)


def _sign_vectors(g: int, bootstrap: int, weights: str, rng: np.random.Generator) -> np.ndarray:
    """G x B matrix of wild bootstrap weights (all 2**G sign vectors when that is few enough)."""
    if weights == "rademacher":
        if 2 ** g <= bootstrap:
            return np.array(list(itertools.product([-1.0, 1.0], repeat=g))).T
        return rng.choice([-1.0, 1.0], size=(g, bootstrap))
    if weights == "webb":
        return rng.choice(_WEBB, size=(g, bootstrap))
    raise ValueError(f"weights must be 'rademacher' or 'webb', not {weights!r}")


def wild_cluster_pvalues(y: np.ndarray, x: np.ndarray, groups: np.ndarray, *,
                         bootstrap: int = 9999, weights: str = "rademacher",
                         seed: int = 0) -> np.ndarray:
    """Wild cluster restricted (WCR) bootstrap p-values for each coefficient of an OLS fit.

    For each coefficient j the null beta_j = 0 is imposed (OLS without column j), cluster
    residuals are multiplied by one weight per cluster, and the cluster-robust (CRV1) t
    statistic is recomputed (the "WCR11" bootstrap; Roodman, MacKinnon, Nielsen and Webb
    2019, whose closed form is used, so no refit per draw). Rademacher weights enumerate all
    2**G sign vectors when 2**G <= `bootstrap` (deterministic); otherwise `bootstrap` draws.
    The p-value is the share of bootstrap |t*| at least as large as the observed |t|. The
    sign vectors +1 and -1 always reproduce |t| exactly; they count as ties (so with full
    enumeration p >= 2 / 2**G), where the ``wildboottest`` package, which counts only
    strictly larger |t*|, lets rounding decide. Small-sample factors cancel between t and t*.

    Returns
    -------
    ndarray, one p-value per column of `x`.
    """
    y, x = np.asarray(y, float), np.asarray(x, float)
    codes, _ = pd.factorize(pd.Series(groups))
    g = codes.max() + 1
    k = x.shape[1]
    a = np.linalg.inv(x.T @ x)
    xg = [x[codes == c] for c in range(g)]
    yg = [y[codes == c] for c in range(g)]
    m = np.array([xi.T @ xi for xi in xg])                       # G x k x k
    xy = np.array([xi.T @ yi for xi, yi in zip(xg, yg)])        # G x k
    beta = a @ xy.sum(axis=0)
    scores_hat = xy - m @ beta                                   # X_g' u_hat_g
    vcov = a @ (scores_hat.T @ scores_hat) @ a
    v = _sign_vectors(g, bootstrap, weights, np.random.default_rng(seed))
    out = np.empty(k)
    for j in range(k):
        t = beta[j] / math.sqrt(vcov[j, j])
        # restricted estimate: beta_j = 0 (Roodman et al. 2019, eq. for WCR)
        r = np.zeros(k)
        r[j] = 1.0
        beta_r = beta - a @ r * (beta[j] / a[j, j])
        s = xy - m @ beta_r                                      # G x k restricted scores
        c = s @ a[j]                                             # G
        q = np.einsum("l,glm,mn->gn", a[j], m, a)                # G x k
        h = q @ s.T                                              # G x G
        numer = c @ v
        z = c[:, None] * v - h @ v
        with np.errstate(divide="ignore", invalid="ignore"):
            t_boot = numer / np.sqrt((z ** 2).sum(axis=0))
        # v = +-1 reproduces the observed |t| exactly: a tie that floating point would break
        # at random, so ties count as at least as extreme (the exact randomisation p-value)
        out[j] = np.mean(np.abs(t_boot) >= abs(t) * (1 - 1e-9))
    return out


def _check_features(table, outcome, features, cluster, what):
    features = [features] if isinstance(features, str) else list(features)
    if not features:
        raise ValueError(f"{what}: give at least one feature")
    cols = [outcome, *features] + ([cluster] if cluster else [])
    require_columns(table, cols, what)
    return features, cols


def logistic_drivers(table: pd.DataFrame, *, outcome: str, features, cluster: str = "organisation",
                     alpha: float = 0.05, bootstrap: int = 9999, weights: str = "rademacher",
                     seed: int = 0, randomised: bool = False,
                     quality: QualityLog | None = None) -> Result:
    """Logistic model of a 0/1 outcome, with standard errors clustered by organisation.

    A statsmodels ``Logit`` with an intercept; numeric and boolean features enter as they
    are, categorical features (dtype object, string or category) are dummy-coded with their
    most common level as the reference (terms named ``feature[level]``). Standard errors are
    cluster-robust by `cluster` (``cov_type="cluster"``, statsmodels' default small-sample
    correction), with normal-theory intervals and p-values.

    Few clusters: cluster-robust tests over-reject when there are only 5-15 organisations,
    so each term also gets ``wild_p_value_lpm``, a wild cluster restricted bootstrap (WCR11,
    :func:`wild_cluster_pvalues`) p-value for the same term in the *linear probability
    model* (OLS of the 0/1 outcome on the same design), not in the logistic model itself.
    Trust a term's association only when both p-values agree. Rows with a missing value in
    any used column are dropped and counted in `quality`.

    Parameters
    ----------
    table : DataFrame
        One row per learner.
    outcome : str
        0/1 (or boolean) column, e.g. still engaged in week 6.
    features : list of str
        Feature columns.
    cluster : str
        Cluster column (organisation).
    alpha : float
        1 - confidence level of the intervals.
    bootstrap : int
        Wild bootstrap draws; all 2**G sign vectors are used instead when 2**G <= bootstrap.
    weights : {"rademacher", "webb"}
        Wild bootstrap weights (Webb's six-point weights are drawn, never enumerated).
    seed : int
        Seed for drawn weights.
    randomised : bool
        Whether the features were randomly assigned; sets the Result's ``design``.

    Returns
    -------
    Result, one row per term (the intercept first, term :data:`INTERCEPT`: keep it for the
    checks against statsmodels; :func:`without_intercept` drops it for display): term,
    odds_ratio, ci_low, ci_high, p_value (cluster-robust), wild_p_value_lpm (technical;
    NaN above :data:`MANY_CLUSTERS` clusters, where the cluster-robust test needs no check),
    n (learners), events (outcome == 1, part of n), clusters (technical, said in a constant
    sentence). Design: observational unless `randomised`.
    """
    import statsmodels.api as sm

    what = "logistic_drivers table"
    quality = quality if quality is not None else QualityLog()
    features, cols = _check_features(table, outcome, features, cluster, what)
    data = _complete(table, cols, what, quality)
    y = _binary(data[outcome], outcome, what)
    x = _design(data, features)
    groups = pd.factorize(data[cluster])[0]
    if len(np.unique(groups)) < 2:
        raise ValueError(f"{what}: column {cluster!r} needs at least two clusters")
    fit = sm.Logit(y, x).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    ci = np.exp(fit.conf_int(alpha=alpha))
    n_clusters = int(groups.max() + 1)
    if n_clusters <= MANY_CLUSTERS:
        wild = wild_cluster_pvalues(y, x.to_numpy(), groups, bootstrap=bootstrap,
                                    weights=weights, seed=seed)
    else:  # cluster-robust tests are reliable with many clusters; the check is not needed
        wild = np.full(x.shape[1], np.nan)
    out = pd.DataFrame({
        "term": list(x.columns), "odds_ratio": np.exp(fit.params.to_numpy()),
        "ci_low": ci.iloc[:, 0].to_numpy(), "ci_high": ci.iloc[:, 1].to_numpy(),
        "p_value": fit.pvalues.to_numpy(), "wild_p_value_lpm": wild,
        "n": len(y), "events": int(y.sum()), "clusters": n_clusters})
    counts = ("n", "events")
    low, high = results.interval("odds_ratio", level=1 - alpha)
    name = _outcome_words(outcome)
    columns = {
        "term": results.label("Term"),
        "odds_ratio": results.estimate("ratio", "Odds ratio", of=counts),
        "ci_low": low, "ci_high": high,
        "p_value": results.estimate("p", "p-value (cluster-robust)", of=counts),
        "wild_p_value_lpm": results.estimate(
            "p", "Wild cluster bootstrap p-value (linear probability model)", of=counts,
            technical=True),
        "n": results.count("Learners in the model"),
        "events": results.count("Learners with the outcome", part_of="n"),
        "clusters": results.count("Clusters", unit=_cluster_unit(cluster), technical=True),
    }
    notes = []
    if n_clusters <= MANY_CLUSTERS:
        notes.append(f"With only {fmt.count_phrase(n_clusters, 'cluster')}, cluster-robust "
                     "p-values can be too small, so each term was also checked with a wild "
                     "cluster bootstrap.")
    return Result(out, columns, title=f"Early behaviour and the odds of {name} (logistic model)",
                  design=_design_value(randomised), n="n", kind="drivers.logistic_drivers",
                  constants={"clusters": _clustering_sentence(cluster, n_clusters)},
                  notes=tuple(notes))


def _cluster_unit(cluster: str) -> str:
    """What a count of clusters counts: organisations and courses are not people."""
    return {"organisation": "organisations", "organization": "organisations",
            "course": "courses"}.get(cluster, "clusters")


def _clustering_sentence(cluster: str, n_clusters: int) -> str:
    return (f"Standard errors are clustered by {term_label(cluster)} "
            f"({fmt.count_phrase(n_clusters, 'cluster')}).")


def without_intercept(model):
    """A model Result (or table) without its :data:`INTERCEPT` row, metadata kept.

    :func:`logistic_drivers` keeps the intercept (the baseline odds, checked against
    statsmodels); pages and figures about the features show the other terms.
    """
    table = results.table_of(model)
    keep = table["term"] != INTERCEPT
    return model.where(keep) if isinstance(model, Result) else table.loc[keep]


# ---- time-varying Cox


def _monday(ts: pd.Series) -> pd.Series:
    ts = pd.to_datetime(ts, utc=True).dt.floor("D")
    return ts - pd.to_timedelta(ts.dt.weekday, unit="D")


def time_varying_table(learner_weeks: pd.DataFrame, disengaged: pd.DataFrame, *, covariates,
                       lag_weeks: int, idle_days: int = 28, learner: str = "learner_id",
                       course: str = "course",
                       quality: QualityLog | None = None) -> pd.DataFrame:
    """Long (start, stop] table of weekly activity for a Cox model with time-varying covariates.

    Time counts whole weeks (Monday 00:00 UTC) since the learner's first active week, which
    is week 0. With L the week of the learner's last active day (``last_active`` of
    :func:`engagement.retention.disengagement`):

    - a learner seen to disengage (``event`` True) has rows k = 1 .. L + 1, and the event
      on row k = L + 1 only: they disengaged in the week after their last active week;
    - a censored learner has rows k = 1 .. L, no event: they are followed until the week of
      their last active day and no further (a learner censored in week 0 has no rows);
    - learners who never started are left out.

    Row k covers the interval (k - 1, k]. Its covariates are those of week k - `lag_weeks`
    (0 when the learner had no row in `learner_weeks` that week, or before week 0). The lag
    must cover the idle window that defines disengagement (ceil(idle_days / 7) weeks): the
    weeks just before an event are idle by definition, so shorter lags let the outcome leak
    into the covariate. Rows of `learner_weeks` for the same learner, course and week (split
    by some other column) are summed.

    Parameters
    ----------
    learner_weeks : DataFrame
        learner, course, week_start (UTC) and the covariate columns; only active weeks.
    disengaged : DataFrame
        From :func:`engagement.retention.disengagement`: learner, course, started,
        first_active, last_active, event; organisation is carried along when present.
    covariates : list of str
        Numeric columns of `learner_weeks`.
    lag_weeks : int
        Weeks between the covariate's week and the interval's end; at least 1 and at least
        ceil(idle_days / 7).
    idle_days : int
        The idle window used by ``disengagement`` (its default is 28).

    Returns
    -------
    DataFrame, one row per learner and week k: id (int, one per learner and course),
    learner, course, [organisation], week (k), start (k - 1), stop (k), event (bool), and
    the covariate columns (float).
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    quality = quality if quality is not None else QualityLog()
    if lag_weeks < 1:
        raise ValueError(f"lag_weeks must be at least 1, not {lag_weeks}")
    idle_weeks = math.ceil(idle_days / 7)
    if lag_weeks < idle_weeks:
        raise ValueError(f"lag_weeks={lag_weeks} is shorter than the idle window of {idle_days} "
                         f"days ({idle_weeks} weeks): the outcome would leak into the covariates")
    keys = [learner, course]
    require_columns(learner_weeks, [*keys, "week_start", *covariates], "learner_weeks")
    require_columns(disengaged, [*keys, "first_active", "last_active", "event"], "disengaged")
    d = disengaged[disengaged["first_active"].notna() & disengaged["last_active"].notna()
                   & disengaged["event"].notna()]
    if len(d) < len(disengaged):
        quality.count("disengaged", "never started: no time at risk", len(disengaged) - len(d))
    extra = [c for c in ("organisation",) if c in d.columns]
    d = d[[*keys, *extra, "first_active", "last_active", "event"]].reset_index(drop=True)
    w0 = _monday(d["first_active"])
    last = ((_monday(d["last_active"]) - w0).dt.days // 7).to_numpy()
    event = d["event"].astype(bool).to_numpy()
    n_rows = last + event
    if (n_rows == 0).any():
        quality.count("disengaged", "censored in their first week: no interval at risk",
                      int((n_rows == 0).sum()))
    idx = np.repeat(np.arange(len(d)), n_rows)
    week = np.concatenate([np.arange(1, n + 1) for n in n_rows]) if len(idx) else \
        np.array([], dtype=int)
    long = d.loc[idx, [*keys, *extra]].reset_index(drop=True)
    long.insert(0, "id", idx)
    long["week"] = week.astype("int64")
    long["start"] = long["week"] - 1
    long["stop"] = long["week"]
    long["event"] = event[idx] & (week == n_rows[idx])
    # weekly covariates indexed by week since the learner's first active week
    weeks = learner_weeks[[*keys, "week_start", *covariates]].merge(
        d[keys].assign(_w0=w0), on=keys, how="inner")
    weeks["_j"] = (_monday(weeks["week_start"]) - weeks["_w0"]).dt.days // 7
    weeks = weeks.groupby([*keys, "_j"], as_index=False)[covariates].sum()
    long["_j"] = long["week"] - lag_weeks
    long = long.merge(weeks, on=[*keys, "_j"], how="left")
    long[covariates] = long[covariates].astype(float).fillna(0.0)
    return long.drop(columns="_j")


def cox_time_varying(long: pd.DataFrame, *, covariates, id_col: str = "id", start: str = "start",
                     stop: str = "stop", event: str = "event", alpha: float = 0.05,
                     randomised: bool = False) -> Result:
    """Cox model with time-varying covariates (lifelines ``CoxTimeVaryingFitter``).

    Parameters
    ----------
    long : DataFrame
        From :func:`time_varying_table`, or any (start, stop] table.
    covariates : list of str
        Covariate columns.

    Returns
    -------
    Result, one row per covariate: term, hazard_ratio (of disengaging, per unit), ci_low,
    ci_high, p_value, n (learners), events (disengagements seen, part of n). Design:
    observational unless `randomised`.
    """
    from lifelines import CoxTimeVaryingFitter

    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(long, [id_col, start, stop, event, *covariates], "time-varying table")
    df = long[[id_col, start, stop, event, *covariates]].copy()
    df[event] = df[event].astype(bool)
    ctv = CoxTimeVaryingFitter(alpha=alpha)
    ctv.fit(df, id_col=id_col, event_col=event, start_col=start, stop_col=stop)
    s, ci = ctv.summary, ctv.confidence_intervals_
    out = pd.DataFrame({
        "term": list(s.index), "hazard_ratio": s["exp(coef)"].to_numpy(),
        "ci_low": np.exp(ci.iloc[:, 0].to_numpy()), "ci_high": np.exp(ci.iloc[:, 1].to_numpy()),
        "p_value": s["p"].to_numpy(), "n": int(df[id_col].nunique()),
        "events": int(df[event].sum())})
    counts = ("n", "events")
    low, high = results.interval("hazard_ratio", level=1 - alpha)
    columns = {
        "term": results.label("Term"),
        "hazard_ratio": results.estimate("ratio", "Hazard ratio of disengaging (per unit)",
                                         of=counts),
        "ci_low": low, "ci_high": high,
        "p_value": results.estimate("p", "p-value", of=counts),
        "n": results.count("Learners in the model"),
        "events": results.count("Learners seen to disengage", part_of="n"),
    }
    return Result(out, columns, title="Weekly activity and the hazard of disengaging "
                  "(Cox model with time-varying covariates)",
                  design=_design_value(randomised), n="n", kind="drivers.cox_time_varying")


# ---- out-of-sample discrimination


def auc(scores, labels) -> float:
    """Area under the ROC curve: the Mann-Whitney U of the positives over n1 * n0.

    Ties count one half (midranks). NaN when either class is empty.
    """
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    n1, n0 = labels.sum(), (~labels).sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(scores)
    return float((ranks[labels].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def group_folds(groups, *, folds: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Assign whole groups to folds.

    ``folds=None``: one fold per group (leave one group out), in sorted group order.
    Otherwise groups are shuffled with `seed`, then taken from largest to smallest (stable)
    and each put in the fold with the fewest rows so far, as scikit-learn's GroupKFold does.

    Returns
    -------
    DataFrame, one row per group: group, rows, fold (int, 1-based).
    """
    sizes = pd.Series(groups).value_counts().sort_index()
    if folds is None:
        return pd.DataFrame({"group": sizes.index, "rows": sizes.to_numpy(),
                             "fold": np.arange(1, len(sizes) + 1)})
    if not 2 <= folds <= len(sizes):
        raise ValueError(f"folds must be between 2 and the number of groups ({len(sizes)})")
    order = np.random.default_rng(seed).permutation(len(sizes))
    shuffled = sizes.iloc[order]
    shuffled = shuffled.iloc[np.argsort(-shuffled.to_numpy(), kind="stable")]
    load = np.zeros(folds)
    fold = {}
    for grp, n in shuffled.items():
        f = int(np.argmin(load))
        fold[grp] = f + 1
        load[f] += n
    return pd.DataFrame({"group": sizes.index, "rows": sizes.to_numpy(),
                         "fold": [fold[g] for g in sizes.index]})


def _logit_params(x: np.ndarray, y: np.ndarray, ridge: float = 0.0,
                  max_iter: int = 50) -> np.ndarray:
    """Logistic coefficients by Newton-Raphson, with an optional L2 penalty (not on column 0)."""
    beta = np.zeros(x.shape[1])
    pen = np.full(x.shape[1], ridge)
    pen[0] = 0.0
    for _ in range(max_iter):
        eta = np.clip(x @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        grad = x.T @ (y - p) - pen * beta
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            return beta
    raise np.linalg.LinAlgError("logistic fit did not converge")


def _predict_logit(x_train, y_train, x_test) -> np.ndarray:
    # Separation or a level absent from the training folds makes the plain MLE diverge;
    # a tiny ridge penalty keeps the out-of-fold prediction usable without changing ranks much.
    try:
        beta = _logit_params(x_train, y_train)
        if np.max(np.abs(beta)) > 25:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        beta = _logit_params(x_train, y_train, ridge=1e-2, max_iter=200)
    return x_test @ beta


def _fold_table(predict, score, data, group, folds, seed, n_boot, randomised,
                extra_counts, boot_from_counts=None) -> pd.DataFrame:
    assign = group_folds(data[group], folds=folds, seed=seed)
    fold_of = data[group].map(dict(zip(assign["group"], assign["fold"]))).to_numpy()
    oof = np.full(len(data), np.nan)
    rows = []
    for f in sorted(assign["fold"].unique()):
        test = fold_of == f
        oof[test] = predict(~test, test)
        held = sorted(map(str, pd.unique(data[group].to_numpy()[test])))
        train = sorted(map(str, pd.unique(data[group].to_numpy()[~test])))
        rows.append({"fold": str(f), "held_out_groups": ", ".join(held),
                     "train_groups": ", ".join(train), "n": int(test.sum()),
                     **extra_counts(test), "score": score(oof[test], test)})
    # pooled: every prediction made out of fold; interval from resampling whole groups
    codes, uniq = pd.factorize(data[group])
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(codes == c) for c in range(len(uniq))]
    picks = rng.integers(0, len(uniq), (n_boot, len(uniq)))
    if boot_from_counts is not None:
        # statistic from per-organisation-pair counts: m' K m for multiplicities m
        mult = np.stack([np.bincount(p, minlength=len(uniq)) for p in picks]) if n_boot else \
            np.zeros((0, len(uniq)))
        boots = boot_from_counts(oof, codes, len(uniq), mult)
    else:
        boots = np.array([score(oof[ix], ix) for ix in
                          (np.concatenate([members[c] for c in p]) for p in picks)])
    boots = boots[np.isfinite(boots)]
    everything = np.ones(len(data), bool)
    rows.append({"fold": "pooled", "held_out_groups": "all", "train_groups": "",
                 "n": len(data), **extra_counts(everything),
                 "score": score(oof, np.arange(len(data))),
                 "ci_low": np.quantile(boots, 0.025) if len(boots) else np.nan,
                 "ci_high": np.quantile(boots, 0.975) if len(boots) else np.nan})
    out = pd.DataFrame(rows)
    out["design"] = _design_value(randomised)
    return out


def grouped_cross_validation(table: pd.DataFrame, *, outcome: str, features,
                             group: str = "organisation", folds: int | None = None,
                             n_boot: int = 1000, seed: int = 0, randomised: bool = False,
                             quality: QualityLog | None = None) -> Result:
    """Out-of-sample AUC of the logistic model, with folds that keep each organisation whole.

    Each fold's organisations are held out; a logistic model (same design as
    :func:`logistic_drivers`, dummy coding fixed on the whole table) is fitted on the other
    folds and scores the held-out learners. When the maximum-likelihood fit fails or
    diverges (separation), a small ridge penalty (0.01) is used for that fold. The pooled
    row is the AUC of all out-of-fold predictions, with a 95% percentile interval from
    resampling organisations with replacement (`n_boot` times).

    Parameters
    ----------
    folds : int, optional
        None: leave one organisation out; otherwise that many folds (:func:`group_folds`).

    Returns
    -------
    Result, one row per fold and a last row with fold "pooled" (the total of the folds):
    fold (str), held_out_groups, train_groups (comma-separated group names; technical, and
    anonymised on partner pages), n (learners), events (part of n), auc, ci_low, ci_high
    (pooled row only). The folds partition the learners; n is ``n``.
    """
    what = "grouped_cross_validation table"
    quality = quality if quality is not None else QualityLog()
    features, cols = _check_features(table, outcome, features, group, what)
    data = _complete(table, cols, what, quality).reset_index(drop=True)
    y = _binary(data[outcome], outcome, what)
    x = _design(data, features).to_numpy()

    def predict(train, test):
        return _predict_logit(x[train], y[train], x[test])

    out = _fold_table(predict, lambda s, ix: auc(s, y[ix]), data, group, folds, seed,
                      n_boot, randomised, lambda ix: {"events": int(y[ix].sum())})
    out = out.rename(columns={"score": "auc"})[
        ["fold", "held_out_groups", "train_groups", "n", "events", "auc", "ci_low", "ci_high"]]
    name = _outcome_words(outcome)
    groups = term_label(group)
    low, high = results.interval("auc")
    columns = {
        "fold": results.label("Fold"),
        # names of the held-out and training groups: anonymised for partners, who see the
        # fold number only
        "held_out_groups": results.organisation(f"Held out ({groups})", technical=True),
        "train_groups": results.organisation(f"Fitted on ({groups})", technical=True),
        "n": results.count("Learners scored"),
        "events": results.count("Learners with the outcome", part_of="n"),
        "auc": results.estimate("number", "AUC (0.5 is a coin toss, 1 perfect)",
                                of=("n", "events")),
        "ci_low": low, "ci_high": high,
    }
    how = (f"Each fold holds out one {groups}" if folds is None
           else f"The {groups}s are split into {folds} folds")
    return Result(out, columns,
                  title=f"How well early behaviour tells apart learners with and without {name}, "
                        f"out of sample",
                  design=_design_value(randomised), n="n", partition="fold",
                  total_row=TotalRow("fold", "pooled"), kind="drivers.grouped_cross_validation",
                  notes=(f"{how}: the model scoring its learners is fitted without them. The "
                         "pooled row scores every learner this way; its interval comes from "
                         f"resampling whole {groups}s ({n_boot} resamples).",))


def grouped_concordance(durations_table: pd.DataFrame, *, duration: str, event: str, features,
                        group: str = "organisation", folds: int | None = None,
                        n_boot: int = 1000, penalizer: float = 0.0, seed: int = 0,
                        randomised: bool = False,
                        quality: QualityLog | None = None) -> pd.DataFrame:
    """Out-of-sample concordance of a Cox model, with folds that keep each organisation whole.

    A lifelines ``CoxPHFitter`` (numeric features; categorical ones dummy-coded as in
    :func:`logistic_drivers`) is fitted on the other folds; the held-out learners are scored
    by their partial hazard and Harrell's C is ``concordance_index(duration, -hazard,
    event)`` (higher hazard, shorter time). The pooled row scores all out-of-fold partial
    hazards together, with a percentile interval from resampling organisations.

    Returns
    -------
    DataFrame, one row per fold and a last row with fold "pooled": fold, held_out_groups,
    train_groups, n, events, concordance, ci_low, ci_high (pooled row only), design.
    """
    from lifelines import CoxPHFitter
    from lifelines.utils import concordance_index

    what = "grouped_concordance table"
    quality = quality if quality is not None else QualityLog()
    features, cols = _check_features(durations_table, duration, features, group, what)
    require_columns(durations_table, [event], what)
    data = _complete(durations_table, [*cols, event], what, quality).reset_index(drop=True)
    t = data[duration].to_numpy(float)
    e = data[event].astype(bool).to_numpy()
    x = _design(data, features, intercept=False)
    x.columns = [f"x{i}" for i in range(x.shape[1])]  # lifelines needs plain names

    def predict(train, test):
        df = x[train].assign(_t=t[train], _e=e[train])
        cph = CoxPHFitter(penalizer=penalizer).fit(df, duration_col="_t", event_col="_e")
        return np.log(cph.predict_partial_hazard(x[test]).to_numpy())

    def score(s, ix):
        try:
            return concordance_index(t[ix], -s, e[ix])
        except ZeroDivisionError:  # no comparable pairs
            return float("nan")

    out = _fold_table(predict, score, data, group, folds, seed, n_boot, randomised,
                      lambda ix: {"events": int(e[ix].sum())},
                      boot_from_counts=lambda s, codes, g, m: _boot_concordance(t, e, -s, codes,
                                                                                g, m))
    return out.rename(columns={"score": "concordance"})[
        ["fold", "held_out_groups", "train_groups", "n", "events", "concordance", "ci_low",
         "ci_high", "design"]]


def _boot_concordance(t, e, pred, codes, g, mult) -> np.ndarray:
    """Harrell's C of resampled organisations from organisation-pair counts.

    A pair is comparable when the shorter time is an event (tied times are not compared);
    concordant when its predicted survival `pred` is the lower one (ties count one half).
    Copies of an organisation drawn m times contribute m * m times its within counts, and
    pairs of two organisations m_g * m_h times its between counts; a learner and its own copy
    are never comparable. Returns one C per row of `mult`.
    """
    conc = np.zeros((g, g))
    comp = np.zeros((g, g))
    for i in np.flatnonzero(e):
        later = t > t[i]
        if not later.any():
            continue
        cj = codes[later]
        comp[codes[i]] += np.bincount(cj, minlength=g)
        hit = (pred[i] < pred[later]) + 0.5 * (pred[i] == pred[later])
        conc[codes[i]] += np.bincount(cj, weights=hit, minlength=g)
    num = np.einsum("bg,gh,bh->b", mult, conc, mult)
    den = np.einsum("bg,gh,bh->b", mult, comp, mult)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


# ---- standardised effects and their ranks


def standardised_effects(table: pd.DataFrame, *, outcome: str, features,
                         cluster: str = "organisation", n_boot: int = 500, alpha: float = 0.05,
                         seed: int = 0, randomised: bool = False,
                         quality: QualityLog | None = None) -> Result:
    """Log-odds per standard deviation of each feature, and how firmly the features rank.

    Every feature (numeric or boolean; binary ones too, so a 0/1 feature's effect is per SD
    of that 0/1 column, not for 1 versus 0) is scaled to mean 0 and SD 1 (sample SD,
    ddof=1) on the full data, and one logistic model holds them all. A bootstrap resamples
    whole clusters (organisations) with replacement, keeps the full-data scaling, refits,
    and ranks the features by |effect| in each sample. Samples whose fit fails (separation,
    no convergence, a constant column) are left out and counted in ``failed_fits``.

    Returns
    -------
    Result, one row per feature, strongest first: term, effect (log-odds per SD),
    odds_ratio_per_sd, ci_low, ci_high (percentile interval of the *effect*, on the log-odds
    scale), rank (by |effect| in the full data, 1 = strongest), rank_low, rank_high
    (percentile interval of the rank), n (learners), events (part of n), and the technical
    clusters, n_boot, failed_fits (said in constant sentences). Design: observational
    unless `randomised`.
    """
    import statsmodels.api as sm

    what = "standardised_effects table"
    quality = quality if quality is not None else QualityLog()
    features, cols = _check_features(table, outcome, features, cluster, what)
    data = _complete(table, cols, what, quality).reset_index(drop=True)
    y = _binary(data[outcome], outcome, what)
    for f in features:
        if _is_categorical(data[f]):
            raise ValueError(f"{what}: feature column {f!r} is not numeric; standardised "
                             "effects need numeric or boolean features")
    raw = data[features].astype(float)
    sd = raw.std()
    if (sd == 0).any():
        raise ValueError(f"{what}: constant feature column(s) {', '.join(sd.index[sd == 0])}")
    z = (raw - raw.mean()) / sd
    x = np.column_stack([np.ones(len(z)), z.to_numpy()])
    full = sm.Logit(y, x).fit(disp=0).params[1:]
    rank = _ranks(full)
    codes, uniq = pd.factorize(data[cluster])
    members = [np.flatnonzero(codes == c) for c in range(len(uniq))]
    rng = np.random.default_rng(seed)
    effects, failed = [], 0
    for _ in range(n_boot):
        ix = np.concatenate([members[c] for c in rng.integers(0, len(uniq), len(uniq))])
        xb, yb = x[ix], y[ix]
        try:
            if yb.min() == yb.max() or np.linalg.matrix_rank(xb) < x.shape[1]:
                raise np.linalg.LinAlgError
            b = _logit_params(xb, yb)[1:]
            if not np.all(np.isfinite(b)) or np.max(np.abs(b)) > 25:
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            failed += 1
            continue
        effects.append(b)
    q = [alpha / 2, 1 - alpha / 2]
    if effects:
        boot = np.array(effects)
        ci = np.quantile(boot, q, axis=0)
        ranks = np.apply_along_axis(_ranks, 1, boot)
        rci = np.quantile(ranks, q, axis=0)
    else:
        ci = rci = np.full((2, len(features)), np.nan)
    out = pd.DataFrame({
        "term": features, "effect": full, "odds_ratio_per_sd": np.exp(full),
        "ci_low": ci[0], "ci_high": ci[1], "rank": rank, "rank_low": rci[0],
        "rank_high": rci[1], "n": len(y), "events": int(y.sum()), "clusters": len(uniq),
        "n_boot": n_boot, "failed_fits": failed})
    out = out.sort_values("rank", kind="stable").reset_index(drop=True)
    counts = ("n", "events")
    level = 1 - alpha
    low, high = results.interval("effect", level=level)
    rank_low, rank_high = results.interval("rank", level=level)
    name = _outcome_words(outcome)
    groups = term_label(cluster)
    setting = {"of": (), "technical": True}  # bootstrap settings: on no count of people
    columns = {
        "term": results.label("Term"),
        "effect": results.estimate("number", "Log-odds per standard deviation",
                                   of=counts),
        "odds_ratio_per_sd": results.estimate("ratio", "Odds ratio per standard deviation",
                                              of=counts),
        "ci_low": low, "ci_high": high,
        "rank": results.estimate("number", "Rank by size of effect (1 = strongest)", of=counts),
        "rank_low": rank_low, "rank_high": rank_high,
        "n": results.count("Learners in the model"),
        "events": results.count("Learners with the outcome", part_of="n"),
        "clusters": results.count("Clusters", unit=_cluster_unit(cluster), technical=True),
        "n_boot": results.estimate("number", "Bootstrap resamples", **setting),
        "failed_fits": results.estimate("number", "Resamples whose fit failed", **setting),
    }
    failed_words = (f", of which {fmt.count_phrase(failed, 'resample')} whose fit failed "
                    f"{'was' if failed == 1 else 'were'} left out" if failed else "")
    constants = {
        "clusters": f"Resampling is by whole {groups} "
                    f"({fmt.count_phrase(len(uniq), 'cluster')}).",
        "n_boot": f"Intervals are {level:.0%} percentile intervals from "
                  f"{fmt.count_phrase(n_boot, 'bootstrap resample')}{failed_words}.",
    }
    return Result(out, columns,
                  title=f"Size and rank of each early feature's association with {name}, "
                        "per standard deviation",
                  design=_design_value(randomised), n="n", constants=constants,
                  kind="drivers.standardised_effects",
                  notes=("The interval of the effect is on the log-odds scale (0 is no "
                         "association); ranks count from the strongest.",))


def _ranks(effects) -> np.ndarray:
    """1 = largest |effect|; ties share the lower (better) rank."""
    return stats.rankdata(-np.abs(np.asarray(effects, float)), method="min").astype(int)


# ---- words

def describe_cv(cv, *, measure: str = "auc", group: str = "organisation") -> str:
    """A sentence on out-of-sample discrimination (the pooled row of a cross-validation table).

    Takes the Result of :func:`grouped_cross_validation` (or the table of
    :func:`grouped_concordance` with ``measure="concordance"``), as computed or after
    disclosure control: a hidden pooled estimate is not quoted. `group` names what each
    fold held out (e.g. "organisation", "course").
    """
    table = results.table_of(cv).reset_index(drop=True)
    hidden = partial(results.hidden, cv)
    require_columns(table, ["fold", measure, "ci_low", "ci_high"], "cross-validation table")
    pooled = np.flatnonzero(table["fold"].astype(str).eq("pooled").to_numpy())
    if not len(pooled):
        raise ValueError("cross-validation table: no pooled row (fold 'pooled')")
    i = int(pooled[0])
    name = "AUC" if measure == "auc" else "concordance"
    folds = int((table["fold"].astype(str) != "pooled").sum())
    lead = (f"Scoring learners of each {term_label(group)} with a model fitted without it "
            f"({folds} folds)")
    if hidden(i, [measure, "ci_low", "ci_high"]):
        return f"{lead}, there were too few learners to show the {name}."
    value, lo, hi = (table[c].iloc[i] for c in (measure, "ci_low", "ci_high"))
    if not fmt.finite(value):
        return (f"{lead}, the {name} is {fmt.NOT_ESTIMABLE} (the held-out learners do not "
                "include both outcomes).")
    quality = ("no better than chance" if lo <= 0.5 else "weak" if value < 0.65
               else "moderate" if value < 0.75 else "good")
    return (f"{lead}, the {name} was {fmt.estimate_with_interval(value, lo, hi, 'number')}: "
            f"{quality} at telling the two outcomes apart (0.5 is a coin toss, 1 perfect).")


def describe_drivers(model, *, randomised: bool = False, alpha: float = 0.05,
                     top: int = 3, outcome: str = "still being engaged") -> str:
    """Plain-English sentences on the strongest terms of a model Result.

    Takes the Result of :func:`logistic_drivers` (odds_ratio), :func:`standardised_effects`
    (odds_ratio_per_sd; its interval, on the log-odds scale, is turned into one of the odds
    ratio) or :func:`cox_time_varying` (hazard_ratio), as computed or after disclosure
    control (a term whose estimate is hidden is said to have too few learners, and no
    hidden number is quoted). The `top` terms are those with the smallest p-value (or the
    best rank); a term whose interval covers 1 is reported as "no clear difference".
    Unless `randomised` (or the Result's design is randomised), the sentences speak of
    association ("goes with") and end with a caveat that these are not causes.
    """
    table = results.table_of(model).reset_index(drop=True)
    hidden = partial(results.hidden, model)
    ratio = next((c for c in ("odds_ratio", "odds_ratio_per_sd", "hazard_ratio")
                  if c in table.columns), None)
    if ratio is None:
        raise ValueError("results: expected a column odds_ratio, odds_ratio_per_sd or "
                         f"hazard_ratio; it has {', '.join(table.columns)}")
    require_columns(table, ["term", "ci_low", "ci_high"], "results")
    randomised = randomised or (isinstance(model, Result) and model.design == "randomised")
    # the interval may be that of the log-odds (standardised_effects): as one of the ratio
    interval_of = (model.columns["ci_low"].of if isinstance(model, Result)
                   else "effect" if ratio == "odds_ratio_per_sd" and "effect" in table
                   else ratio)
    log_scale = interval_of == "effect" and interval_of != ratio
    r = table[table["term"] != INTERCEPT]
    if "p_value" in r.columns:
        r = r.sort_values("p_value", kind="stable")
    elif "rank" in r.columns:
        r = r.sort_values("rank", kind="stable")
    rows = list(r.index[:top])
    level = f"{100 * (1 - alpha):.0f}% CI"
    what = "hazard of disengaging" if ratio == "hazard_ratio" else f"odds of {outcome}"
    label = "HR" if ratio == "hazard_ratio" else "OR"
    unit = " per standard deviation" if ratio == "odds_ratio_per_sd" else ""
    verb = "leads to" if randomised else "goes with"
    sentences, too_few = [], []
    for i in rows:
        row = table.iloc[i]
        term = term_label(row["term"])
        if hidden(i, [ratio, "ci_low", "ci_high", interval_of]):
            too_few.append(term)
            continue
        est, lo, hi = row[ratio], row["ci_low"], row["ci_high"]
        if log_scale:
            lo, hi = np.exp(lo), np.exp(hi)
        decimals = fmt.interval_decimals("ratio", lo, hi, est)
        nums = (f"({label} {fmt.format_ratio(est, decimals)}, {level} "
                f"{fmt.format_interval(lo, hi, 'ratio', decimals=decimals)})")
        if lo <= 1 <= hi:
            sentences.append(f"{term.capitalize()}: no clear difference in the {what} {nums}.")
        else:
            direction = "higher" if est > 1 else "lower"
            sentences.append(f"A higher {term}{unit} {verb} {direction} {what} {nums}.")
        wild = row.get("wild_p_value_lpm")
        p = row.get("p_value")
        if (wild is not None and p is not None and pd.notna(wild) and pd.notna(p)
                and not hidden(i, ["wild_p_value_lpm", "p_value"])
                and (p < alpha) != (wild < alpha)):
            clusters = row.get("clusters")
            few = (f"With only {fmt.format_count(clusters)} clusters"
                   if clusters is not None and pd.notna(clusters) else "With few clusters")
            sentences.append(f"{few}, the wild cluster bootstrap "
                             f"({fmt.p_phrase(wild)}) does not confirm the cluster-robust test "
                             f"({fmt.p_phrase(p)}) for {term}.")
    if too_few and not sentences:
        sentences.append("There are too few learners to show these estimates.")
    elif too_few:
        sentences.append(f"Too few learners to show the estimate for {', '.join(too_few)}.")
    if not sentences:
        sentences.append("No terms to describe.")
    if not randomised:
        sentences.append("These are associations in observational data, not causes: learners "
                         "who behave differently early on may differ in other ways too.")
    return " ".join(sentences)


def describe_limits(model, *, cluster: str = "organisation") -> str:
    """What limits a drivers model, in plain words (Markdown bullets), chosen by the model's
    own clustering: the few-clusters caveat only when the clusters are few."""
    table = results.table_of(model)
    lines = ["- Learners chose what they did. Keen learners do many things at once, so each "
             "odds ratio is an association with everything else in the model held level, not "
             "the effect of doing more of it."]
    clusters = table["clusters"].dropna() if "clusters" in table else pd.Series(dtype=float)
    if len(clusters) and clusters.iloc[0] <= MANY_CLUSTERS:
        lines.append(f"- With only {fmt.format_count(clusters.iloc[0])} clusters "
                     f"({cluster.replace('_', ' ')}s), cluster-robust intervals can be too "
                     "narrow; where the wild cluster bootstrap disagrees, the sentence says so.")
    elif len(clusters):
        lines.append(f"- Standard errors allow for learners of one {cluster.replace('_', ' ')} "
                     f"being alike ({fmt.format_count(clusters.iloc[0])} clusters).")
    lines.append("- To learn what works, try it at random: for example, have a peer reply to a "
                 "random half of first posts for a month, or invite a random half of a cohort "
                 "to a webinar.")
    return "\n".join(lines)
