"""The simulated demo community: raw exports in real formats, with planted effects of known size.

Every notebook runs on this by default (``engagement demo`` writes ``data/raw/demo/``). It is
a simulation, not a table of answers: learners enrol, log in, fade, post, reply, attend
webinars and tutorials, complete or withdraw, and :func:`write_demo` renders what they did
as the files a training provider would export (layout in ``data/raw/README.md``), mess
included. :func:`truth` computes every planted estimand from a large population of the same
model, so analyses of the demo data can be checked against known answers.

The model
---------
Population. ``n_learners`` enrolments (learner x course) in ``n_courses`` courses (DIG101,
COM201, LEAD301, ...) of ``weeks`` weeks starting on a Monday, from ``n_organisations``
partner organisations of unequal size (log-normal weights, sd {ORG_SIZE_SD}). About
{DOUBLE_ENROL_SHARE:.0%} of people are enrolled in two courses (one Moodle user id, two
enrolments). Enrolment times spread from {ENROL_FROM_DAYS} days before the start to
{ENROL_TO_DAYS} days after it. Acquisition channel drawn with shares {CHANNEL_SHARES}; the
channel has NO effect on engagement (a planted null). Three test accounts (``Test Student
N``), a teacher per course, the admin (id 2), the guest (id 0) and the system (id -1) add
rows to the Moodle logs; none of them is a learner of the simulated community.

Latent engagement. Learner i in week t has ``z[i, t] = a_i + u_org + r[i, t]``: a learner
effect a_i ~ N(0, {SD_LEARNER}) (shared by a person's two enrolments), an organisation effect
u_org ~ N(0, {SD_ORG}), and a random walk r with weekly steps N(0, {SD_DRIFT}).

Starting. {NEVER_START_SHARE:.0%} of enrolments never start (no activity at all). The others
log in for the first time the day after enrolling (or on the course's first day) plus an
exponential delay of mean {FIRST_LOGIN_DELAY_DAYS} days; that week is their first active week
and they are active in it by definition.

Disengaging. From the week after the first login, a learner who is not yet dormant becomes
dormant (absorbing: no more online activity) with probability ``1 - exp(-H)``, where
``H = h_k * exp(-{HAZARD_Z} * z) * HR ** reply`` (a discrete-time proportional-hazards model,
complementary log-log link). ``h_k`` is the baseline hazard k weeks after the first login:
{EARLY_HAZARD} for k = 1, 2, ..., then {LATE_HAZARD}: most learners fade after their first
few logins. A dormant learner withdraws formally with probability {WITHDRAW_SHARE}
({WITHDRAW_DELAY_MAX_DAYS} days at most after going dormant); never-starters withdraw with the
same probability.

Weekly online activity. A started, non-dormant learner is active (any lms/forum event) in week
t with probability ``expit({ACTIVE_BASE} + z + gamma * colleague_share[t-1] + delta *
attended[t-1])``. In an active week, active days ~ 1 + Binomial(6, expit({DAY_BASE} +
{DAY_Z} z)); one session a day opening with ``Course viewed``, then about
{ACTIONS_MEAN} further actions (resources, URLs, discussions viewed, quizzes, assignment
submissions, completion updates).

Blended sessions. Each course holds one session a week: a Zoom webinar in odd course weeks,
a tutorial in even weeks, face to face in weeks divisible by four (day of week, Monday = 0,
{DOW}; London local start {SESSION_TIME}). A learner who logged in before week t and has not
withdrawn attends with probability ``expit(attend_base[format] + {ATTEND_ACTIVE} *
active[t-1])`` (bases {ATTEND_BASE}). Attendance depends on nothing else: the previous
week's activity is the (only) confounder, so a naive comparison of attendees with
non-attendees overstates the effect while adjusting for prior-week activity recovers it.
Dormant learners may still attend (they stopped using Moodle, not the tutorials), but
attending does not wake them up.

Forum. In their first active week a learner posts an introduction with probability
``expit({FIRST_POST_BASE} + {POST_Z} z)``; when another learner of the course is active that
week, a peer replies with probability {PEER_REPLY_PROB} (a colleague from the same
organisation {SAME_ORG_REPLY_WEIGHT}x as likely to be the one). The teacher also replies to
{TEACHER_REPLY_PROB:.0%} of introductions (not a peer reply). "Week one" is the learner's
first active course week (Monday to Sunday, Europe/London), the week of their first login;
peer replies to introductions happen only then, and only these count as a week-one peer
reply. In later active weeks learners post in each session with probability
``expit({LATER_POST_BASE} + {POST_Z} z)``, starting a discussion or replying to a recent
post of someone else.

Outcomes. Learners still not dormant at the end complete: the first course is ungraded
(``Completed``), the others are graded: score = {SCORE_BASE} + {SCORE_PER_WEEK} x active weeks +
{SCORE_LEARNER} a_i + N(0, {SCORE_SD}) (clipped to 0-100),
``Distinction`` >= {DISTINCTION_FROM}, ``Passed`` >= {PASS_FROM}, else ``Failed``. The others
are ``Withdrawn`` or ``In progress``.

Outreach. A randomised split test with a paired design: each of {N_CAMPAIGN_MESSAGES}
campaign messages is posted on EVERY channel (LinkedIn, Facebook, X), the same content text
on the three platforms, on the same day ({N_CAMPAIGN_POSTS} posts). A post's mean engagement
rate is the channel's rate times ``exp(m_j - {SD_MESSAGE}**2 / 2)``, with a message effect
m_j ~ N(0, {SD_MESSAGE}) shared by the message's three posts (between-message variation; the
correction keeps the channel's mean rate over messages); its rate is drawn from a beta
distribution around that mean (concentration {RATE_CONCENTRATION}: between-post noise),
impressions are log-normal (median {IMPRESSIONS_MEDIAN}), engagements ~ Binomial(impressions,
rate). {N_OTHER_POSTS} further posts per platform are outside the test (blank Labels). Campaign
posts carry ``Labels`` = ``<campaign> | variant: <channel> | message: <key>`` (key ``M01``,
``M02``, ...), so an analysis can pair the posts of a message.

E-mail invitation test. {N_EMAIL_RECIPIENTS} people (not the enrolled learners) are sent an
invitation e-mail, randomised to variants {EMAIL_VARIANTS} in equal numbers (complete
randomisation: shuffled equal-sized arms), sent on weekdays in the four weeks before the
start, 09:00-17:00 Europe/London. A recipient opens with probability {EMAIL_OPEN_RATE},
clicks given opened with probability {EMAIL_CLICK_GIVEN_OPEN}, and signs up given clicked with
probability {EMAIL_SIGNUP_GIVEN_CLICK} (opens and clicks the same for every variant). The
sign-ups are not linked to the enrolled learners (acquisition channels are drawn as above).

Planted effects (at ``effects=1``; ``effects`` multiplies each on the log scale, so
``effects=0`` makes every one of them exactly null):

- attending a webinar or tutorial adds delta = {ATTENDANCE_LOG_ODDS} to the log-odds of being
  active online the following week (``attendance_lift`` in :func:`truth` is the resulting
  risk difference among attended learner-weeks);
- a peer reply to a learner's first-week post multiplies their weekly hazard of going dormant
  by HR = {PEER_REPLY_HAZARD_RATIO} for every later week;
- each unit of the share of colleagues (same organisation, same course) active the previous
  week adds gamma = {COLLEAGUE_LOG_ODDS} to the log-odds of being active (only for learners
  not yet dormant, which the exports cannot show; measured: a weekly panel logit with
  organisation, course, week and weeks-since-start effects on the simulation's own weekly
  activity gives -0.18 (95% CI -0.38 to 0.02) even with 8,000 learners in 300
  organisations, so neither 06_drivers nor the findings claim to recover it);
- LinkedIn's mean engagement rate is {LINKEDIN_RATE_RATIO} times Facebook's and X's (both
  {BASE_ENGAGEMENT_RATE}), for every message (the within-message ratio);
- e-mail variant {EMAIL_LIFT_VARIANT} multiplies the probability of signing up given a click
  by {EMAIL_SIGNUP_RATIO} (capped at 1), so its sign-up rate per recipient is
  {EMAIL_SIGNUP_RATIO} times that of the other variants (``email_signup_rate_ratio`` in
  :func:`truth`).

What the files contain (time zones in ``MANIFEST.json``): Moodle logs in Europe/London local
time with no zone, newest first, one in cp1252, one in UTF-8 with BOM, the rest UTF-8,
{DUPLICATE_SHARE:.0%} exact duplicate rows and one malformed line per course (duplicates and
malformed lines are extra copies: the true events are all there once); the Zoom report in
America/New_York with rejoins, personal or missing e-mails, name variants, the teacher
(host) and guests matching no learner (Poisson, mean {UNMATCHED_SHARE:.0%} of the
attendees); sign-in sheets with mostly blank e-mails, name and organisation variants and
visitors (same rate); the e-mail test in Europe/London local time with no zone, one row per
recipient (``email/invitation_test.csv``); social exports with the columns of the real tool, thousands
separators, EST/EDT offsets and the tool's "00:MM PM" for the hour after noon.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

# ---------------------------------------------------------------- model constants
ORG_SIZE_SD = 0.8
DOUBLE_ENROL_SHARE = 0.03
ENROL_FROM_DAYS = -21
ENROL_TO_DAYS = 28
CHANNEL_SHARES = {"linkedin": 0.30, "facebook": 0.20, "x": 0.10, "email": 0.25, "other": 0.15}
SD_LEARNER = 0.9
SD_ORG = 0.4
SD_DRIFT = 0.3
NEVER_START_SHARE = 0.12
FIRST_LOGIN_DELAY_DAYS = 3.0
EARLY_HAZARD = (0.45, 0.32, 0.22, 0.15)
LATE_HAZARD = 0.07
HAZARD_Z = 0.5
WITHDRAW_SHARE = 0.35
WITHDRAW_DELAY_MAX_DAYS = 20
ACTIVE_BASE = 0.4
DAY_BASE = -1.4
DAY_Z = 0.4
ACTIONS_MEAN = 4.0
ATTEND_BASE = {"webinar": -2.4, "tutorial": -2.7, "face_to_face": -3.0}
ATTEND_ACTIVE = 2.0
FIRST_POST_BASE = -0.4
POST_Z = 0.8
LATER_POST_BASE = -3.0
PEER_REPLY_PROB = 0.55
SAME_ORG_REPLY_WEIGHT = 3.0
TEACHER_REPLY_PROB = 0.3
PASS_FROM = 50
SCORE_BASE, SCORE_PER_WEEK, SCORE_LEARNER, SCORE_SD = 40, 3, 6, 8
DISTINCTION_FROM = 80
N_CAMPAIGN_MESSAGES = 30
N_CAMPAIGN_POSTS = 3 * N_CAMPAIGN_MESSAGES  # every message on each of the three platforms
SD_MESSAGE = 0.3
N_EMAIL_RECIPIENTS = 3000
EMAIL_VARIANTS = ("A", "B", "C")
EMAIL_OPEN_RATE = 0.45
EMAIL_CLICK_GIVEN_OPEN = 0.25
EMAIL_SIGNUP_GIVEN_CLICK = 0.3
N_OTHER_POSTS = 8
RATE_CONCENTRATION = 60.0
IMPRESSIONS_MEDIAN = 850
DUPLICATE_SHARE = 0.01
UNMATCHED_SHARE = 0.10

# planted effects (at effects=1)
ATTENDANCE_LOG_ODDS = 1.0
PEER_REPLY_HAZARD_RATIO = 0.6
COLLEAGUE_LOG_ODDS = 1.0
LINKEDIN_RATE_RATIO = 1.6
BASE_ENGAGEMENT_RATE = 0.03
EMAIL_SIGNUP_RATIO = 1.6
EMAIL_LIFT_VARIANT = "B"

DOW = {"webinar": 2, "tutorial": 3, "face_to_face": 5}  # Wednesday, Thursday, Saturday
SESSION_TIME = {"webinar": (18, 30), "tutorial": (12, 30), "face_to_face": (10, 0)}

__doc__ = __doc__.format(**{k: v for k, v in globals().items() if k.isupper()})

TZ_LOCAL = "Europe/London"
TZ_ZOOM = "America/New_York"
TZ_SOCIAL = "America/New_York"
CAMPAIGN = "Spring 2026 recruitment"
PROVIDER = ("LearnWell Partnership", "learnwell.example")

MOODLE_COLUMNS = ["Time", "User full name", "Affected user", "Event context", "Component",
                  "Event name", "Description", "Origin", "IP address"]
FORUM_COLUMNS = ["id", "discussion", "parent", "userid", "userfullname", "created", "subject",
                 "message"]
ZOOM_COLUMNS = ["Meeting ID", "Topic", "Name (Original Name)", "User Email", "Join Time",
                "Leave Time", "Duration (Minutes)", "Guest"]
EMAIL_COLUMNS = ["recipient_email", "variant", "sent_at", "opened", "clicked", "signed_up"]
SIGNIN_COLUMNS = ["Date", "Start", "Course", "Format", "Full name", "Email", "Organisation"]
SOCIAL_COLUMNS = {
    "linkedin": ["Date", "Content", "Created by", "Labels", "Impressions", "Reach", "Clicks",
                 "Likes", "Shares", "Comments", "Engagement",
                 "Engagement rate per impression (%)", "Engagement rate per reach (%)",
                 "export.csv.content.videoView", "Url"],
    "facebook": ["Date", "Content", "Created by", "Labels", "Organic Reach", "Paid Reach",
                 "Total reach", "Organic impressions", "Paid impressions", "Total impressions",
                 "Engaged users", "Engagement rate per reach (%)",
                 "Engagement rate per impression (%)", "Clicks", "Link clicks", "Photo views",
                 "Video play", "Other clicks", "Organic video views", "Paid video views",
                 "Total video views", "Average time watched",
                 "Average percentage of time watched", "Url"],
    "twitter": ["Date", "Content", "Created by", "Labels", "Impressions", "Likes", "Reposts",
                "Quote posts", "Replies", "Engagement", "Engagement rate per impression (%)",
                "Video views", "Url"],
}

COURSE_TEMPLATES = [
    ("DIG101", "Digital skills for work"), ("COM201", "Community engagement in practice"),
    ("LEAD301", "Leading teams in the third sector"), ("DAT102", "Working with data"),
    ("WEL110", "Wellbeing at work"), ("FUN210", "Fundraising essentials"),
]
ORG_TEMPLATES = [
    ("Riverside Housing Association", "riversidehousing"),
    ("Northgate Community Trust", "northgatetrust"), ("St Anne's Hospice", "stanneshospice"),
    ("Brightwell Credit Union", "brightwellcu"), ("Castlefield Youth Project", "castlefieldyouth"),
    ("Harbour Food Network", "harbourfood"), ("Meadowbank Care Services", "meadowbankcare"),
    ("Westmoor Library Service", "westmoorlibraries"),
    ("Kingsway Refugee Support", "kingswayrefugee"),
    ("Oakridge Sports Foundation", "oakridgesports"), ("Lowther Arts Collective", "lowtherarts"),
    ("Greenhill Mental Health Alliance", "greenhillmh"),
    ("Fairfield Citizens Advice", "fairfieldca"), ("Ashby Carers Network", "ashbycarers"),
    ("Millbrook Environmental Trust", "millbrookenv"), ("Thornton Family Centre", "thorntonfc"),
]
FIRST_NAMES = [
    "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Sophie", "Jack",
    "Grace", "Leo", "Chloé", "Oscar", "Zoë", "Arthur", "Siân", "Rhys", "Niamh", "Seán",
    "Aoife", "Ciarán", "Priya", "Arjun", "Fatima", "Mohammed", "Aisha", "Yusuf", "Wei", "Mei",
    "Oluwaseun", "Ifeoma", "Chidi", "Kwame", "Agnieszka", "Tomasz", "José", "María", "Lucía",
    "Mateo", "Hannah", "Daniel", "Emily", "James", "Ruth", "David", "Sarah", "Thomas", "Lily",
    "Samuel", "Eilidh", "Callum", "Bethan", "Dylan", "Nadia", "Omar", "Leah", "Ethan", "Rosa",
    "Kofi",
]
LAST_NAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper",
    "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee",
    "Allen", "Morris", "Khan", "Ahmed", "Ali", "Singh", "Begum", "O'Connor", "O'Brien",
    "MacLeod", "Nowak", "Kowalski", "García", "Okafor", "Adeyemi", "Mensah", "Chen", "Wang",
    "Nguyen", "Müller", "Byrne", "Murphy", "Kelly",
]
_ASCII = str.maketrans({"é": "e", "ë": "e", "â": "a", "á": "a", "í": "i", "ü": "u", "ó": "o",
                        "'": "", " ": ""})

HOUR_WEIGHTS = np.array([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 1.0, 1.6, 2.0, 2.0, 1.8, 2.2,
                         2.0, 1.6, 1.5, 1.5, 1.6, 2.0, 2.6, 2.8, 2.4, 1.2, 0.0])
HOUR_WEIGHTS = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()


# ---------------------------------------------------------------- the Community
@dataclass
class Community:
    """A simulated community in clean contract form with the TRUE ids, plus its latent state.

    ``courses``, ``learners``, ``events``, ``outreach`` and ``outcomes`` follow the data
    contract (extra columns allowed); learner ids are Moodle user ids as strings.
    ``attendance`` has one row per learner and session attended (learner_id, course,
    session_id, format, starts_at); ``sessions`` one row per held session; ``forum_posts``
    one row per post (post_id, discussion_id, parent_id, uid, course_code, created,
    target_uid, forum, local); ``log`` the learners' Moodle log rows in local time
    (write_demo adds staff, test accounts and mess); ``weekly`` one row per enrolment and course week with the latent
    state (z, started, dormant, attend_eligible, attended, colleague_share, p_active,
    p_active_without_attendance, u_active, active, hazard, peer_reply_week_one).
    ``outreach`` has extra columns campaign, message (the campaign message key, ``M01``...;
    null outside the test), labels, true_rate and true_mean_rate; ``email_test`` one row per
    recipient of the e-mail invitation test (recipient_email, variant, sent_local, sent_at,
    opened, clicked, signed_up).
    """

    params: dict
    courses: pd.DataFrame
    organisations: pd.DataFrame
    learners: pd.DataFrame
    events: pd.DataFrame
    outcomes: pd.DataFrame
    outreach: pd.DataFrame
    sessions: pd.DataFrame
    attendance: pd.DataFrame
    forum_posts: pd.DataFrame
    weekly: pd.DataFrame
    staff: pd.DataFrame = field(default_factory=pd.DataFrame)
    log: pd.DataFrame = field(default_factory=pd.DataFrame)
    email_test: pd.DataFrame = field(default_factory=pd.DataFrame)


def _check_params(n_learners, n_organisations, n_courses, weeks, start):
    if n_learners < 10:
        raise ValueError(f"n_learners must be at least 10, not {n_learners}")
    if not 1 <= n_organisations <= n_learners:
        raise ValueError(f"n_organisations must be between 1 and n_learners, not {n_organisations}")
    if not 1 <= n_courses <= len(COURSE_TEMPLATES):
        raise ValueError(f"n_courses must be between 1 and {len(COURSE_TEMPLATES)}, not {n_courses}")
    if weeks < 2:
        raise ValueError(f"weeks must be at least 2, not {weeks}")
    day = pd.Timestamp(start)
    if day.dayofweek != 0 or day != day.normalize():
        raise ValueError(f"start must be a Monday date (YYYY-MM-DD), not {start!r}")
    return day


def _org_names(n):
    out = list(ORG_TEMPLATES[:n])
    for k in range(len(out), n):
        out.append((f"Partner Organisation {k + 1}", f"partner{k + 1}"))
    return out


# ---------------------------------------------------------------- population + weekly model
def _population(rng, n_learners, n_organisations, n_courses, weeks):
    """Enrolments with their fixed attributes (arrays, index = enrolment)."""
    n_double = int(round(DOUBLE_ENROL_SHARE * n_learners)) if n_courses > 1 else 0
    n_people = n_learners - n_double
    # organisation of each person: one each first so none is empty, the rest by weight
    w = np.exp(rng.normal(0, ORG_SIZE_SD, n_organisations))
    org_p = np.sort(w / w.sum())[::-1]
    org = np.concatenate([np.arange(n_organisations),
                          rng.choice(n_organisations, n_people - n_organisations, p=org_p)])
    rng.shuffle(org)
    course_p = np.linspace(1.6, 1.0, n_courses)
    course_p /= course_p.sum()
    course1 = rng.choice(n_courses, n_people, p=course_p)
    a = rng.normal(0, SD_LEARNER, n_people)
    doubles = rng.choice(n_people, n_double, replace=False)
    course2 = (course1[doubles] + rng.integers(1, max(n_courses, 2), n_double)) % n_courses
    person = np.concatenate([np.arange(n_people), doubles])
    course = np.concatenate([course1, course2])
    u_org = rng.normal(0, SD_ORG, n_organisations)
    # days from course start, at a plausible time of day
    enrol = (rng.integers(ENROL_FROM_DAYS, ENROL_TO_DAYS, n_learners)
             + (rng.choice(24, n_learners, p=HOUR_WEIGHTS) + rng.random(n_learners)) / 24)
    never = rng.random(n_learners) < NEVER_START_SHARE
    delay = np.floor(rng.exponential(FIRST_LOGIN_DELAY_DAYS, n_learners))
    first_day = np.where(enrol < 0, delay, np.floor(enrol) + 1 + delay)
    never |= first_day >= weeks * 7
    first_day = np.where(never, -1, first_day).astype(int)
    channels = np.array(list(CHANNEL_SHARES))
    channel_p = np.array(list(CHANNEL_SHARES.values()))
    chan = rng.choice(channels, n_people, p=channel_p / channel_p.sum())[person]
    return dict(person=person, org=org[person], course=course, a=a[person], u_org=u_org,
                enrol=enrol, never=never, first_day=first_day, channel=chan,
                n_people=n_people)


def _simulate_weeks(rng, pop, weeks, n_courses, n_organisations, effects):
    """The weekly latent model, vectorised over enrolments. Returns a dict of (N, W) arrays."""
    n = len(pop["course"])
    delta = ATTENDANCE_LOG_ODDS * effects
    log_hr = np.log(PEER_REPLY_HAZARD_RATIO) * effects
    gamma = COLLEAGUE_LOG_ODDS * effects
    start_week = np.where(pop["never"], weeks, pop["first_day"] // 7)
    grp = pop["org"] * n_courses + pop["course"]
    grp_size = np.bincount(grp, minlength=n_organisations * n_courses)[grp]
    shape = (n, weeks)
    z = np.zeros(shape)
    active = np.zeros(shape, bool)
    dormant = np.zeros(shape, bool)
    attended = np.zeros(shape, bool)
    eligible = np.zeros(shape, bool)
    p_act = np.zeros(shape)
    p_act0 = np.zeros(shape)
    hazard = np.zeros(shape)
    share = np.zeros(shape)
    u_act = rng.random(shape)
    u_haz = rng.random(shape)
    u_att = rng.random(shape)
    steps = rng.normal(0, SD_DRIFT, shape)
    u_post, u_reply = rng.random(n), rng.random(n)
    u_withdraw, withdraw_delay = rng.random(n), rng.integers(0, WITHDRAW_DELAY_MAX_DAYS + 1, n)
    posted = np.zeros(n, bool)
    reply = np.zeros(n, bool)
    dormant_week = np.full(n, weeks)
    withdrawn_day = np.full(n, np.iinfo(np.int64).max)
    # never-starters withdraw some time after enrolling
    ns_withdraw = pop["never"] & (u_withdraw < WITHDRAW_SHARE)
    withdrawn_day[ns_withdraw] = (np.maximum(np.floor(pop["enrol"][ns_withdraw]), 0)
                                  + 3 + withdraw_delay[ns_withdraw]).astype(int)
    r = np.zeros(n)
    is_dormant = np.zeros(n, bool)
    for t in range(weeks):
        r = r + steps[:, t]
        z[:, t] = pop["a"] + pop["u_org"][pop["org"]] + r
        started_before = start_week < t
        first = start_week == t
        # disengaging: discrete-time proportional hazards (cloglog)
        if t > 0:
            k = t - start_week
            base = np.where(k <= len(EARLY_HAZARD),
                            np.array(EARLY_HAZARD + (LATE_HAZARD,))[np.clip(k - 1, 0, len(EARLY_HAZARD))],
                            LATE_HAZARD)
            h = base * np.exp(-HAZARD_Z * z[:, t] + log_hr * reply)
            at_risk = started_before & ~is_dormant
            hazard[:, t] = np.where(at_risk, h, 0.0)
            new = at_risk & (u_haz[:, t] < 1 - np.exp(-h))
            is_dormant |= new
            dormant_week[new] = t
            wd = new & (u_withdraw < WITHDRAW_SHARE)
            withdrawn_day[wd] = t * 7 + withdraw_delay[wd]
        dormant[:, t] = is_dormant
        # blended sessions: depend only on last week's activity (and not having withdrawn)
        fmt = _session_format(t)
        eligible[:, t] = started_before & (withdrawn_day // 7 > t)
        prev = active[:, t - 1] if t > 0 else np.zeros(n, bool)
        p_att = expit(ATTEND_BASE[fmt] + ATTEND_ACTIVE * prev)
        attended[:, t] = eligible[:, t] & (u_att[:, t] < p_att)
        # online activity
        if t > 0:
            cnt = np.bincount(grp, weights=active[:, t - 1], minlength=n_organisations * n_courses)
            share[:, t] = np.where(grp_size > 1, (cnt[grp] - active[:, t - 1]) / np.maximum(grp_size - 1, 1), 0.0)
            att_prev = attended[:, t - 1]
        else:
            att_prev = np.zeros(n, bool)
        lin0 = ACTIVE_BASE + z[:, t] + gamma * share[:, t]
        can = started_before & ~is_dormant
        p_act[:, t] = np.where(first, 1.0, np.where(can, expit(lin0 + delta * att_prev), 0.0))
        p_act0[:, t] = np.where(first, 1.0, np.where(can, expit(lin0), 0.0))
        active[:, t] = first | (can & (u_act[:, t] < p_act[:, t]))
        # first-week introductions and peer replies
        p_post = expit(FIRST_POST_BASE + POST_Z * z[:, t])
        posted |= first & (u_post < p_post)
        n_active_course = np.bincount(pop["course"], weights=active[:, t], minlength=n_courses)
        reply |= first & posted & (n_active_course[pop["course"]] >= 2) & (u_reply < PEER_REPLY_PROB)
    return dict(z=z, active=active, dormant=dormant, attended=attended, eligible=eligible,
                p_active=p_act, p_active0=p_act0, u_active=u_act, hazard=hazard, share=share,
                posted=posted, reply=reply, start_week=start_week, dormant_week=dormant_week,
                withdrawn_day=withdrawn_day)


def _session_format(t: int) -> str:
    week = t + 1  # course weeks are numbered from 1
    if week % 2 == 1:
        return "webinar"
    return "face_to_face" if week % 4 == 0 else "tutorial"


def _attendance_estimands(sim):
    """Paired (same random numbers) lift and naive difference among eligible learner-weeks."""
    elig = sim["eligible"][:, :-1]
    att = sim["attended"][:, :-1]
    y1 = sim["active"][:, 1:]
    y0 = sim["u_active"][:, 1:] < sim["p_active0"][:, 1:]
    lift = float((y1[att].astype(float) - y0[att]).mean()) if att.any() else float("nan")
    non = elig & ~att
    naive = float(y1[att].mean() - y1[non].mean()) if att.any() and non.any() else float("nan")
    return lift, naive, int(att.sum())


# ---------------------------------------------------------------- truth
def truth(*, seed: int = 2026, n_learners: int = 20000, effects: float = 1.0,
          n_organisations: int = 12, n_courses: int = 3, weeks: int = 16,
          start: str = "2026-01-12") -> pd.DataFrame:
    """Every planted estimand, computed from a large population of the same model.

    Parameters
    ----------
    seed : int
        Seed of the large population (a different draw from the demo's own).
    n_learners : int
        Size of the population (enrolments).
    effects : float
        Scale of every planted effect on the log scale (0: all null).
    n_organisations, n_courses, weeks, start
        As in :func:`simulate`.

    Returns
    -------
    DataFrame, one row per estimand: estimand, value, definition. Estimands:
    attendance_lift, naive_attendance_difference, attended_learner_weeks,
    peer_reply_hazard_ratio, colleague_activity_effect, engagement_rate_linkedin,
    engagement_rate_facebook, engagement_rate_x, linkedin_vs_other_rate_ratio,
    linkedin_within_message_rate_ratio, engagement_rate_<channel>_within_message,
    email_open_rate, email_click_rate, email_signup_rate_<A|B|C>, email_signup_rate_ratio,
    email_signup_lift, never_start_share.
    """
    _check_params(n_learners, n_organisations, n_courses, weeks, start)
    rng = np.random.default_rng([seed, 7])
    pop = _population(rng, n_learners, n_organisations, n_courses, weeks)
    sim = _simulate_weeks(rng, pop, weeks, n_courses, n_organisations, effects)
    lift, naive, n_att = _attendance_estimands(sim)
    rates = _channel_rates(effects)
    other = (rates["facebook"] + rates["x"]) / 2
    click = EMAIL_OPEN_RATE * EMAIL_CLICK_GIVEN_OPEN
    email = {v: click * p for v, p in _email_signup_given_click(effects).items()}
    email_other = float(np.mean([email[v] for v in EMAIL_VARIANTS if v != EMAIL_LIFT_VARIANT]))
    rows = [
        ("attendance_lift", lift,
         "Among learner-weeks with an attended webinar/tutorial/face-to-face session, "
         "P(any lms/forum activity the following course week) minus the same learner-week's "
         "probability had they not attended (paired potential outcomes, same random numbers)."),
        ("naive_attendance_difference", naive,
         "Next-week activity rate of attendees minus that of non-attendees in the same weeks "
         "(learners who logged in before the week and had not withdrawn); confounded by "
         "prior-week activity."),
        ("attended_learner_weeks", float(n_att),
         "Number of attended learner-weeks behind the two attendance estimands."),
        ("peer_reply_hazard_ratio", float(PEER_REPLY_HAZARD_RATIO ** effects),
         "Planted multiplier of the weekly hazard of going dormant (no more online activity) "
         "for learners whose post in their first active week received a reply from a peer."),
        ("colleague_activity_effect", float(COLLEAGUE_LOG_ODDS * effects),
         "Planted increase in the log-odds of weekly online activity per unit share of "
         "colleagues (same organisation and course) active the previous week."),
        *[(f"engagement_rate_{c}", rates[c],
           f"Expected engagement rate (engagements / impressions) of a split-test post on {c}.")
          for c in ("linkedin", "facebook", "x")],
        ("linkedin_vs_other_rate_ratio", rates["linkedin"] / other,
         "LinkedIn's expected engagement rate divided by the mean of Facebook's and X's."),
        ("linkedin_within_message_rate_ratio", rates["linkedin"] / other,
         "For the same campaign message, LinkedIn's expected engagement rate divided by "
         "Facebook's (= X's): the estimand of a paired (by message) analysis."),
        *[(f"engagement_rate_{c}_within_message", rates[c] * np.exp(-SD_MESSAGE ** 2 / 2),
           f"Expected engagement rate of a split-test post on {c} for a typical message "
           "(message effect 0).") for c in ("linkedin", "facebook", "x")],
        ("email_open_rate", EMAIL_OPEN_RATE,
         "Probability that a recipient of the invitation e-mail opens it (every variant)."),
        ("email_click_rate", EMAIL_OPEN_RATE * EMAIL_CLICK_GIVEN_OPEN,
         "Probability that a recipient clicks the invitation's link (every variant)."),
        *[(f"email_signup_rate_{v}", email[v],
           f"Probability that a recipient of e-mail variant {v} signs up.")
          for v in EMAIL_VARIANTS],
        ("email_signup_rate_ratio", email[EMAIL_LIFT_VARIANT] / email_other,
         f"Sign-up rate of e-mail variant {EMAIL_LIFT_VARIANT} divided by that of the other "
         "variants (1 when effects=0)."),
        ("email_signup_lift", email[EMAIL_LIFT_VARIANT] - email_other,
         f"Sign-up rate of e-mail variant {EMAIL_LIFT_VARIANT} minus that of the other "
         "variants (risk difference per recipient)."),
        ("never_start_share", float(pop["never"].mean()),
         "Share of enrolments with no activity at all."),
    ]
    return pd.DataFrame(rows, columns=["estimand", "value", "definition"])


def _channel_rates(effects: float) -> dict[str, float]:
    return {"linkedin": BASE_ENGAGEMENT_RATE * LINKEDIN_RATE_RATIO ** effects,
            "facebook": BASE_ENGAGEMENT_RATE, "x": BASE_ENGAGEMENT_RATE}


# ---------------------------------------------------------------- simulate
def _local_to_utc(naive) -> pd.Series:
    """Europe/London wall-clock times (naive) to UTC; spring-forward gaps shift forward."""
    idx = pd.DatetimeIndex(naive)
    aware = idx.tz_localize(TZ_LOCAL, nonexistent="shift_forward",
                            ambiguous=np.ones(len(idx), bool))
    return pd.Series(aware.tz_convert("UTC"))


def _names(rng, n):
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    return first, last


def _email_local(first, last):
    return f"{first}.{last}".lower().translate(_ASCII)


def simulate(*, seed: int = 2026, n_learners: int = 800, n_organisations: int = 12,
             n_courses: int = 3, weeks: int = 16, effects: float = 1.0,
             start: str = "2026-01-12") -> Community:
    """Simulate the demo community (see the module docstring for the model).

    Parameters
    ----------
    seed : int
        Seed of every random draw (``np.random.default_rng``): same seed, same community.
    n_learners : int
        Number of enrolments (learner x course), test accounts not included.
    n_organisations : int
        Number of partner organisations (every one gets at least one learner).
    n_courses : int
        Number of courses (DIG101, COM201, LEAD301, ...).
    weeks : int
        Length of every course in weeks.
    effects : float
        Scale of every planted effect on the log scale (0: all null, 1: as documented).
    start : str
        The Monday the courses start (YYYY-MM-DD, Europe/London).

    Returns
    -------
    Community
        Contract tables with the true ids and the latent weekly state (see :class:`Community`).
    """
    day0 = _check_params(n_learners, n_organisations, n_courses, weeks, start)
    params = dict(seed=seed, n_learners=n_learners, n_organisations=n_organisations,
                  n_courses=n_courses, weeks=weeks, effects=effects, start=str(day0.date()))
    rng = np.random.default_rng([seed, 1])
    pop = _population(rng, n_learners, n_organisations, n_courses, weeks)
    sim = _simulate_weeks(rng, pop, weeks, n_courses, n_organisations, effects)
    rng = np.random.default_rng([seed, 2])
    n, n_people = len(pop["course"]), pop["n_people"]
    end = day0 + pd.Timedelta(days=7 * weeks)

    # --- courses, organisations, people
    codes = [c for c, _ in COURSE_TEMPLATES[:n_courses]]
    moodle_course = np.array([12 + 7 * k for k in range(n_courses)])
    teacher_id = np.array([5 + k for k in range(n_courses)])
    t_first, t_last = _names(rng, n_courses)
    teacher_name = [f"{f} {l}" for f, l in zip(t_first, t_last)]
    courses = pd.DataFrame({
        "course": codes, "title": [t for _, t in COURSE_TEMPLATES[:n_courses]],
        "starts_at": _local_to_utc([day0] * n_courses),
        "ends_at": _local_to_utc([end] * n_courses),
        "observation_end": _local_to_utc([end] * n_courses),
        "starts_on": str(day0.date()), "ends_on": str((end - pd.Timedelta(days=1)).date()),
        "moodle_course_id": moodle_course, "teacher_id": teacher_id,
        "teacher_name": teacher_name,
        "teacher_email": [f"{_email_local(f, l)}@{PROVIDER[1]}" for f, l in zip(t_first, t_last)],
    })
    orgs = _org_names(n_organisations)
    organisations = pd.DataFrame({
        "organisation": [o for o, _ in orgs], "domain": [f"{d}.example" for _, d in orgs],
        "effect": pop["u_org"], "learners": np.bincount(pop["org"], minlength=n_organisations)})
    uid_people = np.sort(rng.choice(np.arange(40, 40 + 6 * n_people), n_people, replace=False))
    uid_people = rng.permutation(uid_people)
    first, last = _names(rng, n_people)
    p_org = np.zeros(n_people, int)
    p_org[pop["person"]] = pop["org"]
    emails, seen = [], {}
    for f, l, g in zip(first, last, p_org):
        local = _email_local(f, l)
        dom = organisations["domain"].iat[g]
        seen[(local, dom)] = seen.get((local, dom), 0) + 1
        k = seen[(local, dom)]
        emails.append(f"{local}{k if k > 1 else ''}@{dom}")
    ips = [f"10.{a}.{b}.{c}" for a, b, c in rng.integers(1, 255, (n_people, 3))]
    person = pop["person"]
    uid = uid_people[person]
    enrol_local = day0 + pd.to_timedelta(np.round(pop["enrol"] * 24 * 60), unit="min")
    first_day = pop["first_day"]
    learners = pd.DataFrame({
        "learner_id": uid.astype(str), "course": np.array(codes)[pop["course"]],
        "organisation": organisations["organisation"].to_numpy()[pop["org"]],
        "enrolled_at": _local_to_utc(enrol_local),
        "acquisition_channel": pop["channel"],
        "user_id": uid, "full_name": [f"{first[p]} {last[p]}" for p in person],
        "first_name": first[person], "email": np.array(emails)[person],
        "enrolled_local": enrol_local, "person": person, "course_index": pop["course"],
        "org_index": pop["org"], "ip": np.array(ips)[person],
        "never_started": pop["never"], "first_active_week": np.where(pop["never"], -1, sim["start_week"]),
        "learner_effect": pop["a"], "posted_week_one": sim["posted"],
        "peer_reply_week_one": sim["reply"],
        "dormant_week": np.where(sim["dormant_week"] < weeks, sim["dormant_week"], -1),
    })

    # --- weekly latent table
    ii, tt = np.meshgrid(np.arange(n), np.arange(weeks), indexing="ij")
    weekly = pd.DataFrame({
        "learner_id": learners["learner_id"].to_numpy()[ii.ravel()],
        "course": learners["course"].to_numpy()[ii.ravel()],
        "enrolment": ii.ravel(), "week": tt.ravel() + 1,
        "week_start": _local_to_utc(day0 + pd.to_timedelta(7 * tt.ravel(), unit="D")),
        "z": sim["z"].ravel(), "started": (sim["start_week"][:, None] <= tt).ravel(),
        "dormant": sim["dormant"].ravel(), "attend_eligible": sim["eligible"].ravel(),
        "attended": sim["attended"].ravel(), "colleague_share": sim["share"].ravel(),
        "p_active": sim["p_active"].ravel(),
        "p_active_without_attendance": sim["p_active0"].ravel(),
        "u_active": sim["u_active"].ravel(), "active": sim["active"].ravel(),
        "hazard": sim["hazard"].ravel(),
        "peer_reply_week_one": np.repeat(sim["reply"], weeks),
    })

    # --- sessions (days) of active learner-weeks
    ai, at = np.nonzero(sim["active"])
    m = len(ai)
    lo = np.where(at == sim["start_week"][ai], first_day[ai] - 7 * at, 0)
    lo = np.clip(lo, 0, 6)
    keys = rng.random((m, 7))
    dcol = np.arange(7)[None, :]
    keys[dcol < lo[:, None]] = np.inf
    is_first = at == sim["start_week"][ai]
    keys[np.nonzero(is_first)[0], lo[is_first]] = -1.0
    zs = sim["z"][ai, at]
    p_day = expit(DAY_BASE + DAY_Z * zs)
    k = 1 + rng.binomial(np.where(is_first, 6 - lo, 6), p_day)
    order = np.argsort(keys, axis=1, kind="stable")
    take = np.arange(7)[None, :] < k[:, None]
    srow, spos = np.nonzero(take)
    s_enr = ai[srow]
    s_week = at[srow]
    s_day = 7 * s_week + order[srow, spos]
    s_hour = rng.choice(24, len(srow), p=HOUR_WEIGHTS)
    s_min = rng.integers(0, 60, len(srow))
    s_start = day0 + pd.to_timedelta(s_day * 1440 + s_hour * 60 + s_min, unit="min")
    sessions_df = pd.DataFrame({"enr": s_enr, "week": s_week, "day": s_day,
                                "start": s_start, "first": is_first[srow]})
    sessions_df = sessions_df.sort_values(["enr", "start"], kind="stable").reset_index(drop=True)
    sessions_df["z"] = sim["z"][sessions_df["enr"], sessions_df["week"]]

    ctx = _Context(codes=codes, titles=list(courses["title"]), moodle_course=moodle_course,
                   teacher_id=teacher_id, weeks=weeks, day0=day0)
    # --- forum posts (they need sessions), then the in-session actions (they need discussions)
    posts = _forum_posts(rng, ctx, learners, sessions_df, sim, weeks)
    raw = _session_events(rng, ctx, learners, sessions_df, posts)

    # --- blended sessions and attendance
    sess_rows = []
    for c in range(n_courses):
        for t in range(weeks):
            fmt = _session_format(t)
            h, mi = SESSION_TIME[fmt]
            sess_rows.append({
                "session_id": f"{codes[c]}-W{t + 1:02d}", "course": codes[c], "course_index": c,
                "week": t + 1, "format": fmt,
                "start_local": day0 + pd.Timedelta(days=7 * t + DOW[fmt], hours=h, minutes=mi),
                "duration_min": {"webinar": 60, "tutorial": 90, "face_to_face": 120}[fmt],
            })
    sessions = pd.DataFrame(sess_rows)
    sessions["meeting_id"] = rng.integers(81_000_000_000, 89_999_999_999, len(sessions))
    sessions["starts_at"] = _local_to_utc(sessions["start_local"])
    bi, bt = np.nonzero(sim["attended"])
    sidx = pop["course"][bi] * weeks + bt
    attendance = pd.DataFrame({
        "learner_id": learners["learner_id"].to_numpy()[bi],
        "course": learners["course"].to_numpy()[bi],
        "session_id": sessions["session_id"].to_numpy()[sidx],
        "format": sessions["format"].to_numpy()[sidx],
        "starts_at": sessions["starts_at"].to_numpy()[sidx], "enrolment": bi,
        "week": bt + 1})
    attendance["starts_at"] = pd.to_datetime(attendance["starts_at"], utc=True)

    # --- outcomes
    outcomes, completion = _outcomes(rng, ctx, learners, raw, sim, weeks, n_courses)
    raw = pd.concat([raw, completion], ignore_index=True)

    # --- contract events
    ev = raw[raw["enr"] >= 0].copy()
    ev["timestamp"] = _local_to_utc(ev["local"]).to_numpy()
    att_ev = pd.DataFrame({
        "learner_id": attendance["learner_id"], "course": attendance["course"],
        "timestamp": attendance["starts_at"], "source": attendance["format"],
        "action": "attend", "object_id": attendance["session_id"],
        "target_learner_id": None, "count": 1, "event_name": "attended"})
    events = pd.DataFrame({
        "learner_id": ev["uid"].astype(str).to_numpy(),
        "course": np.array(codes)[ev["course"].to_numpy()],
        "timestamp": pd.to_datetime(ev["timestamp"], utc=True).to_numpy(),
        "source": ev["source"].to_numpy(), "action": ev["action"].to_numpy(),
        "object_id": ev["object_id"].to_numpy(),
        "target_learner_id": ev["target"].to_numpy(), "count": 1,
        "event_name": ev["event"].to_numpy()})
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True)
    events = pd.concat([events, att_ev], ignore_index=True)
    events["target_learner_id"] = events["target_learner_id"].astype(object)
    events = events.sort_values(["timestamp", "learner_id"], kind="stable").reset_index(drop=True)

    outreach = _outreach(np.random.default_rng([seed, 3]), day0, effects)
    email_test = _email_test(np.random.default_rng([seed, 4]), day0, effects)
    staff = pd.DataFrame({"user_id": list(teacher_id) + [2, 0, -1],
                          "role": ["teacher"] * n_courses + ["admin", "guest", "system"],
                          "full_name": teacher_name + ["Admin User", "Guest user", "System"]})
    return Community(params=params, courses=courses, organisations=organisations,
                     learners=learners, events=events, outcomes=outcomes, outreach=outreach,
                     sessions=sessions, attendance=attendance, forum_posts=posts,
                     weekly=weekly, staff=staff, log=raw, email_test=email_test)


@dataclass
class _Context:
    codes: list
    titles: list
    moodle_course: np.ndarray
    teacher_id: np.ndarray
    weeks: int
    day0: pd.Timestamp

    def forum_cm(self, c, forum):
        return int(self.moodle_course[c] * 100 + {"Announcements": 1, "Introductions": 2,
                                                  "Course discussion": 3}[forum])


def _forum_posts(rng, ctx, learners, sessions, sim, weeks):
    """Introductions with peer and teacher replies, later discussions, teacher announcements."""
    rows = []  # dicts; parent is an index into rows
    week_end = lambda t: ctx.day0 + pd.Timedelta(days=7 * (t + 1)) - pd.Timedelta(minutes=2)
    first_sess = sessions[sessions["first"]].groupby("enr", sort=True)["start"].first()
    by_course_week = {key: g for key, g in sessions.groupby(
        [learners["course_index"].to_numpy()[sessions["enr"]], sessions["week"]], sort=False)}
    enrolled = learners["enrolled_local"].to_numpy()
    person = learners["person"].to_numpy()
    org = learners["org_index"].to_numpy()
    course = learners["course_index"].to_numpy()
    fname = learners["first_name"].to_numpy()
    for c in range(len(ctx.codes)):  # the teacher's weekly announcements
        for t in range(weeks):
            rows.append(dict(enr=-1, uid=int(ctx.teacher_id[c]), course=c, forum="Announcements",
                             local=ctx.day0 + pd.Timedelta(days=7 * t, hours=9, minutes=int(rng.integers(0, 30))),
                             parent=None, subject=f"Week {t + 1}: what's on",
                             message=f"<p>Welcome to week {t + 1}. This week's session is in the calendar.</p>"))
    for i in np.nonzero(sim["posted"])[0]:
        i = int(i)
        t = int(sim["start_week"][i])
        c = int(course[i])
        post_time = first_sess.loc[i] + pd.Timedelta(minutes=2)
        rows.append(dict(enr=i, uid=int(learners["user_id"].iat[i]), course=c, forum="Introductions",
                         local=post_time, parent=None,
                         subject=f"Hello from {fname[i]}",
                         message=(f"<p>Hi everyone, I'm {fname[i]} from "
                                  f"{learners['organisation'].iat[i]}.</p>\n<p>Looking forward to "
                                  "the course, and to learning with you all.</p>")))
        me = len(rows) - 1
        if sim["reply"][i]:
            g = by_course_week.get((c, t))
            g = g[person[g["enr"].to_numpy()] != person[i]]
            later = g[g["start"] > post_time]
            if len(later):
                cand, when = later["enr"].to_numpy(), later["start"].to_numpy()
                when = pd.to_datetime(when) + pd.Timedelta(minutes=3)
            else:  # no later session of an active peer: an extra visit after the post
                ok = g[enrolled[g["enr"].to_numpy()] < np.datetime64(post_time)]
                g = ok if len(ok) else g
                cand = g["enr"].to_numpy()
                when = pd.DatetimeIndex([max(post_time, s) for s in g["start"]]) + pd.Timedelta(minutes=20)
            w = np.where(org[cand] == org[i], SAME_ORG_REPLY_WEIGHT, 1.0)
            pick = int(rng.choice(len(cand), p=w / w.sum()))
            rt = min(pd.Timestamp(when[pick]), week_end(t))
            j = int(cand[pick])
            rows.append(dict(enr=j, uid=int(learners["user_id"].iat[j]), course=c,
                             forum="Introductions", local=rt, parent=me,
                             subject=f"Re: Hello from {fname[i]}",
                             message=f"<p>Welcome {fname[i]}! Great to have you here.</p>"))
        if rng.random() < TEACHER_REPLY_PROB:
            rows.append(dict(enr=-1, uid=int(ctx.teacher_id[c]), course=c, forum="Introductions",
                             local=post_time + pd.Timedelta(minutes=int(rng.integers(120, 2880))),
                             parent=me, subject=f"Re: Hello from {fname[i]}",
                             message=f"<p>Welcome, {fname[i]}, glad you could join us.</p>"))
    # later weeks: sequential, because a reply needs an earlier post
    later = sessions[~sessions["first"]].copy()
    p = expit(LATER_POST_BASE + POST_Z * later["z"].to_numpy())
    later = later[rng.random(len(later)) < p].sort_values("start", kind="stable")
    # per course: times (ns), author and row index of the posts so far
    pool = {c: ([], [], []) for c in range(len(ctx.codes))}
    for k_, r in enumerate(rows):
        if r["forum"] == "Introductions":
            continue  # replies to introductions are the planted week-one peer replies only
        pool[r["course"]][0].append(pd.Timestamp(r["local"]).value)
        pool[r["course"]][1].append(r["uid"])
        pool[r["course"]][2].append(k_)
    fortnight = pd.Timedelta(days=14).value
    for enr, start in zip(later["enr"].to_numpy(), later["start"]):
        enr = int(enr)
        c = int(course[enr])
        when = start + pd.Timedelta(minutes=int(rng.integers(2, 15)))
        me_uid = int(learners["user_id"].iat[enr])
        times, uids, idx = (np.asarray(v) for v in pool[c])
        ok = (times < when.value) & (times > when.value - fortnight) & (uids != me_uid)
        recent = idx[ok]
        if len(recent) and rng.random() < 0.6:
            par = int(recent[int(rng.integers(len(recent)))])
            root = par
            while rows[root]["parent"] is not None:
                root = rows[root]["parent"]
            rows.append(dict(enr=enr, uid=int(learners["user_id"].iat[enr]), course=c,
                             forum=rows[par]["forum"], local=when, parent=par,
                             subject=f"Re: {rows[root]['subject']}",
                             message="<p>Thanks, that's useful. In our team we tried something similar, "
                                     "and it worked.</p>"))
        else:
            rows.append(dict(enr=enr, uid=int(learners["user_id"].iat[enr]), course=c,
                             forum="Course discussion", local=when, parent=None,
                             subject=f"Question about week {(when - ctx.day0).days // 7 + 1}",
                             message="<p>Has anyone tried this at work yet? I'd love to hear how it went.</p>"))
        if rows[-1]["forum"] == "Introductions":
            continue
        pool[c][0].append(when.value)
        pool[c][1].append(me_uid)
        pool[c][2].append(len(rows) - 1)
    posts = pd.DataFrame(rows)
    posts["row"] = np.arange(len(posts))
    posts = posts.sort_values(["local", "row"], kind="stable").reset_index(drop=True)
    posts["post_id"] = 1001 + np.arange(len(posts))
    new_id = dict(zip(posts["row"], posts["post_id"]))
    posts["parent_id"] = [0 if p_ is None or pd.isna(p_) else new_id[int(p_)] for p_ in posts["parent"]]
    by_id = posts.set_index("post_id")
    disc, d_of = {}, {}
    next_disc = 201
    for pid, par in zip(posts["post_id"], posts["parent_id"]):
        if par == 0:
            d_of[pid] = next_disc
            next_disc += 1
        else:
            d_of[pid] = d_of[par]
    posts["discussion_id"] = posts["post_id"].map(d_of)
    posts["target_uid"] = [by_id.at[p_, "uid"] if p_ else np.nan for p_ in posts["parent_id"]]
    posts["second"] = rng.integers(0, 60, len(posts))
    posts["created"] = _local_to_utc(posts["local"] + pd.to_timedelta(posts["second"], unit="s")).to_numpy()
    posts["created"] = pd.to_datetime(posts["created"], utc=True)
    posts["course_code"] = np.array(ctx.codes)[posts["course"]]
    names = dict(zip(learners["user_id"], learners["full_name"]))
    posts["userfullname"] = [names.get(u, "") for u in posts["uid"]]
    posts["forum_cm"] = [ctx.forum_cm(c, f) for c, f in zip(posts["course"], posts["forum"])]
    return posts.drop(columns=["row", "parent", "second"])


_ACTIONS = np.array(["resource", "url", "discussion", "completion", "quiz", "assignment"])
_ACTION_P = np.array([0.55, 0.12, 0.15, 0.12, 0.04, 0.02])


def _session_events(rng, ctx, learners, sessions, posts):
    """The Moodle log rows of the learners' own sessions and forum posts (local time)."""
    uid_of = learners["user_id"].to_numpy()
    course_of = learners["course_index"].to_numpy()
    n_s = len(sessions)
    lam = ACTIONS_MEAN * np.exp(0.2 * sessions["z"].to_numpy())
    n_act = 1 + np.minimum(rng.poisson(lam), 19)
    s_idx = np.repeat(np.arange(n_s), n_act)
    pos = np.arange(len(s_idx)) - np.repeat(np.cumsum(n_act) - n_act, n_act)
    gaps = np.where(pos == 0, 0, 1 + np.floor(rng.exponential(2.5, len(s_idx))))
    offs = np.minimum(np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[np.cumsum(n_act) - n_act] - 0, n_act), 59)
    # cumsum restarted per session (first gap is 0, so subtract each session's first cumsum)
    enr = sessions["enr"].to_numpy()[s_idx]
    week = sessions["week"].to_numpy()[s_idx]
    local = sessions["start"].to_numpy()[s_idx] + offs.astype("timedelta64[m]")
    kind = np.where(pos == 0, "course", rng.choice(_ACTIONS, len(s_idx), p=_ACTION_P))
    ref_week = np.clip(week - rng.geometric(0.6, len(s_idx)) + 1, 0, None)
    c = course_of[enr]
    uid = uid_of[enr]
    df = pd.DataFrame({"local": pd.to_datetime(local), "enr": enr, "uid": uid, "course": c,
                       "kind": kind, "ref_week": ref_week, "seq": pos})
    # a quiz attempt is started and then submitted a few minutes later
    quiz = df[df["kind"] == "quiz"].copy()
    quiz["kind"] = "quiz_submit"
    quiz["local"] = np.minimum(quiz["local"] + pd.to_timedelta(rng.integers(3, 15, len(quiz)), unit="min"),
                               quiz["local"].dt.normalize() + pd.Timedelta(hours=23, minutes=59))
    quiz["seq"] = quiz["seq"] + 0.5
    df = pd.concat([df, quiz], ignore_index=True)
    rows = _describe_learner_actions(rng, ctx, df, posts)
    # forum posts by learners (teacher posts are added with the staff rows)
    fp = posts[posts["enr"] >= 0]
    pr = pd.DataFrame({"local": fp["local"].to_numpy(), "enr": fp["enr"].to_numpy(),
                       "uid": fp["uid"].to_numpy(), "course": fp["course"].to_numpy()})
    viewed = pr.assign(kind="discussion_view_post", seq=-1.0,
                       object_id=fp["discussion_id"].astype(str).to_numpy(),
                       forum_cm=fp["forum_cm"].to_numpy(), forum=fp["forum"].to_numpy(),
                       discussion=fp["discussion_id"].to_numpy())
    made = pr.assign(kind=np.where(fp["parent_id"].to_numpy() == 0, "discussion_created", "post_created"),
                     seq=99.0, object_id=fp["post_id"].astype(str).to_numpy(),
                     forum_cm=fp["forum_cm"].to_numpy(), forum=fp["forum"].to_numpy(),
                     discussion=fp["discussion_id"].to_numpy(), post=fp["post_id"].to_numpy(),
                     target=[str(int(t)) if not pd.isna(t) and t in set(uid_of) else None
                             for t in fp["target_uid"]])
    # a reply placed outside the replier's sessions opens with a course view
    sess_keys = set(zip(sessions["enr"], sessions["start"].dt.floor("D")))
    extra = pr[[(e, d) not in sess_keys for e, d in zip(pr["enr"], pr["local"].dt.floor("D"))]]
    opened = extra.assign(kind="course", seq=-2.0)
    forum_rows = _describe_forum_actions(ctx, pd.concat([viewed, made, opened], ignore_index=True))
    return pd.concat([rows, forum_rows], ignore_index=True)


