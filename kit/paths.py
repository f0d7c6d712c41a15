"""Every path the kit uses, anchored at the project root (one place, no "../")."""

from __future__ import annotations

import os
import re
from pathlib import Path

from kit.exceptions import PathError

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def project_root() -> Path:
    """The project root: ``$KIT_ROOT`` if set, else the folder holding ``notebooks/``."""
    env = os.environ.get("KIT_ROOT")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parent


def params_dir() -> Path:
    """The project's ``params/`` folder."""
    return project_root() / "params"


def default_params_dir() -> Path:
    """Where ``kit validate`` / ``kit batch`` look without an argument: ``params/`` of the
    current directory when there is one, else the project's (always the project's when
    ``$KIT_ROOT`` names the project explicitly)."""
    here = Path.cwd() / "params"
    return here if here.is_dir() and not os.environ.get("KIT_ROOT") else params_dir()


def shown(path: Path | str) -> str:
    """A path as the CLI prints it: correct from the current directory (relative to it when
    below it, else absolute). A name relative to the project root is read from there."""
    path = Path(path)
    if not path.is_absolute() and not path.exists() and (project_root() / path).exists():
        path = project_root() / path
    path = Path(os.path.abspath(path))
    try:
        return path.relative_to(Path(os.path.abspath(Path.cwd()))).as_posix()
    except ValueError:
        return path.as_posix()


def input_path(path: Path | str) -> Path:
    """A file the user names: as given when it exists from the working directory (or is absolute),
    else relative to the project root when it exists there, so ``params/…`` works from the project
    root and from ``notebooks/`` (the notebook's folder) alike."""
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    rooted = project_root() / path
    return rooted if rooted.exists() else path


def output_dir() -> Path:
    """The project's ``output/`` folder."""
    return project_root() / "output"


def master_notebook() -> Path:
    """The master notebook every report executes."""
    return project_root() / "notebooks" / "report.ipynb"


def lock_file() -> Path:
    """The project's ``requirements.lock`` (one of every report's inputs)."""
    return project_root() / "requirements.lock"


_AGENCY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def report_dir(agency_id: str, year: int, root: Path | None = None) -> Path:
    """``output/<agency>/<year>/``: where one agency-year's report is published."""
    if not _AGENCY_ID.match(agency_id):
        raise PathError(f"单位标识 {agency_id!r} 不能用作输出目录名（只允许小写字母、数字、- 和 _）")
    return (root or output_dir()) / agency_id / str(year)


def relative_to_root(path: Path) -> str:
    """A path as the kit names it: relative to the project root when inside it,
    else relative to the working directory (or absolute when it is not below it)."""
    path = Path(os.path.abspath(path))  # normalised, but a published report's link is not followed
    try:
        return path.relative_to(project_root()).as_posix()
    except ValueError:
        try:
            return path.relative_to(Path(os.path.abspath(Path.cwd()))).as_posix()
        except ValueError:
            return path.as_posix()


def recorded_name(path: Path) -> str:
    """A path as the audit record names it, whatever the working directory: relative to the
    project root when inside it, else absolute."""
    path = Path(os.path.abspath(path))
    try:
        return path.relative_to(project_root()).as_posix()
    except ValueError:
        return path.as_posix()


def recorded_path(name: str) -> Path:
    """The file a record names (see :func:`recorded_name`)."""
    path = Path(name)
    return path if path.is_absolute() else project_root() / path
