"""Load scripts/system_packages.py (a script, not a package) for the tests and the run's header."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system_packages.py"


def load_script() -> ModuleType:
    if "system_packages" in sys.modules:
        return sys.modules["system_packages"]
    spec = importlib.util.spec_from_file_location("system_packages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["system_packages"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module
