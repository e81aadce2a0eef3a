"""The Mozilla HTTP Observatory's score, computed from responses we fetched ourselves.

A port of the published scoring (https://github.com/mdn/mdn-http-observatory, the successor of
mozilla/http-observatory: src/analyzer/tests/*.js for the rules, src/grader/charts.js for the
modifiers, src/scanner/index.js for the sum): ten tests, each giving one result with a score
modifier; the score starts at 100; bonuses count only when the score with the penalties alone
is at least 90; 100 or more is A+.

Not ported: the HSTS preload list (pass `hsts_preloaded`), multiple CSP policies (refused),
CSP delivered by a <meta> tag, and tldts' public-suffix list (the registrable domain of a host
is taken as its last two labels, enough for SRI's "same site" question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from tests.saas.observatory_scores import MODIFIERS

MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
GRADES = {100: "A+", 95: "A", 90: "A", 85: "A-", 80: "B+", 75: "B", 70: "B", 65: "B-"}
GRADES |= {60: "C+", 55: "C", 50: "C", 45: "C-", 40: "D+", 35: "D", 30: "D", 25: "D-"}
GRADES |= {20: "F", 15: "F", 10: "F", 5: "F", 0: "F"}
SIX_MONTHS = 15_552_000
HTML_TYPES = {"text/html", "application/xhtml+xml"}

BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
PASSIVE = {"img-src", "media-src"}
NONCE_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: list[tuple[str, str]]  # in order, repeated names kept (Set-Cookie)
    body: str = ""

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None


@dataclass(frozen=True)
class Site:
    """What the Observatory retrieves for a host: `response` is the HTTPS page ("auto"),
    `http_route` the URLs from http://host/ through each redirect (None: no HTTP at all),
    `set_cookies` every Set-Cookie seen (its cookie jar), `cors_response` the page fetched
    again with `Origin: cors_origin`."""

    response: Response
    http_route: list[str] | None = None
    set_cookies: list[str] = field(default_factory=list)
    cors_origin: str = "https://http-observatory.security.mozilla.org"
    cors_response: Response | None = None
    hsts_preloaded: bool = False


@dataclass(frozen=True)
class Grade:
    score: int
    grade: str
    results: dict[str, str]  # test name -> result

    def modifiers(self) -> dict[str, int]:
        return {test: MODIFIERS[result] for test, result in self.results.items()}


class CspInvalid(ValueError):
    pass


def parse_csp(header: str) -> dict[str, set[str]]:
    """One policy: directive -> sources (lower case); an empty source list is 'none'."""
    policy = header.replace("\r", "").replace("\n", "").strip()
    if "," in policy:
        raise NotImplementedError("several CSP policies")
    if len(policy) < len("img-src") - 1:
        raise CspInvalid(policy)
    directives: dict[str, set[str]] = {}
    for entry in policy.split(";"):
        name, *sources = entry.strip().split()
        if not name:
            continue
        name = name.lower()
        if name in directives:
            if name in ("report-uri", "report-to"):
                continue
            raise CspInvalid(f"duplicate {name}")
        values = {s.lower() for s in sources}
        directives[name] = values or ({"'none'"} if name.endswith("-src") else set())
    return directives


def csp_test(site: Site) -> tuple[str, dict[str, set[str]] | None]:
    headers = site.response.values("Content-Security-Policy")
    if not headers:
        return "csp-not-implemented", None
    try:
        csp = parse_csp(", ".join(headers))
    except CspInvalid:
        return "csp-header-invalid", None
    https = site.response.url.startswith("https:")
    default = csp.get("default-src")

    def sources(name: str) -> set[str]:
        return set(csp.get(name) or default or {"*"})

    script_src, object_src, style_src = (
        sources("script-src"),
        sources("object-src"),
        sources("style-src"),
    )
    for source_list in (script_src, style_src):
        if any(s.startswith(NONCE_HASH) for s in source_list):
            source_list.discard("'unsafe-inline'")
    result: str | None = None
    if "'strict-dynamic'" in script_src:
        if any(s.startswith(NONCE_HASH) for s in script_src):
            script_src = {
                s
                for s in script_src
                if not (any(s.startswith(b) for b in BROAD) or s in ("'self'", "'unsafe-inline'"))
            }
        else:
            result = "csp-header-invalid"
    active = [s for name, v in csp.items() if name not in PASSIVE | {"script-src"} for s in v]
    active += list(script_src)
    passive = [s for name in PASSIVE for s in (csp.get(name) or default or set())]

    def insecure(values: list[str]) -> bool:
        return https and any(s.startswith(("http:", "ftp:")) for s in values)

    checks = [
        (
            bool(script_src & (BROAD | UNSAFE_INLINE) or object_src & BROAD),
            "csp-implemented-with-unsafe-inline",
        ),
        (insecure(active), "csp-implemented-with-insecure-scheme"),
        ("'unsafe-eval'" in script_src | style_src, "csp-implemented-with-unsafe-eval"),
        (insecure(passive), "csp-implemented-with-insecure-scheme-in-passive-content-only"),
        (
            bool(style_src & (BROAD | UNSAFE_INLINE)),
            "csp-implemented-with-unsafe-inline-in-style-src-only",
        ),
        (default == {"'none'"}, "csp-implemented-with-no-unsafe-default-src-none"),
        (True, "csp-implemented-with-no-unsafe"),
    ]
    for failed, name in checks:
        if result is None and failed:
            result = name
    return str(result), csp


@dataclass
class _Cookie:
    name: str
    secure: bool = False
    httponly: bool = False
    samesite: str | None = None


def _cookie(raw: str) -> _Cookie:
    first, *attributes = raw.split(";")
    cookie = _Cookie(name=first.split("=", 1)[0].strip())
    for attribute in attributes:
        key, _, value = attribute.strip().partition("=")
        key = key.strip().lower()
        if key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.httponly = True
        elif key == "samesite":
            cookie.samesite = value.strip() or None
    return cookie


COOKIE_BADNESS = [
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
]


def cookies_test(site: Site, hsts_pass: bool) -> str:
    result: str | None = None

    def worse(new: str) -> None:
        nonlocal result
        if result is None or COOKIE_BADNESS.index(new) > COOKIE_BADNESS.index(result):
            result = new

    for raw in site.set_cookies:
        for part in raw.split(";")[1:]:
            key, eq, value = part.strip().partition("=")
            if key.strip().lower() == "samesite" and (
                not eq or value.strip().lower() not in ("lax", "strict", "none")
            ):
                worse("cookies-samesite-flag-invalid")
    cookies = [_cookie(raw) for raw in site.set_cookies]
    if not cookies:
        return "cookies-not-found"
    missing_samesite = False
    for cookie in cookies:
        key = cookie.name.lower()
        session = "login" in key or "sess" in key
        if not cookie.secure and (cookie.samesite or "").lower() == "none":
            worse("cookies-samesite-flag-invalid")
        if not cookie.secure:
            worse(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if hsts_pass
                else "cookies-without-secure-flag"
            )
        if "csrf" in key and not cookie.samesite:
            worse("cookies-anticsrf-without-samesite-flag")
        if session and not cookie.secure:
            worse(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts_pass
                else "cookies-session-without-secure-flag"
            )
        if session and not cookie.httponly:
            worse("cookies-session-without-httponly-flag")
        missing_samesite = missing_samesite or not cookie.samesite
    if result is not None:
        return result
    if missing_samesite:
        return "cookies-secure-with-httponly-sessions"
    return "cookies-secure-with-httponly-sessions-and-samesite"


def cors_test(site: Site) -> str:
    response = site.cors_response
    acao = response.first("Access-Control-Allow-Origin") if response else None
    if response is None or not acao:
        return "cross-origin-resource-sharing-not-implemented"
    acao = acao[:256].strip().lower()
    if acao == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access"
    credentials = (response.first("Access-Control-Allow-Credentials") or "").strip().lower()
    if acao == site.cors_origin.lower() and credentials == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access"
    return "cross-origin-resource-sharing-implemented-with-restricted-access"


def redirection_test(site: Site) -> str:
    route = site.http_route
    if route is None:
        return "redirection-not-needed-no-http"
    if site.hsts_preloaded:
        return "redirection-all-redirects-preloaded"
    if len(route) == 1:
        return "redirection-missing"
    first, second, last = urlsplit(route[0]), urlsplit(route[1]), urlsplit(route[-1])
    if last.scheme != "https":
        return "redirection-not-to-https"
    if second.scheme == "http":
        return "redirection-not-to-https-on-initial-redirection"
    if first.scheme == "http" and first.hostname != second.hostname:
        return "redirection-off-host-from-http"
    return "redirection-to-https"


def referrer_policy_test(site: Site) -> str:
    good = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
    bad = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"]
    headers = site.response.values("Referrer-Policy")
    if not headers:
        return "referrer-policy-not-implemented"
    valid = [p.strip().lower() for p in ", ".join(headers).split(",")]
    valid = [p for p in valid if p in good + bad]
    policy = valid[-1] if valid else ""
    if policy in good:
        return "referrer-policy-private"
    return "referrer-policy-unsafe" if policy in bad else "referrer-policy-header-invalid"


def hsts_test(site: Site) -> str:
    if site.hsts_preloaded:
        return "hsts-preloaded"
    header = site.response.first("Strict-Transport-Security")
    if header is None:
        return "hsts-not-implemented"
    header = header[:1024]
    max_age: int | None = None
    for parameter in (p.strip().lower() for p in header.split(";")):
        if parameter.startswith("max-age="):
            match = re.match(r"\s*[+-]?\d+", parameter[8:128])
            max_age = int(match.group()) if match else None
    if "," in header or max_age is None:
        return "hsts-header-invalid"
    if max_age < SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months"
    return "hsts-implemented-max-age-at-least-six-months"


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


SRI_BADNESS = [
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
]


def _site_domain(host: str | None) -> str:
    return ".".join((host or "").split(".")[-2:])


def sri_test(site: Site) -> str:
    mime = (site.response.first("Content-Type") or "").split(";")[0].strip()
    if mime and mime not in HTML_TYPES:
        return "sri-not-implemented-response-not-html"
    parser = _Scripts()
    parser.feed(site.response.body)
    result: str | None = None

    def worse(new: str) -> None:
        nonlocal result
        if result is None or SRI_BADNESS.index(new) > SRI_BADNESS.index(result):
            result = new

    page = urlsplit(site.response.url)
    foreign = False
    for script in parser.scripts:
        src = script.get("src")
        if not src:
            continue
        integrity = script.get("integrity")
        relative_protocol = re.match(r"^//[^/]", src) is not None
        full_url = re.match(r"^https?://", src) is not None
        relative_origin = not relative_protocol and not full_url
        same_site = relative_protocol or relative_origin
        if full_url:
            same_site = _site_domain(urlsplit(src).hostname) == _site_domain(page.hostname)
        secure_origin = relative_origin or (same_site and not relative_protocol)
        secure_scheme = (full_url and src.startswith("https:")) or (
            relative_origin and page.scheme == "https"
        )
        if not secure_origin:
            foreign = True
            if integrity and not secure_scheme:
                worse("sri-implemented-but-external-scripts-not-loaded-securely")
            elif not integrity and secure_scheme:
                worse("sri-not-implemented-but-external-scripts-loaded-securely")
            elif not integrity:
                worse("sri-not-implemented-and-external-scripts-not-loaded-securely")
        elif integrity and secure_scheme and result is None:
            result = "sri-implemented-and-all-scripts-loaded-securely"
    if not parser.scripts:
        return "sri-not-implemented-but-no-scripts-loaded"
    if result is None:
        return (
            "sri-implemented-and-external-scripts-loaded-securely"
            if foreign
            else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        )
    return result


def x_content_type_options_test(site: Site) -> str:
    header = site.response.first("X-Content-Type-Options")
    if header is None:
        return "x-content-type-options-not-implemented"
    if header[:256].strip().lower() == "nosniff":
        return "x-content-type-options-nosniff"
    return "x-content-type-options-header-invalid"


def x_frame_options_test(site: Site, csp: dict[str, set[str]] | None) -> str:
    if csp is not None and "frame-ancestors" in csp:
        return "x-frame-options-implemented-via-csp"
    header = site.response.first("X-Frame-Options")
    if header is None:
        return "x-frame-options-not-implemented"
    xfo = header[:1024].strip().lower()
    if xfo in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny"
    if xfo.startswith("allow-from"):
        return "x-frame-options-allow-from-origin"
    return "x-frame-options-header-invalid"


def corp_test(site: Site) -> str:
    header = site.response.first("Cross-Origin-Resource-Policy")
    if not header:
        return "cross-origin-resource-policy-not-implemented"
    value = header[:256].strip().lower()
    return {
        "same-site": "cross-origin-resource-policy-implemented-with-same-site",
        "same-origin": "cross-origin-resource-policy-implemented-with-same-origin",
        "cross-origin": "cross-origin-resource-policy-implemented-with-cross-origin",
    }.get(value, "cross-origin-resource-policy-header-invalid")


def grade_for(score: int) -> str:
    score = max(score, 0)
    return GRADES[min(score - score % 5, 100)]


def observatory_grade(site: Site) -> Grade:
    csp_result, csp = csp_test(site)
    hsts = hsts_test(site)
    results = {
        "content-security-policy": csp_result,
        "cookies": cookies_test(
            site,
            hsts_pass=hsts in ("hsts-implemented-max-age-at-least-six-months", "hsts-preloaded"),
        ),
        "cross-origin-resource-sharing": cors_test(site),
        "redirection": redirection_test(site),
        "referrer-policy": referrer_policy_test(site),
        "strict-transport-security": hsts,
        "subresource-integrity": sri_test(site),
        "x-content-type-options": x_content_type_options_test(site),
        "x-frame-options": x_frame_options_test(site, csp),
        "cross-origin-resource-policy": corp_test(site),
    }
    modifiers = [MODIFIERS[result] for result in results.values()]
    with_extra_credit = 100 + sum(modifiers)
    uncurved = 100 + sum(m for m in modifiers if m < 0)
    score = with_extra_credit if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved
    return Grade(score=max(score, 0), grade=grade_for(score), results=results)
