"""The docking term's experience replay: the best docked molecules join the policy's samples."""
import torch
from test_docking_reward import MOLECULES, graphs, make

from molgan.mol.rewards.docking_term import DockingTerm


def test_replay_draws_from_the_best_docked_molecules_and_resumes_the_same_draws():
    reward = make([], budget=len(MOLECULES), per_round=len(MOLECULES))
    term = DockingTerm(reward, every=1, alert_penalty=0.5, replay=2, seed=3)
    assert term.replay_batch(None) is None  # nothing docked yet
    bonds, atoms = graphs(MOLECULES)
    reward.dock(MOLECULES, bonds, atoms)  # the stand-in oracle: -1 kcal/mol per heavy atom
    # the 4 * 2 that earn the most: the heaviest (7 atoms: OCCCCCO; 6: CCCCCN, ...)
    best = {s for s, _ in sorted(zip(reward.docked.smiles, reward.docked.scores), key=lambda p: p[1])[:8]}
    saved = term.state_dict()
    draws = [term.replay_batch(None) for _ in range(5)]
    for smiles, replay_bonds, replay_atoms in draws:
        assert len(smiles) == 2 and set(smiles) <= best
        rows = [MOLECULES.index(s) for s in smiles]
        assert torch.equal(replay_bonds, bonds[rows]) and torch.equal(replay_atoms, atoms[rows])
    assert len({tuple(d[0]) for d in draws}) > 1  # drawn at random, not the same two every step
    restored = DockingTerm(make([]), every=1, alert_penalty=0.5, replay=2, seed=0)
    restored.load_state_dict(saved)
    assert [restored.replay_batch(None)[0] for _ in range(5)] == [d[0] for d in draws]
    # the exact terms weigh in: a reward that only pays OCCCCCO leaves it among the best
    only = term.replay_batch(lambda smiles: [1.0 if s == "OCCCCCO" else 0.0 for s in smiles])
    assert only is not None and len(only[0]) == 2
    off = DockingTerm(reward, every=1, alert_penalty=0.5, replay=0)
    assert off.replay_batch(None) is None


def test_a_round_chooses_among_more_samples_than_the_step_drew():
    calls, asked = [], []
    reward = make(calls, budget=4, per_round=1)
    term = DockingTerm(reward, every=1, alert_penalty=0.5, candidates=6)
    step = ["CCO", "CCN"]

    def more(count):
        asked.append(count)
        extra = ["OCCCCCO", "CCCCO", "NCCN", "CCOC"][:count]
        return (extra, *graphs(extra))

    prefer = lambda smiles: [1.0 if s == "OCCCCCO" else 0.1 for s in smiles]  # noqa: E731
    factor, _ = term(step, *graphs(step), prefer, more)
    assert asked == [4] and calls == [["OCCCCCO"]]  # the extra sample the exact terms prefer
    assert factor.shape == (2,)  # the step's own samples are still the ones scored
    term(step, *graphs(step), prefer)  # without more: the step's samples only
    assert calls[-1] in (["CCO"], ["CCN"]) and asked == [4]
