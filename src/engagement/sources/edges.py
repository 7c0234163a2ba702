"""Reply edge lists (who replied to whom, when) and their participant files -> contract tables.

Many forum datasets are published not as posts but as a reply network: one row per reply,
naming its sender and the person replied to, e.g. the DLT2 MOOC-Ed files
(``DLT2 Edgelist.csv``: Sender, Reciever [sic], Timestamp, Title, Category, Parent,
Description, CommentID, DiscussionID; ``DLT2 Nodes.csv``: uid, facilitator, role, ...).

* :func:`read_reply_edges`: any such CSV -> contract ``events`` (source ``forum``, action
  ``reply``). Columns are found case-insensitively among built-in aliases (:data:`ALIASES`);
  line endings may be CR (old Mac), LF or CRLF, also inside quoted values.
* :func:`read_reply_nodes`: the participant file -> contract ``learners``;
  :func:`staff_ids`: the facilitators/staff it names.
* :func:`load_reply_network`: both at once -> ``courses``, ``learners``, ``events`` with
  staff taken out of the network.

Self-replies (sender == receiver) stay as events, with ``target_learner_id`` null: a
network analysis never sees a loop. Everything dropped, fixed or flagged is counted in the
:class:`~engagement.schema.QualityLog`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from engagement.schema import COLUMNS, InputError, QualityLog, validate
from engagement.sources.mapping import _read_records, count_short_rows
from engagement.sources.text import check_timezone, flag_future, localize

__all__ = ["read_reply_edges", "read_reply_nodes", "staff_ids", "load_reply_network",
           "ALIASES", "EDGES_SOURCE", "NODES_SOURCE", "SELF_REPLY_RULE"]

EDGES_SOURCE = "reply_edges"
"""Name of the edge list in the quality log."""

NODES_SOURCE = "reply_nodes"
"""Name of the participant (nodes) file in the quality log."""

SELF_REPLY_RULE = "self-reply (sender is the receiver): target_learner_id left null"
"""Quality rule (action flagged): a reply to oneself, kept as an event without a target."""

ALIASES: dict[str, tuple[str, ...]] = {
    "sender": ("sender", "from", "source", "author"),
    "receiver": ("receiver", "reciever", "recipient", "to", "target"),
    "timestamp": ("timestamp", "time", "date", "created"),
    "thread": ("discussionid", "discussion", "thread"),
    "post": ("commentid", "post", "id"),
}
"""Column names tried, in order, for each role (compared ignoring case, spaces, ``_``, ``-``)."""

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}
_NULL_MARKERS = {"null", "na", "n/a", "#n/a", "none", "nan"}
"""Cell values read as missing in thread, post and organisation columns (Excel writes #N/A)."""

# d/m/y or m/d/y or y-m-d, optionally followed by a time of day
_DATE = re.compile(r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})"
                   r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")


# --------------------------------------------------------------------------- helpers

def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).casefold()


def _resolve(path, header: Sequence[str], explicit: dict[str, str | None],
             optional: Sequence[str]) -> dict[str, int | None]:
    """Index of each role's column: the explicit name if given, else the first alias found."""
    found: dict[str, int] = {}
    for i, h in enumerate(header):
        found.setdefault(_norm(h), i)
    index, missing = {}, []
    for role, aliases in ALIASES.items():
        given = explicit.get(role)
        names = (given,) if given is not None else aliases
        hit = next((found[_norm(n)] for n in names if _norm(n) in found), None)
        # a column the caller named must exist, even for an optional role
        if hit is None and (given is not None or role not in optional):
            missing.append(f"{given!r}" if given is not None
                           else f"{role} (any of {', '.join(aliases)})")
        index[role] = hit
    if missing:
        raise InputError(path, f"missing column(s) {'; '.join(missing)}; the file has "
                         f"{', '.join(map(repr, header)) or 'no columns'}", row=1)
    return index


