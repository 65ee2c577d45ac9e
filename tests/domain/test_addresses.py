"""Address parsing as people type it into Slack or the invite form."""

from __future__ import annotations

import time

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invite_bot.domain.addresses import (
    AddressParse,
    is_allowed,
    normalize_address,
    parse_addresses,
    parse_allowed_domains,
    shown,
)


def parse(text: str, max_count: int = 50, allowed: frozenset[str] = frozenset()) -> AddressParse:
    return parse_addresses(text, max_count=max_count, allowed_domains=allowed)


@pytest.mark.parametrize(
    "text",
    [
        "ana@lab.org bob@lab.org",
        "ana@lab.org,bob@lab.org",
        "ana@lab.org; bob@lab.org",
        "ana@lab.org\nbob@lab.org\n",
        "ana@lab.org\tbob@lab.org",
        "ana@lab.org\u00a0bob@lab.org",
        "ana@lab.org\u200bbob@lab.org",
        " , ana@lab.org ;;\n, bob@lab.org , ",
    ],
)
def test_spaces_commas_semicolons_and_newlines_separate_addresses(text: str) -> None:
    assert parse(text).addresses == ("ana@lab.org", "bob@lab.org")


def test_addresses_are_lower_cased_and_de_duplicated_in_first_seen_order() -> None:
    result = parse("Bob@Lab.ORG ana@lab.org bob@lab.org ANA@LAB.ORG")
    assert result.addresses == ("bob@lab.org", "ana@lab.org")
    assert result.ok


def test_mailto_form_is_accepted() -> None:
    result = parse("<mailto:Ana@Lab.org|Ana@Lab.org>, <mailto:bob@lab.org>")
    assert result.addresses == ("ana@lab.org", "bob@lab.org")
    assert result.ok


def test_a_link_whose_label_names_another_address_is_refused_as_misleading() -> None:
    """Slack shows the label: `<mailto:evil@x.org|ana@lab.org>` reads as ana@lab.org."""
    result = parse("<mailto:evil@x.org|ana@lab.org> bob@lab.org")
    assert not result.ok
    assert result.misleading == ("evil@x.org",)
    assert result.addresses == ("bob@lab.org",)
    assert parse("<mailto:Ana@Lab.org|ana@lab.org>").addresses == ("ana@lab.org",)


def test_a_domain_that_mixes_alphabets_is_refused_and_shown_in_ascii() -> None:
    cyrillic_a = "\u0430"
    result = parse(f"bob@l{cyrillic_a}b.org")
    assert not result.ok
    assert result.misleading == (f"bob@l{cyrillic_a}b.org (xn--lb-7kc.org)",)


def test_an_internationalised_domain_is_shown_with_its_ascii_form() -> None:
    assert shown("bob@bücher.example") == "bob@bücher.example (xn--bcher-kva.example)"
    assert shown("bob@lab.org") == "bob@lab.org"
    assert parse("bob@bücher.example").ok  # one alphabet: not a look-alike


def test_mailto_and_plain_forms_of_one_address_count_once() -> None:
    result = parse("<mailto:ana@lab.org|ana@lab.org> ana@lab.org", max_count=1)
    assert result.addresses == ("ana@lab.org",)
    assert not result.too_many


@pytest.mark.parametrize(
    "markup",
    [
        "<@U123>",
        "<@U123|ana>",
        "<!channel>",
        "<!subteam^S1|team>",
        "<#C1|general>",
        "<https://lab.org>",
        "<https://lab.org|ana@lab.org>",
    ],
)
def test_slack_mentions_and_links_are_not_addresses(markup: str) -> None:
    result = parse(f"ana@lab.org {markup}")
    assert result.invalid == (markup,)
    assert not result.ok


def test_link_label_with_spaces_is_reported_as_one_bad_entry() -> None:
    assert parse("<https://lab.org|our lab site>").invalid == ("<https://lab.org|our lab site>",)


