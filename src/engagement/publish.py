"""Publishing: one executed notebook becomes a researcher page and a partner page, the
partner page is scanned before it gets its shareable name, and an index lists them.

A notebook run with ``audience="both"`` (what the batch sets) holds every output twice where
the audiences differ, tagged in the output's metadata (``{"engagement": {"audience": ...}}``,
see :mod:`engagement.display`); untagged outputs belong to both. :func:`notebook_for` keeps
what one audience sees; for partners it also strips code, parameters, cells tagged
``researcher-only``, stderr, warnings, widgets and progress bars.

Both pages are self-contained and open offline: images are inline and the ``offline``
nbconvert template (``templates/offline``) loads no script, style, font, MathJax or
require.js from the network; it adds a link back to the index and an inline stylesheet
(``report.css``: tables that wrap, figures that fit, A4 print rules). :func:`finish_page`
then titles each page by its first ``<h1>`` and adds contents linking every ``<h2>``.
The partner page is checked in memory by
:func:`engagement.privacy.scan_html` (with the names, e-mail addresses and ids found in the
dataset's raw exports) and written as ``<name>.partner.html`` only when it passes; otherwise
as ``<name>.partner.withheld.html``. Every file is written atomically. The index
(:func:`write_index`) is rendered by Jinja2 with autoescape from ``templates/index``.
"""

from __future__ import annotations

import html
import json
import os
import re
from contextlib import suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import nbformat
import pandas as pd

from engagement import privacy
from engagement.display import environment, escape_markdown
from engagement.schema import atomic_write_text, file_md5

AUDIENCES = privacy.AUDIENCES
TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "offline"
# Cells a partner never sees.
PARTNER_HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "researcher-only",
                                 "papermill-error-cell-tag"})
# Widgets (tqdm.notebook progress bars, ipywidgets) mean nothing in a static page.
_WIDGET_MIMES = ("application/vnd.jupyter.widget-view+json",
                 "application/vnd.jupyter.widget-state+json")
# A warning or log record shown as display data rather than on stderr.
_WARNING_TEXT = re.compile(r"^\s*(?:\S*:\d+: )?[A-Z]\w*Warning: |^(?:WARNING|ERROR|CRITICAL):",
                           re.M)
# One line of a progress bar: redrawn with carriage returns or cursor moves (colours are
# not moves), or tqdm's "40%|####      | 4/10 [00:01<00:02, 3.1it/s]" written once.
_PROGRESS = re.compile(r"\r|\x1b\[[0-9;]*[ABCDEFGJK]|\d+%\|.*\|\s*\d+(?:\.\d+)?[kMG]?/")


def output_audience(output) -> str | None:
    """The audience an output was made for (None: both)."""
    meta = output.get("metadata", {}) or {}
    return (meta.get("engagement") or {}).get("audience")


def _hidden_output(output) -> bool:
    """Whether a partner never sees `output`: an error, stderr (warnings, logging, progress
    bars), a widget, or display data that is only a warning or a log record."""
    kind = output.get("output_type")
    if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
        return True
    data = output.get("data", {}) if kind in ("display_data", "execute_result") else {}
    if any(mime in data for mime in _WIDGET_MIMES):
        return True
    plain = data.get("text/plain", "")
    plain = "".join(plain) if isinstance(plain, list) else plain
    if set(data) == {"text/plain"} and _WARNING_TEXT.search(plain):
        return True
    return False


def _without_progress(text: str) -> str:
    """Printed text without the lines of progress bars (the rest as printed)."""
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not _PROGRESS.search(line.rstrip("\n")))


def _copy(nb):
    return nbformat.from_dict(json.loads(json.dumps(nb)))


