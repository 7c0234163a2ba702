"""The headlines: one finding per question of the project, fixed in advance, as data.

:func:`headlines` computes them for a dataset (and, for an organisation's own page, that
organisation against all the others); the findings notebook shows them, the summary and the
recommendations table are worded from them, and the tests read them. Each
:class:`Headline` holds the Result it is read from and says which row and column is the
number, its unit and what "no difference" is, so that its verdict, its sentence ("between
71% and 77%"), how sure it is and what to try next are all worded from the same numbers:
after disclosure control (:meth:`Headline.map_results`), a hidden number is hidden in every
one of them.

An organisation's page adds, in each section where its data allow, its own estimate against
all other organisations together (:func:`organisation_comparisons`): the share who came back
after a first session, took part in a live session, were answered by a peer in their first
week, and were still active weeks later. Those verdicts are one family, corrected within the
page by Holm's procedure, with each interval drawn at the level that agrees with its verdict
(:func:`engagement.stats.holm_levels`); they are not added to the community's headlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from engagement import activity, blended, channels, community, drivers, results, retention, stats
from engagement.results import Result
from engagement.schema import REST_LABEL, own_versus_rest

QUESTIONS = {
    "retention": "What keeps learners active beyond their first few logins?",
    "channels": "Which outreach channel brings learners who engage?",
    "blended": "Do tutorials, webinars and face-to-face sessions lift online engagement?",
    "community": "How do learners build community?",
    "drivers": "What goes with staying engaged?",
}
"""The project's questions, in the order of the findings page."""

PRIMARY_DRIVER = "replies_received"
"""The early behaviour the drivers headline is about, fixed in advance."""

VERDICTS = ("clearly higher", "clearly lower", "no clear difference", "too few learners to say",
            "not measured")


@dataclass(frozen=True)
class Headline:
    """One question's finding: where its number is, and how to word it.

    Attributes
    ----------
    question : str
        A key of :data:`QUESTIONS`.
    result : Result or None
        The table the number is read from (None: this dataset cannot answer, see `missing`).
    row : int
        The position of the headline row in ``result.table``.
    estimate, low, high : str
        Its columns: the number and its interval.
    unit : {"share", "points", "ratio"}
        How the number is said.
    null : float or None
        The value meaning "no difference" (0 for points, 1 for ratios); None for a level
        (a share that is not a comparison).
    measure : str
        What the number is, in plain words, completing "… was <number>".
    meaning : str
        What it means for the reader, said after the number (worded for either verdict).
    then_higher, then_lower, then_unclear : str
        What to try next, by verdict.
    missing : str
        Why the dataset cannot answer (when `result` is None).
    """

    question: str
    result: Result | None
    row: int = 0
    estimate: str = ""
    low: str = ""
    high: str = ""
    unit: str = "share"
    null: float | None = None
    measure: str = ""
    meaning: str = ""
    then_higher: str = ""
    then_lower: str = ""
    then_unclear: str = ""
    missing: str = ""
    details: tuple[str, ...] = field(default_factory=tuple)

    @property
    def heading(self) -> str:
        return QUESTIONS[self.question]

    def map_results(self, fn) -> Headline:
        """The same headline with its Result passed through `fn` (display's control)."""
        return self if self.result is None else replace(self, result=fn(self.result))

    def value(self, column: str):
        """A cell of the headline row, or None when it is missing or hidden. A share given
        without interval columns gets its Wilson 95% interval from its counts."""
        if self.result is None:
            return None
        if column in ("wilson low", "wilson high"):
            col = self.result.columns[self.estimate]
            x, n = self.value(col.of), self.value(col.over)
            if x is None or n is None or n <= 0:
                return None
            low, high = stats.wilson_interval([x], [n])
            return float((low if column == "wilson low" else high)[0])
        if not column or column not in self.result.columns:
            return None
        if results.hidden(self.result, self.row, [column]):
            return None
        value = self.result.table[column].iloc[self.row]
        return value if stats.finite(value) else None

    @property
    def shown(self) -> bool:
        """Whether the number and its interval can be said (none hidden or missing)."""
        ends = (self.value(self.low), self.value(self.high)) if self.low else ()
        return None not in (self.value(self.estimate), *ends)


