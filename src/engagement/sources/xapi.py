"""xAPI (Experience API 1.0.3) statements -> the ``events`` table of the contract.

An LRS export or query response is read by :func:`read_xapi`. Three file forms are accepted,
told apart by the first non-whitespace character and the content:

* ``[`` : a JSON array of statements; positions are reported as ``statement N`` (1-based
  index in the array).
* ``{`` followed by a ``"statements"`` key, or a file whose first non-blank line is a lone
  ``{`` (a pretty-printed document): one JSON object, either an LRS query response
  ``{"statements": [...], "more": "..."}`` (positions ``statement N``) or a single statement.
  The ``more`` link of a paged response is not followed; it is flagged in the quality log.
* any other ``{``: JSON lines, one statement per line, blank lines allowed; positions are the
  1-based line number in the file (``row`` of :class:`~engagement.schema.InputError`).

The file must be UTF-8 (a byte-order mark is allowed), as JSON requires.

Mapping of a statement to an event
----------------------------------
``learner_id``
    From the actor: ``account.name`` (preferred: usually the LMS user id), else ``mbox``
    without its ``mailto:`` prefix (an e-mail address: an identifier, pseudonymised later
    by clean.py like every learner id), else ``mbox_sha1sum``, else ``openid``. An actor with
    none of these, or a Group (``objectType: "Group"``), makes the statement malformed.
``timestamp``
    ``timestamp`` (ISO 8601 with an offset or ``Z``), converted to UTC; when it is absent,
    ``stored`` is used (counted as fixed). A time without an offset is malformed: xAPI
    requires one. Both absent: malformed.
``action``
    From the verb id by :data:`VERB_ACTIONS` (the ADL verbs are also recognised under
    ``https://`` and under ``https://w3id.org/xapi/adl/verbs/<name>``, and every other verb
    under http and https). Unknown verbs are kept as ``other`` and flagged, counted per verb id.
``source``
    ``forum`` for ``post`` and ``reply``; ``webinar`` for ``attended`` an activity whose
    ``definition.type`` is in :data:`MEETING_TYPES`; else ``lms``.
``object_id``
    The object's ``id`` (an IRI) as it is; null for an Agent or SubStatement object.
``target_learner_id``
    Only for ``reply``: when ``context.statement`` is a StatementRef to another well-formed
    statement of the same file, that statement's learner. Otherwise null (a reply whose
    referenced statement is not in the file is flagged and counted).
``course``
    The ``course`` argument when given; else, with ``course_from="context"``, the first
    ``context.contextActivities.parent`` activity, falling back on the first ``grouping``
    one (``"parent"`` / ``"grouping"`` use only that list). The course code is the IRI's last
    path segment (``https://lms.example.org/course/DIG101`` -> ``DIG101``); an IRI with a
    query string (Moodle's ``course/view.php?id=2``) or without a path is kept whole rather
    than guessed. No course and no `course` argument: malformed.
``count``
    1.

Voiding (verb ``http://adlnet.gov/expapi/verbs/voided``, object a StatementRef): the voiding
statement and the statement it voids are both dropped and counted. Statements repeating an
earlier ``id`` are dropped and counted (the first is kept). Malformed statements are dropped
and counted with their positions; only a file whose JSON cannot be read at all, or in which
every statement is malformed, raises (``strict=True`` raises at the first malformed one).
The quality-log source is ``"xapi"``; detail strings start with the file name.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from engagement.schema import COLUMNS, InputError, QualityLog, validate
from engagement.sources.text import decode, flag_future

__all__ = ["read_xapi", "VERB_ACTIONS", "VOIDED_VERB", "MEETING_TYPES", "COURSE_FROM",
           "MALFORMED_RULE"]

SOURCE = "xapi"

_ADL = "http://adlnet.gov/expapi/verbs/"
_W3ID = "https://w3id.org/xapi/adl/verbs/"
_TINCAN = "http://id.tincanapi.com/verb/"

VERB_ACTIONS: dict[str, str] = {
    # Opening or going through content: a view, as Moodle's "viewed" events are.
    _ADL + "launched": "view",
    _ADL + "initialized": "view",
    _ADL + "experienced": "view",
    _ADL + "interacted": "view",
    _ADL + "progressed": "view",
    _ADL + "resumed": "view",          # the learner came back to the activity
    _TINCAN + "viewed": "view",
    _ADL + "attempted": "attempt",
    # Reaching the end or the required level of an activity.
    _ADL + "completed": "complete",
    _ADL + "passed": "complete",
    _ADL + "mastered": "complete",
    _W3ID + "satisfied": "complete",
    # A failed attempt is still a submitted attempt: failing is not completing.
    _ADL + "failed": "submit",
    _ADL + "scored": "submit",
    _ADL + "answered": "submit",
    _ADL + "responded": "submit",
    # Contributions others can read.
    _ADL + "commented": "post",
    _ADL + "shared": "post",
    _ADL + "asked": "post",
    _TINCAN + "replied": "reply",
    _ADL + "attended": "attend",
    _W3ID + "logged-in": "login",
    # Not engagement by the learner, or only the end/pause of one: kept as "other" but not
    # flagged as unknown.
    _ADL + "registered": "other",
    _ADL + "terminated": "other",
    _ADL + "exited": "other",
    _ADL + "suspended": "other",
    _ADL + "imported": "other",
    _ADL + "preferred": "other",
    _W3ID + "logged-out": "other",
    _W3ID + "waived": "other",
}
"""Verb id -> contract action. ADL verbs are matched under http/https and under both the
``adlnet.gov/expapi/verbs/`` and ``w3id.org/xapi/adl/verbs/`` forms; other verbs under http
and https. A verb not listed becomes ``other`` and is flagged in the quality log."""

VOIDED_VERB = _ADL + "voided"
"""The voiding verb (also matched in the https and w3id forms): the statement and the one
it voids are dropped. It has no entry in :data:`VERB_ACTIONS` because it makes no event."""

MEETING_TYPES = frozenset({
    "http://adlnet.gov/expapi/activities/meeting",
    "http://id.tincanapi.com/activitytype/webinar",
    "https://w3id.org/xapi/acrossx/activities/webinar",
})
"""Activity types (``object.definition.type``, http or https) that make ``attended`` a
``webinar`` event."""

COURSE_FROM = ("context", "parent", "grouping")
"""Where the course is read when no `course` is given: ``context`` = first parent activity,
else first grouping activity; ``parent`` or ``grouping`` = only that list."""

MALFORMED_RULE = "malformed xAPI statement"
UNKNOWN_VERB_RULE = "unknown xAPI verb mapped to action 'other'"
DUPLICATE_RULE = "duplicate xAPI statement id"
VOIDING_RULE = "voiding xAPI statement"
VOIDED_RULE = "xAPI statement voided by a later statement"
STORED_RULE = "no timestamp: stored time used"
REPLY_TARGET_RULE = "reply to a statement not in the file"
MORE_RULE = "LRS response has further pages (more) not read"

_MAX_QUOTED = 5  # positions quoted in a detail string


def _aliases(iri: str) -> set[str]:
    """Every spelling of a verb/activity IRI that is matched like it."""
    m = re.match(r"^https?://(?:adlnet\.gov/expapi/verbs/|w3id\.org/xapi/adl/verbs/)(.+)$", iri)
    if m:
        return {f"{scheme}://{host}{m[1]}" for scheme in ("http", "https")
                for host in ("adlnet.gov/expapi/verbs/", "w3id.org/xapi/adl/verbs/")}
    m = re.match(r"^https?://(.+)$", iri)
    return {"http://" + m[1], "https://" + m[1]} if m else {iri}


_VERB_LOOKUP = {alias: action for iri, action in VERB_ACTIONS.items() for alias in _aliases(iri)}
_VOIDED = _aliases(VOIDED_VERB)
_ATTENDED = _aliases(_ADL + "attended")
_MEETINGS = {alias for t in MEETING_TYPES for alias in _aliases(t)}
_LRS_START = re.compile(r'^\{\s*"statements"\s*:')


class _Malformed(Exception):
    """One statement that cannot be read; the message is the reason."""


# --------------------------------------------------------------------------- file forms

def _items(path: Path, text: str) -> tuple[list[tuple[str, int | None, object]], str | None]:
    """The raw statements as (position label, line or None, parsed JSON or _Malformed).

    Also returns the LRS ``more`` link when there is one. Raises InputError when the file as
    a whole is not readable JSON.
    """
    body = text.lstrip()
    if not body:
        raise InputError(path, "the file is empty (no xAPI statements)")
    first_line = text[:len(text) - len(body)].count("\n") + 1
    first = body[0]
    if first not in "[{":
        raise InputError(path, f"not xAPI JSON: expected '[' (array), '{{' (object) or JSON "
                               f"lines, found {first!r}", row=first_line)
    lone_brace = body.split("\n", 1)[0].strip() == "{"
    if first == "[" or _LRS_START.match(body) or lone_brace:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON ({exc.msg}, column {exc.colno})",
                             row=exc.lineno) from None
        more = None
        if isinstance(doc, dict) and "statements" in doc:
            more = doc.get("more") or None
            doc = doc["statements"]
            if not isinstance(doc, list):
                raise InputError(path, "the LRS response's \"statements\" is not a list")
        elif isinstance(doc, dict):
            doc = [doc]  # one pretty-printed statement
        return [(f"statement {i}", None, s) for i, s in enumerate(doc, start=1)], more
    # JSON lines: positions are physical line numbers; split on \n only, since U+2028 and
    # friends may stand unescaped inside JSON strings.
    items = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            value = _Malformed(f"not valid JSON ({exc.msg}, column {exc.colno})")
        items.append((f"line {number}", number, value))
    return items, None


# --------------------------------------------------------------------------- one statement

def _learner(actor) -> str:
    if not isinstance(actor, dict):
        raise _Malformed("no actor")
    if actor.get("objectType") == "Group":
        raise _Malformed("the actor is a Group, not one learner")
    account = actor.get("account")
    if isinstance(account, dict) and _nonempty(account.get("name")):
        return str(account["name"]).strip()
    mbox = actor.get("mbox")
    if _nonempty(mbox):
        mbox = str(mbox).strip()
        return mbox[7:] if mbox.lower().startswith("mailto:") else mbox
    for key in ("mbox_sha1sum", "openid"):
        if _nonempty(actor.get(key)):
            return str(actor[key]).strip()
    raise _Malformed("the actor has no account name, mbox, mbox_sha1sum or openid")


def _nonempty(value) -> bool:
    return (isinstance(value, str) and value.strip() != "") or (
        isinstance(value, int) and not isinstance(value, bool))


def _time(value, key: str) -> dt.datetime:
    if not isinstance(value, str):
        raise _Malformed(f"{key} {value!r} is not an ISO 8601 string")
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Malformed(f"{key} {value!r} is not ISO 8601") from None
    if when.tzinfo is None:
        raise _Malformed(f"{key} {value!r} has no time-zone offset (xAPI requires one)")
    when = when.astimezone(dt.timezone.utc)
    if not 1678 <= when.year <= 2261:  # the range of datetime64[ns]
        raise _Malformed(f"{key} {value!r} is out of range")
    return when


def _activities(context, key: str) -> list:
    acts = context.get("contextActivities") if isinstance(context, dict) else None
    value = acts.get(key) if isinstance(acts, dict) else None
    # xAPI 0.95 allowed a single object instead of a list; LRSs still emit it sometimes.
    return [value] if isinstance(value, dict) else (value if isinstance(value, list) else [])


def _course_code(iri: str) -> str:
    parts = urlsplit(iri)
    if parts.query or not parts.netloc:
        return iri  # view.php?id=2 or a URN: no segment that is a course code
    segments = [s for s in parts.path.split("/") if s]
    return segments[-1] if segments else iri


def _course(context, course_from: str) -> str:
    lists = {"context": ("parent", "grouping"), "parent": ("parent",),
             "grouping": ("grouping",)}[course_from]
    for key in lists:
        acts = _activities(context, key)
        if acts and isinstance(acts[0], dict) and _nonempty(acts[0].get("id")):
            return _course_code(str(acts[0]["id"]).strip())
    where = " or ".join(f"context.contextActivities.{k}" for k in lists)
    raise _Malformed(f"no course: no {where} activity (pass course=...)")


def _statement(st, course: str | None, course_from: str) -> dict:
    """The fields of one statement; raises _Malformed with the reason."""
    if isinstance(st, _Malformed):
        raise st
    if not isinstance(st, dict):
        raise _Malformed(f"not a JSON object (a {type(st).__name__})")
    if "actor" not in st:
        raise _Malformed("no actor")
    learner = _learner(st["actor"])
    verb = st.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    if not _nonempty(verb_id) or not isinstance(verb_id, str):
        raise _Malformed("no verb id")
    verb_id = verb_id.strip()
    obj = st.get("object")
    if not isinstance(obj, dict):
        raise _Malformed("no object")
    kind = obj.get("objectType", "Activity")
    obj_id = obj.get("id")
    sid = st.get("id")
    sid = sid.strip().lower() if isinstance(sid, str) and sid.strip() else None
    out = {"id": sid, "learner_id": learner, "verb_id": verb_id}
    if verb_id in _VOIDED:
        if kind != "StatementRef" or not _nonempty(obj_id):
            raise _Malformed("a voided statement's object must be a StatementRef with an id")
        return {**out, "voids": str(obj_id).strip().lower()}
    if kind in ("Activity", "StatementRef") and not (_nonempty(obj_id)
                                                     and isinstance(obj_id, str)):
        raise _Malformed(f"the object ({kind}) has no id")
    if st.get("timestamp") is not None:
        when, stored = _time(st["timestamp"], "timestamp"), False
    elif st.get("stored") is not None:
        when, stored = _time(st["stored"], "stored"), True
    else:
        raise _Malformed("no timestamp and no stored time")
    context = st.get("context")
    ref = context.get("statement") if isinstance(context, dict) else None
    ref = ref.get("id") if isinstance(ref, dict) and ref.get("objectType") == "StatementRef" \
        else None
    definition = obj.get("definition")
    act_type = definition.get("type") if isinstance(definition, dict) else None
    return {**out, "voids": None,
            "course": str(course) if course is not None else _course(context, course_from),
            "timestamp": when, "from_stored": stored,
            "object_id": obj_id.strip() if isinstance(obj_id, str) else None,
            "reply_to": ref.strip().lower() if isinstance(ref, str) else None,
            "meeting": act_type in _MEETINGS}


# --------------------------------------------------------------------------- reader

def _where(label: str, line: int | None) -> str:
    return label if line is None else f"line {line}"


def read_xapi(path: str | os.PathLike, *, course: str | None = None,
              course_from: str = "context", strict: bool = False,
              quality: QualityLog | None = None) -> pd.DataFrame:
    """Read a file of xAPI 1.0.3 statements into contract ``events``.

    Parameters
    ----------
    path : str or path
        A JSON array of statements, an LRS query response ``{"statements": [...]}``, or JSON
        lines (see the module docstring for how the form is detected). UTF-8. Not modified.
    course : str, optional
        Course code for every row; overrides the statements' context.
    course_from : {"context", "parent", "grouping"}
        Where the course is read when `course` is not given (:data:`COURSE_FROM`).
    strict : bool
        Raise :class:`InputError` at the first malformed statement instead of dropping and
        counting it.
    quality : QualityLog, optional
        Where the read, the time zone (UTC) and every dropped/fixed/flagged statement are
        recorded (source ``"xapi"``).

    Returns
    -------
    DataFrame
        Contract ``events``, sorted by time (stable): ``learner_id`` (account name, e-mail
        address, mbox_sha1sum or openid: an identifier, str), ``course``, ``timestamp``
        (UTC), ``source`` (``forum``, ``webinar`` or ``lms``), ``action``
        (:data:`VERB_ACTIONS`, else ``other``), ``object_id`` (the object IRI),
        ``target_learner_id`` (replies only, see the module docstring), ``count`` (1).

    Raises
    ------
    InputError
        The file is empty, not UTF-8, or not readable JSON as a whole (naming the line);
        every statement is malformed (naming the first and why); with `strict`, the first
        malformed statement (``row`` = its line for JSON lines, ``statement N`` in the
        message for arrays).
    ValueError
        `course_from` is not one of :data:`COURSE_FROM`.

    Notes
    -----
    Dropped and counted: malformed statements (:data:`MALFORMED_RULE`, positions and reasons
    of the first few), repeated statement ids, voiding statements and the statements they
    void. Fixed: statements timed by ``stored``. Flagged: unknown verbs (per verb id),
    replies to a statement not in the file, an LRS ``more`` link not followed.
    """
    if course_from not in COURSE_FROM:
        raise ValueError(f"course_from must be one of {', '.join(COURSE_FROM)}, "
                         f"not {course_from!r}")
    path = Path(path)
    quality = QualityLog() if quality is None else quality
    text, _ = decode(path, encoding="utf-8")  # JSON is UTF-8 (RFC 8259)
    items, more = _items(path, text)
    quality.read(SOURCE, path, len(items))
    quality.timezone(SOURCE, "UTC")  # xAPI times carry their offset
    name = path.name

    good, bad = [], []
    for label, line, raw in items:
        try:
            good.append(_statement(raw, course, course_from))
        except _Malformed as exc:
            if strict and line is not None:
                raise InputError(path, f"malformed xAPI statement: {exc}", row=line) from None
            if strict:
                raise InputError(path, f"{label}: malformed xAPI statement: {exc}") from None
            bad.append((label, line, str(exc)))
    if items and not good:
        label, line, reason = bad[0]
        msg = f"every statement ({len(bad)}) is malformed; the first: {reason}"
        if line is None:
            raise InputError(path, f"{label}: {msg}")
        raise InputError(path, msg, row=line)
    if bad:
        quoted = "; ".join(f"{_where(lb, ln)}: {why}" for lb, ln, why in bad[:_MAX_QUOTED])
        more_bad = f"; and {len(bad) - _MAX_QUOTED} more" if len(bad) > _MAX_QUOTED else ""
        quality.count(SOURCE, MALFORMED_RULE, len(bad), detail=f"{name}: {quoted}{more_bad}")
    if more:
        quality.count(SOURCE, MORE_RULE, 0, action="flagged",
                      detail=f"{name}: more = {more}; fetch the next page and read it too")

    # Repeated ids: the first copy is kept (an LRS re-sent or exported twice).
    seen, kept, dups = set(), [], Counter()
    for st in good:
        if st["id"] is not None and st["id"] in seen:
            dups[st["id"]] += 1
            continue
        seen.add(st["id"])
        kept.append(st)
    if dups:
        quality.count(SOURCE, DUPLICATE_RULE, sum(dups.values()),
                      detail=f"{name}: " + ", ".join(f"{k} x{v}" for k, v in dups.items()))

    # Who made each statement, for replies (voided ones included: the person is still known).
    authors = {st["id"]: st["learner_id"] for st in kept if st["id"] is not None}

    voiding = [st for st in kept if st["voids"] is not None]
    targets = {st["voids"] for st in voiding}
    if voiding:
        missing = len(targets - {st["id"] for st in kept if st["voids"] is None})
        quality.count(SOURCE, VOIDING_RULE, len(voiding),
                      detail=f"{name}: {len(voiding)} voiding statement(s); {missing} voided "
                             f"id(s) not in the file")
    events = [st for st in kept if st["voids"] is None]
    voided = [st for st in events if st["id"] in targets]
    if voided:
        quality.count(SOURCE, VOIDED_RULE, len(voided),
                      detail=f"{name}: " + ", ".join(st["id"] for st in voided[:_MAX_QUOTED])
                             + (" ..." if len(voided) > _MAX_QUOTED else ""))
        events = [st for st in events if st["id"] not in targets]

    n_stored = sum(st["from_stored"] for st in events)
    if n_stored:
        quality.count(SOURCE, STORED_RULE, n_stored, action="fixed",
                      detail=f"{name}: {n_stored} statement(s) without timestamp")

    verb = pd.Series([st["verb_id"] for st in events], dtype=object)
    action = verb.map(_VERB_LOOKUP).fillna("other")
    unknown = Counter(v for v, a in zip(verb, action) if v not in _VERB_LOOKUP)
    if unknown:
        quality.count(SOURCE, UNKNOWN_VERB_RULE, sum(unknown.values()), action="flagged",
                      detail=f"{name}: " + "; ".join(f"{k}: {v}" for k, v in
                                                     unknown.most_common()))
    meeting = np.array([st["meeting"] for st in events], dtype=bool)
    is_attended = verb.isin(_ATTENDED).to_numpy(dtype=bool)
    source = np.where(action.isin(["post", "reply"]), "forum",
                      np.where(is_attended & meeting, "webinar", "lms"))

    target, unresolved = [], 0
    for st, act in zip(events, action):
        if act == "reply" and st["reply_to"] is not None:
            who = authors.get(st["reply_to"])
            unresolved += who is None
            target.append(who)
        else:
            target.append(None)
    if unresolved:
        quality.count(SOURCE, REPLY_TARGET_RULE, unresolved, action="flagged",
                      detail=f"{name}: target_learner_id left null")

    out = pd.DataFrame({
        "learner_id": pd.Series([st["learner_id"] for st in events], dtype=object),
        "course": pd.Series([st["course"] for st in events], dtype=object),
        "timestamp": pd.to_datetime(pd.Series([st["timestamp"] for st in events],
                                              dtype=object), utc=True).astype(
                                                  "datetime64[ns, UTC]"),
        "source": pd.Series(source, dtype=object),
        "action": action.astype(object),
        "object_id": pd.Series([st["object_id"] for st in events], dtype=object),
        "target_learner_id": pd.Series(target, dtype=object),
        "count": pd.array(np.ones(len(events), dtype=np.int64), dtype="Int64"),
    })
    flag_future(out["timestamp"], source=SOURCE, quality=quality, where=name)
    out = out.sort_values("timestamp", kind="stable").reset_index(drop=True)
    out = validate(out, "events", source=path)
    return out[COLUMNS["events"]]
