"""Charts in one house style, readable on a printed page. Each takes a tidy result table and
returns the Axes (the Figure when it draws several panels).

Every function also accepts two keywords, which :func:`engagement.display.figure` passes:

``own``
    The reader's organisation on an organisation's own page (``None`` otherwise). It is
    drawn in a strong colour and named "<name> (you)" in legends and tick labels, so the
    reader finds their organisation among the anonymised "Organisation A", "B"...
``hidden``
    A DataFrame of booleans shaped like the table, True where disclosure control hid a
    cell (``None`` for researcher pages). Hidden cells are drawn as hidden (hatched grey
    in heat maps, "hidden" beside an interval, a legend entry for a gap in a line), never
    as zero and never as "no data".

Conventions: ratio axes are log scaled with plain-number ticks (0.5, 1, 2) and a line at
1; every colour or marker that means something has a legend entry; more than
:data:`MAX_LINES` groups are drawn as small multiples (or as the reader's organisation
against the others in light grey); no colour repeats within a panel; axis labels are plain
words (:func:`plain`); shares are printed as "40%"; an empty table draws "no data to show"
and a single group says there is nothing to compare.
"""

from __future__ import annotations

import math

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter, NullLocator

PALETTE = "colorblind"
MAX_LINES = 4
"""More groups than this are not drawn as overlapping lines in one panel."""
MAX_COLUMNS = 4
"""Small multiples: at most this many panels side by side."""

OTHERS_GREY = "#c4c4c4"
HIDDEN_FACE = "#d4d4d4"
HIDDEN_EDGE = "#6e6e6e"
HIDDEN_HATCH = "///"
HIDDEN_LABEL = "hidden (fewer than the minimum)"
NO_DATA_LABEL = "no data"
NO_DATA_TEXT = "no data to show"
ALL_HIDDEN_TEXT = "every number here is hidden (fewer than the minimum)"
ONE_GROUP_TEXT = "only one group: nothing to compare"
INTERVAL_LABEL = "shaded: 95% interval"

LABELS = {
    "week_start": "Week starting",
    "week": "Weeks since the organisation's first active learner",
    "weeks_since_start": "Weeks since the learner's first online week",
    "weeks_since_enrolment": "Weeks since enrolling",
    "relative_week": "Weeks from the session's week",
    "day": "Day",
    "time": "Days since first activity",
    "active_learners": "Active learners",
    "active": "Learners active so far",
    "events": "Events",
    "learners": "Learners",
    "rows": "Rows",
    "fate": "Kept or dropped",
    "source": "Source",
    "action": "Action",
    "course": "Course",
    "organisation": "Organisation",
    "acquisition_channel": "Acquisition channel",
    "channel": "Channel",
    "comparison": "Organisation",
    "group": "Group",
    "peer_reply": "Peer reply in week one",
    "from_group": "Replies from (organisation)",
    "to_group": "Replies to (organisation)",
    "ties": "Reply ties",
    "replies": "Replies",
    "cohort_week": "Enrolment week",
    "cohort_month": "Enrolment month",
    "share": "Share",
    "active_share": "Share active online",
    "ratio": "Share of the window's active learners active that day",
    "odds_ratio": "Odds ratio",
    "hazard_ratio": "Hazard ratio",
    "rate_ratio": "Rate ratio",
    "places": "Places",
    "band": "Band",
    "format": "Format",
}


def plain(name) -> str:
    """A column name in plain words for an axis or legend: ``weeks_since_enrolment`` ->
    "Weeks since enrolling"; unknown names lose their underscores and get a capital."""
    if name is None:
        return ""
    name = str(name)
    if name in LABELS:
        return LABELS[name]
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def house_style() -> None:
    """Apply the house style (call once at the top of a notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({"figure.figsize": (8, 4), "figure.dpi": 96,
                         "axes.titleweight": "bold", "axes.titlesize": 12})


# --- shared pieces ------------------------------------------------------------------------

def _axes(ax):
    return ax if ax is not None else plt.subplots()[1]


def _palette(n: int) -> list:
    """`n` colours, none repeated (colour-blind safe up to 10)."""
    n = max(int(n), 1)
    if n <= 10:
        return list(sns.color_palette(PALETTE, n))
    if n <= 20:
        return list(sns.color_palette("tab20", n))
    return list(sns.color_palette("husl", n))


def _strong() -> tuple:
    return _palette(1)[0]


def _is_own(name, own) -> bool:
    return own is not None and name is not None and str(name) == str(own)


def _label(name, own=None, n=None) -> str:
    """A group's legend label: "<name> (you, n=40)" for the reader's own organisation."""
    extra = []
    if _is_own(name, own):
        extra.append("you")
    if n is not None and pd.notna(n):
        extra.append(f"n={int(n)}")
    return f"{name} ({', '.join(extra)})" if extra else str(name)


def _percent(v, _=None, decimals: int = 0) -> str:
    return f"{v:.{decimals}%}"


def _percent_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    fmt = FuncFormatter(lambda v, _: _percent(v, decimals=decimals))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _message(ax, text: str = NO_DATA_TEXT, title: str = ""):
    """An axes that says why there is nothing drawn."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=12,
            color="#444444", wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set(title=title, xlabel="", ylabel="")
    return ax


def _message_figure(text: str = NO_DATA_TEXT, title: str = ""):
    fig, ax = plt.subplots()
    _message(ax, text, title)
    return fig


def _note(ax, text: str) -> None:
    """A short note inside the top of the axes (e.g. only one group to show)."""
    ax.text(0.5, 0.97, text, ha="center", va="top", transform=ax.transAxes, fontsize=10,
            style="italic", color="#333333",
            bbox={"facecolor": "white", "edgecolor": "#bbbbbb", "alpha": 0.9,
                  "boxstyle": "round,pad=0.3"})


def _empty_text(table: pd.DataFrame, hidden, columns) -> str:
    """"no data to show", or that everything was hidden when it was."""
    flags = _flags(table, hidden, *columns)
    return ALL_HIDDEN_TEXT if len(table) and flags.all() else NO_DATA_TEXT


