"""Sample molecules from a trained generator and write them as CSV (or SDF); or translate a
folder of images with a trained image translation GAN (Pix2Pix, CycleGAN, SRGAN).

  molgan sample runs/qm9 -n 10000 -o samples.csv
  molgan sample runs/qm9/checkpoints/step-0001500.pt -n 500 -o top.sdf --format sdf --valid-only --unique

  molgan sample runs/qm9-qed -n 1000 -o qed52.csv --condition qed=0.52
  molgan sample runs/qm9-reward-qed -n 1000 -o high-qed.csv --condition reward=0.6

  molgan sample runs/pix2pix --input outlines/ -o digits/
  molgan sample runs/cyclegan --input mnist-digits/ --direction ab -o restyled/

A run directory means its best.pt (by default the lowest validation FCD; a conditioned
run's: closest to its conditions; a reward run's: the highest reward), else its latest checkpoint. The
EMA generator is used unless --no-ema, and graphs are decoded the way the run was
evaluated (its eval.decode) unless --decode says otherwise. Rows are in generation order and include invalid
graphs (empty `smiles`, with the `reason`), so validity can be recomputed from the file:
smiles (canonical), valid, reason, num_atoms, qed, logp, sa, mw, novel (not in the
training split), duplicate (seen earlier in the file), then the medicinal-chemistry filters:
lipinski_violations (rule of five), pains, brenk, mcf (the first matching alert's name,
empty when none; mcf needs the molsets wheel). Same seed, same file. The summary line gives
validity as delivered beside the validity of the output layer's graphs (for the default
generator a valence-aware layer: a correction) and without any correction (--decode
uncorrected samples that way, as published "validity w/o correction" is measured).
"""
from __future__ import annotations

import argparse
import csv
import io
import logging
from pathlib import Path

from molgan.errors import InputError, write_error

log = logging.getLogger("molgan")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="RUN_DIR|CHECKPOINT")
    parser.add_argument("-n", "--num", type=int, default=None, help="number of graphs to generate (molecules)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.csv|OUT_DIR",
                        help="the molecules' CSV (or SDF); with --input, a new folder for the translated images")
    parser.add_argument("--input", default=None, metavar="FOLDER",
                        help="image translation runs: translate every image under FOLDER (read as grey levels, "
                             "resized to the run's source size: 28x28, SRGAN's 7x7) into PNGs of the same names")
    parser.add_argument("--direction", choices=("ab", "ba"), default=None,
                        help="CycleGAN runs: ab translates MNIST-style digits to the 8x8 writers' style, ba back")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--format", choices=("csv", "sdf"), default=None,
                        help="default: from the output's extension (.sdf -> sdf), else csv")
    parser.add_argument("--valid-only", action="store_true", help="leave out invalid graphs")
    parser.add_argument("--unique", action="store_true", help="leave out repeats of earlier molecules")
    parser.add_argument("--filter", default=None, metavar="NAMES",
                        help="keep only valid molecules that pass these filters, comma-separated: lipinski (at "
                             "most one rule-of-five violation), pains (PAINS A/B/C), brenk (Brenk's unwanted "
                             "groups), mcf (MOSES' medicinal-chemistry filters); -n graphs are generated, then "
                             "filtered, and the log says how many each filter dropped")
    parser.add_argument("--condition", default=None, metavar="NAME=VALUE[,...]",
                        help="property values to ask a conditioned run for (trained with --set condition=qed "
                             "and the like), e.g. qed=0.52 or qed=0.5,logp=1.0; a conditioned property left out "
                             "is drawn as in the training data; a value outside the data's range is refused. "
                             "A run trained with a reward (--set reward=qed) is asked for rewards of the "
                             "training molecules' top quarter (its rl.aim) unless given reward=VALUE")
    parser.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA copy")
    parser.add_argument("--latent-scale", type=float, default=None, metavar="S",
                        help="multiply the latent noise by S: larger, more diverse; smaller, more typical "
                             "molecules (the truncation trick; default: the run's eval.latent_scale)")
    parser.add_argument("--decode", choices=("connected", "capped", "raw", "argmax", "uncorrected"), default=None,
                        help="raw: the graphs as the generator's output layer gives them (the default "
                             "generator's valence-aware layer, itself a correction; no offsets); connected: "
                             "valence-capped bonds, then fragments joined by their most likely single bonds; "
                             "capped: valence-capped bonds, largest fragment; argmax: each pair's most likely "
                             "bond, no constraint; uncorrected: every correction off (argmax for the MLP "
                             "generator, the autoregressive one sampled without its valence masks), as "
                             "published 'validity without correction' is measured (default: the decoding the "
                             "run was evaluated with, eval.decode)")


