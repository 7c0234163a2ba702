"""Writes the malformed-input corpus of this folder (run once; the files are committed).

Each file is described, with the loader and the expected outcome, in
tests/test_bad_inputs.py (CASES) and README.md. Byte-exact: encodings and line endings
are part of what is tested.
"""

import codecs
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

LOG_HEADER = ("Time,User full name,Affected user,Event context,Component,Event name,"
              "Description,Origin,IP address")


def log_row(time, uid, event="Course viewed", component="System", cm=None):
    what = f"the course module with id '{cm}'" if cm else "the course with id '2'"
    return (f'"{time}",Learner {uid},-,Course: Digital skills,{component},{event},'
            f'"The user with id \'{uid}\' viewed {what}.",web,10.0.0.{uid}')


def write(name, text, encoding="utf-8", eol="\n"):
    data = text.replace("\n", eol).encode(encoding) if isinstance(text, str) else text
    (HERE / name).write_bytes(data)


def lines(*rows):
    return "\n".join(rows) + "\n"


OK_LOG = [log_row("5/03/24, 14:07", 4), log_row("5/03/24, 14:09", 5, cm=7),
          log_row("6/03/24, 09:00", 4)]

# --- moodle logs
write("moodle_log_missing_column.csv", lines(
    "Time,User full name,Component,Description",
    '"5/03/24, 14:07",A,System,"The user with id \'4\' viewed the course with id \'2\'."'))
write("moodle_log_bad_date.csv", lines(LOG_HEADER, OK_LOG[0], log_row("31/02/24, 14:07", 5),
                                       OK_LOG[2]))
write("moodle_log_cp1252.csv",
      lines(LOG_HEADER, *OK_LOG).replace("Learner 4", "José Muñoz"), encoding="cp1252",
      eol="\r\n")
write("moodle_log_bom.csv", codecs.BOM_UTF8 + lines(LOG_HEADER, *OK_LOG).encode())
write("moodle_log_utf16.csv", lines(LOG_HEADER, *OK_LOG), encoding="utf-16")
write("moodle_log_empty.csv", b"")
write("moodle_log_header_only.csv", lines(LOG_HEADER))
write("moodle_log_repeated_header.csv", lines(LOG_HEADER, OK_LOG[0], LOG_HEADER, OK_LOG[1]))
write("moodle_log_truncated_last_line.csv",
      lines(LOG_HEADER, *OK_LOG) + '"7/03/24, 10:00",Learner 6,-,Course: Digi')
write("moodle_log_future.csv",
      lines(LOG_HEADER, *OK_LOG, log_row("Friday, 1 January 2099, 10:00 AM", 5)))
write("moodle_log_no_user.csv", lines(
    LOG_HEADER, *OK_LOG,
    '"6/03/24, 10:00",-,-,Turnitin,Turnitin,Submission viewed,,web,10.0.0.9'))
write("moodle_log_dst_gap.csv", lines(LOG_HEADER, OK_LOG[0], log_row("31/03/24, 01:30", 5)))

# --- forum posts
FORUM_HEADER = "id,discussion,parent,userid,userfullname,created,subject,message"
write("forum_posts_non_numeric_parent.csv", lines(
    FORUM_HEADER, "1,10,0,4,Ann,1709647620,Hi,Hello", "2,10,one,5,Bo,1709647680,Re,Hi"))
write("forum_posts_created_as_date.csv", lines(
    FORUM_HEADER, "1,10,0,4,Ann,1709647620,Hi,Hello", "2,10,1,5,Bo,2024-03-05 14:08,Re,Hi"))
write("forum_posts_duplicate_id.csv", lines(
    FORUM_HEADER, "1,10,0,4,Ann,1709647620,Hi,Hello", "2,10,1,5,Bo,1709647680,Re,Hi",
    "2,10,1,6,Cy,1709647700,Re,Other"))
write("forum_posts_exact_duplicate.csv", lines(
    FORUM_HEADER, "1,10,0,4,Ann,1709647620,Hi,Hello", "2,10,1,5,Bo,1709647680,Re,Hi",
    "2,10,1,5,Bo,1709647680,Re,Hi"))
write("forum_posts_negative_userid.csv", lines(
    FORUM_HEADER, "1,10,0,4,Ann,1709647620,Hi,Hello", "2,10,1,-1,System,1709647680,Re,Hi"))

# --- the standard layout's CSVs (mapping.py)
ENROL_HEADER = "user_id,full_name,email,course,organisation,enrolled_at,acquisition_channel"
write("enrolments_bad_date.csv", lines(
    ENROL_HEADER, "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn",
    "5,Bo Chan,bo@x.org,DIG101,Acme,yesterday,Email"))
