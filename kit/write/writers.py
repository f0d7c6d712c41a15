"""The published files of a report, one writer per format, in a small registry.

A writer takes the executed report (its notebook, the report it displays, its run
record, the project's settings) and the files already written for it, and returns
its own file's bytes. ``html`` comes first (the PDF is printed from it); the project
says which others are published (:mod:`kit.project`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import nbformat

from kit.audit.record import AUDIT_NAME
from kit.exceptions import UnknownWriterError
from kit.project import Project
from kit.registry import Registry
from kit.write import export, pdf

if TYPE_CHECKING:  # the record imports the writers for the names of its files
    from kit.audit.record import Record
from kit.content.report import Report


@dataclass(frozen=True)
class Executed:
    """One executed report, as the writers see it."""

    nb: nbformat.NotebookNode
    report: Report
    run: Record
    project: Project


class Writer(Protocol):
    @property
    def name(self) -> str: ...  # read-only: a writer is a frozen dataclass

    @property
    def filename(self) -> str: ...

    def write(self, executed: Executed, written: Mapping[str, bytes]) -> bytes: ...


@dataclass(frozen=True)
class HtmlWriter:
    name: str = "html"
    filename: str = "report.html"

    def write(self, executed: Executed, written: Mapping[str, bytes]) -> bytes:
        return export.to_html(executed.nb, show_version=executed.project.show_version).encode()


@dataclass(frozen=True)
class PdfWriter:
    name: str = "pdf"
    filename: str = "report.pdf"

    def write(self, executed: Executed, written: Mapping[str, bytes]) -> bytes:
        return pdf.html_to_pdf(written[HtmlWriter.filename].decode(), dated=executed.run.generated_on)


@dataclass(frozen=True)
class DocxWriter:
    name: str = "docx"
    filename: str = "report.docx"

    def write(self, executed: Executed, written: Mapping[str, bytes]) -> bytes:
        from kit.write import word  # python-docx is imported only by projects that publish Word

        return word.report_docx(executed.report, executed.run.generated_on, executed.project.docx_charts,
                                html=written[HtmlWriter.filename].decode())


@dataclass(frozen=True)
class AuditWriter:
    """audit.html: the executed notebook for a reviewer (:mod:`kit.audit.view`), beside every report."""

    name: str = "audit"
    filename: str = AUDIT_NAME

    def write(self, executed: Executed, written: Mapping[str, bytes]) -> bytes:
        from kit.audit import view  # the audit module imports the content and checks, not the writers

        html = view.to_html(executed.nb, executed.report, executed.run)
        export.guard(executed.nb, html)
        return html.encode()


_REGISTRY: Registry[Writer] = Registry(lambda writer: writer.name, UnknownWriterError)
register, get, names = _REGISTRY.register, _REGISTRY.get, _REGISTRY.names


for _writer in (HtmlWriter(), PdfWriter(), DocxWriter(), AuditWriter()):
    register(_writer)


def filenames() -> list[str]:
    """The names of the files the registered writers make."""
    return [writer.filename for writer in _REGISTRY]


def for_file(filename: str) -> Writer:
    """The writer of a published file, by its name (report.pdf → the pdf writer)."""
    for writer in _REGISTRY:
        if writer.filename == filename:
            return writer
    raise UnknownWriterError(filename, filenames())
