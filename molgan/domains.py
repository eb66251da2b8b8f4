"""The registry of domains the shared trainer can train: which one a dataset belongs to,
its typed run config, and how to build its task from that config.

Adding a domain means adding one entry here; nothing else dispatches on the domain.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Domain:
    """One domain: `module` defines `config_cls` (a dataclass with a `data.dataset` field,
    optionally a `preset(dataset)` of per-dataset defaults) and `build_task(config, device,
    progress) -> GANTask`."""

    name: str
    module: str
    config_name: str
    builder_name: str
    claims: Callable[[str], bool]  # does this dataset name or path belong to the domain?

    @property
    def config_cls(self) -> type:
        return getattr(importlib.import_module(self.module), self.config_name)

    def build_task(self, config, device, progress: bool = True):
        return getattr(importlib.import_module(self.module), self.builder_name)(config, device, progress)

    def defaults(self, dataset: str) -> dict | None:
        """The settings a dataset trains with before --config and --set (the config class's
        `preset(dataset)`, e.g. for `moses`), or None for the config class's defaults."""
        preset = getattr(self.config_cls, "preset", None)
        return preset(dataset) if preset is not None else None


#: Dataset names that always mean the shipped dataset, whatever the working directory holds
#: (a folder of that name is reached as ./qm9).
BUILT_IN = {"qm9": "molecule", "moses": "molecule", "mnist": "image", "synthetic": "image"}


def _is_image_dataset(dataset: str) -> bool:
    if dataset in BUILT_IN:
        return BUILT_IN[dataset] == "image"
    return Path(dataset).is_dir()


#: In order: the first domain that claims a dataset gets it; molecules take the rest
#: (`qm9`, `moses` and SMILES files).
DOMAINS = (
    Domain("image", "molgan.image.task", "ImageRunConfig", "build_image_task", _is_image_dataset),
    Domain("molecule", "molgan.mol.task", "MolRunConfig", "build_mol_task", lambda dataset: True),
)


def domain_for(dataset: str) -> Domain:
    return next(domain for domain in DOMAINS if domain.claims(dataset))
