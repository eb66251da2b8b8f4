"""MOSES' CharRNN: the peer molgan's quality figures are held against at equal compute.

  python scripts/charrnn.py train --dataset moses --minutes 30 120 --threads 1 --seed 0 --out runs/charrnn/moses-0
  python scripts/charrnn.py sample runs/charrnn/moses-0/30min.pt -n 10000 -o samples.csv --seed 0
  molgan evaluate samples.csv --reference moses

The published configuration (Polykovskiy et al., "Molecular Sets (MOSES)", 2020, and its
reference code): SMILES read one character at a time, a 3-layer LSTM 768 wide with dropout
0.2 between layers, Adam at 1e-3 halved every 10 epochs, batches of 64, gradients clipped
at norm 5. It is trained on the split molgan trains on (MOSES' training split; for QM9 and
SMILES files the training split of molgan's own cache, built on first use), on `--threads`
threads, and a checkpoint is written when each of `--minutes` is reached (the last one ends
the run), so that one run gives the curve at 1x, 2x, 4x the time. Samples are written as
drawn (invalid strings included, empty when the length limit ends one): `molgan evaluate`
scores them as it scores molgan's.

Not part of the package: a benchmark's instrument, kept beside the scripts that use it.
"""
from __future__ import annotations

import argparse
import csv
import logging
import math
import os
import sys
import time
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

log = logging.getLogger("charrnn")
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"