write("enrolments_duplicate_key.csv", lines(
    ENROL_HEADER, "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn",
    "4,Ann Lee,ann@x.org,DIG101,Bolt,2024-03-01 09:00,LinkedIn"))
write("enrolments_exact_duplicate.csv", lines(
    ENROL_HEADER, "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn",
    "5,Bo Chan,bo@x.org,DIG101,Acme,2024-03-02 09:00,Email",
    "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn"))
write("enrolments_mixed_offsets.csv", lines(
    ENROL_HEADER, "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn",
    "5,Bo Chan,bo@x.org,DIG101,Acme,2024-03-01T09:00:00+04:00,Email",
    "6,Cy Diaz,cy@x.org,DIG101,Acme,2024-03-01T09:00:00Z,Email"))
write("enrolments_utf16.csv", lines(
    ENROL_HEADER, "4,Zoë Lee,zoe@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn"),
    encoding="utf-16", eol="\r\n")
write("enrolments_truncated_last_line.csv", lines(
    ENROL_HEADER, "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn")
    + "5,Bo Chan,bo@x.org,DIG101")
write("enrolments_repeated_header.csv", lines(
    ENROL_HEADER, "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn", ENROL_HEADER,
    "5,Bo Chan,bo@x.org,DIG101,Acme,2024-03-02 09:00,Email"))
write("enrolments_future.csv", lines(
    ENROL_HEADER, "4,Ann Lee,ann@x.org,DIG101,Acme,2024-03-01 09:00,LinkedIn",
    "5,Bo Chan,bo@x.org,DIG101,Acme,2099-03-02 09:00,Email"))
write("enrolments_header_only.csv", lines(ENROL_HEADER))
write("courses_ends_before_start.csv", lines(
    "course,title,starts_on,ends_on", "DIG101,Digital skills,2024-03-01,2024-02-01"))
write("outcomes_score_out_of_range.csv", lines(
    "user_id,course,result,completed_on,withdrawn_on,score",
    "4,DIG101,Passed,2024-05-01,,150"))
write("outcomes_unknown_result.csv", lines(
    "user_id,course,result,completed_on,withdrawn_on,score",
    "4,DIG101,Passed,2024-05-01,,80", "5,DIG101,Dropped out,,2024-04-01,"))
MAPPED_HEADER = "who,course,when,what,n"
write("mapped_events_thousands.csv", lines(
    MAPPED_HEADER, '4,DIG101,2024-03-05 14:07,view,"1,234"', "5,DIG101,2024-03-05 14:08,view,2"))
write("mapped_events_negative_count.csv", lines(
    MAPPED_HEADER, "4,DIG101,2024-03-05 14:07,view,3", "5,DIG101,2024-03-05 14:08,view,-2"))
write("mapped_events_non_numeric_count.csv", lines(
    MAPPED_HEADER, "4,DIG101,2024-03-05 14:07,view,3", "5,DIG101,2024-03-05 14:08,view,many"))
write("mapped_events_extra_field.csv", lines(
    MAPPED_HEADER, "4,DIG101,2024-03-05 14:07,view,3", "5,DIG101,2024-03-05 14:08,view,2,oops"))
write("mapped_events_future.csv", lines(
    MAPPED_HEADER, "4,DIG101,2024-03-05 14:07,view,3", "5,DIG101,2099-03-05 14:08,view,2"))

# --- attendance
ZOOM_HEADER = ("Meeting ID,Topic,Name (Original Name),User Email,Join Time,Leave Time,"
               "Duration (Minutes),Guest")
write("zoom_bad_join_time.csv", lines(
    ZOOM_HEADER, "812 3456 7890,DIG101 webinar,Ann Lee,ann@x.org,03/05/2024 02:00:10 PM,"
    "03/05/2024 02:50:10 PM,50,No",
    "812 3456 7890,DIG101 webinar,Bo Chan,bo@x.org,5 March 2pm,03/05/2024 02:50:10 PM,45,No"))
write("zoom_negative_duration.csv", lines(
    ZOOM_HEADER, "812 3456 7890,DIG101 webinar,Ann Lee,ann@x.org,03/05/2024 02:00:10 PM,"
    "03/05/2024 02:50:10 PM,50,No",
    "812 3456 7890,DIG101 webinar,Bo Chan,bo@x.org,03/05/2024 02:05:10 PM,"
    "03/05/2024 02:50:10 PM,-45,No"))
write("zoom_leave_before_join.csv", lines(
    "Meeting ID,Topic,Name (Original Name),User Email,Join Time,Leave Time",
    "812 3456 7890,DIG101 webinar,Ann Lee,ann@x.org,03/05/2024 02:00:10 PM,"
    "03/05/2024 01:50:10 PM"))