def _ctx_course(ctx, c):
    return f"Course: {ctx.titles[c]}"


def _resource(ctx, c, w, j):
    names = ["Week {k} slides", "Week {k} reading \u2013 key ideas", "Week {k} tips &amp; tricks"]
    return ctx.moodle_course[c] * 1000 + 100 + w * 10 + j, "File: " + names[j].format(k=w + 1)


def _describe_learner_actions(rng, ctx, df, posts):
    """Event context, component, name and description of in-session learner actions."""
    out = {k: [] for k in ("context", "component", "event", "description", "source",
                           "action", "object_id")}
    disc = {}
    for c, g in posts[posts["parent_id"] == 0].groupby("course"):
        g = g.sort_values("local", kind="stable")
        disc[c] = (g["local"].to_numpy(), g["forum"].tolist(), g["discussion_id"].tolist(),
                   g["forum_cm"].tolist())
    j_res = rng.integers(0, 3, len(df)).tolist()
    u_disc = rng.random(len(df)).tolist()
    counters = {"quiz": 500, "assign": 900}
    attempt_of = {}
    local_ns = df["local"].to_numpy()
    day_of = (local_ns.astype("datetime64[D]")).astype(np.int64).tolist()
    for r, (kind, uid, c, w, day, j, ud) in enumerate(zip(
            df["kind"].tolist(), df["uid"].tolist(), df["course"].tolist(),
            df["ref_week"].tolist(), day_of, j_res, u_disc)):
        who = f"The user with id '{uid}'"
        if kind == "course":
            row = (_ctx_course(ctx, c), "System", "Course viewed",
                   f"{who} viewed the course with id '{ctx.moodle_course[c]}'.", "lms", "view",
                   str(ctx.moodle_course[c]))
        elif kind == "resource":
            cm, name = _resource(ctx, c, w, j)
            row = (name, "File", "Course module viewed",
                   f"{who} viewed the 'resource' activity with course module id '{cm}'.",
                   "lms", "view", str(cm))
        elif kind == "url":
            cm = ctx.moodle_course[c] * 1000 + 100 + w * 10 + 4
            row = (f"URL: Week {w + 1} video", "URL", "Course module viewed",
                   f"{who} viewed the 'url' activity with course module id '{cm}'.",
                   "lms", "view", str(cm))
        elif kind == "completion":
            cm, name = _resource(ctx, c, w, j)
            row = (name, "System", "Course module completion updated",
                   f"{who} updated the completion state for the course module with id '{cm}' "
                   f"for the user with id '{uid}'.", "lms", "complete", str(cm))
        elif kind in ("quiz", "quiz_submit"):
            cm = ctx.moodle_course[c] * 1000 + 100 + w * 10 + 5
            key = (uid, day, cm)
            if kind == "quiz":
                counters["quiz"] += 1
                attempt_of[key] = counters["quiz"]
                row = (f"Quiz: Week {w + 1} check-in", "Quiz", "Quiz attempt started",
                       f"{who} has started the attempt with id '{counters['quiz']}' for the quiz "
                       f"with course module id '{cm}'.", "lms", "attempt", str(cm))
            else:
                row = (f"Quiz: Week {w + 1} check-in", "Quiz", "Quiz attempt submitted",
                       f"{who} has submitted the attempt with id '{attempt_of.get(key, counters['quiz'])}' "
                       f"for the quiz with course module id '{cm}'.", "lms", "submit", str(cm))
        elif kind == "assignment":
            m = w // 4 + 1
            cm = ctx.moodle_course[c] * 1000 + 50 + m
            counters["assign"] += 1
            row = (f"Assignment: Reflective task {m}", "Assignment", "A submission has been submitted.",
                   f"{who} has submitted the submission with id '{counters['assign']}' for the "
                   f"assignment with course module id '{cm}'.", "lms", "submit", str(cm))
        else:  # a discussion viewed: one that exists by then, else the forum itself
            g = disc.get(c)
            n_before = 0 if g is None else int(np.searchsorted(g[0], local_ns[r], "right"))
            if n_before:
                d = int(ud * n_before)
                row = (f"Forum: {g[1][d]}", "Forum", "Discussion viewed",
                       f"{who} has viewed the discussion with id '{g[2][d]}' in the "
                       f"forum with course module id '{g[3][d]}'.", "forum", "view",
                       str(g[2][d]))
            else:
                cm = ctx.forum_cm(c, "Course discussion")
                row = ("Forum: Course discussion", "Forum", "Course module viewed",
                       f"{who} viewed the 'forum' activity with course module id '{cm}'.",
                       "forum", "view", str(cm))
        for key_, v in zip(out, row):
            out[key_].append(v)
    res = df.assign(**out)
    res["target"] = None
    return res.drop(columns=["kind", "ref_week"])