def _records(path, *, source: str, quality: QualityLog
             ) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """Header, the records as strings, and each record's first line number (header = 1).

    ``mapping._read_records`` reads the text through ``csv.reader`` over
    ``io.StringIO(text, newline="")``, which ends lines at CR, LF or CRLF, so CR-only files
    and line breaks inside quoted values are read whole, and ``reader.line_num`` counts the
    lines an editor shows.
    """
    short: list[int] = []
    header, rows, lines = _read_records(path, short=short)
    if not rows:
        raise InputError(path, "the file has a header but no data rows", row=1)
    count_short_rows(short, path=path, source=source, quality=quality)
    raw = pd.DataFrame(rows, columns=header, dtype=object).map(
        lambda v: "" if v is None else str(v).strip())
    return header, raw, np.asarray(lines, dtype=np.int64)


def _date_order(values, path, column, lines, all_values) -> tuple[str, bool]:
    """'mdy' or 'dmy' for slash dates, judged on all values; and whether it was a guess."""
    first = second = 0
    two_digit_year = False
    for v in values:
        m = _DATE.match(v)
        if m and len(m.group(1)) <= 2:
            first, second = max(first, int(m.group(1))), max(second, int(m.group(3)))
            two_digit_year = two_digit_year or len(m.group(4)) <= 2
    if first > 12 and second > 12:
        bad = next(v for v in values if (m := _DATE.match(v)) and len(m.group(1)) <= 2
                   and int(m.group(3)) > 12)
        raise InputError(path, f"dates mix day-first and month-first ({bad!r} has a month "
                         "above 12 either way); give date_format", column=column,
                         row=_first_line(all_values, bad, lines))
    if first > 12:
        return "dmy", False
    if second > 12:
        return "mdy", False
    # no day above 12 anywhere: the usual convention of each year width (US exports write
    # M/D/YY, most others D/M/YYYY); the caller is told through the quality log
    return ("mdy" if two_digit_year else "dmy"), True


def _format_of(value: str, order: str) -> str | None:
    """The strptime format of one value in the detected day/month order."""
    m = _DATE.match(value)
    if m is None:
        return None
    a, sep, _, c, hour, _, sec, ampm = m.groups()
    if len(a) == 4:
        date = f"%Y{sep}%m{sep}%d"
    else:
        year = "%y" if len(c) <= 2 else "%Y"
        date = (f"%m{sep}%d{sep}{year}" if order == "mdy" else f"%d{sep}%m{sep}{year}")
    if hour is None:
        return date
    sep_time = value[m.end(4):m.start(5)]
    clock = ("%I" if ampm else "%H") + ":%M" + (":%S" if sec else "")
    gap = value[m.end(7 if sec else 6):m.start(8)] if ampm else ""
    return date + sep_time + clock + (gap + "%p" if ampm else "")


def _blank_markers(raw: pd.DataFrame, i: int, *, path, header, quality) -> pd.DataFrame:
    """A copy of `raw` with null markers (NULL, #N/A, ...) in column `i` made blank, counted."""
    marker = raw.iloc[:, i].str.casefold().isin(_NULL_MARKERS)
    if not marker.any():
        return raw
    quality.count(EDGES_SOURCE, "null marker in an id column read as blank", int(marker.sum()),
                  action="fixed", detail=f"{Path(path).name}, column {header[i]!r}: values "
                  + ", ".join(sorted(set(raw.iloc[:, i][marker]))))
    raw = raw.copy()
    raw.iloc[:, i] = raw.iloc[:, i].where(~marker, "")
    return raw


def _first_line(values: pd.Series, value, lines) -> int | None:
    hits = np.flatnonzero((values == value).to_numpy())
    return int(lines[hits[0]]) if len(hits) else None


