"""Reward specs such as "dock:DRD2,qed,sa": which parts RDKit scores and which one Vina docks.

Apart from molgan/mol/rewards/functions.py so that reading a config imports no RDKit.
"""
from __future__ import annotations

#: A reward term docked by Vina against a target: `dock:DRD2` (molgan/mol/rewards/docking.py).
DOCK_PREFIX = "dock:"


def split_reward(spec: str) -> tuple[str | None, str]:
    """(docking target or None, the RDKit rewards) of a reward spec: "dock:DRD2,qed,sa" gives
    ("DRD2", "qed,sa"); a spec of docking alone gives ("DRD2", "validity")."""
    names = [n.strip() for n in spec.split(",") if n.strip()]
    targets = [n[len(DOCK_PREFIX):].strip() for n in names if n.startswith(DOCK_PREFIX)]
    if len(targets) > 1 or (targets and not targets[0]):
        raise ValueError(f"rl.reward {spec!r}: at most one docking term, written dock:TARGET (e.g. dock:DRD2)")
    rest = [n for n in names if not n.startswith(DOCK_PREFIX)]
    return (targets[0] if targets else None), (",".join(rest) if rest else "validity")