def test_pasted_display_names_are_ignored() -> None:
    result = parse("Ana Smith <ana@lab.org>; Bob <<mailto:bob@lab.org|bob@lab.org>>, cy@lab.org")
    assert result.addresses == ("ana@lab.org", "bob@lab.org", "cy@lab.org")
    assert result.ok


def test_words_without_an_angle_address_are_still_reported() -> None:
    result = parse("ana@lab.org bob, Cy <cy@lab.org>")
    assert result.invalid == ("bob",)
    assert result.addresses == ("ana@lab.org", "cy@lab.org")


def test_one_bad_address_rejects_the_whole_batch() -> None:
    result = parse("ana@lab.org bob@ cy@lab.org")
    assert not result.ok
    assert result.invalid == ("bob@",)
    assert result.addresses == ("ana@lab.org", "cy@lab.org")


def test_every_bad_address_is_listed_as_typed_once() -> None:
    result = parse("Not-An-Address ana@lab.org bob@@lab.org Not-An-Address a@b")
    assert result.invalid == ("Not-An-Address", "bob@@lab.org", "a@b")


@pytest.mark.parametrize(
    "bad",
    [
        "ana",
        "@lab.org",
        "ana@",
        "ana@lab",
        "ana@lab..org",
        "ana..b@lab.org",
        "ana@-lab.org",
        '"ana"@lab.org',
        "ana@[10.0.0.1]",
        "ana@lab.org.",
        "ana@localhost",
        "mailto:ana@lab.org",
        "<ana@lab.org",
        "ana@lab.org>",
    ],
)
def test_malformed_addresses_are_invalid(bad: str) -> None:
    assert parse(bad).invalid == (bad,)


def test_address_over_254_characters_is_invalid() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 60] * 3) + ".org"  # 187 characters
    long_address = f"{local}@{domain}"
    assert len(long_address) <= 254
    assert parse(long_address).ok
    too_long = f"{local}@{'c' * 10}.{domain}"
    assert len(too_long) > 254
    assert parse(too_long).invalid == (too_long,)


def test_local_part_over_64_characters_is_invalid() -> None:
    assert not parse("a" * 65 + "@lab.org").ok


def test_internationalised_domain_is_accepted_in_unicode_form() -> None:
    assert parse("Bob@BÜCHER.example").addresses == ("bob@bücher.example",)
    assert parse("bob@xn--bcher-kva.example").addresses == ("bob@bücher.example",)


def test_non_ascii_before_the_at_sign_is_invalid_because_gencove_refuses_it() -> None:
    assert parse("josé@lab.org").invalid == ("josé@lab.org",)


def test_more_than_max_count_distinct_addresses_is_too_many() -> None:
    text = " ".join(f"user{i}@lab.org" for i in range(51))
    assert parse(text, max_count=50).too_many
    assert not parse(text, max_count=51).too_many


def test_exactly_max_count_addresses_is_fine() -> None:
    text = " ".join(f"user{i}@lab.org" for i in range(50))
    assert parse(text, max_count=50).ok


def test_bad_entries_count_towards_too_many() -> None:
    result = parse("ana@lab.org nope", max_count=1)
    assert result.too_many
    assert result.invalid == ("nope",)


def test_empty_text_is_not_ok() -> None:
    result = parse(" \n , ")
    assert result == AddressParse(addresses=(), invalid=(), disallowed=(), too_many=False)
    assert not result.ok


def test_max_count_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="max_count"):
        parse_addresses("ana@lab.org", max_count=0)


def test_other_domains_are_disallowed_when_domains_are_configured() -> None:
    result = parse("ana@lab.org bob@gmail.com", allowed=frozenset({"lab.org"}))
    assert result.addresses == ("ana@lab.org",)
    assert result.disallowed == ("bob@gmail.com",)
    assert not result.ok


def test_allowed_domains_match_exactly_and_case_insensitively() -> None:
    allowed = frozenset({"LAB.org"})
    assert parse("ana@Lab.ORG", allowed=allowed).ok
    assert parse("ana@eu.lab.org", allowed=allowed).disallowed == ("ana@eu.lab.org",)
    assert parse("ana@notlab.org", allowed=allowed).disallowed == ("ana@notlab.org",)


