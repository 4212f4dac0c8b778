"""The README's "Use it" examples run as written: every ```sh block, in order, in one shell, against a freshly
seeded demo (`shoppable demo --no-serve` on a new SQLite file, then the server), with curl failing on any error."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES, ROOT
from tests.helpers import serving

README = ROOT / "README.md"
SAMPLE_EXPORT = ROOT.parent / "shared" / "data" / "shopify-csv" / "home-and-garden.csv"
MISSING = [tool for tool in ("bash", "curl", "jq", "ffmpeg") if shutil.which(tool) is None]

pytestmark = [
    pytest.mark.skipif(bool(MISSING), reason=f"the README examples need {', '.join(MISSING)} (apt-get install ...)"),
    pytest.mark.skipif(ON_POSTGRES, reason="the examples run on a fresh SQLite demo: once, in the SQLite pass"),
]


def use_it_blocks() -> list[str]:
    """The ```sh blocks of the "Use it" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Use it\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)


def curl_commands(script: str) -> list[str]:
    joined = script.replace("\\\n", " ")
    return [match.group(0) for match in re.finditer(r"\bcurl\b[^|\n)]*", joined)]


def test_every_example_curl_fails_loudly() -> None:
    blocks = use_it_blocks()
    assert len(blocks) >= 5
    commands = curl_commands("\n".join(blocks))
    assert commands
    quiet = [command for command in commands if "--fail-with-body" not in command.split()]
    assert quiet == [], "a curl without --fail-with-body hides its failure"


async def _run(*args: str, env: dict[str, str], timeout_s: float) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode or 0, output.decode(errors="replace")


async def test_the_use_it_examples_run_against_the_demo(tmp_path: Path) -> None:
    if not SAMPLE_EXPORT.is_file():
        pytest.skip(f"the import example reads {SAMPLE_EXPORT}, which is absent")
    demo = {
        "SHOPPABLE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "SHOPPABLE_VAR_DIR": str(tmp_path / "var"),
    }
    env = dict(os.environ, **demo)
    env.pop("SHOPPABLE_REDIS_URL", None)
    code, output = await _run(sys.executable, "-m", "shoppable.cli", "demo", "--no-serve", env=env, timeout_s=180)
    assert code == 0, output
    assert "Demo seeded" in output

    async with serving(**demo) as base:
        port = base.rsplit(":", 1)[1]
        script = "\n".join(use_it_blocks())
        script = re.sub(r"\b(?:localhost|127\.0\.0\.1):8000\b", f"127.0.0.1:{port}", script)
        code, output = await _run("bash", "-euo", "pipefail", "-c", script, env=env, timeout_s=120)
    assert code == 0, f"the README examples failed (exit {code}):\n{output[-4000:]}"
    assert "curl: (" not in output, output[-4000:]
    assert '"status": "succeeded"' in output  # the import was polled until it had finished
    assert '"status": "live"' in output
    assert '"remaining": 5' in output  # the flash sale got its units
