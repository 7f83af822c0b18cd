"""Diffusion: the GLASS score model. Score network, VE SDE and loss, training and checkpoints,
guidance and molecule restraints (score wrappers) and reverse-SDE samplers."""

from glasslib.diffusion.model import ScoreNet, ScoreNetConfig
from glasslib.diffusion.sde import VESDE, Denoiser, dsm_loss
from glasslib.diffusion.training import Checkpoint, TrainConfig, load_checkpoint, train, train_stages
from glasslib.diffusion.guidance import with_autoguidance, with_spectral_guidance
from glasslib.diffusion.restraints import RESTRAINTS, MoleculeRestraint, with_restraint
from glasslib.diffusion.sampling import initial_noise, sample, time_grid

__all__ = [
    "ScoreNet", "ScoreNetConfig", "VESDE", "Denoiser", "dsm_loss", "Checkpoint", "TrainConfig", "load_checkpoint",
    "train", "train_stages", "with_autoguidance", "with_spectral_guidance", "RESTRAINTS",
    "MoleculeRestraint", "with_restraint", "initial_noise", "sample", "time_grid",
]
