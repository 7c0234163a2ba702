"""Names, e-mail addresses and ids of people found in a dataset's raw exports: what the page
scan looks for on every partner page. Read only, held in memory, written nowhere."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path

import pandas as pd

from engagement.privacy.patterns import EMAIL, normalise

RAW_NAME_COLUMNS = frozenset({
    "user_full_name", "userfullname", "full_name", "fullname", "name", "name_original_name",
    "user_name_original_name", "affected_user", "related_user", "display_name",
    "participant_name", "attendee_name", "student_name", "learner_name", "created_by",
    "author_name", "sender_name", "recipient_name",
})
"""Raw export columns (normalised) holding a person's name: Moodle logs and forum posts,
enrolments, Zoom and Teams reports, sign-in sheets, social-media exports (post authors)."""

RAW_EMAIL_COLUMNS = frozenset({
    "email", "e_mail", "email_address", "user_email", "recipient_email", "mail",
    "participant_id_upn", "upn", "attendee_email",
})
"""Raw export columns (normalised) holding an e-mail address (Teams' UPN is one)."""

RAW_ID_COLUMNS = frozenset({
    "user_id", "userid", "id_student", "student_id", "username", "learner_id", "participant_id",
    "account_name", "login", "uid",
})
"""Raw export columns (normalised) holding a person's id in the source system."""

_FIRST_LAST = (("first_name", "firstname", "given_name"), ("last_name", "lastname", "surname",
                                                            "family_name"))
# Entries of name columns that are not a person (Moodle writes "-" for the system).
_NOT_PEOPLE = frozenset({"admin user", "guest user", "system", "cli", "web", "anonymous",
                         "not available", "n a", "unknown", "deleted user"})
_RAW_SUFFIXES = (".csv", ".txt", ".tsv", ".json", ".jsonl", ".xlsx")


def _raw_rows(path: Path) -> Iterable[list[str]]:
    """Every row of a delimited or spreadsheet raw file, as text cells (header rows included)."""
    import csv

    if path.suffix.lower() == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        for sheet in sheets.values():
            for row in sheet.itertuples(index=False):
                yield ["" if pd.isna(v) else str(v) for v in row]
        return
    from engagement.sources.text import decode

    text, _ = decode(path)
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    delimiter = "\t" if sample.count("\t") > sample.count(",") else (
        ";" if sample.count(";") > sample.count(",") else ",")
    yield from csv.reader(lines, delimiter=delimiter)


def _header_kinds(row: Sequence[str]) -> dict[int, str] | None:
    """{cell index: "name"/"email"/"id"} when `row` is a header naming a person's column."""
    norm = [normalise(c) for c in row]
    kinds = {}
    for j, c in enumerate(norm):
        if c in RAW_NAME_COLUMNS:
            kinds[j] = "name"
        elif c in RAW_EMAIL_COLUMNS:
            kinds[j] = "email"
        elif c in RAW_ID_COLUMNS:
            kinds[j] = "id"
    first = next((norm.index(c) for c in _FIRST_LAST[0] if c in norm), None)
    last = next((norm.index(c) for c in _FIRST_LAST[1] if c in norm), None)
    if first is not None and last is not None:
        kinds[(first, last)] = "name"  # type: ignore[index]  # the two cells make the name
    return kinds or None


def _json_people(value, found: list[tuple[str, str, str]]) -> None:
    """xAPI actors (and any object with mbox/account): name, mbox, account name."""
    if isinstance(value, list):
        for item in value:
            _json_people(item, found)
        return
    if not isinstance(value, dict):
        return
    if "mbox" in value or "account" in value or value.get("objectType") in ("Agent", "Group"):
        if isinstance(value.get("name"), str):
            found.append(("name", "name", value["name"]))
        if isinstance(value.get("mbox"), str):
            found.append(("email", "mbox", value["mbox"].removeprefix("mailto:")))
        account = value.get("account")
        if isinstance(account, dict) and account.get("name") is not None:
            found.append(("id", "account.name", str(account["name"])))
    for item in value.values():
        _json_people(item, found)


def _usable(kind: str, term: str, min_id_length: int) -> bool:
    if kind == "name":
        words = re.findall(r"[^\W\d_]{2,}", term)
        # one word ("Admin", "Wei") would match ordinary text: full names only
        return len(words) >= 2 and normalise(term).replace("_", " ") not in _NOT_PEOPLE
    if kind == "email":
        return bool(EMAIL.fullmatch(term))
    # a short number (Moodle id 4) cannot be told from any count in a report
    return len(term) >= min_id_length or (len(term) >= 4 and not term.isdigit())


def raw_identifying_terms(paths: Iterable[str | os.PathLike], *,
                          min_id_length: int = 6) -> pd.DataFrame:
    """Names, e-mail addresses and ids of people found in raw export files, to scan reports for.

    The files are only read, and nothing found is written anywhere: the table is for
    :func:`scan_html`'s `extra_terms` (``reports`` uses it on every partner page of a batch).
    A row is a header when it names a person's column (:data:`RAW_NAME_COLUMNS`,
    :data:`RAW_EMAIL_COLUMNS`, :data:`RAW_ID_COLUMNS`, or first and last name together),
    whatever its line, so multi-section exports (Teams) are read too; the header holds until
    a blank row. xAPI JSON gives its actors' names, mailboxes and account names.

    Only terms that cannot be mistaken for ordinary report text are kept: names of two or
    more words (not "Admin User", "-"), well-formed e-mail addresses, and ids of at least
    `min_id_length` characters (or 4 when not all digits). Short numeric ids such as Moodle's
    are protected by pseudonymisation and :func:`refuse_identifiers`, not by the scan.

    Parameters
    ----------
    paths : iterable of path
        Raw files (``.csv``, ``.txt``, ``.tsv``, ``.json``, ``.jsonl``, ``.xlsx``); other files
        (archives) are skipped.
    min_id_length : int
        The shortest all-digit id kept.

    Returns
    -------
    DataFrame
        One row per distinct (term, kind): term (stripped text), kind ("name", "email",
        "id"), file (the first file's name it was found in), column (that file's column).
    """
    found: dict[tuple[str, str], tuple[str, str]] = {}
    seen: set[tuple[str, str, str]] = set()
    for path in map(Path, paths):
        suffix = path.suffix.lower()
        if suffix not in _RAW_SUFFIXES or not path.is_file():
            continue
        hits: list[tuple[str, str, str]] = []
        if suffix in (".json", ".jsonl"):
            import json

            text = path.read_text(encoding="utf-8-sig", errors="replace")
            try:
                _json_people(json.loads(text), hits)
            except ValueError:
                for line in text.splitlines():
                    with suppress(ValueError):
                        _json_people(json.loads(line), hits)
        else:
            header: list[str] = []
            kinds: dict | None = None
            for row in _raw_rows(path):
                if not any(cell.strip() for cell in row):
                    kinds = None  # a blank line ends a section
                    continue
                if kinds is None:  # looking for a header (the first row, or after a blank)
                    new = _header_kinds(row)
                    if new is not None:
                        header, kinds = list(row), new
                    continue
                for j, kind in kinds.items():
                    if isinstance(j, tuple):
                        if max(j) < len(row):
                            hits.append((kind, f"{header[j[0]]} + {header[j[1]]}",
                                         f"{row[j[0]].strip()} {row[j[1]].strip()}"))
                    elif j < len(row):
                        hits.append((kind, header[j], row[j]))
        for kind, column, value in hits:
            if (kind, column, value) in seen:  # the same learner on many log lines
                continue
            seen.add((kind, column, value))
            term = " ".join(str(value).split())
            if kind == "email":
                term = term.removeprefix("mailto:")
            if term and _usable(kind, term, min_id_length):
                found.setdefault((term, kind), (path.name, column))
    rows = [(t, k, f, c) for (t, k), (f, c) in found.items()]
    return pd.DataFrame(rows, columns=["term", "kind", "file", "column"])

