"""The production server's configuration (deploy/gunicorn.conf.py)."""

import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def test_the_master_freezes_what_it_loaded_before_the_workers_fork() -> None:
    config = runpy.run_path(str(CONFIG))
    try:
        config["when_ready"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
