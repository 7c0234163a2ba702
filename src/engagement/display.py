"""Results onto a report page, for one audience or both: what notebooks import.

A notebook says once, after its parameters, who it is rendered for::

    page = display.setup(audience=audience, min_group_size=min_group_size,
                         organisation=organisation, learners=ds.learners)

and then shows Results, the sentences worded from them and the figures drawn from them::

    display.show(res)                                    # the table
    display.say(retention.describe_return_after_k, res)  # the sentence, from the same Result
    display.figure(plots.return_after_k_curve, res, title="...")

For the ``partner`` audience each Result first goes through
:func:`engagement.privacy.control` (identifiers refused, organisations anonymised, small
cells and what would give them back hidden), so a hidden number is hidden in the table, in
the sentence and in the figure alike. With ``audience="both"`` (what the report batch sets)
every output is made for each audience and tagged with it in the output's metadata
(``{"engagement": {"audience": ...}}``); :mod:`engagement.publish` then writes each page
from one execution. Each table output also stores its Result as data (MIME
:data:`engagement.results.MIME`), so tests and later tools read the numbers, not the HTML.

Formatting is by the column's kind, through :mod:`engagement.stats`: p-values never 0,
interval ends that never print the same, percentage points, ratios as ratios, "not
estimable" for infinities and gaps, no ``-0.00``. Partners see plain headers and no
technical columns; constants are said once under the table.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import os
import platform
import subprocess
from contextlib import suppress
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import pandas as pd

from engagement import privacy, results, stats
from engagement.results import Result

AUDIENCES = privacy.AUDIENCES
RENDER_FOR = (*AUDIENCES, "both")
PROVENANCE_PACKAGES = ("pandas", "numpy", "scipy", "seaborn", "papermill", "nbconvert")

DESIGN_SENTENCES = {
    "randomised": "Design: randomised. The groups were assigned at random, so a clear "
                  "difference can be read as an effect.",
    "observational": "Design: observational. The groups were not assigned at random, so "
                     "differences are associations, not proof of an effect.",
}


@dataclass
class Page:
    """Who a notebook's outputs are for (see :func:`setup`)."""

    audience: str = "researcher"
    min_group_size: int = 5
    organisation: str | None = None
    labels: dict = field(default_factory=dict)

    @property
    def audiences(self) -> tuple[str, ...]:
        return AUDIENCES if self.audience == "both" else (self.audience,)


_PAGE = Page()


def setup(*, audience: str, min_group_size: int, organisation: str | None = None,
          learners: pd.DataFrame | None = None) -> Page:
    """Say once per notebook who its outputs are for.

    Parameters
    ----------
    audience : {"researcher", "partner", "both"}
        ``both`` makes every output for each audience, tagged (what the batch sets).
    min_group_size : int
        The smallest group a partner page shows: a whole number of at least 3
        (:func:`engagement.privacy.check_min_group_size`), refused otherwise, whoever runs
        the notebook (a batch, ``papermill -p min_group_size 1``, JupyterLab).
    organisation : str, optional
        The reader's organisation, on a page written for one partner: named; every other
        organisation is anonymised. Empty means none.
    learners : DataFrame, optional
        The learners table: organisations are lettered by size once, from it, so that
        "Organisation B" is the same organisation in every table of the page.

    Returns
    -------
    Page
    """
    global _PAGE
    if audience not in RENDER_FOR:
        raise ValueError(f"audience must be one of {', '.join(RENDER_FOR)}, not {audience!r}")
    min_group_size = privacy.check_min_group_size(min_group_size)
    own = organisation or None
    labels = {}
    if learners is not None and "organisation" in learners and learners["organisation"].notna().any():
        if own is not None and own not in set(learners["organisation"].dropna().astype(str)):
            raise ValueError(f"organisation {own!r} is not in the learners table")
        labels = privacy.organisation_labels(learners, own=own)
    _PAGE = Page(audience=audience, min_group_size=min_group_size, organisation=own,
                 labels=labels)
    results.set_renderer(lambda res: render_html(res))
    return _PAGE


def page() -> Page:
    """The current page (set by :func:`setup`)."""
    return _PAGE


