"""Generated molecules as rows: load a trained generator, sample, decode, score.

Used by `molgan sample`. Rows keep generation order and include invalid graphs, so every
metric can be recomputed from the file alone.
"""
from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor

from molgan.core.checkpoint import load_checkpoint
from molgan.core.config import from_dict
from molgan.core.stabilizers import checkpoint_generator
from molgan.errors import InputError
from molgan.mol.chem.vocab import KEKULE_BOND_TYPES, AtomVocab
from molgan.mol.conditioning import REWARD_CONDITION, PropertyScale
from molgan.mol.config import MolRunConfig
from molgan.mol.data.convert import rdkit_pool
from molgan.mol.decoding.decode import decode_logits, kekule_roles, max_valences, same_as_raw
from molgan.mol.nn.build import build_models
from molgan.mol.nn.models import MolGenerator
from molgan.mol.prior import resolve_checkpoint

log = logging.getLogger(__name__)

#: The medicinal-chemistry columns (molgan/mol/chem/medchem.py) come last: files written
#: before them keep their first ten columns.
COLUMNS = ("smiles", "valid", "reason", "num_atoms", "qed", "logp", "sa", "mw", "novel", "duplicate",
           "lipinski_violations", "pains", "brenk", "mcf")


@dataclass
class LoadedGenerator:
    generator: MolGenerator
    vocab: AtomVocab
    config: MolRunConfig
    state: dict
    path: Path
    scale: PropertyScale | None = None  # a conditioned generator's properties
    aim: float | None = None  # a reward-conditioned generator's default: rewards above this quantile

    def check_targets(self, targets: dict[str, float] | None) -> None:
        """InputError for property targets this generator cannot be asked for."""
        if self.scale is None:
            if targets:
                raise InputError(f"{self.path}: this run was trained without a condition, so --condition "
                                 "cannot steer it (train with --set condition=qed, say)")
        elif targets:
            self.scale.check(targets)

    def conditions(self, targets: dict[str, float] | None, count: int) -> Tensor | None:
        """(count, C) normalised conditions asking for `targets` (the other conditioned
        properties drawn as in the training data; when none are given, a reward-conditioned
        generator asks for rewards above its aim), or None for an unconditioned generator."""
        self.check_targets(targets)
        if not targets and self.aim is not None:
            return self.scale.upper_conditions(REWARD_CONDITION, self.aim, count)
        return None if self.scale is None else self.scale.conditions(targets or {}, count)


def load_generator(target: str | Path, use_ema: bool = True) -> LoadedGenerator:
    path = resolve_checkpoint(target)
    state = load_checkpoint(path)
    task = state.get("task") or {}
    if task.get("domain") != "molecule":
        raise InputError(f"{path}: not a molecule generator (its domain is {task.get('domain', 'unknown')!r})")
    try:
        config = from_dict(MolRunConfig, state["config"])
        vocab = AtomVocab.from_strings(task["atom_types"])
        # Checkpoints from before aromatic bonds: kekulized, four bond channels.
        bond_types = task.get("bond_types", KEKULE_BOND_TYPES)
        generator, _ = build_models(config.model, task["max_atoms"], len(vocab), max_valences(vocab).tolist(),
                                    bond_types, kekule_roles(vocab).tolist(),
                                    condition_dim=len(task["condition"]["names"]) if "condition" in task else 0,
                                    critic=False)
        scale = PropertyScale.from_dict(task["condition"]) if "condition" in task else None
        generator = checkpoint_generator(generator, state, config.train.ema_decay, use_ema)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise InputError(f"{path}: incompatible checkpoint ({str(exc).splitlines()[0][:150]})") from None
    return LoadedGenerator(generator.eval(), vocab, config, state, path, scale, task.get("reward_aim"))


