import pytest
import torch

from molgan.mol.nn.models import GraphCritic, MolGenerator
from molgan.mol.nn.valence import (LayerRules, allowed_pair_bonds, max_neighbours, neighbour_counts, pair_bond_counts,
                                   valence_decode)

N, T, E = 9, 6, 4
CAPS = torch.tensor([0, 4, 3, 4, 1, 2, 1])  # maximum valence per atom type: "no atom", then C N N+ O- O F


def _reference(probs, atom_index, caps, connect, allowed=None, most=None):
    """The module's rules, one graph at a time in plain Python; `allowed[a][b][e]`: whether
    bond type e may join atom types a and b (None: any); `most[a]`: the most neighbours of
    an atom of type a (None: any)."""
    neighbours = [0] * len(atom_index)

    def spare(i):
        return most is None or neighbours[i] < most[atom_index[i]]

    def may(i, j, e):
        return allowed is None or allowed[atom_index[i]][atom_index[j]][e]

    n = len(atom_index)
    present = [i for i in range(n) if atom_index[i] > 0]
    remaining = {i: int(caps[atom_index[i]]) for i in present}
    requests = []
    for a, i in enumerate(present):
        for j in present[a + 1:]:
            bond = max(range(1, E), key=lambda e: (probs[i][j][e] if may(i, j, e) else 0.0, -e))
            if may(i, j, bond) and probs[i][j][bond] > probs[i][j][0]:
                requests.append((-probs[i][j][bond], i, j, bond))
    bonds = {}
    for _, i, j, bond in sorted(requests, key=lambda r: r[0]):  # stable: row-major on ties
        if remaining[i] >= bond and remaining[j] >= bond and spare(i) and spare(j):
            remaining[i] -= bond
            remaining[j] -= bond
            neighbours[i] += 1
            neighbours[j] += 1
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
                   if i < j and label[i] != label[j] and remaining[i] >= 1 and remaining[j] >= 1
                   and may(i, j, 1) and spare(i) and spare(j)]
        if not options:
            break
        best = max(p for p, _, _ in options)
        _, i, j = next(o for o in options if o[0] == best)
        remaining[i] -= 1
        remaining[j] -= 1
        neighbours[i] += 1
        neighbours[j] += 1
        bonds[i, j] = 1
    label = fragments()
    sizes = {r: sum(1 for i in present if label[i] == r) for r in set(label.values())}
    keep = {i for i in present if sizes[label[i]] == max(sizes.values()) and label[i] == min(
        r for r, s in sizes.items() if s == max(sizes.values()))}
    atoms = [int(atom_index[i]) if i in keep else 0 for i in range(n)]
    return atoms, {(i, j): b for (i, j), b in bonds.items() if i in keep}


@pytest.mark.parametrize("connect", [False, True])
@pytest.mark.parametrize("restricted", [False, True])
def test_valence_decode_matches_a_plain_python_reading_of_its_rules(connect, restricted):
    torch.manual_seed(0)
    logits = torch.randn(40, N, N, E) * 1.5
    probs = torch.softmax((logits + logits.transpose(1, 2)) / 2, -1)
    atom_index = torch.randint(0, T + 1, (40, N))
    allowed = most = None
    if restricted:  # a random symmetric table of allowed bond types by atom types, and neighbours
        table = torch.rand(T + 1, T + 1, E) < 0.5
        table = table & table.transpose(0, 1)
        table[..., 0] = True
        allowed = table.tolist()
        most = torch.randint(1, 3, (T + 1,)).tolist()
    rules = LayerRules(allowed_bonds=tuple(tuple(map(tuple, plane)) for plane in allowed) if restricted else (),
                       max_neighbours=tuple(most) if restricted else ())
    bonds, atoms = valence_decode(probs, atom_index, CAPS, connect=connect, rules=rules)
    assert torch.equal(bonds, bonds.transpose(1, 2))
    for k in range(40):
        want_atoms, want_bonds = _reference(probs[k].tolist(), atom_index[k].tolist(), CAPS.tolist(), connect,
                                            allowed, most)
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