def for_audience(result: Result, audience: str) -> Result:
    """`result` as `audience` may see it: as computed, or through privacy.control."""
    if audience == "researcher":
        privacy.refuse_identifiers(result.table)
        return result
    if audience != "partner":
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    return privacy.control(result, min_size=_PAGE.min_group_size, own=_PAGE.organisation,
                           labels=_PAGE.labels)


# --- cells by kind ------------------------------------------------------------------------

def _row_decimals(result: Result, row: int) -> dict[str, int]:
    """Per estimate column of a row: the decimals that keep it and its interval apart."""
    out = {}
    table = result.table
    for name, col in result.columns.items():
        if col.kind not in ("low", "high"):
            continue
        est = col.of
        unit = _unit(result.columns[est])
        pair = [c for c, k in result.columns.items() if k.kind in ("low", "high") and k.of == est]
        lows = [table[c].iloc[row] for c in pair if result.columns[c].kind == "low"]
        highs = [table[c].iloc[row] for c in pair if result.columns[c].kind == "high"]
        if lows and highs:
            d = stats.interval_decimals(unit, lows[0], highs[0], table[est].iloc[row])
            out[est] = max(out.get(est, 0), d)
    return out


def _unit(col: results.Column) -> str:
    return {"share": "share", "points": "points", "ratio": "ratio", "days": "days",
            "number": "number", "p": "p", "p_adjusted": "p", "count": "count"}.get(col.kind,
                                                                                 "number")


def format_cell(value, col: results.Column, *, decimals: int | None = None) -> str:
    """One cell as a page prints it, by the column's kind."""
    kind = col.kind
    if kind in ("label", "organisation", "text"):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, (pd.Timestamp, dt.datetime, np.datetime64)):
            stamp = pd.Timestamp(value)
            return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M}"
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
        return str(value)
    if kind == "flag":
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        return "yes" if bool(value) else "no"
    if kind == "date":
        if value is None or pd.isna(value):
            return ""
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    if kind in ("low", "high"):
        raise ValueError("interval ends are formatted with their estimate's unit")
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "" if kind == "count" else stats.NOT_ESTIMABLE
    return stats.format_value(value, _unit(col), decimals)


def cells(result: Result) -> list[list[str]]:
    """Every cell of `result` as printed (hidden cells as their markers)."""
    out = []
    minimum = _PAGE.min_group_size
    for i in range(len(result.table)):
        decimals = _row_decimals(result, i)
        row = []
        for name, col in result.columns.items():
            value = result.table[name].iloc[i]
            if result.is_hidden(i, name):
                secondary = result.secondary is not None and bool(result.secondary[name].iloc[i])
                row.append("hidden" if secondary or col.kind != "count" else f"<{minimum}")
            elif col.kind in ("low", "high"):
                est = result.columns[col.of]
                row.append(stats.format_value(value, _unit(est), decimals.get(col.of)))
            else:
                row.append(format_cell(value, col, decimals=decimals.get(name)))
        out.append(row)
    return out


# --- tables -------------------------------------------------------------------------------

_TABLE_STYLE = ("<style>table.result{border-collapse:collapse;margin:.4em 0}"
                "table.result th,table.result td{text-align:left;padding:2px 8px;"
                "border-bottom:1px solid #ddd;vertical-align:top}"
                "table.result th small{color:#666;font-weight:normal}"
                "table.result caption{text-align:left;font-weight:bold;padding:.2em 0}"
                "p.result-note{margin:.2em 0;color:#333;font-size:.92em}</style>")


def visible_columns(result: Result, audience: str) -> list[str]:
    """The columns a page shows: partners see no technical column."""
    return [c for c, col in result.columns.items()
            if audience == "researcher" or not col.technical]


def notes(result: Result) -> list[str]:
    """The sentences said under a table: constants, design, notes, what the markers mean."""
    lines = list(result.constants.values())
    if result.design in DESIGN_SENTENCES:
        lines.append(DESIGN_SENTENCES[result.design])
    lines += list(result.notes)
    if result.hidden is not None and result.hidden.to_numpy().any():
        m = _PAGE.min_group_size
        lines.append(f"\u201c<{m}\u201d: fewer than {m} learners, not shown; \u201chidden\u201d: "
                     "not shown, so that a number kept back elsewhere cannot be worked out "
                     "from it.")
    return lines


