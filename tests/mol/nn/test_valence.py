import pytest
import torch

from molgan.mol.nn.models import GraphCritic, MolGenerator
from molgan.mol.nn.valence import valence_decode

N, T, E = 9, 6, 4
CAPS = torch.tensor([0, 4, 3, 4, 1, 2, 1])  # maximum valence per atom type: "no atom", then C N N+ O- O F


def _reference(probs, atom_index, caps, connect):
    """The module's rules, one graph at a time in plain Python."""
    n = len(atom_index)
    present = [i for i in range(n) if atom_index[i] > 0]
    remaining = {i: int(caps[atom_index[i]]) for i in present}
    requests = []
    for a, i in enumerate(present):
        for j in present[a + 1:]:
            bond = max(range(1, E), key=lambda e: (probs[i][j][e], -e))
            if probs[i][j][bond] > probs[i][j][0]:
                requests.append((-probs[i][j][bond], i, j, bond))
    bonds = {}
    for _, i, j, bond in sorted(requests, key=lambda r: r[0]):  # stable: row-major on ties
        if remaining[i] >= bond and remaining[j] >= bond:
            remaining[i] -= bond
            remaining[j] -= bond
            bonds[i, j] = bond

    def fragments():
        label = {i: i for i in present}
        changed = True
        while changed:
            changed = False
            for (i, j) in bonds:
                low = min(label[i], label[j])
                if label[i] != low or label[j] != low:
                    label[i] = label[j] = low
                    changed = True
        return label

    while connect:
        label = fragments()
        options = [(probs[i][j][1], i, j) for i in present for j in present
                   if i < j and label[i] != label[j] and remaining[i] >= 1 and remaining[j] >= 1]
        if not options:
            break
        best = max(p for p, _, _ in options)
        _, i, j = next(o for o in options if o[0] == best)
        remaining[i] -= 1
        remaining[j] -= 1
        bonds[i, j] = 1
    label = fragments()
    sizes = {r: sum(1 for i in present if label[i] == r) for r in set(label.values())}
    keep = {i for i in present if sizes[label[i]] == max(sizes.values()) and label[i] == min(
        r for r, s in sizes.items() if s == max(sizes.values()))}
    atoms = [int(atom_index[i]) if i in keep else 0 for i in range(n)]
    return atoms, {(i, j): b for (i, j), b in bonds.items() if i in keep}


@pytest.mark.parametrize("connect", [False, True])
def test_valence_decode_matches_a_plain_python_reading_of_its_rules(connect):
    torch.manual_seed(0)
    logits = torch.randn(40, N, N, E) * 1.5
    probs = torch.softmax((logits + logits.transpose(1, 2)) / 2, -1)
    atom_index = torch.randint(0, T + 1, (40, N))
    bonds, atoms = valence_decode(probs, atom_index, CAPS, connect=connect)
    assert torch.equal(bonds, bonds.transpose(1, 2))
    for k in range(40):
        want_atoms, want_bonds = _reference(probs[k].tolist(), atom_index[k].tolist(), CAPS.tolist(), connect)
        assert atoms[k].tolist() == want_atoms
        got = {(i, j): int(bonds[k, i, j]) for i in range(N) for j in range(i + 1, N) if bonds[k, i, j] > 0}
        assert got == want_bonds
        order = bonds[k].sum(1)
        assert (order <= CAPS[atoms[k]]).all()  # never over a cap, absent atoms have no bond


def test_valence_decode_drops_what_does_not_fit_and_joins_fragments():
    probs = torch.zeros(1, N, N, E)
    probs[..., 0] = 1.0
    atom_index = torch.zeros(1, N, dtype=torch.long)
    atom_index[0, :4] = torch.tensor([6, 1, 1, 1])  # F, C, C, C
    for i, j, p_bonds in ((0, 1, [0.1, 0.9, 0, 0]), (0, 2, [0.2, 0.8, 0, 0]), (1, 2, [0.3, 0, 0.7, 0]),
                          (2, 3, [0.8, 0.2, 0, 0])):
        probs[0, i, j] = probs[0, j, i] = torch.tensor(p_bonds)
    bonds, atoms = valence_decode(probs, atom_index, CAPS, connect=False)
    # F-C1 granted; F-C2 no longer fits F's single valence; C1=C2; C2-C3 is less likely than no bond.
    assert bonds[0, 0, 1] == 1 and bonds[0, 0, 2] == 0 and bonds[0, 1, 2] == 2
    assert atoms[0].tolist()[:4] == [6, 1, 1, 0]  # C3 alone is the smaller fragment: dropped
    bonds, atoms = valence_decode(probs, atom_index, CAPS, connect=True)
    assert bonds[0, 2, 3] == 1 and atoms[0].tolist()[:4] == [6, 1, 1, 1]  # joined by its likeliest bond


