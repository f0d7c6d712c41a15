"""report.pdf: the published page printed by headless Chromium (Debian's ``chromium``).

Chromium honours the page's A4 print stylesheet (margins, page numbers, rows kept
whole). It runs with the network off, like a reader's offline copy. Chinese needs a
CJK font on the machine (Debian's ``fonts-noto-cjk``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from kit.exceptions import ExportError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-quic",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--no-pdf-header-footer")


def chromium() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ExportError("生成 PDF 需要 Chromium：请安装 Debian 的 chromium 和 fonts-noto-cjk（apt-get install chromium "
                      "fonts-noto-cjk）")


_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def dated(data: bytes, iso_day: str) -> bytes:
    """The PDF with its creation and modification dates set to ``iso_day`` (the generation date), the only
    bytes in which two prints of the same page differ. Same length: the cross-reference offsets stay valid."""
    stamp = iso_day.replace("-", "").encode() + b"000000"
    return _DATES.sub(lambda m: b"/" + m.group(1) + b" (D:" + stamp, data)


def html_to_pdf(html: str, timeout: int = 180, generated_on: str | None = None) -> bytes:
    """Print ``html`` (a self-contained page) to PDF bytes, dated by ``generated_on`` when given."""
    with tempfile.TemporaryDirectory(prefix="kit-pdf-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [chromium(), *FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ExportError(f"Chromium 生成 PDF 超时（{timeout} 秒）") from None
        if not out.exists() or out.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise ExportError(f"Chromium 未能生成 PDF（退出码 {proc.returncode}）：{' | '.join(tail)}")
        data = out.read_bytes()
        return data if generated_on is None else dated(data, generated_on)
