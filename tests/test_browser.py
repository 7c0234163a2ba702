"""Every generated report opened in a real browser: Debian's Chromium driven by Playwright.

A module fixture runs one real batch (demo exports -> prepare -> every notebook in notebooks/
for both audiences -> HTML and the index); each HTML file is then opened from file:// with
the network blocked and must show no console error, no failed or external request, every
image loaded and at least one table. A full-page screenshot of each is kept in
``outputs/browser-check/`` for a person to look at.

Every page also has a title, a way back to the index and contents; every partner page
fits its width on screen (1280 px) and on A4 (print emulation, 794 px), and was printed to
a PDF whose text can be read back.

Playwright never downloads a browser here (no `playwright install`): it drives
/usr/bin/chromium, which .ci/run installs with apt when missing.
"""

import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} absent: the browser tests drive Debian's chromium "
                "(apt-get install chromium; .ci/run does this)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright not importable (pip install -e '.[test]')")

from conftest import DEMO_NOTEBOOKS, SMALL  # noqa: E402
from test_publish import Page, check_page_outline  # noqa: E402

SCREENSHOTS = REPO / "outputs" / "browser-check"
AUDIENCES = ("partner", "researcher")
ORGANISATIONS = SMALL["n_organisations"]
HTML_FILES = [f"{stem}.{audience}.html" for stem in DEMO_NOTEBOOKS for audience in AUDIENCES] + [
    "index.html"]


# --- the check ------------------------------------------------------------------------------

@dataclass
class PageCheck:
    """What one page did in the browser."""

    path: Path
    console_errors: list = field(default_factory=list)   # "text (at url:line)"
    page_errors: list = field(default_factory=list)      # uncaught exceptions
    failed_requests: list = field(default_factory=list)  # "url: failure"
    external_requests: list = field(default_factory=list)  # anything not file: or data:
    broken_images: list = field(default_factory=list)    # src of <img> with naturalWidth 0
    broken_links: list = field(default_factory=list)     # <a href> to a local file not there
    images: int = 0
    tables: int = 0

    def problems(self) -> list[str]:
        """One line per problem, each naming the file; empty when the page is clean."""
        name = self.path.name
        out = [f"{name}: console error: {m}" for m in self.console_errors]
        out += [f"{name}: uncaught page error: {m}" for m in self.page_errors]
        out += [f"{name}: failed request: {m}" for m in self.failed_requests]
        out += [f"{name}: external request (blocked): {m}" for m in self.external_requests]
        out += [f"{name}: image not loaded: {m}" for m in self.broken_images]
        out += [f"{name}: link to a missing file: {m}" for m in self.broken_links]
        return out


def check_page(browser, path: Path, *, screenshot: Path | None = None) -> PageCheck:
    """Open `path` from file:// in a fresh context with the network blocked and record problems.

    Every request whose URL is neither file: nor data: is recorded as external and aborted
    (so it also shows up as a failed request and usually a console error).
    """
    check = PageCheck(path=path)
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            check.external_requests.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()

    def console(message):
        if message.type == "error":
            where = message.location or {}
            url = str(where.get("url", ""))[:120]
            check.console_errors.append(f"{message.text} (at {url}:{where.get('lineNumber', '?')})")

    page.on("console", console)
    page.on("pageerror", lambda error: check.page_errors.append(str(error)))
    page.on("requestfailed",
            lambda request: check.failed_requests.append(f"{request.url[:120]}: {request.failure}"))
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        images = page.evaluate(
            "Array.from(document.images, i => ({src: (i.getAttribute('src') || '').slice(0, 80),"
            " ok: i.complete && i.naturalWidth > 0}))")
        check.images = len(images)
        check.broken_images = [i["src"] for i in images if not i["ok"]]
        check.tables = page.evaluate("document.querySelectorAll('table').length")
        # the index links every report, the findings link the detailed ones: all must exist
        for href in page.evaluate("Array.from(document.links, a => a.href)"):
            target = urlsplit(href)
            if target.scheme == "file" and not Path(unquote(target.path)).exists():
                check.broken_links.append(href)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return check


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox"])  # CI runs as root
        yield launched
        launched.close()


@dataclass
class Batch:
    out: Path       # the batch folder: <name>.<audience>.html and index.html
    results: dict   # run name -> RunResult


@pytest.fixture(scope="module")
def batch(demo_batch):
    """The session's demo batch (conftest): every notebook, both audiences, one findings
    page per organisation, and the index."""
    # a fresh folder each session: no screenshot left over from a report no longer written
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    return Batch(out=demo_batch["out"], results=demo_batch["results"])