def test_largest_fragment_ties_keep_the_lowest_atom_index():
    probs = torch.zeros(1, N, N, E)
    probs[..., 0] = 1.0
    for i, j in ((0, 3), (1, 2)):
        probs[0, i, j] = probs[0, j, i] = torch.tensor([0.0, 1.0, 0.0, 0.0])
    atom_index = torch.tensor([[6, 6, 6, 6, 0, 0, 0, 0, 0]])  # F-F twice: no free valence to join
    _, atoms = valence_decode(probs, atom_index, CAPS, connect=True)
    assert atoms[0, :4].tolist() == [6, 0, 0, 6]


def test_st_valence_generator_outputs_the_layer_graph_and_passes_gradients():
    torch.manual_seed(0)
    generator = MolGenerator(8, N, T + 1, E, hidden=(16,), post="st-valence", valence_caps=CAPS.tolist())
    z = torch.randn(6, 8)
    bonds, atoms = generator(z)
    bond_logits, atom_logits = generator.logits(z)
    want_bonds, want_atoms = generator.graphs(bond_logits, atom_logits)
    assert torch.equal(bonds.argmax(-1), want_bonds) and torch.equal(atoms.argmax(-1), want_atoms)
    assert set(bonds.detach().unique().tolist()) <= {0.0, 1.0}
    with torch.no_grad():
        no_grad_bonds, _ = generator(z)
    assert torch.equal(no_grad_bonds, bonds.detach())
    critic = GraphCritic(T + 1, E, conv_dims=(8,), readout_dim=8, head_dims=(8,))
    critic(bonds, atoms).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())


def test_st_valence_needs_the_caps():
    with pytest.raises(ValueError, match="valence caps"):
        MolGenerator(8, N, T + 1, E, post="st-valence")


def test_aromatic_bonds_on_no_aromatic_cycle_become_single():
    probs = torch.zeros(1, N, N, 5)
    probs[..., 0] = 1.0
    aromatic = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (4, 5)]  # a five-ring and a pendant bond
    for i, j, bond in [(i, j, 4) for i, j in aromatic] + [(5, 6, 1)]:
        probs[0, i, j] = probs[0, j, i] = torch.nn.functional.one_hot(torch.tensor(bond), 5).float()
    atom_index = torch.tensor([[1, 1, 1, 1, 2, 1, 1, 0, 0]])  # C C C C N C C
    bonds, atoms = valence_decode(probs, atom_index, CAPS)
    assert all(bonds[0, i, j] == 4 for i, j in aromatic[:5])
    assert bonds[0, 4, 5] == 1 and bonds[0, 5, 6] == 1 and torch.equal(bonds, bonds.transpose(1, 2))
    # An aromatic bond takes one unit of valence (its least once kekulized): O keeps two ring bonds.
    atom_index[0, 4] = 5  # O, cap 2
    bonds, _ = valence_decode(probs, atom_index, CAPS)
    assert bonds[0, 3, 4] == 4 and bonds[0, 0, 4] == 4 and bonds[0, 4, 5] == 0


def _ring_graph(ring_atoms, extra=()):
    """Probabilities of one graph: a ring of aromatic bonds over atom types `ring_atoms`, plus
    `extra` (i, j, bond) requests, every request certain; and its atom indices."""
    probs = torch.zeros(1, N, N, 5)
    probs[..., 0] = 1.0
    k = len(ring_atoms)
    for i, j, bond in [(i, (i + 1) % k, 4) for i in range(k)] + list(extra):
        probs[0, i, j] = probs[0, j, i] = torch.nn.functional.one_hot(torch.tensor(bond), 5).float() * 0.9
        probs[0, i, j, 0] = probs[0, j, i, 0] = 0.1
    atom_index = torch.zeros(1, N, dtype=torch.long)
    atom_index[0, :k] = torch.tensor(ring_atoms)
    for i, j, _ in extra:
        atom_index[0, max(i, j)] = atom_index[0, max(i, j)] or 1
    return probs, atom_index


@pytest.mark.parametrize("ring_atoms, aromatic", [
    ([1] * 6, True),  # benzene
    ([1, 1, 1, 1, 2, 0], True),  # pyrrole: its N has only its ring bonds and may carry H
    ([1, 1, 1, 1, 1, 2], True),  # pyridine
    ([1, 1, 1, 1, 5], True),  # furan: O has no valence left for a double bond
    ([1] * 5, False),  # five carbons: no Kekulé structure
    ([1, 1, 1, 1, 1, 1, 1], False),  # seven carbons
    ([5, 1, 5, 1, 1], False),  # two O and three C: the carbons cannot all get a double bond
])
def test_aromatic_systems_without_a_kekule_structure_become_single(ring_atoms, aromatic):
    from molgan.mol.nn.valence import KEKULE_DOUBLE, KEKULE_LONE_PAIR, KEKULE_OTHER

    roles = torch.tensor([KEKULE_OTHER, KEKULE_DOUBLE, KEKULE_LONE_PAIR, KEKULE_DOUBLE, KEKULE_OTHER,
                          KEKULE_OTHER, KEKULE_OTHER])  # "no atom", C N N+ O- O F
    atoms = [a for a in ring_atoms if a]
    probs, atom_index = _ring_graph(atoms)
    bonds, _ = valence_decode(probs, atom_index, CAPS, roles=roles)
    ring = [bonds[0, i, (i + 1) % len(atoms)].item() for i in range(len(atoms))]
    assert ring == ([4] * len(atoms) if aromatic else [1] * len(atoms))
    unchecked, _ = valence_decode(probs, atom_index, CAPS)  # without roles the ring stays aromatic
    assert all(unchecked[0, i, (i + 1) % len(atoms)] == 4 for i in range(len(atoms)))