def _flags(table: pd.DataFrame, hidden, *columns) -> np.ndarray:
    """Per row of `table`, whether any of `columns` was hidden."""
    if hidden is None or not len(table):
        return np.zeros(len(table), dtype=bool)
    cols = [c for c in columns if c in getattr(hidden, "columns", ())]
    if not cols:
        return np.zeros(len(table), dtype=bool)
    block = hidden[cols]
    if len(block) == len(table) and block.index.equals(table.index):
        pass
    elif table.index.is_unique and block.index.is_unique:
        block = block.reindex(table.index)
    else:
        block = block.iloc[:len(table)]
    return block.eq(True).any(axis=1).to_numpy()


def _with_flags(table: pd.DataFrame, hidden, *columns) -> pd.DataFrame:
    return table.assign(_hidden=_flags(table, hidden, *columns))


def _hidden_gap_handle() -> Patch:
    return Patch(facecolor="none", edgecolor="none",
                 label=f"a gap in a line: {HIDDEN_LABEL}")


def _band_handle() -> Patch:
    return Patch(facecolor="grey", alpha=0.25, label=INTERVAL_LABEL)


def _legend(ax, handles, title=None, **kw):
    if not handles:
        return None
    kw = {"bbox_to_anchor": (1.01, 1), "loc": "upper left", "fontsize": "small", **kw}
    return ax.legend(handles=handles, title=title, **kw)


def _dates(values) -> pd.Series:
    """Datetimes matplotlib can draw (time zone dropped, in UTC)."""
    s = pd.to_datetime(pd.Series(values))
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s


def _date_axis(ax) -> None:
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.tick_params(axis="x", rotation=30)


def _groups(table: pd.DataFrame, column: str | None, own=None):
    """(name, rows) per group, sorted, the reader's own organisation first."""
    if column is None or column not in table.columns:
        return [(None, table)]
    out = [(name, sub) for name, sub in table.groupby(column, sort=True)]
    return sorted(out, key=lambda g: not _is_own(g[0], own))


# --- ratio axes ---------------------------------------------------------------------------

_TWO = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
_ONE_TWO_FIVE = sorted({m * 10.0 ** e for e in range(-4, 5) for m in (1, 2, 5)})
_DECADES = [10.0 ** e for e in range(-4, 7)]


def _plain_number(v: float, _=None) -> str:
    """0.5 -> "0.5", 2.0 -> "2", 1000 -> "1000": never 10^0 or 1e+03."""
    return np.format_float_positional(float(f"{v:.6g}"), trim="-")


def ratio_ticks(low: float, high: float) -> list[float]:
    """Plain ticks for a log ratio axis spanning `low`..`high`: 0.25, 0.5, 1, 2, 4 when they
    fit, else 0.5, 1, 2, 5 (1-2-5 steps), else powers of ten. Always includes 1."""
    if low >= 0.2 and high <= 10:
        ticks = [t for t in _TWO if low <= t <= high]
        if 1.0 in ticks and len(ticks) >= 3:
            return ticks
    ticks = [t for t in _ONE_TWO_FIVE if low <= t <= high]
    if len(ticks) <= 9:
        return ticks
    return [t for t in _DECADES if low <= t <= high]


def ratio_axis(ax, values, axis: str = "x", reference: bool = True) -> None:
    """Make `axis` of `ax` a log ratio axis covering `values`, ticked with plain numbers
    (at least 0.5 to 2 shown), with a reference line at 1 ("no difference")."""
    v = np.asarray(pd.to_numeric(pd.Series(list(values), dtype=float), errors="coerce"),
                   dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    low = min(v.min() if len(v) else 1.0, 0.5) / 1.15
    high = max(v.max() if len(v) else 1.0, 2.0) * 1.15
    ticks = ratio_ticks(low, high)
    target = ax.xaxis if axis == "x" else ax.yaxis
    if axis == "x":
        ax.set_xscale("log")
        ax.set_xlim(low, high)
    else:
        ax.set_yscale("log")
        ax.set_ylim(low, high)
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(_plain_number))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())
    if reference:
        line = ax.axvline if axis == "x" else ax.axhline
        line(1, color="black", linewidth=0.9, label="1 = no difference")


# --- groups of lines: one panel, own highlighted, or small multiples ---------------------

def _panels(n: int, ax=None, *, size=(3.3, 2.5)):
    """A grid of `n` panels (at most MAX_COLUMNS wide), shared axes; in `ax`'s place when
    given. Returns the figure, the panels in order, the number of columns and whether the
    figure is new."""
    ncols = min(MAX_COLUMNS, n)
    nrows = math.ceil(n / ncols)
    spec = ax.get_subplotspec() if ax is not None else None
    if spec is None:
        fig, grid = plt.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False,
                                 figsize=(size[0] * ncols + 1.0, size[1] * nrows + 1.2))
        new = True
    else:
        fig = ax.figure
        ax.remove()
        grid = spec.subgridspec(nrows, ncols).subplots(sharex=True, sharey=True, squeeze=False)
        new = False
    flat = list(grid.flat)
    for extra in flat[n:]:
        extra.remove()
    panels = flat[:n]
    for i, panel in enumerate(panels):
        if i + ncols >= n:  # nothing below it: show its x tick labels
            panel.xaxis.set_tick_params(labelbottom=True)
    return fig, panels, ncols, new