def table_key(result: Result) -> str:
    """Which tables of a batch are the same table: its kind, constants and row labels
    (less the partition). The page scan compares such tables across pages."""
    labels = sorted(c for c, col in result.columns.items()
                    if col.kind in results.LABEL_KINDS and c != result.partition)
    text = repr((result.kind, sorted(result.constants.items()), labels))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _declared(name: str, col: results.Column) -> str:
    """The th attributes saying what a column is, for the page scan (no values)."""
    attrs = {"data-column": name, "data-kind": col.kind, "data-people": "1" if col.people
             else "0"}
    if col.kind == "share":
        attrs.update({"data-of": col.of, "data-over": col.over})
    if col.part_of:
        attrs["data-part-of"] = col.part_of
    return " ".join(f'{k}="{html.escape(str(v), quote=True)}"' for k, v in attrs.items())


def render_html(result: Result, *, audience: str | None = None) -> str:
    """A Result as an HTML table with its title and notes, every text escaped.

    `audience` picks the headers and columns (default: the Result's own audience, which
    is ``partner`` after :func:`engagement.privacy.control`); it does not apply disclosure
    control (see :func:`for_audience`).
    """
    audience = audience or result.audience
    shown = visible_columns(result, audience)
    printed = cells(result)
    index = {c: j for j, c in enumerate(result.columns)}
    head = []
    for c in shown:
        label = html.escape(result.columns[c].label)
        if audience == "researcher" and c != result.columns[c].label:
            label += f"<br><small><code>{html.escape(c)}</code></small>"
        head.append(f"<th {_declared(c, result.columns[c])}>{label}</th>")
    body = []
    for row in printed:
        body.append("<tr>" + "".join(f"<td>{html.escape(row[index[c]])}</td>" for c in shown)
                    + "</tr>")
    digest = hashlib.sha256(repr((result.title, shown, printed)).encode()).hexdigest()[:10]
    table_attrs = (f'data-key="{table_key(result)}" '
                   f'data-partition="{html.escape(result.partition or "", quote=True)}"')
    if result.audience == "partner":
        table_attrs += f' data-min-group-size="{_PAGE.min_group_size}"'
    parts = [_TABLE_STYLE,
             f'<table class="result" id="T_{digest}" {table_attrs}>'
             f'<caption>{html.escape(result.title)}'
             f"</caption><thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}"
             "</tbody></table>"]
    parts += [f'<p class="result-note">{html.escape(line)}</p>' for line in notes(result)]
    return "\n".join(parts)


def _emit(data: dict, audience: str | None, **extra) -> None:
    from IPython.display import display as ipython_display

    meta = {"engagement": {"audience": audience, **extra}} if audience else {}
    ipython_display(data, raw=True, metadata=meta)


def _tag(audience: str) -> str | None:
    # outputs are tagged only when the page is made for both audiences
    return audience if _PAGE.audience == "both" else None


def _seen_by(value, audience: str):
    """`value` as `audience` may see it: a Result controlled, an object holding Results
    (a findings headline: ``map_results``) with its Results controlled, lists item by item."""
    if isinstance(value, Result):
        return for_audience(value, audience)
    if hasattr(value, "map_results"):
        return value.map_results(lambda r: for_audience(r, audience))
    if isinstance(value, (list, tuple)):
        return type(value)(_seen_by(v, audience) for v in value)
    return value


def show(result, *args, **kw) -> None:
    """Display a Result for the page's audience(s), storing it as data beside the HTML.

    ``show(make, *args, **kw)`` shows the Result `make` builds, for each audience from what
    that audience may see of `args` (e.g. a recommendations table worded from headlines).
    """
    for audience in _PAGE.audiences:
        if isinstance(result, Result):
            shown = for_audience(result, audience)
        elif callable(result):
            made = result(*(_seen_by(a, audience) for a in args),
                          **{k: _seen_by(v, audience) for k, v in kw.items()})
            shown = made if audience == "researcher" else for_audience(made, audience)
        else:
            raise TypeError(f"display.show takes a Result, not {type(result).__name__}; "
                            "analysis functions return one")
        _emit({"text/html": render_html(shown, audience=audience),
               "text/plain": f"[table] {shown.title}",
               results.MIME: shown.to_dict()}, _tag(audience), kind="table")


