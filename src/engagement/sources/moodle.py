"""Moodle exports -> the ``events`` table of the contract.

Two exports are read (layout in ``data/raw/README.md``):

* the **Logs report** of a course (Course > Reports > Logs > download as CSV), by
  :func:`read_moodle_log`;
* the **forum posts export** (``id, discussion, parent, userid, userfullname, created,
  subject, message``), by :func:`read_forum_posts`.

What a Logs report looks like, and what this module does about it
-----------------------------------------------------------------
* No time zone: ``Time`` is the site's local time, ``d/mm/yy, HH:MM`` (day possibly without
  a leading zero) or ``Tuesday, 5 March 2024, 2:07 PM`` (weekday optional). The caller must
  say which zone (an IANA name); times that do not exist or occur twice at a DST change are
  resolved (nonexistent: shifted forward; ambiguous: the earlier instant) and counted.
* Encoding UTF-8 with BOM, UTF-8 or cp1252, detected by :func:`engagement.sources.text.decode`
  (UTF-16/UTF-32 and NUL bytes are refused).
* Names may be anonymised to ``-``: the user id is read from ``Description`` (the first
  ``The user with id 'N'``). Rows without one (Turnitin plugin rows, empty descriptions)
  are dropped and counted.
* Staff and admin actions are mixed in. They are removed by the stated rules of
  :func:`staff_ids` (reserved ids, admin ids, users who perform a teacher-only action,
  ids the caller excludes), each counted in the quality log with rows and distinct users.
* Every event name is mapped to a contract ``action`` by :data:`EVENT_ACTIONS`; names not
  in it become ``other`` and are counted (flagged) by name, so nothing is hidden.

Quality-log sources are ``"moodle_logs"`` and ``"forum_posts"``; every detail string starts
with the file name and the encoding that was used to read it.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from engagement.schema import COLUMNS, InputError, QualityLog, require_columns, validate
from engagement.sources.text import (check_timezone, decode, drop_exact_duplicates,
                                     find_columns, flag_future, localize)

__all__ = [
    "read_moodle_log", "read_forum_posts", "staff_ids",
    "LOG_REQUIRED_COLUMNS", "FORUM_REQUIRED_COLUMNS", "RESERVED_IDS", "TEACHER_ONLY_EVENTS",
    "SELF_GRADE_EVENTS", "EVENT_ACTIONS", "FORUM_EVENTS", "FORUM_COMPONENTS", "STAFF_RULES",
]

LOG_SOURCE = "moodle_logs"
FORUM_SOURCE = "forum_posts"

LOG_REQUIRED_COLUMNS = ("Time", "Component", "Event name", "Description")
"""Columns of the Logs report that the loader uses (the other columns are ignored)."""

FORUM_REQUIRED_COLUMNS = ("id", "discussion", "parent", "userid", "created")
"""Columns of the forum posts export that the loader uses (subject/message are ignored)."""

RESERVED_IDS = frozenset({"0", "-1"})
"""User ids Moodle reserves rather than gives to a person: 0 (guest / not logged in) and
-1 (the system, e.g. cron regrading). Any other negative id is treated the same way: Moodle
never gives one to a real account. Note that a site's guest *account* is usually id 1
(``$CFG->siteguest``); pass it in ``exclude_ids`` if the site lets guests in."""

TEACHER_ONLY_EVENTS = {
    # grading
    "User graded": "grading",
    "Grading table viewed": "grading",
    "Grade item created": "grading",
    "Grade deleted": "grading",
    "All the submissions are being downloaded.": "grading",
    # editing the course
    "Course updated": "editing the course",
    "Course module created": "editing the course",
    "Course module updated": "editing the course",
    "Course module deleted": "editing the course",
    "Course section created": "editing the course",
    "Course section updated": "editing the course",
    "Course section deleted": "editing the course",
    "Course created": "editing the course",
    "Course backup created": "editing the course",
    "Calendar event created": "editing the course",
    "Calendar event updated": "editing the course",
    "Group created": "editing the course",
    "Group member added": "editing the course",
    "Group member removed": "editing the course",
    "Enrolment instance created": "editing the course",
    # viewing the log report
    "Log report viewed": "viewing the log report",
    "Log report live viewed": "viewing the log report",
    # assigning roles / enrolling
    "Role assigned": "assigning roles or enrolling",
    "Role unassigned": "assigning roles or enrolling",
    "User enrolled in course": "assigning roles or enrolling",
    "User unenrolled from course": "assigning roles or enrolling",
    "User unenrolment updated": "assigning roles or enrolling",
}
"""Event names that only staff can cause (event name -> kind). A user who performs any of
them is staff and ALL their rows are removed, with one exception (:data:`SELF_GRADE_EVENTS`).
``Grade item updated`` is deliberately absent: Moodle writes it when a learner's own
attempt triggers a regrade (a learner of the Edify F20 log has 42 such rows), and real
teachers are caught by their other actions."""

SELF_GRADE_EVENTS = frozenset({"User graded", "Grade deleted"})
"""Grade events that do NOT mark their actor as staff when they concern the actor
themself (``... for the user with id 'N'`` with N the actor). Moodle writes those
automatically when a learner's own activity (an H5P attempt, a completion) updates the
learner's grade; in the Edify exports dozens of learners have such rows."""

