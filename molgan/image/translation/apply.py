"""A trained translation GAN applied to a folder of images (`molgan sample RUN --input FOLDER`).

Every image under the folder is read as grey levels, resized to the task's source size (28×28;
SRGAN's 7×7), translated and written as a PNG of the same relative name under the output
folder. The outputs appear all at once: they are written to a temporary folder beside the
output, renamed into place at the end.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from molgan.core.checkpoint import load_checkpoint, resolve_run_checkpoint
from molgan.core.config import from_dict
from molgan.core.stabilizers import checkpoint_generator
from molgan.errors import InputError
from molgan.image.data import IMAGE_SUFFIXES, to_unit_range
from molgan.image.translation.task import SOURCE_SHAPES, build_networks

DIRECTIONS = ("ab", "ba")  # CycleGAN: MNIST -> the 8×8 writers' style, and back


@dataclass
class Translator:
    generator: nn.Module
    kind: str
    path: Path

    @property
    def source_shape(self) -> tuple[int, int, int]:
        return SOURCE_SHAPES[self.kind]


def load_translator(target: str | Path, use_ema: bool = True) -> Translator:
    """The generator of a translation run (its best.pt, else its latest checkpoint), or of a
    checkpoint file, in eval mode on the CPU."""
    from molgan.image.task import ImageRunConfig

    path = resolve_run_checkpoint(target)
    state = load_checkpoint(path)
    task = state.get("task") or {}
    if task.get("domain") != "image" or task.get("task") not in SOURCE_SHAPES:
        raise InputError(f"{path}: not an image translation run (Pix2Pix, CycleGAN or SRGAN)")
    try:
        config = from_dict(ImageRunConfig, state["config"])
        generator, _ = build_networks(task["task"], config.model, critic=False)
        generator = checkpoint_generator(generator, state, config.train.ema_decay, use_ema)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise InputError(f"{path}: incompatible checkpoint ({str(exc).splitlines()[0][:150]})") from None
    return Translator(generator.eval(), task["task"], path)


def read_images(folder: Path, shape: tuple[int, int, int]) -> tuple[list[Path], torch.Tensor]:
    """(relative paths, images in [-1, 1] (N, 1, H, W)) of every image under `folder`."""
    from PIL import Image, UnidentifiedImageError

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of images")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    _, height, width = shape
    arrays = []
    for path in files:
        try:
            with Image.open(path) as image:
                image = image.convert("L").resize((width, height), Image.Resampling.BILINEAR)
                arrays.append(np.asarray(image, dtype=np.uint8))
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
    return [p.relative_to(folder) for p in files], to_unit_range(torch.from_numpy(np.stack(arrays)).unsqueeze(1))


@torch.no_grad()
def translate_folder(target: str | Path, folder: str | Path, out: str | Path, direction: str | None = None,
                     batch_size: int = 256, use_ema: bool = True) -> list[Path]:
    """Translate every image under `folder` with the run or checkpoint `target`; write the
    outputs under `out` (which must not exist yet). `direction`: CycleGAN's "ab" (MNIST to the
    8×8 writers' style) or "ba"; only CycleGAN takes one. Returns the written files."""
    from PIL import Image

    from molgan.image.translation.scores import translate

    folder, out = Path(folder), Path(out)
    translator = load_translator(target, use_ema)
    if translator.kind == "cyclegan" and direction not in DIRECTIONS:
        raise InputError(f"{translator.path}: a CycleGAN run translates both ways: say --direction ab "
                         "(MNIST to the 8x8 writers' style) or ba")
    if translator.kind != "cyclegan" and direction is not None:
        raise InputError(f"--direction: a {translator.kind} run translates one way only")
    if out.exists():
        raise InputError(f"{out}: already exists; give a new folder for the outputs")
    names, sources = read_images(folder, translator.source_shape)
    outputs = translate(translator.generator, sources, direction, torch.device("cpu"), batch_size)
    pixels = ((outputs.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).squeeze(1).numpy()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, image in zip(names, pixels):
            destination = (staging / name).with_suffix(".png")
            destination.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(destination, format="PNG")
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [(out / name).with_suffix(".png") for name in names]
