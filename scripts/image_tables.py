"""docs/benchmarks.md's image translation section, from docs/results/image_TASK.json
(scripts/bench_image.py)."""
from __future__ import annotations

from peer_tables import mean_worst_cell

#: (key, header, format) of each task's columns.
COLUMNS = {
    "pix2pix": (("l1", "L1", "{:.3f}"), ("ssim", "SSIM", "{:.3f}"), ("accuracy", "classifier accuracy", "{:.1%}"),
                ("classifier_fd", "classifier FD", "{:.1f}")),
    "srgan": (("psnr", "PSNR (dB)", "{:.2f}"), ("ssim", "SSIM", "{:.3f}"),
              ("accuracy", "classifier accuracy", "{:.1%}"), ("classifier_fd", "classifier FD", "{:.1f}")),
    "cyclegan": (("label_kept_ab", "label kept A→B", "{:.1%}"), ("label_kept_ba", "label kept B→A", "{:.1%}"),
                 ("cycle_l1", "cycle L1", "{:.3f}"), ("fd_ab", "FD to B", "{:.1f}"), ("fd_ba", "FD to A", "{:.1f}")),
}
TITLES = {"pix2pix": "Pix2Pix: a digit's outline → the digit",
          "cyclegan": "CycleGAN: MNIST (A) ↔ the 8×8 digits of other writers at 28×28 (B)",
          "srgan": "SRGAN: 7×7 → 28×28 digits (×4)"}
ARM_NAMES = {"gan": "the GAN (default)", "l1": "the same U-Net, L1 alone", "mse": "the same generator, MSE alone",
             "bicubic": "bicubic", "identity": "identity map", "nearest": "nearest training image of the other domain",
             "targets": "the held-out targets themselves"}


def _plain(figures: dict, key: str, fmt: str) -> str:
    value = figures.get(key)
    return fmt.format(value) if isinstance(value, (int, float)) else "–"


def image_section(result: dict) -> list[str]:
    task = result["benchmark"].removeprefix("image_")
    columns, summary = COLUMNS[task], result["summary"]
    seeds = len(result["seeds"])
    lines = [f"## {TITLES[task]}", "",
             "Held-out digits (every 10th image of each set); each run scored at its last step. Trained rows: mean",
             f"over {seeds} seed(s) (worst seed); untrained rows: one figure. Classifier figures come from frozen",
             "digit classifiers trained on each domain's training split (not Inception: comparable only here).", "",
             "| | minutes | steps | " + " | ".join(h for _, h, _ in columns) + " |",
             "|" + "---|" * (len(columns) + 3)]
    for arm, entry in summary.items():
        lines.append(f"| {ARM_NAMES.get(arm, arm)} | {entry['minutes']['mean']:.1f} | {entry['steps']['mean']:,.0f} | "
                     + " | ".join(mean_worst_cell(entry, k, f) for k, _, f in columns) + " |")
    for name, figures in result["untrained"].items():
        if name == "targets" and task == "cyclegan":
            continue  # each domain read by its own classifier: below
        lines.append(f"| {ARM_NAMES.get(name, name)} | – | – | "
                     + " | ".join(_plain(figures, k, f) for k, _, f in columns) + " |")
    if task == "cyclegan":
        floor = result["untrained"]["targets"]
        lines += ["", f"For scale, held-out images read by their own domain's classifier: A {floor['accuracy_a']:.1%} "
                  f"(FD {floor['fd_a']:.1f}), B {floor['accuracy_b']:.1%} (FD {floor['fd_b']:.1f})."]
    if result.get("figure"):
        lines += ["", f"![{task}: input, output, target]({result['figure'].removeprefix('docs/')})"]
    modified = " (package modified from that commit)" if result.get("package_modified") else ""
    lines += ["", f"`{result['command']}` — {result['date']}, commit `{result['commit']}`{modified}, "
              f"{result['machine']}, {result['threads']} thread(s), torch {result['torch']}; "
              f"JSON: `docs/results/{result['_file']}`", ""]
    return lines
