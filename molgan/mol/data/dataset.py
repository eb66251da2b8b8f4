"""Molecule datasets as dense graph tensors, cached on disk the PyTorch Geometric way.

`MolGraphDataset` follows the `InMemoryDataset` contract: `download()` puts the source
SMILES in `raw/`, `process()` turns them into `processed/{train,valid,test}.pt` plus
`meta.json` (vocabulary, sizes, counts) and `skipped.csv` (every row left out, and why).
`open_mol_dataset` builds a cache in a staging directory that is renamed into place only
when complete, so a crash or bad input never leaves a half-built cache behind.
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from molgan.core.atomic import atomic_directory, atomic_write
from molgan.errors import InputError
from molgan.mol.data.build import FORMAT_VERSION, GraphBuild, MolDatasetInfo, build_graphs
from molgan.mol.data.convert import convert_smiles
from molgan.mol.data.options import (DATA_DIR_ENV, DEFAULT_MAX_ATOMS, MolDataOptions,  # noqa: F401 (re-exported)
                                     default_data_dir)
from molgan.mol.data.sources import SmilesRecords, read_moses, read_qm9, read_smiles_file

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")
_REPORTED_SKIPS = 5
#: The datasets that ship inside installed packages, and what identifies their content.
BUILT_IN = {"qm9": "qm9pack", "moses": "molsets-0.3.1"}
#: Fewer training molecules than this cannot train a GAN (a batch needs two to compare).
MIN_TRAIN_MOLECULES = 2


class MolGraphDataset(InMemoryDataset):
    r"""One split of a molecule dataset as dense graphs.

    Each item is a `Data` with ``atom_types`` (1, N) and ``bond_types`` (1, N, N) uint8
    index tensors (0 = no atom / no bond), ``num_atoms`` and the canonical ``smiles``.
    For training, `atom_types` (M, N) and `bond_types` (M, N, N) give the whole split
    as two dense tensors without per-item overhead.

    Args:
        root: cache directory holding ``raw/`` and ``processed/``.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        source: SMILES reader, needed only when the cache is built.
        options: conversion options, needed only when the cache is built.
    """

    def __init__(self, root: str | Path, split: str = "train",
                 source: "SmilesSource | None" = None,
                 options: MolDataOptions | None = None, progress: bool = False):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.source = source
        self.options = options or MolDataOptions()
        self.progress = progress
        super().__init__(str(root), log=False)
        self.load(self.processed_paths[SPLITS.index(split)])
        self.split = split
        with open(self.processed_paths[3], encoding="utf-8") as handle:
            self.info = MolDatasetInfo(**json.load(handle))

    @property
    def raw_file_names(self) -> list[str]:
        return ["smiles.csv"]

    @property
    def processed_file_names(self) -> list[str]:
        return [f"{split}.pt" for split in SPLITS] + ["meta.json", "skipped.csv"]

    # Only our own tensors and strings are in these files: never unpickle anything else
    # (PyG's loader falls back to full unpickling on failure; we do not).
    def load(self, path: str, data_cls: type = Data) -> None:
        # Memory-mapped: the graph tensors are read from the file as they are used (MOSES'
        # training split is 1.3 GB, and sampling needs only its SMILES).
        data, self.slices, _ = torch.load(path, weights_only=True, mmap=True)
        utf8 = data.pop("smiles_utf8", None)
        # The SMILES are one byte tensor (a pickled list of 1.6 million strings took 5 s to
        # load); caches written before that hold a list, which still loads.
        self._smiles = data.pop("smiles") if utf8 is None else None
        self._smiles_utf8 = utf8
        self.data = data_cls.from_dict(data)

    def get(self, idx: int) -> Data:
        item = super().get(idx)
        item.smiles = self.smiles[idx]
        return item

    @property
    def atom_types(self) -> torch.Tensor:
        return self._data.atom_types

    @property
    def bond_types(self) -> torch.Tensor:
        return self._data.bond_types

    @property
    def smiles(self) -> list[str]:
        """The split's canonical SMILES, in the order of its graphs (decoded on first use)."""
        if self._smiles is None:
            text = self._smiles_utf8.numpy().tobytes().decode("utf-8")
            self._smiles = text.split("\n") if text else []
            self._smiles_utf8 = None
        return self._smiles

    def download(self) -> None:
        if self.source is None:
            raise InputError(f"{self.root}: cache is incomplete and no source was given")
        records = self.source.read()
        with atomic_write(self.raw_paths[0], newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            if records.splits is None:
                writer.writerow(["line", "smiles"])
                writer.writerows(zip(records.lines, records.smiles))
            else:
                writer.writerow(["line", "smiles", "split"])
                writer.writerows(zip(records.lines, records.smiles, records.splits))

    def process(self) -> None:
        records = _read_raw(Path(self.raw_paths[0]), self.source.name if self.source else self.root)
        converted = convert_smiles(records.smiles, self.options.keep_largest_fragment,
                                   progress=self.progress, aromatic=self.options.aromatic)
        build = build_graphs(records, converted, self.options)
        del converted
        for split, index in zip(SPLITS, build.split_indices):
            _save_split(self.processed_paths[SPLITS.index(split)], build, index)
        with atomic_write(self.processed_paths[4], newline="", encoding="utf-8") as handle:
            columns = ["line", "smiles", "reason"] + (["split"] if records.splits is not None else [])
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(build.skipped)
        with atomic_write(self.processed_paths[3], encoding="utf-8") as handle:
            json.dump(asdict(build.info), handle, indent=1)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.info.source!r}, split={self.split!r}, "
                f"molecules={len(self)}, max_atoms={self.info.max_atoms}, "
                f"atom_types=[{', '.join(self.info.atom_types)}])")


