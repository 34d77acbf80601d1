"""Keep only the weights of a training checkpoint, for shipping.

mmengine's training checkpoint holds the optimizer's state, the message
hub, the schedulers, the config text and the time it was written: several
times the weights' size, and different bytes each time a run is repeated.
This tool keeps ``state_dict`` and the few ``meta`` fields that say which
run and step the weights come from (``epoch``, ``iter``, ``seed``,
``experiment_name``, ``mmengine_version``, ``dataset_meta``), so that the
file is small and its content (and sha256, which it prints) names the
weights. Like mmpretrain's ``publish_model.py``, without renaming the file.
The input is read with ``weights_only=True``; its weights must be finite;
the output is written atomically and never over the input.

Example::

    python tools/model_converters/publish_checkpoint.py \\
        work_dirs/teacher/epoch_10.pth checkpoints/teacher/epoch_10.pth
"""
import argparse
import hashlib
import pickle
from pathlib import Path
from typing import Mapping, Optional, Sequence

from mmpwkd.utils import check_not_input, save_weights
from mmpwkd.utils.checkpoint_fit import non_finite_keys, read_checkpoint

TOOL = 'publish_checkpoint'
KEPT_META = ('epoch', 'iter', 'seed', 'experiment_name', 'mmengine_version',
             'dataset_meta')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Keep only the weights (and which run and step they '
        'come from) of a training checkpoint')
    parser.add_argument('checkpoint', help='training checkpoint (.pth)')
    parser.add_argument('out', help='the published checkpoint (.pth)')
    return parser.parse_args(argv)


def published(checkpoint: Mapping, source: str) -> dict:
    """``state_dict`` and the kept ``meta`` fields of ``checkpoint``.

    Args:
        checkpoint (Mapping): A training checkpoint.
        source (str): Its path, for the messages.

    Returns:
        dict: ``state_dict`` and ``meta``.

    Raises:
        ValueError: If it has no ``state_dict`` or a tensor is not finite.
    """
    state_dict = checkpoint.get('state_dict')
    if not isinstance(state_dict, Mapping) or not state_dict:
        raise ValueError(f'checkpoint {source!r} has no state_dict (keys: '
                         f'{sorted(checkpoint)})')
    bad = non_finite_keys(state_dict)
    if bad:
        raise ValueError(f'checkpoint {source!r} holds NaN/Inf in '
                         f'{bad[:5]} ({len(bad)} tensors)')
    meta = checkpoint.get('meta') or {}
    return dict(state_dict=dict(state_dict),
                meta={k: meta[k] for k in KEPT_META if k in meta})


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    check_not_input(TOOL, args.out, checkpoint=args.checkpoint)
    try:
        checkpoint = read_checkpoint(args.checkpoint)
        if not isinstance(checkpoint, Mapping):
            raise ValueError(f'checkpoint {args.checkpoint!r} holds a '
                             f'{type(checkpoint).__name__}, expected a dict')
        weights = published(checkpoint, args.checkpoint)
    except (FileNotFoundError, ValueError, pickle.UnpicklingError) as error:
        raise SystemExit(f'{TOOL}: {error}') from error
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_weights(weights, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f'{out} ({out.stat().st_size} bytes, {len(weights["state_dict"])} '
          f'tensors) sha256: {digest}')


if __name__ == '__main__':
    main()