STAFF_RULES = {
    "reserved": "staff: reserved id (0 guest, -1 system)",
    "admin": "staff: admin id",
    "teacher_action": "staff: performs a teacher-only action",
    "excluded": "staff: excluded by the caller (exclude_ids)",
}
"""Staff rules in the order they are applied (rule code in :func:`staff_ids` -> the rule
name written in the quality log). A user is attributed to the first rule that applies."""

EVENT_ACTIONS = {
    "Course viewed": "view",
    "Course module viewed": "view",
    "Discussion viewed": "view",
    "The status of the submission has been viewed.": "view",
    "Submission form viewed.": "view",
    "User list viewed": "view",
    "User profile viewed": "view",
    "Quiz attempt started": "attempt",
    "Quiz attempt submitted": "submit",
    "A submission has been submitted.": "submit",
    "Submission created.": "submit",
    "Submission updated.": "submit",
    "A file has been uploaded.": "submit",
    "mod_hvp: attempt submitted": "submit",
    "Course module completion updated": "complete",
    "Course activity completion updated": "complete",
    "Course completed": "complete",
    "Post created": "post",
    "Discussion created": "post",
    "User has logged in": "login",
    "User logged in": "login",
}
"""Moodle event name -> contract action. Any other event name becomes ``other`` (and is
counted by name in the quality log, action "flagged"). Forum posts are ``post`` here: the
log does not say whom a post answers; the forum posts export does (:func:`read_forum_posts`)."""

FORUM_COMPONENTS = frozenset({"forum", "mod_forum"})
"""``Component`` values (lower-cased) that make an event's source ``forum``."""

FORUM_EVENTS = frozenset({
    "Discussion viewed", "Discussion created", "Discussion deleted", "Discussion moved",
    "Discussion updated", "Discussion pinned", "Discussion unpinned",
    "Discussion subscription created", "Discussion subscription deleted",
    "Post created", "Post updated", "Post deleted", "Some content has been posted.",
    "Forum search viewed", "Subscription created", "Subscription deleted",
    "Read tracking enabled", "Read tracking disabled", "User report viewed",
})
"""Event names of the forum module: their source is ``forum`` whatever the Component says."""

_USER_ID = r"The user with id '(-?\d+)'"
_RELATED_USER = r"(?:for|to|from) the user with id '(-?\d+)'"
_CM_ID = r"course module (?:with )?id '(\d+)'"
_COURSE_ID = r"course (?:with (?:the )?)?id '(\d+)'"
_SHORT_TIME = "%d/%m/%y, %H:%M"
_LONG_TIMES = ("%d %B %Y, %I:%M %p", "%d %b %Y, %I:%M %p")
_WEEKDAY = r"^\s*[A-Za-z]+,\s*(?=\d)"


# --------------------------------------------------------------------------- reading

class _Lines:
    """1-based line number (header = line 1) of each kept record, computed only when an
    error message needs one (the fast reader does not track lines)."""

    def __init__(self, text: str, known: list[int] | None = None):
        self._text, self._known = text, known

    def __getitem__(self, pos: int) -> int:
        if self._known is None:
            reader = csv.reader(io.StringIO(self._text, newline=""))
            next(reader)
            known, start = [], reader.line_num + 1
            for rec in reader:
                if rec:
                    known.append(start)
                start = reader.line_num + 1
            self._known = known
        return self._known[pos]


class _Irregular(Exception):
    """The fast reader met a row with the wrong number of fields."""


