"""The language-model side of isabench: a task-agnostic runner (prompts in, completions out) and the embedded model.

Kept import-light on purpose: `import llm` must not pull in torch (the CLI imports lazily).
"""
from __future__ import annotations

from pathlib import Path

# The small model trained for isabench and shipped inside the package; filled by `isabench train`.
DEFAULT_MODEL_DIR = Path(__file__).parent / "default_model"