def verdict(head: Headline) -> str:
    """One of :data:`VERDICTS`, read from the interval: a difference is clear when its
    interval excludes the null. A level (no null) is "not measured" as a comparison."""
    if head.result is None:
        return "not measured"
    if not head.shown:
        return "too few learners to say"
    if head.null is None:
        return "not measured"
    low, high = head.value(head.low), head.value(head.high)
    if low > head.null:
        return "clearly higher"
    if high < head.null:
        return "clearly lower"
    return "no clear difference"


def how_sure(head: Headline) -> str:
    """How sure the finding is, in words, from its interval."""
    said = verdict(head)
    if said in ("clearly higher", "clearly lower"):
        return "Sure of the direction: the whole 95% range is on one side of no difference."
    if said == "no clear difference":
        return "Not sure: the range includes no difference at all."
    if said == "too few learners to say":
        return "Too few learners to say."
    if head.result is None:
        return "Not measured in these data."
    low, high = head.value(head.low), head.value(head.high)
    return ("Fairly precise: the range is narrow." if high - low <= 0.15
            else "Rough: the range is wide.")


def _range_words(head: Headline) -> str:
    """``67% (between 60% and 73%)``; ``+10.3 percentage points (between +2.9 and +17.8)``."""
    value, low, high = head.value(head.estimate), head.value(head.low), head.value(head.high)
    if not head.low:   # a count of the data, not an estimate: no range
        return stats.format_value(value, head.unit)
    decimals = stats.interval_decimals(head.unit, low, high, value)
    if head.unit == "points":
        return (f"{stats.format_points(value, decimals)} percentage points (between "
                f"{stats.format_points(low, decimals)} and "
                f"{stats.format_points(high, decimals)})")
    say = lambda v: stats.format_value(v, head.unit, decimals)  # noqa: E731
    return f"{say(value)} (between {say(low)} and {say(high)})"


def summary_sentence(head: Headline) -> str:
    """One sentence: the number, its range in words, what it means."""
    if head.result is None:
        return f"{head.heading} {head.missing}"
    if not head.shown:
        return (f"{head.measure[0].upper()}{head.measure[1:]}: too few learners to show "
                "the number.")
    said = verdict(head)
    tail = f": {said}" if said in VERDICTS[:3] else ""
    return (f"{head.measure[0].upper()}{head.measure[1:]} was {_range_words(head)}{tail}. "
            f"{head.meaning}")


def try_next(head: Headline) -> str:
    """What to try next, worded from the verdict."""
    said = verdict(head)
    if said == "clearly higher":
        return head.then_higher
    if said == "clearly lower":
        return head.then_lower or head.then_higher
    return head.then_unclear or head.then_higher


def recommendations(heads: list[Headline]) -> Result:
    """One row per question: what we found, how sure we are, what to try next.

    Worded from each headline (so from the Result the reader may see).
    """
    table = pd.DataFrame({
        "question": [h.heading for h in heads],
        "found": [summary_sentence(h) for h in heads],
        "how_sure": [how_sure(h) for h in heads],
        "next": [try_next(h) for h in heads]})
    return Result(table, {"question": results.label("Question"),
                          "found": results.text("What we found"),
                          "how_sure": results.text("How sure we are"),
                          "next": results.text("What to try next")},
                  title="What we found, how sure we are, and what to try next",
                  kind="findings.recommendations")


# --- the community's headlines --------------------------------------------------------------

def _retention(returns: Result, within_days: int) -> Headline:
    table = returns.table
    rows = np.flatnonzero((table["k"] == 1).to_numpy()) if len(table) else []
    if not len(rows) or table["at_risk"].iloc[rows[0]] == 0:
        return Headline("retention", None, missing="No learner was followed long enough after "
                        "a first session to say.")
    return Headline(
        "retention", returns, row=int(rows[0]), estimate="share", low="ci_low", high="ci_high",
        unit="share",
        measure=f"the share of learners who came back for a second session within "
                f"{within_days} days of their first",
        meaning="The rest stopped after one try: the first weeks are where learners are lost.",
        then_unclear=f"Contact every learner who has not come back within {within_days} days "
                     "of a first session, and see whether more return.",
        details=("01_overview", "02_beyond_first_logins"))