def _grouped_lines(table: pd.DataFrame, column: str | None, draw, *, own=None, ax=None,
                   title="", xlabel="", ylabel="", style=None, extras=(), one_point_note=None,
                   x: str | None = None, others="the other groups"):
    """Draw one line per group of `table` readably.

    ``draw(ax, rows, colour=, label=, strong=, context=)`` draws one group (its line and,
    unless ``context``, its band). Up to MAX_LINES groups share one panel in distinct
    colours (the reader's own first, in the strong colour). With more, the reader's own
    organisation is drawn against the others in light grey when it is among them;
    otherwise one small panel per group (the others in light grey behind it) is drawn and
    the Figure returned.
    """
    groups = _groups(table, column, own)
    n = len(groups)
    own_in = any(_is_own(name, own) for name, _ in groups)
    extras = list(extras)
    legend_title = plain(column) if column in table.columns else None
    others = "the other organisations" if own_in else others

    def finish(a, xl=True, yl=True):
        if style is not None:
            style(a)
        a.set(xlabel=xlabel if xl else "", ylabel=ylabel if yl else "")

    def note(a):
        if one_point_note and x is not None and table[x].nunique() == 1:
            value = table[x].dropna().iloc[0]
            if pd.api.types.is_datetime64_any_dtype(table[x]):
                value = _dates([value]).iloc[0]
            a.set_xticks([value])  # one tick, not a locator's guesses around a single point
            _note(a, one_point_note)

    if n <= MAX_LINES or (own_in and n > MAX_LINES):
        ax = _axes(ax)
        if n <= MAX_LINES:
            for (name, sub), colour in zip(groups, _palette(n)):
                draw(ax, sub, colour=colour, strong=_is_own(name, own),
                     label=None if name is None else _label(name, own), context=False)
            handles = ax.get_legend_handles_labels()[0]
        else:
            for name, sub in groups[1:]:
                draw(ax, sub, colour=OTHERS_GREY, label=None, strong=False, context=True)
            name, sub = groups[0]
            draw(ax, sub, colour=_strong(), label=_label(name, own), strong=True, context=False)
            handles = ax.get_legend_handles_labels()[0] + [
                Line2D([], [], color=OTHERS_GREY, linewidth=1.2,
                       label=f"{others} ({n - 1}), for comparison")]
        finish(ax)
        ax.set_title(title)
        note(ax)
        handles = [h for h in handles if not str(h.get_label()).startswith("_")] + extras
        if handles:
            _legend(ax, handles, title=legend_title if n > 1 or own_in else None)
        return ax

    fig, panels, ncols, new = _panels(n, ax)
    for i, (panel, (name, sub)) in enumerate(zip(panels, groups)):
        for other, rows in groups:
            if other != name:
                draw(panel, rows, colour=OTHERS_GREY, label=None, strong=False, context=True)
        draw(panel, sub, colour=_strong(), label=None, strong=True, context=False)
        panel.set_title(_label(name, own), fontsize=10)
        finish(panel, xl=i + ncols >= n, yl=i % ncols == 0)
        note(panel)
    handles = [Line2D([], [], color=_strong(), linewidth=2.4,
                      label=f"the {plain(column).lower()} named above the panel"),
               Line2D([], [], color=OTHERS_GREY, linewidth=1.2,
                      label=f"{others}, for comparison"), *extras]
    if title:
        fig.suptitle(title, fontweight="bold")
    if new:
        fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(len(handles), 3), fontsize="small", frameon=False)
    return fig


def _line_drawer(x: str, y: str, *, dates=False, marker="o", low=None, high=None, step=False):
    """A `draw` for :func:`_grouped_lines`: `y` against `x`, a band from `low`..`high`."""

    def draw(ax, rows, *, colour, label, strong, context):
        rows = rows.sort_values(x)
        xs = _dates(rows[x]) if dates else rows[x]
        width = 1.0 if context else (2.6 if strong else 1.8)
        kw = dict(color=colour, linewidth=width, label=label, zorder=1 if context else 3)
        if step:
            ax.step(xs, rows[y], where="post", **kw)
        else:
            ax.plot(xs, rows[y], marker=None if context else marker,
                    markersize=4 if context else 5, **kw)
        if not context and low is not None and high is not None and low in rows and high in rows:
            ax.fill_between(xs, rows[low].astype(float), rows[high].astype(float), color=colour,
                            alpha=0.2, linewidth=0, step="post" if step else None, zorder=2)

    return draw


def _all_missing(table: pd.DataFrame, y: str) -> bool:
    return not len(table) or y not in table or table[y].isna().all()


# --- lines -------------------------------------------------------------------------------

def weekly_line(table: pd.DataFrame, *, y: str = "active_learners", hue: str | None = None,
                title: str = "", ylabel: str | None = None, own: str | None = None,
                hidden: pd.DataFrame | None = None, ax=None):
    """A line per group of a weekly table (``week_start`` on x); more than four groups as
    small multiples (or the reader's organisation against the others in grey)."""
    if _all_missing(table, y):
        return _message(_axes(ax), _empty_text(table, hidden, [y]), title)
    table = _with_flags(table, hidden, y)
    if hue is None and table["week_start"].duplicated().any():
        table = table.groupby("week_start", as_index=False).agg({y: "mean", "_hidden": "any"})
    extras = [_hidden_gap_handle()] if table["_hidden"].any() else []
    return _grouped_lines(table, hue, _line_drawer("week_start", y, dates=True), own=own,
                          ax=ax, title=title, xlabel=plain("week_start"),
                          ylabel=ylabel or plain(y), style=_date_axis, extras=extras,
                          one_point_note="only one week: no change over time to show",
                          x="week_start")


def share_by_week_since_start(table: pd.DataFrame, *, title: str = "", own: str | None = None,
                              hidden: pd.DataFrame | None = None, ax=None):
    """Share of starters active k weeks after their first week (activity_after_start)."""
    if _all_missing(table, "share"):
        return _message(_axes(ax), _empty_text(table, hidden, ["share"]), title)
    table = _with_flags(table, hidden, "share")

    def style(a):
        a.set_ylim(0, 1.02)
        _percent_axis(a)
        a.xaxis.set_major_locator(MaxNLocator(integer=True))

    extras = [_hidden_gap_handle()] if table["_hidden"].any() else []
    return _grouped_lines(table, None, _line_drawer("weeks_since_start", "share"), own=own,
                          ax=ax, title=title, xlabel=plain("weeks_since_start"),
                          ylabel="Share of learners active", style=style, extras=extras,
                          one_point_note="only one week: no change over time to show",
                          x="weeks_since_start")


def stickiness_plot(ratio: pd.DataFrame, *, title: str = "", own: str | None = None,
                    hidden: pd.DataFrame | None = None, ax=None):
    """Daily active over trailing-window active learners, over time (stickiness_ratio)."""
    if _all_missing(ratio, "ratio"):
        return _message(_axes(ax), _empty_text(ratio, hidden, ["ratio"]), title)
    ratio = _with_flags(ratio, hidden, "ratio", "dau", "mau")
    hue = "course" if "course" in ratio.columns else None

    def style(a):
        a.set_ylim(0, None)
        _percent_axis(a)
        _date_axis(a)

    extras = [_hidden_gap_handle()] if ratio["_hidden"].any() else []
    return _grouped_lines(ratio, hue, _line_drawer("day", "ratio", dates=True, marker=None),
                          own=own, ax=ax, title=title, xlabel="Day",
                          ylabel="Active that day, as a share of\nthose active in the window",
                          style=style, extras=extras,
                          one_point_note="only one day: no change over time to show", x="day")