def _fast_table(data: bytes, header: list[str]) -> pd.DataFrame:
    """All-string table via pyarrow's CSV reader; raises _Irregular on any malformed row."""
    irregular = []

    def note(row):  # an exception raised here would be swallowed by pyarrow
        irregular.append(row.actual_columns)
        return "skip"

    table = pacsv.read_csv(
        pa.py_buffer(data),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=note),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True, skip_rows=1,
                                       use_threads=True),
        convert_options=pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(len(header))},
            strings_can_be_null=False, quoted_strings_can_be_null=False))
    if irregular or table.num_columns != len(header):
        raise _Irregular()
    return pd.DataFrame({name: table.column(i).to_pandas() for i, name in enumerate(header)})


def _slow_table(path: Path, text: str, width: int, header: list[str]):
    """All-string table via the csv module: the kept rows, their lines, the bad lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    rows, lines, bad = [], [], []
    start = reader.line_num + 1
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(path, f"unreadable CSV line: {exc}", row=start) from None
        if rec:  # a blank line carries no data: it is not a record
            if len(rec) == width:
                rows.append(rec)
                lines.append(start)
            else:
                # an unclosed quote swallows the lines after it: show the whole span
                end = reader.line_num
                bad.append(str(start) if end == start else f"{start}-{end}")
        start = reader.line_num + 1
    table = pd.DataFrame(rows, columns=header, dtype=object) if rows else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in header})
    return table, lines, bad


def _read_records(path: Path, source: str, quality: QualityLog, required: tuple[str, ...]):
    """Read a CSV into an all-string table, dropping and counting malformed lines.

    Returns the table (only well-formed records), the line numbers of its records
    (:class:`_Lines`), and the tag ``"<file> (encoding X)"`` that starts quality details.
    A regular file is read by pyarrow; a file with any malformed line is re-read with the
    csv module, which gives the line numbers of the bad ones.
    """
    text, encoding = decode(path, utf16=False)
    # pyarrow reads UTF-8 bytes; the BOM is gone from `text`
    data = text.encode("utf-8")
    tag = f"{path.name} (encoding {encoding})"
    try:
        # the header is at the top: do not copy the whole text for it
        header = next(csv.reader(io.StringIO(text[:1 << 16], newline="")))
    except StopIteration:
        raise InputError(path, "the file is empty (no header line)") from None
    except csv.Error as exc:
        raise InputError(path, f"unreadable CSV header: {exc}", row=1) from None
    header = [h.strip() for h in header]
    find_columns(path, header, {c: c for c in required})
    try:
        table, lines, bad = _fast_table(data, header), _Lines(text), []
    except (_Irregular, pa.ArrowInvalid):
        table, known, bad = _slow_table(path, text, len(header), header)
        lines = _Lines(text, known)
    quality.read(source, path, len(table) + len(bad))
    if bad:
        shown = ", ".join(bad[:20]) + (f" and {len(bad) - 20} more" if len(bad) > 20
                                                  else "")
        quality.count(source, "malformed line", len(bad),
                      detail=f"{tag}: wrong number of fields (expected {len(header)}) on "
                             f"line(s) {shown}")
    return table, lines, tag


def _parse_times(time: pd.Series, lines: _Lines, path: Path) -> pd.Series:
    """Naive local datetimes from both Moodle date formats; InputError at the first failure."""
    text = time.astype(str)
    parsed = pd.to_datetime(text, format=_SHORT_TIME, errors="coerce")
    todo = parsed.isna()
    if todo.any():
        # only the rows the fast format missed pay for stripping and the long formats
        text = text.copy()
        text[todo] = text[todo].str.strip()
        parsed[todo] = pd.to_datetime(text[todo], format=_SHORT_TIME, errors="coerce")
        todo = parsed.isna()
    if todo.any():
        long = text[todo].str.replace(_WEEKDAY, "", regex=True)
        for fmt in _LONG_TIMES:
            got = pd.to_datetime(long, format=fmt, errors="coerce")
            parsed.loc[got.index] = parsed.loc[got.index].fillna(got)
            long = long[got.isna()]
            if long.empty:
                break
        todo = parsed.isna()
    if todo.any():
        pos = int(np.flatnonzero(todo.to_numpy())[0])
        raise InputError(path, f"cannot read the time {text.iloc[pos]!r}; expected "
                               f"'d/mm/yy, HH:MM' or 'Tuesday, 5 March 2024, 2:07 PM' "
                               f"({int(todo.sum())} such row(s) in the file)",
                         row=int(lines[pos]), column="Time")
    return parsed


def _per_value(series: pd.Series, fn) -> pd.Series:
    """Apply a string transformation once per distinct value (event names repeat a lot)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    done = np.asarray(fn(pd.Series(uniques, dtype=object)), dtype=object)
    return pd.Series(done[codes], index=series.index, dtype=object)


