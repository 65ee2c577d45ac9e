"""Slack's emoji codes (`:warning:`) and their glyphs, as Slack's clients show them.

`EMOJI` holds every code the bot sends (tests/playground/test_slack_rendering.py reads the
bot's code for them) and the common ones a person types; a code that is not here stays as
its text, as Slack shows a code it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["EMOJI", "emojify"]

_CODE = re.compile(r":([a-z0-9_+'-]+):")

EMOJI: Mapping[str, str] = {
    "white_check_mark": "✅", "heavy_check_mark": "✔️", "ballot_box_with_check": "☑️",
    "warning": "⚠️", "envelope": "✉️", "email": "📧", "e-mail": "📧",
    "incoming_envelope": "📨", "envelope_with_arrow": "📩", "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳", "no_entry_sign": "🚫", "no_entry": "⛔", "x": "❌",
    "heavy_multiplication_x": "✖️", "negative_squared_cross_mark": "❎", "tada": "🎉",
    "lock": "🔒", "unlock": "🔓", "closed_lock_with_key": "🔐", "key": "🔑", "wave": "👋",
    "information_source": "ℹ️", "link": "🔗", "bust_in_silhouette": "👤",
    "busts_in_silhouette": "👥", "mag": "🔍", "mag_right": "🔎", "bell": "🔔",
    "no_bell": "🔕", "inbox_tray": "📥", "outbox_tray": "📤", "clipboard": "📋",
    "hand": "✋", "raised_hand": "✋", "grey_question": "❔", "question": "❓",
    "grey_exclamation": "❕", "exclamation": "❗", "heavy_exclamation_mark": "❗",
    "+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "ok_hand": "👌",
    "clap": "👏", "pray": "🙏", "muscle": "💪", "point_right": "👉", "point_left": "👈",
    "point_up": "☝️", "point_down": "👇", "eyes": "👀", "smile": "😄", "smiley": "😃",
    "grinning": "😀", "slightly_smiling_face": "🙂", "simple_smile": "🙂", "wink": "😉",
    "thinking_face": "🤔", "sweat_smile": "😅", "joy": "😂", "cry": "😢", "sob": "😭",
    "sunglasses": "😎", "robot_face": "🤖", "heart": "❤️", "fire": "🔥", "rocket": "🚀",
    "sparkles": "✨", "star": "⭐", "zap": "⚡", "boom": "💥", "100": "💯", "bulb": "💡",
    "rotating_light": "🚨", "construction": "🚧", "checkered_flag": "🏁", "trophy": "🏆",
    "gift": "🎁", "confetti_ball": "🎊", "dna": "🧬", "microscope": "🔬", "test_tube": "🧪",
    "shield": "🛡️", "gear": "⚙️", "wrench": "🔧", "hammer_and_wrench": "🛠️",
    "pencil": "📝", "memo": "📝", "pencil2": "✏️", "calendar": "📆", "date": "📅",
    "spiral_calendar_pad": "🗓️", "alarm_clock": "⏰", "stopwatch": "⏱️",
    "timer_clock": "⏲️", "speech_balloon": "💬", "mega": "📣", "loudspeaker": "📢",
    "pushpin": "📌", "paperclip": "📎", "package": "📦", "recycle": "♻️",
    "wastebasket": "🗑️", "page_facing_up": "📄", "file_folder": "📁",
    "open_file_folder": "📂", "bar_chart": "📊", "books": "📚", "office": "🏢",
    "house": "🏠", "computer": "💻", "globe_with_meridians": "🌐", "zzz": "💤",
    "coffee": "☕", "arrow_right": "➡️", "arrow_left": "⬅️", "arrow_up": "⬆️",
    "arrow_down": "⬇️", "arrows_counterclockwise": "🔄", "repeat": "🔁",
    "heavy_plus_sign": "➕", "heavy_minus_sign": "➖", "red_circle": "🔴",
    "large_green_circle": "🟢", "large_yellow_circle": "🟡", "large_blue_circle": "🔵",
    "white_circle": "⚪", "black_circle": "⚫", "new": "🆕", "ok": "🆗", "sos": "🆘",
    "stop_sign": "🛑", "skull": "💀", "ghost": "👻", "see_no_evil": "🙈", "handshake": "🤝",
    "raising_hand": "🙋", "person_raising_hand": "🙋", "leftwards_arrow_with_hook": "↩️",
    "arrow_right_hook": "↪️", "arrows_clockwise": "🔃", "arrow_heading_up": "⤴️",
    "arrow_heading_down": "⤵️", "bangbang": "‼️", "interrobang": "⁉️",
    "skin-tone-2": "🏻", "skin-tone-3": "🏼", "skin-tone-4": "🏽", "skin-tone-5": "🏾",
    "skin-tone-6": "🏿",
}  # fmt: skip


def emojify(text: str) -> str:
    """`:warning:` to its glyph; unknown codes stay as they are."""
    out: list[str] = []
    pos = 0
    while (m := _CODE.search(text, pos)) is not None:
        glyph = EMOJI.get(m[1])
        if glyph is None:  # the closing colon may open the next code: "a:b:warning:"
            out.append(text[pos : m.end() - 1])
            pos = m.end() - 1
        else:
            out.append(text[pos : m.start()] + glyph)
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)
