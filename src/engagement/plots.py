"""Seaborn helpers in one house style. Each takes a tidy result table and returns the Axes."""

from __future__ import annotations

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
