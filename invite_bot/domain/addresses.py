"""Email addresses as people type them into Slack: split, unwrap, validate, de-duplicate.

Normalised form: trimmed, lower-cased, domain in Unicode (IDNA 2008, NFC) form, e.g.
``Bob@XN--BCHER-KVA.example`` becomes ``bob@bücher.example``. Internationalised
*domains* are accepted; a non-ASCII part before the ``@`` is refused because Gencove's
API (Django's email validation) refuses it too.

Misleading addresses are refused: a Slack link whose label names another address than it
goes to (``<mailto:evil@x.org|ana@lab.org>`` shows ana@lab.org and sends to evil@x.org), and
a domain label that mixes alphabets, the look-alike trick (a Cyrillic "a" in ``lab.org``).
`shown()` writes an internationalised domain with its ASCII (punycode) form beside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import idna
from email_validator import validate_email

__all__ = [
    "MAX_ADDRESS_LENGTH",
    "AddressParse",
    "domain_of",
    "is_allowed",
    "normalize_address",
    "normalize_domain",
    "parse_addresses",
    "parse_allowed_domains",
    "shown",
    "split_tokens",
    "unwrap_slack_link",
]

MAX_ADDRESS_LENGTH = 254
"""RFC 5321's limit for a whole address."""

# Zero-width characters sneak in from copy-paste; they separate like spaces do.
_SEPARATORS = r"\s,;\u200b\u2060\ufeff"
# A Slack `<…>` span stays one token even if its label has spaces in it.
_TOKEN = re.compile(rf"(?:<[^<>]*>|[^{_SEPARATORS}])+")
_MAILTO = "mailto:"
_ENTRY_BREAK = re.compile(r"[,;\n]")
# Words that can only be part of a display name, never an address.
_NAME_WORD = re.compile(r"[^@<>]+")


@dataclass(frozen=True, slots=True)
class AddressParse:
    """What `parse_addresses` found.

    `addresses` are the well-formed, allowed addresses (normalised, first-seen order);
    `invalid` are malformed tokens as typed; `misleading` are addresses that may not be what
    they look like (see module doc), as `shown()` writes them; `disallowed` are well-formed
    addresses whose domain is not allowed (never also in `addresses`); `too_many` means more
    than `max_count` distinct entries (of all kinds) were given.
    """

    addresses: tuple[str, ...]
    invalid: tuple[str, ...]
    disallowed: tuple[str, ...]
    too_many: bool
    misleading: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every entry is a usable address and there is at least one."""
        refused = self.invalid or self.misleading or self.disallowed or self.too_many
        return bool(self.addresses) and not refused

    @property
    def count(self) -> int:
        """How many distinct entries were given, good or bad."""
        return (
            len(self.addresses) + len(self.invalid) + len(self.misleading) + len(self.disallowed)
        )


def split_tokens(text: str) -> Iterator[str]:
    """Split on whitespace (incl. NBSP, newlines), commas and semicolons, keeping `<…>` whole.

    A display name before a typed angle address is dropped, as mail clients paste them:
    `Ana Smith <ana@lab.org>; bob@lab.org` gives `<ana@lab.org>`, `bob@lab.org`.
    """
    name: list[str] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if name and _ENTRY_BREAK.search(text, previous_end, match.start()):
            yield from name
            name.clear()
        previous_end = match.end()
        if _is_angle_address(token):
            name.clear()
            yield token
        elif _NAME_WORD.fullmatch(token):
            name.append(token)
        else:
            yield from name
            name.clear()
            yield token
    yield from name


def _is_angle_address(token: str) -> bool:
    """`<ana@lab.org>` or `<<mailto:…>>`: brackets the user typed, not a plain Slack link."""
    if token.startswith("<<"):
        return token.endswith(">>")
    target = unwrap_slack_link(token)
    return target is not None and "@" in target and _address_text(token) == target


def unwrap_slack_link(token: str) -> str | None:
    """Return the target of a Slack `<target|label>` or `<target>` span, else None.

    Angle brackets doubled by decoding (`<<mailto:…>>`) are unwrapped too.
    """
    if not (token.startswith("<") and token.endswith(">")):
        return None
    inner = token
    for _ in range(2):
        if len(inner) >= 2 and inner[0] == "<" and inner[-1] == ">":
            inner = inner[1:-1]
    if "<" in inner or ">" in inner:
        return None
    return inner.split("|", 1)[0]


def _address_text(token: str) -> str | None:
    """The text to validate for a token, or None when it is Slack markup, not an address."""
    if not token.startswith("<"):
        return token
    target = unwrap_slack_link(token)
    if target is None:
        return None
    if target[: len(_MAILTO)].lower() == _MAILTO:
        return target[len(_MAILTO) :]
    # `<@U1>`, `<#C1|x>`, `<!here>`, `<https://…>`: mentions and links, not addresses.
    if "|" in token or target[:1] in "@#!" or ":" in target:
        return None
    return target


def normalize_address(text: str) -> str | None:
    """Return the normalised form of one address (see module doc), or None if malformed.

    Accepts `<mailto:a@b.org|a@b.org>`, `<mailto:a@b.org>` and `<a@b.org>` too.
    """
    candidate = _address_text(text.strip())
    if candidate is None or not candidate or len(candidate) > MAX_ADDRESS_LENGTH:
        return None
    return _validated(candidate)


def _validated(candidate: str) -> str | None:
    try:
        result = validate_email(
            candidate, check_deliverability=False, allow_smtputf8=False, strict=True
        )
    except ValueError:  # EmailNotValidError and codec errors on odd Unicode
        return None
    normalized = result.normalized.lower()
    return normalized if len(normalized) <= MAX_ADDRESS_LENGTH else None


def shown(address: str) -> str:
    """An address as a person should read it: an internationalised domain with its ASCII
    form beside it, so a look-alike shows (`bob@bücher.example (xn--bcher-kva.example)`)."""
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        ascii_form = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return address
    return f"{local}@{domain} ({ascii_form})"


def _misleading(token: str, address: str) -> bool:
    """A link labelled with another address, or a domain label that mixes alphabets."""
    target = unwrap_slack_link(token.strip())
    if target is not None and "|" in token:
        label = token.strip().strip("<>").split("|", 1)[1]
        if normalize_address(label) != address:
            return True
    return any(len(_scripts(label)) > 1 for label in domain_of(address).split("."))


def _scripts(label: str) -> set[str]:
    """The alphabets of a domain label's letters (digits and hyphens belong to none)."""
    return {
        unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
        for char in label
        if char.isalpha()
    }


