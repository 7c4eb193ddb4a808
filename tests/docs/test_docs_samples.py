"""Every code sample in docs/ runs, and the site's navigation lists every page.

Samples are the fenced blocks of the Markdown pages:

- a ```python block whose first line is a comment naming a file (``# test_x.py``,
  ``# conftest.py``, ``# orders.py``) is a file of that page's pytest project, as
  are ```ini blocks starting ``# pytest.ini`` and ```sql blocks starting
  ``-- schema.sql``; the project is run with pytest (pytester), and every test in
  it must pass;
- a ```python block of ``>>>`` lines is a doctest;
- any other ```python block is a script: a page's scripts run in order in one
  namespace, like a reader pasting them into one interpreter.

Blocks in other languages (sh, text, mermaid) are not executed.
"""
from __future__ import annotations

import doctest
import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# pytester's in-process runs forget modules an inner run imported; DuckDB's extension
# cannot be imported twice in one process, so load it (through aurora_lite) out here.
import aurora_lite as al

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FILE_NAME = {"python": re.compile(r"#\s*([\w./-]+\.py)\s*$"),
             "ini": re.compile(r"#\s*([\w./-]+\.(?:ini|cfg))\s*$"),
             "toml": re.compile(r"#\s*(pyproject\.toml)\s*$"),
             "sql": re.compile(r"--\s*([\w./-]+\.sql)\s*$")}
PLUGIN_ARGS = () if any(ep.value == "aurora_lite.pytest_plugin" for ep in
                        importlib.metadata.entry_points(group="pytest11")) else ("-p", "aurora_lite.pytest_plugin")


@dataclass
class Block:
    page: str
    line: int
    lang: str
    code: str

    @property
    def file_name(self) -> str | None:
        pattern = FILE_NAME.get(self.lang)
        first = self.code.split("\n", 1)[0]
        m = pattern.match(first) if pattern else None
        return m.group(1) if m else None

    @property
    def kind(self) -> str:
        if self.file_name:
            return "file"
        if self.lang == "python":
            return "doctest" if self.code.lstrip().startswith(">>>") else "script"
        return "other"


def blocks(page: str) -> list[Block]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [Block(page, text.count("\n", 0, m.start()) + 1, m.group(1).lower(), m.group(2))
            for m in FENCE.finditer(text)]


def pages_with(kind: str) -> list[str]:
    return [p for p in PAGES if any(b.kind == kind for b in blocks(p))]


@pytest.mark.parametrize("page", PAGES)
def test_fences_are_closed(page):
    """An unclosed fence would swallow the prose after it into a sample (and the site would show it so)."""
    fences = [n for n, line in enumerate((DOCS / page).read_text(encoding="utf-8").splitlines(), 1)
              if line.startswith("```")]
    assert len(fences) % 2 == 0, f"docs/{page}: a fence opened at line {fences[-1]} is never closed"


def test_the_docs_have_samples_of_each_kind():
    assert pages_with("script") and pages_with("file") and pages_with("doctest")


@pytest.mark.parametrize("page", PAGES)
def test_no_sample_goes_unrun(page):
    """Python, SQL and ini samples are all run: scripts, doctests, or files of the page's project."""
    for block in blocks(page):
        if block.lang in ("sql", "ini", "toml"):
            assert block.file_name, f"{page}:{block.line}: a {block.lang} sample must start with its file name"
        if block.lang in ("py", "python3", "pycon"):
            pytest.fail(f"{page}:{block.line}: write ```python, so that the sample is run")


@pytest.mark.parametrize("page", pages_with("script"))
def test_scripts_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        for block in blocks(page):
            if block.kind == "script":
                exec(compile(block.code, f"docs/{page}:{block.line}", "exec"), namespace)  # noqa: S102
    finally:
        for value in list(namespace.values()):  # a failing sample must not leak clusters
            if isinstance(value, al.Cluster):
                value.close()


@pytest.mark.parametrize("page", pages_with("doctest"))
def test_doctests_run(page):
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {}
    for block in blocks(page):
        if block.kind == "doctest":
            test = parser.get_doctest(block.code, globs, page, f"docs/{page}", block.line)
            runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("page", pages_with("file"))
def test_pytest_projects_pass(page, pytester, monkeypatch):
    files = [b for b in blocks(page) if b.kind == "file"]
    # In process, a sample's test_pitr.py would be taken for the module of that name that the
    # outer run imported (tests/backup/test_pitr.py): hide those for the inner run.
    for block in files:
        if block.file_name.endswith(".py"):
            monkeypatch.delitem(sys.modules, Path(block.file_name).stem, raising=False)
    for block in files:
        path = pytester.path / block.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.code, encoding="utf-8")
    if not any(b.file_name.endswith((".ini", ".cfg", ".toml")) for b in files):
        pytester.makeini("[pytest]\n")  # keep the repository's own configuration out of it
    result = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "-p", "no:randomly")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 0, result.stdout.str()
    assert result.ret == 0, result.stdout.str()


# ---------------------------------------------------------------- the site
def _mkdocs_config() -> dict:
    yaml = pytest.importorskip("yaml")

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)


def _nav_pages(nav) -> list[str]:
    out = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        out += _nav_pages(value) if isinstance(value, list) else [value]
    return out


def test_the_navigation_lists_every_page_once():
    nav = _nav_pages(_mkdocs_config()["nav"])
    assert sorted(nav) == PAGES
    assert len(nav) == len(set(nav))


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="the docs extra is not installed")
def test_the_site_builds_strictly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                          env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "reference" / "cluster" / "index.html").read_text().count("restore_to_point_in_time") > 0