def _canonical_ids(ids) -> set[str]:
    out = set()
    for x in ids:
        s = str(x).strip()
        try:
            s = str(int(s))
        except ValueError:
            pass
        out.add(s)
    return out


def _is_reserved(user_id: pd.Series) -> pd.Series:
    return user_id.isin(RESERVED_IDS) | user_id.str.startswith("-", na=False)


# --------------------------------------------------------------------------- staff

def staff_ids(log_df_raw: pd.DataFrame, *, admin_ids=(2,), exclude_ids=()) -> pd.DataFrame:
    """Which users of a Moodle log are staff, and by which rule.

    Rules, applied in this order (a user is attributed to the first that applies):

    1. ``reserved``: ids Moodle reserves, 0 (guest / not logged in) and -1 (system); any
       other negative id too (see :data:`RESERVED_IDS`);
    2. ``admin``: the site administrator ids in `admin_ids` (Moodle's first admin is 2);
    3. ``teacher_action``: users who perform any event of :data:`TEACHER_ONLY_EVENTS`
       (grading, editing the course, viewing the log report, assigning roles/enrolling),
       except grade events about themselves (:data:`SELF_GRADE_EVENTS`);
    4. ``excluded``: the ids in `exclude_ids` (test accounts, known staff).

    Parameters
    ----------
    log_df_raw : DataFrame
        A Logs report as read from the CSV (columns ``Event name`` and ``Description``),
        or with a ``user_id`` column already extracted (then ``Description`` is only used
        to exempt self-grading rows). It is not modified.
    admin_ids, exclude_ids : iterable of int or str
        Ids compared as integers written in base 10 (``"02"`` is ``2``).

    Returns
    -------
    DataFrame
        One row per staff user: ``user_id`` (str), ``rule`` (one of the codes above, keys
        of :data:`STAFF_RULES`), ``rows`` (their rows in the log, int), ``evidence`` (for
        ``teacher_action``: the teacher-only event names they performed, else empty).
        Sorted by rule order, then by number of rows (descending).
    """
    require_columns(log_df_raw, ["Event name"], "staff_ids")
    desc = (log_df_raw["Description"].astype(str) if "Description" in log_df_raw.columns
            else pd.Series("", index=log_df_raw.index))
    if "user_id" in log_df_raw.columns:
        uid = log_df_raw["user_id"]
    elif "Description" in log_df_raw.columns:
        uid = desc.str.extract(_USER_ID, expand=False)
    else:
        raise ValueError("staff_ids needs a 'user_id' or a 'Description' column")
    uid = uid.astype("string")
    event = _per_value(log_df_raw["Event name"], lambda u: u.fillna("").astype(str).str.strip())
    known = uid.notna()
    rows = uid[known].value_counts()

    teacher = event.isin(TEACHER_ONLY_EVENTS.keys()) & known
    if teacher.any():
        selfish = event.isin(SELF_GRADE_EVENTS) & teacher
        if selfish.any():
            related = desc[selfish].str.extract(_RELATED_USER, expand=False)
            teacher.loc[selfish] = related.ne(uid[selfish]).fillna(True).to_numpy()
    evidence = (pd.DataFrame({"u": uid[teacher], "e": event[teacher]})
                .drop_duplicates().groupby("u")["e"].agg(lambda s: ", ".join(sorted(s))))

    ids = pd.Series(rows.index.astype(str), dtype=object)
    rule = pd.Series(None, index=ids.index, dtype=object)
    admins, excluded = _canonical_ids(admin_ids), _canonical_ids(exclude_ids)
    for code, hit in (("reserved", _is_reserved(ids.astype("string")).to_numpy(dtype=bool)),
                      ("admin", ids.isin(admins).to_numpy()),
                      ("teacher_action", ids.isin(evidence.index).to_numpy()),
                      ("excluded", ids.isin(excluded).to_numpy())):
        rule[hit & rule.isna().to_numpy()] = code
    out = pd.DataFrame({"user_id": ids, "rule": rule,
                        "rows": rows.to_numpy(dtype=np.int64)})
    out = out[out["rule"].notna()].copy()
    # ids to exclude that never occur in the log are still listed (0 rows): a typo shows
    absent = sorted(excluded - set(ids))
    if absent:
        out = pd.concat([out, pd.DataFrame({"user_id": absent, "rule": "excluded",
                                            "rows": 0})], ignore_index=True)
    out["evidence"] = np.where(out["rule"].eq("teacher_action"),
                               out["user_id"].map(evidence).fillna(""), "")
    order = {code: i for i, code in enumerate(STAFF_RULES)}
    out = (out.assign(_o=out["rule"].map(order))
           .sort_values(["_o", "rows", "user_id"], ascending=[True, False, True], kind="stable")
           .drop(columns="_o").reset_index(drop=True))
    out["rows"] = out["rows"].astype(np.int64)
    return out


