"""The reproducible report kit for 政府信息公开工作年度报告."""

__version__ = "0.1.0"

from typing import Any

from kit import show
from kit.content.report import Report, load_report

__all__ = ["Report", "__version__", "load_report", "run_report", "show"]


def __getattr__(name: str) -> Any:
    # run_report pulls in papermill/nbconvert: only on demand, so the kernel's
    # `import kit` stays light.
    if name == "run_report":
        from kit.api import run_report

        return run_report
    raise AttributeError(name)