def _channels(paired: Result | None) -> Headline:
    if paired is None or not len(paired.table):
        return Headline("channels", None, missing="This dataset has no split test of the same "
                        "message on several channels.")
    table = paired.table
    best = int(np.argmax(np.abs(table["mean_difference"].to_numpy()
                                / (table["ci_high"] - table["ci_low"]).to_numpy())))
    row = table.iloc[best]
    channel, reference = _channel(row["channel"]), _channel(row["reference"])
    return Headline(
        "channels", paired, row=best, estimate="mean_difference", low="ci_low", high="ci_high",
        unit="points", null=0.0,
        measure=f"the engagement rate of the same message on {channel}, minus {reference}",
        meaning=f"Positive means {channel} engaged more people per impression than "
                f"{reference}; the channels were assigned to messages by design.",
        then_higher=f"Put more of the next campaign's budget on {channel}.",
        then_lower=f"Put less of the next campaign's budget on {channel} than on {reference}.",
        then_unclear=f"Keep {channel} and {reference} level, and run the next split test with "
                     "more messages before moving budget.",
        details=("03_channels",))


def _channel(name) -> str:
    return {"linkedin": "LinkedIn", "facebook": "Facebook", "x": "X", "email": "e-mail"}.get(
        str(name), str(name))


def _blended(lift: Result | None) -> Headline:
    if lift is None:
        return Headline("blended", None, missing="This dataset has no attendance records.")
    rows = np.flatnonzero((lift.table["format"] == "all").to_numpy())
    row = int(rows[0]) if len(rows) else 0
    return Headline(
        "blended", lift, row=row, estimate="estimate", low="ci_low", high="ci_high",
        unit="points", null=0.0,
        measure="the difference attending a session made to the chance of being active online "
                "the week after, against similar non-attendees",
        meaning="Attendance was chosen, not assigned, so part of this may be who chooses to "
                "come.",
        then_higher="Offer more live sessions, and check the effect by inviting a random half "
                    "of a cohort first.",
        then_lower="Look at what the sessions replace: attendees were less active online "
                   "afterwards.",
        then_unclear="Invite a random half of a cohort to the next sessions and compare, to "
                     "know what sessions do.",
        details=("04_blended_learning",))


def _community(hazard: Result | None) -> Headline:
    if hazard is None:
        return Headline("community", None, missing="Too few first-week posters to compare.")
    rows = np.flatnonzero((hazard.table["term"] == "received_peer_reply").to_numpy())
    return Headline(
        "community", hazard, row=int(rows[0]) if len(rows) else 0, estimate="hazard_ratio",
        low="ci_low", high="ci_high", unit="ratio", null=1.0,
        measure="the hazard of disengaging, for learners a peer answered in their first week "
                "against those nobody answered (a ratio: below 1 means they stayed longer)",
        meaning="An association: learners who are answered may differ in other ways.",
        then_higher="Look at what answered learners meet: being answered went with leaving "
                    "sooner.",
        then_lower="Make sure every first post gets a peer's answer within the week (a rota of "
                   "volunteers), starting with a random half of a cohort to check.",
        then_unclear="Try a rota of volunteers who answer every first post within the week, "
                     "with a random half of a cohort first.",
        details=("05_community",))


def _drivers(model: Result | None) -> Headline:
    if model is None or not len(model.table):
        return Headline("drivers", None, missing="Too few learners followed long enough to "
                        "model what goes with staying engaged.")
    table = model.table
    # fixed in advance: being answered by other learners in the first days (the project's
    # peer-support question); a dataset without replies has no such term
    rows = np.flatnonzero((table["term"] == PRIMARY_DRIVER).to_numpy())
    if not len(rows):
        return Headline("drivers", None, missing="This dataset records no replies between "
                        "learners, so the early behaviour fixed in advance cannot be measured.")
    row = int(rows[0])
    name = drivers.term_label(table["term"].iloc[row])
    return Headline(
        "drivers", model, row=row, estimate="odds_ratio", low="ci_low", high="ci_high",
        unit="ratio", null=1.0,
        measure=f"the odds of still being active weeks later, per unit more of {name} in the "
                "first days, with everything else early held level (an odds ratio: above 1 "
                "goes with staying)",
        meaning="An association in the first days, useful as an early warning, not a lever.",
        then_higher=f"Treat little {name} in the first days as an early warning, and test any "
                    "change that targets it with a randomised pilot.",
        then_lower=f"Look at what {name} stands for: more of it went with leaving.",
        then_unclear="No early behaviour stands out: keep the early-warning list short and "
                     "test changes with a randomised pilot.",
        details=("06_drivers",))


