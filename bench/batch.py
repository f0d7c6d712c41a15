"""Benchmark: kit batch (stock and forked kernels) against the naive loop and the best plain driver.

    .venv/bin/python bench/batch.py            # N = 40, then N = 200 for the driver's memory
    .venv/bin/python bench/batch.py --n 10 --no-large
    .venv/bin/python bench/batch.py --n 10 --formats   # only what report.docx and report.pdf add per report
    .venv/bin/python bench/batch.py --rollup 10 40     # the roll-up: one city, 10 counties of 40 departments
    .venv/bin/python bench/batch.py --rollup 3 10      # the same, scaled down
    .venv/bin/python bench/batch.py --rollup 10 40 --repeat 3   # cold batches alternated 3 times: median ratio

Prints wall times, the ratios a/b, e/b, b/c, where the time per report goes, the
driver's import time and its peak memory. Ratios compare runs made in the same
process on the same machine, never absolute timings across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COLS = ["natural", "commercial", "research", "public_interest", "legal_services", "other"]


def synthetic(agency: str, year: int, rng: random.Random, carry_in: dict | None) -> tuple[dict, dict]:
    """A valid 2021-format file with varied figures; returns it and its carry_out (for next year)."""
    outcomes = {
        "granted": {c: rng.randint(0, 30) for c in COLS[:3]},
        "partial": {"natural": rng.randint(0, 5)},
        "refused": {"third_party": {"natural": rng.randint(0, 3)}},
        "unavailable": {"not_held": {"natural": rng.randint(0, 9), "commercial": rng.randint(0, 2)}},
        "not_processed": {"repeated": {"natural": rng.randint(0, 2)}},
        "other": {"other": {"natural": rng.randint(0, 2)}},
    }
    done = {c: 0 for c in COLS}
    for row in outcomes.values():
        cells = [row] if "natural" in row or "commercial" in row else list(row.values())
        for cells_ in cells:
            for c, v in cells_.items():
                done[c] += v
    carry_in = carry_in or {}
    carry_out = {"natural": rng.randint(0, 3)}
    new = {c: done[c] + carry_out.get(c, 0) - carry_in.get(c, 0) for c in COLS}
    if any(v < 0 for v in new.values()):  # too much carried in: carry more out
        for c in COLS:
            if new[c] < 0:
                carry_out[c] = carry_out.get(c, 0) - new[c]
                new[c] = 0
    data = {
        "year": year,
        "agency": {"id": agency, "name": f"测试县第{agency[-3:]}局", "kind": "department", "self_name": "我局"},
        "overview": {
            "intro": f"{year}年，我局认真贯彻落实《条例》，持续推进政务公开。",
            "proactive": {"categories": [{"name": n, "count": rng.randint(1, 40)}
                                         for n in ("政策文件", "工作动态", "人事信息")]},
            "subsections": [{"title": "主动公开", "text": "围绕中心工作，**及时**公开各类信息。"}],
        },
        "table2": {
            "normative_documents": {"issued": rng.randint(0, 9), "repealed": 0, "in_force": rng.randint(10, 90)},
            "licensing": {"decisions": rng.randint(0, 900)},
            "penalties": {"decisions": rng.randint(0, 90)},
            "fees": {"amount": round(rng.uniform(0, 500), 2)},
        },
        "table3": {"new": new, "carry_in": carry_in, "outcomes": outcomes, "carry_out": carry_out},
        "table4": {"review": {"upheld": rng.randint(0, 2)}},
        "problems": "公开内容的深度和广度还需提升。",
        "other": f"{year}年未收取信息处理费。",
    }
    return data, {c: carry_out.get(c, 0) for c in COLS}


def make_project(base: Path, n: int, seed: int = 7) -> Path:
    """A project root with the real master notebook and lock, and n synthetic agency-years."""
    root = base / f"project-{n}"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "report.ipynb", root / "notebooks")
    shutil.copy(ROOT / "requirements.lock", root)
    rng = random.Random(seed)
    made = 0
    i = 0
    while made < n:
        agency = f"bench-{i:03d}"
        years = [2022, 2023] if i % 4 == 0 and made + 2 <= n else [2023]  # some with a previous year
        carry = None
        for year in years:
            data, carry = synthetic(agency, year, rng, carry)
            folder = root / "params" / agency
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{year}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                 encoding="utf-8")
            made += 1
        i += 1
    return root


def make_tree(base: Path, counties: int, departments: int, rolled_up: bool, seed: int = 7) -> Path:
    """A city, its counties, their departments (2023): with ``rolled_up`` each unit names its parent and each
    government sums its units; without, the same files as independent reports (the baseline)."""
    root = base / f"tree-{counties}x{departments}-{'rollup' if rolled_up else 'plain'}"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "report.ipynb", root / "notebooks")
    shutil.copy(ROOT / "requirements.lock", root)
    rng = random.Random(seed)

    def write(agency: str, data: dict) -> None:
        (root / "params" / agency).mkdir(parents=True, exist_ok=True)
        (root / "params" / agency / "2023.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                            encoding="utf-8")

    def government(agency: str, name: str, parent: str | None) -> dict:
        data, _ = synthetic(agency, 2023, rng, None)
        data["agency"] = {"id": agency, "name": name, "kind": "government", "self_name": "我县"}
        if rolled_up:
            data["rollup"] = {}
            data["overview"]["proactive"] = {"channel": "政府网站"}
            for table in ("table2", "table3", "table4"):
                data.pop(table, None)
            data["overview"].pop("subsections", None)
            data["overview"].pop("intro", None)
            if parent:
                data["agency"]["parent"] = parent
        return data

    write("city", government("city", "测试市人民政府", None))
    for c in range(counties):
        county = f"county{c:02d}"
        write(county, government(county, f"测试市第{c}县人民政府", "city"))
        for d in range(departments):
            agency = f"{county}-dept{d:03d}"
            data, _ = synthetic(agency, 2023, rng, None)
            if rolled_up:
                data["agency"]["parent"] = county
            write(agency, data)
    return root


def rollup_scenario(base: Path, counties: int, departments: int, repeat: int = 1) -> None:
    """(r) the roll-up: cold (against the same files as independent reports), unchanged, one department changed.

    With ``repeat`` > 1 the two cold batches alternate that many times (the output removed before each),
    so the machine's drift falls on both alike, and the median of the rounds' ratios is printed."""
    n = 1 + counties * (1 + departments)
    print(f"(r) roll-up: 1 city, {counties} counties × {departments} departments = {n} reports, 2 workers, forked")
    roots = {rolled_up: make_tree(base, counties, departments, rolled_up) for rolled_up in (False, True)}
    envs = {rolled_up: {**os.environ, "KIT_ROOT": str(root), "PATH": f"{BIN}:{os.environ['PATH']}"}
            for rolled_up, root in roots.items()}
    rounds: list[dict[bool, dict]] = []
    for i in range(repeat):
        walls = {}
        for rolled_up in (False, True):
            shutil.rmtree(roots[rolled_up] / "output", ignore_errors=True)
            walls[rolled_up] = cold = kit_batch(roots[rolled_up], envs[rolled_up], "--fork")
            assert cold["statuses"].count("published") == n, cold["statuses"]
        rounds.append(walls)
        if repeat > 1:
            plain_s, rolled_s = walls[False]["wall"], walls[True]["wall"]
            print(f"(r) round {i + 1}: independent {plain_s:8.2f} s, rolled up {rolled_s:8.2f} s  "
                  f"({100 * (rolled_s / plain_s - 1):+.1f} %)", flush=True)
    root, env = roots[True], envs[True]
    unchanged = kit_batch(root, env, "--fork")
    assert unchanged["statuses"].count("unchanged") == n
    dept = root / "params" / "county00-dept000" / "2023.yaml"
    dept.write_text(dept.read_text(encoding="utf-8").replace("持续推进", "深入推进"), encoding="utf-8")
    changed = kit_batch(root, env, "--fork")
    rerun = sorted(a for a, s in zip(changed["agencies"], changed["statuses"], strict=True) if s == "published")
    plain_cold, rollup_cold = rounds[-1][False], rounds[-1][True]
    median = statistics.median(r[True]["wall"] / r[False]["wall"] for r in rounds)
    print(f"(r) cold, independent reports (baseline)          {plain_cold['wall']:8.2f} s  "
          f"driver peak {plain_cold['maxrss_kb'] / 1024:.0f} MiB")
    print(f"(r) cold, rolled up                                {rollup_cold['wall']:8.2f} s  "
          f"driver peak {rollup_cold['maxrss_kb'] / 1024:.0f} MiB  "
          f"(roll-up adds {100 * (median - 1):+.1f} %"
          + (f", median of {repeat} alternating rounds)" if repeat > 1 else ")"))
    print(f"(r) unchanged                                      {unchanged['wall']:8.2f} s  "
          f"(in-driver {unchanged['seconds']:.2f} s)  driver peak {unchanged['maxrss_kb'] / 1024:.0f} MiB")
    print(f"(r) one department changed                         {changed['wall']:8.2f} s  "
          f"re-run: {', '.join(rerun)}  driver peak {changed['maxrss_kb'] / 1024:.0f} MiB")
    assert rerun == ["city", "county00", "county00-dept000"], rerun


def timed(cmd: list[str], env: dict, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def naive(root: Path, env: dict) -> float:
    """(a) the way without the kit: a shell loop of papermill's CLI, then nbconvert's, per file."""
    out = root / "naive"
    out.mkdir()
    script = (
        'for f in params/*/*.yaml; do name=$(echo "$f" | tr / _); '
        f'"{BIN}/papermill" -p params_file "../$f" --cwd notebooks notebooks/report.ipynb "naive/$name.ipynb" '
        '--log-level ERROR --no-progress-bar && '
        f'"{BIN}/jupyter" nbconvert --to html --no-input "naive/$name.ipynb" --log-level ERROR; done'
    )
    return timed(["bash", "-c", script], env, cwd=root)


PLAIN_DRIVER = r'''
import sys, time, resource
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

def one(f):
    import papermill
    from nbconvert import HTMLExporter
    root = Path(sys.argv[1])
    out = root / "plain" / (f.replace("/", "_") + ".ipynb")
    nb = papermill.execute_notebook(str(root / "notebooks/report.ipynb"), str(out),
                                    parameters={"params_file": "../" + f},
                                    cwd=str(root / "notebooks"), progress_bar=False, kernel_name="python3")
    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(nb)
    out.with_suffix(".html").write_text(html, encoding="utf-8")

if __name__ == "__main__":
    root = Path(sys.argv[1])
    (root / "plain").mkdir(exist_ok=True)
    files = sorted(str(p.relative_to(root)) for p in root.glob("params/*/*.yaml"))
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        list(pool.map(one, files))
'''


def plain(root: Path, env: dict) -> float:
    """(e) the best plain way: papermill + HTMLExporter from one Python process, 2 workers."""
    script = root / "plain_driver.py"
    script.write_text(PLAIN_DRIVER, encoding="utf-8")
    return timed([sys.executable, str(script), str(root)], env)


KIT_DRIVER = r'''
import json, resource, sys, time
from kit.batch import run_batch
t = time.perf_counter()
result = run_batch(workers=2, force="--force" in sys.argv, kernel="fork" if "--fork" in sys.argv else "stock",
                   ahead="--no-ahead" not in sys.argv)
print(json.dumps({"seconds": time.perf_counter() - t, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "statuses": [o.status for o in result.outcomes], "agencies": [o.agency for o in result.outcomes]}))
'''


def kit_batch(root: Path, env: dict, *flags: str) -> dict:
    """(b)/(c)/(d)/(f): kit batch in a process of its own; its wall time and the driver's peak memory."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", KIT_DRIVER, *flags], env=env, check=True, capture_output=True,
                          text=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall"] = time.perf_counter() - start
    return report


