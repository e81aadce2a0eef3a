"""The Observatory scorer (tests/saas/observatory.py) on known header sets, each worked out by
hand from the published score table."""

from __future__ import annotations

import pytest

from tests.saas.observatory import Grade, Response, Site, grade_for, observatory_grade

URL = "https://example.com/"
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self' https://*.example.com; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'; report-uri /csp-report/"
)
GOOD_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Security-Policy", STRICT_CSP),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]
GOOD_COOKIES = [
    "__Host-csrftoken=abc; HttpOnly; Path=/; SameSite=Lax; Secure",
    "__Host-sessionid=def; HttpOnly; Path=/; SameSite=Lax; Secure",
]
HTTPS_ROUTE = ["http://example.com/", "https://example.com/"]
PAGE = '<html><script src="/static/app.js" defer></script></html>'


def site(headers: list[tuple[str, str]] | None = None, **kwargs: object) -> Site:
    options: dict[str, object] = {"http_route": HTTPS_ROUTE, "set_cookies": GOOD_COOKIES}
    options.update(kwargs)
    body = str(options.pop("body", PAGE))
    response = Response(
        url=URL, status=200, headers=GOOD_HEADERS if headers is None else headers, body=body
    )
    return Site(response=response, **options)  # type: ignore[arg-type]


def without(name: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in GOOD_HEADERS if k != name] + list(extra)


def test_strict_headers_score_135_a_plus() -> None:
    grade = observatory_grade(site())
    assert grade.modifiers() == {
        "content-security-policy": 10,
        "cookies": 5,
        "cross-origin-resource-sharing": 0,
        "redirection": 0,
        "referrer-policy": 5,
        "strict-transport-security": 0,
        "subresource-integrity": 0,
        "x-content-type-options": 0,
        "x-frame-options": 5,
        "cross-origin-resource-policy": 10,
    }
    assert (grade.score, grade.grade) == (135, "A+")


def test_no_headers_at_all_is_f() -> None:
    # CSP -25, no redirect -20, HSTS -20, nosniff -5, XFO -20: 10.
    grade = observatory_grade(site([], http_route=["http://example.com/"], set_cookies=[]))
    assert grade.results["cookies"] == "cookies-not-found"
    assert (grade.score, grade.grade) == (10, "F")


def test_unsafe_inline_script_loses_the_bonuses() -> None:
    # -20 brings the uncurved score to 80 (< 90): no extra credit at all.
    csp = ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'")
    grade = observatory_grade(site(without("Content-Security-Policy", csp)))
    assert grade.results["content-security-policy"] == "csp-implemented-with-unsafe-inline"
    assert (grade.score, grade.grade) == (80, "B+")


def test_unsafe_inline_with_a_nonce_is_ignored() -> None:
    csp = ("Content-Security-Policy", "default-src 'none'; script-src 'nonce-abc' 'unsafe-inline'")
    grade = observatory_grade(site(without("Content-Security-Policy", csp)))
    assert grade.results["content-security-policy"] == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )


def test_unsafe_inline_style_only_is_zero_and_keeps_a_plus() -> None:
    csp = (
        "Content-Security-Policy",
        STRICT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
    )
    grade = observatory_grade(site(without("Content-Security-Policy", csp)))
    assert grade.results["content-security-policy"] == (
        "csp-implemented-with-unsafe-inline-in-style-src-only"
    )
    assert (grade.score, grade.grade) == (125, "A+")