def headlines(ds, *, campaign: str | None = None, idle_days: int = 28, within_days: int = 14,
              window_days: int = 7, later_weeks=(4, 8), seed: int = 0) -> list[Headline]:
    """The community's five headlines, one per question (:data:`QUESTIONS`), fixed in advance.

    1. the share who came back for a second session within `within_days` (Wilson interval);
    2. the split-test channel comparison within message with the clearest difference from
       the reference (paired bootstrap interval; randomised);
    3. the adjusted lift of attending any session on next-week online activity;
    4. the hazard ratio of disengaging after week one for learners a peer answered then;
    5. the odds ratio of being active `later_weeks` later for replies received from other
       learners in the first days (:data:`PRIMARY_DRIVER`), every early behaviour in one
       logistic model.

    Parameters
    ----------
    ds : engagement.schema.Dataset
    campaign : str, optional
        The split-test campaign whose posts are compared within message.
    idle_days, within_days, window_days, later_weeks, seed
        As in the notebooks.

    Returns
    -------
    list of Headline, in the order of :data:`QUESTIONS`.
    """
    events, outcomes = ds.events, ds.tables.get("outcomes")
    sessions = activity.sessions(ds.path / "events.parquet")
    returns = retention.return_after_k(sessions, ds.learners, ds.courses, outcomes=outcomes,
                                       k_max=3, within_days=within_days)
    outreach = ds.tables.get("outreach")
    paired = None
    if outreach is not None:
        posts = channels.social_posts(outreach, campaign=campaign or None)
        if len(posts) and posts["message"].notna().any():
            paired = channels.paired_by_message(posts.dropna(subset=["message"]), seed=seed,
                                                randomised=True)
    lift = None
    if events["action"].eq("attend").any():
        lift = blended.attendance_lift(blended.session_panel(events, ds.learners, ds.courses,
                                                             outcomes))
    durations = retention.disengagement(activity.learner_days(events), ds.learners, ds.courses,
                                        outcomes, idle_days=idle_days)
    landmark = community.landmark_table(community.week_one_positions(events), durations)
    hazard = (community.landmark_hazard(landmark)
              if landmark["received_peer_reply"].nunique() == 2 and landmark["event"].sum()
              else None)
    features = drivers.early_features(events, ds.learners, window_days=window_days)
    later = drivers.later_outcomes(features, events, ds.learners, ds.courses, outcomes,
                                   later_weeks=tuple(later_weeks), idle_days=idle_days)
    table = features.merge(later, on=["learner_id", "course"])
    cluster = "organisation" if table["organisation"].notna().any() else "learner_id"
    model = drivers.logistic_drivers(table, outcome="active_later",
                                     features=drivers.default_features(features),
                                     cluster=cluster, seed=seed)
    return [_retention(returns, within_days), _channels(paired), _blended(lift),
            _community(hazard), _drivers(model)]


# --- an organisation against all the others -----------------------------------------------

def _two_groups(flags: pd.DataFrame, own: str, *, what: str, measure: str) -> tuple:
    """Counts, shares and the difference own minus rest for a 0/1 column `flag` per learner."""
    grouped = flags.groupby("comparison")["flag"].agg(["sum", "count"])
    x = [int(grouped["sum"].get(g, 0)) for g in (own, REST_LABEL)]
    n = [int(grouped["count"].get(g, 0)) for g in (own, REST_LABEL)]
    return what, measure, x, n


