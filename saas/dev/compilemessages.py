"""Compile `locale/*/LC_MESSAGES/*.po` to `.mo` with Babel (pure Python).

Why: Django's `compilemessages` shells out to GNU gettext's msgfmt, which a fresh machine
may not have; running the app only needs the .mo files. Like `msgfmt --check-format`, a
catalog whose placeholders do not match is an error (a broken translation would otherwise
raise at run time). Fuzzy entries are left out, as msgfmt does. A .mo newer than its .po
is skipped.

    python -m saas.dev.compilemessages [LOCALE_DIR ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class CatalogError(Exception):
    """A .po file is unreadable or has translations that do not match their source."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def compile_file(po_path: Path, mo_path: Path) -> None:
    """Compile one catalog, writing the .mo atomically (a server may be reading it)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po

    try:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (PoFileError, ValueError) as exc:
        raise CatalogError(f"{po_path}: {exc}") from exc
    problems = [
        f"{po_path}:{message.lineno}: {error}"
        for message, errors in catalog.check()
        for error in errors
    ]
    if problems:
        raise CatalogError("\n".join(problems))
    fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes it 0600
        os.replace(tmp_name, mo_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def compile_all(locale_dirs: Sequence[Path] = (REPO_ROOT / "locale",)) -> list[Path]:
    """Compile every out-of-date catalog; returns the .mo files written."""
    written: list[Path] = []
    for locale_dir in locale_dirs:
        for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            compile_file(po_path, mo_path)
            written.append(mo_path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    dirs = [Path(arg) for arg in args] or [REPO_ROOT / "locale"]
    try:
        written = compile_all(dirs)
    except CatalogError as exc:
        print(f"compilemessages: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"compiled {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