@torch.no_grad()
def sample_logits(generator: MolGenerator, count: int, device: torch.device,
                  batch_size: int = 1000, latent_scale: float = 1.0,
                  conditions: Tensor | None = None, valence_masks: bool = True) -> tuple[Tensor, Tensor]:
    """Bond and atom logits of `count` samples, generator in eval mode, on the CPU.

    `latent_scale` multiplies z ~ N(0, I): below 1 trades diversity for typicality (the
    truncation trick), above 1 the other way round. `conditions`: (count, C) normalised
    properties for a conditioned generator (molgan/mol/conditioning.py). `valence_masks`
    False: an autoregressive generator samples without its valence masks (a generator with
    no masks is not asked).
    """
    unmasked = {} if valence_masks or not has_valence_masks(generator) else {"valence_masks": False}
    was_training = generator.training
    generator.eval()
    bonds, atoms = [], []
    for start in range(0, count, batch_size):
        n = min(batch_size, count - start)
        z = torch.randn(n, generator.latent_dim, device=device) * latent_scale
        cond = None if conditions is None else conditions[start:start + n].to(device)
        b, a = generator.logits(z, cond, **unmasked)
        bonds.append(b.float().cpu())
        atoms.append(a.float().cpu())
    generator.train(was_training)
    return torch.cat(bonds), torch.cat(atoms)



def has_valence_masks(generator) -> bool:
    """Whether `generator` samples within valence masks (the autoregressive one): a
    correction that `--decode uncorrected` turns off."""
    from molgan.mol.nn.autoregressive import AutoregressiveGraphGenerator

    return isinstance(generator, AutoregressiveGraphGenerator)


def _properties(smiles: list[str]) -> list[tuple]:
    from rdkit import Chem

    from molgan.mol.chem.properties import properties_and_verdicts

    return [properties_and_verdicts(mol) for mol in map(Chem.MolFromSmiles, smiles)]


def score_properties(smiles: list[str], workers: int | None = None) -> dict[str, tuple]:
    """((QED, logP, SA, MW), MedChem) per unique valid SMILES; two or more processes for
    large sets."""
    unique = sorted(set(smiles))
    workers = workers or min(2, len(os.sched_getaffinity(0)))
    if workers <= 1 or len(unique) < 2000:
        return dict(zip(unique, _properties(unique)))
    chunks = [unique[i::workers] for i in range(workers)]
    with rdkit_pool(workers) as pool:
        results = list(pool.map(_properties, chunks))
    return {s: p for chunk, props in zip(chunks, results) for s, p in zip(chunk, props)}


def dataset_cache(state: dict) -> str | None:
    """The dataset cache of a checkpoint's run: the folder it recorded, else (a shipped prior,
    trained elsewhere) the same cache under this machine's data directory."""
    from molgan.mol.data.options import default_data_dir

    source = state.get("data_source") or {}
    if source.get("cache") and Path(source["cache"]).is_dir():
        return source["cache"]
    if source.get("cache_name"):
        return str(default_data_dir() / source["cache_name"])
    return source.get("cache")


def training_smiles(state: dict) -> frozenset[str] | None:
    """The training molecules of a checkpoint's run (its dataset cache), or None if gone."""
    from molgan.mol.data.dataset import MolGraphDataset

    cache = dataset_cache(state)
    if cache and (Path(cache) / "processed" / "train.pt").is_file():
        return frozenset(MolGraphDataset(cache, "train").smiles)
    log.warning("training set of this checkpoint not found (%s): the novel column is left empty",
                cache or "not recorded")
    return None


def validation_fcd(state: dict, valid_smiles: list[str]) -> float | None:
    """FCD of valid molecules to a checkpoint's validation split (its statistics are cached
    by training), or None when they are not there or fewer than two molecules are valid."""
    import math

    from molgan.mol.metrics.basic import FCDScorer

    cache = dataset_cache(state)
    stats = Path(cache) / "processed" / "fcd_valid_stats.pt" if cache else None
    if stats is None or not stats.is_file() or len(valid_smiles) < 2:
        return None
    value = FCDScorer([], cache=stats)(valid_smiles)
    return value if math.isfinite(value) else None


@dataclass
class Generated:
    """Sampled rows; how many of the same graphs were valid as the generator's output layer
    gives them (for the default generator, a valence correction); and how many with no
    correction at all (each pair's argmax), None where that needs other samples (a generator
    with valence masks: `--decode uncorrected`)."""

    rows: list[dict]
    raw_valid: int
    uncorrected_valid: int | None = None