def organisation_comparisons(ds, own: str, *, idle_days: int = 28, within_days: int = 14,
                             window_days: int = 7, later_weeks=(4, 8), alpha: float = 0.05
                             ) -> Result:
    """The organisation's own learners against all the others, on four measures.

    For each: learners of `own` and of the rest (n), how many of them did it (x), the shares,
    and the difference own minus rest in percentage points with its interval (normal
    approximation, unpooled standard error, the same one the z-test uses, so the interval
    and the test agree). The four comparisons are one family: Holm's procedure across them,
    each interval drawn at the level that agrees with Holm's verdict
    (:func:`engagement.stats.holm_levels`).

    The measures: came back for a second session within `within_days` of the first; took
    part in any live session (webinar, tutorial, face-to-face); among those who posted in
    their first week, were answered by another learner that week; among those followed long
    enough, still active online in weeks `later_weeks`.

    Returns
    -------
    Result, two rows per measure (the organisation, then all others; partition
    ``comparison``): measure, comparison, n, x, share, ci_low, ci_high (Wilson 95% of the
    share), and on the organisation's row the difference, its interval diff_low/diff_high,
    p_value, p_holm and level (of the interval).
    """
    learners = own_versus_rest(ds.learners, own=own)
    events, outcomes = ds.events, ds.tables.get("outcomes")
    keys = ["learner_id", "course"]
    found = []
    sessions = activity.sessions(ds.path / "events.parquet")
    back = retention.return_after_k(sessions, learners, ds.courses, outcomes=outcomes, k_max=1,
                                    within_days=within_days, by="comparison").table
    back = back[back["k"] == 1].set_index("comparison")
    found.append(("retention", f"came back within {within_days} days of a first session",
                  [int(back["returned"].get(g, 0)) for g in (own, REST_LABEL)],
                  [int(back["at_risk"].get(g, 0)) for g in (own, REST_LABEL)]))
    attended = events.loc[events["action"].eq("attend"), keys].drop_duplicates().assign(flag=1)
    if len(attended):
        flags = learners[[*keys, "comparison"]].merge(attended, on=keys, how="left").fillna(
            {"flag": 0})
        found.append(_two_groups(flags, own, what="blended",
                                 measure="took part in a live session"))
    positions = community.week_one_positions(events)
    if len(positions):
        flags = positions.merge(learners[[*keys, "comparison"]], on=keys).assign(
            flag=lambda d: d["received_peer_reply"].astype(int))
        found.append(_two_groups(flags, own, what="community",
                                 measure="posted in their first week and were answered by "
                                         "another learner that week"))
    features = drivers.early_features(events, ds.learners, window_days=window_days)
    later = drivers.later_outcomes(features, events, ds.learners, ds.courses, outcomes,
                                   later_weeks=tuple(later_weeks), idle_days=idle_days)
    followed = later.dropna(subset=["active_later"]).merge(
        learners[[*keys, "comparison"]], on=keys).assign(flag=lambda d: d["active_later"])
    found.append(_two_groups(followed, own, what="drivers",
                             measure=f"were still active online in weeks {later_weeks[0]} to "
                                     f"{later_weeks[1]}"))

    rows = []
    for what, measure, x, n in found:
        share = [xi / ni if ni else np.nan for xi, ni in zip(x, n)]
        low, high = stats.wilson_interval(x, n)
        diff = share[0] - share[1]
        se = np.sqrt(sum(s * (1 - s) / ni for s, ni in zip(share, n) if ni)) if min(n) else np.nan
        p = 2 * scipy_stats.norm.sf(abs(diff) / se) if se and np.isfinite(se) and se > 0 \
            else np.nan
        for i, group in enumerate((own, REST_LABEL)):
            rows.append({"question": what, "measure": measure, "comparison": group,
                         "n": n[i], "x": x[i], "share": share[i], "ci_low": low[i],
                         "ci_high": high[i], "difference": diff if i == 0 else np.nan,
                         "se": se if i == 0 else np.nan, "p_value": p if i == 0 else np.nan})
    table = pd.DataFrame(rows)
    p_own = table["p_value"].to_numpy()
    adjusted, _ = stats.holm(p_own, alpha=alpha)
    levels = stats.holm_levels(p_own, alpha=alpha)
    z = scipy_stats.norm.isf(levels / 2)
    table["p_holm"] = adjusted
    table["level"] = 1 - levels
    table["diff_low"] = table["difference"] - z * table["se"]
    table["diff_high"] = table["difference"] + z * table["se"]
    table = table.drop(columns="se")
    ci_low, ci_high = results.interval("share")
    columns = {
        "question": results.label("Question", technical=True),
        "measure": results.label("Learners who"),
        "comparison": results.organisation("Organisation"),
        "n": results.count("Learners"),
        "x": results.count("Of them, did it", part_of="n"),
        "share": results.share("Share", of="x", over="n"),
        "ci_low": ci_low, "ci_high": ci_high,
        "difference": results.estimate("points", "Difference from all others"),
        "p_value": results.estimate("p", "p-value", technical=True),
        "p_holm": results.estimate("p_adjusted", "p-value, Holm-adjusted"),
        "level": results.Column("number", "Interval level", technical=True),
        "diff_low": results.Column("low", "Interval of the difference, from", of="difference"),
        "diff_high": results.Column("high", "Interval of the difference, to", of="difference"),
    }
    return Result(table[list(columns)], columns,
                  title=f"{own} against all other organisations", n="n",
                  partition="comparison", design="observational",
                  constants={"family": f"The {len(found)} comparisons are one family: Holm's "
                                       "procedure keeps the chance of any false alarm among "
                                       "them at 5%, and each interval is drawn at the level "
                                       "that agrees with its verdict."},
                  kind="findings.organisation_comparisons")