# --------------------------------------------------------------------------- logs

def read_moodle_log(path: str | os.PathLike, *, timezone: str, course: str | None = None,
                    exclude_ids=(), admin_ids=(2,),
                    quality: QualityLog | None = None) -> pd.DataFrame:
    """Read one course's Moodle Logs report CSV into contract ``events``.

    Parameters
    ----------
    path : str or path
        The CSV (cp1252, UTF-8 or UTF-8 with BOM). The file is not modified.
    timezone : str
        REQUIRED IANA zone of the Moodle site (the log's times carry no zone), e.g.
        ``"Asia/Muscat"``. Recorded in the quality log.
    course : str, optional
        Course code for every row; default the file name without ``.csv``.
    exclude_ids : iterable of int or str
        Further user ids to remove (test accounts, known staff).
    admin_ids : iterable of int or str
        Site administrator ids, removed (default ``(2,)``, Moodle's first admin).
    quality : QualityLog, optional
        Where the read, the time zone and every dropped/fixed/flagged row are recorded.

    Returns
    -------
    DataFrame
        Contract ``events``, sorted by time (stable): ``learner_id`` (the Moodle user id,
        str), ``course``, ``timestamp`` (UTC), ``source`` (``forum`` for the forum
        component and forum events, else ``lms``), ``action`` (:data:`EVENT_ACTIONS`, else
        ``other``), ``object_id`` (``cm:<course module id>``, else ``course:<course id>``,
        else null), ``target_learner_id`` (null: the log does not say who was replied to),
        ``count`` (1), plus ``event_name`` (the Moodle event name). Exact duplicate rows
        are kept (deduplication is done in clean.py).

    Raises
    ------
    TypeError, ValueError
        If `timezone` is missing or not a known IANA zone.
    InputError
        If the file cannot be decoded, misses a required column (:data:`LOG_REQUIRED_COLUMNS`)
        or has a ``Time`` that parses in neither Moodle format (naming the line).

    Notes
    -----
    Dropped and counted (quality source ``moodle_logs``): lines with the wrong number of
    fields ("malformed line", with their line numbers); rows whose Description names no
    user ("no user id in Description"); staff rows, per rule of :func:`staff_ids` (rows
    and distinct users). Fixed and counted: DST-ambiguous/nonexistent local times.
    Flagged: event names mapped to ``other``, by name.
    """
    tz = check_timezone(timezone)
    path = Path(path)
    quality = QualityLog() if quality is None else quality
    raw, lines, tag = _read_records(path, LOG_SOURCE, quality,
                                               LOG_REQUIRED_COLUMNS)
    quality.timezone(LOG_SOURCE, timezone)
    course = path.stem if course is None else str(course)

    naive = _parse_times(raw["Time"], lines, path)
    desc = raw["Description"].fillna("").astype(str)
    event = _per_value(raw["Event name"], lambda u: u.fillna("").astype(str).str.strip())
    uid = desc.str.extract(_USER_ID, expand=False).astype("string")

    no_id = uid.isna()
    kinds = event[no_id].value_counts()
    quality.count(LOG_SOURCE, "no user id in Description", int(no_id.sum()),
                  detail=f"{tag}: " + (", ".join(f"{k or '(empty)'}: {v}"
                                                 for k, v in kinds.items()) or "none"))

    table = pd.DataFrame({"Event name": event, "Description": desc, "user_id": uid})
    staff = staff_ids(table, admin_ids=admin_ids, exclude_ids=exclude_ids)
    for code, name in STAFF_RULES.items():
        hit = staff[staff["rule"] == code]
        users = int((hit["rows"] > 0).sum())
        detail = f"{tag}: {int(hit['rows'].sum())} rows of {users} distinct user(s)"
        if code == "teacher_action" and not hit.empty:
            kinds = sorted(set(", ".join(hit["evidence"]).split(", ")))
            detail += f"; teacher-only events seen: {', '.join(kinds)}"
        quality.count(LOG_SOURCE, name, int(hit["rows"].sum()), detail=detail)

    keep = (~no_id & ~uid.isin(staff["user_id"]).fillna(False)).to_numpy(dtype=bool)
    event, desc, uid, naive = event[keep], desc[keep], uid[keep], naive[keep]
    component = _per_value(raw["Component"][keep],
                           lambda u: u.fillna("").astype(str).str.strip().str.lower())

    action = _per_value(event, lambda u: u.map(EVENT_ACTIONS).fillna("other"))
    other = event[action.eq("other")].value_counts()
    if len(other):
        quality.count(LOG_SOURCE, "event name mapped to action 'other'", int(other.sum()),
                      action="flagged",
                      detail=f"{tag}: " + "; ".join(f"{k or '(empty)'}: {v}"
                                                    for k, v in other.items()))
    source = np.where(component.isin(FORUM_COMPONENTS) | event.isin(FORUM_EVENTS),
                      "forum", "lms")
    object_id = "cm:" + desc.str.extract(_CM_ID, expand=False)
    no_cm = object_id.isna()
    if no_cm.any():
        object_id[no_cm] = "course:" + desc[no_cm].str.extract(_COURSE_ID, expand=False)

    out = pd.DataFrame({
        "learner_id": uid.astype(object),
        "course": course,
        "timestamp": localize(naive, tz.key, source=LOG_SOURCE, quality=quality, where=tag),
        "source": source,
        "action": action.astype(object),
        "object_id": object_id.astype(object).where(object_id.notna(), None),
        "target_learner_id": pd.Series([None] * len(uid), index=uid.index, dtype=object),
        "count": pd.array(np.ones(len(uid), dtype=np.int64), dtype="Int64"),
        "event_name": event.astype(object),
    })
    flag_future(out["timestamp"], source=LOG_SOURCE, quality=quality, where=tag)
    out = out.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return validate(out, "events", source=path)


