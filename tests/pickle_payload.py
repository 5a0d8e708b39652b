"""A hostile pickle for tests: unpickling a RunsCode runs `touch <marker>` (issue 24's reproduction)."""
from __future__ import annotations


class RunsCode:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))