def organisation_growth_lines(growth: pd.DataFrame, *, group: str = "organisation",
                              title: str = "", own: str | None = None,
                              hidden: pd.DataFrame | None = None, ax=None):
    """Cumulative active learners per organisation by week since its first active learner;
    more than four organisations as small multiples, or the reader's own against the
    others in light grey."""
    if _all_missing(growth, "active"):
        return _message(_axes(ax), _empty_text(growth, hidden, ["active"]), title)
    growth = _with_flags(growth, hidden, "active")

    def style(a):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        a.set_ylim(0, None)

    extras = [_hidden_gap_handle()] if growth["_hidden"].any() else []
    return _grouped_lines(growth, group, _line_drawer("week", "active"), own=own, ax=ax,
                          title=title, xlabel=plain("week"), ylabel=plain("active"),
                          style=style, extras=extras, x="week",
                          one_point_note="only one week: no growth to show",
                          others="the other organisations")


# --- heat maps ----------------------------------------------------------------------------

def _floor_cmap(name: str = "Blues", floor: float = 0.12) -> ListedColormap:
    """`name` without its near-white end, so that zero is a visible colour (white is
    kept for cells with no data)."""
    base = plt.get_cmap(name)
    cmap = ListedColormap(base(np.linspace(floor, 1.0, 256)), name=f"{name}_floor")
    return cmap.with_extremes(bad="white")


def _legend_below(ax, handles) -> None:
    """A legend under the axes' tick labels."""
    if not handles:
        return None
    fig = ax.figure
    try:
        renderer = fig.canvas.get_renderer()
        box = ax.get_tightbbox(renderer)
        y = ax.transAxes.inverted().transform((0, box.y0))[1] - 0.02
    except Exception:  # noqa: BLE001 - a backend without a renderer: a safe offset
        y = -0.3
    leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, y),
                    bbox_transform=ax.transAxes, ncol=len(handles), fontsize="small",
                    frameon=False, handlelength=1.6, handleheight=1.2)
    return leg


def _draw_heatmap(ax, wide: pd.DataFrame, hidden_wide: pd.DataFrame | None, *, own=None,
                  fmt=".0f", percent=False, vmin=None, vmax=None, colour_label=""):
    """Cells coloured by value (zero a real colour, annotated 0); hidden cells hatched grey;
    cells with no data white; a legend saying which is which."""
    hidden_wide = (pd.DataFrame(False, index=wide.index, columns=wide.columns)
                   if hidden_wide is None else
                   hidden_wide.reindex(index=wide.index, columns=wide.columns).eq(True))
    wide = wide.astype(float).mask(hidden_wide)
    no_data = wide.isna() & ~hidden_wide
    if not np.isfinite(wide.to_numpy()).any():
        vmin, vmax = (0, 1) if vmin is None else (vmin, vmax)
    labels_y = [_label(i, own) for i in wide.index]
    labels_x = [_label(c, own) for c in wide.columns]
    shown = wide.set_axis(labels_y, axis=0).set_axis(labels_x, axis=1)
    cbar_kws = {"label": colour_label}
    if percent:
        cbar_kws["format"] = FuncFormatter(_percent)
    ax.set_facecolor("white")
    sns.heatmap(shown, annot=wide.shape[1] <= 20 and wide.shape[0] <= 30, fmt=fmt,
                cmap=_floor_cmap(), vmin=vmin, vmax=vmax, cbar=True, linewidths=0.5,
                linecolor="#d9d9d9", ax=ax, cbar_kws=cbar_kws)
    for i, j in zip(*np.nonzero(hidden_wide.to_numpy())):
        ax.add_patch(Rectangle((j, i), 1, 1, facecolor=HIDDEN_FACE, edgecolor=HIDDEN_EDGE,
                               hatch=HIDDEN_HATCH, linewidth=0, zorder=2,
                               gid="hidden-cell"))
    ax.grid(False)
    for tick in ax.get_yticklabels() + ax.get_xticklabels():
        if own is not None and tick.get_text() == _label(own, own):
            tick.set_fontweight("bold")
    handles = []
    if (wide == 0).to_numpy().any():
        handles.append(Patch(facecolor=_floor_cmap()(0.0), edgecolor="#d9d9d9",
                             label=f"{'0%' if percent else '0'}: a real zero"))
    if hidden_wide.to_numpy().any():
        handles.append(Patch(facecolor=HIDDEN_FACE, edgecolor=HIDDEN_EDGE, hatch=HIDDEN_HATCH,
                             label=HIDDEN_LABEL))
    if no_data.to_numpy().any():
        handles.append(Patch(facecolor="white", edgecolor="#9a9a9a", label=NO_DATA_LABEL))
    return handles


def heatmap(table: pd.DataFrame, *, index: str, columns: str, values: str, title: str = "",
            fmt: str = ".0f", own: str | None = None, hidden: pd.DataFrame | None = None,
            ax=None):
    """Heat map of a tidy table pivoted to `index` x `columns`.

    Zero is a real colour (annotated 0), hidden cells are hatched grey and cells without
    data are white, each with its legend entry; the reader's organisation is "(you)".
    """
    ax = _axes(ax)
    if not len(table) or table[values].isna().all() and not _flags(table, hidden, values).any():
        return _message(ax, NO_DATA_TEXT, title)
    flagged = _with_flags(table, hidden, values)
    wide = flagged.pivot(index=index, columns=columns, values=values)
    hidden_wide = flagged.pivot(index=index, columns=columns, values="_hidden")
    if pd.api.types.is_datetime64_any_dtype(wide.columns):
        names = [f"{c:%d %b}" for c in wide.columns]
        wide.columns = names
        hidden_wide.columns = names
    share = "share" in values
    handles = _draw_heatmap(ax, wide, hidden_wide, own=own, fmt=".0%" if share else fmt,
                            percent=share, vmin=0 if share else None,
                            vmax=1 if share else None, colour_label=plain(values))
    ax.set(title=title, xlabel=plain(columns), ylabel=plain(index))
    _legend_below(ax, handles)
    return ax


