"""What every benchmark records beside its numbers: command, date, commit, machine, threads."""
from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(threads: int) -> dict:
    """Date, commit (and whether the package differed from it), machine and thread count: call it
    when the timed work starts, so the flag describes the code that ran."""
    import torch

    return {
        "date": datetime.date.today().isoformat(),
        "commit": _git("rev-parse", "--short=10", "HEAD") or "unknown",
        # Uncommitted changes to the package would make the commit a lie: say so.
        "package_modified": bool(_git("status", "--porcelain", "molgan")),
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}",
        "python": platform.python_version(), "torch": torch.__version__, "threads": threads,
    }


def aggregate(rows: list[dict], worse: dict[str, str]) -> dict:
    """Mean and worst seed of each numeric metric (`worse[key]` = "min" or "max")."""
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
        if not values or key not in worse:
            continue
        pick = max if worse[key] == "max" else min
        out[key] = {"mean": statistics.fmean(values), "worst": pick(values), "n": len(values)}
    return out


def write_result(path: str | Path, result: dict) -> None:
    """Write a benchmark's JSON next to the docs (atomically: a killed run leaves the old one)."""
    path = ROOT / path if not Path(path).is_absolute() else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, path)
    print(f"wrote {path}")


def run_molgan(*argv: str, threads: int) -> tuple[float, float]:
    """Run `python -m molgan argv`; (seconds, peak RSS in GB of that process)."""
    return run_timed([sys.executable, "-m", "molgan", "-q", *argv], threads)


def run_timed(command: list[str], threads: int) -> tuple[float, float]:
    """Run `command` on `threads` threads; (seconds, peak RSS in GB of that process)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    start = time.monotonic()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return time.monotonic() - start, usage.ru_maxrss / 1024 ** 2  # KB -> GB


def add_seed_arguments(parser, out: str, samples: int, samples_help: str | None = None,
                       set_help: str = "passed to molgan train") -> None:
    """The options every multi-seed benchmark takes: where runs go, seeds, samples, threads,
    parallel seeds, extra `--set`s and re-measuring without training."""
    parser.add_argument("--out", default=out)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samples", type=int, default=samples, help=samples_help)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="seeds measured at the same time (each with --threads)")
    parser.add_argument("--set", dest="sets", action="append", default=[], help=set_help)
    parser.add_argument("--skip-training", action="store_true")


def measure_seeds(measure, args) -> list[dict]:
    """`measure(out, seed, args)` for each of `args.seeds`, `args.jobs` at a time (each
    seed's work runs in its own processes, so threads suffice)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(args.jobs) as pool:
        return list(pool.map(lambda seed: measure(Path(args.out), seed, args), args.seeds))