def test_a_ring_closure_needs_the_ring_threshold():
    # Hexane's five bonds at probability 0.9 and the sixth, which closes cyclohexane, at 0.6.
    probs, atom_index = _ring_graph([1] * 6)
    single = torch.nn.functional.one_hot(torch.tensor(1), 5).float()
    for i in range(6):
        j = (i + 1) % 6
        probs[0, i, j] = probs[0, j, i] = single * 0.9 + torch.tensor([0.1, 0, 0, 0, 0])
    probs[0, 5, 0] = probs[0, 0, 5] = single * 0.6 + torch.tensor([0.4, 0, 0, 0, 0])
    closed, _ = valence_decode(probs, atom_index, CAPS, connect=False)
    assert closed[0, 0, 5] == 1 and (closed[0] > 0).sum() == 12  # off: the ring closes
    for threshold, ring in ((0.5, True), (0.7, False)):
        bonds, atoms = valence_decode(probs, atom_index, CAPS, connect=False, rules=LayerRules(threshold))
        assert bool(bonds[0, 0, 5] == 1) is ring and (bonds[0] > 0).sum() == (12 if ring else 10)
        assert (atoms[0, :6] > 0).all()  # the chain keeps every atom
    # Which bond closes the ring is decided by the order of confidence: with 2-3 at 0.55, the
    # bond 5-0 (0.6) joins two fragments and is granted whatever its probability, and 2-3
    # would close the ring.
    probs[0, 2, 3] = probs[0, 3, 2] = single * 0.55 + torch.tensor([0.45, 0, 0, 0, 0])
    bonds, _ = valence_decode(probs, atom_index, CAPS, connect=False, rules=LayerRules(0.7))
    assert bonds[0, 0, 5] == 1 and bonds[0, 2, 3] == 0


def test_a_ring_closure_needs_the_smallest_and_largest_ring_sizes():
    # Two graphs: cyclobutane and cyclopentane, their bonds at falling probabilities from 0.95,
    # so that the last (ring-closing) bond of each is its least likely.
    single = torch.nn.functional.one_hot(torch.tensor(1), 5).float()
    probs = torch.zeros(2, N, N, 5)
    probs[..., 0] = 1.0
    atom_index = torch.zeros(2, N, dtype=torch.long)
    for g, size in enumerate((4, 5)):
        atom_index[g, :size] = 1
        for k in range(size):
            i, j, p = k, (k + 1) % size, 0.95 - 0.05 * k
            probs[g, i, j] = probs[g, j, i] = single * p + torch.tensor([1 - p, 0, 0, 0, 0])
    for min_size, max_size, closed in ((0, 0, (True, True)), (4, 0, (True, True)), (5, 0, (False, True)),
                                       (6, 0, (False, False)), (0, 4, (True, False)), (5, 5, (False, True))):
        rules = LayerRules(min_ring_size=min_size, max_ring_size=max_size)
        bonds, atoms = valence_decode(probs, atom_index, CAPS, connect=False, rules=rules)
        for g, size in enumerate((4, 5)):
            assert bool(bonds[g, size - 1, 0] == 1) is closed[g], (min_size, max_size, size)
            # the other bonds (a chain) are kept, and every atom with them
            assert (bonds[g] > 0).sum() == 2 * (size - 1 + int(closed[g])) and (atoms[g, :size] > 0).all()


def test_a_forbidden_bond_type_gives_way_to_the_next_allowed_one():
    # Two O atoms (type 5, cap 2) most likely doubly bonded (0.5), then singly (0.3): with O=O
    # forbidden the pair asks for its single bond; with both forbidden, for nothing, and the
    # fragments are not joined by a forbidden single bond either.
    probs = torch.zeros(1, N, N, E)
    probs[..., 0] = 1.0
    probs[0, 0, 1] = probs[0, 1, 0] = torch.tensor([0.2, 0.3, 0.5, 0.0])
    atom_index = torch.zeros(1, N, dtype=torch.long)
    atom_index[0, :2] = 5
    table = torch.ones(T + 1, T + 1, E, dtype=torch.bool)

    def decode(forbidden):
        allowed = table.clone()
        allowed[5, 5, list(forbidden)] = False
        rules = LayerRules(allowed_bonds=tuple(tuple(map(tuple, plane)) for plane in allowed.tolist()))
        return valence_decode(probs, atom_index, CAPS, rules=rules)

    assert decode(())[0][0, 0, 1] == 2
    assert decode((2,))[0][0, 0, 1] == 1
    bonds, atoms = decode((1, 2))
    assert bonds[0, 0, 1] == 0 and atoms[0].tolist().count(5) == 1  # two fragments: one is kept