write("zoom_thousands_duration.csv", lines(
    ZOOM_HEADER, '812 3456 7890,DIG101 webinar,Ann Lee,ann@x.org,03/05/2024 02:00:10 PM,'
    '03/06/2024 10:50:10 PM,"1,250",No'))
write("zoom_rejoin.csv", lines(
    ZOOM_HEADER, "812 3456 7890,DIG101 webinar,Ann Lee,ann@x.org,03/05/2024 02:00:10 PM,"
    "03/05/2024 02:10:10 PM,10,No",
    "812 3456 7890,DIG101 webinar,Ann Lee,ann@x.org,03/05/2024 02:20:10 PM,"
    "03/05/2024 02:50:10 PM,30,No"))
SIGNIN_HEADER = "Date,Start,Course,Format,Full name,Email,Organisation"
write("signin_cp1252.csv", lines(
    SIGNIN_HEADER, "05/03/2024,18:00,DIG101,Tutorial,José Muñoz,,Acme",
    "05/03/2024,18:00,DIG101,Tutorial,Zoë Brontë,zoe@x.org,Acme"), encoding="cp1252",
    eol="\r\n")
write("signin_nobody.csv", lines(
    SIGNIN_HEADER, "05/03/2024,18:00,DIG101,Tutorial,Ann Lee,ann@x.org,Acme",
    "05/03/2024,18:00,DIG101,Tutorial,,,Acme"))
write("signin_bad_format.csv", lines(
    SIGNIN_HEADER, "05/03/2024,18:00,DIG101,Lecture,Ann Lee,ann@x.org,Acme"))
write("teams_utf16.csv", "\n".join([
    "1. Summary", "Meeting title\tDIG101 webinar: week 3",
    "Start time\t3/5/24, 2:00:00 PM", "", "2. Participants",
    "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tRole",
    "Ann Lee\t3/5/24, 2:00:13 PM\t3/5/24, 2:50:13 PM\t50m\tann@x.org\tAttendee",
    "Tutor Tom\t3/5/24, 1:58:00 PM\t3/5/24, 2:55:00 PM\t57m\ttom@x.org\tOrganizer", ""]),
    encoding="utf-16", eol="\r\n")
write("teams_list_bad_action.csv", lines(
    "Full Name,User Action,Timestamp", '"Ann Lee",Joined,"3/5/24, 2:00:13 PM"',
    '"Ann Lee",Waved,"3/5/24, 2:10:13 PM"'))

# --- social
LI_HEADER = "Date,Content,Labels,Url,Impressions,Reach,Clicks,Likes,Shares,Comments,Engagement"
LI_OK = ('01/02/2024 02:28 PM EST -0500,"Join us",Spring | variant: a,'
         'https://www.linkedin.com/feed/update/urn:li:activity:1,"1,234",900,12,3,1,0,16')
write("linkedin_thousands.csv", lines(LI_HEADER, LI_OK))
write("linkedin_negative_count.csv", lines(
    LI_HEADER, LI_OK, '01/03/2024 02:28 PM EST -0500,"Again",,https://www.linkedin.com/feed/'
    'update/urn:li:activity:2,500,400,-3,3,1,0,16'))
write("linkedin_bad_date.csv", lines(
    LI_HEADER, LI_OK, '2024-01-03 14:28,"Again",,https://www.linkedin.com/feed/update/'
    'urn:li:activity:2,500,400,3,3,1,0,16'))
write("linkedin_same_post_id.csv", lines(
    LI_HEADER, LI_OK, LI_OK.replace(",12,3,1,0,16", ",13,3,1,0,17")))
write("linkedin_future.csv", lines(
    LI_HEADER, LI_OK, '01/03/2099 02:28 PM EST -0500,"Later",,https://www.linkedin.com/feed/'
    'update/urn:li:activity:2,500,400,3,3,1,0,16'))
write("linkedin_wrong_columns.csv", lines("Date,Content,Impressions", "x,y,1"))

# --- e-mail split test
EMAIL_HEADER = "recipient_email,variant,sent_at,opened,clicked,signed_up"
write("email_bad_flag.csv", lines(
    EMAIL_HEADER, "a@x.org,A,2025-12-15 09:06,1,0,0", "b@x.org,B,2025-12-15 09:07,yes,0,0"))
write("email_same_recipient.csv", lines(
    EMAIL_HEADER, "a@x.org,A,2025-12-15 09:06,1,0,0", "b@x.org,B,2025-12-15 09:07,1,1,0",
    "A@X.org,B,2025-12-15 09:08,0,0,0"))
write("email_header_only.csv", lines(EMAIL_HEADER))
write("email_missing_column.csv", lines("recipient_email,variant,sent_at,opened",
                                        "a@x.org,A,2025-12-15 09:06,1"))
