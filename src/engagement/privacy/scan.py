"""The page scan: the safety net run on every finished partner page.

It looks for identities (e-mail and IP addresses, pseudonyms, names from the raw exports),
code, anything fetched from the network or any script, and hidden small cells that the
page's own numbers give back (:func:`recoverable_cells`).
"""

from __future__ import annotations

import html as _html
import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from engagement.privacy.patterns import EMAIL, IPV4, PSEUDONYM_PATTERN, normalise
from engagement.privacy.tables import SECONDARY_MARKER

_DATA_QUOTED = re.compile(r"""(["'])\s*data:.*?\1""", re.S | re.I)
_DATA_CSS = re.compile(r"url\(\s*data:[^)]*\)", re.I)
_DATA_BARE = re.compile(r"data:[a-z]+/[\w.+-]+[^\s\"'<>)]*", re.I)
_EXTERNAL = r"""\s*(?:https?:)?//"""
_TAG_CHECKS = (
    ("external_script", re.compile(rf"<script\b[^>]*\bsrc\s*=\s*[\"']?{_EXTERNAL}[^>]*>", re.I)),
    ("external_link", re.compile(rf"<link\b[^>]*\bhref\s*=\s*[\"']?{_EXTERNAL}[^>]*>", re.I)),
    ("external_image", re.compile(
        rf"<(?:img|image)\b[^>]*\b(?:src|srcset|xlink:href|href)\s*=\s*[\"']?{_EXTERNAL}[^>]*>",
        re.I)),
    ("external_frame", re.compile(
        rf"<(?:iframe|embed|object|audio|video|source|track)\b[^>]*\b(?:src|data)\s*=\s*[\"']?"
        rf"{_EXTERNAL}[^>]*>", re.I)),
    ("external_css", re.compile(
        rf"@import\s+(?:url\(\s*)?[\"']?{_EXTERNAL}[^;]*|url\(\s*[\"']?{_EXTERNAL}[^)]*\)", re.I)),
    ("external_module", re.compile(rf"\bimport\s*\(\s*[\"']{_EXTERNAL}[^)]*\)", re.I)),
)
# Scripts of any kind: a partner page needs none (the offline template writes none), so one
# can only come from data that was not escaped. Inline event handlers likewise; javascript:
# URLs in a link or source attribute too.
_SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)
_ATTR_GAP = r"""(?:\s+|/|(?<=["']))"""  # what may separate attributes: `"x"onerror=` counts
_EVENT_HANDLER = re.compile(
    rf"""<[a-z][\w:-]*(?:{_ATTR_GAP}[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]*))?)*?"""
    rf"""{_ATTR_GAP}on[a-z]+\s*=""", re.I)
_SCRIPT_URL = re.compile(
    r"""<[a-z][^<>]*\b(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*"""
    r"""(?:javascript|vbscript):""", re.I)
