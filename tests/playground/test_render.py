"""Block Kit to HTML for the playground: every block, every mrkdwn feature, and no way in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invite_bot.domain.command.help import help_text
from invite_bot.domain.records import InviteRow
from invite_bot.domain.text import escape_mrkdwn, slack_date
from invite_bot.features.accounts.blocks import Card, accept_card, link_modal
from invite_bot.features.invite.modals import invite_modal
from invite_bot.features.invite.result import invite_result
from invite_bot.features.listing.blocks import ListPage, invitation_list
from invite_bot.features.notify.blocks import notification
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.mrkdwn import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, emojify
from invite_bot.playground.render import (
    mrkdwn,
    plain,
    render_blocks,
    render_view,
    text_object,
)
from invite_bot.slack.blockkit import note, with_note

NAMES = {"U0ADMIN01": "ana"}
EXPIRES = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TS = 1_700_000_000  # 2023-11-14 22:13:20 UTC, a Tuesday
INVITATION = "11111111-2222-3333-4444-555555555555"


class Parsed(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text += data

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        """Attributes of each `tag` whose attributes include `wanted` (`_` for `-`)."""
        want = {k.replace("_", "-"): v for k, v in wanted.items()}
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in want.items())]

    def one(self, tag: str, **wanted: str) -> dict[str, str | None]:
        found = self.find(tag, **wanted)
        assert len(found) == 1, (tag, wanted, self.tags)
        return found[0]


def _section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "block_id": "b1", "text": {"type": "mrkdwn", "text": text}, **extra}


def _pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _pt(text), "value": value}


def _input(element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": "f", "label": _pt("Field"), "element": element, **extra}


# -- mrkdwn -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("*bold*", "<b>bold</b>"),
        ("_italic_", "<i>italic</i>"),
        ("~strike~", "<s>strike</s>"),
        ("`code`", "<code>code</code>"),
        ("```pre\n  *kept*```", "<pre>pre\n  *kept*</pre>"),
        ("one\ntwo", "one<br>two"),
        ("*_both_*", "<b><i>both</i></b>"),
        ("*a * b*", "<b>a * b</b>"),
        ("snake_case_name", "snake_case_name"),
        ("2*3*4", "2*3*4"),
        ("* not bold *", "* not bold *"),
        ("`*no* _format_ :x:`", "<code>*no* _format_ :x:</code>"),
        ("(*bold*)", "(<b>bold</b>)"),
        ("**", "**"),
    ],
)
def test_mrkdwn_formatting(source: str, expected: str) -> None:
    assert mrkdwn(source) == expected


def test_quotes_group_lines_and_triple_quote_takes_the_rest() -> None:
    assert mrkdwn("said:\n&gt; one\n&gt; two\nafter") == (
        "said:<blockquote>one<br>two</blockquote>after"
    )
    assert mrkdwn("a\n&gt;&gt;&gt; b\nc") == "a<blockquote>b<br>c</blockquote>"
    assert mrkdwn("x &gt; y") == "x &gt; y"  # only at the start of a line


def test_links() -> None:
    parsed = Parsed(mrkdwn("<https://gencove.com/a_b_c?x=1&amp;y=2|the *site*>"))
    assert parsed.one("a") == {
        "href": "https://gencove.com/a_b_c?x=1&y=2",
        "target": "_blank",
        "rel": "noopener",
    }
    assert parsed.text == "the *site*"
    assert Parsed(mrkdwn("<https://x.org>")).text == "https://x.org"
    mail = Parsed(mrkdwn("<mailto:ana@lab.org|ana@lab.org>"))
    assert mail.one("a")["href"] == "mailto:ana@lab.org"
    assert mail.text == "ana@lab.org"
    assert Parsed(mrkdwn("<mailto:bob@lab.org>")).text == "bob@lab.org"


def test_bare_urls_become_links_without_trailing_punctuation() -> None:
    parsed = Parsed(mrkdwn("see https://x.org/a_b_/c. and (https://y.org/p)"))
    assert [a["href"] for a in parsed.find("a")] == ["https://x.org/a_b_/c", "https://y.org/p"]
    assert "<i>" not in mrkdwn("https://x.org/_b_/")
    assert Parsed(mrkdwn("*https://x.org*")).tags[0][0] == "b"


def test_markers_do_not_reach_into_or_across_control_sequences() -> None:
    assert mrkdwn("*<https://x.org|a>*") == (
        '<b><a href="https://x.org" target="_blank" rel="noopener">a</a></b>'
    )
    out = mrkdwn("_<https://x.org/_a_|b_c>_")
    assert Parsed(out).one("a")["href"] == "https://x.org/_a_"
    assert Parsed(out).text == "b_c"
    assert "<b>" not in mrkdwn("*<@U0ADMIN01|x*y>")


def test_unsafe_links_are_text() -> None:
    for source in (
        "<javascript:alert(1)|click>",
        "<JAVASCRIPT:alert(1)>",
        "<data:text/html,x|x>",
        "<vbscript:x>",
        "<//evil.org|x>",
    ):
        out = mrkdwn(source)
        assert "href" not in out, source
        assert Parsed(out).text == source
    assert mrkdwn("<javascript:alert(1)|click>") == "&lt;javascript:alert(1)|click&gt;"


def test_escaping() -> None:
    assert mrkdwn("&lt;script&gt;alert(1)&lt;/script&gt;") == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert mrkdwn("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert mrkdwn("&amp;lt; &quot; ' \"") == "&amp;lt; &amp;quot; &#x27; &quot;"
    assert Parsed(mrkdwn("&amp;lt;")).text == "&lt;"  # Slack shows what was escaped once
    out = mrkdwn('<https://x.org/"onmouseover="alert(1)|hi>')
    assert Parsed(out).one("a")["href"] == 'https://x.org/"onmouseover="alert(1)'
    assert 'href="https://x.org/&quot;onmouseover=&quot;alert(1)"' in out
    spaced = mrkdwn('<https://x.org/" onmouseover="alert(1)|hi>')  # not a link: text
    assert Parsed(spaced).one("a")["href"] == "https://x.org/"
    assert "onmouseover=&quot;" in spaced
    assert mrkdwn("`&lt;b&gt;`") == "<code>&lt;b&gt;</code>"
    assert mrkdwn("nul\x00here\x01") == "nul\ufffdhere\ufffd"


def test_mentions() -> None:
    assert mrkdwn("<@U0ADMIN01>", NAMES) == '<span class="sk-mention">@ana</span>'
    assert mrkdwn("<@U0ADMIN01>") == '<span class="sk-mention">@U0ADMIN01</span>'
    assert mrkdwn("<@W0OTHER02|olga>") == '<span class="sk-mention">@olga</span>'
    assert mrkdwn("<@U0ADMIN01|old>", NAMES) == '<span class="sk-mention">@ana</span>'
    assert Parsed(mrkdwn("<#C0GENERAL|general>")).text == "#general"
    assert Parsed(mrkdwn("<#C0GENERAL>")).text == "#C0GENERAL"
    for special in ("channel", "here", "everyone"):
        assert mrkdwn(f"<!{special}>") == f'<span class="sk-mention">@{special}</span>'
    assert mrkdwn("<!subteam^S0ADMINS|@admins>") == '<span class="sk-mention">@admins</span>'
    assert mrkdwn("<!subteam^S0ADMINS>") == '<span class="sk-mention">@S0ADMINS</span>'
    assert Parsed(mrkdwn("<@U0X>", {"U0X": "<b>eve</b>"})).text == "@<b>eve</b>"
    assert mrkdwn("<@U0X>", {"U0X": "<b>"}) == '<span class="sk-mention">@&lt;b&gt;</span>'
    assert mrkdwn("<@not an id>") == "&lt;@not an id&gt;"


def test_emoji() -> None:
    assert mrkdwn(":white_check_mark: :warning: :tada:") == "✅ ⚠️ 🎉"
    assert mrkdwn(":no_such_emoji: :x:") == ":no_such_emoji: ❌"
    assert mrkdwn("at 10:30:45 ok") == "at 10:30:45 ok"
    assert mrkdwn("a:b:wave:") == "a:b👋"
    used = "envelope hourglass hourglass_flowing_sand no_entry_sign lock information_source link"
    used += " bust_in_silhouette mag bell no_bell key inbox_tray outbox_tray clipboard hand"
    for code in (used + " grey_question").split():
        assert mrkdwn(f":{code}:") != f":{code}:", code


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("{date_num}", "2023-11-14"),
        ("{date}", "November 14th, 2023"),
        ("{date_short}", "Nov 14, 2023"),
        ("{date_long}", "Tuesday, November 14th, 2023"),
        ("{date_pretty}", "November 14th, 2023"),
        ("{date_short_pretty}", "Nov 14, 2023"),
        ("{date_long_pretty}", "Tuesday, November 14th, 2023"),
        ("{time}", "10:13 PM"),
        ("{time_secs}", "10:13:20 PM"),
        ("{date_short_pretty} at {time}", "Nov 14, 2023 at 10:13 PM"),
        ("{unknown} &amp; {time}", "{unknown} &amp; 10:13 PM"),
    ],
)
def test_dates(fmt: str, expected: str) -> None:
    out = mrkdwn(f"<!date^{TS}^{fmt}|fallback>")
    assert out == f'<time datetime="2023-11-14T22:13:20Z">{expected}</time>'


def test_pretty_dates_are_relative_to_now() -> None:
    def pretty(now: datetime) -> str:
        return Parsed(mrkdwn(f"<!date^{TS}^{{date_pretty}} at {{time}}|x>", now=now)).text

    assert pretty(datetime(2023, 11, 14, 1, tzinfo=UTC)) == "Today at 10:13 PM"
    assert pretty(datetime(2023, 11, 15, 23, tzinfo=UTC)) == "Yesterday at 10:13 PM"
    assert pretty(datetime(2023, 11, 13, tzinfo=UTC)) == "Tomorrow at 10:13 PM"
    assert pretty(datetime(2023, 11, 20, tzinfo=UTC)) == "November 14th, 2023 at 10:13 PM"
    ago = mrkdwn(f"<!date^{TS}^{{ago}}|x>", now=datetime(2023, 11, 15, 1, tzinfo=UTC))
    assert Parsed(ago).text == "2 hours ago"


def test_the_bots_dates_read_as_in_a_sentence() -> None:
    """The bot's `slack_date` as Slack shows it: the word it picks stays lower case inside
    a sentence (its format starts with a zero-width space), a UTC fallback otherwise."""
    moment = datetime.fromtimestamp(TS, tz=UTC)
    text = f"expires {slack_date(moment)}"

    def shown(now: datetime) -> str:
        return Parsed(mrkdwn(text, now=now)).text.replace("\u200b", "")

    assert shown(datetime(2023, 11, 14, 9, tzinfo=UTC)) == "expires today at 10:13 PM"
    assert shown(datetime(2023, 11, 13, 9, tzinfo=UTC)) == "expires tomorrow at 10:13 PM"
    assert shown(datetime(2023, 12, 1, tzinfo=UTC)) == "expires November 14th, 2023 at 10:13 PM"
    assert text.endswith("|Nov 14, 2023 at 22:13 UTC>")


def test_bad_dates_show_the_fallback_and_date_links_must_be_safe() -> None:
    assert mrkdwn("<!date^soon^{date}|2026-12-03 12:00 UTC>") == "2026-12-03 12:00 UTC"
    assert mrkdwn("<!date^99999999999999999999^{date}|later>") == "later"
    assert mrkdwn("<!date^1^{time}|&lt;b&gt;>") == (
        '<time datetime="1970-01-01T00:00:01Z">12:00 AM</time>'
    )
    linked = Parsed(mrkdwn(f"<!date^{TS}^{{date_num}}^https://x.org|f>"))
    assert linked.one("a")["href"] == "https://x.org"
    assert "href" not in mrkdwn(f"<!date^{TS}^{{date_num}}^javascript:x|f>")


def test_plain_and_text_objects() -> None:
    assert plain("<b>R&D</b> :warning:\nnext") == "&lt;b&gt;R&amp;D&lt;/b&gt; ⚠️<br>next"
    assert plain("*not bold* &lt;") == "*not bold* &amp;lt;"
    assert text_object(None) == ""
    assert text_object({"type": "mrkdwn", "text": "*b* <@U0ADMIN01>"}, NAMES) == (
        '<b>b</b> <span class="sk-mention">@ana</span>'
    )
    assert text_object({"type": "plain_text", "text": "*b* :x:"}) == "*b* ❌"
    assert text_object({"type": "plain_text", "text": ":x:", "emoji": False}) == ":x:"


# -- blocks -----------------------------------------------------------------------------


def test_every_block_has_a_wrapper_with_its_id() -> None:
    blocks = [
        {"type": "header", "block_id": "h", "text": _pt("Title :tada:")},
        _section("text"),
        {"type": "divider", "block_id": "d"},
        {"type": "context", "block_id": "c", "elements": [{"type": "mrkdwn", "text": "small"}]},
    ]
    parsed = Parsed(render_blocks(blocks))
    wrappers = [(a["class"], a.get("data-block-id")) for t, a in parsed.tags if t == "div"]
    assert ("sk-block sk-header", "h") in wrappers
    assert ("sk-block sk-section", "b1") in wrappers
    assert ("sk-block sk-divider", "d") in wrappers
    assert ("sk-block sk-context", "c") in wrappers
    assert parsed.find("hr")
    assert "Title 🎉" in parsed.text
    assert Parsed(render_blocks([{"type": "divider"}])).one("div")["data-block-id"] == ""


def test_section_with_fields_and_accessories() -> None:
    fields = [{"type": "mrkdwn", "text": "*Role*\nadmin"}, _pt("Status")]
    out = render_blocks([_section("main", fields=fields)])
    assert '<div class="sk-fields"><div class="sk-field"><b>Role</b><br>admin</div>' in out
    image = {"type": "image", "image_url": "https://x.org/a.png", "alt_text": 'a "pic"'}
    parsed = Parsed(render_blocks([_section("t", accessory=image)]))
    assert parsed.one("img") == {
        "class": "sk-image-element",
        "src": "https://x.org/a.png",
        "alt": 'a "pic"',
    }
    bad = {"type": "image", "image_url": "javascript:x", "alt_text": "alt"}
    assert "<img" not in render_blocks([_section("t", accessory=bad)])
    overflow = {
        "type": "overflow",
        "action_id": "more",
        "options": [_option("Edit", "e"), {**_option("Docs", "d"), "url": "https://x.org"}],
    }
    parsed = Parsed(render_blocks([_section("t", accessory=overflow)]))
    assert parsed.one("select", data_kind="overflow", data_action_id="more", data_block_id="b1")
    assert [a["value"] for a in parsed.find("option")] == ["", "e", "d"]
    assert parsed.one("option", value="d")["data-url"] == "https://x.org"


def test_button() -> None:
    button = {
        "type": "button",
        "action_id": "go",
        "value": "v1",
        "text": _pt("Go :rocket:"),
        "style": "primary",
    }
    out = render_blocks([{"type": "actions", "block_id": "acts", "elements": [button]}])
    assert out == (
        '<div class="sk-block sk-actions" data-block-id="acts"><button type="button" '
        'class="sk-button sk-primary" data-action-id="go" data-block-id="acts" data-value="v1" '
        'data-kind="button">Go 🚀</button></div>'
    )
    danger = Parsed(render_blocks([_section("t", accessory={**button, "style": "danger"})]))
    assert danger.one("button")["class"] == "sk-button sk-danger"
    no_value = Parsed(
        render_blocks([_section("t", accessory={"type": "button", "text": _pt("x")})])
    )
    assert "data-value" not in no_value.one("button")
    linked = Parsed(render_blocks([_section("t", accessory={**button, "url": "https://x.org"})]))
    assert linked.one("button")["data-url"] == "https://x.org"
    unsafe = Parsed(render_blocks([_section("t", accessory={**button, "url": "javascript:x"})]))
    assert "data-url" not in unsafe.one("button")


def test_button_confirm_is_json_in_the_attribute() -> None:
    confirm = {
        "title": _pt("Sure?"),
        "text": {"type": "mrkdwn", "text": '*bob* &amp; <@U0ADMIN01> it\'s "gone"'},
        "confirm": _pt("Yes"),
        "deny": _pt("No"),
        "style": "danger",
    }
    button = {"type": "button", "action_id": "a", "text": _pt("x"), "confirm": confirm}
    out = render_blocks([_section("t", accessory=button)])
    attribute = Parsed(out).one("button")["data-confirm"]
    assert attribute is not None
    assert json.loads(attribute) == {
        "title": "Sure?",
        "text": '*bob* & @U0ADMIN01 it\'s "gone"',
        "confirm": "Yes",
        "deny": "No",
        "style": "danger",
    }
    assert "'" not in out.split("data-confirm=")[1].split(">")[0]


def test_attribute_breaking_values_stay_inside_their_attributes() -> None:
    evil = '"\' onclick=alert(1) x="<script>'
    button = {"type": "button", "action_id": evil, "value": evil, "text": _pt(evil)}
    block = {"type": "actions", "block_id": evil, "elements": [button]}
    out = render_blocks([block])
    parsed = Parsed(out)
    attrs = parsed.one("button")
    assert attrs["data-action-id"] == attrs["data-value"] == attrs["data-block-id"] == evil
    assert set(attrs) == {"type", "class", "data-action-id", "data-block-id", "data-value",
                          "data-kind"}  # fmt: skip
    assert "<script>" not in out
    assert parsed.text == evil


def test_static_select_action_with_groups_and_initial_option() -> None:
    select = {
        "type": "static_select",
        "action_id": "pick",
        "placeholder": _pt("Choose <one>"),
        "option_groups": [
            {"label": _pt("Group & co"), "options": [_option("A", "a"), _option("B", "b")]},
        ],
        "initial_option": _option("B", "b"),
    }
    parsed = Parsed(render_blocks([{"type": "actions", "block_id": "x", "elements": [select]}]))
    assert parsed.one("select") == {
        "class": "sk-select",
        "data-action-id": "pick",
        "data-block-id": "x",
        "data-kind": "static_select",
    }
    assert parsed.one("optgroup")["label"] == "Group & co"
    assert parsed.find("option")[0] == {"value": ""}
    assert "selected" in parsed.one("option", value="b")
    assert "selected" not in parsed.one("option", value="a")
    assert parsed.text.startswith("Choose <one>")


def test_datepicker_checkboxes_and_radios_as_actions() -> None:
    elements = [
        {"type": "datepicker", "action_id": "day", "initial_date": "2026-12-03"},
        {
            "type": "checkboxes",
            "action_id": "boxes",
            "options": [_option("One", "1"), _option("Two", "2")],
            "initial_options": [_option("Two", "2")],
        },
    ]
    parsed = Parsed(render_blocks([{"type": "actions", "block_id": "a", "elements": elements}]))
    date = parsed.one("input", type="date")
    assert date["value"] == "2026-12-03"
    assert date["data-kind"] == "datepicker"
    assert parsed.one("div", **{"class": "sk-checkboxes"})
    boxes = parsed.find("input", type="checkbox", name="a.boxes", data_action_id="boxes")
    assert [("checked" in b) for b in boxes] == [False, True]
    assert {b["data-kind"] for b in boxes} == {"checkboxes"}


def test_context_with_images() -> None:
    elements = [
        {"type": "image", "image_url": "https://x.org/i.png", "alt_text": "icon"},
        _pt("plain & text"),
    ]
    parsed = Parsed(render_blocks([{"type": "context", "elements": elements}]))
    assert parsed.one("img")["class"] == "sk-context-image"
    assert parsed.one("span")["class"] == "sk-context-text"
    assert "plain & text" in parsed.text


def test_image_block() -> None:
    block = {
        "type": "image",
        "block_id": "img",
        "image_url": "https://x.org/big.png",
        "alt_text": "big",
        "title": _pt("A title"),
    }
    parsed = Parsed(render_blocks([block]))
    assert parsed.one("img")["src"] == "https://x.org/big.png"
    assert "A title" in parsed.text


def test_rich_text() -> None:
    block = {
        "type": "rich_text",
        "block_id": "rt",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi <b> ", "style": {"bold": True}},
                    {"type": "user", "user_id": "U0ADMIN01"},
                    {"type": "link", "url": "https://x.org", "text": "site"},
                    {"type": "link", "url": "javascript:x", "text": "bad"},
                    {"type": "emoji", "name": "tada", "unicode": "1f389"},
                    {"type": "emoji", "name": "warning"},
                    {"type": "date", "timestamp": TS, "format": "{date_num}", "fallback": "f"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "ordered",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "x"}]}
                ],
            },
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "a\nb"}]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "q"}]},
        ],
    }
    out = render_blocks([block], names=NAMES)
    assert "<b>Hi &lt;b&gt; </b>" in out
    assert '<span class="sk-mention">@ana</span>' in out
    parsed = Parsed(out)
    assert [a["href"] for a in parsed.find("a")] == ["https://x.org"]
    assert "🎉⚠️" in parsed.text
    assert parsed.one("time")["datetime"] == "2023-11-14T22:13:20Z"
    assert "<ol" in out
    assert "<pre>a\nb</pre>" in out
    assert "<blockquote>q</blockquote>" in out
    assert "sk-unsupported" not in out


def test_unsupported_blocks_and_elements_are_visible() -> None:
    out = render_blocks([{"type": "video", "block_id": "v"}])
    assert '<div class="sk-unsupported">unsupported block: video</div>' in out
    assert Parsed(out).find("div", data_block_id="v")
    evil = render_blocks([{"type": "<img src=x onerror=alert(1)>"}])
    assert "<img" not in evil
    assert "unsupported block: &lt;img" in evil
    element = render_blocks([_section("t", accessory={"type": "users_select", "action_id": "u"})])
    assert "unsupported element: users_select" in element
    context = render_blocks([{"type": "context", "elements": [{"type": "button"}]}])
    assert "unsupported element: button" in context


def test_fallback_text_when_there_are_no_blocks() -> None:
    assert render_blocks(None, fallback_text="*hi* &lt;x&gt;") == (
        '<div class="sk-message-text"><b>hi</b> &lt;x&gt;</div>'
    )
    assert render_blocks([], fallback_text=None) == ""
    assert "fallback" not in render_blocks([_section("t")], fallback_text="fallback")


# -- inputs and modals ------------------------------------------------------------------


def test_plain_text_inputs() -> None:
    single = {
        "type": "plain_text_input",
        "action_id": "v",
        "initial_value": 'say "hi"',
        "placeholder": _pt("Type <here>"),
        "max_length": 50,
    }
    parsed = Parsed(render_view({"blocks": [_input(single)]}))
    assert parsed.one("input") == {
        "type": "text",
        "class": "sk-text-input",
        "name": "f.v",
        "data-input-block": "f",
        "data-input-action": "v",
        "data-input-kind": "plain_text_input",
        "placeholder": "Type <here>",
        "maxlength": "50",
        "required": None,
        "value": 'say "hi"',
    }
    multi = {**single, "multiline": True, "initial_value": "\nline </textarea><b>"}
    out = render_view({"blocks": [_input(multi, optional=True, dispatch_action=True)]})
    parsed = Parsed(out)
    area = parsed.one("textarea")
    assert area["data-dispatch"] == "true"
    assert "required" not in area
    assert "<b>" not in out
    assert "\nline </textarea><b>" in parsed.text
    assert parsed.one("span")["class"] == "sk-optional"
    assert "(optional)" in parsed.text


def test_select_file_checkbox_and_radio_inputs() -> None:
    select = {
        "type": "static_select",
        "action_id": "role",
        "placeholder": _pt("Pick"),
        "options": [_option("Admin", "admin"), _option("Member", "member")],
        "initial_option": _option("Member", "member"),
    }
    files = {"type": "file_input", "action_id": "up", "filetypes": ["csv", "txt"], "max_files": 1}
    boxes = {
        "type": "checkboxes",
        "action_id": "c",
        "options": [{**_option("One", "1"), "description": {"type": "mrkdwn", "text": "*d*"}}],
    }
    radios = {
        "type": "radio_buttons",
        "action_id": "r",
        "options": [_option("Yes", "y"), _option("No", "n")],
        "initial_option": _option("No", "n"),
    }
    view = {
        "blocks": [
            {**_input(select), "block_id": "s"},
            {**_input(files), "block_id": "u", "hint": _pt("CSV only")},
            {**_input(boxes), "block_id": "cb"},
            {**_input(radios), "block_id": "rb"},
        ]
    }
    parsed = Parsed(render_view(view))
    sel = parsed.one("select")
    assert sel["name"] == "s.role"
    assert sel["data-input-kind"] == "static_select"
    assert "data-action-id" not in sel
    assert "selected" in parsed.one("option", value="member")
    up = parsed.one("input", type="file")
    assert up["accept"] == ".csv,.txt"
    assert "multiple" not in up
    assert up["data-input-block"] == "u"
    assert "CSV only" in parsed.text
    box = parsed.one("input", type="checkbox")
    assert box["name"] == "cb.c"
    assert (box["data-input-block"], box["data-input-action"]) == ("cb", "c")
    assert box["data-input-kind"] == "checkboxes"
    assert "data-action-id" not in box
    assert [("checked" in r) for r in parsed.find("input", type="radio", name="rb.r")] == [
        False,
        True,
    ]
    assert len(parsed.find("input", data_input_kind="radio_buttons", data_input_block="rb")) == 2
    assert parsed.one("div", **{"class": "sk-radio_buttons"})
    assert "sk-unsupported" not in render_view(view)


def test_field_errors_show_under_their_field() -> None:
    view = {
        "callback_id": "cb",
        "title": _pt("T"),
        "blocks": [
            _input({"type": "plain_text_input", "action_id": "v"}, hint=_pt("the hint")),
            _section("no error here"),
        ],
    }
    out = render_view(view, errors={"f": "Not an <address> & more", "gone": "orphan"})
    parsed = Parsed(out)
    assert parsed.one("div", data_block_id="f")["class"] == "sk-block sk-input sk-has-error"
    assert parsed.one("div", data_block_id="b1")["class"] == "sk-block sk-section"
    assert '<div class="sk-error" data-error-for="f">Not an &lt;address&gt; &amp; more</div>' in out
    assert out.index('data-error-for="f"') < out.index("the hint")
    assert out.index("<input") < out.index('data-error-for="f"')
    assert parsed.one("div", data_error_for="gone")  # an unknown block's error is not lost
    # the key "" names no block (the page shows it as the view's own problem)
    general = render_view({"blocks": [{"type": "divider"}]}, errors={"": "general"})
    assert "general" not in general
    assert "sk-has-error" not in general


def test_modal_frame_and_footer() -> None:
    view = {
        "type": "modal",
        "callback_id": 'cb"x',
        "title": _pt("Invite :wave:"),
        "submit": _pt("Send"),
        "close": _pt("Back"),
        "blocks": [],
    }
    out = render_view(view)
    assert out == (
        '<div class="sk-modal" data-callback-id="cb&quot;x">'
        '<div class="sk-modal-title">Invite 👋</div><div class="sk-modal-body"></div>'
        '<div class="sk-modal-footer"><button type="button" class="sk-modal-close">Back</button>'
        '<button type="button" class="sk-modal-submit sk-button sk-primary">Send</button>'
        "</div></div>"
    )
    bare = render_view({"title": _pt("Info"), "blocks": [_section("hi")]})
    assert '<button type="button" class="sk-modal-close">Cancel</button>' in bare
    assert "sk-modal-submit" not in bare


# -- the bot's own messages -------------------------------------------------------------


def _assert_clean(fragment: str) -> Parsed:
    assert "sk-unsupported" not in fragment
    parsed = Parsed(fragment)
    assert "<!date" not in parsed.text
    assert "<@" not in parsed.text
    return parsed


def test_the_bots_result_message() -> None:
    rows = [
        InviteRow("ana@lab.org", "pending", "admin", INVITATION, EXPIRES),
        InviteRow("bob@lab.org", "failed", error="Gencove said <no> & 'no'"),
        InviteRow("carol@lab.org", "revoked", changed_by="U0ADMIN01"),
        InviteRow("dan@lab.org", "working"),
        InviteRow("eve@lab.org", "revoked", "member", "id-5", changed_by="Eve <!here>"),
    ]
    message = invite_result(rows, inviter_id="U0ADMIN01")
    parsed = _assert_clean(render_blocks(message.blocks, names=NAMES, fallback_text=message.text))
    revoke = parsed.one("button", data_action_id=REVOKE)
    assert revoke["data-value"] == INVITATION
    assert revoke["data-block-id"] == f"inv:{INVITATION}"
    assert revoke["class"] == "sk-button sk-danger"
    confirm = json.loads(revoke["data-confirm"] or "")
    assert confirm["title"] == "Revoke this invitation?"
    assert confirm["text"] == "ana@lab.org will no longer be able to join."
    assert (confirm["confirm"], confirm["deny"], confirm["style"]) == (
        "Revoke",
        "Keep it",
        "danger",
    )
    assert parsed.one("time")["datetime"] == "2026-12-03T12:00:00Z"
    assert "@ana invited 3 of 5 addresses (1 failed, 1 still being invited)." in parsed.text
    assert "eve@lab.org: revoked in Gencove by Eve <!here>" in parsed.text
    assert "Gencove said <no> & 'no'" in parsed.text
    assert "Eve <!here>" in parsed.text
    assert len(parsed.find("span", **{"class": "sk-mention"})) == 2


def test_the_bots_compact_result_and_notes() -> None:
    rows = [InviteRow(f"u{i}@lab.org", "pending", invitation_id=f"id-{i}") for i in range(60)]
    message = with_note(invite_result(rows, inviter_id="U0ADMIN01"), ":warning: *careful*")
    parsed = _assert_clean(render_blocks(message.blocks, names=NAMES))
    assert "u59@lab.org" in parsed.text
    assert "⚠️ careful" in parsed.text
    for row in (rows[0], InviteRow("x@lab.org", "revoked", changed_by="U0ADMIN01")):
        _assert_clean(render_blocks(notification(row, inviter_id="U0ADMIN01").blocks))
    _assert_clean(render_blocks(note("There are no invitations.").blocks))


def test_the_bots_list_page() -> None:
    rows = [
        InviteRow("ana@lab.org", "pending", "admin", INVITATION, EXPIRES),
        InviteRow("bob@lab.org", "expired", invitation_id="2"),
    ]
    message = invitation_list(ListPage(status="all", offset=20, count=45, rows=rows))
    parsed = _assert_clean(render_blocks(message.blocks))
    revoke = parsed.one("button", data_action_id=REVOKE)
    assert revoke["data-value"] == f'{INVITATION}|{{"status":"all","offset":20}}'
    assert json.loads(revoke["data-confirm"] or "")["deny"] == "Keep it"
    prev = parsed.one("button", data_action_id="list_page:prev")
    assert prev["data-value"] == '{"status":"all","offset":0}'
    assert prev["data-block-id"] == "list_pages"
    assert parsed.one("button", data_action_id="list_page:next")
    assert "45 invitations" in parsed.text


def test_the_bots_modals() -> None:
    invite = invite_modal(["admin", "member"], default_role="member", metadata="C1").to_dict()
    parsed = _assert_clean(render_view(invite, errors={"addresses": "Not an address: x"}))
    assert parsed.one("div", **{"class": "sk-modal", "data-callback-id": "invite_modal"})
    area = parsed.one("textarea", name="addresses.addresses_input")
    assert area["placeholder"] == "ana@lab.org\nbob@lab.org"
    assert parsed.one("select", name="role.role_input")["data-input-kind"] == "static_select"
    assert "selected" in parsed.one("option", value="member")
    assert parsed.one("div", data_error_for="addresses")
    assert parsed.one("button", **{"class": "sk-modal-submit sk-button sk-primary"})
    link = _assert_clean(render_view(link_modal(metadata="m").to_dict()))
    key = link.one("input", name="api_key.api_key_input")
    assert key["maxlength"] == "500"
    assert "Link" in link.text


def test_the_bots_accept_cards_and_help() -> None:
    for linked in (True, False):
        card = Card("tok-1", "Lab <&> Co", "member", "pending", EXPIRES, linked)
        parsed = _assert_clean(render_blocks(accept_card(card, note="Hello :wave:").blocks))
        assert "Invitation to Lab <&> Co" in parsed.text
        button = parsed.one("button", data_block_id="card_actions")
        assert button["data-value"] == "tok-1"
        assert ("sk-primary" in (button["class"] or "")) is linked
    expired = Card("t", "Lab", "", "expired", None, True)
    assert "no expiry" in _assert_clean(render_blocks(accept_card(expired).blocks)).text
    help_html = render_blocks(None, fallback_text=help_text("foo<b>"))
    parsed = _assert_clean(help_html)
    assert "I don't know foo<b>." in parsed.text
    assert "<code>/gencove list [pending|accepted|expired|revoked|all]</code>" in help_html
    assert "<b>/gencove</b>" in help_html


# -- properties -------------------------------------------------------------------------

PIECES = [*"<>&\"'*_~`:|@!#^\n ab1/.=", "http://", "https://x.org", "mailto:", "javascript:"]
PIECES += ["&gt; ", "&amp;", "&lt;", "```", "<@U0ADMIN01>", "<!date^1^{time}", "<#C1|", ":x:"]
hostile_text = st.lists(st.sampled_from(PIECES), max_size=40).map("".join) | st.text(max_size=80)


def _only_allowed_markup(fragment: str) -> Parsed:
    parsed = Parsed(fragment)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (tag, fragment)
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (attrs, fragment)
        href = attrs.get("href")
        if href is not None:
            assert href.lower().startswith(("http://", "https://", "mailto:")), href
    return parsed


@settings(max_examples=400, deadline=None)
@given(hostile_text)
def test_escaped_user_text_never_becomes_markup(text: str) -> None:
    parsed = _only_allowed_markup(mrkdwn(escape_mrkdwn(text), NAMES))
    for tag, _attrs in parsed.tags:
        assert tag in {"b", "i", "s", "code", "pre", "blockquote", "br", "a"}, tag


@settings(max_examples=400, deadline=None)
@given(hostile_text)
def test_raw_mrkdwn_never_becomes_other_markup(text: str) -> None:
    _only_allowed_markup(mrkdwn(text, NAMES, now=datetime(2024, 1, 1, tzinfo=UTC)))


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40), action_id=st.text(max_size=40), label=st.text(max_size=40))
def test_any_button_value_round_trips_through_its_attributes(
    value: str, action_id: str, label: str
) -> None:
    button = {"type": "button", "action_id": action_id, "value": value, "text": _pt(label)}
    parsed = Parsed(render_blocks([{"type": "actions", "block_id": value, "elements": [button]}]))
    [(tag, attrs)] = [(t, a) for t, a in parsed.tags if t != "div" and t != "br"]
    assert tag == "button"
    assert attrs["data-value"] == attrs["data-block-id"] == value
    assert attrs["data-action-id"] == action_id
    assert parsed.text == emojify(label).replace("\n", "")