def _parse_times(values: pd.Series, *, path, column: str, lines, date_format: str | None,
                 timezone: str, quality: QualityLog) -> pd.Series:
    """Each cell -> UTC. Dates without time are midnight local; parsed with explicit formats."""
    blank = (values == "").to_numpy()
    if blank.any():
        raise InputError(path, "the time of the reply is empty", column=column,
                         row=int(lines[np.flatnonzero(blank)[0]]))
    distinct = list(pd.unique(values))
    order = guessed = None
    if date_format is None:
        order, guessed = _date_order(distinct, path, column, lines, values)
    naive: dict = {}
    aware: dict = {}
    for value in distinct:
        fmt = date_format or _format_of(value, order)
        try:
            if fmt is None:
                # ISO 8601 with a UTC offset (2013-09-27T10:00:00+00:00) is the one other form
                stamp = dt.datetime.fromisoformat(value)
            else:
                stamp = dt.datetime.strptime(value, fmt)
        except ValueError:
            expected = f"format {fmt!r}" if fmt else "M/D/YY, D/M/YYYY or ISO 8601 dates"
            raise InputError(path, f"cannot read {value!r} as a date/time ({expected}; "
                             "set date_format if the dates are written otherwise)",
                             row=_first_line(values, value, lines), column=column) from None
        if not 1678 <= stamp.year <= 2261:  # what datetime64[ns] holds
            raise InputError(path, f"the year of {value!r} is outside 1678-2261",
                             row=_first_line(values, value, lines), column=column)
        (naive if stamp.tzinfo is None else aware)[value] = stamp
    if guessed:
        n = int(values.isin(list(naive)).sum())
        quality.count(EDGES_SOURCE, "day/month order of dates assumed", n, action="flagged",
                      detail=f"{Path(path).name}, column {column!r}: no day above 12, read as "
                             f"{'M/D' if order == 'mdy' else 'D/M'} (give date_format to "
                             "override)")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if naive:
        local = values.isin(list(naive))
        stamps = pd.to_datetime(values[local].map(naive))
        out[local] = localize(stamps, timezone, source=EDGES_SOURCE, quality=quality,
                              where=Path(path).name, column=column)
    if aware:
        offset = values.isin(list(aware))
        out[offset] = pd.to_datetime(values[offset].map(aware), utc=True)
    return out


# --------------------------------------------------------------------------- edges

