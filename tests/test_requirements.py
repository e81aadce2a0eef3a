"""The locks in requirements/ (written by `make lock`) match pyproject.toml: every dependency
is pinned to a version its range allows, with hashes, and the image gets the same versions
as development and CI. Fails after an edit of pyproject.toml until `make lock` is run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(path: Path) -> dict[str, str]:
    """name -> version of a lock file; each pin must carry at least one sha256 hash."""
    text = path.read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    found: dict[str, str] = {}
    for entry in entries:
        match = _PIN.match(entry)
        if match:
            name = canonicalize_name(match.group(1))
            assert "--hash=sha256:" in entry, f"{path.name}: {name} has no hash"
            found[name] = match.group(2)
    return found


def _project() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]


def _unlocked(requirements: list[str], locked: dict[str, str]) -> list[str]:
    problems = []
    for line in requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{name} is not locked")
        elif not requirement.specifier.contains(locked[name], prereleases=True):
            problems.append(f"{name}=={locked[name]} is outside {requirement.specifier}")
    return problems


def test_every_dependency_is_locked_within_its_range() -> None:
    project = _project()
    dev = pins(REQUIREMENTS / "dev.txt")
    production = pins(REQUIREMENTS / "production.txt")
    assert _unlocked(project["dependencies"], production) == []
    assert _unlocked(project["dependencies"] + project["optional-dependencies"]["dev"], dev) == []


def test_the_image_gets_the_versions_development_and_ci_test() -> None:
    dev = pins(REQUIREMENTS / "dev.txt")
    for name in ("production.txt", "build.txt"):
        locked = pins(REQUIREMENTS / name)
        assert locked, name
        assert {n: v for n, v in locked.items() if dev.get(n) != v} == {}, name


def test_pins_are_parsed_with_their_hashes(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "# header\nDjango==5.2.20 \\\n    --hash=sha256:ab\n    # via x\n"
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n    --hash=sha256:cd\n"
    )
    assert pins(lock) == {"django": "5.2.20", "colorama": "0.4.6"}
    lock.write_text("stripe==15.6.2\n    # via saas-crm\n")
    with pytest.raises(AssertionError, match="stripe has no hash"):
        pins(lock)


def test_a_range_the_lock_falls_outside_is_reported() -> None:
    assert _unlocked(["stripe>=15.0.1,<16", "nh3"], {"stripe": "16.0.0"}) == [
        "stripe==16.0.0 is outside <16,>=15.0.1",
        "nh3 is not locked",
    ]
