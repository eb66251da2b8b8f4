import pytest

from molgan.mol.chem.vocab import AtomType, AtomVocab


@pytest.mark.parametrize("text, symbol, charge", [
    ("C", "C", 0), ("N+", "N", 1), ("O-", "O", -1), ("Fe+2", "Fe", 2), ("Cl", "Cl", 0),
])
def test_atom_type_parse_and_str_round_trip(text, symbol, charge):
    atom_type = AtomType.parse(text)
    assert (atom_type.symbol, atom_type.charge) == (symbol, charge)
    assert str(atom_type) == text


@pytest.mark.parametrize("text", ["", "c", "Xx", "N++", "1C", "O-x"])
def test_atom_type_rejects_garbage(text):
    with pytest.raises(ValueError):
        AtomType.parse(text)


def test_vocab_order_is_independent_of_input_order_and_zero_is_none():
    a = AtomVocab.from_strings(["O-", "C", "N+", "O", "N"])
    b = AtomVocab.from_strings(["N", "O", "C", "O-", "N+", "C"])
    assert a == b
    assert a.names() == ["C", "N", "N+", "O-", "O"]
    assert len(a) == 6  # five types + "no atom"
    assert a.index(AtomType("C")) == 1 and a[1] == AtomType("C")
    with pytest.raises(IndexError):
        a[0]
    assert AtomType("F") not in a
