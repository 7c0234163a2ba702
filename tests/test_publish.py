"""publish.py and the batch's publishing step on hand-made notebooks and pages (no kernel,
no browser): the index rendered by Jinja2, each page's title, way back and contents, the
print stylesheet, and what the batch does when no PDF can be printed."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from engagement import batch as batches
from engagement import publish
from engagement.privacy import scan_html

# --- reading a page back --------------------------------------------------------------------


class Page(HTMLParser):
    """A page as a test reads it: its title, headings (with ids), links and the table of
    contents' links, in document order."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.title = None
        self.h1: list[str] = []
        self.h2: list[dict] = []          # {"id", "text"}
        self.links: list[str] = []        # every <a href>, in order
        self.toc: list[str] = []          # the hrefs inside nav.report-toc
        self.ids: list[str] = []
        self.events: list[str] = []       # "h1", "toc", "h2" in order of appearance
        self._in = None
        self._text: list[str] = []
        self._nav = None
        self._anchor = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag in ("title", "h1", "h2") and self._in is None:
            self._in, self._text = (tag, attrs.get("id")), []
        if tag == "a" and "anchor-link" in (attrs.get("class") or ""):
            self._anchor = True
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
            if self._nav == "toc":
                self.toc.append(attrs["href"])
        if tag == "nav":
            self._nav = "toc" if "report-toc" in (attrs.get("class") or "") else "other"
            if self._nav == "toc":
                self.events.append("toc")

    def handle_endtag(self, tag):
        if tag == "a":
            self._anchor = False
        if tag == "nav":
            self._nav = None
        if self._in and tag == self._in[0]:
            text = " ".join("".join(self._text).split())
            if tag == "title":
                self.title = text if self.title is None else self.title  # not an SVG's
            elif tag == "h1":
                self.h1.append(text)
                self.events.append("h1")
            else:
                self.h2.append({"id": self._in[1], "text": text})
                self.events.append("h2")
            self._in = None

    def handle_data(self, data):
        if self._in and not self._anchor:
            self._text.append(data)


def check_page_outline(page: str, *, name: str) -> Page:
    """What every report page must have: a title that is its first h1 (not a file name),
    a link back to the index before anything else, and contents linking every h2."""
    read = Page(page)
    assert read.title, f"{name}: no <title>"
    assert read.title == (read.h1[0] if read.h1 else read.title), name
    assert not re.search(r"\.(html|ipynb)$", read.title), f"{name}: title {read.title!r}"
    assert read.links and read.links[0] == "index.html", f"{name}: no way back first"
    assert all(h["id"] for h in read.h2), f"{name}: an <h2> without an id"
    assert len({h["id"] for h in read.h2}) == len(read.h2), f"{name}: duplicate h2 ids"
    assert read.toc == [f"#{h['id']}" for h in read.h2], f"{name}: contents != the h2s"
    return read


# --- hand-made notebooks ---------------------------------------------------------------------

def notebook(*cells) -> nbformat.NotebookNode:
    """An 'executed' notebook: strings are Markdown cells, dicts are code cells with outputs."""
    nb = nbformat.v4.new_notebook()
    for cell in cells:
        if isinstance(cell, str):
            nb.cells.append(nbformat.v4.new_markdown_cell(cell))
        else:
            code = nbformat.v4.new_code_cell(cell.get("source", "x = 1"))
            code.outputs = [nbformat.v4.new_output("display_data", data=data)
                            for data in cell.get("outputs", [])]
            code.metadata["tags"] = cell.get("tags", [])
            nb.cells.append(code)
    return nb


REPORT = notebook(
    "# Overview: who is active, where",
    "An introduction.",
    {"source": "dataset = 'x'", "tags": ["parameters"]},
    "## Who started",
    {"outputs": [{"text/html": "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>"}]},
    "## Weekly active learners\n\nText.\n\n## Who started",   # the same title twice
    {"outputs": [{"text/markdown": "## By organisation & course\n\nA sentence."}]},
)


