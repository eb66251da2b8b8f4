"""Typed dataclass configs: TOML files hold only differences, `--set key=value` overrides.

Unknown keys and values of the wrong type are `InputError`s naming the key, so a typo
in a config file is an error, never a silently ignored setting. A list of words may be
given as one comma-separated string (`--set condition=qed,logp`).
"""
from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import tomli_w

from molgan.core.atomic import atomic_write
from molgan.errors import InputError


def from_dict(cls: type, data: dict, where: str = "") -> Any:
    """Build dataclass `cls` from `data`, checking every key and value type."""
    if not isinstance(data, dict):
        raise InputError(f"{where or 'config'}: expected a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    retired = getattr(cls, "retired", {})  # settings of earlier versions: {name: the value that did nothing}
    kwargs = {}
    for key, value in data.items():
        name = f"{where}.{key}" if where else key
        if key in retired and key not in fields:
            if value != retired[key]:  # saved configs hold lists, as `to_dict` writes them
                raise InputError(f"{name} = {value!r}: a setting this version of molgan no longer has (only "
                                 f"{retired[key]!r}, off, is accepted in a saved config)")
            continue
        if key not in fields:
            raise InputError(f"unknown config key {name!r} (known: {', '.join(sorted(fields))})")
        kwargs[key] = _coerce(hints[key], value, name)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where or 'config'}: {exc}") from None


def _coerce(hint: Any, value: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, name)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(option, value, name)
            except InputError as exc:
                errors.append(str(exc))
        raise InputError(errors[0])
    if origin is Literal:
        if value not in args:
            raise InputError(f"{name} must be one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin in (tuple, list):
        if isinstance(value, str) and args and args[0] is str:
            value = [v.strip() for v in value.split(",") if v.strip()]  # --set condition=qed,logp
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{name} must be a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise InputError(f"{name} must have {len(args)} items, got {len(value)}")
            return tuple(_coerce(a, v, f"{name}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
        item = args[0] if args else Any
        return origin(_coerce(item, v, f"{name}[{i}]") for i, v in enumerate(value))
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool) and (type(value) is not hint):
        raise InputError(f"{name} must be {hint.__name__}, got {value!r}")
    return value


def to_dict(config: Any) -> dict:
    """Plain nested dict of a dataclass config, with None values left out (TOML has no null)."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value
    return clean(dataclasses.asdict(config))


def load_toml(path: str | Path) -> dict:
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read config ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML ({exc})") from None


def save_toml(data: dict, path: str | Path, header: str = "") -> None:
    """`data` as TOML, after `header` as comment lines."""
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    with atomic_write(path, "wb") as handle:
        handle.write(comment.encode())
        tomli_w.dump(data, handle)


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply ``section.key=value`` strings to a nested dict; values are read as TOML."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--set {item!r}: expected key=value")
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()  # bare words are strings: --set model=dcgan
        *parents, leaf = key.split(".")
        table = data
        for part in parents:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise InputError(f"--set {item!r}: {part!r} is not a section")
        table[leaf] = value
    return data


def _resolve_key(cls: type, key: str) -> str:
    """`n_critic` -> `train.n_critic` when exactly one section has that field."""
    if "." in key:
        return key
    hints = typing.get_type_hints(cls)
    if key in hints:
        return key
    owners = [name for name, hint in hints.items()
              if dataclasses.is_dataclass(hint) and key in typing.get_type_hints(hint)]
    if len(owners) == 1:
        return f"{owners[0]}.{key}"
    if owners:
        raise InputError(f"--set {key}: ambiguous, say which: {', '.join(f'{o}.{key}' for o in owners)}")
    raise InputError(f"--set {key}: unknown config key")


def merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def build_config(cls: type, file: str | Path | None = None, overrides: list[str] = (),
                 base: dict | None = None) -> Any:
    """Defaults (or `base`), then a TOML file of differences, then ``--set`` overrides."""
    data = base if base is not None else to_dict(cls())
    if file is not None:
        data = merge(data, load_toml(file))
    sets = []
    for item in overrides:
        key, sep, value = item.partition("=")
        sets.append(f"{_resolve_key(cls, key.strip())}{sep}{value}" if sep else item)
    return from_dict(cls, apply_overrides(data, sets))