def words(describe, *args, **kw) -> dict[str, str]:
    """{audience: the text `describe` words from what that audience may see of its
    arguments} (Results controlled; see :func:`say`)."""
    return {a: describe(*(_seen_by(v, a) for v in args),
                        **{k: _seen_by(v, a) for k, v in kw.items()})
            for a in _PAGE.audiences}


def say(describe, result, *args, **kw) -> None:
    """Display the sentence `describe(result, **kw)` words, for each audience from the
    Result that audience sees (so a hidden number is hidden in the words too); other
    arguments that are Results (or hold them) are controlled the same way."""
    texts = words(describe, result, *args, **kw)
    if len(set(texts.values())) == 1:
        markdown(next(iter(texts.values())))
        return
    for audience, text in texts.items():
        markdown(text, audience=audience)


def summary(describe, *args, title: str = "In short", **kw) -> None:
    """The page's summary, first on the page: three to five sentences `describe(*args)`
    returns (a list of strings, worded for each audience from what it may see; or the list
    itself, the same for both), shown as ``<div id="summary">``. The publisher puts it right
    after the page's title."""
    said = ({a: list(describe) for a in _PAGE.audiences} if isinstance(describe, list)
            else words(describe, *args, **kw))
    for audience, sentences in said.items():
        items = "".join(f"<li>{_inline(s)}</li>" for s in sentences)
        _emit({"text/html": f'<div id="summary" class="summary"><h2>{html.escape(title)}</h2>'
                            f"<ul>{items}</ul></div>",
               "text/plain": "\n".join(sentences)}, _tag(audience), kind="summary")


def _inline(text: str) -> str:
    """Text with **bold** kept, everything else escaped."""
    import re

    escaped = html.escape(text)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)


def glossary(terms: dict[str, str]) -> None:
    """A glossary at the end of the page: each term with its plain meaning."""
    rows = "".join(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>"
                   for t, d in sorted(terms.items(), key=lambda item: item[0].lower()))
    _emit({"text/html": f'<div class="glossary"><h2 id="glossary">Glossary</h2><dl>{rows}'
                        "</dl></div>", "text/plain": "Glossary"}, None, kind="glossary")


def footer(ds, *, root: str | os.PathLike = ".") -> None:
    """Where the numbers come from: the full provenance table on researcher pages, a short
    footer on partner pages (dataset, when prepared, the software's commit)."""
    prov = provenance(ds, root=root)
    for audience in _PAGE.audiences:
        if audience == "researcher":
            _emit({"text/html": render_html(prov, audience="researcher"),
                   "text/plain": "[table] provenance",
                   results.MIME: prov.to_dict()}, _tag(audience), kind="table")
            continue
        items = dict(zip(prov.table["item"], prov.table["value"]))
        commit = str(items.get("commit", ""))[:12]
        parts = [f"Made from the dataset \u201c{items.get('dataset', '')}\u201d"]
        if items.get("dataset prepared at"):
            parts.append(f"prepared {items['dataset prepared at'][:10]}")
        parts.append(f"with engagement at commit {commit or 'unknown'}")
        raw = sum(1 for item in items if str(item).startswith("raw file "))
        if raw:
            parts.append(f"from {raw} exported file(s), each checked by its MD5")
        _emit({"text/html": f'<footer class="provenance"><p>{html.escape(", ".join(parts))}.'
                            "</p></footer>", "text/plain": ", ".join(parts)},
              _tag(audience), kind="footer")


def escape_markdown(text: str) -> str:
    """Markdown with every ``<`` outside code spans escaped (names from the data could
    carry HTML, which Markdown passes through)."""
    import re

    parts = re.split(r"(`+)(.*?)\1", text, flags=re.S)
    out = []
    for i in range(0, len(parts), 3):  # text, ticks, code, text, ...
        out.append(parts[i].replace("<", "&lt;"))
        if i + 2 < len(parts):
            out.append(parts[i + 1] + parts[i + 2] + parts[i + 1])
    return "".join(out)