def test_no_configured_domains_allow_every_domain() -> None:
    assert is_allowed("ana@anywhere.example", frozenset())


def test_allowed_domains_setting_is_parsed_and_normalised() -> None:
    assert parse_allowed_domains(" lab.org, @Uni.EDU;BÜCHER.example ") == frozenset(
        {"lab.org", "uni.edu", "bücher.example"}
    )
    assert parse_allowed_domains("") == frozenset()


def test_allowed_domains_setting_names_every_bad_entry() -> None:
    with pytest.raises(ValueError, match="localhost") as error:
        parse_allowed_domains("lab.org, localhost, -x.org")
    assert "'-x.org'" in str(error.value)
    assert "'lab.org'" not in str(error.value)


def test_normalize_address_reads_one_address_in_any_accepted_form() -> None:
    assert normalize_address(" <mailto:Ana@Lab.org|Ana@Lab.org> ") == "ana@lab.org"
    assert normalize_address("<Ana@Lab.org>") == "ana@lab.org"
    assert normalize_address("<@U123>") is None
    assert normalize_address("") is None


def test_ten_thousand_characters_parse_quickly() -> None:
    text = ", ".join(f"person{i}@lab{i % 7}.org" for i in range(600))[:10_000]
    started = time.perf_counter()
    result = parse(text, max_count=50)
    assert time.perf_counter() - started < 1.0
    assert result.too_many


@pytest.mark.parametrize("text", ["<" * 10_000, "<a" * 5_000, "a" * 10_000, "<" + " a" * 4_999])
def test_pathological_inputs_parse_quickly(text: str) -> None:
    started = time.perf_counter()
    parse(text)
    assert time.perf_counter() - started < 1.0


# -- properties ------------------------------------------------------------------------

any_text = st.text(max_size=300) | st.text(max_size=10_000).map(lambda s: s * 3)
address_like = st.lists(
    st.one_of(
        st.emails(),
        st.emails().map(lambda e: f"<mailto:{e}|{e}>"),
        st.emails().map(str.upper),
        st.text(st.characters(codec="ascii"), max_size=20),
    ),
    max_size=30,
)
separators = st.sampled_from([" ", ",", ";", "\n", ", ", "\t", "\u00a0"])


@given(any_text)
@settings(max_examples=150, deadline=None)
def test_parse_never_raises_on_any_text(text: str) -> None:
    result = parse(text[:10_000])
    assert isinstance(result, AddressParse)


def typed_forms(address: str) -> set[str]:
    """The address as shown, and with its domain in the `xn--` form it may have been typed in."""
    local, _, domain = address.rpartition("@")
    return {address, f"{local}@{idna.encode(domain, uts46=True).decode()}"}


@given(address_like, separators)
@settings(max_examples=200, deadline=None)
def test_addresses_are_lower_case_unique_and_typed_by_the_user(
    entries: list[str], separator: str
) -> None:
    text = separator.join(entries)
    result = parse(text, max_count=1_000)
    assert len(set(result.addresses)) == len(result.addresses)
    for address in result.addresses:
        assert address == address.lower()
        assert any(form in text.lower() for form in typed_forms(address))
    for token in result.invalid:
        assert token in text


@given(st.text(max_size=500))
@settings(max_examples=200, deadline=None)
def test_parsing_the_normalised_addresses_again_changes_nothing(text: str) -> None:
    first = parse(text, max_count=10_000)
    again = parse(" ".join(first.addresses), max_count=10_000)
    assert again.addresses == first.addresses
    assert again.invalid == ()


@given(address_like, st.integers(min_value=1, max_value=40))
@settings(max_examples=100, deadline=None)
def test_too_many_means_more_distinct_entries_than_allowed(entries: list[str], limit: int) -> None:
    result = parse(" ".join(entries), max_count=limit)
    assert result.too_many == (result.count > limit)
    if result.ok:
        assert 1 <= len(result.addresses) <= limit