def organisation_verdicts(comparison: Result, own: str) -> dict[str, str]:
    """{question: sentence} for the organisation's page, from
    :func:`organisation_comparisons` (as the reader sees it: a hidden number is not said)."""
    table = comparison.table
    out = {}
    for i in range(len(table)):
        if table["comparison"].iloc[i] == REST_LABEL:
            continue
        what, measure = table["question"].iloc[i], table["measure"].iloc[i]
        rest = next(j for j in range(len(table)) if table["question"].iloc[j] == what
                    and table["comparison"].iloc[j] == REST_LABEL)
        low, high = table["diff_low"].iloc[i], table["diff_high"].iloc[i]
        if results.hidden(comparison, [i, rest], ["share", "x", "n", "difference", "diff_low",
                                                   "diff_high"]) or not (
                stats.finite(low) and stats.finite(high)):
            out[what] = (f"In {own}, too few learners to say how many {measure}, against "
                         "all other organisations.")
            continue
        share, other = table["share"].iloc[i], table["share"].iloc[rest]
        said = ("clearly higher" if low > 0 else "clearly lower" if high < 0
                else "no clear difference")
        diff = table["difference"].iloc[i]
        decimals = stats.interval_decimals("points", low, high, diff)
        out[what] = (f"In {own}, {stats.format_share(share)} {measure}, against "
                     f"{stats.format_share(other)} in all other organisations: {said} "
                     f"({stats.format_points(diff, decimals)} percentage points, between "
                     f"{stats.format_points(low, decimals)} and "
                     f"{stats.format_points(high, decimals)} at "
                     f"{stats.level_text(table['level'].iloc[i])} confidence, corrected for "
                     "the comparisons on this page).")
    return out


def organisation_verdict(comparison: Result, *, own: str, question: str) -> str:
    """The sentence of one question for the organisation's page ("" when not measured)."""
    return organisation_verdicts(comparison, own).get(question, "")


def summary_sentences(heads: list[Headline], *, comparison: Result | None = None,
                      own: str | None = None) -> list[str]:
    """The page's summary: three to five sentences, each with a number, its range in words
    and what it means. The community's page: one per headline. An organisation's page: its
    own verdicts first (as many as were measured, at most four), then the community's first
    headline for context."""
    if comparison is None or own is None:
        return [summary_sentence(h) for h in heads]
    own_sentences = list(organisation_verdicts(comparison, own).values())[:4]
    return [*own_sentences, "Across the whole community: " + summary_sentence(heads[0])][:5]


_OWN_NEXT = {
    "retention": "Fewer of {own}'s learners come back after a first session than elsewhere: "
                 "contact each one who has not returned within two weeks of a first session.",
    "blended": "Fewer of {own}'s learners come to live sessions than elsewhere: invite them "
               "by name to the next webinar or tutorial.",
    "community": "{own}'s learners' first posts are answered less often than elsewhere: ask a "
                 "colleague or a volunteer to answer every first post within the week.",
    "drivers": "Fewer of {own}'s learners are still active weeks later than elsewhere: look "
               "at who stops in the first weeks, and contact them then.",
}


def try_next_sentence(head: Headline, *, comparison: Result | None = None,
                      own: str | None = None) -> str:
    """"**What to try next.** ..." worded from the headline's verdict; on an organisation's
    page, from its own comparison with the others where that is clear."""
    if comparison is not None and own is not None:
        table = comparison.table
        rows = [i for i in range(len(table)) if table["question"].iloc[i] == head.question
                and table["comparison"].iloc[i] == own]
        if rows and not results.hidden(comparison, rows, ["diff_low", "diff_high"]):
            low, high = table["diff_low"].iloc[rows[0]], table["diff_high"].iloc[rows[0]]
            if stats.finite(high) and high < 0 and head.question in _OWN_NEXT:
                return f"**What to try next.** {_OWN_NEXT[head.question].format(own=own)}"
            if stats.finite(low) and low > 0:
                measure = table["measure"].iloc[rows[0]]
                return (f"**What to try next.** More of {own}'s learners {measure} than "
                        "elsewhere: tell the other organisations what you do. "
                        f"{try_next(head)}")
    return f"**What to try next.** {try_next(head)}"


