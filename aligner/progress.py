"""Progress bars on stderr (tqdm) for the slow stages; the CLI turns them on for a terminal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

TICK_SECONDS = 0.5
"""How often a bar is redrawn while a step runs."""


@contextmanager
def step_bar(total: int, desc: str, enabled: bool) -> Iterator[tqdm]:
    """A bar over ``total`` steps whose clock keeps running during a long step (aligning two
    long versions is one step of up to a minute), so that a busy run never looks frozen.
    Nothing is drawn, and no thread started, unless ``enabled``."""
    with tqdm(total=total, desc=desc, unit="step", disable=not enabled) as bar:
        if not enabled:
            yield bar
            return
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(TICK_SECONDS):
                bar.refresh()

        ticker = threading.Thread(target=tick, name="aligner-progress", daemon=True)
        ticker.start()
        try:
            yield bar
        finally:
            stop.set()
            ticker.join()