FORMAT_SETS = (("html",), ("html", "docx"), ("html", "pdf"), ("html", "pdf", "docx"))


def formats_cost(root: Path, env: dict, n: int) -> None:
    """(h) the project's formats (kit.toml): kit batch --force (forked, ahead) per set.

    Reports the time each format adds per report."""
    walls = {}
    for formats in FORMAT_SETS:
        (root / "kit.toml").write_text(f"formats = {list(formats)!r}\n".replace("'", '"'), encoding="utf-8")
        run = kit_batch(root, env, "--fork", "--force")
        assert run["statuses"].count("published") == n, run["statuses"]
        walls[formats] = run["wall"]
    (root / "kit.toml").unlink()
    base = walls[("html",)]
    for formats, wall in walls.items():
        print(f"(h) kit batch --force, formats {'+'.join(formats):15s} {wall:8.2f} s  "
              f"(+{(wall - base) / n:.2f} s per report over html only)")


def breakdown(root: Path) -> dict[str, float]:
    """Where a report's time goes, from the executed notebooks' papermill records."""
    from kit.write import export

    kernel, imports, cells, export_s, n = 0.0, 0.0, 0.0, 0.0, 0
    for link in sorted((root / "output").glob("*/*")):
        if link.name.startswith(".") or not link.is_symlink():
            continue
        nb = nbformat.read(link / "report.ipynb", as_version=4)
        total = nb.metadata["papermill"]["duration"]
        durations = {c.get("id"): c.metadata.get("papermill", {}).get("duration") or 0 for c in nb.cells}
        kernel += total - sum(durations.values())
        imports += durations.get("load", 0)
        cells += sum(v for k, v in durations.items() if k != "load")
        t = time.perf_counter()
        export.to_html(nb)
        export_s += time.perf_counter() - t
        n += 1
    return {"kernel start": kernel / n, "imports (kit, pandas; validation)": imports / n,
            "execution (other cells)": cells / n, "export (nbconvert)": export_s / n}