def read_reply_edges(path: str | os.PathLike, *, course: str, sender: str | None = None,
                     receiver: str | None = None, timestamp: str | None = None,
                     thread: str | None = None, post: str | None = None,
                     date_format: str | None = None, timezone: str = "UTC",
                     quality: QualityLog | None = None) -> pd.DataFrame:
    """Read a reply edge list (one row per reply: sender, receiver, time) as contract events.

    Parameters
    ----------
    path : str or path
        The CSV; only read. Encoding UTF-8 (with or without BOM) or cp1252; lines ending in
        CR, LF or CRLF.
    course : str
        Course code given to every event.
    sender, receiver, timestamp, thread, post : str, optional
        Column names (any case) overriding the built-in aliases (:data:`ALIASES`:
        sender/from/source/author; receiver/reciever/recipient/to/target;
        timestamp/time/date/created; discussionid/discussion/thread; commentid/post/id).
        thread and post may be absent from the file unless named here.
    date_format : str, optional
        strptime format of the times. By default each value's shape is read (D/M/Y or M/D/Y
        with 2- or 4-digit years, Y-M-D; optionally a time of day): a first part above 12
        anywhere means day-first, a second above 12 means month-first; when neither occurs
        the order is assumed (M/D for 2-digit years, D/M for 4-digit) and flagged in
        `quality`.
    timezone : str
        IANA zone of the times (dates without a time are midnight there).
    quality : QualityLog, optional
        Receives the file read (source ``reply_edges``), the time zone, and the rows
        dropped (blank sender), flagged (blank receiver; self-replies, rule
        :data:`SELF_REPLY_RULE`; assumed date order) or fixed (DST, blank post id).

    Returns
    -------
    DataFrame
        Contract ``events`` sorted by time (stable, ties in file order): learner_id (the
        sender, raw string), course, timestamp (UTC), source ``forum``, action ``reply``,
        object_id (``discussion:<thread>/post:<post>``; ``post:<post>`` without a thread;
        the post is the 1-based data row number when there is no post id),
        target_learner_id (the receiver; null for self-replies and blank receivers),
        count (1).

    Raises
    ------
    InputError
        Empty file, missing columns (listing those found), an empty or unreadable time
        (file, line, column), an unknown time zone.
    """
    check_timezone(timezone)
    quality = QualityLog() if quality is None else quality
    path = Path(path)
    name = path.name
    header, raw, lines = _records(path, source=EDGES_SOURCE, quality=quality)
    cols = _resolve(path, header, {"sender": sender, "receiver": receiver,
                                   "timestamp": timestamp, "thread": thread, "post": post},
                    optional=("thread", "post"))
    quality.read(EDGES_SOURCE, path, len(raw))
    quality.timezone(EDGES_SOURCE, timezone)

    def column(role):
        return raw.iloc[:, cols[role]] if cols[role] is not None else None

    who, whom = column("sender"), column("receiver")
    sender_col, receiver_col = header[cols["sender"]], header[cols["receiver"]]
    number = pd.Series(np.arange(1, len(raw) + 1), index=raw.index).astype(str)
    for role in ("thread", "post"):
        if cols[role] is not None:
            raw = _blank_markers(raw, cols[role], path=path, header=header,
                                 quality=quality)
    posts = column("post")
    if posts is None:
        posts = number
    else:
        blank_post = posts == ""
        if blank_post.any():
            quality.count(EDGES_SOURCE, "blank post id: the data row number used",
                          int(blank_post.sum()), action="fixed",
                          detail=f"{name}, column {header[cols['post']]!r}")
            posts = posts.where(~blank_post, number)
    threads = column("thread")
    if threads is None:
        object_id = "post:" + posts
    else:
        object_id = ("discussion:" + threads + "/post:" + posts).where(
            threads != "", "post:" + posts)

    keep = (who != "").to_numpy()
    if not keep.all():
        shown = ", ".join(map(str, lines[~keep][:20]))
        quality.count(EDGES_SOURCE, "blank sender", int((~keep).sum()),
                      detail=f"{name}, column {sender_col!r}: lines {shown}")
    no_target = (whom == "").to_numpy() & keep
    if no_target.any():
        quality.count(EDGES_SOURCE, "blank receiver: target_learner_id left null",
                      int(no_target.sum()), action="flagged",
                      detail=f"{name}, column {receiver_col!r}")
    self_reply = (who == whom).to_numpy() & keep & ~no_target
    # counted even when 0, so a report can say none were found
    quality.count(EDGES_SOURCE, SELF_REPLY_RULE, int(self_reply.sum()), action="flagged",
                  detail=f"{name}: columns {sender_col!r} and {receiver_col!r} equal; kept "
                         "as events, left out of the reply network")

    # only kept rows need a time: a blank-sender row is dropped whatever its date says
    times = _parse_times(column("timestamp")[keep], path=path,
                         column=header[cols["timestamp"]], lines=lines[keep],
                         date_format=date_format, timezone=timezone, quality=quality)
    target = whom.where(~(no_target | self_reply), None)
    out = pd.DataFrame({
        "learner_id": who[keep].astype(object),
        "course": str(course),
        "timestamp": times,
        "source": "forum",
        "action": "reply",
        "object_id": object_id[keep].astype(object),
        "target_learner_id": target[keep].astype(object),
        "count": pd.array(np.ones(int(keep.sum()), dtype=np.int64), dtype="Int64"),
    })
    out["target_learner_id"] = out["target_learner_id"].where(
        out["target_learner_id"].notna(), None)
    flag_future(out["timestamp"], source=EDGES_SOURCE, quality=quality,
                where=f"{name}, column {header[cols['timestamp']]!r}", labels=lines[keep],
                label="lines")
    out = out.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return validate(out, "events", source=path)[COLUMNS["events"]]


# --------------------------------------------------------------------------- nodes

