"""The built wheel: every module and the sample corpus are in it, and `ask()` on the
installed package answers from that corpus, with no repository beside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# pip, offline, for our package alone (PIP_* variables apply to every subcommand).
PIP = [sys.executable, "-m", "pip", "--no-input", "-q"]
PIP_ENV = {"PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built offline from a copy of the source (a build writes into its tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "ui.py"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("assistant", "corpus"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP, "wheel", str(source), "--no-build-isolation", "-w", str(out)],
        check=True,
        timeout=600,
        env={**os.environ, **PIP_ENV},
    )
    (built,) = out.glob("news_assistant-*.whl")
    return built


def test_the_wheel_holds_every_module_and_the_corpus(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "assistant").rglob("*.py")}
    assert modules - names == set(), "a package is missing from pyproject's list"
    articles = {f"assistant/corpus/{p.name}" for p in (ROOT / "corpus").iterdir() if p.is_file()}
    assert len(articles) > 10 and articles <= names
    assert {"ui.py", "assistant/py.typed"} <= names


@pytest.mark.slow
def test_ask_on_the_installed_package_finds_its_corpus(wheel: Path, tmp_path: Path):
    """Installed where no corpus/ folder is anywhere near, with no index configured, the
    first `ask()` builds the default index from the packaged articles and answers."""
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", str(wheel), "--target", str(target)],
        check=True,
        timeout=600,
        env={**os.environ, **PIP_ENV},
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"PYTHONPATH": str(target), "XDG_DATA_HOME": str(tmp_path / "data")}
    script = (
        "import json, assistant, assistant.config as c; from assistant import ask; "
        "a = ask('Who founded Mistral?'); "
        "print(json.dumps([assistant.__file__, str(c.BUNDLED_CORPUS), a.text]))"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    module, corpus, answer = json.loads(result.stdout)
    assert Path(module).is_relative_to(target) and Path(corpus) == target / "assistant" / "corpus"
    assert "Arthur Mensch" in answer
    assert (tmp_path / "data" / "news-assistant" / "index" / "catalog.sqlite3").exists()