def _describe_forum_actions(ctx, df):
    out = {k: [] for k in ("context", "component", "event", "description", "source",
                           "action", "object_id")}
    for r in df.itertuples(index=False):
        who = f"The user with id '{r.uid}'"
        if r.kind == "course":
            row = (_ctx_course(ctx, r.course), "System", "Course viewed",
                   f"{who} viewed the course with id '{ctx.moodle_course[r.course]}'.", "lms",
                   "view", str(ctx.moodle_course[r.course]))
        elif r.kind == "discussion_view_post":
            row = (f"Forum: {r.forum}", "Forum", "Discussion viewed",
                   f"{who} has viewed the discussion with id '{r.discussion}' in the forum with "
                   f"course module id '{r.forum_cm}'.", "forum", "view", str(r.discussion))
        elif r.kind == "discussion_created":
            row = (f"Forum: {r.forum}", "Forum", "Discussion created",
                   f"{who} has created the discussion with id '{r.discussion}' in the forum with "
                   f"course module id '{r.forum_cm}'.", "forum", "post",
                   f"discussion:{r.discussion}/post:{int(r.post)}")
        else:
            row = (f"Forum: {r.forum}", "Forum", "Post created",
                   f"{who} has created the post with id '{int(r.post)}' in the discussion with id "
                   f"'{r.discussion}' in the forum with course module id '{r.forum_cm}'.",
                   "forum", "reply", f"discussion:{r.discussion}/post:{int(r.post)}")
        for key_, v in zip(out, row):
            out[key_].append(v)
    res = df.assign(**out)
    if "target" not in res:
        res["target"] = None
    res["target"] = res["target"].where(res["kind"] == "post_created", None)
    return res[["local", "enr", "uid", "course", "seq", "context", "component", "event",
                "description", "source", "action", "object_id", "target"]]


