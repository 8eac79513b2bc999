"""The resident memory of a service while a scenario loads it."""

from __future__ import annotations

import threading
import time

from bench.services import process_tree


class RssSampler:
    """RSS of a process and its children (`--workers`), sampled from a thread so the
    event loop's load cannot delay it."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        # Listed once: the workers are up before sampling starts, and finding
        # children scans all of /proc, too much to repeat every 10 ms on 2 cores.
        self.tree = process_tree(pid)
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(sum(p.memory_info().rss for p in self.tree))
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