# --- tests ----------------------------------------------------------------------------------

def test_the_batch_writes_every_report(batch):
    failures = [f"{name}: {f.describe()}" for name, r in batch.results.items() for f in r.failures]
    assert failures == [], "\n".join(failures)
    written = sorted(p.name for p in batch.out.glob("*.html"))
    fanned = [n for n in written if n.startswith("findings-for-")]
    assert len(fanned) == 2 * ORGANISATIONS
    assert sorted(set(written) - set(fanned)) == sorted(HTML_FILES)


def _pages():
    return HTML_FILES + [f"findings-for-{i}.{a}.html" for i in range(ORGANISATIONS)
                         for a in AUDIENCES]


@pytest.mark.parametrize("name", _pages())
def test_report_opens_cleanly_in_chromium(browser, batch, name):
    if name.startswith("findings-for-"):  # the i-th organisation's page, whatever its name
        i, audience = int(name.split("-")[2].split(".")[0]), name.split(".")[1]
        name = sorted(n for n in batch.results if n.startswith("findings-for-"))[i] + \
            f".{audience}.html"
    path = batch.out / name
    if name != "index.html":
        # a failed run is reported here too (its cell and error), not as a missing file
        stem, audience, _ = name.rsplit(".", 2)
        failures = [f.describe() for f in batch.results[stem].failures
                    if f.audience in (audience, "")]
        assert failures == [], f"{name}: the notebook failed: " + "; ".join(failures)
    assert path.exists(), f"{name} was not written (files: {sorted(os.listdir(batch.out))})"
    check = check_page(browser, path, screenshot=SCREENSHOTS / f"{path.stem}.png")
    assert check.problems() == [], "\n".join(check.problems())
    assert check.tables >= 1, f"{name}: no <table> in the page"
    assert (SCREENSHOTS / f"{path.stem}.png").stat().st_size > 1000, f"{name}: no screenshot"
    if name != "index.html":
        assert check.images >= 1, f"{name}: no <img> (figures are inlined as data: URIs)"


def test_the_check_catches_a_broken_page(browser, tmp_path):
    """A missing image, an external script and console.error are each reported."""
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
           "RU5ErkJggg==")
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><script src="https://cdn.example.org/lib.js"></script>'
        '</head><body><img src="missing.png"><img src="data:image/png;base64,' + png + '">'
        '<table><tr><td>1</td></tr></table><a href="absent.html">a</a><a href="bad.html#top">b</a>'
        '<script>console.error("deliberate failure"); null.boom;</script></body></html>')
    check = check_page(browser, page, screenshot=tmp_path / "bad.png")
    assert check.external_requests == ["https://cdn.example.org/lib.js"]
    assert check.broken_images == ["missing.png"]  # the data: image loaded
    assert check.images == 2 and check.tables == 1
    assert check.broken_links == [(tmp_path / "absent.html").as_uri()]
    assert any("deliberate failure" in m for m in check.console_errors)
    assert any("null" in m for m in check.page_errors)
    assert any("missing.png" in m and "ERR_FILE_NOT_FOUND" in m for m in check.failed_requests)
    assert any("cdn.example.org" in m for m in check.failed_requests)
    problems = check.problems()
    assert all(p.startswith("bad.html: ") for p in problems)
    assert len(problems) >= 7
    assert (tmp_path / "bad.png").stat().st_size > 0

    clean_page = tmp_path / "good.html"
    clean_page.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,' + png
                          + '"><table><tr><td>1</td></tr></table></body></html>')
    assert check_page(browser, clean_page).problems() == []


# --- the pages' outline, layout and PDF ----------------------------------------------------

def _reports(batch) -> list[Path]:
    return sorted(p for p in batch.out.glob("*.html") if p.name != "index.html")


def _partner_pages(batch) -> list[Path]:
    return sorted(batch.out.glob("*.partner.html"))


def test_every_page_has_a_title_a_way_back_and_contents(batch):
    pages = _reports(batch)
    assert len(pages) == 2 * (len(DEMO_NOTEBOOKS) + ORGANISATIONS)
    for path in pages:
        read = check_page_outline(path.read_text(encoding="utf-8"), name=path.name)
        assert read.h1, f"{path.name}: no <h1>"
        assert read.title != path.name.split(".")[0], f"{path.name}: titled by its file name"
        assert read.h2 and read.toc, f"{path.name}: no contents"
    # an organisation's page is titled by its own h1 (which names the organisation)
    for result in batch.results.values():
        if result.group is not None:
            title = Page(result.html["partner"].read_text(encoding="utf-8")).title
            assert title == Page(result.html["researcher"].read_text(encoding="utf-8")).title
            assert result.group in title, f"{result.name}: title {title!r} names no organisation"