def _read_raw(path: Path, name) -> SmilesRecords:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    splits = [r["split"] for r in rows] if rows and "split" in rows[0] else None
    return SmilesRecords([r["smiles"] for r in rows], [int(r["line"]) for r in rows], str(name), splits=splits)


def _save_split(path: str, build: GraphBuild, index: np.ndarray) -> None:
    # The storage format of InMemoryDataset.save/collate, built directly from the dense
    # arrays, instead of collating one tiny Data object per molecule.
    # The SMILES go in as one newline-joined UTF-8 byte tensor (SMILES have no newlines).
    count = len(index)
    atoms = torch.from_numpy(build.atoms[index])
    data = Data(atom_types=atoms, bond_types=torch.from_numpy(build.bonds[index]),
                num_atoms=(atoms > 0).sum(dim=1)).to_dict()
    text = "\n".join(build.smiles[i] for i in index).encode("utf-8")
    data["smiles_utf8"] = torch.tensor(np.frombuffer(text, dtype=np.uint8))
    steps = torch.arange(count + 1)
    slices = {key: steps for key in ("atom_types", "bond_types", "num_atoms", "smiles")}
    with atomic_write(path, mode="wb") as handle:
        torch.save((data, slices, Data), handle)


class SmilesSource:
    """A named SMILES source: ``qm9``, ``moses`` or a file path, with what identifies its content."""

    def __init__(self, spec: str, smiles_column: str | None = None):
        self.spec = spec
        self.smiles_column = smiles_column
        self._records: SmilesRecords | None = None
        if spec in BUILT_IN:
            self.name, self.fingerprint = spec, BUILT_IN[spec]
        else:
            path = Path(spec)
            if not path.is_file():
                raise InputError(f"{path}: no such file" if not path.exists()
                                 else f"{path}: not a regular file")
            self.name = str(path)
            self.fingerprint = _file_digest(path)

    def read(self) -> SmilesRecords:
        """The source's SMILES, read once."""
        if self._records is None:
            readers = {"qm9": read_qm9, "moses": read_moses}
            self._records = (readers[self.spec]() if self.spec in readers
                             else read_smiles_file(self.spec, self.smiles_column))
        return self._records

    def cache_name(self, options: MolDataOptions) -> str:
        fields = asdict(options)
        if not fields["aromatic"]:  # kekulized caches keep the names they had before the option existed
            del fields["aromatic"]
        key = json.dumps([FORMAT_VERSION, self.fingerprint, fields], sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        stem = self.spec if self.spec in BUILT_IN else Path(self.spec).name.split(".")[0]
        return f"{stem}-{digest}"


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def open_mol_dataset(spec: str, options: MolDataOptions | None = None,
                     data_dir: str | Path | None = None, split: str = "train",
                     progress: bool = True, report_skips: bool = True, min_train: int = 0) -> MolGraphDataset:
    """Open one split of ``qm9`` or a SMILES file, building its cache on first use.

    `min_train`: refuse (InputError, and no cache is built) a dataset whose training split
    has fewer molecules.
    """
    options = options or MolDataOptions()
    source = SmilesSource(spec, options.smiles_column)
    root = Path(data_dir or default_data_dir()) / source.cache_name(options)
    built = False
    if not (root / "processed" / "meta.json").is_file():
        source.read()  # unreadable input fails here, before anything is written
        with atomic_directory(root) as staging:
            staged = MolGraphDataset(staging, "train", source, options, progress=progress)
            if min_train:  # a cache too small to use is not kept
                _check_trainable(staged, source, min_train)
        built = True
    dataset = MolGraphDataset(root, split)
    if min_train and not built:
        _check_trainable(MolGraphDataset(root, "train"), source, min_train)
    if built:
        log.info("built dataset cache %s: %d molecules from %d rows of %s", root,
                 dataset.info.num_molecules, dataset.info.num_rows, source.name)
    if dataset.info.skipped and report_skips:
        _report_skips(root, dataset.info.skipped)
    return dataset


def _check_trainable(train: MolGraphDataset, source: SmilesSource, min_train: int) -> None:
    info = train.info
    if len(train) < min_train:
        raise InputError(f"{source.name}: {info.num_molecules} usable molecule(s) of {info.num_rows} rows "
                         f"({len(train)} in the training split); at least {min_train} are needed to train"
                         + (f" ({info.skipped} skipped: {', '.join(info.skipped_reasons)})" if info.skipped else ""))


def _report_skips(root: Path, count: int) -> None:
    path = root / "processed" / "skipped.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        first = list(itertools.islice(csv.DictReader(handle), _REPORTED_SKIPS))
    shown = "; ".join(f"line {r['line']}: {r['reason']}" for r in first)
    log.warning("skipped %d molecule(s) (%s%s); full list in %s", count, shown,
                "; ..." if count > _REPORTED_SKIPS else "", path)