GLOSSARY = {
    "95% interval (or range)": "The range the true number is likely to be in, given how many "
                               "learners there were; a wide range means few learners.",
    "clear difference": "A difference whose whole range lies on one side of no difference.",
    "percentage points": "The difference between two percentages: from 40% to 45% is 5 "
                         "percentage points.",
    "odds ratio, hazard ratio": "How much more (above 1) or less (below 1) likely something "
                                "is in one group than in another; 1 means no difference.",
    "session": "A run of activity on the platform or forum without a break of 30 minutes.",
    "still engaged": "Not yet followed by four weeks without any activity.",
    "association": "Two things that go together; one may not cause the other.",
    "randomised": "Assigned at random, such as the version of an e-mail: a difference can be "
                  "read as an effect.",
    "hidden, <5": "Numbers about fewer than the minimum number of learners are not shown, nor "
                  "numbers from which they could be worked out.",
    "corrected for the comparisons": "When a page makes several comparisons, each is judged "
                                     "more strictly, so that the chance of any false alarm "
                                     "stays at 5%.",
}
"""Plain meanings of the words the findings page uses."""


# --- the summary of each detailed page ---------------------------------------------------------

def _share_of(result: Result, row: int, estimate: str, *, question: str, measure: str,
              meaning: str) -> Headline:
    """A share of a Result row, its interval Wilson's from the counts it is declared over."""
    return Headline(question, result, row=row, estimate=estimate, low="wilson low",
                    high="wilson high", unit="share", measure=measure, meaning=meaning)


def _largest(result: Result, column: str) -> int:
    values = result.table[column].fillna(-1).to_numpy()
    return int(values.argmax()) if len(values) else 0


def overview_headlines(started: Result, after_start: Result) -> list[Headline]:
    """01_overview: who started, in the largest course; who came back the week after."""
    heads = []
    if len(started.table):
        row = _largest(started, "enrolled")
        course = started.table["course"].iloc[row]
        heads.append(_share_of(
            started, row, "share_started", question="retention",
            measure=f"in {course}, the course with most enrolments, the share of enrolments "
                    "that led to any online activity",
            meaning="Those who never start are the first loss, before any session."))
    for weeks, meaning in ((1, "The drop after the first week is where engagement is lost."),
                           (4, "Those still active a month on are the community's core.")):
        week = np.flatnonzero((after_start.table["weeks_since_start"] == weeks).to_numpy())
        if len(week):
            heads.append(_share_of(
                after_start, int(week[0]), "share", question="retention",
                measure=f"the share of learners who started and were active online again "
                        f"{'the week' if weeks == 1 else f'{weeks} weeks'} after their first "
                        "week", meaning=meaning))
    return heads


def retention_headlines(returns: Result, medians: Result, within_days: int) -> list[Headline]:
    """02_beyond_first_logins: coming back after the first and second session; the median
    time to disengagement."""
    heads = [_retention(returns, within_days)]
    second = np.flatnonzero((returns.table["k"] == 2).to_numpy())
    if len(second):
        heads.append(Headline(
            "retention", returns, row=int(second[0]), estimate="share", low="ci_low",
            high="ci_high", measure=f"the share of learners who had a second session and came "
                                    f"back for a third within {within_days} days",
            meaning="Learners who come back twice tend to stay: the second return is easier "
                    "than the first."))
    if len(medians.table):
        heads.append(Headline(
            "retention", medians, row=0, estimate="median", low="ci_low", high="ci_high",
            unit="days", measure="the median number of days from a learner's first activity "
                                 "to disengaging",
            meaning="Half of the learners who started had stopped by then."))
    return heads


