"""The docking process: one target's grid maps, then one molecule per request.

Started by `molgan.mol.docking.worker.VinaProcess` as `python -m molgan.mol.docking.helper`.
Requests and answers are JSON lines on stdin / the original stdout; everything else the
libraries print goes to stderr, so a stray message cannot corrupt an answer. A separate
process because Vina's search is one C++ call: only killing its process enforces a time limit.
"""
from __future__ import annotations

import json
import os
import sys
import time


def _answer(channel, message: dict) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def one_line(message: str, limit: int = 300) -> str:
    """A reason as one line of a CSV cell (meeko's messages span lines, one per atom)."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dock_one(vina, request: dict, setup: dict) -> dict:
    from molgan.mol.docking.ligand import LigandError, embed, pose_molblock, protonate, to_pdbqt

    start = time.monotonic()
    smiles = request["smiles"]
    try:
        docked = protonate(smiles, setup["ph"]) if setup["ph"] is not None else smiles
        pdbqt = to_pdbqt(embed(docked, setup["seed"]))
        try:
            vina.set_ligand_from_string(pdbqt)
            vina.dock(exhaustiveness=setup["exhaustiveness"], n_poses=1)
            score = float(vina.energies(n_poses=1)[0][0])
            poses = vina.poses(n_poses=1)
        except Exception as exc:  # Vina's own errors (a ligand outside the box, an unknown atom type)
            raise LigandError(f"Vina: {str(exc).strip() or type(exc).__name__}") from None
    except LigandError as exc:
        return {"reason": one_line(str(exc)), "deterministic": True, "seconds": time.monotonic() - start}
    return {"score": score, "docked_smiles": docked, "pose": pose_molblock(poses, request.get("title", smiles)),
            "seconds": time.monotonic() - start}


def _end_with_parent() -> None:
    """Linux: be killed when the thread that started this process ends (the docking run was
    killed), instead of finishing a search nobody will read."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> None:
    _end_with_parent()
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # C-level prints (Vina, RDKit) now reach stderr, never the answer channel
    setup = json.loads(sys.stdin.readline())
    try:
        from vina import Vina

        from molgan.mol.docking.ligand import embed, protonate, to_pdbqt

        # Vina reads seed 0 as "draw one at random": ours are shifted by one to stay reproducible.
        vina = Vina(sf_name="vina", cpu=1, seed=setup["seed"] + 1, verbosity=0)
        vina.set_receptor(setup["receptor"])
        vina.compute_vina_maps(center=setup["center"], box_size=setup["size"])
        # Each library's first call loads its tables: done now, not in the first molecule's time.
        to_pdbqt(embed(protonate("CCO", setup["ph"]) if setup["ph"] is not None else "CCO", setup["seed"]))
    except Exception as exc:
        _answer(channel, {"error": f"{type(exc).__name__}: {exc}"})
        return
    _answer(channel, {"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = dock_one(vina, request, setup)
        except Exception as exc:  # not this molecule's fault as far as we know: not cached
            answer = {"reason": one_line(f"internal error ({type(exc).__name__}: {exc})"), "deterministic": False}
        _answer(channel, answer)


if __name__ == "__main__":
    main()