@pytest.mark.parametrize("audience", ["partner", "researcher"])
def test_every_page_has_a_title_a_way_back_and_contents(audience):
    page = publish.to_html(REPORT, audience=audience, title="01_overview")
    read = check_page_outline(page, name=audience)
    assert read.title == "Overview: who is active, where"
    assert [h["text"] for h in read.h2] == ["Who started", "Weekly active learners",
                                            "Who started", "By organisation & course"]
    assert read.events[:2] == ["h1", "toc"]          # the contents right after the title
    assert 'href="index.html">← All reports</a>' in page
    if audience == "partner":
        assert scan_html(page) == []                 # still passes the partner scan


def test_the_title_falls_back_to_the_run_name_and_is_escaped():
    page = publish.to_html(notebook("Just text.", "## A section"), audience="partner",
                           title="02_beyond_first_logins")
    assert Page(page).title == "02_beyond_first_logins"
    check_page_outline(page, name="no h1")
    page = publish.to_html(notebook({"outputs": [
        {"text/html": "<h1>Findings for St Anne's &lt;Hospice&gt;</h1>"}]}),
        audience="partner", title="t")
    assert "<title>Findings for St Anne's &lt;Hospice&gt;</title>" in page
    assert Page(page).title == "Findings for St Anne's <Hospice>"


def test_the_contents_follow_the_summary_when_there_is_one():
    nb = notebook("# Findings",
                  {"outputs": [{"text/html": '<div id="summary"><p>In short.</p>'
                                             '<div><p>nested</p></div></div>'}]},
                  "## 1. Retention", "## 2. Channels")
    page = publish.to_html(nb, audience="partner", title="findings")
    check_page_outline(page, name="summary")
    summary_end = page.index("<p>nested</p></div></div>") + len("<p>nested</p></div></div>")
    assert page.index('<nav class="report-toc"') == summary_end


def test_finish_page_adds_only_ids_contents_and_the_title():
    page = ("<!DOCTYPE html><html><head><title>run</title><style>h2 {}</style></head><body>"
            "<main><h1>Main <em>title</em></h1>\n<h2 class='x'>First</h2><h2 id=\"kept\">Kept"
            "</h2><h2 id=\"kept\">Again</h2><svg><title>not this</title></svg></main></body>"
            "</html>")
    done = publish.finish_page(page, "run")
    read = check_page_outline(done.replace("<main>", '<main><a href="index.html">b</a>'),
                              name="made by hand")
    assert read.title == "Main title"
    assert [h["id"] for h in read.h2] == ["first", "kept", "again"]
    assert "<svg><title>not this</title></svg>" in done
    # nothing else changed: take the additions out and the page is as it was
    undone = re.sub(r'<nav class="report-toc".*?</nav>\n', "", done, flags=re.S)
    undone = undone.replace(' id="first"', "").replace('<h2 id="again">', '<h2 id="kept">')
    undone = undone.replace("<title>Main title</title>", "<title>run</title>")
    assert undone == page.replace("<h2 class='x'>", '<h2 class="x">')


def test_a_page_without_h2_gets_no_contents():
    page = publish.to_html(notebook("# Only a title", "Text."), audience="partner", title="t")
    assert "report-toc" not in page.split("</style>")[-1]


def test_pages_carry_an_inline_a4_print_stylesheet_and_fetch_nothing():
    page = publish.to_html(REPORT, audience="partner", title="t")
    assert "@page { size: A4; margin: 15mm; }" in page
    assert "@media print" in page and "break-inside: avoid" in page
    assert "max-width: 100%" in page and "overflow: visible !important" in page
    assert not re.search(r"<link\b[^>]*stylesheet", page)
    assert not [leak for leak in scan_html(page) if leak["kind"].startswith("external")]


# --- the index -----------------------------------------------------------------------------

def _batch(root: Path, defaults: dict | None = None) -> batches.Batch:
    return batches.Batch(name="demo", config=root / "reports.yaml", root=root, runs=(),
                         defaults={"dataset": str(root / "data/processed/demo")}
                         if defaults is None else defaults)


