"""Which environment variables the code reads, found by parsing it (no import, no settings).

`.env.example` promises every variable the project reads, with its default; the test in
tests/saas/dev/test_envvars.py holds it to that with this module:

    python -m saas.dev.envvars            # variables read but not in .env.example
    python -m saas.dev.envvars --all      # every variable read, where, and its defaults

A read is any of these with a literal name (or a name built from a literal loop):
`env.str("NAME", default=...)` (every django-environ reader and `env.strict_bool`),
`os.environ.get("NAME", ...)`, `os.environ["NAME"]`, `os.environ.setdefault(...)`,
`os.getenv(...)`, `.get`/`.setdefault` on a mapping named `env` or `environ` (a copy of
the environment), and helpers named `_env_*`/`env_*` whose first argument is the name
(deploy/gunicorn.conf.py). A name the scanner cannot work out is reported as such, so a
new way of reading the environment fails loudly instead of slipping through.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The code whose reads .env.example must document: settings and apps, the deploy
# configuration (gunicorn), the runner, Celery, manage.py.
SOURCES = ("saas", "shared_apps", "tenant_apps", "deploy", "manage.py")

# Read by the code but deliberately not in .env.example, and why.
NOT_DOCUMENTED = {
    "PATH": "the operating system's search path (deploy/check.py passes it to children)",
    "CI": "set by the CI runner: deploy/check.py then requires nginx and openssl",
    "PYTEST_XDIST_WORKER": "set by pytest-xdist in each test worker (saas/settings/test.py)",
}

# Defaults here are those of `make run` / `make test` / a deploy check, not what a deployment
# gets: the example states them where it helps, the test does not insist.
DEVELOPMENT_ONLY = (
    "saas/settings/dev.py", "saas/settings/test.py", "saas/dev/", "deploy/check.py", "manage.py",
    "saas/celery.py",
)  # fmt: skip

_ENV_READERS = {
    "str", "int", "float", "bool", "strict_bool", "list", "tuple", "dict", "json", "url",
    "db_url", "db", "cache_url", "cache", "email_url", "email", "search_url", "path",
    "bytes", "get_value", "decimal",
}  # fmt: skip
_MAPPING_READS = {"get", "setdefault", "pop"}
# `env` = dict(os.environ) in saas/dev/runner.py; `environ` is left out: in deploy/gunicorn.conf.py
# it is the WSGI request environ, not the process environment.
_MAPPING_NAMES = {"env"}
_NO_DEFAULT = object()
_ARITHMETIC = (ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop)


@dataclass
class Read:
    name: str
    path: str
    line: int
    default: object = _NO_DEFAULT

    @property
    def has_literal_default(self) -> bool:
        return self.default is not _NO_DEFAULT


@dataclass
class Scan:
    reads: list[Read] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # "path:line: expression"

    @property
    def names(self) -> set[str]:
        return {read.name for read in self.reads}

    def defaults(self, name: str) -> list[object]:
        """The distinct literal defaults an operator gets for `name`, in source order: those
        of the production code, or of the development code when only it reads the name."""
        reads = [read for read in self.reads if read.name == name and read.has_literal_default]
        operator = [read for read in reads if not read.path.startswith(DEVELOPMENT_ONLY)]
        found: list[object] = []
        for read in operator or reads:
            if read.default not in found:
                found.append(read.default)
        return found


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _is_helper(name: str) -> bool:
    return name.startswith(("_env_", "env_"))


def _reads_environment(func: ast.AST) -> bool:
    """Whether a call of `func` reads the variable named by its first argument."""
    if isinstance(func, ast.Name):
        return _is_helper(func.id)
    if not isinstance(func, ast.Attribute):
        return False
    owner, attr = func.value, func.attr
    if _is_os_environ(owner):
        return attr in _MAPPING_READS
    if not isinstance(owner, ast.Name):
        return False
    return (
        (owner.id == "os" and attr == "getenv")
        or (owner.id == "env" and attr in _ENV_READERS)
        or (owner.id in _MAPPING_NAMES and attr in _MAPPING_READS)
    )


def _literal_strings(node: ast.AST) -> list[tuple[str, ...]] | None:
    """A literal tuple/list of strings (or of tuples of strings), as rows; else None."""
    if not isinstance(node, ast.Tuple | ast.List):
        return None
    rows: list[tuple[str, ...]] = []
    for item in node.elts:
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            rows.append((item.value,))
        elif isinstance(item, ast.Tuple) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in item.elts
        ):
            rows.append(tuple(e.value for e in item.elts))  # type: ignore[attr-defined]
        else:
            return None
    return rows


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, constants: dict[str, list[tuple[str, ...]]]) -> None:
        self.path = path
        self.constants = constants
        self.bindings: dict[str, list[str]] = {}  # loop variable -> its literal values
        self.helper_params: set[str] = set()  # parameters of an enclosing `_env_*` helper
        self.scan = Scan()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        saved = self.helper_params
        if _is_helper(node.name):
            # Its callers are the reads (`_env_int("NAME", 1)`), not its own body.
            self.helper_params = saved | {a.arg for a in node.args.args}
        self.generic_visit(node)
        self.helper_params = saved

    # --- loops over literal names bind their variable ----------------------------------------
    def visit_For(self, node: ast.For) -> None:
        rows = _literal_strings(node.iter)
        if rows is None and isinstance(node.iter, ast.Name):
            rows = self.constants.get(node.iter.id)
        saved = dict(self.bindings)
        if rows is not None:
            targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
            for index, target in enumerate(targets):
                if isinstance(target, ast.Name):
                    self.bindings[target.id] = [row[index] for row in rows if index < len(row)]
        self.generic_visit(node)
        self.bindings = saved

    # --- the reads ------------------------------------------------------------------------------
    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _is_os_environ(node.value) and isinstance(node.ctx, ast.Load):
            self._record(node.slice, node, _NO_DEFAULT)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _reads_environment(node.func):
            self._record(node.args[0] if node.args else None, node, self._default(node))
        self.generic_visit(node)

    @staticmethod
    def _default(node: ast.Call) -> object:
        candidates = [kw.value for kw in node.keywords if kw.arg == "default"]
        candidates += node.args[1:2]
        for value in candidates:
            if isinstance(value, ast.List | ast.Tuple) and not value.elts:
                return ""
            if all(isinstance(n, _ARITHMETIC) for n in ast.walk(value)):
                # a constant or constant arithmetic (12 * 3600)
                return eval(compile(ast.Expression(value), "<default>", "eval"), {})  # noqa: S307
        return _NO_DEFAULT

    def _record(self, arg: ast.AST | None, node: ast.AST, default: object) -> None:
        if isinstance(arg, ast.Name) and arg.id in self.helper_params:
            return
        names = self._names(arg)
        line = getattr(node, "lineno", 0)
        if names is None:
            self.scan.unresolved.append(f"{self.path}:{line}: {ast.unparse(node)[:80]}")
            return
        for name in names:
            self.scan.reads.append(Read(name=name, path=self.path, line=line, default=default))

    def _names(self, arg: ast.AST | None) -> list[str] | None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [arg.value]
        if isinstance(arg, ast.Name) and arg.id in self.bindings:
            return list(self.bindings[arg.id])
        if isinstance(arg, ast.JoinedStr):
            parts: list[list[str]] = []
            for value in arg.values:
                if isinstance(value, ast.Constant):
                    parts.append([str(value.value)])
                elif (
                    isinstance(value, ast.FormattedValue)
                    and isinstance(value.value, ast.Name)
                    and value.value.id in self.bindings
                ):
                    parts.append(self.bindings[value.value.id])
                else:
                    return None
            return ["".join(combo) for combo in itertools.product(*parts)]
        return None


def _module_constants(tree: ast.Module) -> dict[str, list[tuple[str, ...]]]:
    constants: dict[str, list[tuple[str, ...]]] = {}
    for node in tree.body:
        target: ast.AST | None = None
        value: ast.AST | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and value is not None:
            rows = _literal_strings(value)
            if rows is not None:
                constants[target.id] = rows
    return constants


def scan_source(text: str, path: str = "<source>") -> Scan:
    tree = ast.parse(text, filename=path)
    visitor = _Visitor(path, _module_constants(tree))
    visitor.visit(tree)
    return visitor.scan


def python_files(root: Path, sources: Iterable[str] = SOURCES) -> Iterator[Path]:
    for source in sources:
        path = root / source
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if "migrations" not in p.parts)


def scan_tree(root: Path = REPO_ROOT, sources: Iterable[str] = SOURCES) -> Scan:
    total = Scan()
    for path in python_files(root, sources):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:  # removed while we walked the tree
            continue
        found = scan_source(text, str(path.relative_to(root)))
        total.reads += found.reads
        total.unresolved += found.unresolved
    return total


# --- the example file ----------------------------------------------------------------------------
_VARIABLE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def example_entries(text: str) -> dict[str, str]:
    """Each variable of an env file (`NAME=value`, also commented out as `# NAME=value`)
    with its documentation: the comment lines just above it and its own line."""
    entries: dict[str, str] = {}
    block: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        match = _VARIABLE.match(line)
        if match:
            entries.setdefault(match.group(1), "\n".join([*block, line]))
            block = block if line.startswith("#") else []
        elif line.startswith("#") and not line.startswith("# ---"):
            block.append(line)
        else:
            block = []
    return entries


def default_spellings(value: object) -> set[str]:
    """How a default may be written in the example."""
    if isinstance(value, bool):
        return {"true", "1"} if value else {"false", "0"}
    if isinstance(value, float) and value.is_integer():
        return {str(int(value)), str(value)}
    return {str(value)}


def undocumented_defaults(scan: Scan, entries: dict[str, str]) -> list[str]:
    """Variables whose literal default(s) the example does not state."""
    problems = []
    for name in sorted(scan.names & entries.keys()):
        doc = entries[name]
        for default in scan.defaults(name):
            if default == "" or default is None:
                continue  # unset means empty: nothing to state
            spellings = default_spellings(default)
            if not any(re.search(rf"(?<![\w.]){re.escape(s)}(?![\w])", doc) for s in spellings):
                problems.append(f"{name}: default {default!r} is not stated")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every read")
    args = parser.parse_args(argv)
    scan = scan_tree()
    if args.all:
        for read in sorted(scan.reads, key=lambda r: (r.name, r.path, r.line)):
            default = f" default={read.default!r}" if read.has_literal_default else ""
            print(f"{read.name}  {read.path}:{read.line}{default}")
    entries = example_entries((REPO_ROOT / ".env.example").read_text(encoding="utf-8"))
    missing = sorted(scan.names - entries.keys() - NOT_DOCUMENTED.keys())
    for name in missing:
        print(f"not in .env.example: {name}")
    for problem in scan.unresolved:
        print(f"name not resolved: {problem}")
    return 1 if missing or scan.unresolved else 0


if __name__ == "__main__":
    sys.exit(main())
