"""scripts/gen_docs.py as a module (it is a script, not part of the package), for the tests that
walk the live command tree with it or check what it generates."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load():
    if "gen_docs" not in sys.modules:
        spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["gen_docs"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["gen_docs"]
