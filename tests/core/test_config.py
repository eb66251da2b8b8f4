from dataclasses import dataclass, field
from typing import Literal

import pytest

from molgan.core.config import build_config, from_dict, save_toml, to_dict
from molgan.errors import InputError


@dataclass
class Model:
    kind: Literal["a", "b"] = "a"
    width: int = 8
    dropout: float = 0.0


@dataclass
class Train:
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.9)
    width: int = 3  # same name as model.width: bare key is ambiguous


@dataclass
class Run:
    model: Model = field(default_factory=Model)
    train: Train = field(default_factory=Train)
    name: str = "x"


def test_defaults_file_then_set(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[model]\nkind = "b"\n[train]\nlr = 2\n')
    config = build_config(Run, path, ["dropout=0.5", "train.betas=[0.1, 0.2]", "name=run1"])
    assert config.model.kind == "b" and config.train.lr == 2.0 and isinstance(config.train.lr, float)
    assert config.model.dropout == 0.5 and config.train.betas == (0.1, 0.2) and config.name == "run1"
    untouched = Run()
    assert (config.model.width, config.train.width) == (untouched.model.width, untouched.train.width)


def test_resolved_config_round_trips_through_toml(tmp_path):
    config = build_config(Run, None, ["model.width=32"])
    save_toml(to_dict(config), tmp_path / "r.toml")
    assert build_config(Run, tmp_path / "r.toml") == config


@pytest.mark.parametrize("sets, message", [
    (["model.depth=3"], "unknown config key 'model.depth'"),
    (["depth=3"], "--set depth: unknown config key"),
    (["width=3"], "ambiguous, say which: model.width, train.width"),
    (["model.width=wide"], "model.width must be int, got 'wide'"),
    (["model.width=2.5"], "model.width must be int, got 2.5"),
    (["kind=c"], "model.kind must be one of 'a', 'b', got 'c'"),
    (["train.betas=[1]"], "train.betas must have 2 items, got 1"),
    (["novalue"], "expected key=value"),
])
def test_bad_settings_are_clear_errors(sets, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("(", r"\(")):
        build_config(Run, None, sets)


def test_bad_config_files(tmp_path):
    with pytest.raises(InputError, match="no such config file"):
        build_config(Run, tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nkind = 1")
    with pytest.raises(InputError, match="invalid TOML"):
        build_config(Run, bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[model]\ncolour = 'red'\n")
    with pytest.raises(InputError, match="unknown config key 'model.colour'"):
        build_config(Run, wrong)


def test_from_dict_rejects_a_value_where_a_section_belongs():
    with pytest.raises(InputError, match="expected a table"):
        from_dict(Run, {"model": 3})


def test_a_retired_setting_is_dropped_at_its_off_value_and_refused_otherwise():
    """A run saved by an earlier version lists settings this one no longer has: at the value
    that made them do nothing they are dropped, at any other an error names them."""
    from molgan.mol.config import MolRunConfig

    saved = to_dict(MolRunConfig())
    saved["model"].update(valence_penalty=0.0, ring_threshold=0.0, chemistry_feature=False)
    saved["eval"]["calibrate_bonds"] = []
    assert to_dict(from_dict(MolRunConfig, saved)) == to_dict(MolRunConfig())
    saved["model"]["valence_penalty"] = 1.0
    with pytest.raises(InputError, match="model.valence_penalty = 1.0: a setting this version"):
        from_dict(MolRunConfig, saved)
    with pytest.raises(InputError, match="unknown config key"):  # not a setting a user can ask for
        build_config(MolRunConfig, overrides=["valence_penalty=0"])
