"""The compact form of converted molecules: rows' graphs survive chunking and re-indexing."""
from molgan.mol.chem.graph import smiles_to_graph
from molgan.mol.data.convert import ConvertedGraphs, convert_smiles


def test_chunks_concatenate_to_the_same_graphs_whatever_their_atom_tables():
    first = ["CCO", "not_a_molecule", "c1ccccc1"]
    second = ["C[N+](=O)[O-]", "ClCBr", "[CH2]"]  # atom types the first chunk does not have
    whole = convert_smiles(first + second, workers=1, progress=False, aromatic=True)
    parts = ConvertedGraphs.concatenate([convert_smiles(first, workers=1, progress=False, aromatic=True),
                                         convert_smiles(second, workers=1, progress=False, aromatic=True)])
    for converted in (whole, parts):
        assert len(converted) == 6
        assert [bool(r) for r in converted.reasons] == [False, True, False, False, False, True]
        for row, smiles in enumerate(first + second):
            if converted.reasons[row]:
                assert converted.graph(row) is None and converted.smiles[row] == ""
            else:
                expected_smiles, expected_graph = smiles_to_graph(smiles, aromatic=True)
                assert converted.smiles[row] == expected_smiles and converted.graph(row) == expected_graph
    assert set(map(str, parts.types)) == {"C", "O", "N+", "O-", "Cl", "Br"}
