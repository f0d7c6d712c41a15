"""``kit``: a thin command-line layer over the library.

Library errors become one-line messages and an exit code per kind of failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kit import cli_zh, paths
from kit.exceptions import KitError, ParamsError, ValidationFailed, checked_summary

INTERRUPTED = 130  # what a shell reports for a command stopped by Ctrl-C (128 + SIGINT)


def _fail(exc: KitError) -> None:
    click.echo(str(exc), err=True)
    sys.exit(exc.exit_code)


def run_options(func):
    """The options of RunOptions, shared by ``kit run`` and ``kit batch`` (same names as the library's)."""
    func = click.option("--timeout", type=int, default=600, show_default=True, metavar="SECONDS",
                        help="每个单元格的时间上限（秒）")(func)
    func = click.option("--replace-approved", is_flag=True,
                        help="覆盖已审核的版本（默认拒绝；新版本的状态为 审核后已变更）")(func)
    return click.option("--output", type=cli_zh.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
                        help="输出根目录（默认：项目的 output/）")(func)


@click.group(cls=cli_zh.Group)
@click.version_option(package_name="kit", prog_name="kit", help=cli_zh.gettext("Show the version and exit."))
def main() -> None:
    """政府信息公开工作年度报告：参数文件 → 校验 → 执行笔记本 → 发布 HTML。"""


@main.command()
@click.argument("params_file", type=cli_zh.Path(exists=True, dir_okay=False, path_type=Path))
@run_options
def run(params_file: Path, output: Path | None, timeout: int, replace_approved: bool) -> None:
    """执行一个单位一个年度的报告：PARAMS_FILE → output/<单位>/<年度>/（发布格式由项目设置 [tool.kit] formats 决定）"""
    from kit.api import RunOptions, run_report

    try:
        result = run_report(params_file, RunOptions(output=output, timeout=timeout,
                                                    replace_approved=replace_approved))
    except KitError as exc:
        _fail(exc)
    for w in result.warnings:
        click.echo(_located(str(w), w.file), err=True)
    for path in result.files or [result.html]:
        if path.name not in {result.notebook.name, "run.json"}:
            click.echo(f"已发布 {_show(path)}（{path.stat().st_size / 1024:.1f} KB）")
    click.echo(f"执行记录 {_show(result.notebook)}")
    click.echo(f"用时 {result.seconds:.1f} 秒")


@main.command(help="重新生成 PARAMS_DIR（默认：当前目录下的 params/，没有时用项目的 params/）"
                   "下每个单位每个年度的报告；某个失败不影响其他。")
@click.argument("params_dir", required=False, type=cli_zh.Path(exists=True, file_okay=False, path_type=Path))
@run_options
@click.option("--force", is_flag=True, help="输入没有变化的报告也重新生成")
@click.option("--workers", type=int, default=None, metavar="N", help="同时运行的报告数（默认：CPU 核数）")
@click.option("--scheduler", metavar="ADDRESS", default=None, help="在 Dask 集群上运行（需要 kit[dask]）")
@click.option("--kernel", type=click.Choice(["fork", "stock"]), default="fork", show_default=True,
              help="fork：内核由预载了依赖的 fork 服务器派生（更快）；stock：每个报告标准启动内核")
@click.option("--ahead/--no-ahead", default=True, show_default=True,
              help="fork 内核时，每个进程提前为下一个报告启动内核")
def batch(params_dir: Path | None, output: Path | None, timeout: int, replace_approved: bool, force: bool,
          workers: int | None, scheduler: str | None, kernel: str, ahead: bool) -> None:
    """Regenerate every agency-year under PARAMS_DIR (the help text is the decorator's)."""
    from contextlib import nullcontext

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from kit.api import RunOptions
    from kit.batch import Outcome, dask_executor, run_batch

    console = Console(stderr=True)
    progress = Progress(TextColumn("报告"), BarColumn(), MofNCompleteColumn(), TextColumn("失败 {task.fields[failed]}"),
                        TextColumn("已用"), TimeElapsedColumn(), TextColumn("预计剩余"), TimeRemainingColumn(),
                        console=console, disable=not console.is_terminal)
    task = progress.add_task("batch", total=None, failed=0)
    failed = 0

    def started(total: int) -> None:
        progress.update(task, total=total)

    def report(o: Outcome) -> None:
        nonlocal failed
        failed += not o.ok
        progress.update(task, advance=1, failed=failed)
        line = f"{o.label} {_show(o.params_file)}" + (f"（{o.seconds:.1f} 秒）" if o.status == "published" else "")
        # every file it published
        files = (f"    {_show(path)}" for path in (o.files if o.status == "published" else ()))
        for text in (line, *files, *(f"    {_located(w, o.params_file)}" for w in o.warnings)):
            progress.console.print(text, markup=False, highlight=False) if console.is_terminal else click.echo(text)

    if params_dir is None:
        params_dir = paths.default_params_dir()
        click.echo(f"参数目录 {_show(params_dir)}")
    try:
        with (dask_executor(scheduler) if scheduler else nullcontext(None)) as executor, progress:
            result = run_batch(params_dir, RunOptions(output=output, timeout=timeout,
                                                      replace_approved=replace_approved), force=force,
                               executor=executor, workers=workers, kernel=kernel, ahead=ahead, on_start=started,
                               on_outcome=report)
    except KitError as exc:
        _fail(exc)
    except KeyboardInterrupt:  # before the batch started its reports
        click.echo("已中断（Ctrl-C）：没有报告开始运行", err=True)
        sys.exit(INTERRUPTED)
    index = f"总览 {_show(result.index)}" if result.index else f"总览未能写入：{result.index_error}"
    click.echo(f"共 {len(result.outcomes)} 个报告：已发布 {result.count('published')}，"
               f"未变化 {result.count('unchanged')}，"
               f"失败 {result.count('failed')}，参数无效 {result.count('invalid')}，"
               + (f"已审核未覆盖 {result.count('refused')}，" if result.count("refused") else "") +
               f"警告 {sum(len(o.warnings) for o in result.outcomes)}；{index}")
    for o in result.outcomes:
        if not o.ok:
            click.echo(f"— {o.label} {_show(o.params_file)}：{o.message}", err=True)
            for e in o.errors:
                click.echo(f"    {_located(e, o.params_file)}", err=True)
    if result.interrupted:
        cut = result.count("interrupted")
        click.echo(f"批处理已中断（Ctrl-C）：{len(result.outcomes) - cut} 个报告已完成，{cut} 个未完成", err=True)
        sys.exit(INTERRUPTED)
    if not result.ok or result.index is None:
        sys.exit(1)


@main.command()
@click.argument("paths_", metavar="[PATHS]...", nargs=-1, type=cli_zh.Path(exists=True, path_type=Path))
def validate(paths_: tuple[Path, ...]) -> None:
    """校验参数文件（默认：当前目录下的 params/，没有时用项目的 params/）；有错误时退出码非零。"""
    from kit.check.validate import validate_files
    from kit.read.discover import clash_message, param_files

    if not paths_:
        paths_ = (paths.default_params_dir(),)
        click.echo(f"参数目录 {_show(paths_[0])}")
    files = [f for root in paths_ for f in param_files(root)]
    checked = validate_files(files)
    for result in checked.results.values():
        if isinstance(result, ParamsError):
            click.echo(f"错误 {_located(str(result), result.file)}", err=True)
            continue
        for p in result.problems:
            click.echo(_located(str(p), p.file), err=p.severity == "error")
    for group in checked.clashes:
        click.echo(f"错误 {clash_message(group)}", err=True)
    n_err = checked.n_errors
    n_ack = sum(len(r.acknowledged) for r in checked.results.values() if not isinstance(r, ParamsError))
    click.echo(checked_summary(len(files), n_err, checked.n_warnings, n_ack))
    if n_err:
        sys.exit(ValidationFailed.exit_code)  # what `kit run` exits with for the same file


@main.command()
@click.argument("agency")
@click.argument("year", type=int)
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@click.option("--xlsx", is_flag=True,
              help="生成 Excel 工作簿 AGENCY-YEAR.xlsx（当前目录）而不是参数文件；填好后用 kit import 导入")
def new(agency: str, year: int, force: bool, xlsx: bool) -> None:
    """为单位 AGENCY 的 YEAR 年度生成参数文件 params/AGENCY/YEAR.yaml（含全部字段和中文标签）。"""
    from kit.read.new import new_params, new_workbook

    try:
        target = new_workbook(agency, year, Path(f"{agency}-{year}.xlsx"), force=force) if xlsx \
            else new_params(agency, year, force=force)
    except KitError as exc:
        _fail(exc)
    click.echo(f"已生成 {_show(target)}")


@main.command(name="import")
@click.argument("source", type=cli_zh.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", required=False, type=click.Choice(["-"]), metavar="[-]")
@click.option("--agency", help="单位标识（输出目录名，如 pingtan）：已发布的报告须给出；工作簿已有，给出时须相同")
@click.option("--year", type=int, help="应是哪一年度的报告；年度不符时拒绝")
@click.option("-o", "--output", help="写到这个文件；“-”只打印到屏幕（默认 params/<单位>/<年度>.yaml）")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
def import_cmd(source: Path, out: str | None, agency: str | None, year: int | None, output: str | None,
               force: bool) -> None:
    """把 SOURCE 导入为参数文件 params/<单位>/<年度>.yaml 并校验（按文件类型选择读取方式）：kit new --xlsx
    生成的工作簿（.xlsx），或已发布的报告（网页 .html/.htm、Word .docx）；写 - 则只打印到屏幕。
    问题指明原文件中的位置（如 表三!D12）；数据不合参数格式时不写入；有错误时退出码为 3。"""
    from kit.read.imports import import_source

    printing = out == "-" or output == "-"
    try:
        result = import_source(source, agency=agency, year=year, output="-" if printing else output, force=force)
    except KitError as exc:
        _fail(exc)
    if printing and result.readable:
        click.echo(result.text, nl=False)
    for p in result.unread + result.validated.problems:
        click.echo(_located(str(p), p.file), err=True)
    if result.target is not None:
        click.echo(f"已导入 {_show(source)} → {_show(result.target)}")
    elif not result.readable:
        click.echo("未写入参数文件：请在原文件中改正上面的错误后重新导入", err=True)
    errors, unread = len(result.validated.errors), len(result.unread)
    click.echo((f"未能读取 {unread} 项（已留空，见文件开头）；" if unread else "")
               + f"校验：{errors} 个错误，{len(result.validated.warnings)} 个警告", err=printing)
    if errors:
        sys.exit(ValidationFailed.exit_code)


HELP_WIDTH = 100  # the width docs/cli.md is written at, whatever the terminal


def cli_reference() -> str:
    """docs/cli.md: every command's ``--help``, as the kit prints it."""
    with cli_zh.installed():
        return _help_pages()


def _help_pages() -> str:
    parts = ["# kit 命令参考", "", "本文件由 `kit docs` 根据各命令的 `--help` 生成，请勿手工修改。", ""]
    root = click.Context(main, info_name="kit", terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH)
    commands = [(root, "kit")] + [(click.Context(main.commands[name], info_name=name, parent=root), f"kit {name}")
                                  for name in sorted(main.commands)]
    for ctx, title in commands:
        parts += [f"## {title}", "", "```", ctx.command.get_help(ctx), "```", ""]
    return "\n".join(parts)


def generated_docs() -> dict[Path, str]:
    """The files ``kit docs`` writes, with their text."""
    from kit.spec.schema_doc import reference

    folder = paths.project_root() / "docs"
    return {folder / "params.md": reference(), folder / "cli.md": cli_reference()}


@main.command()
@click.option("--check", is_flag=True, help="只检查 docs/params.md 和 docs/cli.md 是否最新；过期时退出码为 1")
def docs(check: bool) -> None:
    """由参数模式生成参数文件说明 docs/params.md，由各命令的 --help 生成命令参考 docs/cli.md。"""
    for target, text in generated_docs().items():
        if check:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                click.echo(f"{_show(target)} 已过期：请运行 kit docs", err=True)
                sys.exit(1)
            click.echo(f"{_show(target)} 是最新的")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(f"已生成 {_show(target)}")


@main.command(name="verify")
@click.argument("report_dirs", metavar="REPORT_DIR...", nargs=-1, required=True,
                type=cli_zh.Path(exists=True, file_okay=False, path_type=Path))
def verify_cmd(report_dirs: tuple[Path, ...]) -> None:
    """按记录所列的输入（参数文件、已安装的 kit 和主笔记本）重新生成已发布的报告，逐个文件比较
    （0 一致，1 不一致，2 输入已改变或用不同版本生成）。不执行报告目录中的任何代码。"""
    from kit.audit.verify import verify

    codes = []
    for report_dir in report_dirs:
        try:
            v = verify(report_dir)
        except KitError as exc:
            click.echo(f"{report_dir}：{exc}")
            codes.append(exc.exit_code)
            continue
        click.echo(f"{v.report}：{VERIFY_WORDS[v.status]}")
        for line in [*v.chain, *v.parts, *(f"单元格 {cid} 的输出不同" for cid in v.cells), *v.figures, *v.versions,
                     *v.approval]:
            click.echo(f"  {line}")
        if v.inputs:
            click.echo("  与发布时相比：")
            for line in v.inputs:
                click.echo(f"    {line}")
        codes.append(v.exit_code)
    sys.exit(1 if 1 in codes else max(codes))


@main.command()
@click.argument("report_dir", type=cli_zh.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--by", "by", required=True, metavar="NAME", help="审核人姓名")
@click.option("--role", type=click.Choice(["审核", "签发"]), default="审核", show_default=True, help="审核角色")
@click.option("--note", default="", metavar="TEXT", help="审核意见")
def approve(report_dir: Path, by: str, role: str, note: str) -> None:
    """审核已发布的报告 REPORT_DIR（output/<单位>/<年度>）：在 <年度>.approvals.jsonl 追加一条记录
    （审核人、角色、UTC 时间、意见、各发布文件的 sha256、输入键、前一条记录的哈希）。"""
    from kit.audit import approvals

    try:
        approval = approvals.approve(report_dir, by, role, note)
    except KitError as exc:
        _fail(exc)
    click.echo(f"已审核 {_show(report_dir)}：{approval.summary()}，{len(approval.files)} 个文件"
               f"（记录 {_show(approvals.log_path(report_dir))} 第 {approval.seq} 行）")


VERIFY_WORDS = {"reproduced": "一致：由记录的输入重新生成，各文件逐字节相同（执行时间除外）",
                "differs": "不一致", "inputs-changed": "输入已改变，无法按记录核对",
                "other-version": "用不同版本生成，无法按记录核对"}


@main.command(name="diff")
@click.argument("a", type=cli_zh.Path(exists=True, path_type=Path))
@click.argument("b", type=cli_zh.Path(exists=True, path_type=Path))
def diff_cmd(a: Path, b: Path) -> None:
    """比较两个年度（参数文件或已发布的报告目录）：变化的表格数字，各部分正文的相似度。"""
    from kit.audit.diff import SIMILARITY_LIMIT, diff

    try:
        d = diff(a, b)
    except KitError as exc:
        _fail(exc)
    click.echo(f"表格数字变化（{_show(a)} → {_show(b)}）：{len(d.figures)} 处")
    for label, va, vb in d.figures:
        click.echo(f"  {label}：{va} → {vb}")
    for label in d.only_a:
        click.echo(f"  仅见于前者：{label}")
    for label in d.only_b:
        click.echo(f"  仅见于后者：{label}")
    click.echo(f"正文相似度（超过 {SIMILARITY_LIMIT:.0%} 时标出）：")
    for part in d.parts:
        flag = "  ⚠ 与上年雷同" if part.flagged else ""
        click.echo(f"  {part.title}：{part.ratio:.1%}{flag}")


def _show(path: Path | str) -> str:
    return paths.shown(path)


def _located(line: str, name: str) -> str:
    """A message that starts with a file's name (as the kit names it), with the name as the CLI
    prints it: correct from the current directory."""
    return _show(name) + line[len(name):] if name and line.startswith(name) else line


if __name__ == "__main__":  # pragma: no cover
    main()
