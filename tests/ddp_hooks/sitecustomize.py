"""Loaded by every process of the torchrun test (this folder is put on PYTHONPATH): records,
per rank, the files it writes, the first latent batch it draws, and its final weights, while
the real `python -m molgan train` runs unchanged. Does nothing unless MOLGAN_TEST_DDP_RECORD is set."""
import os

if os.environ.get("MOLGAN_TEST_DDP_RECORD"):
    import contextlib

    import torch

    import molgan.core.atomic as atomic

    folder, rank = os.environ["MOLGAN_TEST_DDP_RECORD"], int(os.environ.get("RANK", "0"))
    record = {"writes": [], "first_latent": None}
    original_write = atomic.atomic_write

    @contextlib.contextmanager
    def atomic_write(path, *args, **kwargs):
        record["writes"].append(str(path))
        with original_write(path, *args, **kwargs) as handle:
            yield handle

    # Before anything imports atomic_write by name.
    atomic.atomic_write = atomic_write
    import molgan.core.trainer as trainer_module  # noqa: E402

    original_fit, original_latent = trainer_module.Trainer.fit, trainer_module.Trainer._latent

    def latent(self, batch):
        z = original_latent(self, batch)
        if record["first_latent"] is None:
            record["first_latent"] = z.clone()
        return z

    def fit(self, *args, **kwargs):
        if rank == 1 and os.environ.get("MOLGAN_TEST_DDP_RANK1_BUDGET"):
            self.config.max_minutes = 1e-9  # rank 1 alone runs out of time at once
        try:
            return original_fit(self, *args, **kwargs)
        finally:
            state = {f"g.{k}": v for k, v in self.task.generator.state_dict().items()}
            state.update({f"d.{k}": v for k, v in self.task.discriminator.state_dict().items()})
            torch.save({**record, "weights": state, "step": self.step, "stop": self.stop_reason},
                       os.path.join(folder, f"rank{rank}.pt"))

    trainer_module.Trainer.fit, trainer_module.Trainer._latent = fit, latent
