"""Seaborn helpers in one house style. Each takes a tidy result table and returns the Axes."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

PALETTE = "colorblind"


def house_style() -> None:
    """Apply the house style (call once at the top of a notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({"figure.figsize": (8, 4), "figure.dpi": 96,
                         "axes.titleweight": "bold", "axes.titlesize": 12})


def _axes(ax):
    return ax if ax is not None else plt.subplots()[1]


def weekly_line(table: pd.DataFrame, *, y: str = "active_learners", hue: str | None = None,
                title: str = "", ylabel: str = "Active learners", ax=None):
    """Line per group of a weekly table (``week_start`` on x)."""
    ax = _axes(ax)
    sns.lineplot(data=table, x="week_start", y=y, hue=hue, marker="o", ax=ax)
    ax.set(title=title, xlabel="Week starting", ylabel=ylabel)
    ax.tick_params(axis="x", rotation=30)
    if hue:
        ax.legend(title=hue.replace("_", " "), bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def share_by_week_since_start(table: pd.DataFrame, *, title: str = "", ax=None):
    """Share of starters active k weeks after their first week (activity_after_start)."""
    ax = _axes(ax)
    sns.lineplot(data=table, x="weeks_since_start", y="share", marker="o", ax=ax)
    ax.set(title=title, xlabel="Weeks since the learner's first online week",
           ylabel="Share of learners active", ylim=(0, 1.02))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    return ax


def bars(table: pd.DataFrame, *, x: str, y: str, hue: str | None = None, title: str = "",
         xlabel: str | None = None, ylabel: str | None = None, ax=None):
    """Horizontal bars of `x` per category `y` (sorted as given)."""
    ax = _axes(ax)
    sns.barplot(data=table, x=x, y=y, hue=hue, orient="h", ax=ax)
    ax.set(title=title, xlabel=xlabel or x.replace("_", " "), ylabel=ylabel or y.replace("_", " "))
    return ax


def heatmap(table: pd.DataFrame, *, index: str, columns: str, values: str, title: str = "",
            fmt: str = ".0f", ax=None):
    """Heat map of a tidy table pivoted to `index` x `columns` (missing cells left blank)."""
    wide = table.pivot(index=index, columns=columns, values=values)
    if pd.api.types.is_datetime64_any_dtype(wide.columns):
        wide.columns = [f"{c:%d %b}" for c in wide.columns]
    ax = _axes(ax)
    sns.heatmap(wide, annot=wide.shape[1] <= 20, fmt=fmt, cmap="Blues", cbar=True,
                linewidths=0.5, ax=ax)
    ax.set(title=title, xlabel=columns.replace("_", " "), ylabel=index.replace("_", " "))
    return ax


# --- retention (beyond the first logins) -------------------------------------------------

import numpy as np  # noqa: E402  (kept with the functions that need it)

_RETENTION_COLUMNS = {"k", "at_risk", "returned", "share", "ci_low", "ci_high", "censored",
                      "no_enrolment_date", "within_days"}


def _percent_axis(ax, axis: str = "y") -> None:
    fmt = plt.FuncFormatter(lambda v, _: f"{v:.0%}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _groups(table: pd.DataFrame, column: str | None):
    if column is None or column not in table.columns:
        return [(None, table)]
    return list(table.groupby(column, sort=True))


def return_after_k_curve(table: pd.DataFrame, *, title: str = "", ax=None):
    """Share returning after the k-th session, with its 95% band, per group (return_after_k).

    The group column, if any, is whatever column the table has besides the standard ones.
    Points with nobody at risk (censored throughout) are not drawn.
    """
    ax = _axes(ax)
    extra = [c for c in table.columns if c not in _RETENTION_COLUMNS]
    hue = extra[0] if extra else None
    colours = sns.color_palette(PALETTE)
    for i, (name, sub) in enumerate(_groups(table, hue)):
        sub = sub[sub["at_risk"] > 0].sort_values("k")
        colour = colours[i % len(colours)]
        ax.plot(sub["k"], sub["share"], marker="o", color=colour,
                label=None if name is None else str(name))
        ax.fill_between(sub["k"], sub["ci_low"], sub["ci_high"], color=colour, alpha=0.2,
                        linewidth=0)
    days = table["within_days"].iloc[0] if "within_days" in table and len(table) else 14
    ax.set(title=title, xlabel="k (0 = enrolment; k = after the k-th session)",
           ylabel=f"Share back within {days:g} days", ylim=(0, 1.02))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    _percent_axis(ax)
    if hue:
        ax.legend(title=hue.replace("_", " "), bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def cohort_heatmap(table: pd.DataFrame, *, title: str = "", ax=None):
    """Retention by enrolment cohort and week since enrolment (cohort_retention).

    Cells nobody in the cohort was observed through are blank, not zero.
    """
    label = next(c for c in table.columns if c.startswith("cohort_") and c != "cohort_size")
    wide = table.pivot(index=label, columns="weeks_since_enrolment", values="share")
    sizes = table.drop_duplicates(label).set_index(label)["cohort_size"]
    fmt = "%d %b %Y" if label == "cohort_week" else "%b %Y"
    # a suppressed cohort size (partner reports) is shown as such, not as a number
    wide.index = [f"{c:{fmt}} (n={int(sizes[c]) if pd.notna(sizes[c]) else 'small'})"
                  for c in wide.index]
    ax = _axes(ax)
    sns.heatmap(wide, annot=wide.shape[1] <= 20 and wide.shape[0] <= 30, fmt=".0%",
                cmap="Blues", vmin=0, vmax=1, cbar=True, linewidths=0.5, ax=ax,
                cbar_kws={"format": plt.FuncFormatter(lambda v, _: f"{v:.0%}")})
    ax.set(title=title, xlabel="Weeks since enrolment",
           ylabel=label.replace("_", " ").replace("cohort", "Enrolment"))
    return ax


def km_curves(km: pd.DataFrame, *, title: str = "", xlabel: str = "Days since first activity",
              ax=None):
    """Kaplan-Meier step curves with 95% bands per group, medians marked (kaplan_meier)."""
    from engagement.retention import median_survival

    ax = _axes(ax)
    colours = sns.color_palette(PALETTE)
    medians = median_survival(km)
    for i, (name, sub) in enumerate(_groups(km, "group")):
        sub = sub.sort_values("time")
        colour = colours[i % len(colours)]
        label = f"{name} (n={int(sub['at_risk'].iloc[0])})" if name is not None else None
        ax.step(sub["time"], sub["survival"], where="post", color=colour, label=label)
        ax.fill_between(sub["time"], sub["ci_low"], sub["ci_high"], step="post", color=colour,
                        alpha=0.2, linewidth=0)
        med = medians if name is None else medians[medians["group"] == name]
        m = float(med["median"].iloc[0])
        if np.isfinite(m):
            ax.plot([m, m], [0, 0.5], linestyle=":", color=colour)
            ax.plot([m], [0.5], marker="o", color=colour)
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    ax.set(title=title, xlabel=xlabel, ylabel="Share not yet disengaged", ylim=(0, 1.02))
    _percent_axis(ax)
    if "group" in km.columns:
        ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def lifecycle_bars(table: pd.DataFrame, *, title: str = "", ax=None):
    """Weekly new, returning and resurrecting learners stacked up, dormant below zero (lifecycle)."""
    ax = _axes(ax)
    colours = dict(zip(["returning", "new", "resurrecting", "dormant"],
                       sns.color_palette(PALETTE, 4)))
    # suppressed counts (partner reports) are drawn as empty, not as numbers
    table = table.fillna({c: 0 for c in ("returning", "new", "resurrecting", "dormant")})
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for col in ("returning", "new", "resurrecting"):
        values = table[col].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, color=colours[col], label=col)
        bottom += values
    ax.bar(x, -table["dormant"].to_numpy(dtype=float), color=colours["dormant"], label="dormant")
    ax.axhline(0, color="black", linewidth=0.8)
    # explicit limits: bars' sticky edges would otherwise clip the tallest one
    top, low = max(bottom.max(initial=0), 1), table["dormant"].max() if len(table) else 0
    ax.set_ylim(-low * 1.08 if low else -0.5, top * 1.08)
    step = max(1, len(table) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([f"{w:%d %b}" for w in table["week_start"].iloc[::step]], rotation=30)
    ax.set(title=title, xlabel="Week starting", ylabel="Learners (dormant below zero)")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def stickiness_plot(ratio: pd.DataFrame, *, title: str = "", ax=None):
    """Daily active over trailing-window active learners, over time (stickiness_ratio)."""
    ax = _axes(ax)
    hue = "course" if "course" in ratio.columns else None
    sns.lineplot(data=ratio, x="day", y="ratio", hue=hue, ax=ax)
    ax.set(title=title, xlabel="Day", ylabel="Active today / active in window", ylim=(0, None))
    _percent_axis(ax)
    ax.tick_params(axis="x", rotation=30)
    if hue:
        ax.legend(title="course", bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def rate_intervals(rates: pd.DataFrame, *, group: str = "channel", title: str = "", ax=None):
    """Pooled rate per group with two intervals: post-level (wide) and naive pooled (narrow).

    Takes :func:`engagement.channels.channel_rates`; the naive interval treats every
    impression as an independent trial and is drawn only to show how much too narrow it is.
    """
    ax = _axes(ax)
    y = np.arange(len(rates))
    ax.hlines(y, rates["ci_low"], rates["ci_high"], linewidth=6, alpha=0.45,
              label="95% interval, posts resampled")
    ax.hlines(y, rates["naive_ci_low"], rates["naive_ci_high"], linewidth=2, color="black",
              label="naive interval (impressions as trials)")
    ax.plot(rates["rate"], y, "o", color="black")
    ax.set_yticks(y)
    ax.set_yticklabels(rates[group])
    ax.set(title=title, xlabel="Engagement rate (engagements / impressions)", ylabel="")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.1%}"))  # rates of a few %
    ax.legend(loc="best", fontsize="small")
    return ax


_FORMAT_TITLES = {"all": "All sessions", "webinar": "Webinars", "tutorial": "Tutorials",
                  "face_to_face": "Face to face"}


def event_study_lines(study: pd.DataFrame, *, title: str = ""):
    """Share active online by week around the session, attendees vs non-attendees, per format.

    Takes :func:`engagement.blended.event_study`; one panel per format, 95% bands, a line at
    the session's week. Returns the Figure.
    """
    formats = list(dict.fromkeys(study["format"]))
    fig, axes = plt.subplots(1, len(formats), figsize=(3.6 * len(formats) + 1, 3.8),
                             sharey=True, squeeze=False)
    colours = dict(zip(["attended", "did not attend"], sns.color_palette(PALETTE, 2)))
    for ax, fmt in zip(axes[0], formats):
        for group, sub in study[study["format"] == fmt].groupby("group"):
            sub = sub.sort_values("relative_week")
            ax.plot(sub["relative_week"], sub["active_share"], marker="o", color=colours[group],
                    label=group)
            ax.fill_between(sub["relative_week"], sub["ci_low"], sub["ci_high"],
                            color=colours[group], alpha=0.2, linewidth=0)
        ax.axvline(0, color="grey", linestyle="--", linewidth=0.8)
        ax.set(title=_FORMAT_TITLES.get(fmt, fmt), xlabel="Weeks from the session's week",
               ylim=(0, 1.02))
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        _percent_axis(ax)
    axes[0][0].set_ylabel("Share active online")
    axes[0][-1].legend(bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def lift_intervals(lift: pd.DataFrame, *, title: str = "", ax=None):
    """The adjusted attendance lift with its 95% interval per format, the naive difference beside it.

    Takes :func:`engagement.blended.attendance_lift`.
    """
    ax = _axes(ax)
    y = np.arange(len(lift))
    ax.hlines(y, lift["ci_low"], lift["ci_high"], linewidth=6, alpha=0.5,
              label="adjusted for earlier activity (95% CI)")
    ax.plot(lift["estimate"], y, "o", color="black")
    ax.hlines(y + 0.25, lift["naive_ci_low"], lift["naive_ci_high"], linewidth=2, color="grey",
              label="plain attendee vs non-attendee difference")
    ax.plot(lift["naive_difference"], y + 0.25, "|", color="grey", markersize=12)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([_FORMAT_TITLES.get(f, f) for f in lift["format"]])
    ax.invert_yaxis()
    ax.set(title=title, xlabel="Difference in the share active online the week after (points)",
           ylabel="")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:+.0f}"))
    ax.legend(loc="best", fontsize="small")
    return ax


def network_growth(weekly: pd.DataFrame, *, title: str = ""):
    """Learners, ties and reciprocity of each course's network week by week (weekly_networks)."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, (col, label) in zip(axes, [("learners", "Learners in the network"),
                                       ("ties", "Reply ties"), ("reciprocity", "Ties returned")]):
        sns.lineplot(data=weekly, x="week_start", y=col, hue="course", marker="o", ax=ax,
                     legend=ax is axes[-1])
        ax.set(xlabel="Week starting", ylabel=label)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.tick_params(axis="x", rotation=30)
    _percent_axis(axes[2])
    axes[2].set_ylim(0, 1.02)
    if axes[-1].get_legend():
        axes[-1].legend(title="course", bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def ei_against_null(ei: pd.DataFrame, *, title: str = "", ax=None):
    """Observed E-I index per course against the 95% range of shuffled workplaces (ei_index)."""
    ax = _axes(ax)
    y = np.arange(len(ei))
    ax.hlines(y, ei["null_ei_low"], ei["null_ei_high"], linewidth=8, alpha=0.35, color="grey",
              label="95% range if workplaces were shuffled")
    ax.plot(ei["ei"], y, "D", color="black", label="observed")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(ei["course"])
    ax.set(title=title, xlim=(-1.05, 1.05), ylabel="",
           xlabel="E-I index (-1 all ties within a workplace, +1 all across)")
    ax.legend(loc="best", fontsize="small")
    return ax


def organisation_growth_lines(growth: pd.DataFrame, *, group: str = "organisation",
                              title: str = "", ax=None):
    """Cumulative active learners per organisation by week since its first active learner."""
    ax = _axes(ax)
    sns.lineplot(data=growth, x="week", y="active", hue=group, marker="o", ax=ax)
    ax.set(title=title, xlabel="Weeks since the organisation's first active learner",
           ylabel="Learners active so far")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(title=group, bbox_to_anchor=(1.01, 1), loc="upper left", fontsize="small")
    return ax


def network_drawing(graph, communities: pd.DataFrame | None = None, *, title: str = "",
                    seed: int = 0, ax=None):
    """The reply network, nodes coloured by community (researcher reports only: one node per person)."""
    import networkx as nx

    ax = _axes(ax)
    label = {} if communities is None else dict(zip(communities["learner_id"],
                                                    communities["community"]))
    groups = sorted({str(v) for v in label.values()})
    colours = dict(zip(groups, sns.color_palette("tab20", max(len(groups), 1))))
    pos = nx.spring_layout(graph, seed=seed)
    nx.draw_networkx_edges(graph, pos, ax=ax, alpha=0.15, arrows=False, width=0.5)
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=18,
                           node_color=[colours.get(str(label.get(n)), (0.6, 0.6, 0.6))
                                       for n in graph.nodes])
    ax.set(title=title)
    ax.axis("off")
    return ax


def ratio_forest(results: pd.DataFrame, *, ratio: str = "odds_ratio", title: str = "",
                 xlabel: str = "Odds ratio (log scale)", ax=None):
    """Ratios with 95% intervals on a log axis, one row per term (logistic_drivers, Cox)."""
    ax = _axes(ax)
    rows = results[results["term"] != "Intercept"].reset_index(drop=True)
    y = np.arange(len(rows))
    clear = (rows["ci_low"] > 1) | (rows["ci_high"] < 1)
    colours = [sns.color_palette(PALETTE)[0] if c else "grey" for c in clear]
    ax.hlines(y, rows["ci_low"], rows["ci_high"], colors=colours, linewidth=3)
    ax.scatter(rows[ratio], y, color=colours, zorder=3)
    ax.axvline(1, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(rows["term"].str.replace("_", " "))
    ax.invert_yaxis()
    ax.set(title=title, xlabel=xlabel, ylabel="")
    return ax


def rank_intervals(effects: pd.DataFrame, *, title: str = "", ax=None):
    """Each feature's rank by size of effect, with its bootstrap interval (standardised_effects)."""
    ax = _axes(ax)
    rows = effects.sort_values("rank").reset_index(drop=True)
    y = np.arange(len(rows))
    ax.hlines(y, rows["rank_low"], rows["rank_high"], linewidth=6, alpha=0.45)
    ax.plot(rows["rank"], y, "o", color="black")
    ax.set_yticks(y)
    ax.set_yticklabels(rows["term"].str.replace("_", " "))
    ax.invert_yaxis()
    ax.set(title=title, xlabel="Rank by size of effect (1 = strongest; 95% bootstrap interval)",
           ylabel="")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    return ax


def share_intervals(table: pd.DataFrame, *, label: str, title: str = "",
                    xlabel: str = "Share", ax=None):
    """Shares with their 95% intervals, one row per `label` (e.g. channel_mix)."""
    ax = _axes(ax)
    rows = table.reset_index(drop=True)
    y = np.arange(len(rows))
    ax.hlines(y, rows["ci_low"], rows["ci_high"], linewidth=6, alpha=0.45)
    ax.plot(rows["share"], y, "o", color="black")
    ax.set_yticks(y)
    ax.set_yticklabels(rows[label])
    ax.invert_yaxis()
    ax.set(title=title, xlabel=xlabel, ylabel="", xlim=(0, 1))
    _percent_axis(ax, "x")
    return ax
