"""Shared by the benchmarks: machine facts and writing a section of docs/BENCHMARKS.md."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
import timeit
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "BENCHMARKS.md"
HEADER = """# Benchmarks

Measured, never guessed. Each section is rewritten by its script (`make bench`, or one script alone);
the figures are from the machine and date the section names. Targets come from the issues.
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    postgres = ""
    with contextlib.suppress(OSError):
        postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {postgres or 'no psql'}"
    )


def cpu_reference() -> str:
    """How fast this machine's CPU is right now: the same figure swings by 2x here between runs."""
    best = min(timeit.repeat("sum(range(10000))", number=200, repeat=5)) / 200
    return f"CPU reference `sum(range(10000))` = {best * 1e6:.0f} µs (a quiet modern core: ~100 µs)"


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section ``name`` of docs/BENCHMARKS.md."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    text = REPORT.read_text() if REPORT.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"<!-- bench:{name} -->\n{body.strip()}\n\n_Machine: {machine()}; {cpu_reference()}. Run: {stamp}._\n"
        f"<!-- /bench:{name} -->"
    )
    pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    REPORT.write_text(text)