def _truthy(values: pd.Series, *, path, column: str, lines) -> pd.Series:
    def one(v):
        text = v.casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        try:
            return float(text) != 0
        except ValueError:
            raise InputError(path, f"{v!r} is not a yes/no value (1/0, true/false, yes/no)",
                             row=_first_line(values, v, lines), column=column) from None

    return values.map(one).astype(bool)


def _read_nodes(path, *, id_column: str, organisation: str | None, staff_column: str | None,
                quality: QualityLog) -> tuple[pd.DataFrame, set[str]]:
    """Every participant (id, organisation, is_staff), one row per id, and the staff ids."""
    path = Path(path)
    name = path.name
    header, raw, lines = _records(path, source=NODES_SOURCE, quality=quality)
    wanted = {"id": id_column, "organisation": organisation, "staff": staff_column}
    normed: dict[str, int] = {}
    for i, h in enumerate(header):
        normed.setdefault(_norm(h), i)
    missing = [n for n in wanted.values() if n is not None and _norm(n) not in normed]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(map(repr, missing))}; the file "
                         f"has {', '.join(map(repr, header))}", row=1)
    index = {k: (normed[_norm(n)] if n is not None else None) for k, n in wanted.items()}
    quality.read(NODES_SOURCE, path, len(raw))

    ids = raw.iloc[:, index["id"]]
    keep = (ids != "").to_numpy()
    if not keep.all():
        quality.count(NODES_SOURCE, "blank participant id", int((~keep).sum()),
                      detail=f"{name}, column {header[index['id']]!r}: lines "
                             + ", ".join(map(str, lines[~keep][:20])))
    nodes = pd.DataFrame({"learner_id": ids}, index=raw.index)
    if index["organisation"] is None:
        nodes["organisation"] = None
    else:
        org = raw.iloc[:, index["organisation"]]
        marker = org.str.casefold().isin(_NULL_MARKERS) & pd.Series(keep, index=raw.index)
        if marker.any():
            quality.count(NODES_SOURCE, "null marker in organisation read as missing",
                          int(marker.sum()), action="fixed",
                          detail=f"{name}, column {header[index['organisation']]!r}: values "
                                 + ", ".join(sorted(set(org[marker]))))
        nodes["organisation"] = org.where(~(marker | (org == "")), None)
    if index["staff"] is None:
        nodes["staff"] = False
    else:
        nodes["staff"] = _truthy(raw.iloc[:, index["staff"]], path=path,
                                 column=header[index["staff"]], lines=lines)
    nodes, lines = nodes[keep], lines[keep]

    dup = nodes.duplicated(subset=["learner_id", "organisation"], keep="first").to_numpy()
    if dup.any():
        quality.count(NODES_SOURCE, "participant listed twice", int(dup.sum()),
                      detail=f"{name}: lines " + ", ".join(map(str, lines[dup][:20])))
    clash = nodes.duplicated(subset=["learner_id"], keep=False).to_numpy() & ~dup
    if clash.sum() > 1:
        rows = lines[clash]
        raise InputError(path, f"participant {nodes['learner_id'][clash].iloc[0]!r} is listed "
                         f"on lines {rows[0]} and {rows[1]} with different organisations",
                         row=int(rows[1]), column=header[index["organisation"]])
    staff = set(nodes.loc[nodes["staff"], "learner_id"])
    nodes = nodes[~dup].reset_index(drop=True)
    return nodes, staff


def _learners(ids: pd.Series, organisation: pd.Series, course: str) -> pd.DataFrame:
    return pd.DataFrame({
        "learner_id": ids.astype(object).to_numpy(),
        "course": str(course),
        "organisation": organisation.astype(object).where(organisation.notna(), None)
                                    .to_numpy(),
        # the participant files give no enrolment date: the contract allows null
        "enrolled_at": pd.Series(pd.NaT, index=range(len(ids)), dtype="datetime64[ns, UTC]"),
        "acquisition_channel": None,
    })


