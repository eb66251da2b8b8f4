"""Docking generated molecules with AutoDock Vina: targets, ligand preparation, the worker
processes that hold a target's grid maps, the on-disk score cache and the calls that tie them.

`molgan.mol.docking.run.dock_smiles` is the entry point (`molgan dock`, `molgan.dock`).
Nothing here imports torch; `vina`, `meeko` and `dimorphite_dl` are imported only inside
the worker processes (`pip install 'molgan[dock]'`).
"""
