#!/usr/bin/env python3
"""Check the system packages the platform and its tests need; with --install, install what is missing.

    python3 scripts/system_packages.py [--install]

`make install` and `.ci/run` both run it. Each need is a Debian package, found by probing what
the platform uses (a shared library, a program, a Thai font), so a machine that has it another
way passes too. With --install, as root on a machine with apt-get, the missing packages are
installed (apt-get update first); otherwise it prints the exact command to run and exits 1.
Standard library only: it runs before the virtual environment exists.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    package: str  # the Debian package that provides it
    why: str
    present: Callable[[], bool]


def library(*names: str) -> Callable[[], bool]:
    """True when one of the shared libraries loads (as WeasyPrint loads them)."""

    def probe() -> bool:
        for name in names:
            try:
                ctypes.CDLL(name)
            except OSError:
                continue
            return True
        return False

    return probe


def programs(*names: str) -> Callable[[], bool]:
    """True when every program is on the PATH."""
    return lambda: all(shutil.which(name) for name in names)


def chromium() -> bool:
    # The browser tests drive the chromium at ACADEMY_CHROMIUM (tests/browser/live.py), Debian's by default.
    path = os.environ.get("ACADEMY_CHROMIUM", "/usr/bin/chromium")
    return os.path.exists(path) or bool(shutil.which(path))


def thai_font() -> bool:
    """True when fontconfig knows a font that covers Thai (the PDFs' fallback for Sarabun)."""
    if not shutil.which("fc-list"):
        return False
    listing = subprocess.run(["fc-list", ":lang=th", "family"], capture_output=True, text=True, check=False)
    return bool(listing.stdout.strip())


def venv() -> bool:
    # Debian's python3 lacks ensurepip, which `python3 -m venv` needs, until python3-venv is installed.
    return importlib.util.find_spec("ensurepip") is not None


NEEDS = [
    Need("python3-venv", "python3 -m venv, for .venv", venv),
    Need("nodejs", "Node.js, for the npm packages (Sarabun, Chart.js, Swagger UI)", programs("node")),
    Need("npm", "npm, which fetches those packages", programs("npm")),
    Need("libpango-1.0-0", "Pango, with which WeasyPrint lays out the PDFs", library("libpango-1.0.so.0")),
    Need("libpangoft2-1.0-0", "PangoFT2, WeasyPrint's fonts", library("libpangoft2-1.0.so.0")),
    Need(
        "libharfbuzz-subset0",
        "HarfBuzz's subsetter: WeasyPrint embeds only the glyphs a PDF uses (and warns without it)",
        library("libharfbuzz-subset.so.0"),
    ),
    Need("fonts-thai-tlwg", "Thai fonts, the PDFs' fallback when the Sarabun files are missing", thai_font),
    Need("poppler-utils", "pdftotext and pdfinfo: the tests read the PDFs back", programs("pdftotext", "pdfinfo")),
    Need("chromium", "Chromium, which the browser tests drive", chromium),
]


def missing(needs: Sequence[Need]) -> list[Need]:
    return [need for need in needs if not need.present()]


def apt_command(packages: Sequence[str], *, root: bool) -> str:
    """The command that installs the packages, as the user should type it."""
    sudo = "" if root else "sudo "
    names = " ".join(shlex.quote(package) for package in packages)
    return f"{sudo}apt-get update && {sudo}apt-get install -y {names}"


def install(packages: Sequence[str]) -> None:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=environment)


def main(argv: Sequence[str] | None = None, needs: Sequence[Need] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    needs = NEEDS if needs is None else needs
    absent = missing(needs)
    if not absent:
        return 0
    packages = [need.package for need in absent]
    root = os.geteuid() == 0
    can_install = root and shutil.which("apt-get") is not None
    if "--install" in args and can_install:
        print(f"system packages: installing {' '.join(packages)}", flush=True)
        install(packages)
        absent = missing(absent)
        if not absent:
            return 0
        # Installed, yet not found: a probe and its package disagree on this system.
        for need in absent:
            print(f"system packages: {need.package} is installed but not found ({need.why})", file=sys.stderr)
        return 1
    print("Missing system packages:", file=sys.stderr)
    for need in absent:
        print(f"  {need.package:20} {need.why}", file=sys.stderr)
    if shutil.which("apt-get"):
        print(f"Install them with:\n  {apt_command(packages, root=root)}", file=sys.stderr)
    else:
        print("Install these (Debian package names) with your system's package manager.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