def test_the_index_starts_with_the_findings_and_says_what_each_report_answers(batch):
    from engagement.publish import REPORT_DESCRIPTIONS

    page = (batch.out / "index.html").read_text(encoding="utf-8")
    body = page[page.index("<body>"):]
    start = body.index("Start here")
    assert start < body.index('href="findings.partner.html"') < body.index("<table")
    for stem in DEMO_NOTEBOOKS:
        assert REPORT_DESCRIPTIONS[stem] in body, stem
        assert body.index(f'href="{stem}.partner.html"') < body.index("<table"), stem
    assert body.count("<h3>For ") == ORGANISATIONS
    assert "On real data" not in body   # every run of the demo batch is on its own data


# What sticks out sideways: the document, and any element that scrolls or clips (overflow
# not visible), any table, pre or output area wider than its box, any table wider than
# what holds it.
_OVERFLOW_JS = """() => {
  const out = [];
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className
     ? '.' + e.className.split(/\\s+/).join('.') : '');
  for (const e of document.querySelectorAll('body *')) {
    if (!e.clientWidth) continue;
    const ox = getComputedStyle(e).overflowX;
    const boxed = e.matches(
      'table, pre, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output');
    if ((ox !== 'visible' || boxed) && e.scrollWidth > e.clientWidth + 1)
      out.push(`${name(e)}: scrollWidth ${e.scrollWidth} > clientWidth ${e.clientWidth}`);
    if (e.tagName === 'TABLE' && e.parentElement &&
        e.getBoundingClientRect().width > e.parentElement.clientWidth + 1)
      out.push(`${name(e)}: ${Math.round(e.getBoundingClientRect().width)} px wide in ` +
               `${e.parentElement.clientWidth} px`);
  }
  const doc = document.documentElement.scrollWidth;
  if (doc > window.innerWidth) out.push(`document: ${doc} px wide in ${window.innerWidth} px`);
  return out;
}"""