def markdown(text: str, *, audience: str | None = None) -> None:
    """Display Markdown (escaped) for every audience of the page, or for one of them."""
    if audience is not None and audience not in _PAGE.audiences:
        return
    _emit({"text/markdown": escape_markdown(text), "text/plain": text},
          _tag(audience) if audience else None)


def links(*names: str) -> None:
    """"Details: ..." links to other reports of the same batch, each to the page of the same
    audience (``<name>.partner.html`` from a partner page)."""
    for audience in _PAGE.audiences:
        text = "Details: " + ", ".join(f"[{n}]({n}.{audience}.html)" for n in names)
        markdown(text, audience=audience if _PAGE.audience == "both" else None)


def figure(plot, result: Result | None = None, *, alt: str = "", table=None, **kw) -> None:
    """Draw `plot(table, **kw)` for each audience from the Result it may see, and display it
    as an image with `alt` text (default: the figure's title).

    `table` is an alternative to `result` for figures drawn from a table that is not a
    Result (it must then be the same for every audience, e.g. counts of posts).
    """
    import matplotlib.pyplot as plt

    if (result is None) == (table is None):
        raise ValueError("figure() takes a Result or a table, not both or neither")
    alt = alt or kw.get("title", "") or (result.title if result is not None else "a figure")
    import inspect

    accepts = inspect.signature(plot).parameters
    for audience in _PAGE.audiences if result is not None else (None,):
        seen = for_audience(result, audience) if result is not None else None
        data = seen.table if seen is not None else table
        extra = {}
        if "own" in accepts and "own" not in kw:
            extra["own"] = _PAGE.organisation  # the reader's organisation, highlighted
        if "hidden" in accepts and "hidden" not in kw and seen is not None:
            extra["hidden"] = seen.hidden if audience == "partner" else None
        drawn = plot(data, **kw, **extra)
        fig = drawn.figure if hasattr(drawn, "figure") and drawn.figure is not None else (
            drawn if hasattr(drawn, "savefig") else plt.gcf())
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight", dpi=96,
                    metadata={"Software": None})
        plt.close(fig)
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        _emit({"text/html": f'<figure class="report-figure"><img src="data:image/png;base64,'
                            f'{encoded}" alt="{html.escape(alt, quote=True)}"></figure>',
               "text/plain": f"[figure] {alt}"},
              _tag(audience) if audience else None, kind="figure")


# --- the opening section of every report -------------------------------------------------