def cohort_heatmap(table: pd.DataFrame, *, title: str = "", own: str | None = None,
                   hidden: pd.DataFrame | None = None, ax=None):
    """Retention by enrolment cohort and week since enrolment (cohort_retention).

    Cells nobody in the cohort was observed through are white ("no data"), hidden cells
    hatched grey, 0% a real colour.
    """
    ax = _axes(ax)
    label = next((c for c in table.columns if c.startswith("cohort_") and c != "cohort_size"),
                 None)
    if label is None or not len(table):
        return _message(ax, NO_DATA_TEXT, title)
    flagged = _with_flags(table, hidden, "share")
    wide = flagged.pivot(index=label, columns="weeks_since_enrolment", values="share")
    hidden_wide = flagged.pivot(index=label, columns="weeks_since_enrolment", values="_hidden")
    sizes = table.drop_duplicates(label).set_index(label)["cohort_size"]
    fmt = "%d %b %Y" if label == "cohort_week" else "%b %Y"
    # a suppressed cohort size (partner reports) is shown as such, not as a number
    names = [f"{c:{fmt}} (n={int(sizes[c]) if pd.notna(sizes[c]) else 'small'})"
             for c in wide.index]
    wide.index = names
    hidden_wide.index = names
    handles = _draw_heatmap(ax, wide, hidden_wide, fmt=".0%", percent=True, vmin=0, vmax=1,
                            colour_label="Share of the cohort active")
    ax.set(title=title, xlabel=plain("weeks_since_enrolment"), ylabel=plain(label))
    _legend_below(ax, handles)
    return ax


# --- retention ----------------------------------------------------------------------------

_RETENTION_COLUMNS = {"k", "at_risk", "returned", "share", "ci_low", "ci_high", "censored",
                      "no_enrolment_date", "within_days", "_hidden"}


def return_after_k_curve(table: pd.DataFrame, *, title: str = "", own: str | None = None,
                         hidden: pd.DataFrame | None = None, ax=None):
    """Share returning after the k-th session, with its 95% band, per group (return_after_k).

    The group column, if any, is whatever column the table has besides the standard ones.
    Points with nobody at risk (censored throughout) are not drawn; hidden points leave a
    gap. More than four groups: small multiples, or the reader's own against the others.
    """
    if _all_missing(table, "share"):
        return _message(_axes(ax), _empty_text(table, hidden, ["share"]), title)
    table = _with_flags(table, hidden, "share")
    extra = [c for c in table.columns if c not in _RETENTION_COLUMNS]
    hue = extra[0] if extra else None
    # nobody at risk: nothing to draw; hidden (at_risk missing): a gap, not a joined line
    drawable = (table["at_risk"] > 0) | table["at_risk"].isna()
    if _all_missing(table[drawable], "share"):
        return _message(_axes(ax), NO_DATA_TEXT, title)
    base = _line_drawer("k", "share", low="ci_low", high="ci_high")

    def draw(a, rows, **kw):  # a group nobody was at risk in keeps its (empty) legend entry
        base(a, rows[(rows["at_risk"] > 0) | rows["at_risk"].isna()], **kw)
    days = table["within_days"].dropna().iloc[0] if "within_days" in table and \
        table["within_days"].notna().any() else 14

    def style(a):
        a.set_ylim(0, 1.02)
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        _percent_axis(a)

    extras = [_band_handle()] + ([_hidden_gap_handle()] if table["_hidden"].any() else [])
    return _grouped_lines(table, hue, draw, own=own, ax=ax, title=title,
                          xlabel="Sessions so far (0 = from enrolment)",
                          ylabel=f"Share back within {days:g} days", style=style,
                          extras=extras, x="k",
                          one_point_note="only one point: nothing to compare")


def _median_time(rows: pd.DataFrame) -> float:
    """First time the curve is at or below 0.5 (inf when never)."""
    below = rows[rows["survival"] <= 0.5]
    return float(below["time"].min()) if len(below) else float("inf")


def km_curves(km: pd.DataFrame, *, title: str = "", xlabel: str = "Days since first activity",
              own: str | None = None, hidden: pd.DataFrame | None = None, ax=None):
    """Kaplan-Meier step curves with 95% bands per group, medians marked (kaplan_meier).

    Up to four groups share one panel; more are drawn as small multiples, or as the
    reader's own organisation against the others in light grey.
    """
    if _all_missing(km, "survival"):
        return _message(_axes(ax), _empty_text(km, hidden, ["survival"]), title)
    km = _with_flags(km, hidden, "survival")
    column = "group" if "group" in km.columns else None
    base = _line_drawer("time", "survival", low="ci_low", high="ci_high", step=True)

    def draw(ax, rows, *, colour, label, strong, context):
        rows = rows.sort_values("time")
        if label is not None and "at_risk" in rows and len(rows):
            name = rows[column].iloc[0] if column else None
            label = _label(name, own, rows["at_risk"].iloc[0]) if name is not None else label
        base(ax, rows, colour=colour, label=label, strong=strong, context=context)
        m = _median_time(rows)
        if not context and np.isfinite(m):
            ax.plot([m, m], [0, 0.5], linestyle=":", color=colour, linewidth=1.2)
            ax.plot([m], [0.5], marker="o", color=colour, markersize=6, zorder=4)

    def style(a):
        a.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
        a.set_ylim(0, 1.02)
        _percent_axis(a)

    extras = [_band_handle(),
              Line2D([], [], color="grey", marker="o", linestyle=":",
                     label="dot: median (half have disengaged)")]
    if km["_hidden"].any():
        extras.append(_hidden_gap_handle())
    return _grouped_lines(km, column, draw, own=own, ax=ax, title=title, xlabel=xlabel,
                          ylabel="Share still engaged", style=style, extras=extras,
                          x="time", one_point_note="only one time point: nothing to compare")


