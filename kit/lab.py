"""``make lab``: JupyterLab at the project root with the master notebook and the analyst's parameter file open.

JupyterLab opens what its *workspace* lists; this module writes that workspace (the notebook and,
when given, the parameter file side by side). ``make lab PARAMS=params/<agency>/<year>.yaml``
imports it and exports ``KIT_PARAMS``, which the notebook reads when its ``params_file`` is None.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kit import paths

WORKSPACE = "kit"
NOTEBOOK = "notebooks/report.ipynb"


def workspace(params_file: str | None) -> dict[str, Any]:
    """The JupyterLab workspace ``kit``: the master notebook, and the parameter file (a path
    relative to the project root) in a text editor beside it."""
    widgets = [f"notebook:{NOTEBOOK}"]
    data: dict[str, Any] = {f"notebook:{NOTEBOOK}": {"data": {"path": NOTEBOOK, "factory": "Notebook"}}}
    if params_file:
        widgets.append(f"editor:{params_file}")
        data[f"editor:{params_file}"] = {"data": {"path": params_file, "factory": "Editor"}}
    dock = {"type": "split-area", "orientation": "horizontal", "sizes": [0.6, 0.4],
            "children": [{"type": "tab-area", "currentIndex": 0, "widgets": [w]} for w in widgets]}
    layout = {"main": {"dock": dock, "current": widgets[0]},
              "left": {"collapsed": False, "visible": True, "current": "filebrowser"}}
    return {"data": {"layout-restorer:data": layout, **data}, "metadata": {"id": WORKSPACE}}


def params_argument(value: str) -> str | None:
    """``PARAMS`` of ``make lab`` as a path relative to the project root: None when it names no
    file (``make reports``'s default, the folder ``params``)."""
    path = paths.input_path(value)
    if not path.is_file():
        return None
    return paths.recorded_name(path)


def main(argv: list[str]) -> int:
    """``python -m kit.lab PARAMS``: print the workspace's JSON (for ``jupyter lab workspaces import``)."""
    params = params_argument(argv[0]) if argv else None
    if argv and params is None and Path(argv[0]).suffix in {".yaml", ".yml"}:
        print(f"参数文件不存在：{argv[0]}", file=sys.stderr)
        return 2
    print(json.dumps(workspace(params), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