def environment(root: str | os.PathLike = ".") -> dict:
    """The software a report was made with: git commit of `root` and package versions.

    Returns
    -------
    dict
        commit (hash, with " (uncommitted changes)" when the work tree differs, or
        "unavailable"), python, packages ({name: version or "not installed"}),
        generated_at (UTC, ISO 8601).
    """
    commit = "unavailable"
    with suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=20)
        if head.returncode == 0 and head.stdout.strip():
            commit = head.stdout.strip()
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                    "--untracked-files=no"], capture_output=True, text=True,
                                   timeout=20)
            if dirty.returncode == 0 and dirty.stdout.strip():
                commit += " (uncommitted changes)"
    packages = {}
    for name in PROVENANCE_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    return {"commit": commit, "python": platform.python_version(), "packages": packages,
            "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def provenance(ds, *, root: str | os.PathLike = ".") -> Result:
    """A report's provenance: commit, package versions, dataset, raw-file MD5s.

    Parameters
    ----------
    ds : engagement.schema.Dataset
        The processed dataset the report reads.
    root : str or path
        A folder inside the git checkout (a notebook runs in ``notebooks/``).

    Returns
    -------
    Result
        item, value: one row each for the commit, python, every package of
        :data:`PROVENANCE_PACKAGES`, the dataset and when it was prepared, the demo seed
        when recorded, and one row per raw file read (``raw file <source>/<file>``: its MD5).
    """
    env = environment(root)
    quality = getattr(ds, "quality", {}) or {}
    rows = [("commit", env["commit"]), ("python", env["python"])]
    rows += [(name, version) for name, version in env["packages"].items()]
    rows.append(("dataset", str(getattr(ds, "name", ""))))
    if quality.get("written_at"):
        rows.append(("dataset prepared at", str(quality["written_at"])))
    seed = quality.get("seed", quality.get("demo_seed"))
    if seed is not None:
        rows.append(("demo seed", str(seed)))
    for raw in quality.get("raw_files", []):
        rows.append((f"raw file {raw.get('source', '?')}/{raw.get('file', '?')}",
                     f"MD5 {raw.get('md5', '?')}"))
    return Result(pd.DataFrame(rows, columns=["item", "value"]),
                  {"item": results.label("Item"), "value": results.text("Value")},
                  title="How this report was made", kind="display.provenance")


def table_sizes(ds) -> Result:
    """Rows in each contract table of a dataset (absent tables included, as absent).

    Returns
    -------
    Result
        table, present (yes/no), rows (missing when the table is absent).
    """
    from engagement.schema import TABLES

    tables = getattr(ds, "tables", {})
    recorded = (getattr(ds, "quality", {}) or {}).get("tables", {})  # no need to read events
    rows = [recorded.get(t, len(tables[t])) if t in tables else None for t in TABLES]
    table = pd.DataFrame({"table": list(TABLES), "present": [t in tables for t in TABLES],
                          "rows": pd.array(rows, dtype="Int64").astype("float64")})
    return Result(table, {"table": results.label("Table"), "present": results.flag("Present"),
                          "rows": results.count("Rows", unit="rows")},
                  title="Rows in each table of the dataset", kind="display.table_sizes")


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%d %B %Y").lstrip("0")


def coverage_markdown(ds) -> str:
    """One paragraph (Markdown) saying what a report covers: dates, courses, learners.

    Counts of learners and organisations are totals over the dataset, never per person.
    """
    tables = getattr(ds, "tables", {})
    parts = []
    if "courses" in tables and len(tables["courses"]):
        courses = tables["courses"]
        codes = ", ".join(sorted(map(str, courses["course"].unique())))
        parts.append(f"{len(courses)} course(s) ({codes})")
    if "learners" in tables and len(tables["learners"]):
        learners = tables["learners"]
        text = (f"{learners['learner_id'].nunique():,} learner(s) in "
                f"{len(learners):,} enrolment(s)")
        if "organisation" in learners and learners["organisation"].notna().any():
            text += f" from {learners['organisation'].nunique():,} organisation(s)"
        parts.append(text)
    outreach = tables.get("outreach")
    if outreach is not None and len(outreach):
        channels = ", ".join(sorted(map(str, outreach["channel"].dropna().unique())))
        text = f"{len(outreach):,} posts and messages on {channels}"
        stamps = outreach["published_at"].dropna() if "published_at" in outreach else ()
        if len(stamps):
            text += f", published from {_day(stamps.min())} to {_day(stamps.max())}"
        parts.append(text)
    sentence = "This report covers " + (" and ".join(parts) if parts else "the dataset")
    quality = getattr(ds, "quality", {}) or {}
    if quality.get("events_span"):  # recorded by prepare: the events table may be huge
        (first, last), n_events = quality["events_span"], quality["tables"]["events"]
    elif "events" in tables and len(tables["events"]):
        stamps = tables["events"]["timestamp"]
        first, last, n_events = stamps.min(), stamps.max(), len(stamps)
    else:
        n_events = 0
    if n_events:
        sentence += (f", with {n_events:,} recorded event rows from "
                     f"{_day(first)} to {_day(last)} (UTC)")
    sentence += "."
    courses = tables.get("courses")
    if courses is not None and "vle_coverage" in courses:
        # OULAD's click file is partial: say which presentations it covers, and how far
        parts = [f"{r.course} ({r.vle_coverage}, observed to {_day(r.observation_end)})"
                 for r in courses.sort_values("course").itertuples()]
        sentence += (" Click data cover these presentations only: " + "; ".join(parts) +
                     ". Presentations without click data are left out (see the data-quality "
                     "report).")
    name = getattr(ds, "name", None)
    if name:
        sentence += f" Data: the processed dataset `{name}`"
        prepared = quality.get("written_at")
        sentence += f", prepared {prepared}." if prepared else "."
    return sentence