def lifecycle_bars(table: pd.DataFrame, *, title: str = "", own: str | None = None,
                   hidden: pd.DataFrame | None = None, ax=None):
    """Weekly new, returning and resurrecting learners stacked up, dormant below zero
    (lifecycle). Weeks with a hidden count are shaded and hatched, not drawn as zero."""
    ax = _axes(ax)
    parts = ("returning", "new", "resurrecting", "dormant")
    if not len(table):
        return _message(ax, NO_DATA_TEXT, title)
    names = {"returning": "returning (active the week before too)",
             "new": "new (first active week)",
             "resurrecting": "resurrecting (back after a gap)",
             "dormant": "dormant (active the week before, not this week)"}
    colours = dict(zip(parts, _palette(4)))
    flagged = _flags(table, hidden, *parts) if hidden is not None else \
        table[list(parts)].isna().any(axis=1).to_numpy()
    # hidden counts (partner reports) are not drawn as numbers; their week is marked instead
    values = table.fillna({c: 0 for c in parts})
    x = np.arange(len(values))
    bottom = np.zeros(len(values))
    for col in ("returning", "new", "resurrecting"):
        v = values[col].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, color=colours[col], label=names[col], zorder=2)
        bottom += v
    ax.bar(x, -values["dormant"].to_numpy(dtype=float), color=colours["dormant"],
           label=names["dormant"], zorder=2)
    ax.axhline(0, color="black", linewidth=0.8)
    # explicit limits: bars' sticky edges would otherwise clip the tallest one
    top, low = max(bottom.max(initial=0), 1), values["dormant"].max() if len(values) else 0
    ax.set_ylim(-low * 1.08 if low else -0.5, top * 1.08)
    for i in np.nonzero(flagged)[0]:
        ax.axvspan(i - 0.45, i + 0.45, facecolor=HIDDEN_FACE, edgecolor=HIDDEN_EDGE,
                   hatch=HIDDEN_HATCH, alpha=0.5, linewidth=0, zorder=1,
                   label="_hidden week")
    step = max(1, len(values) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([f"{w:%d %b}" for w in values["week_start"].iloc[::step]], rotation=30)
    ax.set(title=title, xlabel="Week starting", ylabel="Learners (dormant below zero)")
    handles = ax.get_legend_handles_labels()[0]
    if flagged.any():
        handles.append(Patch(facecolor=HIDDEN_FACE, edgecolor=HIDDEN_EDGE, hatch=HIDDEN_HATCH,
                             alpha=0.5, label=f"week with a count {HIDDEN_LABEL}"
                             if hidden is not None else "week with a count missing"))
    _legend(ax, handles)
    if len(values) == 1:
        _note(ax, "only one week: no change over time to show")
    return ax


# --- intervals, one row per group ---------------------------------------------------------

def _rows_axis(ax, labels, n: int) -> None:
    y = np.arange(n)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    # top to bottom in table order, with room above and below the outer rows
    if n == 1:
        ax.set_ylim(1.0, -1.2)  # room above the row for the note
    else:
        ax.set_ylim(n - 0.35, -0.65)


def _unshown(ax, rows: pd.DataFrame, estimate: str, flags: np.ndarray, x: float,
             ha: str = "left") -> None:
    """Say "hidden" or "not estimable" where a row has no estimate to draw."""
    values = pd.to_numeric(rows[estimate], errors="coerce").to_numpy(dtype=float)
    for i, (value, hid) in enumerate(zip(values, flags)):
        if hid or not np.isfinite(value):
            ax.text(x, i, HIDDEN_LABEL if hid else "not estimable", va="center", ha=ha,
                    fontsize=9, style="italic", color="#555555",
                    transform=ax.get_yaxis_transform())


def rate_intervals(rates: pd.DataFrame, *, group: str = "channel", title: str = "",
                   own: str | None = None, hidden: pd.DataFrame | None = None, ax=None):
    """Pooled rate per group with two intervals: post-level (wide) and naive pooled (narrow).

    Takes :func:`engagement.channels.channel_rates`; the naive interval treats every
    impression as an independent trial and is drawn only to show how much too narrow it is.
    """
    ax = _axes(ax)
    rows = rates.reset_index(drop=True)
    if not len(rows):
        return _message(ax, NO_DATA_TEXT, title)
    flags = _flags(rates, hidden, "rate", "ci_low", "ci_high")
    y = np.arange(len(rows))
    ax.hlines(y, rows["ci_low"], rows["ci_high"], linewidth=7, alpha=0.45, color=_strong(),
              label="95% interval, posts resampled")
    ax.hlines(y, rows["naive_ci_low"], rows["naive_ci_high"], linewidth=2, color="black",
              label="naive interval (every impression an independent trial)")
    ax.plot(rows["rate"], y, "o", color="black", label="engagement rate, all posts pooled")
    _rows_axis(ax, [_label(g, own) for g in rows[group]], len(rows))
    ax.set(title=title, xlabel="Engagement rate (engagements per impression)", ylabel="")
    ends = pd.to_numeric(pd.concat([rows[c] for c in ("rate", "ci_high", "naive_ci_high")]),
                         errors="coerce")
    top = float(ends.max()) if ends.notna().any() else 0.0
    ax.set_xlim(0, top * 1.08 if top > 0 else 0.01)
    _percent_axis(ax, "x", decimals=1)  # rates of a few %
    _unshown(ax, rows, "rate", flags, 0.01)
    if len(rows) == 1:
        _note(ax, ONE_GROUP_TEXT)
    _legend(ax, ax.get_legend_handles_labels()[0])
    return ax


_FORMAT_TITLES = {"all": "All sessions", "webinar": "Webinars", "tutorial": "Tutorials",
                  "face_to_face": "Face to face"}


def lift_intervals(lift: pd.DataFrame, *, title: str = "", own: str | None = None,
                   hidden: pd.DataFrame | None = None, ax=None):
    """The adjusted attendance lift with its 95% interval per format, the naive difference
    beside it. Takes :func:`engagement.blended.attendance_lift`."""
    ax = _axes(ax)
    rows = lift.reset_index(drop=True)
    if not len(rows):
        return _message(ax, NO_DATA_TEXT, title)
    flags = _flags(lift, hidden, "estimate", "ci_low", "ci_high")
    y = np.arange(len(rows))
    ax.hlines(y, rows["ci_low"], rows["ci_high"], linewidth=7, alpha=0.5, color=_strong(),
              label="adjusted for earlier activity: 95% interval")
    ax.plot(rows["estimate"], y, "o", color="black", label="adjusted difference")
    if {"naive_ci_low", "naive_ci_high", "naive_difference"} <= set(rows.columns):
        ax.hlines(y + 0.25, rows["naive_ci_low"], rows["naive_ci_high"], linewidth=2,
                  color="grey", label="plain attendee vs non-attendee difference (95% interval)")
        ax.plot(rows["naive_difference"], y + 0.25, "|", color="grey", markersize=12)
    ax.axvline(0, color="black", linewidth=0.8, label="0 = no difference")
    _rows_axis(ax, [_FORMAT_TITLES.get(f, plain(f)) for f in rows["format"]], len(rows))
    ax.set(title=title, ylabel="",
           xlabel="Difference in the share active online the week after (percentage points)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}"))
    _unshown(ax, rows, "estimate", flags, 0.01)
    _legend(ax, ax.get_legend_handles_labels()[0])
    return ax