def notebook_for(nb, audience: str):
    """A copy of an executed notebook with what `audience` sees.

    Outputs tagged for the other audience go. For ``partner``, also: cells tagged
    ``parameters``, ``injected-parameters``, ``researcher-only`` (and papermill's error
    markers), stderr streams (warnings, logging, tqdm's bars), error outputs, widgets
    (``tqdm.notebook``), display data that is only a Python warning or a log record, and
    progress-bar lines printed to stdout (redrawn with ``\\r`` or written by tqdm); a stream
    left empty goes too; stored Result data (:data:`engagement.results.MIME`) goes. Code
    input is removed at conversion (``exclude_input``).
    """
    from engagement.results import MIME

    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    partner = audience == "partner"
    nb = _copy(nb)
    cells = []
    for cell in nb.cells:
        if partner and PARTNER_HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                if output_audience(output) not in (None, audience):
                    continue
                if partner and _hidden_output(output):
                    continue
                if partner and output.get("output_type") == "stream":
                    text = output.get("text", "")
                    output["text"] = _without_progress(
                        "".join(text) if isinstance(text, list) else text)
                    if not output["text"].strip():
                        continue
                if partner:
                    output.get("data", {}).pop(MIME, None)
                outputs.append(output)
            cell.outputs = outputs
        cells.append(cell)
    nb.cells = _summary_first(cells)
    return nb


def _output_kind(output) -> str | None:
    return ((output.get("metadata", {}) or {}).get("engagement") or {}).get("kind")


def _is_title(text) -> bool:
    text = "".join(text) if isinstance(text, list) else str(text)
    return text.lstrip().startswith("# ")


def _summary_first(cells: list) -> list:
    """The page's summary (display.summary, written where its numbers are computed) moved
    right after the page's title, before any table or figure."""
    found = []
    for cell in cells:
        if cell.cell_type == "code":
            keep = []
            for output in cell.get("outputs", []):
                (found if _output_kind(output) == "summary" else keep).append(output)
            cell.outputs = keep
    if not found:
        return cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and _is_title(cell.source):
            return [*cells[: i + 1], _holder(found), *cells[i + 1:]]
        if cell.cell_type == "code":
            outputs = cell.get("outputs", [])
            for j, output in enumerate(outputs):
                if _is_title(output.get("data", {}).get("text/markdown", "")):
                    cell.outputs = [*outputs[: j + 1], *found, *outputs[j + 1:]]
                    return cells
    return [_holder(found), *cells]


def _holder(outputs):
    """A cell with no code (none shown, for either audience) holding `outputs`."""
    holder = nbformat.v4.new_code_cell("")
    holder.outputs = outputs
    holder.metadata["transient"] = {"remove_source": True}
    return holder


def partner_notebook(nb):
    """:func:`notebook_for` the partner audience."""
    return notebook_for(nb, "partner")


def _escaped_outputs(nb):
    """A copy of `nb` whose Markdown outputs cannot carry HTML (names from the data)."""
    nb = _copy(nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            data = output.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                data["text/markdown"] = escape_markdown(
                    "".join(text) if isinstance(text, list) else text)
    return nb


def to_html(nb, *, audience: str, title: str) -> str:
    """An executed notebook as self-contained offline HTML for `audience`.

    ``researcher``: its outputs (:func:`notebook_for`), code included. ``partner``: what a
    partner sees, no code input and no prompts. For both, HTML in Markdown outputs (which
    show text from the data) is escaped; tables from :mod:`engagement.display` are escaped
    when made.
    """
    from nbconvert import HTMLExporter

    partner = audience == "partner"
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES)],
        embed_images=True, exclude_input=partner, exclude_input_prompt=partner,
        exclude_output_prompt=partner, exclude_anchor_links=partner)
    shown = _escaped_outputs(notebook_for(nb, audience))
    body, _ = exporter.from_notebook_node(shown, resources={"metadata": {"name": title}})
    return finish_page(body, title)


# --- the page's title and contents --------------------------------------------------------

_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                        "meta", "param", "source", "track", "wbr"})


