"""``import _repo`` first in a script run as ``python bench/NAME.py``: puts the repository on
``sys.path``, so the script imports ``assistant``, ``bench.support``… from this checkout."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
