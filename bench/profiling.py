"""Optional: sample the centre with py-spy while a scenario runs (`--profile DIR`)."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def py_spy(pid: int, out_dir: Path | None, name: str) -> Iterator[None]:
    """Record collapsed stacks (`py-spy record --format raw`) of `pid` into out_dir/name.txt."""
    exe = shutil.which("py-spy") or str(Path(__import__("sys").executable).parent / "py-spy")
    if out_dir is None or not Path(exe).exists():
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--output",
            str(out_dir / f"{name}.txt"),
            "--nonblocking",
            "--subprocesses",  # the worker processes of `serve --workers N`
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