def channel_headlines(rates: Result | None, paired: Result | None,
                      arms: Result | None = None) -> list[Headline]:
    """03_channels: the channel with the highest engagement rate; the within-message
    comparison the findings use; the e-mail version with the highest sign-up rate."""
    heads = []
    if arms is not None and len(arms.table):
        row = _largest(arms, "rate")
        heads.append(Headline(
            "channels", arms, row=row, estimate="rate", low="ci_low", high="ci_high",
            unit="share", measure=f"the sign-up rate of e-mail version "
                                  f"{arms.table['arm'].iloc[row]}, the highest",
            meaning="Each person was sent one version at random: the versions' rates can be "
                    "compared as effects."))
    if rates is not None and len(rates.table):
        row = _largest(rates, "rate")
        heads.append(Headline(
            "channels", rates, row=row, estimate="rate", low="ci_low", high="ci_high",
            unit="share", measure=f"the engagement rate (engagements per impression) on "
                                  f"{_channel(rates.table['channel'].iloc[row])}, the highest",
            meaning="Rates compare posts, not people: a higher rate is not yet more learners."))
    if paired is not None:
        heads.append(_channels(paired))
    return heads


def blended_headlines(lift: Result) -> list[Headline]:
    """04_blended_learning: the lift of attending any session, and of each format."""
    heads = [_blended(lift)]
    for fmt in ("webinar", "tutorial", "face_to_face"):
        rows = np.flatnonzero((lift.table["format"] == fmt).to_numpy())
        if len(rows):
            heads.append(Headline(
                "blended", lift, row=int(rows[0]), estimate="estimate", low="ci_low",
                high="ci_high", unit="points", null=0.0,
                measure=f"the same difference for {fmt.replace('_', '-')} sessions alone",
                meaning="Formats with few attendances have wide ranges."))
    return heads[:4]


def community_headlines(summary: Result, hazard: Result | None) -> list[Headline]:
    """05_community: how many learners no one answered, in the largest network; whether a
    first-week answer goes with staying."""
    heads = []
    if len(summary.table):
        row = _largest(summary, "learners")
        course = summary.table["course"].iloc[row]
        heads.append(Headline(
            "community", summary, row=row, estimate="isolated_share", low="", high="",
            unit="share", measure=f"in {course}, the largest network, the share of learners "
                                  "who wrote but were never answered by another learner",
            meaning="Unanswered learners are the ones a peer-answering rota would reach."))
        heads.append(Headline(
            "community", summary, row=row, estimate="largest_component_share", low="",
            high="", unit="share", measure=f"in {course}, the share of learners in the largest "
                                           "group connected by replies",
            meaning="The rest talk in small separate groups or not at all."))
    if hazard is not None:
        heads.append(_community(hazard))
    return heads


def drivers_headlines(model: Result, cv: Result) -> list[Headline]:
    """06_drivers: the clearest early behaviour; how well the first days predict."""
    heads = [_drivers(model)]
    table = model.table
    p = table["p_value"].where(~table["term"].isin([drivers.INTERCEPT, PRIMARY_DRIVER]))
    if p.notna().any() and heads[0].result is not None:
        row = int(p.fillna(np.inf).to_numpy().argmin())
        name = drivers.term_label(table["term"].iloc[row])
        heads.append(replace(heads[0], row=row, measure=f"the same for {name}, the clearest "
                                                         "of the other early behaviours"))
    pooled = np.flatnonzero((cv.table["fold"].astype(str) == "pooled").to_numpy())
    if len(pooled):
        heads.append(Headline(
            "drivers", cv, row=int(pooled[0]), estimate="auc", low="ci_low", high="ci_high",
            unit="number", measure="how well the first days tell apart, for organisations "
                                   "the model had not seen, who stays and who does not (AUC: "
                                   "0.5 is a coin toss, 1 is perfect)",
            meaning="A modest AUC means an early-warning list will miss many and flag some "
                    "who stay."))
    return heads


def quality_sentences(per_source: Result, rules: Result, matching: Result) -> list[str]:
    """00_data_quality's summary: what came in, what the cleaning did, who was matched."""
    from engagement.clean import describe_matching, describe_rules

    table = per_source.table
    sentences = []
    if len(table) and not results.hidden(per_source, None, ["read", "kept"]):
        read, kept = int(table["read"].sum()), int(table["kept"].sum())
        sentences.append(f"{stats.format_count(read)} rows were read from "
                         f"{stats.format_count(len(table))} kinds of export, and "
                         f"{stats.format_count(kept)} ({stats.format_share(kept / read)}) were "
                         "kept: every row dropped is counted below, by rule.")
    sentences.append(describe_rules(rules))
    if len(matching.table):
        sentences.append(describe_matching(matching))
    return sentences[:5]