# --------------------------------------------------------------------------- forum

def _integers(table: pd.DataFrame, column: str, lines: _Lines, path: Path,
              hint: str = "") -> pd.Series:
    text = table[column].fillna("").astype(str).str.strip()
    num = pd.to_numeric(text, errors="coerce")
    # "inf" and "1e30" are numbers to pandas, but no id or Unix time
    bad = num.isna() | ~np.isfinite(num) | (num != np.floor(num)) | (num.abs() >= 2**62)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, f"expected a whole number, found {text.iloc[pos]!r}{hint} "
                               f"({int(bad.sum())} such row(s))",
                         row=int(lines[pos]), column=column)
    return num.astype(np.int64)


def read_forum_posts(path: str | os.PathLike, *, timezone: str = "UTC",
                     course: str | None = None,
                     quality: QualityLog | None = None) -> pd.DataFrame:
    """Read a Moodle forum posts export into contract ``events`` (posts and replies).

    Parameters
    ----------
    path : str or path
        CSV with columns ``id, discussion, parent, userid, userfullname, created, subject,
        message`` (only :data:`FORUM_REQUIRED_COLUMNS` are needed). ``created`` is Unix
        seconds. Encoding detected as for :func:`read_moodle_log`. Not modified.
    timezone : str
        IANA zone of the site. Unix seconds are absolute instants, so it moves no time; it
        is checked, and the zone recorded for the source is ``UTC``.
    course : str, optional
        Course code for every row; default the file name without ``.csv``.
    quality : QualityLog, optional
        Where the read and every dropped/flagged row are recorded (source ``forum_posts``).

    Returns
    -------
    DataFrame
        Contract ``events`` sorted by time (stable): ``learner_id`` (``userid`` as str),
        ``course``, ``timestamp`` (UTC, from ``created``), ``source`` (``forum``),
        ``action`` (``post`` when ``parent`` is 0, else ``reply``), ``object_id``
        (``discussion:<discussion id>/post:<id>``), ``target_learner_id`` (author of the parent post; null when the
        parent is not in the export or was written by a reserved id — both counted),
        ``count`` (1).

    Raises
    ------
    InputError
        Missing columns (named, with the columns found); a non-integer id, discussion,
        parent, userid or a ``created`` that is not Unix seconds (naming line and column).
    """
    check_timezone(timezone)
    path = Path(path)
    quality = QualityLog() if quality is None else quality
    raw, lines, tag = _read_records(path, FORUM_SOURCE, quality,
                                               FORUM_REQUIRED_COLUMNS)
    quality.timezone(FORUM_SOURCE, "UTC")
    course = path.stem if course is None else str(course)

    post_id = _integers(raw, "id", lines, path)
    discussion = _integers(raw, "discussion", lines, path)
    parent = _integers(raw, "parent", lines, path)
    user = _integers(raw, "userid", lines, path).astype(str)
    created = _integers(raw, "created", lines, path,
                        hint=" (created must be Unix seconds, not a written date)")
    # datetime64[ns] holds 1678-2262; anything outside is not a time Moodle wrote
    far = ~created.between(-9_000_000_000, 9_000_000_000)
    if far.any():
        pos = int(np.flatnonzero(far.to_numpy())[0])
        raise InputError(path, f"created {int(created.iloc[pos])} is not a plausible Unix time "
                               "(seconds since 1970)", row=int(lines[pos]), column="created")

    # a post exported twice is one post; two different posts cannot share an id
    if raw.duplicated().any() or post_id.duplicated().any():
        # (line numbers cost a second parse: only files with repeats pay it)
        line_no = [lines[i] for i in range(len(raw))]
        _, unique = drop_exact_duplicates(raw, source=FORUM_SOURCE, quality=quality, where=tag,
                                          labels=line_no, label="lines")
        post_id, discussion, parent = post_id[unique], discussion[unique], parent[unique]
        user, created = user[unique], created[unique]
        line_no = [n for n, k in zip(line_no, unique) if k]
        again = post_id.duplicated().to_numpy()
        if again.any():
            pos = int(np.flatnonzero(again)[0])
            first = int(np.flatnonzero((post_id == post_id.iloc[pos]).to_numpy())[0])
            raise InputError(path, f"post id {int(post_id.iloc[pos])} is also on line "
                                   f"{line_no[first]} with other values",
                             row=int(line_no[pos]), column="id")

    # the parent's author is looked up among all posts, before any is dropped
    author = pd.Series(user.to_numpy(), index=post_id.to_numpy()).groupby(level=0).first()
    is_reply = parent.ne(0)
    target = parent.map(author).where(is_reply)
    missing = is_reply & target.isna()
    reserved_target = is_reply & _is_reserved(target.astype("string")).fillna(False)
    target = target.where(~reserved_target)

    reserved = _is_reserved(user.astype("string")).to_numpy(dtype=bool)
    quality.count(FORUM_SOURCE, "post by a reserved id (0 guest, -1 system)",
                  int(reserved.sum()),
                  detail=f"{tag}: {int(reserved.sum())} posts of "
                         f"{user[reserved].nunique()} distinct id(s)")
    keep = ~reserved
    n_missing = int((missing & keep).sum())
    if n_missing:
        quality.count(FORUM_SOURCE, "reply to a post missing from the export", n_missing,
                      action="flagged",
                      detail=f"{tag}: target_learner_id left null for {n_missing} replies")
    n_reserved_target = int((reserved_target & keep).sum())
    if n_reserved_target:
        quality.count(FORUM_SOURCE, "reply to a post by a reserved id", n_reserved_target,
                      action="flagged",
                      detail=f"{tag}: target_learner_id left null for {n_reserved_target} "
                             f"replies")

    out = pd.DataFrame({
        "learner_id": user[keep].astype(object),
        "course": course,
        "timestamp": pd.to_datetime(created[keep], unit="s", utc=True).dt.as_unit("ns"),
        "source": "forum",
        "action": np.where(is_reply[keep], "reply", "post"),
        # the thread travels with the post, so community analysis can find shared threads
        "object_id": ("discussion:" + discussion[keep].astype(str) + "/post:"
                      + post_id[keep].astype(str)).astype(object),
        "target_learner_id": target[keep].astype(object).where(target[keep].notna(), None),
        "count": pd.array(np.ones(int(keep.sum()), dtype=np.int64), dtype="Int64"),
    })
    flag_future(out["timestamp"], source=FORUM_SOURCE, quality=quality, where=tag)
    out = out.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return validate(out, "events", source=path)[COLUMNS["events"]]
