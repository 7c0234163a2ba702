"""Every generated report opened in a real browser: Debian's Chromium driven by Playwright.

A module fixture runs one real batch (demo exports -> prepare -> every notebook in notebooks/
for both audiences -> HTML and the index); each HTML file is then opened from file:// with
the network blocked and must show no console error, no failed or external request, every
image loaded and at least one table. A full-page screenshot of each is kept in
``outputs/browser-check/`` for a person to look at.

Playwright never downloads a browser here (no `playwright install`): it drives
/usr/bin/chromium, which .ci/run installs with apt when missing.
"""

import os
import shutil
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
