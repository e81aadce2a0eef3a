"""SQL text for the schema renderer: quoting, and the few fixes catalog output needs."""

from __future__ import annotations

import re


class TemplateError(Exception):
    """The template schema is missing, behind the code, or holds something we cannot copy."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ident(name: str) -> str:
    """How PostgreSQL prints an identifier: bare when it can be, quoted otherwise."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return quote(name)


def unqualify(definition: str, schema: str, before: str) -> str:
    """Drop the one `schema.` qualifier that follows the regex `before` in `definition`."""
    pattern = re.compile("(" + before + ")" + re.escape(ident(schema)) + r"\.")
    result, count = pattern.subn(r"\1", definition, count=1)
    if count != 1:
        raise TemplateError(f"Unexpected definition: {definition}")
    return result


def options_sql(options: list[str] | None, prefix: str = "") -> str:
    """reloptions ('fillfactor=70') as the body of a WITH (...) / SET (...) clause."""
    parts = []
    for option in options or []:
        name, _sep, value = option.partition("=")
        parts.append(f"{prefix}{name}={setting_value(value)}")
    return ", ".join(parts)


def setting_value(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_.\-]+", value):
        return value
    return "'" + value.replace("'", "''") + "'"


def string_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