class _Outline(HTMLParser):
    """Where a page's ``<title>``, first ``<h1>``, ``<h2>`` headings and ``id="summary"``
    element are, as offsets into the page, with their text (read by html.parser)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", page)]
        self.title: tuple[int, int] | None = None     # the <title>'s content
        self.h1: dict | None = None                    # text, end (after </h1>)
        self.h2: list[dict] = []                       # text, id, tag_end (after <h2 ...>)
        self.summary_end: int | None = None            # after the id="summary" element
        self.body_start: int | None = None             # after <main> (or <body>)
        self.back_end: int | None = None               # after the way back to the index
        self.ids: set[str] = set()
        self._title_start: int | None = None
        self._heading: dict | None = None
        self._anchor = False                           # inside nbconvert's ¶ anchor link
        self._summary: list | None = None              # [tag, depth] while inside it
        self._back: list | None = None                 # the same for nav.report-back
        self.feed(page)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        start = self._offset()
        end = start + len(self.get_starttag_text() or "")
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "title" and self.title is None and self.body_start is None:
            self._title_start = end
        elif tag in ("body", "main") and (self.body_start is None or tag == "main"):
            self.body_start = end
        elif tag in ("h1", "h2") and self._heading is None and (tag == "h2" or self.h1 is None):
            self._heading = {"tag": tag, "text": [], "id": attrs.get("id"), "attrs": attrs,
                             "tag_start": start, "tag_end": end}
        elif tag == "a" and self._heading is not None and \
                "anchor-link" in (attrs.get("class") or "").split():
            self._anchor = True
        if self._summary is not None and tag == self._summary[0]:
            self._summary[1] += 1
        elif (attrs.get("id") == "summary" and self._summary is None
              and self.summary_end is None and tag not in _VOID_TAGS):
            self._summary = [tag, 1]
        if self._back is not None and tag == self._back[0]:
            self._back[1] += 1
        elif ("report-back" in (attrs.get("class") or "").split() and self._back is None
              and self.back_end is None and tag not in _VOID_TAGS):
            self._back = [tag, 1]

    def handle_startendtag(self, tag, attrs):
        found = dict(attrs).get("id")
        if found:
            self.ids.add(found)

    def handle_endtag(self, tag):
        start = self._offset()
        end = self.page.find(">", start) + 1 or len(self.page)
        if tag == "title" and self._title_start is not None and self.title is None:
            self.title = (self._title_start, start)
        elif tag == "a":
            self._anchor = False
        elif self._heading is not None and tag == self._heading["tag"]:
            heading, self._heading = self._heading, None
            heading["text"] = " ".join("".join(heading["text"]).split())
            if tag == "h1":
                self.h1 = {"text": heading["text"], "end": end}
            else:
                self.h2.append(heading)
        if self._summary is not None and tag == self._summary[0]:
            self._summary[1] -= 1
            if not self._summary[1]:
                self.summary_end, self._summary = end, None
        if self._back is not None and tag == self._back[0]:
            self._back[1] -= 1
            if not self._back[1]:
                self.back_end, self._back = end, None

    def handle_data(self, data):
        if self._heading is not None and not self._anchor:
            self._heading["text"].append(data)


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-") or "section"


def finish_page(page: str, title: str) -> str:
    """A converted page with its ``<title>`` set to the text of its first ``<h1>`` (else
    `title`), an id on every ``<h2>`` that has none, and a table of contents linking every
    ``<h2>``, placed after the element with ``id="summary"`` when there is one, else after
    the first ``<h1>`` (else after the way back to the index, at the top).

    The page is read with html.parser and only added to, at the offsets it gives: the
    title's text, an id in an ``<h2>`` tag (a new one for an ``<h2>`` whose id an earlier
    one has), the contents (``templates/page/contents.html.j2``, escaped by Jinja2)."""
    outline = _Outline(page)
    heading = outline.h1["text"] if outline.h1 and outline.h1["text"] else title
    edits: list[tuple[int, int, str]] = []   # (start, end, replacement) in the page
    if outline.title is not None:
        edits.append((*outline.title, html.escape(heading, quote=False)))
    ids, linked, entries = set(outline.ids), set(), []
    for number, h2 in enumerate(outline.h2, 1):
        anchor = h2["id"]
        if not anchor or anchor in linked:  # none, or the same as an earlier heading's
            base = anchor = _slug(h2["text"])
            while anchor in ids:
                anchor = f"{base}-{number}" if anchor == base else f"{anchor}-{number}"
            ids.add(anchor)
            tag = _templates().get_template("page/heading.html.j2").render(
                tag="h2", attrs={**h2["attrs"], "id": anchor})
            edits.append((h2["tag_start"], h2["tag_end"], tag))
        linked.add(anchor)
        entries.append({"id": anchor, "text": h2["text"] or f"Section {number}"})
    at = (outline.summary_end if outline.summary_end is not None
          else outline.h1["end"] if outline.h1
          else outline.back_end if outline.back_end is not None else outline.body_start)
    if entries and at is not None:
        edits.append((at, at, _templates().get_template("page/contents.html.j2").render(
            entries=entries)))
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        page = page[:start] + text + page[end:]
    return page


_JINJA = None


def _templates():
    """Jinja2 over ``templates/`` with autoescape: every value put in a page is escaped."""
    global _JINJA
    if _JINJA is None:
        import jinja2

        _JINJA = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                                    autoescape=True, undefined=jinja2.StrictUndefined,
                                    keep_trailing_newline=True)
    return _JINJA


def stored_results(nb, audience: str | None = None) -> list:
    """The Results a notebook displayed, as :class:`engagement.results.Result` objects, in
    page order (for `audience` only, when given)."""
    from engagement.results import MIME, Result

    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            data = output.get("data", {})
            if MIME in data and (audience is None or output_audience(output) in (None, audience)):
                stored = data[MIME]
                found.append(Result.from_dict(json.loads(stored) if isinstance(stored, str)
                                              else stored))
    return found


# --- the scan before a partner page is named ------------------------------------------------

@dataclass
class Scan:
    """What the partner scan found on one page, and what it could not check."""

    leaks: list[dict] = field(default_factory=list)
    missing_raw: tuple[str, ...] = ()    # raw files of the dataset that were not found
    raw_scan: bool = True                # False when the batch said --no-raw-scan

    @property
    def passed(self) -> bool:
        return not self.leaks and (not self.missing_raw or not self.raw_scan)


def summarise(leaks: list[dict]) -> str:
    """``"2 email, 1 term"``: leaks by kind, never quoted."""
    kinds: dict[str, int] = {}
    for leak in leaks:
        kinds[leak["kind"]] = kinds.get(leak["kind"], 0) + 1
    return ", ".join(f"{n} {k}" for k, n in kinds.items())


def dataset_file(parameters: dict, name: str) -> Path | None:
    """A file of a run's processed dataset (its ``dataset`` parameter), if there is one."""
    dataset = parameters.get("dataset")
    return Path(dataset) / name if isinstance(dataset, str) else None