def generate_rows(loaded: LoadedGenerator, count: int, known: frozenset[str] | None,
                  batch_size: int = 1000, decode: str = "capped", progress: bool = True,
                  latent_scale: float = 1.0, targets: dict[str, float] | None = None) -> Generated:
    """`count` rows in generation order, invalid ones included; `targets`: property values
    to ask a conditioned generator for (molgan/mol/conditioning.py)."""
    from tqdm import tqdm

    decoded = []
    raw_valid = 0
    masked = has_valence_masks(loaded.generator)
    valence_masks = decode != "uncorrected"
    if decode == "uncorrected":  # each choice as the network makes it: no layer, no masks
        decode = "argmax"
    uncorrected_valid = None if masked and valence_masks else 0
    conditions = loaded.conditions(targets, count)
    post = loaded.generator.post
    with tqdm(total=count, desc="sampling", unit="mol", disable=None if progress else True) as bar:
        for start in range(0, count, batch_size):
            n = min(batch_size, count - start)
            bonds, atoms = sample_logits(loaded.generator, n, torch.device("cpu"), batch_size=n,
                                         latent_scale=latent_scale,
                                         conditions=None if conditions is None else conditions[start:start + n],
                                         valence_masks=valence_masks)
            batch = decode_logits(bonds, atoms, loaded.vocab, decode, post)
            raw = batch if same_as_raw(decode, post) else \
                decode_logits(bonds, atoms, loaded.vocab, "raw", post)
            raw_valid += sum(d.smiles is not None for d in raw)
            if uncorrected_valid is not None:
                uncorrected = batch if decode == "argmax" else \
                    decode_logits(bonds, atoms, loaded.vocab, "argmax")
                uncorrected_valid += sum(d.smiles is not None for d in uncorrected)
            decoded += batch
            bar.update(n)
    properties = score_properties([d.smiles for d in decoded if d.smiles])
    seen: set[str] = set()
    rows = []
    for d in decoded:
        row = {"smiles": d.smiles or "", "valid": int(d.smiles is not None), "reason": d.reason,
               "num_atoms": d.num_atoms}
        if d.smiles:
            (qed, logp, sa, mw), filters = properties[d.smiles]
            row.update(qed=round(qed, 4), logp=round(logp, 4), sa=round(sa, 4), mw=round(mw, 3),
                       novel="" if known is None else int(d.smiles not in known),
                       duplicate=int(d.smiles in seen), **filters._asdict())
            if filters.mcf is None:
                row["mcf"] = "not checked"  # the molsets wheel (MOSES' alert file) is not installed
            seen.add(d.smiles)
        else:
            row.update(dict.fromkeys(COLUMNS[4:], ""))
        rows.append(row)
    return Generated(rows, raw_valid, uncorrected_valid)


def filter_rows(rows: list[dict], names: Sequence[str]) -> tuple[list[dict], Counter]:
    """The valid rows that pass every filter in `names` (molgan/mol/chem/medchem.py), and how
    many rows each filter dropped ("invalid" for rows with no molecule; a molecule failing
    several filters counts under each)."""
    from molgan.mol.chem.medchem import MedChem

    kept, dropped = [], Counter()
    for row in rows:
        if not row["valid"]:
            dropped["invalid"] += 1
            continue
        verdict = MedChem(row["lipinski_violations"], row["pains"], row["brenk"], row["mcf"])
        failed = [name for name in names if not verdict.passes(name)]
        dropped.update(failed)
        if not failed:
            kept.append(row)
    return kept, dropped


def sdf_text(rows: list[dict]) -> str:
    """The valid rows as an SD file, with the row's columns as properties."""
    import io

    from rdkit import Chem

    buffer = io.StringIO()
    writer = Chem.SDWriter(buffer)
    for index, row in enumerate(rows):
        if not row["valid"]:
            continue  # an SDF record needs a structure
        mol = Chem.MolFromSmiles(row["smiles"])
        mol.SetProp("_Name", f"molgan-{index}")
        for key in ("smiles", "qed", "logp", "sa", "mw", "novel", "duplicate", "lipinski_violations", "pains",
                    "brenk", "mcf"):
            mol.SetProp(key, str(row[key]))
        writer.write(mol)
    writer.close()
    return buffer.getvalue()
