"""End to end on a small demo community: raw exports -> prepare -> notebooks -> HTML reports.

Real components throughout: the demo writes real CSV exports, prepare writes real Parquet,
papermill executes the real notebooks on the python3 kernel and nbconvert writes the HTML.
"""

import html
import json
import re
import subprocess
import sys

import pytest

from conftest import REPO, SMALL, write_batch  # noqa: F401 - test_failures imports them
from engagement import batch as batches
from engagement import clean, privacy, schema
from engagement.sources import demo

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def raw_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("raw") / "demo"
    demo.write_demo(out, **SMALL)
    out.chmod(0o555)  # prepare must only read raw data
    return out


@pytest.fixture(scope="module")
def processed(raw_demo, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ENGAGEMENT_KEY", "pipeline-test-key")
    root = tmp_path_factory.mktemp("processed")
    path = clean.prepare("demo", raw_demo, name="demo", processed_root=root)
    mp.undo()
    return path


def test_prepare_writes_a_valid_dataset_with_every_count(processed, raw_demo):
    ds = schema.read_dataset(processed)
    assert {"events", "learners", "courses", "outcomes"} <= set(ds.tables)
    q = ds.quality
    rules = {r["rule"] for r in q["rules"] if r["rows"]}
    assert "exact duplicate row" in rules and "test account" in rules
    assert any("teacher-only" in r or "reserved" in r or "admin" in r for r in rules)
    assert q["timezones"]["moodle_logs"] == "Europe/London"
    assert len(q["raw_files"]) == len([p for p in raw_demo.rglob("*.csv")])
    # no raw ids: every learner id is a pseudonym
    for table in ("events", "learners", "outcomes"):
        assert ds.tables[table]["learner_id"].str.fullmatch(r"L-[0-9a-f]{10}").all()
    assert ds.events["target_learner_id"].dropna().str.fullmatch(r"L-[0-9a-f]{10}").all()
    attendance = [m for m in q["matching"]]
    assert attendance and 0.75 < attendance[0]["match_rate"] < 0.97


def test_prepare_leaves_the_raw_exports_untouched(processed, raw_demo):
    # (root ignores the read-only bit, so compare the files with what the demo wrote)
    manifest = json.loads((raw_demo / "MANIFEST.json").read_text())
    written = {f["path"]: f["md5"] for f in manifest["files"]}
    present = {p.relative_to(raw_demo).as_posix(): schema.file_md5(p)
               for p in raw_demo.rglob("*") if p.is_file() and p.name != "MANIFEST.json"}
    assert present == written


def test_results_do_not_depend_on_the_key(raw_demo, tmp_path):
    a = clean.prepare("demo", raw_demo, name="a", processed_root=tmp_path, key=b"first-secret-key-123")
    b = clean.prepare("demo", raw_demo, name="b", processed_root=tmp_path, key=b"second-secret-key-456")
    ea, eb = schema.read_dataset(a).events, schema.read_dataset(b).events
    assert not set(ea["learner_id"]) & set(eb["learner_id"])
    summary = lambda e: e.groupby("learner_id").size().sort_values().tolist()
    assert summary(ea) == summary(eb)
    for path in (a, b):
        for file in path.iterdir():
            assert b"secret-key" not in file.read_bytes(), file


def test_batch_writes_researcher_and_partner_reports_and_an_index(processed, tmp_path):
    config = write_batch(tmp_path, "ci", processed, {"notebook": "00_data_quality"},
                         {"notebook": "01_overview"})
    code = batches.main_report(config, out_dir=tmp_path / "out")
    out = tmp_path / "out" / "ci"
    index = (out / "index.html").read_text()
    assert code == 0, index
    for name in ("00_data_quality", "01_overview"):
        for audience in ("researcher", "partner"):
            assert f"{name}.{audience}.html" in index
            assert (out / f"{name}.{audience}.html").exists()
        partner = (out / f"{name}.partner.html").read_text()
        assert privacy.scan_html(partner) == []
        assert "import " not in partner and "min_group_size =" not in partner
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", partner)
        assert "data:image/png;base64" in partner  # figures inline
    researcher = (out / "01_overview.researcher.html").read_text()
    assert "weekly_active" in researcher and "jp-InputArea" in researcher


def test_cli_validate_prints_a_summary(processed):
    run = subprocess.run([sys.executable, "-m", "engagement.cli", "validate", str(processed)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "valid against the contract" in run.stdout and "events" in run.stdout


@pytest.mark.realdata
def test_oulad_prepares_and_its_reports_run(shared_data_dir, tmp_path, monkeypatch):
    """The real OULAD folder (read-only) through prepare and the retention notebook."""
    monkeypatch.setenv("ENGAGEMENT_KEY", "oulad-test-key")
    path = clean.prepare("oulad", shared_data_dir("oulad"), name="oulad",
                         processed_root=tmp_path / "processed")
    ds = schema.read_dataset(path)
    assert ds.quality["time_resolution"] == "day"
    assert set(ds.courses["course"]) == {"AAA-2013J", "AAA-2014J", "BBB-2013B", "BBB-2013J"}
    assert (ds.learners["learner_id"].str.fullmatch(r"L-[0-9a-f]{10}")).all()
    config = write_batch(tmp_path, "oulad", path, {
        "notebook": "02_beyond_first_logins",
        "parameters": {"group_columns": ["course"], "cohort": "month"}})
    assert batches.main_report(config, out_dir=tmp_path / "out") == 0
    partner = (tmp_path / "out" / "oulad" / "02_beyond_first_logins.partner.html").read_text()
    assert "BBB-2013J (partial, observed to 11 February 2014)" in partner
    assert "active day" in partner  # daily totals: no sessions


def test_an_optional_run_without_its_dataset_is_skipped_not_failed(tmp_path):
    config = write_batch(tmp_path, "b", tmp_path / "absent",
                         {"notebook": "00_data_quality", "optional": True})
    assert batches.main_report(config, out_dir=tmp_path / "out") == 0
    index = (tmp_path / "out" / "b" / "index.html").read_text()
    assert "skipped" in index and "has not been prepared" in index


def test_blended_community_and_drivers_reports_run_on_the_demo(processed, tmp_path):
    config = write_batch(tmp_path, "bc", processed, {"notebook": "04_blended_learning"},
                         {"notebook": "05_community", "parameters": {"permutations": 200}},
                         {"notebook": "06_drivers", "parameters": {"n_boot": 50}})
    code = batches.main_report(config, out_dir=tmp_path / "out")
    out = tmp_path / "out" / "bc"
    assert code == 0, (out / "index.html").read_text()
    blended = (out / "04_blended_learning.partner.html").read_text()
    assert "attendance was chosen, not assigned, so selection may remain" in blended
    assert "In week -1 before the session" in blended
    social = (out / "05_community.partner.html").read_text()
    assert "E-I index" in social and "hazard ratio" in social
    names = set(schema.read_dataset(processed).learners["organisation"].dropna())
    drivers_report = (out / "06_drivers.partner.html").read_text()
    assert "pooled" in drivers_report  # the cross-validation folds, numbered, not named
    for page in (blended, social, drivers_report):
        assert privacy.scan_html(page, extra_terms=names) == []
        assert page.count("data:image/png;base64") >= 2
    # one dot per person: the network drawing is for researchers only
    assert "Reply network of" in (out / "05_community.researcher.html").read_text()
    assert "Reply network of" not in social


@pytest.mark.realdata
def test_real_forum_network_prepares_and_its_report_runs(shared_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_KEY", "forum-test-key")
    path = clean.prepare("reply_network", shared_data_dir("forum-mooc-ed"), name="forum",
                         processed_root=tmp_path / "processed")
    ds = schema.read_dataset(path)
    assert ds.courses["course"].tolist() == ["DLT2"]
    assert (ds.events["learner_id"].str.fullmatch(r"L-[0-9a-f]{10}")).all()
    rules = clean.rules_summary(ds.quality).set_index("rule")["rows"]
    assert rules.filter(like="self-reply").sum() == 25
    config = write_batch(tmp_path, "forum", path,
                         {"notebook": "05_community", "parameters": {"permutations": 200}})
    assert batches.main_report(config, out_dir=tmp_path / "out") == 0
    partner = (tmp_path / "out" / "forum" / "05_community.partner.html").read_text()
    assert "records no workplace" in partner and "In DLT2, 398 learners" in partner


def test_findings_fan_out_one_report_per_organisation(processed, tmp_path):
    """Each partner's findings name that partner and no other; the index groups them."""
    config = write_batch(tmp_path, "fan", processed, {
        "notebook": "findings", "name": "findings-for", "for_each": "organisation"})
    batch = batches.load_batch(config)
    names = sorted(schema.read_dataset(processed).learners["organisation"].dropna().unique())
    assert [r.group for r in batch.runs] == names
    assert batches.main_report(config, out_dir=tmp_path / "out") == 0
    out = tmp_path / "out" / "fan"
    index = (out / "index.html").read_text()
    for run in batch.runs:
        partner = (out / f"{run.name}.partner.html").read_text()
        others = [n for n in names if n != run.group]
        assert privacy.scan_html(partner, extra_terms=others) == []
        assert run.group in html.unescape(partner)
        assert f"For {run.group}" in html.unescape(index)


def _stored(nb, kind):
    """The Results of `kind` a notebook stored (researcher versions), in page order."""
    from engagement import publish

    return [r for r in publish.stored_results(nb, "researcher") if r.kind == kind]


def _markdown_outputs(nb) -> str:
    return "\n".join(o["data"]["text/markdown"] for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if "text/markdown" in o.get("data", {}))


def _run_findings(path, out):
    import papermill

    return papermill.execute_notebook(str(REPO / "notebooks" / "findings.ipynb"), str(out),
                                      parameters={"dataset": str(path)}, kernel_name="python3",
                                      cwd=str(REPO / "notebooks"), progress_bar=False)


def test_findings_numbers_are_the_library_numbers_for_two_seeds(processed, tmp_path):
    """The findings page's tables are the headlines' Results, read back as data."""
    from engagement import findings

    other = tmp_path / "raw"
    demo.write_demo(other, **{**SMALL, "seed": 11})
    datasets = [processed, clean.prepare("demo", other, name="demo11",
                                         processed_root=tmp_path / "processed")]
    shares = []
    for i, path in enumerate(datasets):
        nb = _run_findings(path, tmp_path / f"findings{i}.ipynb")
        heads = findings.headlines(schema.read_dataset(path), campaign="Spring 2026 recruitment")
        (recommended,) = _stored(nb, "findings.recommendations")
        assert recommended.table["found"].tolist() == [findings.summary_sentence(h)
                                                       for h in heads]
        for head in heads:
            if head.result is None:
                continue
            # the headline's number, its interval: the same in the table the page stored
            (stored,) = [r for r in _stored(nb, head.result.kind)][:1]
            label = next(c for c, col in head.result.columns.items() if col.kind == "label")
            key = head.result.table[label].iloc[head.row]
            row = stored.table[stored.table[label] == key].iloc[0]
            for column in (head.estimate, head.low, head.high):
                assert row[column] == pytest.approx(head.value(column), rel=1e-9), column
        shares.append(heads[0].value("share"))
    assert shares[0] != shares[1]  # two different communities, two different numbers


NULL_SEED = 1  # seeds 0, 7 and 9 of 0-9 show a chance "clear" result somewhere (see below)


def test_findings_say_no_clear_difference_for_every_planted_effect_when_none_is_planted(tmp_path):
    """The full-size demo with every planted effect set to zero, through the findings report.

    Each headline test has a 5% false-alarm rate, so a report with six of them shows one by
    chance in about a quarter of communities. Measured on seeds 0-9 (library calls): the
    e-mail test on seed 0 (Holm p = 0.036), X against Facebook on seed 7 and replies received
    among the drivers on seed 9 (cluster-robust CI 1.09-2.94; wild bootstrap p = 0.049); every
    other headline covered "no difference" on every seed. This test pins one of the seeds
    where none did, so a change that manufactures an effect is caught.
    """
    from engagement import drivers, findings

    raw = tmp_path / "raw"
    demo.write_demo(raw, seed=NULL_SEED, effects=0)
    path = clean.prepare("demo", raw, name="null", processed_root=tmp_path / "processed")
    nb = _run_findings(path, tmp_path / "findings.ipynb")
    heads = findings.headlines(schema.read_dataset(path), campaign="Spring 2026 recruitment")
    compared = [h for h in heads if h.null is not None]
    assert [h.question for h in compared] == ["channels", "blended", "community", "drivers"]
    for head in compared:
        assert findings.verdict(head) == "no clear difference", head.question
    # the page says so: its recommendations table, read back as data
    (recommended,) = _stored(nb, "findings.recommendations")
    said = dict(zip(recommended.table["question"], recommended.table["how_sure"]))
    for head in compared:
        assert said[head.heading].startswith("Not sure"), head.question
    # every channel of the split test, within message, and every pair of e-mail variants
    paired = next(h for h in heads if h.question == "channels").result.table
    assert ((paired["ci_low"] <= 0) & (paired["ci_high"] >= 0)).all()
    text = _markdown_outputs(nb)
    pairs = re.findall(r"There was no clear difference between (\w+) and (\w+)", text)
    assert sorted(map(sorted, pairs)) == [["A", "B"], ["A", "C"], ["B", "C"]]  # e-mail test

    # the drivers' table behind that sentence: both planted drivers' intervals cover 1
    model = next(h for h in heads if h.question == "drivers").result.table.set_index("term")
    for term in ("replies_received", "colleague_activity"):
        assert model.loc[term, "ci_low"] <= 1 <= model.loc[term, "ci_high"], term
    assert drivers.INTERCEPT in model.index
