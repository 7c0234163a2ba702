"""The batch's privacy guarantees: what a partner HTML may carry, checked on real conversions.

Fast tests build small notebooks with nbformat (no kernel) and convert them with nbconvert;
the slow ones prepare a small demo, rewrite its course, organisation and message names into
HTML/script injections, run real notebooks for both audiences, and check the pages, the
scan against names from the raw exports, and that the pseudonymisation key is written nowhere.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from conftest import REPO
from engagement import batch as batches
from engagement import clean, display, privacy, publish, results, schema

INJECTIONS = {
    "course": ["<script>alert('course')</script>", "<img src=x onerror=alert('course')>"],
    "organisation": ["<script>alert('org')</script>", "<img src=x onerror=alert('org')>"],
}


def _notebook(*cells):
    """An executed-looking notebook: each cell is (source, [outputs])."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Report")]
    for source, outputs in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        nb.cells.append(cell)
    return nb


def _stream(name, text):
    return {"output_type": "stream", "name": name, "text": text}


def _display(data):
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _visible_outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


# --- no stderr, warnings or progress bars in partner HTML ------------------------------------

def test_partner_notebook_drops_warnings_widgets_and_progress_bars():
    nb = _notebook(
        ("x = 1", [_stream("stderr", "STDERR-SEEN UserWarning: careful\n")]),
        ("warn()", [_display({"text/plain": "/site/x.py:12: FutureWarning: WARNING-AS-DATA"})]),
        ("log()", [_display({"text/plain": "WARNING:root:LOG-AS-DATA"})]),
        ("for i in tqdm.notebook.tqdm(range(3)): pass", [_display({
            "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2,
                                                         "version_minor": 0},
            "text/plain": "WIDGET-BAR  0%|          | 0/3"})]),
        ("for i in tqdm(range(10), file=sys.stdout): pass\nprint('RESULT-KEPT 42')",
         [_stream("stdout", "  0%|          | 0/10 [00:00<?, ?it/s]\r 50%|#####     | 5/10"
                            "\r100%|##########| 10/10 [00:01<00:00, 9.9it/s]\nRESULT-KEPT 42\n")]),
        ("print(progress)", [_stream("stdout", "STAGE-BAR 30%|###       | 3/10 [00:01<00:02]\n")]),
        ("1/0", [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "ERROR-SEEN",
                  "traceback": ["ERROR-SEEN"]}]),
        ("table", [_display({"text/plain": "TABLE-KEPT", "text/html": "<p>TABLE-KEPT</p>"})]),
    )
    before = json.dumps(nb)
    stripped = publish.partner_notebook(nb)
    assert json.dumps(nb) == before  # the executed notebook is kept as it was
    kept = _visible_outputs(stripped)
    assert [o.get("text", o.get("data", {}).get("text/plain")) for o in kept] == [
        "RESULT-KEPT 42\n", "TABLE-KEPT"]
    page = publish.to_html(nb, audience="partner", title="t")
    for marker in ("STDERR-SEEN", "WARNING-AS-DATA", "LOG-AS-DATA", "WIDGET-BAR", "STAGE-BAR",
                   "ERROR-SEEN", "it/s", "|#####"):
        assert marker not in page, marker
    assert "RESULT-KEPT 42" in page and "TABLE-KEPT" in page
    researcher = publish.to_html(nb, audience="researcher", title="t")
    assert "STDERR-SEEN" in researcher and "WARNING-AS-DATA" in researcher  # all kept there


def test_a_table_that_merely_mentions_warnings_is_kept():
    nb = _notebook(("show(t)", [_display({"text/plain": "rule  rows\nUserWarning: none  3",
                                          "text/html": "<table><td>Warnings</td></table>"})]),
                   ("print(x)", [_stream("stdout", "share 40% | 4/10 learners\n")]))
    assert len(_visible_outputs(publish.partner_notebook(nb))) == 2


# --- text from the data cannot inject HTML -------------------------------------------------------

