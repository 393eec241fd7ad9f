"""Dockerfile, CI script and .gitignore keep the properties the README promises."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The README's fenced test command; `.ci/run` must run exactly this.
README_TEST_COMMAND = 'python -m pip install -e ".[dev]" && python -m pytest'


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "Dockerfile ends inside a line continuation"
    result: list[tuple[str, str]] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def instruction_args(keyword: str) -> list[str]:
    return [args for key, args in dockerfile_instructions() if key == keyword]


def exec_form(args: str) -> list[str]:
    """Parse a JSON-array (exec form) argument list; fail if it is shell form."""
    assert args.startswith("["), f"not exec form: {args}"
    parsed = json.loads(args)
    assert isinstance(parsed, list)
    assert all(isinstance(item, str) for item in parsed)
    return [str(item) for item in parsed]


def test_base_image_is_pinned_slim_python_311() -> None:
    froms = instruction_args("FROM")
    assert froms, "no FROM"
    for image in froms:
        name = image.split()[0]
        assert ":" in name, f"{name} has no tag"
        tag = name.rsplit(":", 1)[1]
        assert "latest" not in tag
        assert re.match(r"^3\.11\.\d+-slim", tag), f"{name}: want an exact 3.11.x slim tag"


def test_runs_as_numeric_non_root_user() -> None:
    users = instruction_args("USER")
    assert users, "no USER: the container would run as root"
    final = users[-1]
    assert re.fullmatch(r"\d+(:\d+)?", final), f"USER {final} is not numeric"
    assert int(final.split(":")[0]) != 0


def test_healthcheck_is_exec_form_module() -> None:
    (args,) = instruction_args("HEALTHCHECK")
    options, sep, command = args.partition("CMD ")
    assert sep, "HEALTHCHECK without CMD"
    assert "--start-period=" in options
    assert exec_form(command.strip()) == ["python", "-m", "bot.healthcheck"]


def test_cmd_is_exec_form() -> None:
    cmds = instruction_args("CMD")
    assert cmds, "no CMD"
    assert exec_form(cmds[-1]) == ["python", "-m", "bot"]


def test_data_volume_and_database_path() -> None:
    volumes = " ".join(instruction_args("VOLUME"))
    assert "/data" in volumes
    envs = " ".join(instruction_args("ENV"))
    assert "DATABASE_PATH=/data/bot.sqlite3" in envs
    for name in (
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONUNBUFFERED=1",
        "PIP_NO_CACHE_DIR=1",
        "PIP_DISABLE_PIP_VERSION_CHECK=1",
    ):
        assert name in envs
    runs = " ".join(instruction_args("RUN"))
    assert "chown 10001" in runs


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    lines = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    entries = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    for needed in (".git", ".env", "data", "tests", ".mypy_cache", ".pytest_cache"):
        assert needed in entries, f".dockerignore lacks {needed}"


def test_ci_script_is_executable_and_runs_the_readme_command() -> None:
    script = REPO_ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK), ".ci/run is not executable"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert README_TEST_COMMAND in text
    assert re.search(r"\b5\b", text), ".ci/run must treat pytest exit code 5 as failure"
    for tool in ("ruff check .", "ruff format --check .", "mypy", "hadolint Dockerfile"):
        assert tool in text


def test_readme_test_command_matches() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    if "```" not in readme:
        pytest.skip("README.md has no fenced blocks yet")
    blocks = re.findall(r"```[^\n]*\n(.*?)```", readme, flags=re.DOTALL)
    lines = {line.strip() for block in blocks for line in block.splitlines()}
    assert README_TEST_COMMAND in lines, "README's test command differs from .ci/run's"


@pytest.mark.parametrize("pattern", [".env", "*.sqlite3"])
def test_gitignore_ignores(pattern: str) -> None:
    lines = (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert pattern in {line.strip() for line in lines}
