""".env.example lists every environment variable the code reads, with its default, and the
production template (deploy/env.production.example) names nothing the example does not.

When a test here fails after you added a setting: add the variable to .env.example (its
default on the line or in the comment above it). `python -m saas.dev.envvars` lists what is
missing."""

from __future__ import annotations

import textwrap

from saas.dev import envvars

ROOT = envvars.REPO_ROOT

NOT_DOCUMENTED = envvars.NOT_DOCUMENTED


def _example() -> dict[str, str]:
    return envvars.example_entries((ROOT / ".env.example").read_text())


def test_every_variable_the_code_reads_is_in_the_example() -> None:
    scan = envvars.scan_tree()
    assert not scan.unresolved, (
        "environment reads whose variable name the scanner cannot work out (use a literal "
        "name, or a loop over literal names):\n" + "\n".join(scan.unresolved)
    )
    missing = sorted(scan.names - _example().keys() - NOT_DOCUMENTED.keys())
    assert not missing, f".env.example lacks variables the code reads: {', '.join(missing)}"


def test_the_example_states_each_default() -> None:
    problems = envvars.undocumented_defaults(envvars.scan_tree(), _example())
    assert not problems, ".env.example:\n" + "\n".join(problems)


def test_the_production_template_adds_no_variable_of_its_own() -> None:
    production = envvars.example_entries((ROOT / "deploy" / "env.production.example").read_text())
    extra = sorted(production.keys() - _example().keys())
    assert not extra, f"only in deploy/env.production.example: {', '.join(extra)}"


def test_the_allowlist_is_still_needed() -> None:
    read = envvars.scan_tree().names
    assert set(NOT_DOCUMENTED) <= read
    assert not set(NOT_DOCUMENTED) & _example().keys()


def test_nothing_documented_is_unread() -> None:
    """A variable the example lists is read by the code, by make bench or by the deploy kit."""
    bench = envvars.scan_tree(sources=["bench"]).names
    kit = "\n".join(
        path.read_text()
        for path in [ROOT / "docker-compose.production.yml", *(ROOT / "deploy").rglob("*")]
        if path.is_file()
    )
    used = envvars.scan_tree().names | bench
    stale = sorted(name for name in _example() if name not in used and name not in kit)
    assert not stale, f".env.example lists variables nothing reads: {', '.join(stale)}"


class TestScanner:
    """The scanner finds each way the code reads the environment."""

    def scan(self, source: str) -> envvars.Scan:
        return envvars.scan_source(textwrap.dedent(source))

    def test_django_environ_readers_with_their_defaults(self) -> None:
        scan = self.scan(
            """
            A = env.int("LIMIT", default=5)
            B = env.strict_bool("FLAG", default=True)
            C = env.str("NAME")
            D = env.list("HOSTS", default=[])
            E = env.int("AGE", default=12 * 3600)
            """
        )
        assert scan.names == {"LIMIT", "FLAG", "NAME", "HOSTS", "AGE"}
        assert scan.defaults("LIMIT") == [5]
        assert scan.defaults("FLAG") == [True]
        assert scan.defaults("NAME") == []
        assert scan.defaults("HOSTS") == [""]
        assert scan.defaults("AGE") == [43200]

    def test_os_environ_and_getenv(self) -> None:
        scan = self.scan(
            """
            import os
            os.environ.setdefault("SETTINGS", "x")
            a = os.environ.get("ONE", "1")
            b = os.environ["TWO"]
            c = os.getenv("THREE")
            os.environ["WRITTEN"] = "not a read"
            """
        )
        assert scan.names == {"SETTINGS", "ONE", "TWO", "THREE"}
        assert scan.defaults("ONE") == ["1"]

    def test_helpers_loops_and_fstrings(self) -> None:
        scan = self.scan(
            """
            import os
            NAMES = ("R1", "R2")

            def _env_int(name, default):
                return int(os.environ.get(name, "") or default)

            workers = _env_int("WORKERS", 3)
            for name in NAMES:
                os.environ.get(name)
            for provider, prefix in (("g", "GOOGLE"), ("h", "GITHUB")):
                env.str(f"{prefix}_CLIENT_ID", default="")
            """
        )
        assert scan.names == {"WORKERS", "R1", "R2", "GOOGLE_CLIENT_ID", "GITHUB_CLIENT_ID"}
        assert scan.defaults("WORKERS") == [3]
        assert not scan.unresolved

    def test_a_name_it_cannot_work_out_is_reported(self) -> None:
        scan = self.scan(
            """
            import os
            def read(key):
                return os.environ.get(key)
            """
        )
        assert scan.names == set()
        assert len(scan.unresolved) == 1

    def test_an_example_entry_carries_its_comments(self) -> None:
        entries = envvars.example_entries(
            "# --- Section ---\n# Default 25.\nEMAIL_PORT=587\n\n# unset\n# GUNICORN_BIND=x\n"
        )
        assert entries == {
            "EMAIL_PORT": "# Default 25.\nEMAIL_PORT=587",
            "GUNICORN_BIND": "# unset\n# GUNICORN_BIND=x",
        }
        scan = self.scan('a = env.int("EMAIL_PORT", default=25)\nb = env.int("X", default=2)')
        assert envvars.undocumented_defaults(scan, entries) == []
        scan = self.scan('a = env.int("EMAIL_PORT", default=26)')
        assert envvars.undocumented_defaults(scan, entries) == [
            "EMAIL_PORT: default 26 is not stated"
        ]
