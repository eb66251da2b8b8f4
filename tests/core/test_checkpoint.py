import pickle

import pytest
import torch

from molgan.core.checkpoint import CheckpointManager, load_checkpoint, save_checkpoint
from molgan.errors import InputError


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_round_trip(tmp_path):
    save_checkpoint({"step": 3, "w": torch.ones(2)}, tmp_path / "c.pt")
    state = load_checkpoint(tmp_path / "c.pt")
    assert state["step"] == 3 and torch.equal(state["w"], torch.ones(2))


def test_hostile_pickle_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "molgan-checkpoint", "format_version": 1, "x": _Payload(marker)}, path)
    with pytest.raises(InputError, match="refused"):
        load_checkpoint(path)
    assert not marker.exists()
    plain = tmp_path / "evil.pkl"  # a bare pickle, not even a torch file
    plain.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(InputError):
        load_checkpoint(plain)
    assert not marker.exists()


@pytest.mark.parametrize("content, message", [
    (b"", "not a readable checkpoint"),
    (b"garbage" * 10, "not a readable checkpoint"),
])
def test_corrupt_files(tmp_path, content, message):
    path = tmp_path / "c.pt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_checkpoint(path)


def test_truncated_and_foreign_checkpoints(tmp_path):
    save_checkpoint({"w": torch.randn(1000)}, tmp_path / "c.pt")
    data = (tmp_path / "c.pt").read_bytes()
    (tmp_path / "t.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="corrupt or truncated"):
        load_checkpoint(tmp_path / "t.pt")
    torch.save({"weights": torch.ones(1)}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a molgan checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(InputError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_manager_keeps_the_last_k_and_the_best(tmp_path):
    manager = CheckpointManager(tmp_path, keep=2)
    for step in (1, 2, 3, 4):
        manager.save({"step": step}, step, is_best=step == 2)
    assert manager.steps() == [3, 4]
    assert load_checkpoint(manager.best_path)["step"] == 2
    assert manager.latest().name == "step-0000004.pt"