def run(args: argparse.Namespace) -> int:
    if args.input is not None:
        return _translate_images(args)
    import torch

    from molgan.core.atomic import atomic_write
    from molgan.mol.conditioning import REWARD_CONDITION, parse_condition
    from molgan.mol.config import check_latent_scale
    from molgan.mol.rewards.functions import RewardFunction
    from molgan.mol.chem.medchem import parse_filters
    from molgan.mol.sampling import (COLUMNS, filter_rows, generate_rows, load_generator, sdf_text, training_smiles,
                                     validation_fcd)

    if args.num is None:
        raise InputError("-n is required: how many molecules to generate (or --input FOLDER for an image "
                         "translation run)")
    if args.num < 1:
        raise InputError(f"-n must be at least 1, got {args.num}")
    if args.latent_scale is not None:
        check_latent_scale(args.latent_scale, "--latent-scale")
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    output = Path(args.output)
    fmt = args.format or ("sdf" if output.suffix.lower() == ".sdf" else "csv")
    if output.is_dir():
        raise InputError(f"{output}: is a directory")
    filters = parse_filters(args.filter) if args.filter is not None else ()
    targets = parse_condition(args.condition) if args.condition is not None else None
    loaded = load_generator(args.checkpoint, use_ema=not args.no_ema)
    loaded.check_targets(targets)  # refuses a condition the run cannot take before any work
    known = training_smiles(loaded.state)
    torch.manual_seed(args.seed)
    decode = args.decode or loaded.config.eval.decode
    generated = generate_rows(loaded, args.num, known, args.batch_size, decode, progress=not args.quiet,
                              latent_scale=args.latent_scale or loaded.config.eval.latent_scale, targets=targets)
    rows = generated.rows
    asked = {name: f"{value:g}" for name, value in (targets or {}).items()}
    if loaded.aim is not None and not targets:  # a reward-conditioned run's default
        asked[REWARD_CONDITION] = f"the training molecules' top {100 * (1 - loaded.aim):g} %"
    for name, value in asked.items():
        got = [r[name] for r in rows if r["valid"]] if name != REWARD_CONDITION else \
            RewardFunction(loaded.config.rl.reward).molecule_scores([r["smiles"] for r in rows if r["valid"]]).tolist()
        if got:
            label = f"reward {loaded.config.rl.reward}" if name == REWARD_CONDITION else name
            log.info("%s of the valid molecules: mean %.3f (asked for %s)", label, sum(got) / len(got), value)
    valid = sum(r["valid"] for r in rows)
    fcd = validation_fcd(loaded.state, [r["smiles"] for r in rows if r["valid"]])
    unique = len({r["smiles"] for r in rows if r["valid"]})
    if args.valid_only:
        rows = [r for r in rows if r["valid"]]
    if args.unique:
        rows = [r for r in rows if r["duplicate"] != 1]
    if filters:
        before = len(rows)
        rows, dropped = filter_rows(rows, filters)
        log.info("--filter %s kept %d of %d rows; dropped: %s", ",".join(filters), len(rows), before,
                 ", ".join(f"{name} {count}" for name, count in dropped.most_common()) or "none")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(output, newline="", encoding="utf-8") as handle:
            handle.write(_csv(rows, COLUMNS) if fmt == "csv" else sdf_text(rows))
    except OSError as exc:
        raise write_error(output, exc) from None
    novel = [r["novel"] for r in rows if r["valid"] and r["duplicate"] == 0 and r["novel"] != ""]
    # Corrected validity alone would hide a generator that makes nonsense: validity without
    # correction and the distance to real molecules stand beside it.
    log.info("wrote %d rows to %s from %s: validity %.1f %% (%s), uniqueness %.1f %%%s%s",
             len(rows), output, loaded.path, 100 * valid / args.num, _validity_note(decode, generated, args.num),
             100 * unique / max(valid, 1),
             f", novelty {100 * sum(novel) / max(len(novel), 1):.1f} %" if novel else "",
             f", FCD to the validation split {fcd:.2f}" if fcd is not None else "")
    return 0


def _translate_images(args: argparse.Namespace) -> int:
    from molgan.image.translation.apply import translate_folder

    if args.num is not None:
        raise InputError("-n: an image translation run translates the --input images, as many as there are")
    written = translate_folder(args.checkpoint, args.input, args.output, args.direction, use_ema=not args.no_ema)
    log.info("wrote %d translated images to %s", len(written), args.output)
    return 0


def _validity_note(decode: str, generated, count: int) -> str:
    """What the validity figure of `molgan sample`'s summary is, beside the others."""
    if decode == "uncorrected":
        return "without correction"
    if generated.uncorrected_valid is None:
        return (f"decoding {decode}, sampled within the generator's valence masks, a correction; "
                "--decode uncorrected samples without them")
    return (f"decoding {decode}; the output layer's graphs {100 * generated.raw_valid / count:.1f} %; "
            f"without correction {100 * generated.uncorrected_valid / count:.1f} %")


def _csv(rows: list[dict], columns) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
