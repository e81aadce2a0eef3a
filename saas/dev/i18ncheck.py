"""CI check: `locale/bg` is complete and up to date with the source.

Fails (exit 1) when a Bulgarian entry is untranslated or fuzzy, or, where GNU gettext is
installed, when the source has strings the catalog lacks (someone forgot `make messages`).
Run: python -m saas.dev.i18ncheck
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
LANGUAGES = ["bg"]
# The same arguments `make messages` uses.
MAKEMESSAGES_ARGS = [
    "--no-obsolete",
    "--ignore=.venv",
    "--ignore=.data",
    "--ignore=bench",
    "--ignore=tests",
    "--ignore=build",
]


def _ids(path: Path) -> dict[str, tuple[bool, bool]]:
    """msgid -> (translated, fuzzy) for every entry; the header counts as "" (a fuzzy header
    makes msgfmt-based tools drop it, plural forms included)."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    result: dict[str, tuple[bool, bool]] = {"": (True, bool(catalog.fuzzy))}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        result[key] = (all(strings), message.fuzzy)
    return result


def incomplete(language: str) -> list[str]:
    problems = []
    for po in sorted((LOCALE / language / "LC_MESSAGES").glob("*.po")):
        for msgid, (translated, fuzzy) in _ids(po).items():
            if fuzzy and not msgid:
                problems.append(f"{po.name}: the header is marked fuzzy")
            elif fuzzy:
                problems.append(f"{po.name}: fuzzy: {msgid!r}")
            elif not translated:
                problems.append(f"{po.name}: untranslated: {msgid!r}")
    return problems


def missing_from_catalog(language: str) -> list[str] | None:
    """Strings in the source that the catalog lacks; None when gettext is not installed."""
    if shutil.which("xgettext") is None:
        return None
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    before = set(_ids(po)) if po.exists() else set()
    with tempfile.TemporaryDirectory() as tmp:
        backup = Path(tmp) / "django.po"
        if po.exists():
            shutil.copy2(po, backup)
        try:
            subprocess.run(
                [sys.executable, "manage.py", "makemessages", "-l", language, *MAKEMESSAGES_ARGS],
                cwd=ROOT,
                check=True,
                capture_output=True,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "saas.settings.test"},
            )
            after = set(_ids(po))
        finally:
            if backup.exists():
                shutil.copy2(backup, po)
    return sorted(after - before)


def main() -> int:
    failed = False
    for language in LANGUAGES:
        problems = incomplete(language)
        missing = missing_from_catalog(language)
        if missing is None:
            print(f"{language}: xgettext not installed; skipped the source comparison")
        elif missing:
            problems += [f"not in the catalog (run make messages): {m!r}" for m in missing]
        if problems:
            failed = True
            print(f"locale/{language} is incomplete ({len(problems)} problems):")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"locale/{language}: complete")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