def _outcomes(rng, ctx, learners, raw, sim, weeks, n_courses):
    n = len(learners)
    last = raw.groupby("enr")["local"].max()
    n_weeks_active = sim["active"].sum(axis=1)
    never = learners["never_started"].to_numpy()
    dormant_end = sim["dormant"][:, -1]
    wd = sim["withdrawn_day"]
    withdrawn = wd < 7 * weeks
    result = np.full(n, "In progress", dtype=object)
    score = np.full(n, np.nan)
    completed_on = np.full(n, None, dtype=object)
    withdrawn_on = np.full(n, None, dtype=object)
    result[withdrawn] = "Withdrawn"
    wdays = ctx.day0 + pd.to_timedelta(np.where(withdrawn, wd, 0), unit="D")
    withdrawn_on[withdrawn] = wdays[withdrawn]
    finished = ~never & ~dormant_end
    raw_score = np.clip(np.round(SCORE_BASE + SCORE_PER_WEEK * n_weeks_active
                                 + SCORE_LEARNER * learners["learner_effect"].to_numpy()
                                 + rng.normal(0, SCORE_SD, n)), 0, 100)
    graded = learners["course_index"].to_numpy() > 0
    res_fin = np.where(~graded, "Completed",
                       np.where(raw_score >= DISTINCTION_FROM, "Distinction",
                                np.where(raw_score >= PASS_FROM, "Passed", "Failed")))
    result[finished] = res_fin[finished]
    score[finished & graded] = raw_score[finished & graded]
    done = finished & (res_fin != "Failed")
    last_local = last.reindex(np.arange(n)).to_numpy()
    completed_on[done] = pd.to_datetime(last_local[done]).normalize()
    outcomes = pd.DataFrame({
        "learner_id": learners["learner_id"], "course": learners["course"],
        "final_result": [r.lower().replace(" ", "_") for r in result],
        "completed_at": _local_to_utc(pd.to_datetime(
            [None if v is None else v for v in completed_on])),
        "withdrawn_at": _local_to_utc(pd.to_datetime(
            [None if v is None else v for v in withdrawn_on])),
        "score": score, "result": result, "user_id": learners["user_id"],
    })
    # the "Course completed" log row, at the learner's last session
    di = np.nonzero(done)[0]
    lt = pd.to_datetime(last_local[di])
    c = learners["course_index"].to_numpy()[di]
    u = learners["user_id"].to_numpy()[di]
    completion = pd.DataFrame({
        "local": lt, "enr": di, "uid": u, "course": c, "seq": 100.0,
        "context": [_ctx_course(ctx, k) for k in c], "component": "System",
        "event": "Course completed",
        "description": [f"The user with id '{a}' completed the course with id '{ctx.moodle_course[k]}'."
                        for a, k in zip(u, c)],
        "source": "lms", "action": "complete", "object_id": [str(ctx.moodle_course[k]) for k in c],
        "target": None})
    return outcomes, completion