def ei_against_null(ei: pd.DataFrame, *, title: str = "", own: str | None = None,
                    hidden: pd.DataFrame | None = None, ax=None):
    """Observed E-I index per course against the 95% range of shuffled workplaces (ei_index)."""
    ax = _axes(ax)
    rows = ei.reset_index(drop=True)
    if not len(rows):
        return _message(ax, NO_DATA_TEXT, title)
    flags = _flags(ei, hidden, "ei")
    y = np.arange(len(rows))
    ax.hlines(y, rows["null_ei_low"], rows["null_ei_high"], linewidth=9, alpha=0.35,
              color="grey", label="95% range if workplaces were shuffled")
    ax.plot(rows["ei"], y, "D", color="black", label="observed E-I index")
    ax.axvline(0, color="black", linewidth=0.8, label="0 = as many ties across as within")
    _rows_axis(ax, [str(c) for c in rows["course"]], len(rows))
    ax.set(title=title, xlim=(-1.05, 1.05), ylabel="",
           xlabel="E-I index (-1: all ties within a workplace, +1: all across)")
    _unshown(ax, rows, "ei", flags, 0.01)
    _legend(ax, ax.get_legend_handles_labels()[0])
    return ax


def ratio_forest(results: pd.DataFrame, *, ratio: str = "odds_ratio", title: str = "",
                 xlabel: str | None = None, own: str | None = None,
                 hidden: pd.DataFrame | None = None, ax=None):
    """Ratios with 95% intervals on a log axis, one row per term (logistic_drivers, Cox).

    Ticks are plain numbers (0.5, 1, 2); blue rows have an interval clear of 1, grey rows
    an interval including 1, each named in the legend.
    """
    ax = _axes(ax)
    rows = results[results["term"] != "Intercept"] if "term" in results else results.iloc[:0]
    flags = _flags(rows, hidden, ratio, "ci_low", "ci_high")
    rows = rows.reset_index(drop=True)
    if not len(rows):
        return _message(ax, NO_DATA_TEXT, title)
    y = np.arange(len(rows))
    clear = ((rows["ci_low"] > 1) | (rows["ci_high"] < 1)).to_numpy()
    blue, grey = _strong(), "#8c8c8c"
    colours = [blue if c else grey for c in clear]
    ax.hlines(y, rows["ci_low"], rows["ci_high"], colors=colours, linewidth=3)
    ax.scatter(rows[ratio], y, color=colours, zorder=3)
    ratio_axis(ax, pd.concat([rows[ratio], rows["ci_low"], rows["ci_high"]]))
    _rows_axis(ax, [plain(t) for t in rows["term"]], len(rows))
    ax.set(title=title, xlabel=xlabel or f"{plain(ratio)} (log scale; 1 = no difference)",
           ylabel="")
    _unshown(ax, rows, ratio, flags, 0.01)
    handles = []
    if clear.any():
        handles.append(Line2D([], [], color=blue, marker="o", linewidth=3,
                              label="95% interval clear of 1"))
    if (~clear).any():
        handles.append(Line2D([], [], color=grey, marker="o", linewidth=3,
                              label="95% interval includes 1 (no clear difference)"))
    handles.append(Line2D([], [], color="black", linewidth=0.9, label="1 = no difference"))
    _legend(ax, handles)
    return ax


def rank_intervals(effects: pd.DataFrame, *, title: str = "", own: str | None = None,
                   hidden: pd.DataFrame | None = None, ax=None):
    """Each feature's rank by size of effect, with its bootstrap interval (standardised_effects)."""
    ax = _axes(ax)
    if not len(effects):
        return _message(ax, NO_DATA_TEXT, title)
    rows = effects.sort_values("rank").reset_index(drop=True)
    y = np.arange(len(rows))
    ax.hlines(y, rows["rank_low"], rows["rank_high"], linewidth=7, alpha=0.45,
              color=_strong(), label="95% bootstrap interval of the rank")
    ax.plot(rows["rank"], y, "o", color="black", label="rank")
    _rows_axis(ax, [plain(t) for t in rows["term"]], len(rows))
    ax.set(title=title, xlabel="Rank by size of effect (1 = strongest)", ylabel="")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(rows) == 1:
        ax.set_xlim(0.5, max(1.5, float(rows["rank_high"].max()) + 0.5))
        ax.set_xticks(range(1, int(ax.get_xlim()[1]) + 1))
        _note(ax, "only one feature: nothing to rank")
    _legend(ax, ax.get_legend_handles_labels()[0])
    return ax


def share_intervals(table: pd.DataFrame, *, label: str, title: str = "",
                    xlabel: str = "Share", own: str | None = None,
                    hidden: pd.DataFrame | None = None, ax=None):
    """Shares with their 95% intervals, one row per `label` (e.g. channel_mix)."""
    ax = _axes(ax)
    flags = _flags(table, hidden, "share", "ci_low", "ci_high")
    rows = table.reset_index(drop=True)
    if not len(rows):
        return _message(ax, NO_DATA_TEXT, title)
    y = np.arange(len(rows))
    ax.hlines(y, rows["ci_low"], rows["ci_high"], linewidth=7, alpha=0.45, color=_strong(),
              label="95% interval")
    ax.plot(rows["share"], y, "o", color="black", label="share")
    _rows_axis(ax, [_label(v, own) for v in rows[label]], len(rows))
    ax.set(title=title, xlabel=xlabel, ylabel="", xlim=(0, 1))
    _percent_axis(ax, "x")
    _unshown(ax, rows, "share", flags, 0.01)
    if len(rows) == 1:
        _note(ax, ONE_GROUP_TEXT)
    _legend(ax, ax.get_legend_handles_labels()[0])
    return ax


# --- bars ---------------------------------------------------------------------------------

