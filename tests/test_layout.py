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


def _module_name(path: Path) -> str:
    """The name pytest (rootdir-less "prepend" import mode) imports a test file under: its
    basename, prefixed by the packages (directories with __init__.py) it sits in."""
    parts = [path.stem]
    d = path.parent
    while (d / "__init__.py").exists():
        parts.insert(0, d.name)
        d = d.parent
    return ".".join(parts)


def test_test_modules_have_unique_import_names():
    # two test files imported under one name stop the whole collection ("import file
    # mismatch"), as tests/offchain/test_embedding.py and tests/contracts/onestep/ once did
    names: dict[str, list[str]] = {}
    for p in TESTS.rglob("test_*.py"):
        names.setdefault(_module_name(p), []).append(str(p.relative_to(TESTS)))
    assert {n: ps for n, ps in names.items() if len(ps) > 1} == {}