def domain_of(address: str) -> str:
    """The part after the last `@` of a normalised address."""
    return address.rpartition("@")[2]


@lru_cache(maxsize=256)
def normalize_domain(domain: str) -> str | None:
    """Normalise a domain the way addresses are (lower-case, Unicode form), or None if bad."""
    cleaned = domain.strip().removeprefix("@")
    if not cleaned:
        return None
    address = normalize_address(f"postmaster@{cleaned}")
    return None if address is None else domain_of(address)


def is_allowed(address: str, allowed_domains: frozenset[str]) -> bool:
    """True if no domains are configured or the address's domain is one of them exactly.

    Subdomains are not included: allowing `lab.org` does not allow `eu.lab.org`.
    """
    return not allowed_domains or domain_of(address) in _normalized_domains(allowed_domains)


@lru_cache(maxsize=16)
def _normalized_domains(domains: frozenset[str]) -> frozenset[str]:
    return frozenset(normalize_domain(d) or d.strip().lower() for d in domains)


def parse_allowed_domains(raw: str) -> frozenset[str]:
    """Parse `ALLOWED_EMAIL_DOMAINS` (comma-separated); ValueError names every bad entry."""
    entries = [entry.strip() for entry in re.split(r"[,;\s]+", raw) if entry.strip()]
    bad = [entry for entry in entries if normalize_domain(entry) is None]
    if bad:
        raise ValueError("not valid email domains: " + ", ".join(repr(b) for b in bad))
    return frozenset(d for entry in entries if (d := normalize_domain(entry)) is not None)


def parse_addresses(
    text: str, *, max_count: int, allowed_domains: frozenset[str] = frozenset()
) -> AddressParse:
    """Split, validate and de-duplicate the addresses in `text` (see module doc).

    Never raises for any `text`; `max_count` must be at least 1.
    """
    if max_count < 1:
        raise ValueError(f"max_count must be >= 1, got {max_count}")
    addresses: dict[str, None] = {}
    disallowed: dict[str, None] = {}
    invalid: dict[str, None] = {}
    misleading: dict[str, None] = {}
    for token in _distinct(split_tokens(text)):
        address = normalize_address(token)
        if address is None:
            invalid[token] = None
        elif _misleading(token, address):
            misleading[shown(address)] = None
        elif is_allowed(address, allowed_domains):
            addresses[address] = None
        else:
            disallowed[address] = None
    return AddressParse(
        addresses=tuple(addresses),
        invalid=tuple(invalid),
        disallowed=tuple(disallowed),
        too_many=len(addresses) + len(disallowed) + len(invalid) + len(misleading) > max_count,
        misleading=tuple(misleading),
    )


def _distinct(tokens: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for token in tokens:
        if token not in seen:
            seen.add(token)
            yield token