def test_a_carbons_first_aromatic_bond_keeps_a_unit_for_its_double_bond():
    from molgan.mol.nn.valence import KEKULE_DOUBLE, KEKULE_OTHER

    roles = torch.tensor([KEKULE_OTHER, KEKULE_DOUBLE] + [KEKULE_OTHER] * 5)
    # benzene whose atom 0 also asks for two single bonds: with its two ring bonds and the
    # unit held for the double bond, one fits.
    probs, atom_index = _ring_graph([1] * 6, extra=[(0, 6, 1), (0, 7, 1)])
    bonds, _ = valence_decode(probs, atom_index, CAPS, connect=False, roles=roles)
    assert (bonds[0, 0, 6:8] == 1).sum() == 1 and bonds[0, 0, 1] == 4 and bonds[0, 0, 5] == 4
    unchecked, _ = valence_decode(probs, atom_index, CAPS, connect=False)
    assert (unchecked[0, 0, 6:8] == 1).sum() == 2  # without roles both fit; RDKit rejects that


def test_every_aromatic_graph_of_the_layer_is_a_molecule():
    from molgan.mol.chem.vocab import AtomVocab
    from molgan.mol.decoding.decode import decode_logits

    vocab = AtomVocab.from_strings(["C-", "C", "N-", "N", "N+", "O-", "O", "F"])
    torch.manual_seed(0)
    bond_logits = torch.randn(300, N, N, 5) * 2
    bond_logits[..., 4] += 1.5  # many aromatic requests
    bond_logits = (bond_logits + bond_logits.transpose(1, 2)) / 2
    atom_logits = torch.randn(300, N, len(vocab))
    atom_logits[..., vocab.index(vocab.types[1])] += 2  # mostly carbon
    decoded = decode_logits(bond_logits, atom_logits, vocab, mode="connected")
    assert all(d.smiles for d in decoded), {d.reason for d in decoded if not d.smiles}
    assert sum("c" in d.smiles or "n" in d.smiles or "o" in d.smiles for d in decoded) > 30  # aromatic ones


def test_sulfur_and_oxygen_give_a_lone_pair_and_take_no_double_bond():
    from molgan.mol.chem.vocab import AtomVocab
    from molgan.mol.decoding.decode import kekule_roles, max_valences

    vocab = AtomVocab.from_strings(["C", "N", "O", "S"])  # indices 1 C, 2 N, 3 O, 4 S
    roles, caps = torch.as_tensor(kekule_roles(vocab)), torch.as_tensor(max_valences(vocab))
    thiophene = _ring_graph([1, 1, 1, 1, 4])
    bonds, _ = valence_decode(*thiophene, caps, roles=roles)
    assert all(bonds[0, i, (i + 1) % 5] == 4 for i in range(5))
    # S has valence left (cap 6) but a double bond would leave it at an odd valence: a ring
    # of S and four carbons with an exocyclic bond on S has no Kekulé structure.
    substituted = _ring_graph([1, 1, 1, 1, 4], extra=[(4, 5, 1)])
    bonds, _ = valence_decode(*substituted, caps, roles=roles)
    assert all(bonds[0, i, (i + 1) % 5] == 1 for i in range(5))
    # A carbon between two S atoms (ring S C S C C) could pair only with an S: no structure.
    odd = _ring_graph([4, 1, 4, 1, 1])
    bonds, _ = valence_decode(*odd, caps, roles=roles)
    assert all(bonds[0, i, (i + 1) % 5] == 1 for i in range(5))


def test_ring_bonds_are_found_the_same_in_chunks():
    from molgan.mol.nn.valence import _ring_bonds_only

    torch.manual_seed(1)
    upper = torch.triu(torch.randint(0, 5, (30, N, N)), 1)
    bonds = upper + upper.transpose(1, 2)
    present = torch.ones(30, N, dtype=torch.bool)
    whole = _ring_bonds_only(bonds, 4, present)
    assert torch.equal(_ring_bonds_only(bonds, 4, present, chunk=7), whole)
    assert ((whole == 4).sum() < (bonds == 4).sum())  # some aromatic bonds were bridges
