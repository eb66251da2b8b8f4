"""molgan: GAN-based molecule generation (MolGAN-style) on a shared adversarial core.

  import molgan
  samples = molgan.load("runs/qm9").sample(1000, seed=0)     # a pandas DataFrame
  report = molgan.evaluate(samples.smiles, reference="qm9")  # a dict
  docked = molgan.dock(samples.smiles, target="DRD2")        # a DataFrame of Vina scores
"""

__version__ = "0.1.0"
__all__ = ["load", "evaluate", "dock", "Generator", "__version__"]


def __getattr__(name: str):
    # Lazy: `molgan --version` and the CLI's start-up do not import torch through here.
    if name in ("load", "evaluate", "dock", "Generator"):
        from molgan import api

        return getattr(api, name)
    raise AttributeError(f"module 'molgan' has no attribute {name!r}")