@pytest.mark.parametrize(
    ("csp", "result"),
    [
        ("default-src 'none'; img-src 'self'; img-src data:", "csp-header-invalid"),
        ("default-src 'none'; script-src 'self' 'strict-dynamic'", "csp-header-invalid"),
        ("default-src 'self'", "csp-implemented-with-no-unsafe"),
        ("default-src 'none'; script-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
        ("default-src 'none'; script-src https:", "csp-implemented-with-unsafe-inline"),
        (
            "default-src 'none'; script-src 'self'; object-src *",
            "csp-implemented-with-unsafe-inline",
        ),
        ("script-src 'self'", "csp-implemented-with-unsafe-inline"),  # object-src falls to *
        (
            "default-src 'none'; connect-src http://api.example.com",
            "csp-implemented-with-insecure-scheme",
        ),
        (
            "default-src 'none'; img-src http://cdn.example.com",
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
        ),
    ],
)
def test_csp_results(csp: str, result: str) -> None:
    grade = observatory_grade(
        site(without("Content-Security-Policy", ("Content-Security-Policy", csp)))
    )
    assert grade.results["content-security-policy"] == result


@pytest.mark.parametrize(
    ("cookies", "result", "modifier"),
    [
        (["sessionid=x; Secure; SameSite=Lax"], "cookies-session-without-httponly-flag", -30),
        (
            ["sessionid=x; HttpOnly; SameSite=Lax"],
            "cookies-session-without-secure-flag-but-protected-by-hsts",
            -10,
        ),
        (["csrftoken=x; Secure"], "cookies-anticsrf-without-samesite-flag", -20),
        (["lang=x; Secure; SameSite=Strange"], "cookies-samesite-flag-invalid", -20),
        (["lang=x; Secure; HttpOnly"], "cookies-secure-with-httponly-sessions", 0),
        (["lang=x; SameSite=Lax"], "cookies-without-secure-flag-but-protected-by-hsts", -5),
    ],
)
def test_cookies(cookies: list[str], result: str, modifier: int) -> None:
    grade = observatory_grade(site(set_cookies=cookies))
    assert grade.results["cookies"] == result
    assert grade.modifiers()["cookies"] == modifier


def test_cookie_without_secure_and_without_hsts() -> None:
    headers = without("Strict-Transport-Security")
    grade = observatory_grade(site(headers, set_cookies=["sessionid=x; HttpOnly; SameSite=Lax"]))
    assert grade.results["cookies"] == "cookies-session-without-secure-flag"
    assert grade.results["strict-transport-security"] == "hsts-not-implemented"


def test_cors_reflecting_the_origin_with_credentials_is_minus_50() -> None:
    origin = "https://http-observatory.security.mozilla.org"
    cors = Response(
        url=URL,
        status=200,
        headers=[
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ],
    )
    grade = observatory_grade(site(cors_response=cors))
    assert grade.results["cross-origin-resource-sharing"] == (
        "cross-origin-resource-sharing-implemented-with-universal-access"
    )
    assert (grade.score, grade.grade) == (50, "C")  # 100 - 50 < 90: no extra credit


@pytest.mark.parametrize(
    ("route", "result"),
    [
        (None, "redirection-not-needed-no-http"),
        (["http://example.com/"], "redirection-missing"),
        (["http://example.com/", "https://example.com/"], "redirection-to-https"),
        (["http://example.com/", "https://www.example.com/"], "redirection-off-host-from-http"),
        (
            ["http://example.com/", "http://www.example.com/", "https://www.example.com/"],
            "redirection-not-to-https-on-initial-redirection",
        ),
        (["http://example.com/", "http://www.example.com/"], "redirection-not-to-https"),
    ],
)
def test_redirection(route: list[str] | None, result: str) -> None:
    assert observatory_grade(site(http_route=route)).results["redirection"] == result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (
            "max-age=31536000; includeSubDomains; preload",
            "hsts-implemented-max-age-at-least-six-months",
        ),
        ("max-age=86400", "hsts-implemented-max-age-less-than-six-months"),
        ("includeSubDomains", "hsts-header-invalid"),
        ("max-age=31536000, max-age=31536000", "hsts-header-invalid"),
    ],
)
def test_hsts(value: str, result: str) -> None:
    headers = without("Strict-Transport-Security", ("Strict-Transport-Security", value))
    assert observatory_grade(site(headers)).results["strict-transport-security"] == result


@pytest.mark.parametrize(
    ("body", "result"),
    [
        ("<p>no script</p>", "sri-not-implemented-but-no-scripts-loaded"),
        (PAGE, "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"),
        (
            '<script src="https://static.example.com/a.js"></script>',
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            '<script src="/a.js" integrity="sha384-x"></script>',
            "sri-implemented-and-all-scripts-loaded-securely",
        ),
        (
            '<script src="https://cdn.other.net/a.js"></script>',
            "sri-not-implemented-but-external-scripts-loaded-securely",
        ),
        (
            '<script src="https://cdn.other.net/a.js" integrity="sha384-x"></script>',
            "sri-implemented-and-external-scripts-loaded-securely",
        ),
        (
            '<script src="http://cdn.other.net/a.js"></script>',
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
        ),
        (
            '<script src="//cdn.other.net/a.js" integrity="sha384-x"></script>',
            "sri-implemented-but-external-scripts-not-loaded-securely",
        ),
    ],
)
def test_subresource_integrity(body: str, result: str) -> None:
    assert observatory_grade(site(body=body)).results["subresource-integrity"] == result


def test_sri_is_not_applicable_to_json() -> None:
    headers = without("Content-Type", ("Content-Type", "application/json"))
    grade = observatory_grade(site(headers, body='{"<script src=//x>": 1}'))
    assert grade.results["subresource-integrity"] == "sri-not-implemented-response-not-html"


def test_xfo_via_csp_frame_ancestors_even_without_the_header() -> None:
    grade = observatory_grade(site(without("X-Frame-Options")))
    assert grade.results["x-frame-options"] == "x-frame-options-implemented-via-csp"


def test_xfo_and_nosniff_without_csp() -> None:
    headers = without("Content-Security-Policy", ("X-Frame-Options", "allow-all"))
    headers = [(k, "sniff" if k == "X-Content-Type-Options" else v) for k, v in headers]
    grade: Grade = observatory_grade(site(headers))
    assert grade.results["x-frame-options"] == "x-frame-options-sameorigin-or-deny"  # first wins
    assert grade.results["x-content-type-options"] == "x-content-type-options-header-invalid"


@pytest.mark.parametrize(
    ("value", "result"),
    [
        ("no-referrer, unsafe-url", "referrer-policy-unsafe"),  # the last valid one counts
        ("unsafe-url, strict-origin", "referrer-policy-private"),
        ("nonsense", "referrer-policy-header-invalid"),
    ],
)
def test_referrer_policy(value: str, result: str) -> None:
    headers = without("Referrer-Policy", ("Referrer-Policy", value))
    assert observatory_grade(site(headers)).results["referrer-policy"] == result


@pytest.mark.parametrize(
    ("value", "modifier"),
    [("same-origin", 10), ("same-site", 10), ("cross-origin", 0), ("bogus", -5)],
)
def test_corp(value: str, modifier: int) -> None:
    headers = without("Cross-Origin-Resource-Policy", ("Cross-Origin-Resource-Policy", value))
    assert observatory_grade(site(headers)).modifiers()["cross-origin-resource-policy"] == modifier


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (135, "A+"),
        (100, "A+"),
        (99, "A"),
        (90, "A"),
        (89, "A-"),
        (84, "B+"),
        (64, "C+"),
        (-20, "F"),
    ],
)
def test_grade_chart(score: int, grade: str) -> None:
    assert grade_for(score) == grade