def overflow_problems(browser, path: Path, *, media: str, width: int) -> list[str]:
    """What sticks out sideways on `path` at `width` px with the `media` emulated."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                  else r.abort())
    try:
        page = context.new_page()
        page.emulate_media(media=media)
        page.goto(path.resolve().as_uri(), wait_until="load")
        return [f"{path.name} ({media}, {width} px): {p}" for p in page.evaluate(_OVERFLOW_JS)]
    finally:
        context.close()


@pytest.mark.parametrize("media, width", [("screen", 1280), ("print", 794)])
def test_partner_pages_fit_their_width_on_screen_and_on_a4(browser, batch, media, width):
    pages = _partner_pages(batch)
    assert len(pages) == len(DEMO_NOTEBOOKS) + ORGANISATIONS
    problems = [p for path in pages for p in overflow_problems(browser, path, media=media,
                                                                 width=width)]
    assert problems == [], "\n".join(problems)


def test_the_overflow_check_catches_a_wide_table(browser, tmp_path):
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><body><div style="overflow:auto"><table><tr>'
                    + "<td>" + "x" * 400 + "</td></tr></table></div></body></html>")
    problems = overflow_problems(browser, page, media="screen", width=800)
    assert any("div" in p and "scrollWidth" in p for p in problems), problems


def _pdf_text(path: Path) -> str:
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDFs (pip install -e '.[test]')")
    text = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_every_partner_page_is_also_a_pdf_with_its_text(batch):
    pages = _partner_pages(batch)
    notes = [f"{n}: {note}" for n, r in batch.results.items() for note in r.notes
             if note.startswith("PDF")]
    assert notes == []
    for path in pages:
        pdf = path.with_suffix(".pdf")
        assert pdf.exists(), f"{pdf.name} was not written"
        assert batch.results[path.name.split(".")[0]].pdf == pdf
        assert pdf.read_bytes()[:5] == b"%PDF-", pdf.name
        h1 = " ".join(unicodedata.normalize("NFKC", Page(path.read_text(
            encoding="utf-8")).h1[0]).split())
        assert h1 in _pdf_text(pdf), f"{pdf.name}: the title {h1!r} is not text in the PDF"
    assert not list(batch.out.glob("*.researcher.pdf"))
    assert not [p.name for p in batch.out.iterdir() if p.name.startswith(".")]


def test_the_printer_uses_one_browser_for_every_page_and_prints_a4(tmp_path):
    from engagement import batch as batches

    html = ('<!DOCTYPE html><html><head><title>t</title></head><body><h1>Page {n} on A4'
            '</h1><img src="https://example.org/x.png"><p>{text}</p></body></html>')
    with batches.PdfPrinter() as printer:
        printer.write(html.format(n=0, text="warm-up"), tmp_path / "0.partner.pdf")
        browser = printer._browser
        start = time.perf_counter()
        for n in range(1, 4):
            printer.write(html.format(n=n, text="words " * 400), tmp_path / f"{n}.partner.pdf")
        per_page = (time.perf_counter() - start) / 3
        assert printer._browser is browser          # not one browser per page
    assert printer._executor is None                 # closed with the batch
    print(f"PDF: {per_page:.2f} s per page")
    pypdf = pytest.importorskip("pypdf")
    for n in range(4):
        pdf = pypdf.PdfReader(tmp_path / f"{n}.partner.pdf")
        box = pdf.pages[0].mediabox
        assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4
        assert f"Page {n} on A4" in _pdf_text(tmp_path / f"{n}.partner.pdf")
    assert per_page < 5, f"{per_page:.1f} s per page"


# --- what a programme manager reads first ----------------------------------------------------

_READER = """() => {
  const summary = document.getElementById('summary');
  const first = sel => { const e = document.querySelector(sel); return e ? e : null; };
  const before = (a, b) => !b || !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  const table = first('table'), image = first('img');
  const headers = Array.from(document.querySelectorAll('th'), th => th.innerText.trim());
  const codes = Array.from(document.querySelectorAll('main code, .jp-OutputArea code'),
                           c => c.innerText.trim());
  const images = Array.from(document.images, i => i.getAttribute('alt') || '');
  const sections = Array.from(document.querySelectorAll('h2'), h => h.innerText.trim());
  return {summary: summary ? summary.innerText : null,
          summaryFirst: !!summary && before(summary, table) && before(summary, image),
          headers, codes, images, sections, h1: (first('h1') || {innerText: ''}).innerText,
          text: document.body.innerText};
}"""


def _read(browser, path: Path) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                  else r.abort())
    page = context.new_page()
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        return page.evaluate(_READER)
    finally:
        context.close()


def test_every_partner_page_opens_with_its_summary_and_speaks_plainly(browser, batch):
    problems = []
    for path in _partner_pages(batch):
        seen = _read(browser, path)
        if not seen["summaryFirst"]:
            problems.append(f"{path.name}: no summary before the first table and figure")
        sentences = [s for s in (seen["summary"] or "").split("\n")[1:] if s.strip()]
        # each with a number, but a number too small to show (said as such)
        if not 1 <= len(sentences) <= 5 or not all(re.search(r"\d", s) or "too few" in s
                                                   for s in sentences):
            problems.append(f"{path.name}: summary of {len(sentences)} sentence(s) "
                            f"without a number in each: {sentences[:2]}")
        snake = [h for h in seen["headers"] if re.search(r"[a-z]_[a-z]", h)]
        if snake:
            problems.append(f"{path.name}: snake_case header(s) {snake[:3]}")
        placeholders = [c for c in seen["codes"] if re.fullmatch(r"[a-z]+(?:_[a-z]+)+", c)]
        if placeholders:
            problems.append(f"{path.name}: unfilled placeholder(s) {placeholders[:3]}")
        if any(not alt or alt.startswith("No description") for alt in seen["images"]):
            problems.append(f"{path.name}: an image without alt text of its own")
    assert problems == [], "\n".join(problems)


def test_an_organisations_page_is_about_that_organisation(browser, batch):
    general = _read(browser, batch.out / "findings.partner.html")
    fanned = sorted(n for n in batch.results if n.startswith("findings-for-"))
    assert fanned
    for name in fanned:
        own = batch.results[name].group
        seen = _read(browser, batch.out / f"{name}.partner.html")
        assert own in seen["h1"], name
        assert own in (seen["summary"] or ""), name
        # every section where its data allow differs from the community's page
        for number in ("1.", "3.", "4.", "5."):
            mine = _section(seen["text"], number)
            theirs = _section(general["text"], number)
            assert mine != theirs and own in mine, (name, number)
        # its details link to nothing about everyone else
        assert "Details:" not in seen["text"], name


def _section(text: str, number: str) -> str:
    """The text of the numbered section (from its heading to the next one)."""
    # the last match: the table of contents lists the headings first
    starts = [m.start() for m in re.finditer(rf"(?m)^{re.escape(number)} ", text)]
    if not starts:
        return ""
    start = starts[-1]
    after = re.search(r"(?m)^\d\. |^Glossary", text[start + 3:])
    return text[start: start + 3 + (after.start() if after else len(text))]