def dataset_raw_files(parameters: dict) -> list[dict]:
    """The raw files a run's dataset was prepared from (its quality.json), as recorded."""
    quality = dataset_file(parameters, "quality.json")
    if quality is None:
        return []
    with suppress(OSError, ValueError):
        raw = json.loads(quality.read_text(encoding="utf-8")).get("raw_files", [])
        return [r for r in raw if isinstance(r, dict)]
    return []


def dataset_organisations(parameters: dict) -> tuple[str, ...]:
    """Organisation names in a run's dataset: a partner page must show none but its own."""
    learners = dataset_file(parameters, "learners.parquet")
    if learners is None or not learners.exists():
        return ()
    with suppress(OSError, ValueError, KeyError):
        names = pd.read_parquet(learners, columns=["organisation"])["organisation"]
        return tuple(sorted(names.dropna().astype(str).unique()))
    return ()


def _raw_folders(quality: dict, dataset: Path) -> list[Path]:
    """Where the raw exports of a dataset may be: quality.json records the folder's name only."""
    name = str(quality.get("raw_dir") or "")
    folders = [Path(str(quality["raw_path"]))] if quality.get("raw_path") else []
    if name:
        from engagement.clean import repository_root

        root = repository_root()
        shared = os.environ.get("ENGAGEMENT_SHARED_DATA")
        # data/processed/<name> next to data/raw/<raw_dir>; the checkout's data/raw; the
        # shared data folder the Makefile prepares OULAD and the other public sets from
        folders += [dataset.parent.parent / "raw" / name, root / "data" / "raw" / name,
                    *([Path(shared) / name] if shared else []),
                    root.parent / "shared" / "data" / name]
    return list(dict.fromkeys(f for f in folders if f.is_dir()))


