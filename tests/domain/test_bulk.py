"""A bulk invite's input checked row by row, its progress line and its report (pure)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from invite_bot.domain.bulk import Row, check_rows, read_csv, read_pasted, typed_text
from invite_bot.domain.bulk_progress import (
    ReportRow,
    Tally,
    Throttle,
    progress_bar,
    progress_line,
    report_csv,
    report_title,
    seconds_left,
    summary_line,
)

ROLES = ["admin", "member", "Viewer"]


def test_a_csv_with_a_bom_semicolons_and_a_header_gives_numbered_rows_with_roles() -> None:
    data = "\ufeffRole;E-mail\r\nmember;Ana@Lab.org\r\n\r\n;bob@lab.org\r\n".encode()
    rows, problem = read_csv(data)
    assert problem is None
    assert rows == [
        Row(2, "Ana@Lab.org", role="member"),
        Row(4, "bob@lab.org", role=None),
    ]
    check = check_rows(rows, max_count=10, roles=ROLES)
    assert check.addresses == ["ana@lab.org", "bob@lab.org"]
    assert check.roles == {"ana@lab.org": "member"}
    assert check.bad == ()


def test_a_csv_without_header_is_email_then_role() -> None:
    rows, problem = read_csv(b"ana@lab.org,viewer\nbob@lab.org\n")
    assert problem is None
    check = check_rows(rows, max_count=10, roles=ROLES)
    assert check.roles == {"ana@lab.org": "Viewer"}  # the organization's spelling


def test_every_bad_row_is_named_with_its_number_and_reason() -> None:
    data = "\n".join(
        [
            "ana@lab.org",
            "not an address",
            "ana@LAB.org",
            "bob@lab.org,emperor",
            "carl@elsewhere.org",
            "dan@lab.org,member,extra",
            "<mailto:evil@x.org|eve@lab.org>",
            "",
            "ok@lab.org",
            "one@lab.org two@lab.org",
        ]
    ).encode()
    rows, problem = read_csv(data)
    assert problem is None
    check = check_rows(rows, max_count=10, allowed_domains=frozenset({"lab.org"}), roles=ROLES)
    assert check.addresses == ["ana@lab.org", "ok@lab.org"]
    reasons = {row.number: row.problem for row in check.bad}
    assert reasons == {
        2: "not an email address",
        3: "the same address as row 1",
        4: "'emperor' is not a role of the organization",
        5: "its domain is not one this bot may invite",
        6: "more columns than email and role",
        7: "evil@x.org may not be what it looks like (mixed alphabets or a link to another "
        "address)",
        10: "more than one address in one cell",
    }


def test_roles_are_not_checked_when_they_are_unknown() -> None:
    rows, _ = read_csv(b"ana@lab.org,anything\n")
    assert check_rows(rows, max_count=1, roles=None).roles == {"ana@lab.org": "anything"}


def test_what_cannot_be_read_is_refused_as_a_whole() -> None:
    assert read_csv(b"\xff\xfea\x00b")[1] is not None  # UTF-16: not UTF-8
    assert read_csv("ana@lab.org\n".encode("utf-16"))[1] is not None
    assert check_rows([], max_count=5).refused == "There are no addresses in it."
    many = [Row(i + 1, f"p{i}@lab.org") for i in range(6)]
    refused = check_rows(many, max_count=5).refused
    assert refused is not None
    assert "6 addresses" in refused
    assert "at most 5" in refused


def test_pasted_text_is_numbered_by_line() -> None:
    rows = read_pasted("ana@lab.org, bob@lab.org\nAna Smith <carl@lab.org>\n\nnope")
    assert [(row.number, row.typed) for row in rows] == [
        (1, "ana@lab.org"),
        (1, "bob@lab.org"),
        (2, "<carl@lab.org>"),
        (4, "nope"),
    ]


def test_the_progress_line_reads_like_the_issue_says() -> None:
    tally = Tally(total=1000, created=312, existing=3, failed=2)
    assert progress_line(tally, 38.0) == (
        "312 / 1,000 invited · 3 already pending · 2 failed · about 40 s left"
    )
    assert progress_line(tally, 130.0).endswith("about 3 min left")
    assert progress_line(tally, None) == "312 / 1,000 invited · 3 already pending · 2 failed"
    assert progress_bar(317, 1000) == "▓▓▓▓▓▓░░░░░░░░░░░░░░ 31%"
    assert progress_bar(0, 0).endswith("100%")
    assert summary_line(Tally(total=5, created=4, cancelled=1)) == (
        "4 invited · 1 not sent (cancelled)"
    )


def test_counts_agree_with_their_nouns_and_skipped_rows_are_counted_last() -> None:
    one = Tally(total=3, created=2, member=1, skipped=3)
    assert summary_line(one) == "2 invited · 1 already a member · 3 skipped"
    assert summary_line(Tally(total=2, member=2)) == "2 already members"
    assert "1 already a member" in progress_line(Tally(total=3, created=1, member=1), None)


def test_the_report_title_names_the_channel_the_date_and_the_count() -> None:
    day = datetime(2027, 1, 6, 15, 0, tzinfo=UTC)
    assert report_title("onboarding", day, Tally(total=57, skipped=3)) == (
        "Bulk invite in #onboarding, 6 Jan 2027: 57 addresses (3 rows skipped)"
    )
    assert report_title(None, day, Tally(total=1)) == "Bulk invite, 6 Jan 2027: 1 address"


def test_time_left_follows_the_pace_so_far() -> None:
    assert seconds_left(0, 100, 5.0) is None
    assert seconds_left(25, 100, 10.0) == 30.0
    assert seconds_left(100, 100, 10.0) == 0.0


def test_tally_counts_outcomes_and_open_addresses() -> None:
    tally = Tally.of(["created", "created", None, "failed", "cancelled", "existing"])
    assert (tally.total, tally.done, tally.open) == (6, 5, 1)
    assert (tally.created, tally.failed, tally.cancelled, tally.existing) == (2, 1, 1, 1)


def test_the_throttle_lets_one_update_through_per_interval() -> None:
    throttle = Throttle(2.0)
    assert throttle.due(10.0)
    assert not throttle.due(11.9)
    assert throttle.wait(11.0) == 1.0
    assert throttle.due(12.0)


def test_the_report_is_utf8_csv_that_never_runs_as_a_formula() -> None:
    data = report_csv(
        [
            ReportRow("ana@lab.org", "member", "created", "inv-1"),
            ReportRow("bob@lab.org", "", "failed", error='=HYPERLINK("x")\nsecond line'),
        ]
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["address", "role", "outcome", "invitation id", "error"]
    assert rows[1] == ["ana@lab.org", "member", "created", "inv-1", ""]
    assert rows[2][4] == '\'=HYPERLINK("x") second line'


def test_reading_stops_past_the_row_limit_whatever_the_size() -> None:
    rows, problem = read_csv(b"a@lab.org\n" * 50 + b"x\n" * 200_000, max_rows=100)
    assert rows == []
    assert problem is not None
    assert "more than 100 rows" in problem
    rows, problem = read_csv(b"email\n" + b"a@lab.org\n" * 100, max_rows=100)
    assert problem is None
    assert len(rows) == 100  # the header is not a row


def test_text_slack_sends_for_a_pasted_list_is_read_as_it_was_typed() -> None:
    sent = (
        "<mailto:ana@lab.org|ana@lab.org>\nbob&amp;<mailto:co@lab.org|co@lab.org>\n"
        "O'Neil &lt;<mailto:carl@lab.org|carl@lab.org>&gt;\n"
        "<mailto:bob&amp;co@lab.org|bob&amp;co@lab.org> e&amp;amp;x@lab.org"
    )
    assert typed_text(sent) == (
        "ana@lab.org\nbob&co@lab.org\nO'Neil <carl@lab.org>\nbob&co@lab.org e&amp;x@lab.org"
    )
    # A link whose label is not where it goes stays a link: it is refused as misleading.
    misleading = "<mailto:evil@x.org|ana@lab.org>"
    assert typed_text(misleading) == misleading
    [row] = check_rows(read_pasted(typed_text(misleading)), max_count=5).bad
    assert "may not be what it looks like" in (row.problem or "")
