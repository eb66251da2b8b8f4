"""The figures of a translation on the held-out split, for a trained generator or for any
other way of producing outputs (the baselines of scripts/bench_image.py).

Classifier figures use frozen digit classifiers trained on each domain's training split
(molgan/image/classifier.py): `accuracy`, the share of outputs read as the source's digit, and
`classifier_fd`, the Fréchet distance of the outputs' classifier features to the target
domain's training images.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from molgan.image.classifier import ClassifierScore
from molgan.image.translation.metrics import mean_absolute_error, psnr, ssim


@torch.no_grad()
def translate(generator: nn.Module, sources: Tensor, direction: str | None, device: torch.device,
              batch_size: int = 500) -> Tensor:
    """`generator`'s outputs for `sources` in eval mode (no dropout), on the CPU. `direction`:
    "ab" or "ba" for a CycleGenerator's one translator, None for a single generator."""
    was_training = generator.training
    generator.eval()
    out = []
    for start in range(0, len(sources), batch_size):
        batch = sources[start:start + batch_size].to(device)
        if direction is None:
            out.append(generator(None, cond=batch)[0].float().cpu())
        else:
            out.append(getattr(generator, direction)(batch).float().cpu())
    generator.train(was_training)
    return torch.cat(out)


class TranslationScores:
    """Held-out figures of one translation task. `held_out`: for Pix2Pix and SRGAN "sources",
    "targets", "labels"; for CycleGAN "a", "b", "a_labels", "b_labels". `score_a` reads the
    MNIST digits (the targets), `score_b` CycleGAN's second domain."""

    def __init__(self, kind: str, held_out: dict, score_a: ClassifierScore, score_b: ClassifierScore | None = None):
        self.kind, self.held_out, self.score_a, self.score_b = kind, held_out, score_a, score_b

    def of_generator(self, generator: nn.Module, device: torch.device) -> dict[str, float]:
        held = self.held_out
        if self.kind != "cyclegan":
            return self.figures(translate(generator, held["sources"], None, device))
        to_b = translate(generator, held["a"], "ab", device)
        to_a = translate(generator, held["b"], "ba", device)
        return self.cycle_figures(to_b, to_a, translate(generator, to_b, "ba", device),
                                  translate(generator, to_a, "ab", device))

    def figures(self, outputs: Tensor) -> dict[str, float]:
        """Pix2Pix and SRGAN: outputs for the held-out sources against their targets."""
        targets, labels = self.held_out["targets"], self.held_out["labels"]
        return {"l1": mean_absolute_error(outputs, targets), "psnr": psnr(outputs, targets),
                "ssim": ssim(outputs, targets), "accuracy": self.score_a.accuracy(outputs, labels),
                "classifier_fd": self.score_a(outputs)["classifier_fd"]}

    def cycle_figures(self, to_b: Tensor, to_a: Tensor, back_a: Tensor | None = None,
                      back_b: Tensor | None = None) -> dict[str, float]:
        """CycleGAN: the held-out A images translated to B (`to_b`) and B to A (`to_a`), and
        back again (None for a baseline that has no way back). The label is kept when the
        target domain's classifier reads the source's digit."""
        held = self.held_out
        figures = {"label_kept_ab": self.score_b.accuracy(to_b, held["a_labels"]),
                   "label_kept_ba": self.score_a.accuracy(to_a, held["b_labels"]),
                   "fd_ab": self.score_b(to_b)["classifier_fd"], "fd_ba": self.score_a(to_a)["classifier_fd"]}
        figures["label_kept"] = (figures["label_kept_ab"] + figures["label_kept_ba"]) / 2
        figures["classifier_fd"] = (figures["fd_ab"] + figures["fd_ba"]) / 2
        if back_a is not None and back_b is not None:
            figures["cycle_l1"] = (mean_absolute_error(back_a, held["a"]) + mean_absolute_error(back_b, held["b"])) / 2
        return figures

    def reference(self) -> dict[str, float]:
        """The floor of the figures: the held-out targets themselves (CycleGAN: each domain's
        held-out images read by its own classifier)."""
        if self.kind != "cyclegan":
            return self.figures(self.held_out["targets"])
        held = self.held_out
        return {"accuracy_a": self.score_a.accuracy(held["a"], held["a_labels"]),
                "accuracy_b": self.score_b.accuracy(held["b"], held["b_labels"]),
                "fd_a": self.score_a(held["a"])["classifier_fd"], "fd_b": self.score_b(held["b"])["classifier_fd"]}
