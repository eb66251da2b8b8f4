"""Run by tests/test_distributed.py under torchrun: train a few steps, save this rank's weights."""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from test_trainer import make_trainer  # noqa: E402

from molgan.core import distributed  # noqa: E402

torch.set_num_threads(1)
out = sys.argv[1]
ctx = distributed.init_distributed(use_cuda=False)
torch.manual_seed(ctx.rank)  # different noise per replica: only DDP keeps weights equal
trainer = make_trainer(os.path.join(out, "run"), max_steps=4, n_critic=2)
trainer.dist = ctx
from molgan.core.data import BatchStream  # noqa: E402

trainer.G = distributed.wrap(trainer.task.generator, ctx, trainer.device)
trainer.D = distributed.wrap(trainer.task.discriminator, ctx, trainer.device)
trainer.stream = BatchStream(trainer.task.data, 8, 0, ctx.rank, ctx.world_size)
trainer.fit()
# Stopping is agreed: rank 1 runs out of time at once, so rank 0 must not train on alone
# (it would wait forever for rank 1's gradients).
trainer.config.max_steps = 8
trainer.config.max_minutes = 1e-9 if ctx.rank == 1 else 0.0
trainer.fit()
state = {f"g.{k}": v for k, v in trainer.task.generator.state_dict().items()}
state.update({f"d.{k}": v for k, v in trainer.task.discriminator.state_dict().items()})
state["stop"] = (trainer.step, trainer.stop_reason)
state["first_batch"] = trainer.stream.data.__getitems__(list(trainer.stream._order[:8]))[0]
torch.save(state, os.path.join(out, f"rank{ctx.rank}.pt"))
distributed.shutdown(ctx)
