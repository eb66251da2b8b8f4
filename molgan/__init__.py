"""molgan: GAN-based molecule generation (MolGAN-style) on a shared adversarial core."""

__version__ = "0.1.0"