KERNEL_MEMORY = r'''
import asyncio, json, os, sys
from kit.run.forkserver import ForkServer
from kit.run.kernel import IPCKernelManager

def memory(pid):
    fields = {}
    for name in ("status", "smaps_rollup"):
        for line in open(f"/proc/{pid}/{name}"):
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "Pss"):
                fields[key] = int(rest.split()[0]) / 1024
    return fields

async def one(cwd):
    km = IPCKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=cwd)
    kc = km.client(); kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    kc.execute("import kit, pandas, matplotlib")
    await asyncio.sleep(2)
    m = memory(km.provisioner.pid)
    kc.stop_channels(); await km.shutdown_kernel(now=True)
    return m

cwd = sys.argv[1]
stock = asyncio.run(one(cwd))
with ForkServer():
    forked = asyncio.run(one(cwd))
print(json.dumps({"stock": stock, "forked": forked}))
'''


def kernel_memory(root: Path, env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-c", KERNEL_MEMORY, str(root / "notebooks")], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def import_time(env: dict) -> float:
    code = "import time; t = time.perf_counter(); import kit.batch, kit.api; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                                text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--large", type=int, default=200, help="N for the second memory measurement")
    parser.add_argument("--no-large", action="store_true")
    parser.add_argument("--formats", action="store_true", help="only (h): what PDF and Word add per report")
    parser.add_argument("--rollup", type=int, nargs=2, metavar=("COUNTIES", "DEPARTMENTS"),
                        help="only (r): the roll-up scenario (one city, its counties, their departments)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="with --rollup: alternate the two cold batches this many times, print the median ratio")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="kit-bench-"))
    try:
        if args.rollup:
            rollup_scenario(base, *args.rollup, repeat=args.repeat)
            return
        root = make_project(base, args.n)
        env = {**os.environ, "KIT_ROOT": str(root), "PATH": f"{BIN}:{os.environ['PATH']}"}
        print(f"N = {args.n} synthetic agency-years (2021 format), 2 workers, {os.cpu_count()} cores")
        if args.formats:
            formats_cost(root, env, args.n)
            return
        imp = import_time(env)
        a = naive(root, env)
        b = kit_batch(root, env)
        c = kit_batch(root, env)
        first = sorted((root / "params").glob("*/*.yaml"))[-1]
        first.write_text(first.read_text(encoding="utf-8").replace("持续推进", "深入推进"), encoding="utf-8")
        d = kit_batch(root, env)
        e = plain(root, env)
        f = kit_batch(root, env, "--fork", "--force", "--no-ahead")
        g = kit_batch(root, env, "--fork", "--force")
        assert f["statuses"].count("published") == g["statuses"].count("published") == args.n
        assert b["statuses"].count("published") == args.n, b["statuses"]
        assert c["statuses"].count("unchanged") == args.n
        print(f"(a) naive loop (papermill CLI + jupyter nbconvert) {a:8.2f} s")
        print(f"(b) kit batch, cold                                {b['wall']:8.2f} s")
        print(f"(c) kit batch, nothing changed                     {c['wall']:8.2f} s  "
              f"(in-driver {c['seconds']:.2f} s)")
        print(f"(d) kit batch, one file changed                    {d['wall']:8.2f} s  "
              f"({d['statuses'].count('published')} re-run)")
        print(f"(e) best plain driver (papermill + HTMLExporter)    {e:8.2f} s")
        print(f"(f) kit batch, forked kernels, no fork-ahead       {f['wall']:8.2f} s")
        print(f"(g) kit batch, forked one report ahead (default)   {g['wall']:8.2f} s")
        print(f"a/b = {a / b['wall']:.2f}   e/b = {e / b['wall']:.2f}   b/c = {b['wall'] / c['wall']:.1f}  "
              f"(c is {100 * c['wall'] / b['wall']:.1f} % of b)")
        print(f"forked:       b/f = {b['wall'] / f['wall']:.2f} (vs stock kernels)   e/f = {e / f['wall']:.2f} "
              f"(vs the best plain driver)   a/f = {a / f['wall']:.2f}")
        print(f"forked ahead: b/g = {b['wall'] / g['wall']:.2f} (vs stock kernels)   e/g = {e / g['wall']:.2f} "
              f"(vs the best plain driver)   a/g = {a / g['wall']:.2f}")
        mem = kernel_memory(root, env)
        print(f"kernel memory after imports: stock RSS {mem['stock']['VmRSS']:.0f} MiB (PSS {mem['stock']['Pss']:.0f}),"
              f" forked RSS {mem['forked']['VmRSS']:.0f} MiB"
              f" (PSS {mem['forked']['Pss']:.0f}: pages shared with the server)")
        print("time per report (the forked-ahead batch's notebooks; kernel start overlaps the previous report):")
        for name, seconds in breakdown(root).items():
            print(f"  {name:38s} {seconds:6.3f} s")
        formats_cost(root, env, args.n)
        print(f"driver import time (kit.batch, kit.api): {imp:.3f} s")
        print(f"driver peak memory at N={args.n}: {b['maxrss_kb'] / 1024:.1f} MiB")
        if not args.no_large:
            large = make_project(base, args.large, seed=11)
            big = kit_batch(large, {**env, "KIT_ROOT": str(large)})
            print(f"driver peak memory at N={args.large}: {big['maxrss_kb'] / 1024:.1f} MiB "
                  f"(ratio {big['maxrss_kb'] / b['maxrss_kb']:.2f}; wall {big['wall']:.1f} s)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