write("email_future.csv", lines(
    EMAIL_HEADER, "a@x.org,A,2025-12-15 09:06,1,0,0", "b@x.org,B,2099-12-15 09:07,1,1,0"))

# --- reply edge lists and nodes
write("edges_mixed_date_order.csv", lines(
    "Sender,Reciever,Timestamp", "a,b,13/02/2014", "b,a,02/14/2014"))
write("edges_blank_sender.csv", lines(
    "Sender,Reciever,Timestamp", "a,b,13/02/2014", ",a,14/02/2014", "b,a,15/02/2014"))
write("edges_year_9999.csv", lines(
    "Sender,Reciever,Timestamp", "a,b,13/02/2014", "b,a,14/02/9999"))
write("edges_cr_only.csv", lines(
    "Sender,Reciever,Timestamp", "a,b,13/02/2014", "b,a,14/02/2014"), eol="\r")
write("nodes_repeated_header.csv", lines(
    "uid,organisation", "a,Acme", "uid,organisation", "b,Bolt"))
write("nodes_conflicting_organisation.csv", lines(
    "uid,organisation", "a,Acme", "b,Bolt", "a,Bolt"))

# --- xAPI


def statement(n, **kw):
    st = {"id": f"00000000-0000-0000-0000-{n:012d}",
          "actor": {"account": {"homePage": "https://lms.example.org", "name": str(n)}},
          "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
          "object": {"id": f"https://lms.example.org/video/{n}"},
          "timestamp": "2024-03-05T14:07:00Z",
          "context": {"contextActivities": {"parent": [
              {"id": "https://lms.example.org/course/DIG101"}]}}}
    st.update(kw)
    return {k: v for k, v in st.items() if v is not None}


def jsonl(*sts):
    return "\n".join(json.dumps(s) for s in sts) + "\n"


no_actor = statement(2)
del no_actor["actor"]
write("xapi_no_actor.jsonl", jsonl(statement(1), no_actor, statement(3)))
write("xapi_truncated_last_line.jsonl",
      jsonl(statement(1), statement(2)) + json.dumps(statement(3))[:60])
write("xapi_mixed_offsets.jsonl", jsonl(
    statement(1, timestamp="2024-03-05T14:07:00+02:00"),
    statement(2, timestamp="2024-03-05T14:07:00Z"),
    statement(3, timestamp="2024-03-05T14:07:00-05:00"),
    statement(4, timestamp="2024-03-05T14:07:00")))
write("xapi_utf16.json", json.dumps([statement(1)]), encoding="utf-16")
write("xapi_duplicate_ids.jsonl", jsonl(statement(1), statement(2), statement(1)))
write("xapi_empty.json", b"")
write("xapi_future.jsonl", jsonl(statement(1), statement(2, timestamp="2099-01-01T00:00:00Z")))
write("xapi_not_json.json", "[" + json.dumps(statement(1)) + ",\n{\"actor\": }\n]")

# --- OULAD clicks (each replaces studentVle.csv of a tiny valid folder in the test)
VLE = '"code_module","code_presentation","id_student","id_site","date","sum_click"'
write("oulad_studentVle_negative_clicks.csv", lines(
    VLE, '"AAA","2013J","11","100","0","3"', '"AAA","2013J","12","100","1","-2"'),
    eol="\r\n")
write("oulad_studentVle_repeated_header.csv", lines(
    VLE, '"AAA","2013J","11","100","0","3"', VLE, '"AAA","2013J","12","100","1","2"'),
    eol="\r\n")
write("oulad_studentVle_blank_line_then_bad.csv", lines(
    VLE, '"AAA","2013J","11","100","0","3"', "", "", '"AAA","2013J","12","100","1","2.5"'),
    eol="\r\n")
write("oulad_studentVle_huge_date.csv", lines(
    VLE, '"AAA","2013J","11","100","0","3"', '"AAA","2013J","12","100","99999999999","2"'),
    eol="\r\n")
write("oulad_studentVle_missing_module.csv", lines(
    VLE, '"AAA","2013J","11","100","0","3"', '"","2013J","12","100","1","2"'),
    eol="\r\n")
write("oulad_studentVle_header_only.csv", lines(VLE), eol="\r\n")
write("oulad_courses_empty.csv", b"")
write("oulad_studentVle_cp1252.csv", lines(
    VLE, '"AAA","2013J","11","100","0","3"', '"AAA","2013J","12","100","1","2" é'),
    encoding="cp1252", eol="\r\n")

# --- clean.prepare on a reply network folder (the nodes file is the bad input)
write("prepare_nodes_empty.csv", b"")
write("prepare_nodes_utf16.csv", lines("uid,facilitator,organisation", "a,0,Acme", "t,1,Staff",
                                       "b,0,Bolt"), encoding="utf-16")