_RAW_TERMS: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def raw_terms(parameters: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names, e-mail addresses and ids of people in a dataset's raw inputs, and the raw
    files that could not be found (by name and MD5). Kept in memory only, once per dataset.

    A dataset without a quality.json (or one listing no raw file) gives ``((), ("quality.json",))``:
    there is nothing to say which exports to scan for, so the scan cannot run.
    """
    quality_file = dataset_file(parameters, "quality.json")
    if quality_file is None or not quality_file.exists():
        return (), ("quality.json",)
    key = (str(quality_file.resolve()), quality_file.stat().st_mtime_ns)
    if key not in _RAW_TERMS:
        try:
            quality = json.loads(quality_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            quality = {}
        wanted = [r for r in quality.get("raw_files", []) if isinstance(r, dict)]
        folders = _raw_folders(quality, quality_file.parent)
        paths, missing = [], [] if wanted else ["quality.json raw_files"]
        for raw in wanted:
            name, md5 = str(raw.get("file", "")), raw.get("md5")
            match = next((p for folder in folders for p in sorted(folder.rglob(name))
                          if p.is_file() and (md5 is None or file_md5(p) == md5)), None)
            if match is None:
                missing.append(name)
            else:
                paths.append(match)
        terms = privacy.raw_identifying_terms(dict.fromkeys(paths))["term"]
        _RAW_TERMS[key] = (tuple(terms), tuple(missing))
    return _RAW_TERMS[key]


def scan_partner(page: str, parameters: dict, *, own: str | None = None,
                 scan_terms=(), raw_scan: bool = True, others=()) -> Scan:
    """Scan a partner page (its HTML, in memory) for what must not leave.

    The terms looked for: `scan_terms`, every organisation of the dataset but `own`, and
    (with `raw_scan`) the names, e-mail addresses and ids in the dataset's raw exports.
    `others` are the partner pages of the batch already published: a hidden count of this
    page that one of them gives back by difference fails it too.
    """
    raw, missing = raw_terms(parameters) if raw_scan else ((), ())
    terms = tuple(t for t in (*scan_terms, *dataset_organisations(parameters), *raw) if t != own)
    return Scan(leaks=privacy.scan_html(page, extra_terms=terms, others=others),
                missing_raw=missing, raw_scan=raw_scan)


def publish_partner(page: str, path: Path, scan: Scan) -> Path:
    """Write a scanned partner page: as `path` (``<name>.partner.html``) when it passed,
    else as ``<name>.partner.withheld.html``. Returns the path written."""
    if scan.passed:
        return atomic_write_text(path, page)
    withheld = path.with_name(path.name.replace(".partner.html", ".partner.withheld.html"))
    return atomic_write_text(withheld, page)


# --- the index page -----------------------------------------------------------------------

# What each report answers, by notebook stem: one line each on the index.
REPORT_DESCRIPTIONS = {
    "findings": "The summary: one finding per question, what it means and what to try next",
    "00_data_quality": "What came in and what the cleaning did",
    "01_overview": "Who is active, where, and the drop after the first logins",
    "02_beyond_first_logins": "Who keeps coming back after their first sessions",
    "03_channels": "Which outreach channel brings learners who engage and stay",
    "04_blended_learning": "Whether tutorials, webinars and face-to-face sessions lift online "
                           "activity",
    "05_community": "How learners connect, and whether colleagues learn together",
    "06_drivers": "Which early behaviours go with staying engaged",
}
START_HERE = "findings"   # the notebook the index sends a reader to first
INDEX_TEMPLATE = "index/index.html.j2"


def _show_parameter(value, root: Path) -> str:
    if isinstance(value, str) and os.path.isabs(value):
        with suppress(ValueError):
            return str(Path(value).relative_to(root))
    return json.dumps(value, default=str) if not isinstance(value, str) else value


def _dataset_of(result) -> str | None:
    dataset = result.parameters.get("dataset")
    return os.path.normpath(dataset) if isinstance(dataset, str) else None


def _main_dataset(results: list, batch) -> str | None:
    """The batch's default dataset (its ``defaults``); for a batch without one, the dataset
    most of its runs use."""
    default = (getattr(batch, "defaults", None) or {}).get("dataset")
    if isinstance(default, str):
        return os.path.normpath(default)
    used = [d for d in map(_dataset_of, results) if d is not None]
    return max(dict.fromkeys(used), key=used.count) if used else None


def _index_entry(r, root: Path) -> dict:
    """What the index shows of one run: its pages, what it answers, and its details."""
    links = [{"label": aud, "href": quote(r.html[aud].name) if r.html.get(aud) else None}
             for aud in ("partner", "researcher")]
    pdf = getattr(r, "pdf", None)
    if pdf is not None:
        links.append({"label": "PDF", "href": quote(Path(pdf).name)})
    try:
        notebook = r.notebook.relative_to(root)
    except ValueError:
        notebook = r.notebook
    dataset = _dataset_of(r)
    return {
        "name": r.name, "anchor": f"run-{r.name}", "stem": r.notebook.stem,
        "notebook": str(notebook), "dataset": Path(dataset).name if dataset else None,
        "description": REPORT_DESCRIPTIONS.get(r.notebook.stem, ""),
        "href": next((link["href"] for link in links if link["href"]), None),
        "links": links, "status": r.status,
        "parameters": [(k, _show_parameter(v, root)) for k, v in r.parameters.items()],
        "raw_files": [{"file": f.get("file", "?"), "source": f.get("source", ""),
                       "md5": f.get("md5", "?")} for f in r.raw_files],
        "started_at": r.started_at, "seconds": f"{r.seconds:.1f}",
        "problems": [f.describe() for f in r.failures] + list(r.notes)
                    + ([r.skipped] if r.skipped else []),
    }


def index_sections(results: list, batch) -> dict:
    """The index's reports, grouped as a reader meets them.

    ``start``: the findings page on the batch's own dataset (else its first report);
    ``reports``: the other reports on that dataset, in batch order; ``partners``: the
    per-organisation reports, ``[(organisation, entries)]`` by organisation; ``real``:
    reports run on another dataset than the batch's default (real data),
    ``[(dataset folder name, entries)]`` in batch order; ``main_dataset``: the default
    dataset's folder name. Every entry (see :func:`_index_entry`) is a plain dict.
    """
    main = _main_dataset(results, batch)
    own, partners, real = [], {}, {}
    for r in results:
        entry = _index_entry(r, batch.root)
        if r.group is not None:
            partners.setdefault(r.group, []).append(entry)
        elif _dataset_of(r) is not None and _dataset_of(r) != main:
            real.setdefault(entry["dataset"], []).append(entry)
        else:
            own.append(entry)
    start = next((e for e in own if e["stem"] == START_HERE), own[0] if own else None)
    return {"start": start, "reports": [e for e in own if e is not start],
            "partners": sorted(partners.items()), "real": list(real.items()),
            "main_dataset": Path(main).name if main else None}


def write_index(results: list, batch, out_dir: str | os.PathLike | None = None, *,
                raw_scan: bool = True) -> Path:
    """Write ``index.html``: where to start, every report with what it answers, then each
    run's status, run time, parameters, raw inputs and problems, and the provenance.

    Rendered from ``templates/index/index.html.j2`` by Jinja2 with autoescape (every value
    is escaped by the template). The page is self-contained (inline CSS, no script). It says
    "Start here" and links the findings page first; the reports on the batch's own dataset
    follow, then each partner's reports together, then the reports run on real data (a
    ``dataset`` other than the batch's default), under the name of their dataset's folder.
    Leaks found by the privacy scan are summarised by kind only, never quoted. When the
    batch ran without the raw-name scan (``--no-raw-scan``), the page says so at the top.

    Returns
    -------
    Path
        The index file, ``<out_dir>/<batch>/index.html``.
    """
    out = batch.out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sections = index_sections(results, batch)
    ordered = ([sections["start"]] if sections["start"] else []) + sections["reports"] + [
        e for _, entries in sections["partners"] for e in entries] + [
        e for _, entries in sections["real"] for e in entries]
    page = _templates().get_template(INDEX_TEMPLATE).render(
        batch=batch.name, batch_file=batch.config.name, raw_scan=raw_scan,
        n_reports=len(results), n_failed=sum(not r.ok for r in results),
        runs=ordered, provenance=environment(batch.root),
        any_pdf=any(getattr(r, "pdf", None) is not None for r in results), **sections)
    return atomic_write_text(out / "index.html", page)