def _outreach(rng, day0, effects):
    """The paired split test (and a few posts outside it), one row per post with its counts."""
    rates = _channel_rates(effects)
    chans = ["linkedin", "facebook", "x"]
    k = N_CAMPAIGN_MESSAGES
    # message j is posted on every channel: rows j, k + j, 2k + j
    channel = [c for c in chans for _ in range(k)] + [c for c in chans for _ in range(N_OTHER_POSTS)]
    message = [f"M{j + 1:02d}" for _ in chans for j in range(k)] + [None] * (3 * N_OTHER_POSTS)
    m = len(channel)
    campaign = np.arange(m) < N_CAMPAIGN_POSTS
    msg_day = np.floor(rng.uniform(-42, 84, k))
    other_day = np.floor(rng.uniform(-42, 84, m - N_CAMPAIGN_POSTS))
    day = np.concatenate([np.tile(msg_day, 3), other_day])  # a message's posts share a day
    local = (day0 + pd.to_timedelta(day, unit="D")
             + pd.to_timedelta(rng.integers(8 * 60, 19 * 60, m), unit="min"))
    published = pd.DatetimeIndex(local).tz_localize(TZ_SOCIAL, nonexistent="shift_forward",
                                                    ambiguous=np.ones(m, bool))
    # the message effect is shared by a message's posts; mean-corrected so that the
    # channel's rate is the mean over messages
    msg_eff = rng.normal(0.0, SD_MESSAGE, k)
    mult = np.concatenate([np.tile(np.exp(msg_eff - SD_MESSAGE ** 2 / 2), 3),
                           np.ones(m - N_CAMPAIGN_POSTS)])
    mean = np.array([rates[c] for c in channel]) * mult
    rate = rng.beta(mean * RATE_CONCENTRATION, (1 - mean) * RATE_CONCENTRATION)
    impressions = np.maximum(20, np.round(rng.lognormal(np.log(IMPRESSIONS_MEDIAN), 0.6, m))).astype(int)
    engagements = rng.binomial(impressions, rate)
    clicks = rng.binomial(engagements, 0.45)
    df = pd.DataFrame({
        "channel": channel,
        "post_id": [str(v) for v in rng.integers(10 ** 17, 9 * 10 ** 17, m)],
        "published_at": published.tz_convert("UTC"),
        "variant": np.where(campaign, channel, None),
        "exposures": impressions, "engagements": engagements,
        "clicks": pd.array(np.where(np.array(channel) == "x", -1, clicks), dtype="Int64"),
        "signups": pd.array([pd.NA] * m, dtype="Int64"),
        "campaign": np.where(campaign, CAMPAIGN, None),
        "message": pd.Series(message, dtype=object), "true_rate": rate, "true_mean_rate": mean,
        "published_local": published,
    })
    df["clicks"] = df["clicks"].mask(df["clicks"] < 0)
    df["labels"] = [f"{CAMPAIGN} | variant: {c} | message: {g}" if t else ""
                    for c, g, t in zip(channel, message, campaign)]
    return df.sort_values("published_at", kind="stable").reset_index(drop=True)


