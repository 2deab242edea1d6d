"""The layers of docs/ARCHITECTURE.md hold: import-linter's contract passes on the tree, fails
on a deliberate back-import, and no module imports another module's private name."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("assistant", "corpus", "retrieval", "prompts", "evals")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def test_the_layer_contract_holds_on_the_tree() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 kept, 0 broken" in done.stdout


def test_a_back_import_breaks_the_contract(tmp_path: Path) -> None:
    """A lower layer (corpus) importing a feature (briefing) is caught, by name."""
    skip = shutil.ignore_patterns("__pycache__", ".mypy_cache", "*.json", "*.npz", "*.j2")
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=skip)
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "corpus" / "backimport.py").write_text("import assistant.briefing.pipeline\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "corpus is not allowed to import assistant.briefing" in done.stdout
    assert "corpus.backimport -> assistant.briefing.pipeline" in done.stdout


def test_no_module_imports_another_modules_private_name() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if not (isinstance(node, ast.ImportFrom) and node.module):
                    continue
                if node.module.split(".")[0] not in PACKAGES:
                    continue
                found += [
                    f"{path.relative_to(REPO)}:{node.lineno} {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert not found, found


def test_the_cli_starts_without_the_model_stack() -> None:
    """Every `dragoman` command imports the CLI; the model, LangChain, Chroma and the
    PostgreSQL driver load only for the commands that use them (each costs seconds, paid
    by every `users`, `docs` or `sources` call otherwise)."""
    heavy = ("llama_cpp", "langchain_core", "chromadb", "torch", "psycopg")
    probe = f"import sys, assistant.cli.main; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


MAX_FUNCTION_LINES = 60
# functions that are data tables (one entry per line), not logic
DATA_TABLES = {("assistant/drafting/platforms.py", "_profiles")}


def test_no_function_is_longer_than_sixty_lines_outside_data_tables() -> None:
    long = []
    for package in (*PACKAGES, "bench"):
        for path in (REPO / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # Alembic's generated revisions
            name = path.relative_to(REPO).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES and (name, node.name) not in DATA_TABLES:
                    long.append(f"{name}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long
