"""batch.py and publish.py: batch file checks, HTML for both audiences, and real papermill +
nbconvert runs.

The end-to-end tests (marked slow) run small notebooks written here with nbformat: a
parameters cell, a matplotlib figure, stdout and stderr output, and one that raises.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from engagement import batch as batches
from engagement import display, publish
from engagement.privacy import scan_html
from engagement.schema import InputError, file_md5

PARAMS = 'dataset = "data/processed/demo"\naudience = "researcher"\nmin_group_size = 5\ntitle = "t"'
FIGURE = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 2))\n"
          "ax.plot([1, 2, 3])\nplt.show()")
ECHO = ("import os, sys, warnings\n"
        "code_marker_in_source = 1\n"
        "print(f'{audience}-audience-ok', 'abs=' + str(os.path.isabs(dataset)),\n"
        "      'cwd=' + os.path.basename(os.getcwd()))\n"
        "print('STDERR-SEEN', file=sys.stderr)\n"
        "warnings.warn('WARNING-SEEN')")
# Any script/link/img whose src or href goes to the network.
FETCH = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*https?://", re.I)


def write_notebook(path: Path, *cells: str, params: str = PARAMS) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A test report"), p,
                *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_config(root: Path, config: dict) -> Path:
    path = root / "reports.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# --- load_batch (no kernel) -------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path):
    write_notebook(tmp_path / "notebooks" / "00_a.ipynb", "x = 1")
    write_notebook(tmp_path / "notebooks" / "01_b.ipynb", "y = 2")
    return tmp_path


def test_load_batch_merges_defaults_names_runs_and_makes_paths_absolute(repo):
    config = write_config(repo, {
        "batch": "demo", "defaults": {"dataset": "data/processed/demo", "min_group_size": 5},
        "runs": [{"notebook": "notebooks/00_a.ipynb"},
                 {"notebook": "notebooks/01_b.ipynb", "name": "b",
                  "parameters": {"min_group_size": 10, "title": "./x"}}]})
    batch = batches.load_batch(config)
    assert batch.name == "demo" and batch.root == repo.resolve()
    assert batch.out_dir() == repo.resolve() / "outputs" / "demo"
    assert batch.out_dir(repo / "elsewhere") == repo / "elsewhere" / "demo"
    a, b = batch.runs
    assert (a.name, b.name) == ("00_a", "b")
    assert a.notebook == repo.resolve() / "notebooks" / "00_a.ipynb"
    assert a.parameters == {"dataset": str(repo.resolve() / "data/processed/demo"),
                            "min_group_size": 5}
    assert b.parameters["min_group_size"] == 10
    assert b.parameters["title"] == str(repo.resolve() / "x")   # ./ marks a path


def test_unknown_parameter_is_an_error_before_anything_runs(repo):
    config = write_config(repo, {
        "batch": "demo",
        "runs": [{"notebook": "notebooks/00_a.ipynb"},
                 {"notebook": "notebooks/01_b.ipynb", "parameters": {"min_grup_size": 3}}]})
    with pytest.raises(InputError) as err:
        batches.load_batch(config)
    message = str(err.value)
    assert "reports.yaml" in message and "'min_grup_size'" in message
    assert "min_group_size" in message          # says what the notebook does declare
    assert "row 4" in message                    # the line of the second run
    assert not (repo / "outputs").exists()


@pytest.mark.parametrize("config, expected", [
    ({"batch": "demo", "runs": [{"notebook": "notebooks/00_a.ipynb"}], "extra": 1},
     "unknown key.*'extra'"),
    ({"batch": "demo", "runs": [{"notebook": "notebooks/00_a.ipynb", "params": {}}]},
     "unknown key.*'params'"),
    ({"batch": "demo", "runs": [{"notebook": "notebooks/missing.ipynb"}]},
     "notebook 'notebooks/missing.ipynb' not found"),
    ({"batch": "de/mo", "runs": [{"notebook": "notebooks/00_a.ipynb"}]}, "folder name"),
    ({"batch": "demo", "runs": []}, "non-empty list"),
    ({"batch": "demo", "runs": [{"notebook": "notebooks/00_a.ipynb"},
                                {"notebook": "notebooks/00_a.ipynb"}]}, "used twice"),
    ({"batch": "demo", "runs": [{"notebook": "notebooks/00_a.ipynb",
                                 "parameters": {"audience": "partner"}}]}, "set by the batch"),
])
def test_load_batch_rejects_bad_files_naming_them(repo, config, expected):
    with pytest.raises(InputError, match=expected) as err:
        batches.load_batch(write_config(repo, config))
    assert "reports.yaml" in str(err.value)


def test_load_batch_reports_yaml_syntax_errors_with_the_line(repo):
    path = repo / "reports.yaml"
    path.write_text("batch: demo\nruns:\n  - notebook: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"reports.yaml, row \d+: not valid YAML"):
        batches.load_batch(path)


def test_notebook_without_audience_parameter_is_refused(repo):
    write_notebook(repo / "notebooks" / "c.ipynb", "z = 1", params="dataset = 'x'")
    config = write_config(repo, {"batch": "demo", "runs": [{"notebook": "notebooks/c.ipynb"}]})
    with pytest.raises(InputError, match="audience"):
        batches.load_batch(config)


def test_repository_reports_yaml_runs_every_notebook_on_the_demo():
    root = Path(__file__).parents[1]
    config = yaml.safe_load((root / "reports.yaml").read_text())
    assert config["batch"] == "demo"
    assert config["defaults"] == {"dataset": "data/processed/demo", "min_group_size": 5}
    run = {r["notebook"] for r in config["runs"]}
    assert {f"notebooks/{p.name}" for p in (root / "notebooks").glob("*.ipynb")} <= run
    batch = batches.load_batch(root / "reports.yaml")  # parameters checked against notebooks
    assert batch.runs[0].notebook.name == "findings.ipynb"  # the summary heads the index
    fanned = [r for r in batch.runs if r.group is not None]
    assert len(batch.runs) - len(fanned) + bool(fanned) == len(config["runs"])
    assert all(r.parameters["organisation"] == r.group for r in fanned)


# --- notebook helpers --------------------------------------------------------------------------

def small_dataset(tmp_path):
    import pandas as pd

    from engagement.schema import Dataset

    utc = lambda s: pd.to_datetime(s, utc=True)  # noqa: E731
    courses = pd.DataFrame({"course": ["B1", "A1"], "title": [None, None],
                            "starts_at": utc(["2024-01-01", "2024-02-01"]),
                            "ends_at": utc([None, None]),
                            "observation_end": utc(["2024-06-01", "2024-06-01"])})
    learners = pd.DataFrame({"learner_id": ["L-0000000001", "L-0000000001", "L-0000000002"],
                             "course": ["A1", "B1", "A1"], "organisation": ["X", "X", "Y"],
                             "enrolled_at": utc([None] * 3), "acquisition_channel": [None] * 3})
    events = pd.DataFrame({"learner_id": ["L-0000000001"] * 2, "course": ["A1"] * 2,
                           "timestamp": utc(["2024-02-03 10:00", "2024-03-09 23:00"])})
    quality = {"written_at": "2024-06-02T00:00:00+00:00", "raw_files": [
        {"source": "moodle", "file": "A1.csv", "md5": "ab" * 16, "rows": 2}]}
    return Dataset(name="tiny", path=tmp_path, quality=quality,
                   tables={"courses": courses, "learners": learners, "events": events})


def test_coverage_markdown_states_courses_learners_and_dates(tmp_path):
    text = display.coverage_markdown(small_dataset(tmp_path))
    assert text == ("This report covers 2 course(s) (A1, B1) and 2 learner(s) in 3 enrolment(s) "
                    "from 2 organisation(s), with 2 recorded event rows from 3 February 2024 to "
                    "9 March 2024 (UTC). Data: the processed dataset `tiny`, prepared "
                    "2024-06-02T00:00:00+00:00.")


def test_table_sizes_and_provenance(tmp_path):
    ds = small_dataset(tmp_path)
    sizes = display.table_sizes(ds)
    assert sizes["table"].tolist() == ["courses", "learners", "events", "outreach", "outcomes"]
    assert sizes["present"].tolist() == [True, True, True, False, False]
    assert sizes["rows"].tolist()[:3] == [2, 3, 2] and sizes["rows"].isna().tolist()[3:] == [
        True, True]
    prov = display.provenance(ds, root=tmp_path).table.set_index("item")["value"]
    assert prov["commit"] == "unavailable"           # tmp_path is not a git checkout
    assert prov["pandas"] == "2.3.3"
    assert prov["raw file moodle/A1.csv"] == "MD5 " + "ab" * 16
    assert prov["dataset"] == "tiny"


# --- HTML conversion of a hand-made executed notebook (no kernel) -----------------------------

# A 1x1 PNG.
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5"
       "ErkJggg==")


def executed_notebook():
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("min_group_size = 5")
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell("min_group_size = 7")
    injected.metadata["tags"] = ["injected-parameters"]
    hidden = nbformat.v4.new_code_cell("internal_only = 1")
    hidden.metadata["tags"] = ["researcher-only"]
    plot = nbformat.v4.new_code_cell("plot_source_line = 1")
    plot.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="stdout kept\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: stderr dropped\n"),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nSome *text*."), params, injected,
                hidden, plot, nbformat.v4.new_code_cell("no_figure = True")]
    return nb


def test_partner_html_has_no_code_parameters_or_stderr_and_is_offline():
    nb = executed_notebook()
    before = json.dumps(nb, sort_keys=True)
    partner = publish.to_html(nb, audience="partner", title="r")
    researcher = publish.to_html(nb, audience="researcher", title="r")
    assert json.dumps(nb, sort_keys=True) == before    # the notebook is not modified
    for text in ("plot_source_line", "min_group_size", "internal_only", "stderr dropped"):
        assert text not in partner
        assert text in researcher
    assert "stdout kept" in partner and "Title" in partner
    assert f'src="data:image/png;base64,{PNG}"' in partner
    assert scan_html(partner) == []
    for page in (partner, researcher):
        assert not FETCH.search(page)
        assert "<script src" not in page and "cdnjs" not in page and "unpkg" not in page
        assert not re.search(r"<link\b", page)


def test_figure_less_notebook_converts():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("only words")]
    assert "only words" in publish.to_html(nb, audience="partner", title="t")
    with pytest.raises(ValueError, match="audience"):
        publish.to_html(nb, audience="public", title="t")


# --- end to end: papermill + nbconvert ------------------------------------------------------

@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    """One real batch: a good notebook, a failing one, and one whose output leaks."""
    root = tmp_path_factory.mktemp("repo")
    write_notebook(root / "notebooks" / "good.ipynb", ECHO, FIGURE, "shown = 'result-42'\nshown")
    write_notebook(root / "notebooks" / "bad.ipynb",
                   "# load\nraise ValueError('deliberate failure')", FIGURE)
    write_notebook(root / "notebooks" / "leaky.ipynb",
                   "print('write to jo.bloggs@example.org about L-0123456789')")
    dataset = root / "data" / "processed" / "demo"
    dataset.mkdir(parents=True)
    raw = root / "data" / "raw" / "demo"
    raw.mkdir(parents=True)
    (raw / "ABC.csv").write_text("userid,fullname\n7,Ann Example\n", encoding="utf-8")
    (dataset / "quality.json").write_text(json.dumps({"raw_dir": "demo", "raw_files": [
        {"source": "moodle", "file": "ABC.csv", "md5": file_md5(raw / "ABC.csv"), "rows": 1}]}))
    config = write_config(root, {
        "batch": "t", "defaults": {"dataset": "data/processed/demo", "min_group_size": 5},
        "runs": [{"notebook": "notebooks/good.ipynb", "parameters": {"title": "A & <B>"}},
                 {"notebook": "notebooks/bad.ipynb"},
                 {"notebook": "notebooks/leaky.ipynb"}]})
    batch = batches.load_batch(config)
    results = batches.run_batch(batch, timeout=120, progress=False)
    return {r.name: r for r in results}, batch.out_dir(), batch.out_dir() / "index.html"


@pytest.mark.slow
def test_failing_notebook_does_not_stop_the_batch(batch_run):
    results, out, _ = batch_run
    assert results["good"].status == "ok"
    assert set(results["good"].html) == {"researcher", "partner"}
    bad = results["bad"]
    assert bad.status == "failed"
    (failure,) = bad.failures
    # cell 0 markdown, 1 parameters, 2 the raising cell (papermill's injected cell not counted)
    assert (failure.cell_index, failure.cell_first_line) == (2, "# load")
    assert (failure.ename, failure.evalue) == ("ValueError", "deliberate failure")
    assert (out / "bad.researcher.html").exists()          # what can be written, is
    assert "deliberate failure" in (out / "bad.researcher.html").read_text()
    assert not (out / "bad.partner.html").exists()
    assert not (out / "bad.partner.pdf").exists() and bad.pdf is None


@pytest.mark.slow
def test_parameters_reach_the_notebook_absolute_with_cwd_and_audience(batch_run):
    _, out, _ = batch_run
    partner = (out / "good.partner.html").read_text()
    researcher = (out / "good.researcher.html").read_text()
    # one execution serves both pages: the notebook is run for both audiences at once
    assert "both-audience-ok abs=True cwd=notebooks" in partner
    assert "both-audience-ok abs=True cwd=notebooks" in researcher
    executed = nbformat.read(out / "good.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters["audience"] == "both"


@pytest.mark.slow
def test_partner_html_hides_code_parameters_and_stderr(batch_run):
    _, out, _ = batch_run
    partner = (out / "good.partner.html").read_text()
    researcher = (out / "good.researcher.html").read_text()
    for text in ("code_marker_in_source", "min_group_size", "STDERR-SEEN", "WARNING-SEEN"):
        assert text not in partner, text
        assert text in researcher, text
    assert "result-42" in partner
    editor = re.compile(r'class="[^"]*\bjp-InputArea-editor\b')   # a code cell's input
    assert not editor.search(partner) and editor.search(researcher)
    assert scan_html(partner) == []


@pytest.mark.slow
def test_both_html_are_offline_with_the_figure_inline(batch_run):
    _, out, _ = batch_run
    for name in ("good.partner.html", "good.researcher.html", "bad.researcher.html",
                 "index.html"):
        page = (out / name).read_text()
        assert not FETCH.search(page), name
    for name in ("good.partner.html", "good.researcher.html"):
        assert re.search(r'<img\b[^>]*src="data:image/png;base64,', (out / name).read_text())
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.slow
def test_leak_in_output_fails_the_partner_scan(batch_run):
    results, out, index = batch_run
    leaky = results["leaky"]
    assert leaky.status == "failed"
    assert {leak["kind"] for leak in leaky.leaks} == {"email", "pseudonym"}
    assert any(f.message.startswith("privacy scan:") for f in leaky.failures)
    assert not (out / "leaky.partner.html").exists()
    assert (out / "leaky.partner.withheld.html").exists()
    assert not list(out.glob("leaky*.pdf")) and leaky.pdf is None   # withheld: not printed
    assert "jo.bloggs@example.org" not in index.read_text()  # the index does not quote it


@pytest.mark.slow
def test_the_partner_page_that_passed_is_also_a_pdf(batch_run):
    results, out, index = batch_run
    good = results["good"]
    if any(note.startswith("PDF not written: chromium not found") for note in good.notes):
        pytest.skip("no chromium here: the run says so and the HTML is published")
    assert good.pdf == out / "good.partner.pdf" and good.ok
    assert good.pdf.read_bytes().startswith(b"%PDF-")
    assert not [n for n in good.notes if n.startswith("PDF")]
    assert 'href="good.partner.pdf">PDF</a>' in index.read_text()
    assert sorted(p.name for p in out.glob("*.pdf")) == ["good.partner.pdf"]


@pytest.mark.slow
def test_index_lists_reports_provenance_and_failures(batch_run):
    _, out, index = batch_run
    assert index == out / "index.html"
    page = index.read_text()
    assert 'href="good.partner.html"' in page and 'href="good.researcher.html"' in page
    assert "cell index 2" in page and "ValueError: deliberate failure" in page
    assert page.count('class="failed"') == 2 and page.count('class="ok"') == 1
    assert file_md5(out.parents[1] / "data" / "raw" / "demo" / "ABC.csv") in page  # raw MD5
    assert "pandas" in page and "nbconvert" in page
    assert "A &amp; &lt;B&gt;" in page and "<B>" not in page       # escaped
    assert "data/processed/demo" in page


@pytest.mark.slow
def test_main_report_exit_code_and_index_path(tmp_path):
    write_notebook(tmp_path / "notebooks" / "ok.ipynb", "shown = 1")          # no figure
    write_notebook(tmp_path / "notebooks" / "boom.ipynb", "1 / 0")
    ok = write_config(tmp_path, {"batch": "ok", "runs": [{"notebook": "notebooks/ok.ipynb"}]})
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        # no dataset, so no raw exports to scan for names: only with --no-raw-scan
        assert batches.main_report(ok, progress=False, timeout=120, raw_scan=False,
                                   pdf=False) == 0
    assert stdout.getvalue().strip() == str(tmp_path / "outputs" / "ok" / "index.html")
    assert (tmp_path / "outputs" / "ok" / "ok.partner.html").exists()
    assert not list((tmp_path / "outputs" / "ok").glob("*.pdf"))    # --no-pdf
    assert "--no-raw-scan" in (tmp_path / "outputs" / "ok" / "index.html").read_text()
    with contextlib.redirect_stdout(io.StringIO()):
        # the same batch with the scan: it cannot run, so the partner page is withheld
        assert batches.main_report(ok, progress=False, timeout=120) == 1
    assert not (tmp_path / "outputs" / "ok" / "ok.partner.html").exists()
    assert (tmp_path / "outputs" / "ok" / "ok.partner.withheld.html").exists()
    assert "privacy scan could not run" in (tmp_path / "outputs" / "ok" / "index.html").read_text()

    failing = write_config(tmp_path, {"batch": "boom",
                                      "runs": [{"notebook": "notebooks/boom.ipynb"}]})
    with contextlib.redirect_stdout(io.StringIO()):
        assert batches.main_report(failing, progress=False, timeout=120) == 1
    assert "ZeroDivisionError" in (tmp_path / "outputs" / "boom" / "index.html").read_text()


# --- fanning a run out over organisations -------------------------------------------------

def test_for_each_fans_a_run_out_over_the_dataset_organisations(repo):
    import pandas as pd

    write_notebook(repo / "notebooks" / "f.ipynb", "z = 1", params=PARAMS + '\norganisation = ""')
    data = repo / "data" / "processed" / "demo"
    data.mkdir(parents=True)
    pd.DataFrame({"learner_id": ["L-1", "L-2", "L-3", "L-4"],
                  "organisation": ["St Anne's Hospice", "Acme", "Acme", None]}
                 ).to_parquet(data / "learners.parquet")
    run = {"notebook": "notebooks/f.ipynb", "name": "findings-for", "for_each": "organisation"}
    config = write_config(repo, {"batch": "demo", "defaults": {"dataset": "data/processed/demo"},
                                 "runs": [{"notebook": "notebooks/00_a.ipynb"}, run]})
    batch = batches.load_batch(config)
    assert [(r.name, r.group) for r in batch.runs] == [
        ("00_a", None), ("findings-for-acme", "Acme"),
        ("findings-for-st-annes-hospice", "St Anne's Hospice")]
    assert batch.runs[2].parameters["organisation"] == "St Anne's Hospice"
    bad = write_config(repo, {"batch": "demo", "defaults": {"dataset": "data/processed/demo"},
                              "runs": [{**run, "for_each": "title_typo"}]})
    with pytest.raises(InputError, match="`for_each` must name a parameter"):
        batches.load_batch(bad)


def test_for_each_without_its_dataset_is_an_error_unless_optional(repo):
    write_notebook(repo / "notebooks" / "f.ipynb", "z = 1", params=PARAMS + '\norganisation = ""')
    run = {"notebook": "notebooks/f.ipynb", "name": "f", "for_each": "organisation"}
    absent = {"dataset": "data/processed/absent"}
    config = write_config(repo, {"batch": "demo", "defaults": absent, "runs": [run]})
    with pytest.raises(InputError, match="needs the run's dataset"):
        batches.load_batch(config)
    config = write_config(repo, {"batch": "demo", "defaults": absent,
                                 "runs": [{**run, "optional": True}]})
    (only,) = batches.load_batch(config).runs
    assert only.optional and only.group is None
    assert batches._skip(only).skipped.startswith("optional run skipped")


# --- fail closed ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [True, False, "5", 5.0, 0, 1, 2, -5, None])
def test_min_group_size_below_three_or_not_a_whole_number_is_refused_before_anything_runs(
        repo, value):
    config = write_config(repo, {"batch": "demo", "defaults": {"min_group_size": value},
                                 "runs": [{"notebook": "notebooks/00_a.ipynb"}]})
    with pytest.raises(InputError, match="min_group_size must be") as err:
        batches.load_batch(config)
    assert "reports.yaml, row 3" in str(err.value)      # the line of the default
    run = {"notebook": "notebooks/00_a.ipynb", "parameters": {"min_group_size": value}}
    with pytest.raises(InputError, match="min_group_size must be"):
        batches.load_batch(write_config(repo, {"batch": "demo", "runs": [run]}))
    assert not (repo / "outputs").exists()


def test_min_group_size_of_three_or_more_is_accepted(repo):
    config = write_config(repo, {"batch": "demo", "defaults": {"min_group_size": 3},
                                 "runs": [{"notebook": "notebooks/00_a.ipynb"}]})
    assert batches.load_batch(config).runs[0].parameters["min_group_size"] == 3


def test_a_second_batch_on_a_locked_folder_stops_with_a_message(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    with batches.lock(out) as held:
        assert held.read_text().split()[0] == str(__import__("os").getpid())
        with pytest.raises(batches.BatchLocked, match="another batch .* is writing"):
            with batches.lock(out):
                pass
    assert not held.exists()                      # released


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / batches.LOCK_NAME).write_text(dead + "\n")
    with batches.lock(tmp_path) as held:
        assert held.read_text().split()[0] != dead


def test_a_new_batch_removes_the_pages_of_runs_no_longer_in_it(tmp_path):
    for name in ("old.partner.html", "old.researcher.html", "old.ipynb", "old.partner.pdf",
                 "old.partner.withheld.html", "index.html", ".old.partner.html.abc123.tmp"):
        (tmp_path / name).write_text("x")
    (tmp_path / "notes.txt").write_text("kept")
    removed = {p.name for p in batches.clear_folder(tmp_path)}
    assert "notes.txt" not in removed and (tmp_path / "notes.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_partner_page_is_named_only_after_its_scan(tmp_path, monkeypatch):
    """Interrupted during the scan, a batch leaves no *.partner.html: the page exists only
    in memory until it has passed."""
    nb = executed_notebook()
    run = batches.Run(name="r", notebook=tmp_path / "r.ipynb", parameters={})
    result = batches.RunResult(name="r", notebook=run.notebook, parameters={})

    def killed(*args, **kwargs):
        assert not list(tmp_path.glob("*.partner*")), "written before its scan"
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "scan_partner", killed)
    with pytest.raises(KeyboardInterrupt):
        batches._publish(run, nb, result, tmp_path, (), False, {})
    assert (tmp_path / "r.researcher.html").exists()
    assert not list(tmp_path.glob("*partner*")) and not list(tmp_path.glob(".*.tmp"))


def test_coverage_of_a_dataset_of_posts_alone_says_what_it_holds(tmp_path):
    import pandas as pd

    from engagement.schema import Dataset

    outreach = pd.DataFrame({"channel": ["facebook", "x", "x"],
                             "published_at": pd.to_datetime(["2024-01-02", "2024-03-04",
                                                             "2024-02-01"], utc=True)})
    ds = Dataset(name="posts", path=tmp_path, quality={}, tables={"outreach": outreach})
    text = display.coverage_markdown(ds)
    assert text.startswith("This report covers 3 posts and messages on facebook, x, published "
                           "from 2 January 2024 to 4 March 2024.")