def _result(root: Path, name: str, stem: str, dataset: str = "demo", group=None,
            partner: bool = True, **kw) -> batches.RunResult:
    r = batches.RunResult(name=name, notebook=root / "notebooks" / f"{stem}.ipynb",
                          parameters={"dataset": str(root / "data/processed" / dataset),
                                      "min_group_size": 5},
                          group=group, started_at="2026-01-01T00:00:00+00:00", seconds=1.5,
                          **kw)
    r.html = {"researcher": root / f"{name}.researcher.html"}
    if partner:
        r.html["partner"] = root / f"{name}.partner.html"
    return r


def _index(tmp_path, results, *, raw_scan: bool = True, **kw) -> str:
    return publish.write_index(results, _batch(tmp_path, **kw), tmp_path / "out",
                               raw_scan=raw_scan).read_text()


@pytest.fixture
def results(tmp_path):
    stems = ["00_data_quality", "01_overview", "findings", "02_beyond_first_logins",
             "03_channels", "04_blended_learning", "05_community", "06_drivers"]
    made = [_result(tmp_path, s, s) for s in stems]
    made[1].pdf = tmp_path / "01_overview.partner.pdf"
    made += [_result(tmp_path, "findings-for-b", "findings", group="Beta Trust"),
             _result(tmp_path, "findings-for-a", "findings", group="Alpha Hospice"),
             _result(tmp_path, "02_beyond_first_logins-oulad", "02_beyond_first_logins",
                     dataset="oulad"),
             _result(tmp_path, "06_drivers-oulad", "06_drivers", dataset="oulad",
                     partner=False, failures=[batches.Failure(
                         "partner", "privacy scan", "privacy scan: 1 email found")]),
             _result(tmp_path, "05_community-forum", "05_community", dataset="forum-mooc-ed",
                     partner=False, skipped="optional run skipped: its dataset is absent")]
    return made


def test_the_index_is_rendered_by_jinja_with_autoescape(tmp_path):
    assert publish._templates().autoescape is True
    assert (publish.TEMPLATES / publish.INDEX_TEMPLATE).is_file()
    bad = _result(tmp_path, "<script>alert(1)</script>", "01_overview", group="<b>Org</b>",
                  notes=["<img src=x onerror=alert(2)>"])
    bad.parameters["title"] = "A & <B>"
    page = _index(tmp_path, [bad])
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Org</b>" not in page and "&lt;b&gt;Org&lt;/b&gt;" in page
    assert "<img" not in page and "A &amp; &lt;B&gt;" in page
    assert [leak["kind"] for leak in scan_html(page)] == []   # no script, nothing fetched


def test_the_index_says_start_here_and_links_the_findings_first(tmp_path, results):
    page = _index(tmp_path, results)
    body = page[page.index("<body>"):]
    start = body.index("Start here")
    links = [m.group(1) for m in re.finditer(r'<a class="report-name" href="([^"]+)"', body)]
    assert links[0] == "findings.partner.html"
    assert body.index('href="findings.partner.html"') > start
    assert links[1:8] == [f"{s}.partner.html" for s in (
        "00_data_quality", "01_overview", "02_beyond_first_logins", "03_channels",
        "04_blended_learning", "05_community", "06_drivers")]
    # one line per report saying what it answers, in the order of the list
    positions = [body.index(publish.REPORT_DESCRIPTIONS[s]) for s in (
        "findings", "00_data_quality", "01_overview", "02_beyond_first_logins", "03_channels",
        "04_blended_learning", "05_community", "06_drivers")]
    assert positions == sorted(positions)
    assert 'href="01_overview.partner.pdf">PDF</a>' in body


def test_the_index_groups_partners_and_real_data_apart_with_details_below(tmp_path, results):
    page = _index(tmp_path, results)
    body = page[page.index("<body>"):]
    detailed = body.index("The detailed reports (data: demo)")
    partners = body.index("For each partner organisation")
    alpha, beta = body.index("<h3>For Alpha Hospice</h3>"), body.index("<h3>For Beta Trust</h3>")
    real = body.index("On real data")
    oulad = body.index("<h3>Real data: oulad</h3>")
    forum = body.index("<h3>Real data: forum-mooc-ed</h3>")
    table = body.index("<table")
    assert detailed < partners < alpha < beta < real < oulad < forum < table
    # the real-data runs are listed under their source, naming the notebook, not above it
    oulad_line = body.index('href="02_beyond_first_logins-oulad.partner.html"')
    assert oulad < oulad_line < forum
    assert "(notebook 02_beyond_first_logins)" in body[oulad:forum]
    assert body.index('href="findings-for-a.partner.html"') > alpha
    # status, run time, parameters, provenance and problems: kept, below the list
    for detail in ("privacy scan: 1 email found", "1.5 s", "2026-01-01T00:00:00+00:00",
                   "<code>min_group_size</code>", "data/processed/oulad", "Provenance",
                   "optional run skipped", "commit:"):
        assert body.index(detail) > table, detail
    assert body.count('<td class="failed">') == 1 and body.count('<td class="skipped">') == 1
    assert body.count('<td class="ok">') == len(results) - 2
    assert "no-raw-scan" not in body


