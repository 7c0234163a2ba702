"""Blended learning: does attending a tutorial, webinar or face-to-face session lift engagement?

The unit is a *learner-session*: one course session (all attendance events sharing a
``course`` and ``object_id``) and one learner of that course who could have attended it.
Weeks are Monday 00:00 UTC weeks; week 0 is the week of the session, week +1 the one after.

Who is compared with whom
-------------------------
A learner is *at risk* of attending a session (eligible) when they were active online
(``lms`` or ``forum``) in some week before the session's week and had not withdrawn by the
end of it. Attendees who were not eligible (their first online activity came later) are
kept in the panel with the reason they are left out, so the count is visible. A
learner-session is analysed only where the week after the session is observed for that
learner (at least six of its seven days before the learner's observation end; see
:func:`engagement.retention.observation_end`).

The session's own events
------------------------
Joining a webinar often leaves a trace in the LMS (clicking the Zoom link in Moodle). Those
events are the session, not online engagement: an attendee's online events from
``minutes_before`` before the session's start to ``minutes_after`` after it are set aside
(:func:`session_own_events` lists them) before activity is counted.

Two analyses
------------
:func:`event_study`
    Attendees' online activity week by week around the session (weeks ``-weeks_before`` to
    ``+weeks_after``), next to the eligible non-attendees of the same sessions, by format.
    The weeks *before* the session (the leads) are the check on the design: where attendees
    were already more active before attending, a plain comparison after it mixes the effect
    with who chooses to attend.
:func:`attendance_lift`
    The difference attending makes to the chance of being active online the week after,
    for the learners who attended (the average effect on the attended): each attendee is
    compared with non-attendees of the same session who were equally active the week before
    (strata: session x active in week -1), regression-adjusted for active days in week -1
    and active weeks in the ``weeks_before`` weeks before (a fully interacted linear model,
    Lin 2013 / Oaxaca-Blinder; the coefficient of attending is exactly the regression
    imputation estimate). Standard errors are clustered by learner (a learner attends many
    sessions). The naive attendee-versus-non-attendee difference is reported beside it.

Attendance was chosen, not assigned: adjusting for earlier activity removes the selection
that earlier activity explains, and nothing else. Every sentence says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from engagement import activity, results, stats
from engagement.results import Result, TotalRow
from engagement.retention import KEYS, observation_end
from engagement.schema import require_columns
from engagement.stats import wilson_interval

FORMATS = ("webinar", "tutorial", "face_to_face")
FORMAT_LABELS = {"webinar": "webinars", "tutorial": "tutorials",
                 "face_to_face": "face-to-face sessions", "all": "all sessions"}
_WEEK = pd.Timedelta(days=7)
_OBSERVED_DAYS = pd.Timedelta(days=6)
CAVEAT = ("adjusted for earlier activity; attendance was chosen, not assigned, so selection "
          "may remain")
COVARIATE_LABELS = {"active_days[-1]": "active days online in the week before the session",
                    "active_weeks_before": "weeks with online activity in the weeks before it"}
"""Plain words for the covariates of :func:`attendance_lift` (said under its table)."""


def day_column(r: int) -> str:
    """Name of the panel column holding active days in week ``r`` relative to the session."""
    return f"active_days[{r:+d}]"


def attendances(events: pd.DataFrame, *, formats=FORMATS) -> pd.DataFrame:
    """One row per learner and session attended.

    Parameters
    ----------
    events : DataFrame
        Contract events; attendance rows have ``action == "attend"`` and ``source`` in
        `formats`; ``object_id`` identifies the session within its course.
    formats : sequence of str
        The sources that count as sessions.

    Returns
    -------
    DataFrame: learner_id, course, session_id, format, attended_at (the learner's first
    join), session_start (the earliest join of anyone: the session's start as the data
    show it), session_week (Monday 00:00 UTC of session_start).
    """
    require_columns(events, [*KEYS, "timestamp", "source", "action", "object_id"], "events")
    att = events[events["action"].eq("attend") & events["source"].isin(formats)]
    att = (att.groupby([*KEYS, "object_id", "source"], as_index=False, observed=True)
           .agg(attended_at=("timestamp", "min"))
           .rename(columns={"object_id": "session_id", "source": "format"}))
    start = att.groupby(["course", "session_id"])["attended_at"].transform("min")
    return (att.assign(session_start=start, session_week=activity.week_start(start))
            .sort_values(["session_start", "course", "attended_at", "learner_id"], kind="stable")
            .reset_index(drop=True))


def attendance_summary(events: pd.DataFrame) -> Result:
    """Sessions held and attendance per format.

    Returns
    -------
    Result, one row per format: format, sessions, attendances, learners (distinct
    attendees), attendances_per_session. ``n`` is learners.
    """
    att = attendances(events)
    out = att.groupby("format", as_index=False).agg(
        sessions=("session_id", "nunique"), attendances=("learner_id", "size"),
        learners=("learner_id", "nunique"))
    out = out.assign(attendances_per_session=out["attendances"] / out["sessions"])
    columns = {
        "format": results.label("Format"),
        "sessions": results.count("Sessions held", unit="sessions held"),
        "attendances": results.count("Attendances", unit="attendances"),
        "learners": results.count("Learners who attended"),
        "attendances_per_session": results.estimate("number", "Attendances per session",
                                                    of=("attendances",)),
    }
    return Result(out, columns, title="Sessions held and attendance, by format",
                  n="learners", kind="blended.attendance_summary")


def session_own_events(events: pd.DataFrame, *, minutes_before: float = 30,
                       minutes_after: float = 180) -> pd.DataFrame:
    """The attendees' online events that belong to the session itself.

    An attendee's ``lms``/``forum`` event in the same course from `minutes_before` before
    the session's start to `minutes_after` after it is taken as joining or following the
    session (e.g. the Moodle click that opens the Zoom meeting), not as online engagement.

    Returns
    -------
    DataFrame: the matching rows of `events` (their original index kept), plus
    ``session_id``.
    """
    att = attendances(events)[[*KEYS, "session_id", "session_start"]]
    online = events[events["source"].isin(activity.ONLINE_SOURCES)]
    both = online.reset_index().merge(att, on=KEYS)
    lag = both["timestamp"] - both["session_start"]
    inside = lag.between(-pd.Timedelta(minutes=minutes_before), pd.Timedelta(minutes=minutes_after))
    own = both[inside].drop_duplicates("index").set_index("index")
    own.index.name = None
    return own[[*events.columns, "session_id"]]


def session_panel(events: pd.DataFrame, learners: pd.DataFrame, courses: pd.DataFrame,
                  outcomes: pd.DataFrame | None = None, *, weeks_before: int = 4,
                  weeks_after: int = 4, minutes_before: float = 30,
                  minutes_after: float = 180) -> pd.DataFrame:
    """One row per session and learner of its course who attended or could have attended.

    Parameters
    ----------
    events, learners, courses, outcomes : DataFrame
        Contract tables (outcomes optional: its ``withdrawn_at`` ends eligibility, its
        ``completed_at`` ends observation).
    weeks_before, weeks_after : int
        How many weeks before and after the session's week to describe.
    minutes_before, minutes_after : float
        The window around a session's start whose online events by its attendees are the
        session's own (see :func:`session_own_events`).

    Returns
    -------
    DataFrame: learner_id, course, session_id, format, session_week, attended (bool),
    left_out (None when analysed, else why: "not active online before the session's week",
    "withdrawn by the end of the session's week", "week after the session not observed"),
    ``active_days[-k]`` ... ``active_days[+k]`` (online active days in each week relative
    to the session; NaN where that week is not observed for the learner), active_before
    (active in week -1), active_weeks_before (weeks with activity among the `weeks_before`
    weeks before), active_after (active in week +1; NaN when not observed). Non-attendees
    who were not eligible are not listed (they were not at risk of attending).
    """
    require_columns(learners, KEYS, "learners")
    events = events.reset_index(drop=True)  # the session's own events are dropped by label
    sessions = attendances(events)
    unknown = sessions.merge(learners[KEYS].drop_duplicates(), on=KEYS, how="left",
                             indicator=True)["_merge"].eq("left_only")
    if unknown.any():
        raise ValueError(f"{int(unknown.sum())} attendances belong to learners missing from the "
                         "learners table; match attendance to enrolled learners first")
    held = (sessions.groupby(["course", "session_id"], as_index=False)
            .agg(format=("format", "first"), session_week=("session_week", "first")))
    own = session_own_events(events, minutes_before=minutes_before, minutes_after=minutes_after)
    weeks = activity.learner_weeks(events.drop(index=own.index))
    weeks = weeks[[*KEYS, "week_start", "active_days"]]
    first_week = weeks.groupby(KEYS, as_index=False)["week_start"].min().rename(
        columns={"week_start": "first_week"})
    span = observation_end(learners.drop_duplicates(KEYS), courses, outcomes)[
        [*KEYS, "observed_until"]]
    panel = (held.merge(learners[KEYS].drop_duplicates(), on="course")
             .merge(first_week, on=KEYS, how="left")
             .merge(span, on=KEYS, how="left")
             .merge(sessions[[*KEYS, "session_id"]], on=[*KEYS, "session_id"], how="left",
                    indicator="attended"))
    panel["attended"] = panel["attended"].eq("both")
    if outcomes is not None and "withdrawn_at" in outcomes:
        gone = outcomes[[*KEYS, "withdrawn_at"]].drop_duplicates(KEYS)
        panel = panel.merge(gone, on=KEYS, how="left")
    else:
        panel["withdrawn_at"] = pd.Series(pd.NaT, index=panel.index, dtype="datetime64[ns, UTC]")
    reason = pd.Series(None, index=panel.index, dtype=object)
    started = panel["first_week"].notna() & (panel["first_week"] < panel["session_week"])
    withdrawn = panel["withdrawn_at"] < panel["session_week"] + _WEEK  # NaT compares False
    next_seen = panel["observed_until"] >= panel["session_week"] + _WEEK + _OBSERVED_DAYS
    reason = reason.mask(~next_seen, "week after the session not observed")
    reason = reason.mask(withdrawn, "withdrawn by the end of the session's week")
    reason = reason.mask(~started, "not active online before the session's week")
    panel["left_out"] = reason
    # non-attendees who were never at risk are not part of the comparison at all
    panel = panel[panel["attended"] | reason.isna()].reset_index(drop=True)

    active_days = weeks.set_index([*KEYS, "week_start"])["active_days"]
    for r in range(-weeks_before, weeks_after + 1):
        week = panel["session_week"] + r * _WEEK
        key = pd.MultiIndex.from_arrays([panel["learner_id"], panel["course"], week])
        days = pd.Series(active_days.reindex(key).to_numpy(), index=panel.index).fillna(0)
        observed = panel["observed_until"] >= week + _OBSERVED_DAYS
        panel[day_column(r)] = days.where(observed).astype(float)
    before = panel[[day_column(r) for r in range(-weeks_before, 0)]]
    panel["active_before"] = panel[day_column(-1)].fillna(0) > 0
    panel["active_weeks_before"] = (before.fillna(0) > 0).sum(axis=1)
    panel["active_after"] = (panel[day_column(1)] > 0).astype(float).where(
        panel[day_column(1)].notna())
    keep = ["learner_id", "course", "session_id", "format", "session_week", "attended",
            "left_out", *[day_column(r) for r in range(-weeks_before, weeks_after + 1)],
            "active_before", "active_weeks_before", "active_after"]
    panel = panel[keep].sort_values(["session_week", "course", "session_id", "learner_id"],
                                    kind="stable").reset_index(drop=True)
    reason = panel["left_out"].astype(object)
    return panel.assign(left_out=reason.where(reason.notna(), None))


def left_out(panel: pd.DataFrame) -> Result:
    """Attendances not analysed, by format and reason: format, reason, attendances.

    Attendances are records of people, so they stay disclosure-controlled (``n``).
    """
    gone = panel[panel["attended"] & panel["left_out"].notna()]
    out = (gone.groupby(["format", "left_out"], as_index=False).size()
           .rename(columns={"left_out": "reason", "size": "attendances"}))
    columns = {"format": results.label("Format"),
               "reason": results.label("Why it was not analysed"),
               "attendances": results.count("Attendances", unit="attendances")}
    return Result(out, columns, title="Attendances left out of the analysis, and why",
                  n="attendances", kind="blended.left_out")


def _analysed(panel: pd.DataFrame, fmt: str) -> pd.DataFrame:
    rows = panel[panel["left_out"].isna()]
    return rows if fmt == "all" else rows[rows["format"] == fmt]


def _formats(panel: pd.DataFrame) -> list[str]:
    present = [f for f in FORMATS if f in set(panel["format"])]
    return ["all", *present] if len(present) > 1 else present


def event_study(panel: pd.DataFrame, *, alpha: float = 0.05) -> Result:
    """Online activity week by week around the session, attendees next to non-attendees.

    Parameters
    ----------
    panel : DataFrame
        From :func:`session_panel` (only analysed rows are used).
    alpha : float
        1 - confidence level of the Wilson intervals (rows treated as independent: a learner
        who attended several sessions appears several times, so the intervals are too
        narrow by the learner clustering; the lift's interval accounts for it).

    Returns
    -------
    Result: format ("all" and each format), group ("attended" / "did not attend"),
    relative_week, learner_sessions (observed in that week), active, active_share, ci_low,
    ci_high, mean_active_days. The "all" rows are the totals of the formats' rows (same
    group and week); ``n`` is learner_sessions.
    """
    cols = [c for c in panel.columns if c.startswith("active_days[")]
    out = []
    for fmt in _formats(panel):
        rows = _analysed(panel, fmt)
        long = rows.melt(id_vars=["attended"], value_vars=cols, var_name="week",
                         value_name="days").dropna(subset=["days"])
        long["relative_week"] = long["week"].str.slice(12, -1).astype(int)
        g = (long.assign(active=long["days"] > 0)
             .groupby(["attended", "relative_week"], as_index=False)
             .agg(learner_sessions=("days", "size"), active=("active", "sum"),
                  mean_active_days=("days", "mean")))
        out.append(g.assign(format=fmt))
    res = pd.concat(out, ignore_index=True)
    res["active_share"] = res["active"] / res["learner_sessions"]
    res["ci_low"], res["ci_high"] = wilson_interval(res["active"], res["learner_sessions"],
                                                    alpha=alpha)
    res["group"] = np.where(res["attended"], "attended", "did not attend")
    table = res[["format", "group", "relative_week", "learner_sessions", "active",
                 "active_share", "ci_low", "ci_high", "mean_active_days"]]
    low, high = results.interval("active_share", level=1 - alpha)
    columns = {
        "format": results.label("Format"),
        "group": results.label("Group"),
        "relative_week": results.label("Week from the session's week"),
        "learner_sessions": results.count("Learner-sessions observed that week",
                                          unit="learner-sessions"),
        "active": results.count("Active online that week", unit="learner-sessions",
                                part_of="learner_sessions"),
        "active_share": results.share("Share active online that week", of="active",
                                      over="learner_sessions"),
        "ci_low": low, "ci_high": high,
        "mean_active_days": results.estimate("number", "Mean active days that week"),
    }
    total = (TotalRow("format", "all", by=("group", "relative_week"))
             if table["format"].eq("all").any() else None)
    return Result(table, columns,
                  title="Online activity week by week around the session, attendees and "
                        "non-attendees",
                  design="observational", n="learner_sessions", total_row=total,
                  notes=("Each interval treats every learner-session as separate; a learner "
                         "who attended several sessions counts several times, so the "
                         "intervals are somewhat too narrow.",),
                  kind="blended.event_study")


def _fit(y, x, groups) -> sm.regression.linear_model.RegressionResultsWrapper:
    return sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})


def _lift_design(rows: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, int]:
    """Fully interacted design: strata dummies, covariates, attended, attended x centred terms.

    Strata with attendees but no comparable non-attendee cannot be compared: their rows are
    dropped (returned count of attendances).
    """
    stratum = rows["session_id"].astype(str) + "|" + rows["course"].astype(str) + "|" + \
        rows["active_before"].astype(str)
    has_control = (~rows["attended"]).groupby(stratum).transform("any")
    dropped = int((rows["attended"] & ~has_control).sum())
    rows, stratum = rows[has_control], stratum[has_control]
    d = rows["attended"].astype(float).rename("attended")
    dummies = pd.get_dummies(stratum, prefix="s", dtype=float)
    cov = rows[covariates].astype(float)
    treated = d.to_numpy() == 1
    centred = pd.concat([dummies, cov], axis=1)
    centred = centred - centred[treated].mean()
    inter = centred.mul(d, axis=0).add_prefix("attended x ")
    inter = inter.loc[:, inter.abs().sum() > 0]
    # the centred stratum dummies of the attended sum to zero: drop one to keep full rank
    first_dummy = [c for c in inter.columns if c.startswith("attended x s_")][:1]
    x = pd.concat([dummies, cov, d, inter.drop(columns=first_dummy)], axis=1)
    return x.assign(_y=rows["active_after"].astype(float).to_numpy(),
                    _learner=rows["learner_id"].to_numpy()), dropped


def attendance_lift(panel: pd.DataFrame, *, alpha: float = 0.05,
                    covariates=("active_days[-1]", "active_weeks_before")) -> Result:
    """Regression-adjusted lift in next-week online activity from attending, and the naive one.

    Parameters
    ----------
    panel : DataFrame
        From :func:`session_panel` (only analysed rows are used).
    alpha : float
        1 - confidence level.
    covariates : sequence of str
        Panel columns adjusted for linearly within strata of session x active in week -1.

    Returns
    -------
    Result (design "observational"), one row per format ("all" first when there are
    several; it is the total of the others): format, estimate (risk difference:
    P(active in week +1) of attendees minus what the comparison predicts for them),
    std_error (clustered by learner), ci_low, ci_high, p_value, attended (attendances
    analysed), attended_learners, comparison (non-attendee learner-sessions),
    comparison_learners, attended_without_comparison (attendances in a stratum with no
    comparable non-attendee, left out), attendee_rate, comparison_rate, naive_difference,
    naive_ci_low, naive_ci_high. ``n`` is attended_learners; its notes say what was
    adjusted for.
    """
    z = sps.norm.ppf(1 - alpha / 2)
    covariates = list(covariates)
    out = []
    for fmt in _formats(panel):
        rows = _analysed(panel, fmt).dropna(subset=["active_after"])
        att, non = rows[rows["attended"]], rows[~rows["attended"]]
        row = {"format": fmt, "attended": len(att),
               "attended_learners": att["learner_id"].nunique(),
               "comparison": len(non), "comparison_learners": non["learner_id"].nunique(),
               "attendee_rate": att["active_after"].mean(),
               "comparison_rate": non["active_after"].mean(),
               "estimate": np.nan, "std_error": np.nan, "p_value": np.nan,
               "attended_without_comparison": 0,
               "naive_difference": np.nan, "naive_se": np.nan}
        if len(att) and len(non):
            x, dropped = _lift_design(rows, covariates)
            groups = pd.factorize(x.pop("_learner"))[0]
            y = x.pop("_y")
            fit = _fit(y, x, groups)
            naive = _fit(rows["active_after"].astype(float),
                         sm.add_constant(rows["attended"].astype(float).rename("attended")),
                         pd.factorize(rows["learner_id"])[0])
            row.update(estimate=fit.params["attended"], std_error=fit.bse["attended"],
                       p_value=fit.pvalues["attended"], attended_without_comparison=dropped,
                       attended=len(att) - dropped,
                       naive_difference=naive.params["attended"], naive_se=naive.bse["attended"])
        out.append(row)
    res = pd.DataFrame(out)
    res["ci_low"] = res["estimate"] - z * res["std_error"]
    res["ci_high"] = res["estimate"] + z * res["std_error"]
    res["naive_ci_low"] = res["naive_difference"] - z * res["naive_se"]
    res["naive_ci_high"] = res["naive_difference"] + z * res["naive_se"]
    table = res[["format", "estimate", "std_error", "ci_low", "ci_high", "p_value", "attended",
                 "attended_learners", "comparison", "comparison_learners",
                 "attended_without_comparison", "attendee_rate", "comparison_rate",
                 "naive_difference", "naive_ci_low", "naive_ci_high"]]
    level = 1 - alpha
    compared = ("attended", "attended_learners", "comparison", "comparison_learners")
    low, high = results.interval("estimate", level=level)
    naive_low, naive_high = results.interval("naive_difference", level=level)
    columns = {
        "format": results.label("Format"),
        "estimate": results.estimate("points", "Difference in the share active online the "
                                     "week after, adjusted", of=compared),
        "std_error": results.estimate("number", "Standard error (clustered by learner)",
                                      of=compared, technical=True),
        "ci_low": low, "ci_high": high,
        "p_value": results.estimate("p", "p-value", of=compared),
        "attended": results.count("Attendances analysed", unit="attendances"),
        "attended_learners": results.count("Learners who attended"),
        "comparison": results.count("Non-attendee learner-sessions compared",
                                    unit="learner-sessions"),
        "comparison_learners": results.count("Non-attendees compared"),
        "attended_without_comparison": results.count(
            "Attendances with no comparable non-attendee (left out)", unit="attendances"),
        # shares whose numerators are not in the table: estimates of their denominators
        "attendee_rate": results.estimate(
            "number", "Share of attendances followed by online activity the week after (0-1)",
            of=("attended", "attended_learners")),
        "comparison_rate": results.estimate(
            "number", "Share of non-attendee learner-sessions followed by online activity "
            "the week after (0-1)", of=("comparison", "comparison_learners")),
        "naive_difference": results.estimate("points", "Plain difference, attendees minus "
                                             "non-attendees", of=compared),
        "naive_ci_low": naive_low, "naive_ci_high": naive_high,
    }
    # attendances add up over formats; distinct learners do not (one may attend several)
    total = (TotalRow("format", "all",
                      columns=("attended", "comparison", "attended_without_comparison"))
             if table["format"].eq("all").any() else None)
    return Result(table, columns,
                  title="Next-week online activity: attending a session against not attending",
                  design="observational", n="attended_learners", total_row=total,
                  notes=_lift_notes(covariates), kind="blended.attendance_lift")


def _lift_notes(covariates: list[str]) -> tuple[str, ...]:
    """What attendance_lift adjusted for, in plain words, and its caveat."""
    used = [COVARIATE_LABELS.get(c, c.replace("_", " ")) for c in covariates]
    how = ("Each attendee is compared with non-attendees of the same session who were "
           "equally active online the week before")
    how += f", with the comparison adjusted for {' and '.join(used)}." if used else "."
    return (how, CAVEAT[0].upper() + CAVEAT[1:] + ".",
            "Intervals allow for learners who attended several sessions.")


def _count(value, noun: str) -> str:
    return f"{stats.format_count(value)} {noun}"


def describe_lift(lift: Result, *, format: str = "all") -> str:
    """One paragraph on the attendance lift of one format (default: all sessions pooled).

    Takes :func:`attendance_lift` as computed or after disclosure control: a hidden number
    is not said (the comparison is then said to involve too few learners to show).
    """
    table = results.table_of(lift)
    matches = np.flatnonzero(table["format"].to_numpy() == format)
    i = int(matches[0]) if len(matches) else 0
    r = table.iloc[i]
    what = FORMAT_LABELS.get(r["format"], r["format"])
    if results.hidden(lift, i, ["estimate", "ci_low", "ci_high"]):
        return (f"Too few learners attended {what}, or were there to compare them with, to "
                "show what difference attending made to being active online the following "
                "week.")
    if not np.isfinite(r["estimate"]):
        return f"There are too few attendances of {what} to compare with non-attendees."
    clear = r["ci_low"] > 0 or r["ci_high"] < 0
    verdict = ("more" if r["estimate"] > 0 else "less") if clear else "no clearly different"
    lead = (f"Learners who attended {what} were {verdict} likely to be active online the "
            f"following week than comparable non-attendees" if clear else
            f"Attending {what} made no clear difference to being active online the following week")
    effect = stats.points_phrase(r["estimate"], r["ci_low"], r["ci_high"])
    attended = ("attendances" if results.hidden(lift, i, ["attended"])
                else _count(r["attended"], "attendances"))
    if not results.hidden(lift, i, ["attended_learners"]):
        attended += f" by {_count(r['attended_learners'], 'learners')}"
    compared = ("" if results.hidden(lift, i, ["comparison"]) else
                f", compared with {_count(r['comparison'], 'non-attendee learner-sessions')}")
    text = f"{lead}: {effect}, from {attended}{compared}, {CAVEAT}."
    if not results.hidden(lift, i, ["naive_difference"]) and np.isfinite(r["naive_difference"]):
        text += (" The plain difference between attendees and non-attendees is "
                 f"{stats.points_phrase(r['naive_difference'])}: much of it is who chooses "
                 "to attend, not what attending does.")
    return text


def describe_leads(study: Result, *, format: str = "all", week: int = -1) -> str:
    """A sentence on the pre-session difference (the check on the design) in one week.

    Takes :func:`event_study` as computed or after disclosure control: a hidden share is
    not said, and neither is the gap it would give back.
    """
    table = results.table_of(study)
    rows = np.flatnonzero((table["format"] == format).to_numpy()
                          & (table["relative_week"] == week).to_numpy())
    at = {table["group"].iloc[i]: int(i) for i in rows}
    if not {"attended", "did not attend"} <= set(at):
        return "There are not enough learner-sessions to compare the weeks before the sessions."
    shown = {g: not results.hidden(study, i, ["active_share"]) for g, i in at.items()}
    share = {g: table["active_share"].iloc[i] for g, i in at.items()}
    where = f"In week {week} before the session"
    if not all(shown.values()):
        said = [f"{stats.format_share(share[g])} of {who} were active online"
                for g, who in (("attended", "attendees"), ("did not attend", "non-attendees"))
                if shown[g]]
        if not said:
            return (f"{where}, there are too few learner-sessions to show how active "
                    "attendees and non-attendees were, so the groups cannot be compared "
                    "before the session here.")
        small = "attendees" if not shown["attended"] else "non-attendees"
        return (f"{where}, {said[0]}; there are too few learner-sessions of {small} to show "
                "theirs, so the groups cannot be compared before the session here.")
    gap = share["attended"] - share["did not attend"]
    return (f"{where}, {stats.format_share(share['attended'])} of attendees "
            f"and {stats.format_share(share['did not attend'])} of non-attendees were active "
            f"online (a gap of {stats.points_phrase(gap)} before anyone attended): "
            + ("attendees were already more engaged, so a plain before/after or "
               "attendee/non-attendee comparison overstates what attending does."
               if gap > 0.02 else
               "the groups looked alike before the session." if abs(gap) <= 0.02 else
               "attendees were less active before attending."))