def _email_signup_given_click(effects: float) -> dict[str, float]:
    lifted = min(1.0, EMAIL_SIGNUP_GIVEN_CLICK * EMAIL_SIGNUP_RATIO ** effects)
    return {v: lifted if v == EMAIL_LIFT_VARIANT else EMAIL_SIGNUP_GIVEN_CLICK
            for v in EMAIL_VARIANTS}


def _email_test(rng, day0, effects, n=N_EMAIL_RECIPIENTS):
    """The randomised e-mail invitation test, one row per recipient (local send times)."""
    # complete randomisation into equal arms
    variant = rng.permutation(np.resize(np.array(EMAIL_VARIANTS), n))
    first, last = _names(rng, n)
    emails, seen = [], {}
    for f, l, dom in zip(first, last, rng.choice(["mail.example", "post.example", "web.example"], n)):
        local = _email_local(f, l)
        seen[local, dom] = seen.get((local, dom), 0) + 1
        k = seen[local, dom]
        emails.append(f"{local}{k if k > 1 else ''}@{dom}")
    weekdays = [d for d in range(-28, 0) if (day0 + pd.Timedelta(days=d)).dayofweek < 5]
    sent = (day0 + pd.to_timedelta(rng.choice(weekdays, n), unit="D")
            + pd.to_timedelta(rng.integers(9 * 60, 17 * 60, n), unit="min"))
    sent = pd.Series(sent).sort_values(kind="stable").to_numpy()  # the mailer sends in order
    p_signup = np.array([_email_signup_given_click(effects)[v] for v in variant])
    opened = rng.random(n) < EMAIL_OPEN_RATE
    clicked = opened & (rng.random(n) < EMAIL_CLICK_GIVEN_OPEN)
    signed = clicked & (rng.random(n) < p_signup)
    return pd.DataFrame({"recipient_email": emails, "variant": variant, "sent_local": sent,
                         "sent_at": _local_to_utc(sent).to_numpy(),
                         "opened": opened.astype(int), "clicked": clicked.astype(int),
                         "signed_up": signed.astype(int)})


def _email_file(c):
    e = c.email_test
    rows = [[m, v, t.strftime("%Y-%m-%d %H:%M"), o, k, s] for m, v, t, o, k, s in zip(
        e["recipient_email"], e["variant"], pd.to_datetime(e["sent_local"]), e["opened"],
        e["clicked"], e["signed_up"])]
    return (_csv_bytes(EMAIL_COLUMNS, rows), "utf-8", TZ_LOCAL, len(rows))


# ---------------------------------------------------------------- write_demo: raw files
EXPORT_TIMEZONES = {
    # keyed by the export kinds `engagement prepare` reads (clean.load_exports); the zone of
    # each file is also in the manifest's file list
    "moodle_logs": TZ_LOCAL, "forum_posts": "UTC (Unix seconds)", "courses": TZ_LOCAL,
    "enrolments": TZ_LOCAL, "outcomes": TZ_LOCAL, "zoom": TZ_ZOOM, "signin": TZ_LOCAL,
    "social": f"{TZ_SOCIAL} (offset written in each date)", "email": TZ_LOCAL,
}
TEST_ACCOUNT_IDS = (31, 32, 33)


