"""Publishing: one executed notebook becomes a researcher page and a partner page, the
partner page is scanned before it gets its shareable name, and an index lists them.

A notebook run with ``audience="both"`` (what the batch sets) holds every output twice where
the audiences differ, tagged in the output's metadata (``{"engagement": {"audience": ...}}``,
see :mod:`engagement.display`); untagged outputs belong to both. :func:`notebook_for` keeps
what one audience sees; for partners it also strips code, parameters, cells tagged
``researcher-only``, stderr, warnings, widgets and progress bars.

Both pages are self-contained and open offline: images are inline and the ``offline``
nbconvert template (``templates/offline``) loads no script, style, font, MathJax or
require.js from the network. The partner page is checked in memory by
:func:`engagement.privacy.scan_html` (with the names, e-mail addresses and ids found in the
dataset's raw exports) and written as ``<name>.partner.html`` only when it passes; otherwise
as ``<name>.partner.withheld.html``. Every file is written atomically.
"""

from __future__ import annotations

import html
import json
import os
import re
from contextlib import suppress
from dataclasses import dataclass, field
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
    nb.cells = cells
    return nb


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
    return body


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

_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em;
       color: #222; max-width: 80em; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .4em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font-size: .9em; }
.ok { color: #1a7f37; font-weight: bold; }
.failed { color: #b42318; font-weight: bold; }
.skipped { color: #8a6d00; font-weight: bold; }
ul { margin: 0; padding-left: 1.2em; }
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _details(summary: str, items_html: str) -> str:
    return f"<details><summary>{_e(summary)}</summary><ul>{items_html}</ul></details>"


def _show_parameter(value, root: Path) -> str:
    if isinstance(value, str) and os.path.isabs(value):
        with suppress(ValueError):
            return str(Path(value).relative_to(root))
    return json.dumps(value, default=str) if not isinstance(value, str) else value


def write_index(results: list, batch, out_dir: str | os.PathLike | None = None, *,
                raw_scan: bool = True) -> Path:
    """Write ``index.html``: every report with its links, parameters, provenance and status.

    The page is self-contained (inline CSS, no script) and every value is HTML-escaped.
    Leaks found by the privacy scan are summarised by kind only, never quoted. When the
    batch ran without the raw-name scan (``--no-raw-scan``), the page says so at the top.

    Returns
    -------
    Path
        The index file, ``<out_dir>/<batch>/index.html``.
    """
    out = batch.out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prov = environment(batch.root)
    n_failed = sum(not r.ok for r in results)
    rows = []
    # community-wide reports first, in batch order; then each partner's reports together
    ordered = [r for r in results if r.group is None] + sorted(
        (r for r in results if r.group is not None), key=lambda r: r.group)
    current = None
    for r in ordered:
        if r.group is not None and r.group != current:
            current = r.group
            rows.append(f'<tr class="partner"><th colspan="7">For {_e(current)}</th></tr>')
        links = []
        for aud in ("partner", "researcher"):
            path = r.html.get(aud)
            if path is not None:
                links.append(f'<a href="{_e(quote(path.name))}">{_e(aud)}</a>')
            else:
                links.append(f"{_e(aud)}: not written")
        params = "".join(f"<li><code>{_e(k)}</code> = <code>{_e(_show_parameter(v, batch.root))}"
                         f"</code></li>" for k, v in r.parameters.items())
        raw = "".join(f"<li><code>{_e(f.get('file', '?'))}</code> ({_e(f.get('source', ''))}) "
                      f"MD5 <code>{_e(f.get('md5', '?'))}</code></li>" for f in r.raw_files)
        problems = "".join(
            f"<li>{_e(f.describe())}</li>" for f in r.failures) + "".join(
            f"<li>{_e(n)}</li>" for n in r.notes + ([r.skipped] if r.skipped else []))
        try:
            notebook = r.notebook.relative_to(batch.root)
        except ValueError:
            notebook = r.notebook
        raw_cell = (_details(f"{len(r.raw_files)} file(s)", raw) if raw
                    else "no quality.json raw files")
        rows.append(
            "<tr>"
            f"<td><strong>{_e(r.name)}</strong><br><code>{_e(notebook)}</code></td>"
            f'<td class="{_e(r.status)}">{_e(r.status)}</td>'
            f"<td>{'<br>'.join(links)}</td>"
            f"<td><ul>{params}</ul></td>"
            f"<td>{raw_cell}</td>"
            f"<td>{_e(r.started_at)}<br>{r.seconds:.1f} s</td>"
            f"<td>{'<ul>' + problems + '</ul>' if problems else ''}</td>"
            "</tr>")
    packages = ", ".join(f"{_e(k)} {_e(v)}" for k, v in prov["packages"].items())
    warning = ("" if raw_scan else
               '<p class="failed">This batch ran with --no-raw-scan: partner pages were NOT '
               "checked for the names, e-mail addresses and ids in the raw exports.</p>")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reports: {_e(batch.name)}</title>
<style>{_INDEX_CSS}</style>
</head>
<body>
<h1>Reports: {_e(batch.name)}</h1>
{warning}
<p>{len(results)} report(s), {n_failed} failed. Each report has a <em>partner</em> version
(no code, no learner identities, no group smaller than the minimum size) and a
<em>researcher</em> version (with code; internal only).</p>
<h2>Provenance</h2>
<ul>
<li>batch file: <code>{_e(batch.config.name)}</code></li>
<li>commit: <code>{_e(prov['commit'])}</code></li>
<li>python {_e(prov['python'])}; {packages}</li>
<li>generated at {_e(prov['generated_at'])}</li>
</ul>
<h2>Reports</h2>
<table>
<thead><tr><th>report</th><th>status</th><th>HTML</th><th>parameters</th>
<th>raw inputs</th><th>run</th><th>problems</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    return atomic_write_text(out / "index.html", page)