def read_reply_nodes(path: str | os.PathLike, *, course: str, id_column: str = "uid",
                     organisation: str | None = None, staff_column: str | None = None,
                     quality: QualityLog | None = None) -> pd.DataFrame:
    """Read the participant (nodes) file of a reply network as contract learners.

    Parameters
    ----------
    path : str or path
        The CSV (any line endings); only read.
    course : str
        Course code of every row.
    id_column : str
        Column holding the participant id used in the edge list (any case).
    organisation : str, optional
        Column giving the learner's organisation; blank and null markers (NULL, NA, N/A,
        None) are read as missing (counted as fixed). None: organisation is null.
    staff_column : str, optional
        A yes/no column (1/0, true/false, yes/no) marking staff, e.g. ``facilitator``:
        staff rows are left out of the learners (counted as dropped). See :func:`staff_ids`.
    quality : QualityLog, optional
        Receives the file read (source ``reply_nodes``) and what was dropped or fixed
        (blank ids, repeated participants, staff).

    Returns
    -------
    DataFrame
        Contract ``learners``: learner_id (raw string), course, organisation,
        enrolled_at (NaT: not in such files), acquisition_channel (null).

    Raises
    ------
    InputError
        Missing columns, a staff value that is not yes/no, a participant listed twice with
        different organisations (file, line, column).
    """
    quality = QualityLog() if quality is None else quality
    nodes, staff = _read_nodes(path, id_column=id_column, organisation=organisation,
                               staff_column=staff_column, quality=quality)
    if staff_column is not None:
        is_staff = nodes["learner_id"].isin(staff)
        quality.count(NODES_SOURCE, f"staff ({staff_column!r} is yes) are not learners",
                      int(is_staff.sum()), detail=f"{Path(path).name}: ids "
                      + ", ".join(sorted(staff)[:20]))
        nodes = nodes[~is_staff]
    out = _learners(nodes["learner_id"], nodes["organisation"], course)
    return validate(out, "learners", source=path)[COLUMNS["learners"]]


def staff_ids(path: str | os.PathLike, *, staff_column: str, id_column: str = "uid",
              quality: QualityLog | None = None) -> pd.DataFrame:
    """The participants a nodes file marks as staff (facilitators, tutors).

    Parameters
    ----------
    path : str or path
        The nodes CSV; only read.
    staff_column : str
        The yes/no column (1/0, true/false, yes/no; blank is no), e.g. ``facilitator``.
    id_column : str
        The participant id column.
    quality : QualityLog, optional
        Receives the file read (source ``reply_nodes``).

    Returns
    -------
    DataFrame
        One row per staff member, sorted: learner_id (raw string id).
    """
    quality = QualityLog() if quality is None else quality
    _, staff = _read_nodes(path, id_column=id_column, organisation=None,
                           staff_column=staff_column, quality=quality)
    return pd.DataFrame({"learner_id": pd.Series(sorted(staff), dtype=object)})


# --------------------------------------------------------------------------- network