def bars(table: pd.DataFrame, *, x: str, y: str, hue: str | None = None, title: str = "",
         xlabel: str | None = None, ylabel: str | None = None, own: str | None = None,
         hidden: pd.DataFrame | None = None, ax=None):
    """Horizontal bars of `x` per category `y` (sorted as given); a missing bar for a hidden
    count is said in the legend."""
    ax = _axes(ax)
    if _all_missing(table, x):
        return _message(ax, _empty_text(table, hidden, [x]), title)
    data = table.copy()
    for col in (y, hue):
        if col is not None and col in data:
            data[col] = [_label(v, own) for v in data[col]]
    levels = list(dict.fromkeys(data[hue])) if hue else []
    sns.barplot(data=data, x=x, y=y, hue=hue, orient="h", ax=ax,
                palette=_palette(len(levels)) if hue else None,
                color=None if hue else _strong(), errorbar=None)
    ax.set(title=title, xlabel=xlabel or plain(x), ylabel=ylabel or plain(y))
    if "share" in x:
        _percent_axis(ax, "x")
    handles = ax.get_legend_handles_labels()[0] if hue else []
    if _flags(table, hidden, x).any():
        handles.append(Patch(facecolor="none", edgecolor="none",
                             label=f"a missing bar: {HIDDEN_LABEL}"))
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    if handles:
        _legend(ax, handles, title=plain(hue) if hue else None)
    if data[y].nunique() == 1 and len(levels) <= 1:
        ax.set_ylim(1.0, -1.4)  # a bar, not a wall, with room for the note
        _note(ax, ONE_GROUP_TEXT)
    return ax


# --- blended learning and networks: several panels ----------------------------------------

def event_study_lines(study: pd.DataFrame, *, title: str = "", own: str | None = None,
                      hidden: pd.DataFrame | None = None):
    """Share active online by week around the session, attendees vs non-attendees, per format.

    Takes :func:`engagement.blended.event_study`; one panel per format, 95% bands, a line at
    the session's week. Returns the Figure.
    """
    if _all_missing(study, "active_share"):
        return _message_figure(_empty_text(study, hidden, ["active_share"]), title)
    study = _with_flags(study, hidden, "active_share")
    formats = list(dict.fromkeys(study["format"]))
    fig, axes = plt.subplots(1, len(formats), figsize=(3.6 * len(formats) + 1, 3.8),
                             sharey=True, squeeze=False)
    groups = list(dict.fromkeys(["attended", "did not attend", *study["group"]]))
    colours = dict(zip(groups, _palette(len(groups))))
    for ax, fmt in zip(axes[0], formats):
        for group, sub in study[study["format"] == fmt].groupby("group"):
            sub = sub.sort_values("relative_week")
            ax.plot(sub["relative_week"], sub["active_share"], marker="o", color=colours[group],
                    label=group)
            ax.fill_between(sub["relative_week"], sub["ci_low"].astype(float),
                            sub["ci_high"].astype(float), color=colours[group], alpha=0.2,
                            linewidth=0)
        ax.axvline(0, color="grey", linestyle="--", linewidth=0.8)
        ax.set(title=_FORMAT_TITLES.get(fmt, plain(fmt)), xlabel=plain("relative_week"),
               ylim=(0, 1.02))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _percent_axis(ax)
    axes[0][0].set_ylabel(plain("active_share"))
    seen = {}
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    handles = list(seen.values()) + [
        _band_handle(), Line2D([], [], color="grey", linestyle="--", linewidth=0.8,
                               label="the session's week")]
    if study["_hidden"].any():
        handles.append(_hidden_gap_handle())
    axes[0][-1].legend(handles=handles, bbox_to_anchor=(1.01, 1), loc="upper left",
                       fontsize="small")
    if len(formats) == 1 and len(seen) == 1:
        _note(axes[0][0], ONE_GROUP_TEXT)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def network_growth(weekly: pd.DataFrame, *, title: str = "", own: str | None = None,
                   hidden: pd.DataFrame | None = None):
    """Learners, ties and reciprocity of each course's network week by week (weekly_networks).

    Returns the Figure (three panels)."""
    if not len(weekly):
        return _message_figure(NO_DATA_TEXT, title)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    courses = sorted(weekly["course"].dropna().unique(), key=str) if "course" in weekly else [None]
    colours = dict(zip(courses, _palette(len(courses))))
    for ax, (col, label) in zip(axes, [("learners", "Learners in the network"),
                                       ("ties", "Reply ties"),
                                       ("reciprocity", "Share of ties returned")]):
        for course in courses:
            sub = weekly if course is None else weekly[weekly["course"] == course]
            sub = sub.sort_values("week_start")
            ax.plot(_dates(sub["week_start"]), sub[col], marker="o", color=colours[course],
                    label=None if course is None else str(course))
        ax.set(xlabel=plain("week_start"), ylabel=label)
        _date_axis(ax)
    _percent_axis(axes[2])
    axes[2].set_ylim(0, 1.02)
    handles = axes[0].get_legend_handles_labels()[0]
    if _flags(weekly, hidden, "learners", "ties", "reciprocity").any():
        handles.append(_hidden_gap_handle())
    if handles:
        axes[-1].legend(handles=handles, title=plain("course"), bbox_to_anchor=(1.01, 1),
                        loc="upper left", fontsize="small")
    if weekly["week_start"].nunique() == 1:
        _note(axes[0], "only one week: no change over time to show")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def network_drawing(graph, communities: pd.DataFrame | None = None, *, title: str = "",
                    seed: int = 0, own: str | None = None, hidden: pd.DataFrame | None = None,
                    ax=None):
    """The reply network, nodes coloured by community (researcher reports only: one node per
    person); the legend names each community's colour."""
    import networkx as nx

    ax = _axes(ax)
    if graph is None or graph.number_of_nodes() == 0:
        return _message(ax, NO_DATA_TEXT, title)
    label = {} if communities is None else dict(zip(communities["learner_id"],
                                                    communities["community"]))
    groups = sorted({str(v) for v in label.values()})
    colours = dict(zip(groups, _palette(len(groups))))
    pos = nx.spring_layout(graph, seed=seed)
    nx.draw_networkx_edges(graph, pos, ax=ax, alpha=0.15, arrows=False, width=0.5)
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=18,
                           node_color=[colours.get(str(label.get(n)), OTHERS_GREY)
                                       for n in graph.nodes])
    ax.set(title=title)
    ax.axis("off")
    handles = [Line2D([], [], marker="o", linestyle="none", color=colours[g],
                      label=f"community {g}") for g in groups[:20]]
    if any(n not in label for n in graph.nodes):
        handles.append(Line2D([], [], marker="o", linestyle="none", color=OTHERS_GREY,
                              label="no community"))
    handles.append(Line2D([], [], color="black", alpha=0.3, linewidth=0.8,
                          label="a reply between two learners"))
    _legend(ax, handles)
    return ax