def test_pair_bond_counts_and_the_allowed_table_from_them():
    # Three molecules over types 1 (C) and 2 (O): C-C single, C=O double; C-O single twice; O-O single.
    atoms = torch.tensor([[1, 1, 2], [2, 1, 2], [2, 2, 0]], dtype=torch.uint8)
    bonds = torch.zeros(3, 3, 3, dtype=torch.uint8)
    for g, i, j, e in ((0, 0, 1, 1), (0, 1, 2, 2), (1, 0, 1, 1), (1, 1, 2, 1), (2, 0, 1, 1)):
        bonds[g, i, j] = bonds[g, j, i] = e
    counts = pair_bond_counts(bonds, atoms, bond_types=3, atom_types=3, chunk=2)
    assert torch.equal(counts, counts.transpose(0, 1))
    assert counts[1, 1].tolist() == [0, 1, 0] and counts[1, 2].tolist() == [0, 2, 1]
    assert counts[2, 2].tolist() == [0, 1, 0] and counts[0].sum() == 0 and counts.sum() == 1 + 2 * 3 + 1
    allowed = allowed_pair_bonds(counts, molecules=3, min_per_molecule=0.5)  # at least 1.5 bonds
    assert allowed[1][2] == (True, True, False) and allowed[2][1] == allowed[1][2]
    assert allowed[1][1] == (True, False, False) and allowed[2][2] == (True, False, False)


def test_ring_bonds_are_found_the_same_in_chunks():
    from molgan.mol.nn.valence import _ring_bonds_only

    torch.manual_seed(1)
    upper = torch.triu(torch.randint(0, 5, (30, N, N)), 1)
    bonds = upper + upper.transpose(1, 2)
    present = torch.ones(30, N, dtype=torch.bool)
    whole = _ring_bonds_only(bonds, 4, present)
    assert torch.equal(_ring_bonds_only(bonds, 4, present, chunk=7), whole)
    assert ((whole == 4).sum() < (bonds == 4).sum())  # some aromatic bonds were bridges


def test_an_aromatic_bridge_becomes_single_only_where_single_bonds_are_allowed():
    from molgan.mol.nn.valence import _ring_bonds_only

    bonds = torch.zeros(2, N, N, dtype=torch.long)
    bonds[:, 0, 1] = bonds[:, 1, 0] = 4  # an aromatic bond on no ring: a bridge
    present = torch.ones(2, N, dtype=torch.bool)
    single_allowed = torch.ones(2, N, N, dtype=torch.bool)
    single_allowed[1] = False  # the second graph's atom types may not be singly bonded
    out = _ring_bonds_only(bonds, 4, present, single_allowed)
    assert out[0, 0, 1] == out[0, 1, 0] == 1 and out[1, 0, 1] == out[1, 1, 0] == 0


def test_neighbour_counts_and_the_most_neighbours_from_them():
    # Propane's middle carbon has two neighbours, its ends one; isobutane's middle three.
    atoms = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.uint8)
    bonds = torch.zeros(2, 4, 4, dtype=torch.uint8)
    for g, i, j in ((0, 0, 1), (0, 1, 2), (1, 0, 1), (1, 0, 2), (1, 0, 3)):
        bonds[g, i, j] = bonds[g, j, i] = 1
    counts = neighbour_counts(bonds, atoms, atom_types=2, chunk=1)
    assert counts[1].tolist() == [0, 5, 1, 1] and counts[0].tolist() == [1, 0, 0, 0]
    assert max_neighbours(counts, molecules=2, min_per_molecule=0.5) == (0, 3)  # at least one atom
    assert max_neighbours(counts, molecules=2, min_per_molecule=1.0) == (0, 1)  # at least two