# Code input: the editor of a code cell (lab template), the input area of the classic one.
# jp-InputArea alone is not enough: the lab template wraps markdown cells in it too.
_CODE_CLASSES = {"jp-InputArea-editor", "jp-CodeMirrorEditor", "input_area"}
_CLASS_ATTR = re.compile(r"""\bclass\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_CODE_CELL_INPUT = re.compile(
    r"""class\s*=\s*["'][^"']*\bjp-CodeCell\b[^"']*["'][^>]*>\s*<div\s+class\s*=\s*["']"""
    r"""[^"']*\bjp-Cell-inputWrapper\b""", re.I)


def _strip_data_uris(text: str) -> str:
    # Inline images are base64: random text that could spell anything.
    text = _DATA_QUOTED.sub(lambda m: f"{m.group(1)}data:{m.group(1)}", text)
    text = _DATA_CSS.sub("url(data:)", text)
    return _DATA_BARE.sub("data:", text)


def _context(text: str, start: int, end: int, width: int = 30) -> str:
    return re.sub(r"\s+", " ", text[max(0, start - width): end + width]).strip()


def scan_html(html: str, *, extra_terms: Iterable[str] = (),
              others: Iterable[str] = ()) -> list[dict]:
    """Find what must not be in a partner report.

    Looks for: e-mail addresses; IPv4 addresses (four octets 0-255, so three-part version
    numbers such as "2.3.3" do not match); pseudonymised learner ids; code input cells;
    anything fetched from the network (``<script src>``, ``<link href>``, ``<img src>``,
    frames, CSS ``@import``/``url()`` and JS ``import()`` of an ``http(s)://`` or ``//`` URL);
    any other ``<script>`` tag, inline event-handler attribute (``onerror=``, ``onload=``...)
    and ``javascript:`` URL (a report has none: one can only come from text of the data
    that was not escaped); and each of `extra_terms` (names of people or organisations;
    whole words, any case); and hidden small cells that the totals of a table give back
    by subtraction (:func:`recoverable_cells`: a table whose totals were not declared to
    :func:`suppress_small`), that a share beside them or their complement in a shown total
    gives back (:func:`declared_leaks`), or that a table of the same kind on one of the
    `others` pages of the batch gives back by difference (:func:`differencing_leaks`).
    ``data:`` URIs (inline images) are removed before scanning so that base64 cannot match.

    Parameters
    ----------
    html : str
        The page.
    extra_terms : iterable of str
        Words that must not appear.
    others : iterable of str
        The other partner pages of the batch (their HTML) a reader may also hold.

    Returns
    -------
    list of dict
        One per leak, in order of kind then position: ``kind`` (email, ipv4, pseudonym,
        code_input, external_script, external_link, external_image, external_frame,
        external_css, external_module, script, event_handler, script_url, term,
        recoverable_cell), ``match`` (the text found; for a recoverable cell, where it is:
        table, row, column and marker, never the value) and ``context`` (the text around it,
        whitespace collapsed; for a recoverable cell, the equation that gives it back).
        Empty when the page is clean.
    """
    page = _strip_data_uris(html)
    text = _html.unescape(page)
    leaks: list[dict] = []

    def add(kind: str, source: str, m: re.Match) -> None:
        leaks.append({"kind": kind, "match": m.group(0),
                      "context": _context(source, m.start(), m.end())})

    for kind, pattern in (("email", EMAIL), ("ipv4", IPV4), ("pseudonym", PSEUDONYM_PATTERN)):
        for m in pattern.finditer(text):
            add(kind, text, m)
    for m in _CLASS_ATTR.finditer(page):
        if _CODE_CLASSES & set(m.group(2).split()):
            add("code_input", page, m)
    for m in _CODE_CELL_INPUT.finditer(page):
        add("code_input", page, m)
    for kind, pattern in _TAG_CHECKS:
        for m in pattern.finditer(page):
            add(kind, page, m)
    fetched = [leak["context"] for leak in leaks if leak["kind"] == "external_script"]
    for m in _SCRIPT_TAG.finditer(page):
        # a <script src=https://...> is reported once, as external_script
        if not any(m.group(0) in context for context in fetched):
            add("script", page, m)
    for kind, pattern in (("event_handler", _EVENT_HANDLER), ("script_url", _SCRIPT_URL)):
        for m in pattern.finditer(page):
            add(kind, page, m)
    words = None
    for term in dict.fromkeys(t.strip() for t in extra_terms):
        if term:
            # thousands of names (from the raw exports) against a long page: a term runs its
            # search only when every word of it is somewhere on the page
            tokens = re.findall(r"\w+", term.casefold())
            if tokens:
                words = words if words is not None else set(re.findall(r"\w+", text.casefold()))
                if not all(t in words for t in tokens):
                    continue
            for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.I):
                add("term", text, m)
    for cell in recoverable_cells(page):
        leaks.append({"kind": "recoverable_cell",
                      "match": f"table {cell['table'] + 1}, row {cell['row']!r}, "
                               f"column {cell['column']!r}: {cell['marker']}",
                      "context": cell["via"]})
    for cell in [*declared_leaks(page), *differencing_leaks(page, others)]:
        leaks.append({"kind": cell["kind"],
                      "match": f"row {cell['row']!r}, column {cell['column']!r}",
                      "context": cell["via"]})
    return leaks


def scan_report(path: str | os.PathLike, **kw) -> list[dict]:
    """:func:`scan_html` on a file (read as UTF-8); keywords are passed on."""
    return scan_html(Path(path).read_text(encoding="utf-8", errors="replace"), **kw)


