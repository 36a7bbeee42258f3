"""scripts/system_packages.py: what `make install` and .ci/run check before anything else."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.support.system_packages import SCRIPT, load_script


@pytest.fixture
def script() -> ModuleType:
    return load_script()


def _needs(script: ModuleType, absent: set[str]) -> list[Any]:
    """The script's real needs, with the ``absent`` packages probing as missing until "installed"."""
    return [
        script.Need(package, f"why {package}", lambda package=package: package not in absent)
        for package in ("libpango-1.0-0", "libharfbuzz-subset0", "chromium")
    ]


def test_a_missing_package_stops_with_the_exact_apt_command(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(script.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(script.shutil, "which", lambda name: f"/usr/bin/{name}")
    ran: list[list[str]] = []
    monkeypatch.setattr(script.subprocess, "run", lambda command, **_kw: ran.append(command))
    assert script.main(["--install"], _needs(script, {"libharfbuzz-subset0"})) == 1
    error = capsys.readouterr().err
    assert "libharfbuzz-subset0  why libharfbuzz-subset0" in error
    assert "sudo apt-get update && sudo apt-get install -y libharfbuzz-subset0\n" in error
    assert ran == []  # not root: nothing is run, the user is told what to run


def test_as_root_with_apt_the_missing_packages_are_installed(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = {"libharfbuzz-subset0", "chromium"}
    ran: list[list[str]] = []

    def apt(command: list[str], **_kwargs: Any) -> None:
        ran.append(command)
        if command[1] == "install":
            absent.clear()

    monkeypatch.setattr(script.os, "geteuid", lambda: 0)
    monkeypatch.setattr(script.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(script.subprocess, "run", apt)
    assert script.main(["--install"], _needs(script, absent)) == 0
    assert ran == [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "libharfbuzz-subset0", "chromium"],
    ]


def test_as_root_without_install_the_command_has_no_sudo(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(script.os, "geteuid", lambda: 0)
    monkeypatch.setattr(script.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert script.main([], _needs(script, {"chromium"})) == 1
    assert "  apt-get update && apt-get install -y chromium\n" in capsys.readouterr().err


def test_nothing_missing_is_silent_success(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(script.subprocess, "run", lambda *_a, **_kw: pytest.fail("nothing to install"))
    assert script.main(["--install"], _needs(script, set())) == 0
    assert capsys.readouterr() == ("", "")


def test_the_script_runs_on_its_own_and_names_each_need() -> None:
    # Standard library only: it runs with the system's python before .venv exists. Whatever this
    # machine has, it exits 0 (all present) or 1 with the command, never with a traceback.
    result = subprocess.run([sys.executable, "-S", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == 1:
        assert "apt-get install -y" in result.stderr or "package manager" in result.stderr
    script = load_script()
    assert {need.package for need in script.NEEDS} >= {
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libharfbuzz-subset0",
        "fonts-thai-tlwg",
        "poppler-utils",
        "chromium",
        "nodejs",
        "npm",
    }
