"""A real batch attacked: can a reader of partner pages work out a hidden count?

The session's demo batch (conftest.demo_batch: the findings, 00-06 and one findings page per
organisation) is read back as data: every executed notebook stores each Result it shows, as
computed (researcher) and as controlled (partner). A reader is assumed to hold every
overall partner page and their own organisation's page; the stronger check gives them any
two organisations' pages too. For each hidden count, tests/attack.py's linear programme
finds the bounds everything shown allows (counts, totals, complements, shares, intervals,
the own-organisation rows against the overall page); none may be pinned. A page made to
leak shows the attack can fail. Every partner page is also checked for numbers a reader
cannot use: p printed as 0, intervals whose ends print the same, -0.00, inf, nan.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import nbformat
import pytest

from attack import attack
from engagement import publish
from engagement.results import MIME, Result

pytestmark = pytest.mark.slow

MIN_SIZE = 5


def stored(path) -> list[tuple[Result, Result]]:
    """(as computed, as a partner sees it) for every Result a partner page shows, in order."""
    nb = nbformat.read(path, as_version=4)
    pairs = []
    for cell in nb.cells:
        if cell.cell_type != "code" or publish.PARTNER_HIDDEN_TAGS & set(
                cell.metadata.get("tags", [])):
            continue
        by = {"researcher": [], "partner": []}
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME in data and data[MIME].get("kind") != "display.provenance":
                # (the provenance table is the researcher's footer: partners get a line)
                by[publish.output_audience(output)].append(Result.from_dict(data[MIME]))
        assert len(by["researcher"]) == len(by["partner"]), path.name
        pairs += list(zip(by["researcher"], by["partner"]))
    return pairs


@pytest.fixture(scope="module")
def pages(demo_batch):
    """{run name: [(computed, partner) Result pairs]} for every run of the batch."""
    found = {}
    for name, result in demo_batch["results"].items():
        assert result.ok, [f.describe() for f in result.failures]
        found[name] = stored(result.executed)
    return found


def _split(pages):
    overall = [n for n in pages if not n.startswith("findings-for-")]
    own = [n for n in pages if n.startswith("findings-for-")]
    return overall, own


def _attack(pages, names):
    held = [[partner for _, partner in pages[n]] for n in names]
    truth = [[computed for computed, _ in pages[n]] for n in names]
    return attack(held, min_size=MIN_SIZE, truth=truth)


def test_the_batch_stores_every_table_as_data(pages):
    overall, own = _split(pages)
    assert len(own) == 6 and len(overall) == 8
    kinds = {computed.kind for n in pages for computed, _ in pages[n]}
    assert {"retention.return_after_k", "blended.attendance_lift",
            "community.landmark_hazard"} <= kinds
    hidden = sum(partner.hidden.to_numpy().sum() for n in pages for _, partner in pages[n])
    assert hidden > 0   # the demo's small organisations do hide cells: the attack has targets


def test_no_hidden_count_comes_back_from_the_overall_pages_and_ones_own_page(pages):
    overall, own = _split(pages)
    for name in own:
        assert _attack(pages, [*overall, name]) == [], name


def test_no_hidden_count_comes_back_from_any_two_organisations_pages(pages):
    overall, own = _split(pages)
    for a, b in itertools.combinations(own, 2):
        assert _attack(pages, [*overall, a, b]) == [], (a, b)


def test_the_attack_finds_a_page_that_was_not_suppressed_in_step(pages):
    """An organisation's page whose "all other organisations" row shows what its own row
    hides: the overall page gives the hidden cell back."""
    overall, own = _split(pages)
    for name in own:
        for index, (computed, partner) in enumerate(pages[name]):
            if partner.kind != "retention.return_after_k" or partner.partition is None:
                continue
            hidden = partner.hidden.copy()
            own_rows = [i for i in range(len(partner.table))
                        if partner.table["comparison"].iloc[i] != "all other organisations"]
            rest = [i for i in range(len(partner.table)) if i not in own_rows]
            small = [i for i in own_rows if hidden["returned"].iloc[i]]
            if not small:
                continue
            leaky_table = partner.table.copy()
            for i in rest:   # the rest's cells shown as computed
                for column in partner.columns:
                    leaky_table.loc[i, column] = computed.table[column].iloc[i]
                hidden.loc[i, :] = False
            leaky = replace(partner, table=leaky_table, hidden=hidden,
                            secondary=partner.secondary & hidden)
            held = [[p for _, p in pages[n]] for n in overall]
            truth = [[c for c, _ in pages[n]] for n in [*overall, name]]
            page = [p for _, p in pages[name]]
            page[index] = leaky
            pinned = attack([*held, page], min_size=MIN_SIZE, truth=truth)
            assert pinned, f"{name}: the leaking page was not caught"
            assert {cell.column for cell, _, _ in pinned} & {"returned", "at_risk"}
            return
    pytest.fail("no organisation page hides a returned count: nothing to attack")


# --- numbers a reader can use ---------------------------------------------------------------

class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


NUMBER = r"[+-]?\d[\d,]*(?:\.\d+)?%?"
BAD = {
    "p printed as 0": re.compile(r"\bp\s*=\s*0(?:\.0+)?(?![.\d])", re.I),
    "minus zero": re.compile(r"(?<![\w.])-0(?:\.0+)?%?(?![.\d])"),
    "inf or nan": re.compile(r"(?<![\w-])(?:-?inf|nan|NaN|None)(?![\w-])"),
    "interval with equal ends": re.compile(
        rf"(?<![\w.])({NUMBER})\s*(?:\u2013|to)\s*\1(?![\w.])"),
}


def test_no_partner_page_prints_a_number_a_reader_cannot_use(demo_batch):
    pages = sorted(demo_batch["out"].glob("*.partner.html"))
    assert len(pages) == 14
    problems = []
    for path in pages:
        text = page_text(path.read_text(encoding="utf-8"))
        for what, pattern in BAD.items():
            for m in pattern.finditer(text):
                problems.append(f"{path.name}: {what}: ...{text[max(0, m.start() - 60):m.end() + 20]}")
    assert problems == [], "\n".join(problems[:30])


def test_the_format_check_catches_bad_numbers():
    text = page_text("<p>p = 0.00; 95% CI 19%\u201319%; a change of -0.00; ratio inf</p>"
                     "<table><tr><td>nan</td></tr></table>")
    found = {what for what, pattern in BAD.items() if pattern.search(text)}
    assert found == set(BAD)
    fine = page_text("<p>p &lt; 0.001; 95% CI 19.1%\u201319.4%; +0.2 to +2.4; 0.0; 10 to 20;"
                     " between 71% and 77%</p>")
    assert not any(pattern.search(fine) for pattern in BAD.values())


def test_tables_and_results_agree_with_the_stored_numbers(demo_batch, pages):
    """Tests read numbers as data: a partner page's table cell is the stored one, formatted."""
    computed, partner = next(p for p in pages["findings"]
                             if p[0].kind == "retention.return_after_k")
    html = (demo_batch["out"] / "findings.partner.html").read_text(encoding="utf-8")
    at_risk = int(computed.table.loc[computed.table["k"] == 1, "at_risk"].iloc[0])
    assert f"<td>{at_risk:,}</td>" in html
    assert json.dumps(partner.to_dict(), allow_nan=False)   # stored as strict JSON