class CharRNN(nn.Module):
    """Next-character model of SMILES: embedding (as wide as the vocabulary, as in MOSES),
    LSTM, linear read-out. Input (B, L) character indices; output (B, L, V) logits."""

    def __init__(self, vocabulary: list[str], hidden: int = 768, layers: int = 3, dropout: float = 0.2):
        super().__init__()
        self.vocabulary = list(vocabulary)
        size = len(self.vocabulary)
        self.embedding = nn.Embedding(size, size, padding_idx=self.vocabulary.index(PAD))
        self.lstm = nn.LSTM(size, hidden, layers, dropout=dropout if layers > 1 else 0.0, batch_first=True)
        self.readout = nn.Linear(hidden, size)

    def forward(self, tokens: Tensor, lengths: Tensor, state=None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        packed = pack_padded_sequence(self.embedding(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.lstm(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        return self.readout(out), state

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(vocabulary={len(self.vocabulary)}, hidden={self.lstm.hidden_size}, "
                f"layers={self.lstm.num_layers}, dropout={self.lstm.dropout})")


def training_smiles(dataset: str) -> list[str]:
    """The SMILES molgan trains on for `dataset` (moses, qm9 or a file)."""
    if dataset == "moses":
        from molgan.mol.data.sources import read_moses_split

        return read_moses_split("train")
    from molgan.mol.config import MolDataConfig, dataset_data_defaults
    from molgan.mol.data.dataset import open_mol_dataset

    options = MolDataConfig(dataset=dataset, **dataset_data_defaults(dataset)).options()
    return list(open_mol_dataset(dataset, options, progress=False, report_skips=False).smiles)


def encode(smiles: list[str], vocabulary: list[str]) -> list[Tensor]:
    index = {c: i for i, c in enumerate(vocabulary)}
    bos, eos = index[BOS], index[EOS]
    return [torch.tensor([bos, *(index[c] for c in s), eos]) for s in smiles]


def batches(encoded: list[Tensor], size: int, pad: int, generator: torch.Generator):
    """Endless (epoch, (inputs, targets, lengths)) batches, reshuffled each epoch."""
    epoch = 0
    while True:
        order = torch.randperm(len(encoded), generator=generator)
        for start in range(0, len(order) - size + 1, size):
            rows = [encoded[i] for i in order[start:start + size].tolist()]
            padded = nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=pad)
            yield epoch, (padded[:, :-1], padded[:, 1:], torch.tensor([len(r) - 1 for r in rows]))
        epoch += 1


def train(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    smiles = training_smiles(args.dataset)
    vocabulary = [PAD, BOS, EOS, *sorted(set("".join(smiles)))]
    model = CharRNN(vocabulary, args.hidden, args.layers)
    log.info("%s on %s molecules of %s, %d thread(s), checkpoints at %s min", model, f"{len(smiles):,}",
             args.dataset, args.threads, ", ".join(f"{m:g}" for m in args.minutes))
    encoded = encode(smiles, vocabulary)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.halve_every, gamma=0.5)  # per epoch
    pad = vocabulary.index(PAD)
    marks, step, seen, last_epoch, last_log = sorted(args.minutes), 0, 0, 0, time.monotonic()
    start = time.monotonic()
    model.train()
    for epoch, (inputs, targets, lengths) in batches(encoded, args.batch_size, pad,
                                                     torch.Generator().manual_seed(args.seed)):
        if epoch != last_epoch:
            schedule.step()
            last_epoch = epoch
        logits, _ = model(inputs, lengths)
        loss = nn.functional.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step, seen = step + 1, seen + len(lengths)
        minutes = (time.monotonic() - start) / 60
        if time.monotonic() - last_log > 60:
            log.info("%.1f min: step %d, epoch %d, loss %.3f, %.0f molecules/s", minutes, step, epoch, loss.item(),
                     seen / (60 * minutes))
            last_log = time.monotonic()
        if (args.max_steps and step >= args.max_steps) or minutes >= marks[0]:
            name = f"{marks[0]:g}min.pt" if not args.max_steps else f"step{step}.pt"
            checkpoint = {"vocabulary": vocabulary, "model": model.state_dict(), "hidden": args.hidden,
                          "layers": args.layers, "dataset": args.dataset,
                          "seed": args.seed, "threads": args.threads, "steps": step, "epochs": seen / len(smiles),
                          "molecules_seen": seen, "minutes": minutes, "molecules_per_second": seen / (60 * minutes)}
            tmp = out / (name + ".tmp")
            torch.save(checkpoint, tmp)
            os.replace(tmp, out / name)
            log.info("wrote %s: step %d, %.2f epochs, %.0f molecules/s", out / name, step, seen / len(smiles),
                     seen / (60 * minutes))
            marks.pop(0)
            if not marks or args.max_steps:
                return


@torch.no_grad()
def sample(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    checkpoint = torch.load(args.checkpoint, weights_only=False)
    vocabulary = checkpoint["vocabulary"]
    model = CharRNN(vocabulary, checkpoint["hidden"], checkpoint["layers"])
    model.load_state_dict(checkpoint["model"])
    model.eval()
    bos, eos = vocabulary.index(BOS), vocabulary.index(EOS)
    rows = []
    start = time.monotonic()
    while len(rows) < args.num:
        size = min(args.batch_size, args.num - len(rows))
        token = torch.full((size, 1), bos)
        state, chars, done = None, [[] for _ in range(size)], torch.zeros(size, dtype=torch.bool)
        for _ in range(args.max_length):
            logits, state = model(token, torch.ones(size, dtype=torch.long), state)
            token = torch.multinomial(torch.softmax(logits[:, -1], dim=-1), 1)
            for i in torch.nonzero(~done).flatten().tolist():
                if token[i, 0] == eos:
                    done[i] = True
                else:
                    chars[i].append(vocabulary[token[i, 0]])
            if done.all():
                break
        rows += ["".join(c) if finished else "" for c, finished in zip(chars, done.tolist())]
    with open(args.output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["smiles"])
        writer.writerows([r] for r in rows)
    log.info("wrote %d samples to %s in %.1f s", len(rows), args.output, time.monotonic() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("train", help="train on a dataset for the given minutes")
    fit.add_argument("--dataset", default="moses", help="moses, qm9 or a SMILES file (molgan's training split)")
    fit.add_argument("--minutes", type=float, nargs="+", default=[30.0], help="write a checkpoint at each")
    fit.add_argument("--max-steps", type=int, default=0, help="stop after this many steps instead (a smoke test)")
    fit.add_argument("--batch-size", type=int, default=64)
    fit.add_argument("--halve-every", type=int, default=10, help="epochs between halvings of the rate (10)")
    fit.add_argument("--hidden", type=int, default=768, help="LSTM width (768 published)")
    fit.add_argument("--layers", type=int, default=3, help="LSTM layers (3 published)")
    fit.add_argument("--threads", type=int, default=1)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--out", required=True)
    draw = commands.add_parser("sample", help="draw SMILES from a checkpoint")
    draw.add_argument("checkpoint")
    draw.add_argument("-n", "--num", type=int, default=10000)
    draw.add_argument("-o", "--output", required=True)
    draw.add_argument("--seed", type=int, default=0)
    draw.add_argument("--batch-size", type=int, default=500)
    draw.add_argument("--max-length", type=int, default=100)
    draw.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "train" and not all(m > 0 and math.isfinite(m) for m in args.minutes):
        parser.error("--minutes must be positive")
    (train if args.command == "train" else sample)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
