"""What a PWKD run shows in TensorBoard through mmengine's vis_backends:
the stage, the teacher's width, every distillation loss and the teacher's
accuracy at each stage's width, switched on with README's one-liner."""
from pathlib import Path
from typing import Dict, List, Tuple

from config_families import EPOCHS, tiny_config
from mmengine.config import Config
from mmengine.runner import Runner
from tensorboard.backend.event_processing.event_accumulator import \
    EventAccumulator

STAGE_WIDTHS = [0.25, 0.5, 0.75, 1.0]
# README's switch, as --cfg-options passes it to the config.
TENSORBOARD = {'visualizer.vis_backends.0.type': 'TensorboardVisBackend'}


def _scalars(work_dir: Path) -> Dict[str, List[Tuple[int, float]]]:
    events = sorted(work_dir.rglob('events.out.tfevents.*'))
    assert len(events) == 1, events
    accumulator = EventAccumulator(str(events[0].parent))
    accumulator.Reload()
    return {
        tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()['scalars']
    }


def test_pwkd_run_reaches_tensorboard(tmp_path, image_folder,
                                      fake_fashion_mnist):
    config = tiny_config('cifar100', tmp_path, image_folder,
                         fake_fashion_mnist)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(TENSORBOARD)
    cfg.train_cfg.val_interval = 1
    cfg.work_dir = str(tmp_path / 'work')
    Runner.from_cfg(cfg).train()

    scalars = _scalars(tmp_path / 'work')
    iters_per_stage = 2  # 8 images, batch 4
    expected_widths = [
        (it + 1, STAGE_WIDTHS[it // iters_per_stage])
        for it in range(EPOCHS * iters_per_stage)
    ]
    assert scalars['teacher_width'] == expected_widths
    assert [value for _, value in scalars['pwkd_stage']] == [
        it // iters_per_stage + 1 for it in range(EPOCHS * iters_per_stage)
    ]
    assert len(scalars['distill.loss_kd']) == EPOCHS * iters_per_stage
    assert len(scalars['student.loss']) == EPOCHS * iters_per_stage
    # Validated once a stage: the teacher at that stage's width.
    assert [value for _, value in scalars['teacher/width']] == STAGE_WIDTHS
    assert len(scalars['teacher/top1']) == EPOCHS
    assert len(scalars['accuracy/top1']) == EPOCHS
