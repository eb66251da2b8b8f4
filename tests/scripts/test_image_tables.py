"""scripts/image_tables.py: the translation section shows trained arms (mean, worst) and the
untrained baselines in the same columns."""
import sys

from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import image_tables  # noqa: E402

PROVENANCE = {"command": "python scripts/bench_image.py --task srgan", "date": "2026-12-06", "commit": "abc",
              "machine": "m", "threads": 2, "torch": "2", "_file": "image_srgan.json"}


def _arm(psnr, accuracy):
    return {"minutes": {"mean": 12.0, "worst": 12.5}, "steps": {"mean": 3000.0, "worst": 3000},
            "psnr": {"mean": psnr, "worst": psnr - 1}, "accuracy": {"mean": accuracy, "worst": accuracy - 0.01}}


def test_srgan_rows_and_baselines():
    result = {"benchmark": "image_srgan", "seeds": [{}, {}, {}], "summary": {"gan": _arm(18.0, 0.95),
                                                                            "mse": _arm(20.0, 0.9)},
              "untrained": {"bicubic": {"psnr": 15.0, "ssim": 0.5, "accuracy": 0.7, "classifier_fd": 300.0},
                            "targets": {"psnr": 100.0, "ssim": 1.0, "accuracy": 0.98, "classifier_fd": 5.0}},
              "figure": "docs/images/srgan.png", **PROVENANCE}
    text = "\n".join(image_tables.image_section(result))
    assert "| the GAN (default) | 12.0 | 3,000 | 18.00 (worst 17.00) | – | 95.0% (worst 94.0%) | – |" in text
    assert "| bicubic | – | – | 15.00 | 0.500 | 70.0% | 300.0 |" in text
    assert "mean\nover 3 seed(s)" in text and "(images/srgan.png)" in text


def test_cyclegan_floor_is_a_sentence_not_a_row():
    arm = {"minutes": {"mean": 14.0, "worst": 15.0}, "steps": {"mean": 2000.0, "worst": 2000},
           "label_kept_ab": {"mean": 0.9, "worst": 0.88}}
    result = {"benchmark": "image_cyclegan", "seeds": [{}], "summary": {"gan": arm},
              "untrained": {"identity": {"label_kept_ab": 0.5, "label_kept_ba": 0.6, "fd_ab": 10.0, "fd_ba": 20.0},
                            "targets": {"accuracy_a": 0.97, "accuracy_b": 0.99, "fd_a": 1.0, "fd_b": 2.0}},
              **PROVENANCE}
    text = "\n".join(image_tables.image_section(result))
    assert "| identity map | – | – | 50.0% | 60.0% | – | 10.0 | 20.0 |" in text
    assert "held-out targets" not in text and "A 97.0% (FD 1.0), B 99.0% (FD 2.0)" in text