def test_markdown_and_tables_from_the_data_are_escaped_for_both_audiences():
    table = pd.DataFrame({"course": INJECTIONS["course"], "learners": [12, 30]})
    display.setup(audience="partner", min_group_size=5)
    shown = display.render_html(display.for_audience(results.Result(
        table, {"course": results.label("Course"), "learners": results.count("Learners")},
        title=INJECTIONS["organisation"][0]), "partner"))
    nb = _notebook(
        ("display(Markdown(sentence))", [_display({
            "text/markdown": f"In {INJECTIONS['course'][0]} and {INJECTIONS['organisation'][1]}"
                             ", see `<kbd>` and [the details](01_overview.partner.html).",
            "text/plain": "<IPython.core.display.Markdown object>"})]),
        ("show(table)", [_display({"text/html": shown, "text/plain": "HTML"})]),
    )
    for audience in ("partner", "researcher"):
        page = publish.to_html(nb, audience=audience, title="t")
        assert "<script" not in page.lower(), audience
        assert not re.search(r"<img[^>]*onerror", page, re.I), audience
        kinds = {leak["kind"] for leak in privacy.scan_html(page)}
        assert not kinds & {"script", "event_handler", "script_url"}, audience
        # the names are still there, as text
        assert "alert(&#x27;course&#x27;)" in page or "alert('course')" in page
        assert 'href="01_overview.partner.html"' in page  # Markdown still renders
    assert privacy.scan_html(publish.to_html(nb, audience="partner", title="t")) == []


def test_the_offline_template_writes_no_script_or_event_handler():
    nb = _notebook(("x = 1", [_stream("stdout", "1\n")]))
    for audience in ("partner", "researcher"):
        page = publish.to_html(nb, audience=audience, title="t")
        assert "<script" not in page.lower()
        kinds = {leak["kind"] for leak in privacy.scan_html(page)}
        assert not kinds & {"script", "event_handler", "script_url"}


# --- the batch's scan uses names from the raw exports ----------------------------------------

def _raw_layout(root: Path) -> Path:
    """data/raw/r1 with a sign-in sheet, data/processed/ds whose quality.json lists it."""
    raw = root / "data" / "raw" / "r1" / "attendance" / "signin_a.csv"
    raw.parent.mkdir(parents=True)
    raw.write_text("Date,Start,Course,Format,Full name,Email,Organisation\n"
                   "22/01/2026,12:30,C1,tutorial,Rosa Clark,rosa@acme.example,Acme\n",
                   encoding="utf-8")
    dataset = root / "data" / "processed" / "ds"
    dataset.mkdir(parents=True)
    (dataset / "quality.json").write_text(json.dumps({
        "raw_dir": "r1", "raw_files": [{"source": "signin", "file": raw.name,
                                         "md5": schema.file_md5(raw), "rows": 1}]}))
    return dataset


def _scan(dataset, body):
    return publish.scan_partner(f"<html><body><main><p>{body}</p></main></body></html>",
                                {"dataset": str(dataset)})


def test_scan_withholds_a_report_naming_someone_from_the_raw_files(tmp_path):
    dataset = _raw_layout(tmp_path)
    assert _scan(dataset, "Twelve learners attended.").passed
    leaked = _scan(dataset, "Twelve learners, among them rosa CLARK, attended.")
    assert not leaked.passed and [leak["kind"] for leak in leaked.leaks] == ["term"]
    written = publish.publish_partner("<p>x</p>", tmp_path / "r.partner.html", leaked)
    assert written.name == "r.partner.withheld.html" and written.exists()
    assert "1 term" in publish.summarise(leaked.leaks)
    assert "osa" not in publish.summarise(leaked.leaks)  # never quoted


def test_a_scan_that_cannot_find_the_raw_files_fails_closed(tmp_path):
    dataset = _raw_layout(tmp_path)
    shutil.rmtree(tmp_path / "data" / "raw")
    scan = _scan(dataset, "Twelve learners attended.")
    assert scan.missing_raw == ("signin_a.csv",) and not scan.passed
    # only a batch run deliberately without the raw scan publishes it
    assert publish.scan_partner("<p>Twelve learners attended.</p>", {"dataset": str(dataset)},
                                raw_scan=False).passed


def test_a_changed_raw_file_is_not_taken_for_the_one_read(tmp_path):
    dataset = _raw_layout(tmp_path)
    raw = tmp_path / "data" / "raw" / "r1" / "attendance" / "signin_a.csv"
    raw.write_text(raw.read_text() + "22/01/2026,12:30,C1,tutorial,Other Person,,Acme\n")
    scan = _scan(dataset, "Twelve learners attended.")
    assert scan.missing_raw == ("signin_a.csv",) and not scan.passed


# --- end to end on a prepared demo -------------------------------------------------------------

KEY = "k3y-for-the-privacy-batch-test-5b1f0e"
SMALL = dict(seed=7, n_learners=240, n_organisations=6, n_courses=2, weeks=10)


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """data/raw/demo and data/processed/{demo,hostile} in one folder, prepared with KEY."""
    from engagement.sources import demo

    root = tmp_path_factory.mktemp("repo")
    raw = root / "data" / "raw" / "demo"
    demo.write_demo(raw, **SMALL)
    mp = pytest.MonkeyPatch()
    mp.setenv("ENGAGEMENT_KEY", KEY)
    processed = clean.prepare("demo", raw, name="demo", processed_root=root / "data" / "processed")
    mp.undo()
    hostile = _hostile_copy(processed, processed.parent / "hostile")
    return root, raw, processed, hostile


