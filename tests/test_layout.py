"""Repository-wide rules the test suite relies on."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_imports_a_conftest_by_name():
    # pytest puts several directories on sys.path; `from conftest import X`
    # binds to whichever conftest.py was imported first (another directory's).
    # Shared constants live in ordinary modules (tests/contracts/lifecycle.py).
    offenders = [
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("*.py")
        if p != Path(__file__).resolve()
        and any(line.strip().startswith(("from conftest import", "import conftest"))
                for line in p.read_text().splitlines())
    ]
    assert offenders == []