def write_demo(out_dir: str | os.PathLike, *, seed: int = 2026, n_learners: int = 800,
               n_organisations: int = 12, n_courses: int = 3, weeks: int = 16,
               effects: float = 1.0, start: str = "2026-01-12") -> dict:
    """Simulate the demo community and write its raw exports into `out_dir`.

    The layout is the one ``engagement prepare`` reads (``data/raw/README.md``): 
    ``moodle_logs/<COURSE>.csv``, ``forum_posts/<COURSE>.csv``, ``courses.csv``,
    ``enrolments.csv``, ``outcomes.csv``, ``attendance/zoom_webinars.csv``,
    ``attendance/signin_tutorials.csv``, ``social/{linkedin,facebook,twitter}.csv``,
    ``email/invitation_test.csv`` and ``MANIFEST.json``. The same seed and parameters give byte-identical files. The folder is
    written as a temporary sibling and renamed at the end, so an interrupted run leaves
    nothing half-made.

    Parameters
    ----------
    out_dir : str or path
        Folder to create. It must not exist, or be empty.
    seed, n_learners, n_organisations, n_courses, weeks, effects, start
        As in :func:`simulate`.

    Returns
    -------
    dict
        The manifest: generator, seed, parameters, time zone of each file and, for every
        file, its path, MD5, bytes, rows (lines after the header) and encoding.

    Raises
    ------
    FileExistsError
        If `out_dir` exists and is not empty.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(
            f"{out} already exists and is not empty; delete it (or choose another folder) "
            "before writing the demo data")
    community = simulate(seed=seed, n_learners=n_learners, n_organisations=n_organisations,
                         n_courses=n_courses, weeks=weeks, effects=effects, start=start)
    files = render(community)
    manifest = {
        "generator": "engagement.sources.demo", "seed": seed,
        "parameters": community.params, "timezones": EXPORT_TIMEZONES,
        "files": [{"path": p, "md5": hashlib.md5(b).hexdigest(), "bytes": len(b), "rows": rows,
                   "encoding": enc, "timezone": tz}
                  for p, (b, enc, tz, rows) in sorted(files.items())],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for p, (b, *_rest) in files.items():
            target = tmp / p
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b)
        (tmp / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
        if out.exists():
            out.rmdir()  # empty (checked above); rename needs the name free
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _csv_bytes(header, rows, *, encoding="utf-8", lineterminator="\n") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def render(community: Community) -> dict[str, tuple[bytes, str, str, int]]:
    """The raw files of a community: {relative path: (bytes, encoding, time zone, rows)}."""
    c = community
    rng = np.random.default_rng([c.params["seed"], 9])
    files = {}
    tests = _test_accounts(c)
    log = pd.concat([c.log, _staff_rows(rng, c, tests)], ignore_index=True)
    ips = dict(zip(c.learners["user_id"], c.learners["ip"]))
    staff_ip = {2: "10.0.0.2", 0: "10.250.17.3", -1: "10.0.0.1"}
    staff_ip.update({int(t): f"10.0.1.{10 + k}" for k, t in enumerate(c.courses["teacher_id"])})
    staff_ip.update({u: f"10.0.2.{k + 20}" for k, u in enumerate(TEST_ACCOUNT_IDS)})
    log["ip"] = [ips.get(u) or staff_ip.get(u, "10.0.0.9") for u in log["uid"]]
    for k, code in enumerate(c.courses["course"]):
        enc = "cp1252" if k == 0 else "utf-8-sig" if k == 1 else "utf-8"
        b, rows = _moodle_log_bytes(rng, log[log["course"] == k], enc, k)
        files[f"moodle_logs/{code}.csv"] = (b, enc, TZ_LOCAL, rows)
        files[f"forum_posts/{code}.csv"] = _forum_file(c, code)
    files["courses.csv"] = (_csv_bytes(["course", "title", "starts_on", "ends_on"],
                                       c.courses[["course", "title", "starts_on", "ends_on"]].values.tolist()),
                            "utf-8", TZ_LOCAL, len(c.courses))
    files["enrolments.csv"] = _enrolments_file(c, tests)
    files["outcomes.csv"] = _outcomes_file(c, tests)
    files["attendance/zoom_webinars.csv"] = _zoom_file(rng, c)
    files["attendance/signin_tutorials.csv"] = _signin_file(rng, c)
    for platform in ("linkedin", "facebook", "twitter"):
        files[f"social/{platform}.csv"] = _social_file(np.random.default_rng([c.params["seed"], 11]), c, platform)
    files["email/invitation_test.csv"] = _email_file(c)
    return files


def _test_accounts(c):
    codes = list(c.courses["course"])
    rows = []
    for k, u in enumerate(TEST_ACCOUNT_IDS):
        for course in ([codes[0], codes[-1]] if k == 0 and len(codes) > 1 else [codes[k % len(codes)]]):
            rows.append({"user_id": u, "full_name": f"Test Student {k + 1}",
                         "email": f"test.student{k + 1}@{PROVIDER[1]}", "course": course,
                         "organisation": "", "acquisition_channel": "",
                         "enrolled_local": pd.Timestamp(c.params["start"]) - pd.Timedelta(days=10 - k, hours=-10)})
    return pd.DataFrame(rows)


def _row(local, uid, course, context, component, event, description, seq=0.0):
    return {"local": local, "uid": uid, "course": course, "context": context,
            "component": component, "event": event, "description": description, "seq": seq,
            "enr": -1}


def _staff_rows(rng, c, tests):
    """Teacher, admin, guest, system and test-account rows of the Moodle logs."""
    rows = []
    day0 = pd.Timestamp(c.params["start"])
    weeks = c.params["weeks"]
    codes = list(c.courses["course"])
    ctx_course = {k: f"Course: {t}" for k, t in enumerate(c.courses["title"])}
    mc = c.courses["moodle_course_id"].to_numpy()
    enrol = pd.concat([c.learners[["user_id", "course", "enrolled_local"]],
                       tests[["user_id", "course", "enrolled_local"]]], ignore_index=True)
    grade_id = 7000
    for k, code in enumerate(codes):
        t = int(c.courses["teacher_id"].iat[k])
        who = f"The user with id '{t}'"
        for u, when in enrol.loc[enrol["course"] == code, ["user_id", "enrolled_local"]].itertuples(index=False):
            rows.append(_row(when, t, k, ctx_course[k], "System", "User enrolled in course",
                             f"{who} enrolled the user with id '{u}' using the enrolment method "
                             f"'manual' in the course with id '{mc[k]}'.", 0))
            rows.append(_row(when, t, k, ctx_course[k], "System", "Role assigned",
                             f"{who} assigned the role with id '5' to the user with id '{u}'.", 1))
        learners_k = c.learners.loc[c.learners["course"] == code, "user_id"].to_numpy()
        for w in range(weeks):
            for d in np.sort(rng.choice(5, 3, replace=False)):
                start = day0 + pd.Timedelta(days=7 * w + int(d), hours=int(rng.integers(9, 17)),
                                            minutes=int(rng.integers(0, 60)))
                rows.append(_row(start, t, k, ctx_course[k], "System", "Course viewed",
                                 f"{who} viewed the course with id '{mc[k]}'.", 0))
                for j in range(int(rng.integers(2, 6))):
                    at = start + pd.Timedelta(minutes=2 * (j + 1))
                    kind = rng.choice(["grading", "graded", "module", "logs"], p=[0.35, 0.35, 0.22, 0.08])
                    m = w // 4 + 1
                    if kind == "grading":
                        rows.append(_row(at, t, k, f"Assignment: Reflective task {m}", "Assignment",
                                         "Grading table viewed",
                                         f"{who} viewed the grading table for the assignment with "
                                         f"course module id '{mc[k] * 1000 + 50 + m}'.", j + 1))
                    elif kind == "graded":
                        grade_id += 1
                        rows.append(_row(at, t, k, ctx_course[k], "System", "User graded",
                                         f"{who} updated the grade with id '{grade_id}' for the user "
                                         f"with id '{int(rng.choice(learners_k))}' for the grade item "
                                         f"with id '{mc[k] * 10 + m}'.", j + 1))
                    elif kind == "module":
                        cm, name = _resource(_CtxLite(mc), k, w, int(rng.integers(0, 3)))
                        rows.append(_row(at, t, k, name, "System", "Course module updated",
                                         f"{who} updated the 'resource' activity with course "
                                         f"module id '{cm}'.", j + 1))
                    else:
                        rows.append(_row(at, t, k, ctx_course[k], "Logs", "Log report viewed",
                                         f"{who} viewed the log report for the course with id "
                                         f"'{mc[k]}'.", j + 1))
        # the admin sets the course up; the guest looks in
        setup = day0 - pd.Timedelta(days=20, hours=-11)
        rows.append(_row(setup, 2, k, ctx_course[k], "System", "Course updated",
                         f"The user with id '2' updated the course with id '{mc[k]}'.", 1))
        rows.append(_row(setup, 2, k, ctx_course[k], "System", "Course viewed",
                         f"The user with id '2' viewed the course with id '{mc[k]}'.", 0))
        for g in rng.uniform(0, 7 * weeks, 6):
            rows.append(_row(day0 + pd.Timedelta(minutes=int(g * 1440)), 0, k, ctx_course[k],
                             "System", "Course viewed",
                             f"The user with id '0' viewed the course with id '{mc[k]}'.", 0))
    # teacher posts in the forums
    tp = c.forum_posts[c.forum_posts["enr"] < 0]
    for r in tp.itertuples(index=False):
        who = f"The user with id '{r.uid}'"
        if r.parent_id == 0:
            ev, desc = "Discussion created", (f"{who} has created the discussion with id '{r.discussion_id}' "
                                              f"in the forum with course module id '{r.forum_cm}'.")
        else:
            ev, desc = "Post created", (f"{who} has created the post with id '{r.post_id}' in the "
                                        f"discussion with id '{r.discussion_id}' in the forum with "
                                        f"course module id '{r.forum_cm}'.")
        rows.append(_row(r.local, r.uid, r.course, f"Forum: {r.forum}", "Forum", ev, desc, 99))
    # the system re-grades some submissions
    subs = c.log[c.log["event"] == "A submission has been submitted."]
    pick = subs[rng.random(len(subs)) < 0.4]
    for r in pick.itertuples(index=False):
        grade_id += 1
        rows.append(_row(min(r.local + pd.Timedelta(minutes=2), r.local.normalize() + pd.Timedelta(hours=23, minutes=59)),
                         -1, r.course, ctx_course[r.course], "System", "User graded",
                         f"The user with id '-1' updated the grade with id '{grade_id}' for the "
                         f"user with id '{r.uid}' for the grade item with id '{mc[r.course] * 10 + 1}'.", 101))
    # test accounts click around in the first weeks
    for r in tests.itertuples(index=False):
        k = codes.index(r.course)
        for s in range(4):
            start = day0 + pd.Timedelta(days=int(rng.integers(0, 14)), hours=int(rng.integers(9, 18)),
                                        minutes=int(rng.integers(0, 60)))
            rows.append(_row(start, r.user_id, k, ctx_course[k], "System", "Course viewed",
                             f"The user with id '{r.user_id}' viewed the course with id '{mc[k]}'.", 0))
            cm, name = _resource(_CtxLite(mc), k, int(rng.integers(0, 2)), 0)
            rows.append(_row(start + pd.Timedelta(minutes=1), r.user_id, k, name, "File",
                             "Course module viewed",
                             f"The user with id '{r.user_id}' viewed the 'resource' activity with "
                             f"course module id '{cm}'.", 1))
    out = pd.DataFrame(rows)
    out["local"] = pd.to_datetime(out["local"])
    return out


@dataclass
class _CtxLite:
    moodle_course: np.ndarray


def _moodle_log_bytes(rng, log, encoding, k):
    """One course's Logs report: newest first, duplicates and one malformed line."""
    log = log.copy()
    log["utc"] = _local_to_utc(log["local"]).to_numpy()
    # re-rendered from the aware time so the spring-forward gap never shows
    local = pd.to_datetime(log["utc"], utc=True).dt.tz_convert(TZ_LOCAL)
    log["Time"] = local.dt.strftime("%d/%m/%y, %H:%M").str.lstrip("0").to_numpy()
    log = log.sort_values(["utc", "seq", "uid", "description"], ascending=False, kind="stable")
    body = [[t, "-", "-", ctx, comp, ev, desc, "web", ip] for t, ctx, comp, ev, desc, ip in zip(
        log["Time"], log["context"], log["component"], log["event"], log["description"], log["ip"])]
    n_dup = int(round(DUPLICATE_SHARE * len(body)))
    dup_at = set(rng.choice(len(body), n_dup, replace=False).tolist()) if n_dup else set()
    bad_at = int(rng.integers(len(body)))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(MOODLE_COLUMNS)
    for i, r in enumerate(body):
        w.writerow(r)
        if i in dup_at:
            w.writerow(r)
        if i == bad_at:  # a damaged extra copy of the row: missing field(s)
            w.writerow(r[:-1] if k % 2 == 0 else r[:6])
    text = buf.getvalue()
    return text.encode(encoding), len(body) + len(dup_at) + 1