def _hostile_copy(source: Path, target: Path) -> Path:
    """The dataset with course and organisation names (and message keys) turned into HTML."""
    shutil.copytree(source, target)
    courses = sorted(pd.read_parquet(source / "courses.parquet")["course"].unique())
    orgs = sorted(pd.read_parquet(source / "learners.parquet")["organisation"].dropna().unique())
    course_map = dict(zip(courses, INJECTIONS["course"]))
    org_map = dict(zip(orgs, INJECTIONS["organisation"]))
    for table in ("courses", "learners", "events", "outcomes", "outreach"):
        path = target / f"{table}.parquet"
        if not path.exists():
            continue
        df = pd.read_parquet(path)
        if "course" in df:
            df["course"] = df["course"].map(lambda v: course_map.get(v, v))
        if "organisation" in df:
            df["organisation"] = df["organisation"].map(lambda v: org_map.get(v, v))
        if "message" in df:
            df["message"] = df["message"].map(
                lambda v: v if pd.isna(v) else f"<b onmouseover=alert(1)>{v}</b>")
        df.to_parquet(path, index=False)
    return target


def _batch(tmp_path, dataset, *runs):
    config = tmp_path / "reports.yaml"
    config.write_text(yaml.safe_dump({
        "batch": "priv", "defaults": {"dataset": str(dataset), "min_group_size": 5},
        "runs": [{**run, "notebook": str(REPO / "notebooks" / f"{run['notebook']}.ipynb")}
                 for run in runs]}))
    return config


@pytest.mark.slow
def test_hostile_names_are_escaped_raw_names_scanned_and_the_key_written_nowhere(layout,
                                                                                 tmp_path):
    root, raw, processed, hostile = layout
    ds = schema.read_dataset(hostile)
    assert set(ds.courses["course"]) == set(INJECTIONS["course"])
    config = _batch(tmp_path, hostile, {"notebook": "findings"},
                    {"notebook": "00_data_quality"},
                    {"notebook": "05_community", "parameters": {"permutations": 50}})
    batch = batches.load_batch(config)
    results = batches.run_batch(batch, out_dir=tmp_path / "out", progress=False)
    out = tmp_path / "out" / "priv"
    # every partner report passed the scan, names from the raw exports included, and the
    # raw files were found (no note says otherwise)
    for r in results:
        assert r.ok, [f.describe() for f in r.failures]
        assert not [n for n in r.notes if "raw input" in n], r.notes
    terms = privacy.raw_identifying_terms(p for p in raw.rglob("*") if p.is_file())
    assert len(terms) > 100 and {"name", "email"} <= set(terms["kind"])
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 7  # 3 reports x 2 audiences + index
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), page.name
        # a real attribute, not text inside a quoted (escaped) attribute value such as alt
        assert not re.search(r"<(?:img|b)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?\son(?:error|mouseover)"
                             r"\s*=", html, re.I), page.name
        kinds = {leak["kind"] for leak in privacy.scan_html(html)}
        assert not kinds & {"script", "event_handler", "script_url"}, (page.name, kinds)
    # the names are in the researcher pages, escaped (so the test did inject them)
    researcher = (out / "00_data_quality.researcher.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in researcher
    # a partner page seeded with a learner's name from the raw exports fails the scan
    partner = (out / "findings.partner.html").read_text(encoding="utf-8")
    name = terms.loc[terms["kind"] == "name", "term"].iloc[0]
    seeded = partner.replace("</main>", f"<p>{name}</p></main>")
    assert privacy.scan_html(partner, extra_terms=terms["term"]) == []
    assert [leak["match"] for leak in privacy.scan_html(seeded, extra_terms=terms["term"])] == [
        name]
    # the key is in no file written: processed data (Parquet bytes, quality.json), HTML,
    # executed notebooks, index
    written = [p for p in (*processed.rglob("*"), *hostile.rglob("*"), *out.rglob("*"))
               if p.is_file()]
    assert len(written) > 20
    for path in written:
        data = path.read_bytes()
        assert KEY.encode() not in data and KEY.encode("utf-16-le") not in data, path


def test_a_researcher_page_with_a_script_fails_its_run():
    failures = batches.researcher_checks(
        "<html><body><p>Course <img src=x onerror=alert(1)></p></body></html>")
    assert [f.stage for f in failures] == ["script check"]
    assert "1 event_handler" in failures[0].message
