"""`molgan train ARGS`, stalled inside one checkpoint write so a test can SIGKILL it there.

  python tests/kill_worker.py MARKER STEP train --dataset ...

The checkpoint of generator step STEP is fully written to its temporary file and synced,
then the process writes MARKER and sleeps before the rename: a kill now is a kill in the
middle of a checkpoint write. STEP 0: it stalls when training starts instead (the run's
config written, no checkpoint yet).
"""
import contextlib
import sys
import time
from pathlib import Path

import molgan.core.checkpoint as checkpoint

marker, stall_step, argv = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
real_atomic_write = checkpoint.atomic_write


@contextlib.contextmanager
def stalling_atomic_write(path, mode="w", **kwargs):
    with real_atomic_write(path, mode, **kwargs) as handle:
        yield handle
        if Path(path).name == f"step-{stall_step:07d}.pt":
            handle.flush()
            marker.write_text(str(path))
            time.sleep(600)


checkpoint.atomic_write = stalling_atomic_write
if stall_step == 0:
    from molgan.core.trainer import Trainer

    def stalling_fit(self, until=None):
        marker.write_text("training")
        time.sleep(600)

    Trainer.fit = stalling_fit
from molgan.cli import main  # noqa: E402

sys.exit(main(argv))
