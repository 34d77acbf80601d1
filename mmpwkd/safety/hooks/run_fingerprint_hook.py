"""A resume continues its own run, never another config's or model's.

mmengine resumes whatever checkpoint ``--resume`` finds: a KD run's last
checkpoint under a PWKD config loads (the two distillers have the same
weights) and the "resumed" run may then train nothing and exit 0. This hook
writes the config's name and a fingerprint of the model's structure into
each checkpoint's meta, and a resume whose checkpoint holds another refuses
to start, naming both.
"""
import hashlib
import os.path as osp
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpwkd.registry import HOOKS
from mmpwkd.utils.arg_checks import check_bool

OWNER = 'RunFingerprintHook'


def model_fingerprint(model: nn.Module) -> str:
    """A digest of the module classes, parameter and buffer names and shapes.

    It tells apart models with the same weights but other parts (a plain
    from a slimmable teacher, a KD from a DKD loss) and is the same for one
    model at any teacher width, device or dtype.
    """
    digest = hashlib.sha256()
    for name, module in model.named_modules():
        digest.update(f'{name}:{type(module).__qualname__};'.encode())
    for name, tensor in model.state_dict().items():
        digest.update(f'{name}:{tuple(tensor.shape)};'.encode())
    return digest.hexdigest()[:16]


def describe_model(model: nn.Module) -> str:
    """The model's class and its direct children's, e.g.
    ``PWKDDistiller(student=ImageClassifier, teacher=SlimmableClassifier)``."""
    parts = ', '.join(f'{name}={type(child).__name__}'
                      for name, child in model.named_children())
    return f'{type(model).__name__}({parts})'


@HOOKS.register_module()
class RunFingerprintHook(Hook):
    """Record which config and model wrote a checkpoint; refuse to resume
    another's.

    Each checkpoint's ``meta['run']`` holds the config's file name, the
    model's description and its :func:`model_fingerprint`. A resume (not a
    ``load_from``, which may start a fine-tune from anything) stops as soon
    as the checkpoint is read when either differs. Checkpoints written
    before this hook existed carry no record and resume as before.

    Args:
        allow_other_run (bool): Resume a checkpoint of another config or
            model anyway. Defaults to False.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_other_run: bool = False) -> None:
        self.allow_other_run = check_bool(OWNER, 'allow_other_run',
                                          allow_other_run)

    def _record(self, runner) -> dict:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        return dict(
            config=osp.basename(runner.cfg.filename or '') or None,
            model=describe_model(model),
            fingerprint=model_fingerprint(model))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['run'] = self._record(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Called before the weights and the optimizer state are loaded, so
        # another model stops here rather than in a size mismatch.
        saved = checkpoint.get('meta', {}).get('run')
        if (saved is None or not runner.cfg.get('resume', False)
                or self.allow_other_run):
            return
        this = self._record(runner)
        if (saved.get('config') == this['config']
                and saved.get('fingerprint') == this['fingerprint']):
            return
        raise ValueError(
            f'{OWNER}: the checkpoint being resumed was written by config '
            f'{saved.get("config")!r} with model {saved.get("model")}, but '
            f'this run is config {this["config"]!r} with model '
            f'{this["model"]}. Resume a checkpoint of this run (each config '
            'has its own work dir), or set '
            'default_hooks.run_fingerprint.allow_other_run=True to continue '
            'from it anyway.')