def _forum_file(c, code):
    p = c.forum_posts[c.forum_posts["course_code"] == code].sort_values("post_id")
    tnames = dict(zip(c.courses["teacher_id"], c.courses["teacher_name"]))
    names = [n if n else tnames.get(u, "") for n, u in zip(p["userfullname"], p["uid"])]
    rows = [[pid, d, par, u, nm, int(cr.timestamp()), sub, msg] for pid, d, par, u, nm, cr, sub, msg in zip(
        p["post_id"], p["discussion_id"], p["parent_id"], p["uid"], names, p["created"],
        p["subject"], p["message"])]
    return _csv_bytes(FORUM_COLUMNS, rows), "utf-8", "UTC (Unix seconds)", len(rows)


def _enrolments_file(c, tests):
    L = c.learners
    df = pd.DataFrame({"user_id": L["user_id"], "full_name": L["full_name"], "email": L["email"],
                       "course": L["course"], "organisation": L["organisation"],
                       "enrolled_local": L["enrolled_local"],
                       "acquisition_channel": L["acquisition_channel"]})
    df = pd.concat([df, tests[df.columns]], ignore_index=True)
    df = df.sort_values(["enrolled_local", "user_id"], kind="stable")
    df["enrolled_at"] = df["enrolled_local"].dt.strftime("%Y-%m-%d %H:%M")
    cols = ["user_id", "full_name", "email", "course", "organisation", "enrolled_at",
            "acquisition_channel"]
    return _csv_bytes(cols, df[cols].values.tolist()), "utf-8", TZ_LOCAL, len(df)


def _outcomes_file(c, tests):
    o = c.outcomes
    to_date = lambda s: [v.tz_convert(TZ_LOCAL).strftime("%Y-%m-%d") if not pd.isna(v) else ""
                         for v in s]
    rows = [[u, co, r, cd, wd, "" if pd.isna(sc) else str(int(sc))] for u, co, r, cd, wd, sc in zip(
        o["user_id"], o["course"], o["result"], to_date(o["completed_at"]),
        to_date(o["withdrawn_at"]), o["score"])]
    rows += [[u, co, "In progress", "", "", ""] for u, co in zip(tests["user_id"], tests["course"])]
    rows.sort(key=lambda r: (r[1], r[0]))
    return (_csv_bytes(["user_id", "course", "result", "completed_on", "withdrawn_on", "score"], rows),
            "utf-8", TZ_LOCAL, len(rows))


def _name_variant(rng, name):
    u = rng.random()
    if u < 0.4:
        return name
    if u < 0.6:
        return name.lower()
    if u < 0.8:
        return name.replace(" ", "  ", 1)
    if u < 0.9:
        return name.upper()
    return name + " "


def _outsiders(rng, n, taken):
    """Names of people who match no enrolled learner (guests, colleagues not enrolled)."""
    out = []
    while len(out) < n:
        f, l = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if f"{f} {l}".lower() not in taken:
            out.append((str(f), str(l)))
    return out


def _zoom_file(rng, c):
    L = c.learners
    taken = set(L["full_name"].str.lower())
    web = c.sessions[c.sessions["format"] == "webinar"]
    rows = []
    fmt = "%m/%d/%Y %I:%M:%S %p"
    teacher = c.courses.set_index("course")
    for s in web.itertuples(index=False):
        start = pd.Timestamp(s.starts_at)
        end = start + pd.Timedelta(minutes=s.duration_min)
        topic = f"{s.course} webinar: week {s.week}"
        people = []  # (name, email, guest, join, leave)
        t = teacher.loc[s.course]
        people.append((t["teacher_name"], t["teacher_email"], "No",
                       start - pd.Timedelta(minutes=10), end + pd.Timedelta(minutes=5)))
        att = c.attendance[c.attendance["session_id"] == s.session_id]
        for e in att["enrolment"]:
            name, email = L["full_name"].iat[e], L["email"].iat[e]
            u = rng.random()
            if u < 0.15:
                email = f"{_email_local(L['first_name'].iat[e], name.split(' ', 1)[1])}{int(rng.integers(1, 99))}@mail.example"
                name = _name_variant(rng, name)
            elif u < 0.3:
                email = ""
                name = _name_variant(rng, name)
            join = start + pd.Timedelta(seconds=int(rng.integers(-300, 900)))
            leave = end + pd.Timedelta(seconds=int(rng.integers(-900, 300)))
            if rng.random() < 0.12:  # dropped out and rejoined
                cut = join + (leave - join) * rng.uniform(0.2, 0.8)
                people.append((name, email, "Yes", join, cut))
                join = cut + pd.Timedelta(seconds=int(rng.integers(30, 300)))
            people.append((name, email, "Yes", join, leave))
        for f, l in _outsiders(rng, rng.poisson(UNMATCHED_SHARE * len(att)), taken):
            join = start + pd.Timedelta(seconds=int(rng.integers(-120, 1200)))
            people.append((f"{f} {l}", rng.choice(["", f"{_email_local(f, l)}@mail.example"]), "Yes",
                           join, end + pd.Timedelta(seconds=int(rng.integers(-1200, 120)))))
        for name, email, guest, join, leave in sorted(people, key=lambda p: p[3]):
            rows.append([s.meeting_id, topic, name, email,
                         join.tz_convert(TZ_ZOOM).strftime(fmt), leave.tz_convert(TZ_ZOOM).strftime(fmt),
                         int(np.ceil((leave - join).total_seconds() / 60)), guest])
    return _csv_bytes(ZOOM_COLUMNS, rows), "utf-8", TZ_ZOOM, len(rows)


def _signin_file(rng, c):
    L = c.learners
    taken = set(L["full_name"].str.lower())
    orgs = list(c.organisations["organisation"])
    rows = []
    for s in c.sessions[c.sessions["format"] != "webinar"].itertuples(index=False):
        date, start = s.start_local.strftime("%d/%m/%Y"), s.start_local.strftime("%H:%M")
        att = c.attendance[c.attendance["session_id"] == s.session_id]
        lines = []
        for e in att["enrolment"]:
            org = L["organisation"].iat[e]
            u = rng.random()
            if u < 0.15:  # written as initials
                org = "".join(w[0] for w in org.split() if w[0].isupper())
            elif u < 0.25:
                org = org.lower()
            email = L["email"].iat[e] if rng.random() < 0.3 else ""
            lines.append([date, start, s.course, s.format, _name_variant(rng, L["full_name"].iat[e]),
                          email, org])
        for f, l in _outsiders(rng, rng.poisson(UNMATCHED_SHARE * len(att)), taken):
            lines.append([date, start, s.course, s.format, f"{f} {l}", "",
                          str(rng.choice(orgs + ["Visitor", "Local council"]))])
        rng.shuffle(lines)
        rows += lines
    return _csv_bytes(SIGNIN_COLUMNS, rows), "utf-8", TZ_LOCAL, len(rows)


def _thousands(v) -> str:
    return f"{int(v):,}"


def _social_date(ts) -> str:
    s = ts.strftime("%m/%d/%Y %I:%M %p %Z %z")
    # the tool writes the hour after noon as "00:MM PM" (as in the real exports)
    return s[:11] + "00" + s[13:] if ts.hour == 12 else s


MESSAGE_TEMPLATES = (
    "Free online course for community organisations: \u201c{title}\u201d. Starts {start:%d %B}, "
    "learn at your own pace, with webinars and tutorials. Sign up: {link}",
    "New this spring: \u201c{title}\u201d, a free course for charity and community staff. "
    "Weekly webinars, friendly tutors. Places are limited: {link}",
    "Want to grow your team's skills? \u201c{title}\u201d is free for partner organisations "
    "and starts on {start:%d %B}. Find out more: {link}",
    "\u201c{title}\u201d: learn online, meet colleagues at tutorials, earn a certificate. "
    "Free for community organisations. {link}",
    "Our learners say the course changed how they work. Join \u201c{title}\u201d from "
    "{start:%d %B}, free: {link}",
)


def _social_file(rng, c, platform):
    chan = {"linkedin": "linkedin", "facebook": "facebook", "twitter": "x"}[platform]
    o = c.outreach[c.outreach["channel"] == chan]
    course_titles = list(c.courses["title"])
    rows = []
    for r in o.itertuples(index=False):
        title = course_titles[int(rng.integers(len(course_titles)))]
        short = {"linkedin": "https://lnkd.in/", "facebook": "https://learnwell.example/go/",
                 "twitter": "https://t.co/"}[platform] + "".join(rng.choice(list("abcdefghkmnpqrstuvwxyz0123456789"), 8))
        if r.campaign:
            # the same text on every platform: drawn from the message key, not the rng
            j = int(r.message[1:]) - 1
            title = course_titles[j % len(course_titles)]
            content = MESSAGE_TEMPLATES[j % len(MESSAGE_TEMPLATES)].format(
                title=title, start=pd.Timestamp(c.params["start"]),
                link=f"https://{PROVIDER[1]}/spring/{r.message.lower()}")
        else:
            content = f"News from our learning community: this week's tips, stories and events. {short}"
        by = str(rng.choice(["", "", "", "Jamie Logan", "Priya Shah"]))
        imp, eng = int(r.exposures), int(r.engagements)
        date = _social_date(r.published_local)
        if platform == "linkedin":
            clicks = int(r.clicks)
            rest = eng - clicks
            likes = int(rng.binomial(rest, 0.75))
            shares = int(rng.binomial(rest - likes, 0.5))
            comments = rest - likes - shares
            reach = int(round(imp * rng.uniform(0.55, 0.75)))
            rows.append([date, content, by, r.labels, _thousands(imp), _thousands(reach),
                         _thousands(clicks), _thousands(likes), _thousands(shares),
                         _thousands(comments), _thousands(eng), f"{100 * eng / imp:.1f}",
                         f"{100 * eng / reach:.1f}", "",
                         f"https://www.linkedin.com/feed/update/urn:li:share:{r.post_id}"])
        elif platform == "facebook":
            reach = int(round(imp * rng.uniform(0.85, 0.98)))
            link = int(r.clicks)
            photo = int(rng.binomial(eng - link, 0.3))
            other = int(rng.binomial(eng - link - photo, 0.4))
            rows.append([date, content, by, r.labels, _thousands(reach), "0", _thousands(reach),
                         _thousands(imp), "0", _thousands(imp), f"{eng:,}.0",
                         f"{100 * eng / reach:.1f}", f"{100 * eng / imp:.1f}",
                         _thousands(link + photo + other), _thousands(link), _thousands(photo),
                         "0", _thousands(other), "", "", "", "", "",
                         f"https://www.facebook.com/{r.post_id[:15]}"])
        else:
            likes, reposts, quotes, replies, _other = rng.multinomial(eng, [0.45, 0.15, 0.02, 0.05, 0.33])
            rows.append([date, content, by, r.labels, _thousands(imp), _thousands(likes),
                         _thousands(reposts), _thousands(quotes), _thousands(replies),
                         _thousands(eng), f"{100 * eng / imp:.1f}", "",
                         f"https://twitter.com/LearnWellUK/status/{r.post_id}"])
    return _csv_bytes(SOCIAL_COLUMNS[platform], rows), "utf-8", TZ_SOCIAL, len(rows)
