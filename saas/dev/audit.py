"""Audit the locked dependencies against the advisories PyPI publishes (CI runs this).

    python -m saas.dev.audit                      # requirements/dev.txt (a superset of production)
    python -m saas.dev.audit requirements/production.txt --index https://pypi.org

For each package pinned in the lock it reads PyPI's project JSON (`<index>/pypi/<name>/json`),
whose `vulnerabilities` list holds the advisories (OSV) that affect the package's LATEST
release. A locked version is reported when such an advisory is not withdrawn, is not in
requirements/audit-ignore.txt, and no version in its `fixed_in` of the locked version's
major line is at or below the locked version. Exit status 1 then.

What this cannot see (docs/dependencies.md): advisories already fixed in the latest release,
since PyPI lists those only on the per-release JSON (`/pypi/<name>/<version>/json`), which
this network does not serve, like api.osv.dev. Releases are therefore also audited with
pip-audit (OSV) on a connected machine. A network failure is a warning, never a red build:
exit status 0 with a message saying which packages went unchecked.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LOCK = REPO_ROOT / "requirements" / "dev.txt"
DEFAULT_IGNORE = REPO_ROOT / "requirements" / "audit-ignore.txt"
DEFAULT_INDEX = "https://pypi.org"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str
    link: str

    def describe(self) -> str:
        names = ", ".join((self.advisory, *self.aliases))
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fixed release yet"
        text = f"{self.package}=={self.version}: {names} ({fix})"
        return (
            text
            + (f"\n    {self.summary}" if self.summary else "")
            + (f"\n    {self.link}" if self.link else "")
        )


@dataclass
class Report:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    ignored: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def locked_versions(text: str) -> dict[str, str]:
    """name -> version of every `name==version` line of a lock (markers ignored: every
    platform's packages are audited)."""
    return {canonicalize_name(name): version for name, version in _PIN.findall(text)}


def ignored_advisories(text: str) -> dict[str, str]:
    """`ID  reason` lines (a reason is required) -> {ID: reason}."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        advisory, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"audit-ignore line {number}: {advisory} needs a reason")
        entries[advisory] = reason.strip()
    return entries


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affects(version: str, advisory: dict[str, Any]) -> bool:
    """Whether an advisory of the latest release applies to `version` too: yes unless it was
    withdrawn or a fix of `version`'s major line is at or below it."""
    if advisory.get("withdrawn"):
        return False
    pinned = _version(version)
    if pinned is None:
        return True
    for text in advisory.get("fixed_in") or []:
        fixed = _version(str(text))
        if fixed is not None and fixed.release[:1] == pinned.release[:1] and fixed <= pinned:
            return False
    return True


def audit_package(name: str, version: str, data: dict[str, Any]) -> list[Finding]:
    findings = []
    for advisory in data.get("vulnerabilities") or []:
        if affects(version, advisory):
            summary = str(advisory.get("summary") or advisory.get("details") or "")
            findings.append(
                Finding(
                    package=name,
                    version=version,
                    advisory=str(advisory.get("id") or "unnamed advisory"),
                    aliases=tuple(str(a) for a in advisory.get("aliases") or ()),
                    fixed_in=tuple(str(v) for v in advisory.get("fixed_in") or ()),
                    summary=summary.strip().splitlines()[0][:200] if summary.strip() else "",
                    link=str(advisory.get("link") or ""),
                )
            )
    return findings


def yanked(version: str, data: dict[str, Any]) -> str | None:
    """The yank reason when every file of the locked release was yanked, else None."""
    files = (data.get("releases") or {}).get(version) or []
    if files and all(f.get("yanked") for f in files):
        return str(files[0].get("yanked_reason") or "no reason given")
    return None


def fetch(index: str, name: str, timeout: float) -> dict[str, Any]:
    url = f"{index.rstrip('/')}/pypi/{name}/json"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        data: dict[str, Any] = json.load(response)
    return data


def _network_error(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, urllib.error.URLError):
        return f"unreachable ({error.reason})"
    return f"{type(error).__name__}: {error}"


def audit(
    locked: dict[str, str],
    *,
    index: str = DEFAULT_INDEX,
    ignore: dict[str, str] | None = None,
    timeout: float = 10,
    workers: int = 8,
) -> Report:
    report = Report()
    ignore = ignore or {}
    names = sorted(locked)
    if not names:
        return report

    def one(name: str) -> tuple[str, dict[str, Any] | None, str]:
        try:
            return name, fetch(index, name, timeout), ""
        except (OSError, ValueError) as error:  # URLError, timeouts, bad JSON
            return name, None, _network_error(error)

    # One package first: when the index cannot be reached at all, say so once and stop,
    # instead of waiting for a timeout per package.
    first = one(names[0])
    if first[1] is None and not first[2].startswith("HTTP "):
        report.warnings.append(
            f"{index} could not be reached ({first[2]}): NOTHING WAS AUDITED. "
            "Audit the release with pip-audit on a connected machine (docs/dependencies.md)."
        )
        return report
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = [first, *pool.map(one, names[1:])]
    for name, data, error in results:
        version = locked[name]
        if data is None:
            report.warnings.append(f"{name}=={version} not checked: {error}")
            continue
        report.checked += 1
        reason = yanked(version, data)
        if reason:
            report.warnings.append(f"{name}=={version} was yanked from PyPI: {reason}")
        for finding in audit_package(name, version, data):
            ids = {finding.advisory, *finding.aliases}
            (report.ignored if ids & ignore.keys() else report.findings).append(finding)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", nargs="*", type=Path, default=[DEFAULT_LOCK])
    parser.add_argument("--index", default=DEFAULT_INDEX, help="PyPI's origin")
    parser.add_argument("--ignore-file", type=Path, default=DEFAULT_IGNORE)
    parser.add_argument("--timeout", type=float, default=10, help="seconds per request")
    args = parser.parse_args(argv)

    locked: dict[str, str] = {}
    for lock in args.locks:
        locked.update(locked_versions(lock.read_text()))
    ignore_text = args.ignore_file.read_text() if args.ignore_file.exists() else ""
    report = audit(
        locked, index=args.index, ignore=ignored_advisories(ignore_text), timeout=args.timeout
    )
    _print(report, locked, args.index)
    return 1 if report.findings else 0


def _print(report: Report, locked: dict[str, str], index: str) -> None:
    for finding in report.findings:
        print(f"VULNERABLE {finding.describe()}")
    for finding in report.ignored:
        print(f"ignored (requirements/audit-ignore.txt) {finding.describe()}")
    for warning in report.warnings:
        print(f"WARNING: {warning}")
    print(
        f"audit: {report.checked} of {len(locked)} locked packages checked against {index}'s "
        f"advisories: {len(report.findings)} vulnerable, {len(report.ignored)} ignored, "
        f"{len(report.warnings)} warnings"
    )


if __name__ == "__main__":
    sys.exit(main())
