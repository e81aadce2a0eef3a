"""Stripe's form encoding: `items[0][price]=p&metadata[k]=v&expand[]=x` into nested values.

Indexed keys (`items[0]`) and `[]` both make lists; `metadata[...]` always stays a dict. Every
leaf is a string, as on the wire; the helpers below coerce one parameter at a time and raise
Stripe's 400 errors (`parameter_invalid_integer`, ...) naming the parameter.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from tests.stripe_fake.errors import StripeFakeError, invalid, missing_param, unknown_param

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _split(key: str) -> list[str]:
    head, sep, rest = key.partition("[")
    if not head:
        raise invalid(f"Invalid parameter name: {key}", key)
    if not sep:
        return [head]
    segments = _BRACKETS.findall("[" + rest)
    if "".join(f"[{s}]" for s in segments) != "[" + rest:
        raise invalid(f"Invalid parameter name: {key}", key)
    return [head, *segments]


def _assign(node: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        node[head] = value
        return
    if rest[0] == "":  # `a[]`: append (Rack semantics for `a[][b]`)
        items = node.setdefault(head, [])
        if not isinstance(items, list):
            raise invalid(f"Invalid array: {key}", head)
        if len(rest) == 1:
            items.append(value)
            return
        if not items or not isinstance(items[-1], dict) or rest[1] in items[-1]:
            items.append({})
        _assign(items[-1], rest[1:], value, key)
        return
    child = node.setdefault(head, {})
    if not isinstance(child, dict):
        raise invalid(f"Invalid hash: {key}", head)
    _assign(child, rest, value, key)


def _listify(value: Any, key: str = "") -> Any:
    if isinstance(value, list):
        return [_listify(v) for v in value]
    if not isinstance(value, dict):
        return value
    if key != "metadata" and value and all(k.isdigit() for k in value):
        return [_listify(value[k]) for k in sorted(value, key=int)]
    return {k: _listify(v, k) for k, v in value.items()}


def parse(encoded: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        _assign(root, _split(key), value, key)
    result = _listify(root)
    assert isinstance(result, dict)
    return result


# --- coercion ---------------------------------------------------------------------------


def as_int(value: Any, param: str, *, minimum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeFakeError(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from None
    if minimum is not None and number < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param)
    return number


def as_bool(value: Any, param: str) -> bool:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise invalid(f"Invalid boolean: {value}", param)


def as_choice(value: Any, param: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise invalid(
            f"Invalid {param}: must be one of {', '.join(choices)}", param, code="parameter_invalid"
        )
    return str(value)


def as_list(value: Any, param: str) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return value
    raise invalid(f"Invalid array: {param}", param)


def as_dict(value: Any, param: str) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    raise invalid(f"Invalid object: {param}", param)


def required(params: dict[str, Any], name: str, *, param: str | None = None) -> Any:
    value = params.get(name)
    if value in (None, "", [], {}):
        raise missing_param(param or name)
    return value


def check_known(params: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise unknown_param(name)


def apply_metadata(obj: dict[str, Any], value: Any, param: str = "metadata") -> None:
    """Stripe's metadata rules: `metadata=` clears all, `metadata[k]=` removes one key."""
    if value is None:
        return
    if value == "":
        obj["metadata"] = {}
        return
    if not isinstance(value, dict):
        raise invalid("Invalid object", param)
    metadata = dict(obj.get("metadata") or {})
    for key, item in value.items():
        if len(key) > 40:
            raise invalid("Metadata keys can be at most 40 characters long.", f"{param}[{key}]")
        if not isinstance(item, str):
            raise invalid("Invalid metadata value", f"{param}[{key}]")
        if len(item) > 500:
            raise invalid("Metadata values can be at most 500 characters long.", f"{param}[{key}]")
        if item == "":
            metadata.pop(key, None)
        else:
            metadata[key] = item
    if len(metadata) > 50:
        raise invalid("You can have at most 50 metadata keys.", param)
    obj["metadata"] = metadata