def load_reply_network(edges_path: str | os.PathLike,
                       nodes_path: str | os.PathLike | None = None, *, course: str,
                       staff_column: str | None = None, organisation: str | None = None,
                       id_column: str = "uid", timezone: str = "UTC",
                       quality: QualityLog | None = None) -> dict[str, pd.DataFrame]:
    """A reply network's courses, learners and events, with staff out of the network.

    Parameters
    ----------
    edges_path : str or path
        The edge list, read by :func:`read_reply_edges` (aliases, date detection).
    nodes_path : str or path, optional
        The participant file (:func:`read_reply_nodes`). Without it the learners are the
        distinct people in the events.
    course : str
        Course code.
    staff_column : str, optional
        Yes/no column of the nodes file marking staff (e.g. ``facilitator``); needs
        `nodes_path`. Events by staff are dropped; replies to staff keep their (learner)
        sender but get a null target_learner_id; staff are not learners. Each is counted
        under a rule naming the column.
    organisation, id_column : str, optional
        As in :func:`read_reply_nodes`.
    timezone : str
        IANA zone of the edge list's times.
    quality : QualityLog, optional
        Receives everything the readers record, plus the staff rules and the people of
        the edges missing from the nodes file (added as learners, counted as fixed).

    Returns
    -------
    dict of str to DataFrame
        ``courses``: one row: course, title (= course), starts_at (midnight, local to
        `timezone`, of the first event's day, in UTC), ends_at (NaT: not known),
        observation_end (the last event's timestamp). ``learners``: contract learners
        (enrolled_at NaT, acquisition_channel null). ``events``: contract events.

    Raises
    ------
    ValueError
        `staff_column` without `nodes_path`; no event left.
    InputError
        As the readers.
    """
    if staff_column is not None and nodes_path is None:
        raise ValueError("staff_column needs nodes_path: staff are marked in the nodes file")
    quality = QualityLog() if quality is None else quality
    events = read_reply_edges(edges_path, course=course, timezone=timezone, quality=quality)
    if nodes_path is not None:
        nodes, staff = _read_nodes(nodes_path, id_column=id_column,
                                   organisation=organisation, staff_column=staff_column,
                                   quality=quality)
    else:
        nodes, staff = None, set()

    if staff_column is not None:
        rule = f"staff ({staff_column!r} is yes)"
        by_staff = events["learner_id"].isin(staff)
        quality.count(EDGES_SOURCE, f"reply by {rule}", int(by_staff.sum()),
                      detail=f"{Path(edges_path).name}: staff are not learners")
        events = events[~by_staff]
        to_staff = events["target_learner_id"].isin(staff)
        # the learner did reply (activity kept); only the staff end leaves the network
        quality.count(EDGES_SOURCE, f"reply to {rule}: target_learner_id left null",
                      int(to_staff.sum()), action="fixed",
                      detail=f"{Path(edges_path).name}: the reply stays as the sender's event")
        events = events.copy()
        events["target_learner_id"] = events["target_learner_id"].where(~to_staff, None)
        events = events.reset_index(drop=True)
        staff_nodes = nodes["learner_id"].isin(staff)
        quality.count(NODES_SOURCE, f"{rule} are not learners", int(staff_nodes.sum()),
                      detail=f"{Path(nodes_path).name}: ids " + ", ".join(sorted(staff)[:20]))
        nodes = nodes[~staff_nodes]
    if events.empty:
        raise ValueError(f"{edges_path}: no reply event left to build a network from")

    people = pd.unique(pd.concat([events["learner_id"],
                                  events["target_learner_id"].dropna()]))
    if nodes is None:
        ids, orgs = pd.Series(people, dtype=object), pd.Series([None] * len(people),
                                                                dtype=object)
    else:
        extra = [p for p in people if p not in set(nodes["learner_id"])]
        quality.count(NODES_SOURCE, "person in the edge list missing from the nodes file "
                      "added as a learner", len(extra), action="fixed",
                      detail=f"{Path(nodes_path).name}: ids " + ", ".join(map(str, extra[:20])))
        ids = pd.concat([nodes["learner_id"], pd.Series(extra, dtype=object)],
                        ignore_index=True)
        orgs = pd.concat([nodes["organisation"], pd.Series([None] * len(extra),
                                                           dtype=object)],
                         ignore_index=True)
    learners = validate(_learners(ids, orgs, course), "learners",
                        source=nodes_path or edges_path)[COLUMNS["learners"]]

    tz = check_timezone(timezone).key
    first_day = events["timestamp"].min().tz_convert(tz).normalize().tz_convert("UTC")
    courses = pd.DataFrame({
        "course": [str(course)],
        "title": [str(course)],
        "starts_at": pd.Series([first_day], dtype="datetime64[ns, UTC]"),
        "ends_at": pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"),
        "observation_end": pd.Series([events["timestamp"].max()], dtype="datetime64[ns, UTC]"),
    })
    courses = validate(courses, "courses", source=edges_path)[COLUMNS["courses"]]
    return {"courses": courses, "learners": learners,
            "events": validate(events, "events", source=edges_path)[COLUMNS["events"]]}
