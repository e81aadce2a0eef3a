"""Redaction of secrets in log lines and error reports.

Used by the log filter (saas/logs/filters.py) and Sentry's before_send (saas/sentry.py).
It errs on the side of redacting: a 13-19 digit number that passes the Luhn check is
treated as a card number even when it is an id.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[REDACTED]"

# Names of fields, headers and variables whose value is a secret.
_SECRET_NAME = re.compile(
    r"password|passwd|passphrase|^pwd$|secret|(^|[_-])token(s?$|[_-])|api[_-]?key|apikey|"
    r"private[_-]?key|authorization|^auth$|cookie|sessionid|^session$|csrf|^cvc$|^cvv$|"
    r"card[_-]?number|^dsn$|^otp$",
    re.IGNORECASE,
)

# key=value, key: value, "key": "value" in free text.
_KEY_VALUE = re.compile(
    r"""(?P<key>\b[\w-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|authorization|"""
    r"""cookie|sessionid|csrftoken|private[_-]?key)\d*(?:[_-][\w-]*)?)"""
    r"""(?P<sep>["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|\[[^\]]*\]|[^\s&,;"'}\]]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
# Stripe secret and restricted keys, webhook signing secrets.
_STRIPE = re.compile(r"\b(?:(?:sk|rk)_(?:live|test)|whsec)_[A-Za-z0-9]{8,}")
# Path segments that are credentials: invitation tokens, password-reset and e-mail
# confirmation keys (allauth), login handoff.
_PATH_SECRET = re.compile(
    r"(?P<prefix>/(?:invite|password/reset/key|confirm-email|handoff)/)[^/\s?#\"']+"
)
# Not part of a longer word or number (a decimal, a version, a hex id).
_CARD_CANDIDATE = re.compile(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?!\w|\.\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _key_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group('key')}{match.group('sep')}{quote}{REDACTED}{quote}"


def scrub_path(path: str) -> str:
    return _PATH_SECRET.sub(lambda m: m.group("prefix") + REDACTED, path)


def scrub_text(text: str) -> str:
    """`text` with every secret we can recognise replaced by [REDACTED]."""
    if not text:
        return text
    text = _BEARER.sub(lambda m: f"{m.group('scheme')} {REDACTED}", text)
    text = _STRIPE.sub(REDACTED, text)
    text = _KEY_VALUE.sub(_key_value, text)
    text = _PATH_SECRET.sub(lambda m: m.group("prefix") + REDACTED, text)
    return _CARD_CANDIDATE.sub(_card, text)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def scrub_value(value: Any, depth: int = 0) -> Any:
    """A copy of `value` (strings, mappings, sequences) with secrets redacted; values under
    a secret-looking key are replaced whole."""
    if depth > 20:
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and is_secret_name(key) and item not in (None, "")
            else scrub_value(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(item, depth + 1) for item in value)
    return value