def test_the_no_raw_scan_warning_stays_at_the_top(tmp_path, results):
    page = _index(tmp_path, results, raw_scan=False)
    body = page[page.index("<body>"):]
    assert body.index("--no-raw-scan") < body.index("Start here")


def test_without_batch_defaults_the_most_used_dataset_is_the_batch_own(tmp_path, results):
    page = _index(tmp_path, results, defaults={})
    body = page[page.index("<body>"):]
    assert body.index("The detailed reports (data: demo)") < body.index(
        'href="03_channels.partner.html"') < body.index("Real data: oulad")


def test_load_batch_keeps_its_defaults(tmp_path):
    from test_batch import write_config, write_notebook

    write_notebook(tmp_path / "notebooks" / "a.ipynb", "x = 1")
    config = write_config(tmp_path, {"batch": "b", "defaults": {
        "dataset": "data/processed/demo", "min_group_size": 5},
        "runs": [{"notebook": "notebooks/a.ipynb"}]})
    loaded = batches.load_batch(config)
    assert loaded.defaults == {"dataset": str(tmp_path.resolve() / "data/processed/demo"),
                               "min_group_size": 5}


# --- the PDF step when there is nothing to print with ----------------------------------------

def _publish_one(tmp_path, printer) -> batches.RunResult:
    run = batches.Run(name="r", notebook=tmp_path / "r.ipynb", parameters={})
    result = batches.RunResult(name="r", notebook=run.notebook, parameters={})
    batches._publish(run, notebook("# A report", "## Part"), result, tmp_path, (),
                     raw_scan=False, published={}, printer=printer)
    return result


def test_without_chromium_the_html_is_published_and_the_run_notes_it(tmp_path, monkeypatch):
    monkeypatch.setattr(batches, "find_chromium", lambda: None)
    with batches.PdfPrinter() as printer:
        first, second = _publish_one(tmp_path, printer), _publish_one(tmp_path, printer)
    for result in (first, second):
        assert result.ok and result.pdf is None
        assert result.notes[0] == "PDF not written: chromium not found"
        assert (tmp_path / "r.partner.html").exists()
    assert printer.unavailable == "chromium not found"
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*.tmp"))


def test_without_playwright_the_run_notes_it_too(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)   # import fails
    with batches.PdfPrinter() as printer:
        result = _publish_one(tmp_path, printer)
    assert result.ok and result.pdf is None
    assert result.notes[0].startswith("PDF not written: chromium not found")
    assert "Playwright is not installed" in result.notes[0]


def test_a_withheld_page_is_never_printed(tmp_path):
    class Refuses(batches.PdfPrinter):
        def pdf(self, page_html):
            raise AssertionError("printed a page")

    run = batches.Run(name="r", notebook=tmp_path / "r.ipynb", parameters={})
    result = batches.RunResult(name="r", notebook=run.notebook, parameters={})
    leaky = notebook("# R", {"outputs": [{"text/plain": "mail jo.bloggs@example.org"}]})
    batches._publish(run, leaky, result, tmp_path, (), raw_scan=False, published={},
                     printer=Refuses())
    assert not result.ok and result.pdf is None and result.withheld is not None
    assert not list(tmp_path.glob("*.pdf"))


def test_no_pdf_prints_nothing(tmp_path):
    result = _publish_one(tmp_path, None)
    assert result.ok and result.pdf is None and result.notes == [
        "partner page NOT scanned for names from the raw exports (--no-raw-scan)"]
