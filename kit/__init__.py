"""The reproducible report kit for 政府信息公开工作年度报告."""

__version__ = "0.1.0"

import importlib
from typing import Any

__all__ = ["Report", "__version__", "load_report", "run_report", "show"]

# What `import kit` offers the notebook, loaded on first use: importing any kit module imports this
# package first, and the CLI, the batch driver and its unchanged path need neither pandas (the
# report's frames) nor papermill and nbconvert (running and exporting a report).
_LAZY = {"show": ("kit.show", None), "Report": ("kit.content.report", "Report"),
         "load_report": ("kit.content.report", "load_report"), "run_report": ("kit.api", "run_report")}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kit' has no attribute {name!r}")
    module, attr = _LAZY[name]
    loaded = importlib.import_module(module)
    return loaded if attr is None else getattr(loaded, attr)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