# --- small cells a reader can work out from the totals a page shows -----------------------

_SMALL_MARKER = re.compile(r"^(n?)\s*<\s*(\d+)$", re.I)
_INTEGER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:e[+-]?\d+)?\s*%?$", re.I)
_MISSING_TEXT = frozenset({"", "nan", "<na>", "none", "nat", "-", "\u2014", "\u2013", "n/a"})
_TOTAL_LABEL = re.compile(
    r"^\(?\s*(?:all|total|totals|overall|grand\s+total|pooled|combined|"
    r"(?:all|total)\s+(?!others?\b|rest\b|else\b)[a-z][\w-]*)\s*\)?$", re.I)
# Integer-looking columns that are not counts of people: labels (week, k) and statistics.
_NOT_COUNT_NAME = re.compile(
    r"(share|rate|ratio|percent|pct|mean|median|average|avg|ci_|_ci|p_value|pvalue|estimate|"
    r"odds|hazard|score|rank|week|^k$|^days?$|_days?$|year|month|^band)")
_MAX_PARTS_SEARCH = 12  # count columns beyond this: parts of row totals looked for up to 4


class _TableParser:
    """Every ``<table>`` of a page as header rows and body rows of (text, is_th) cells."""

    def __init__(self) -> None:
        from html.parser import HTMLParser

        outer = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                outer._start(tag, dict(attrs))

            def handle_endtag(self, tag):
                outer._end(tag)

            def handle_data(self, data):
                outer._data(data)

        self.tables: list[dict] = []
        self._open: list[dict] = []
        self._skip = 0
        self._parser = Parser(convert_charrefs=True)

    def feed(self, html: str) -> list[dict]:
        self._parser.feed(html)
        self._parser.close()
        while self._open:
            self._end("table")
        for table in self.tables:
            # no <thead>: a first row of <th> only is the header
            if not table["head"] and table["body"] and all(th for _, th in table["body"][0]):
                table["head"].append(table["body"].pop(0))
        return self.tables

    def _start(self, tag: str, attrs: dict) -> None:
        if tag in ("style", "script"):
            self._skip += 1
            return
        if tag == "table":
            table = {"head": [], "body": [], "row": None, "cell": None, "thead": False,
                     "attrs": attrs, "roles": []}
            self.tables.append(table)  # document order of the opening tags
            self._open.append(table)
            return
        if not self._open:
            return
        table = self._open[-1]
        if tag == "thead":
            table["thead"] = True
        elif tag in ("tbody", "tfoot"):
            self._end_row(table)
            table["thead"] = False
        elif tag == "tr":
            self._end_row(table)
            table["row"] = []
        elif tag in ("td", "th"):
            self._end_cell(table)
            if table["row"] is None:
                table["row"] = []
            if tag == "th" and table["thead"] and "data-column" in attrs:
                table["roles"].append(attrs)  # what engagement.display declared
            span = str(attrs.get("colspan") or "1")
            table["cell"] = {"th": tag == "th", "text": [],
                             "span": min(int(span), 100) if span.isdigit() and int(span) else 1}
        elif tag == "br" and table["cell"] is not None:
            table["cell"]["text"].append(" ")

    def _end(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
            return
        if not self._open:
            return
        table = self._open[-1]
        if tag in ("td", "th"):
            self._end_cell(table)
        elif tag == "tr":
            self._end_row(table)
        elif tag == "thead":
            self._end_row(table)
            table["thead"] = False
        elif tag == "table":
            self._end_row(table)
            self._open.pop()

    def _data(self, data: str) -> None:
        if self._skip or not self._open:
            return
        cell = self._open[-1]["cell"]
        if cell is not None:
            cell["text"].append(data)

    @staticmethod
    def _end_cell(table: dict) -> None:
        cell = table["cell"]
        if cell is not None:
            text = " ".join("".join(cell["text"]).split())
            table["row"].extend([(text, cell["th"])] * cell["span"])
            table["cell"] = None

    def _end_row(self, table: dict) -> None:
        self._end_cell(table)
        if table["row"]:
            table["head" if table["thead"] else "body"].append(table["row"])
        table["row"] = None


def _read_cell(text: str, th: bool):
    """(kind, value): "int" (value the number), "hidden" ((low, high) it may hold), "missing",
    "number" (not a whole number: a share, rate or percentage), "label" (text, or a <th>)."""
    if th:
        return "label", text
    t = text.strip()
    if t.lower() in _MISSING_TEXT:
        return "missing", None
    m = _SMALL_MARKER.match(t)
    if m:
        # "<5" is a count of 1-4 (zero is shown); "n<5" any value of a small row
        return "hidden", ((1, int(m.group(2)) - 1) if not m.group(1) else (0, np.inf))
    if t.lower() == SECONDARY_MARKER:
        return "hidden", (0, np.inf)
    if _INTEGER_TEXT.match(t):
        return "int", int(t.replace(",", ""))
    if _NUMBER_TEXT.match(t) and any(ch.isdigit() for ch in t):
        return "number", t
    return "label", t


def recoverable_cells(html: str) -> list[dict]:
    """Hidden small cells of a report page that a reader can work out from the totals shown.

    Every ``<table>`` of the page is read as displayed: ``"<5"`` (a count of 1-4),
    ``"n<5"`` and ``"hidden"`` (the markers of :func:`render_suppressed`) are hidden cells;
    whole numbers (thousands separators allowed) are counts. Only columns whose every value
    is a non-negative whole number or a marker take part (percentages, shares, rates, and
    integer-looking labels and statistics such as ``week``, ``k``, ``median_*``,
    ``within_days`` are left
    out; so are ``<th>`` index cells). Additive structure is found from the visible cells:

    - a column that equals the sum of two or more other count columns in every row where
      all of them are shown (at least two such rows, each part non-zero somewhere);
    - a row labelled as a total (``all``, ``total``, ``overall``, ``pooled``,
      ``(all courses)``, ``all sessions``...; not ``all other ...``) is the sum of the
      other rows, or of the
      rows of its block when there are several (the grouping that the shown cells bear
      out); a count column where a fully shown total disagrees is left out;
    - an unlabelled first or last row equal to the sum of the other rows in at least two
      fully shown count columns.

    Each total with its parts is an equation. An equation with exactly one unknown cell
    gives that cell back by subtraction when the value it gives fits the marker (1-4 for
    ``"<5"``); cells worked out this way are known for the next equations, until nothing
    changes. Hidden cells given back are reported; cells that are simply empty are not.

    Parameters
    ----------
    html : str
        The page (markers may be escaped, ``&lt;5``).

    Returns
    -------
    list of dict
        One per recoverable hidden cell: ``table`` (0-based position of the ``<table>`` on
        the page), ``row`` (the row's text labels, or ``"row N"``), ``row_index`` (0-based
        body row), ``column`` (header text), ``marker`` (as shown, e.g. ``"<5"``) and
        ``via`` (the equation that gives it back). The value is not reported.
    """
    found: list[dict] = []
    for position, table in enumerate(_TableParser().feed(html)):
        found += _table_recoverable(position, table)
    return found


def _table_recoverable(position: int, table: dict) -> list[dict]:
    body = table["body"]
    if len(body) < 2:
        return []
    width = max(len(r) for r in body)
    rows = [r + [("", False)] * (width - len(r)) for r in body]
    heads = [h for h in table["head"] if len(h) == width]
    # the header row naming the most columns (pandas adds a row of index names)
    header = (max(reversed(heads), key=lambda h: sum(bool(t) for t, _ in h)) if heads else [])
    names = [header[j][0] if header and header[j][0] else f"column {j + 1}" for j in range(width)]
    cells = [[_read_cell(t, th) for t, th in r] for r in rows]
    n = len(rows)
    counts = []
    for j in range(width):
        kinds = [cells[i][j][0] for i in range(n)]
        ints = [cells[i][j][1] for i in range(n) if kinds[i] == "int"]
        if (ints and min(ints) >= 0 and all(k in ("int", "hidden", "missing") for k in kinds)
                and not _NOT_COUNT_NAME.search(normalise(names[j]))):
            counts.append(j)
    if not counts:
        return []
    known = np.zeros((n, width), dtype=bool)
    value = np.full((n, width), np.nan)
    for i in range(n):
        for j in counts:
            if cells[i][j][0] == "int":
                known[i, j], value[i, j] = True, cells[i][j][1]
    # a row is named by its text and its whole-number labels (week): the columns not counted
    labels = [" / ".join(rows[i][j][0] for j in range(width) if j not in counts
                         and cells[i][j][0] in ("label", "int") and rows[i][j][0])
              or f"row {i + 1}" for i in range(n)]

    # equations: (parts, total, description), cells as (row, column) positions
    equations: list[tuple[list[tuple[int, int]], tuple[int, int], str]] = []
    equations += _column_totals(counts, known, value, names)
    equations += _row_totals(rows, cells, counts, known, value, labels)
    if not equations:
        return []

    found: list[dict] = []
    changed = True
    while changed:  # a cell worked out can leave another equation with one unknown
        changed = False
        for parts, total, via in equations:
            unknown = [c for c in (*parts, total) if not known[c]]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            rest = sum(value[c] for c in parts if c != cell)
            got = rest if cell == total else value[total] - rest
            kind, allowed = cells[cell[0]][cell[1]]
            low, high = allowed if kind == "hidden" else (0, np.inf)
            if not low <= got <= high:
                continue  # the equation does not hold on this row: nothing is given back
            known[cell], value[cell] = True, got
            changed = True
            if kind == "hidden":
                found.append({"table": position, "row": labels[cell[0]], "row_index": cell[0],
                              "column": names[cell[1]], "marker": rows[cell[0]][cell[1]][0],
                              "via": via})
    return found


def _column_totals(counts, known, value, names):
    """Row totals: a count column equal to the sum of other count columns on every fully
    shown row (at least two rows, the total non-zero on two of them)."""
    from itertools import combinations

    equations = []
    n = known.shape[0]
    for t in counts:
        others = [c for c in counts if c != t]
        largest = len(others) if len(counts) <= _MAX_PARTS_SEARCH else 4
        fitted: list[tuple[int, ...]] = []
        for size in range(2, largest + 1):
            for parts in combinations(others, size):
                # a superset of a fitted set adds only columns that are zero: skip it
                if any(set(f) <= set(parts) for f in fitted):
                    continue
                cols = [t, *parts]
                full = known[:, cols].all(axis=1)
                if full.sum() < 2:
                    continue
                v = value[full]
                if not np.array_equal(v[:, t], v[:, list(parts)].sum(axis=1)):
                    continue
                if (v[:, t] > 0).sum() < 2 or (v[:, list(parts)] == 0).all(axis=0).any():
                    continue
                fitted.append(parts)
                via = f"column {names[t]!r} = " + " + ".join(repr(names[p]) for p in parts)
                equations += [([(i, p) for p in parts], (i, t), via) for i in range(n)]
    return equations


def _row_totals(rows, cells, counts, known, value, labels):
    """Column totals: rows labelled as totals (grouped as the shown cells bear out), or an
    unlabelled first or last row equal to the sum of the others."""
    n, width = known.shape
    flagged = [i for i in range(n)
               if any(k == "label" and _TOTAL_LABEL.match(t)
                      for (t, _), (k, _) in zip(rows[i], cells[i]))]

    def tally(groups):
        """Per count column, among fully shown equations: {column: how many hold with a
        non-zero total}, {column: how many do not hold}."""
        holds = dict.fromkeys(counts, 0)
        fails = dict.fromkeys(counts, 0)
        for total, parts in groups:
            for j in counts:
                cols = [total, *parts]
                if known[cols, j].all():
                    if value[total, j] == value[parts, j].sum() and value[total, j] > 0:
                        holds[j] += 1
                    elif value[total, j] != value[parts, j].sum():
                        fails[j] += 1
        return holds, fails

    def equations_of(groups, columns, via):
        return [([(i, j) for i in parts], (total, j), via(total))
                for total, parts in groups for j in columns]

    equations = []
    if flagged:
        others = [i for i in range(n) if i not in flagged]
        candidates = []
        if len(flagged) == 1:
            candidates.append([(flagged[0], others)])
        else:
            # several totals (one per week, say): the rows of a block, or those sharing a value
            before, after = [], []
            for k, t in enumerate(flagged):
                start = flagged[k - 1] + 1 if k else 0
                end = flagged[k + 1] if k + 1 < len(flagged) else n
                before.append((t, list(range(start, t))))
                after.append((t, list(range(t + 1, end))))
            candidates += [before, after]
            # label columns (text, or whole numbers that are not counts: week) other than
            # the one naming the totals, each alone and all together
            keys = [j for j in range(width) if j not in counts
                    and all(cells[i][j][0] in ("label", "int", "missing") for i in range(n))
                    and not any(_TOTAL_LABEL.match(rows[t][j][0]) for t in flagged)]
            for columns in [[j] for j in keys] + ([keys] if len(keys) > 1 else []):
                key = [tuple(rows[i][j][0] for j in columns) for i in range(n)]
                candidates.append([(t, [i for i in others if key[i] == key[t]]) for t in flagged])
        best, best_score = None, 0
        for groups in candidates:
            if any(not parts for _, parts in groups):
                continue
            holds, fails = tally(groups)
            score = sum(h for j, h in holds.items() if not fails[j])
            if score > best_score:
                best, best_score = groups, score
        if best is None and len(flagged) == 1 and others:
            best = candidates[0]  # one row labelled total: taken at its word
        if best is not None:
            holds, fails = tally(best)
            columns = [j for j in counts if not fails[j]]
            equations += equations_of(best, columns,
                                      lambda t: f"row {labels[t]!r} = sum of the rows it totals")
    if n >= 3:
        for t in dict.fromkeys((0, n - 1)):
            if t in flagged:
                continue
            groups = [(t, [i for i in range(n) if i != t])]
            holds, fails = tally(groups)
            good = [j for j in counts if holds[j] and not fails[j]]
            if len(good) >= 2 and sum(holds.values()) > sum(fails.values()):
                columns = [j for j in counts if not fails[j]]
                equations += equations_of(
                    groups, columns, lambda t: f"row {labels[t]!r} = sum of the other rows")
    return equations



# --- the attacks on what a table declares -----------------------------------------------------
#
# engagement.display writes, on every table of a Result, what each column is (data-kind,
# data-column, data-of, data-over, data-part-of, data-people) and, on the table, what it is
# (data-key: its kind and constants; data-partition; data-min-group-size). The scan reads
# them back rather than guessing, and tries the three ways a reader gives a hidden count back:
# a share beside it, its complement inside a shown total, and one page minus another.

def _declared_tables(html: str) -> list[dict]:
    """Tables whose columns engagement.display declared: roles by column, rows as text."""
    out = []
    for position, table in enumerate(_TableParser().feed(html)):
        roles = table["roles"]
        if not roles or not table["body"]:
            continue
        names = [r["data-column"] for r in roles]
        rows = [[text for text, _ in row] for row in table["body"]
                if len(row) == len(names)]
        out.append({"position": position, "attrs": table["attrs"], "names": names,
                    "roles": {r["data-column"]: r for r in roles},
                    "rows": [dict(zip(names, row)) for row in rows]})
    return out


def _number(text: str):
    """A shown count or percentage as a float (None when hidden, missing or not a number)."""
    t = (text or "").strip().replace(",", "")
    if not t or _SMALL_MARKER.match(t) or t.lower() == SECONDARY_MARKER:
        return None
    try:
        return float(t.rstrip("%")) / (100 if t.endswith("%") else 1)
    except ValueError:
        return None


def _hidden_text(text: str) -> bool:
    t = (text or "").strip()
    return bool(_SMALL_MARKER.match(t)) or t.lower() == SECONDARY_MARKER


def _row_label(table: dict, row: dict) -> str:
    labels = [c for c in table["names"]
              if table["roles"][c].get("data-kind") in ("label", "organisation")]
    return " / ".join(row[c] for c in labels if row.get(c)) or "row"


def _half_unit(text: str) -> float:
    """Half the last printed digit of a percentage, as a share."""
    t = text.strip().rstrip("%")
    decimals = len(t.split(".")[1]) if "." in t else 0
    return 0.5 * 10 ** -decimals / 100


def declared_leaks(html: str) -> list[dict]:
    """Hidden counts that a share beside them, or their complement inside a shown total,
    gives back, in the tables engagement.display declared on the page.

    - a share shown with its denominator shown and its numerator hidden: numerator = share x
      denominator (to the printed rounding); and with the numerator shown and the
      denominator hidden, the denominator the same way: a leak when that pins a value;
    - a count shown inside a shown total it is part of, the difference being more than 0 and
      less than the minimum: the complement is a group that small, shown.
    """
    found = []
    for table in _declared_tables(html):
        minimum = int(table["attrs"].get("data-min-group-size") or 0)
        if not minimum:
            continue
        roles = table["roles"]
        for row in table["rows"]:
            where = _row_label(table, row)
            for column, role in roles.items():
                kind = role.get("data-kind")
                if kind == "share" and role.get("data-of") in row and role.get("data-over") in row:
                    share_text = row[column]
                    share = _number(share_text)
                    num, den = row[role["data-of"]], row[role["data-over"]]
                    if share is None:
                        continue
                    half = _half_unit(share_text)
                    if _hidden_text(num) and _number(den) is not None:
                        low, high = (share - half) * _number(den), (share + half) * _number(den)
                        if high - low < minimum:
                            found.append({"kind": "share_of_hidden", "column": role["data-of"],
                                          "row": where, "via": f"{column} x {role['data-over']}"})
                    if _hidden_text(den) and _number(num) and share > half:
                        low, high = _number(num) / (share + half), _number(num) / (share - half)
                        if high - low < minimum:
                            found.append({"kind": "share_of_hidden", "column": role["data-over"],
                                          "row": where, "via": f"{role['data-of']} / {column}"})
                if kind == "count" and role.get("data-people") == "1" and \
                        role.get("data-part-of") in row:
                    part, total = _number(row[column]), _number(row[role["data-part-of"]])
                    if part is not None and total is not None and 0 < total - part < minimum:
                        found.append({"kind": "complement", "column": column, "row": where,
                                      "via": f"{role['data-part-of']} - {column}"})
    return found


def _keyed_cells(table: dict) -> dict:
    """{(key labels, column): text} of a table's counts of people, the partition's own label
    left out of the key and kept apart: ((labels...), group, column) -> text."""
    roles = table["roles"]
    partition = table["attrs"].get("data-partition") or ""
    labels = [c for c in table["names"] if roles[c].get("data-kind") in ("label", "organisation")
              and c != partition]
    counts = [c for c in table["names"] if roles[c].get("data-people") == "1"]
    cells = {}
    for row in table["rows"]:
        key = tuple(row.get(c, "") for c in labels)
        group = row.get(partition, "") if partition else ""
        for c in counts:
            cells[(key, group, c)] = row.get(c, "")
    return cells


def differencing_leaks(html: str, others: Iterable[str]) -> list[dict]:
    """Hidden counts of this page's partitioned tables that a table of the same kind on
    another page of the batch gives back: the other page's total minus this page's shown
    groups (an organisation's page against the community's, and the other way round)."""
    found = []
    mine = _declared_tables(html)
    theirs = [t for page in others for t in _declared_tables(page)]
    for a, b in [(m, t) for m in mine for t in theirs] + [(t, m) for m in mine for t in theirs]:
        key_a, key_b = a["attrs"].get("data-key"), b["attrs"].get("data-key")
        if not key_a or key_a != key_b or not a["attrs"].get("data-partition") or \
                b["attrs"].get("data-partition"):
            continue
        minimum = int(a["attrs"].get("data-min-group-size") or 0)
        parts, totals = _keyed_cells(a), _keyed_cells(b)
        groups: dict = {}
        for (key, group, column), text in parts.items():
            groups.setdefault((key, column), []).append(text)
        for (key, column), texts in groups.items():
            total = _number(totals.get((key, "", column), ""))
            hidden = [t for t in texts if _hidden_text(t)]
            shown = [_number(t) for t in texts if not _hidden_text(t)]
            if total is None or not hidden or None in shown:
                continue
            rest = total - sum(shown)
            if len(hidden) == 1 or 0 < rest < minimum:
                found.append({"kind": "difference", "column": column,
                              "row": " / ".join(key) or "row",
                              "via": "another page's total minus this page's groups"})
    return found
