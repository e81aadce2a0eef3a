"""Every repository path the docs cite exists, so docs/*.md cannot drift from the code.

A path-looking token is checked when it has a known file extension (`retention.py`,
`crm/merge_plan.py`: it must be the end of some file's path in the repository) or starts
with an existing top-level folder (`shared_apps/tenants/hooks.py`, `tenant_apps/crm/`: it
must exist exactly). `<placeholder>` and `*` are wildcards and `{a,b}` lists alternatives;
URLs (`https://...`) and URL paths (`/billing/usage/`) are not repository paths.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
EXTENSIONS = {
    "py", "md", "html", "txt", "toml", "json", "yml", "yaml", "cfg", "ini", "po",
    "css", "js", "sh", "service", "conf", "sql", "lock", "timer", "socket",
}  # fmt: skip
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", "staticfiles", ".mypy_cache"}
_TOKEN = re.compile(r"(?<![\w/.:@$-])[\w.{},*<>-]+(?:/[\w.{},*<>-]*)*")


@cache
def repository_files() -> tuple[str, ...]:
    found: list[str] = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
        relative = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        found.extend(f"{prefix}{name}" for name in files)
        found.extend(f"{prefix}{name}/" for name in dirs)
    return tuple(found)


@cache
def top_folders() -> frozenset[str]:
    return frozenset(p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in _SKIP_DIRS)


def expand(token: str) -> list[str]:
    """`{a,b}` alternatives expanded; `<x>` made a wildcard."""
    match = re.search(r"\{([^{}]*)\}", token)
    if match:
        return [
            variant
            for option in match.group(1).split(",")
            for variant in expand(token[: match.start()] + option + token[match.end() :])
        ]
    return [re.sub(r"<[^<>/]*>", "*", token)]


def cited_paths(text: str) -> set[str]:
    """The tokens of `text` that are repository paths by the rules above."""
    paths = set()
    for token in _TOKEN.findall(text):
        token = token.rstrip(".,")
        under_a_top_folder = "/" in token and token.split("/", 1)[0] in top_folders()
        with_an_extension = not token.startswith(".") and token.rpartition(".")[2] in EXTENSIONS
        if under_a_top_folder or ("." in token and with_an_extension):
            paths.add(token)
    return paths


def exists(cited: str) -> bool:
    """Every alternative of `cited` matches a file or folder of the repository."""
    return all(_matches(pattern) for pattern in expand(cited))


def _matches(pattern: str) -> bool:
    if pattern.split("/", 1)[0] in top_folders():
        candidates = [pattern, pattern.rstrip("/") + "/"]  # a folder cited with or without "/"
    else:
        candidates = [pattern, f"*/{pattern}"]  # the end of some path
    return any(fnmatchcase(path, c) for path in repository_files() for c in candidates)


def test_the_rules_find_paths_and_leave_the_rest() -> None:
    text = (
        "See `shared_apps/tenants/hooks.py`, crm/merge_plan.py and tenant_apps/crm/web/<area>/"
        " and saas/settings/{base,test}.py; not /billing/usage/, https://x.test/a.py, and/or,"
        " crm.example.com or `routing:host:<host>`."
    )
    assert cited_paths(text) == {
        "shared_apps/tenants/hooks.py",
        "crm/merge_plan.py",
        "tenant_apps/crm/web/<area>/",
        "saas/settings/{base,test}.py",
    }
    assert all(exists(path) for path in cited_paths(text))
    assert not exists("shared_apps/tenants/nothing_here.py")
    assert not exists("crm/no_such_module.py")
    assert not exists("saas/settings/{base,nothing}.py")


@pytest.mark.parametrize("doc", DOCS, ids=[doc.name for doc in DOCS])
def test_every_path_a_doc_cites_exists(doc: Path) -> None:
    missing = sorted(path for path in cited_paths(doc.read_text()) if not exists(path))
    assert missing == [], f"{doc.relative_to(ROOT)} cites paths that do not exist: {missing}"
