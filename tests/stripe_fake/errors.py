"""Stripe's error JSON: `{"error": {"type", "message", "code", "param", ...}}` with its status."""

from __future__ import annotations

from typing import Any


class StripeFakeError(Exception):
    """An API error answered as Stripe answers it (raised anywhere inside a handler)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


def no_such(
    kind: str, object_id: str, *, param: str | None = "id", status: int = 404
) -> StripeFakeError:
    """A missing object: 404 for the id in the URL, 400 for an id given as a parameter."""
    return StripeFakeError(
        status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def missing_param(param: str) -> StripeFakeError:
    return StripeFakeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def invalid(
    message: str, param: str | None = None, *, code: str = "parameter_invalid"
) -> StripeFakeError:
    return StripeFakeError(400, message, code=code, param=param)


def unknown_param(param: str) -> StripeFakeError:
    return StripeFakeError(
        400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def card_declined(
    decline_code: str = "generic_decline", *, extra: dict[str, Any] | None = None
) -> StripeFakeError:
    return StripeFakeError(
        402,
        "Your card was declined.",
        type="card_error",
        code="card_declined",
        decline_code=decline_code,
        extra=extra,
    )
