"""PWKDStageHook: validation, stage arithmetic, replay on resume."""
import logging
from types import SimpleNamespace
from typing import List

import pytest
from mmengine.logging import MessageHub

from mmpwkd.engine import PWKDStageHook
from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

register_all_modules()

WIDTHS = (0.25, 0.5, 0.75, 1.0)


def stages(widths=WIDTHS, epochs=2) -> List[dict]:
    return [dict(width=w, epochs=epochs) for w in widths]


class FakeDistiller:

    teacher_widths = WIDTHS

    def __init__(self) -> None:
        self.widths: List[float] = []

    def set_teacher_width(self, width: float) -> None:
        self.widths.append(width)


def fake_runner(epoch=0, max_epochs=8) -> SimpleNamespace:
    return SimpleNamespace(
        model=FakeDistiller(),
        train_loop=SimpleNamespace(max_epochs=max_epochs, max_iters=100),
        max_epochs=max_epochs,
        max_iters=100,
        param_schedulers=[],
        seed=0,
        epoch=epoch,
        iter=0,
        logger=logging.getLogger('test'),
        message_hub=MessageHub.get_instance('test_pwkd_stage_hook'))


def test_builds_through_registry():
    hook = HOOKS.build(dict(type='PWKDStageHook', stages=stages()))
    assert hook.schedule.widths == list(WIDTHS)
    assert [hook.schedule.stage_at(e) for e in range(8)] == [
        0, 0, 1, 1, 2, 2, 3, 3]


@pytest.mark.parametrize('bad, match', [
    ([], 'non-empty'),
    ([dict(width=0.5, epochs=1), dict(width=0.25, epochs=1),
      dict(width=1.0, epochs=1)], 'strictly ascending'),
    ([dict(width=0.5, epochs=1), dict(width=0.5, epochs=1),
      dict(width=1.0, epochs=1)], 'strictly ascending'),
    ([dict(width=0.0, epochs=1), dict(width=1.0, epochs=1)], r'\(0, 1\]'),
    ([dict(width=1.5, epochs=1)], r'\(0, 1\]'),
    ([dict(width=0.5, epochs=1)], 'width 1.0'),
    ([dict(width=0.5, epochs=1), dict(width=1.0, iters=1)], 'same length'),
    ([dict(width=1.0, epochs=0)], 'positive int'),
    ([dict(width=1.0, ratio=0)], 'positive number'),
    ([dict(width=1.0, ratio='1')], 'positive number'),
    ([dict(width=1.0, epochs=1, lr=0.1)], 'exactly the keys'),
])
def test_bad_stages_are_refused_at_build(bad, match):
    with pytest.raises(ValueError, match=match):
        PWKDStageHook(stages=bad)


def test_partial_end_is_an_explicit_choice():
    partial = [dict(width=0.25, iters=50), dict(width=0.5, iters=50)]
    with pytest.raises(ValueError, match='allow_partial_end=True'):
        PWKDStageHook(stages=partial)
    hook = PWKDStageHook(stages=partial, allow_partial_end=True)
    runner = fake_runner()
    hook.before_train(runner)
    for it in range(100):
        runner.iter = it
        hook.before_train_iter(runner, it)
    assert runner.model.widths == [0.25, 0.5]


def test_any_order_allows_whole_to_partial_and_repeats():
    reverse = [dict(width=w, epochs=2) for w in reversed(WIDTHS)]
    with pytest.raises(ValueError, match='any_order=True'):
        PWKDStageHook(stages=reverse, allow_partial_end=True)
    hook = PWKDStageHook(
        stages=reverse, allow_partial_end=True, any_order=True)
    runner = fake_runner()
    hook.before_train(runner)
    for epoch in range(8):
        runner.epoch = epoch
        hook.before_train_iter(runner, 0)
    assert runner.model.widths == list(reversed(WIDTHS))
    repeats = PWKDStageHook(
        stages=[dict(width=1.0, epochs=2)] * 4, any_order=True)
    assert repeats.schedule.widths == [1.0] * 4


@pytest.mark.parametrize('flag', ['any_order', 'allow_partial_end'])
def test_flags_must_be_bools(flag):
    with pytest.raises(ValueError, match=f'{flag} must be a bool'):
        PWKDStageHook(stages=stages(), **{flag: 'yes'})


def test_lengths_must_sum_to_the_train_loop():
    hook = PWKDStageHook(stages=stages(epochs=2))
    with pytest.raises(ValueError, match='sum to 8, but train_cfg.max_'):
        hook.before_train(fake_runner(max_epochs=10))


def test_stage_widths_must_exist_in_the_teacher():
    hook = PWKDStageHook(stages=stages((0.3, 1.0), epochs=4))
    with pytest.raises(ValueError, match=r'\[0.3\] are not among'):
        hook.before_train(fake_runner())


def test_switches_at_stage_starts():
    hook = PWKDStageHook(stages=stages())
    runner = fake_runner()
    hook.before_train(runner)
    for epoch in range(8):
        runner.epoch = epoch
        hook.before_train_iter(runner, 0)
    assert runner.model.widths == list(WIDTHS)
    assert runner.message_hub.get_scalar('train/pwkd_stage').current() == 4


@pytest.mark.parametrize('epoch, width', [(3, 0.5), (4, 0.75), (7, 1.0)])
def test_resume_replays_to_the_restored_stage(epoch, width):
    hook = PWKDStageHook(stages=stages())
    runner = fake_runner(epoch=epoch)
    hook.before_train(runner)
    assert runner.model.widths == [width]


def test_epoch_stages_under_an_iteration_loop_say_use_iters():
    from mmengine.runner import IterBasedTrainLoop
    hook = PWKDStageHook(stages=stages())
    runner = fake_runner()
    loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    loop._max_iters, loop._max_epochs = 100, 1
    runner.train_loop = loop
    with pytest.raises(ValueError, match='iteration-based; use iters'):
        hook.before_train(runner)


def test_ratio_stages_scale_to_the_run_in_iterations():
    hook = PWKDStageHook(
        stages=[dict(width=w, ratio=r) for w, r in zip(WIDTHS, (1, 1, 1, 7))])
    runner = fake_runner()
    hook.before_train(runner)
    assert hook.schedule.ends == [10, 20, 30, 100]
    for it in range(100):
        runner.iter = it
        hook.before_train_iter(runner, it)
    assert runner.model.widths == list(WIDTHS)
    runner = fake_runner()
    runner.iter = 25
    hook.before_train(runner)
    assert runner.model.widths == [0.75]


def test_gradual_moves_from_narrow_to_whole_and_replays_on_resume():
    hook = PWKDStageHook(
        stages=[dict(width=w, ratio=1) for w in WIDTHS], gradual=True)
    runner = fake_runner()
    hook.before_train(runner)
    drawn = []
    for it in range(100):
        runner.iter = it
        hook.before_train_iter(runner, it)
        drawn.append(hook._width)
    # Up to the first stage's middle only the narrowest, after the last
    # middle only the whole teacher; in between, neighbouring widths mix.
    assert set(drawn[:12]) == {0.25} and set(drawn[88:]) == {1.0}
    assert set(drawn[38:62]) == {0.5, 0.75}
    means = [sum(drawn[k:k + 25]) / 25 for k in range(0, 100, 25)]
    assert means == sorted(means)
    again = PWKDStageHook(
        stages=[dict(width=w, ratio=1) for w in WIDTHS], gradual=True)
    runner = fake_runner()
    runner.iter = 40
    again.before_train(runner)
    replay = []
    for it in range(40, 100):
        runner.iter = it
        again.before_train_iter(runner, it)
        replay.append(again._width)
    assert replay == drawn[40:]


def _lr_runner(scheduler_cfg: dict, max_iters: int = 100):
    import torch
    from mmpwkd.registry import PARAM_SCHEDULERS
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1)
    runner = fake_runner()
    runner.train_loop.max_iters = runner.max_iters = max_iters
    runner.param_schedulers = [PARAM_SCHEDULERS.build(
        dict(optimizer=optimizer, by_epoch=False, end=max_iters,
             **scheduler_cfg))]
    return runner


def test_stage_cosine_lr_takes_its_restarts_from_the_hook():
    hook = PWKDStageHook(
        stages=[dict(width=w, ratio=r) for w, r in zip(WIDTHS, (1, 1, 1, 7))])
    runner = _lr_runner(dict(type='StageCosineLR'), max_iters=200)
    hook.before_train(runner)
    assert runner.param_schedulers[0].ends == [20, 40, 60, 200]


def test_lr_restarts_that_match_the_stages_pass():
    ratio = [dict(width=w, ratio=1) for w in WIDTHS]
    for cfg in (dict(type='StageCosineLR'),
                dict(type='CosineRestartLR', periods=[25] * 4,
                     restart_weights=[1] * 4, eta_min=0),
                dict(type='StageCosineLR', restart=False)):
        PWKDStageHook(stages=ratio).before_train(_lr_runner(cfg))


@pytest.mark.parametrize('cfg', [
    dict(type='CosineRestartLR', periods=[20, 40, 20, 20],
         restart_weights=[1] * 4, eta_min=0),
    dict(type='CosineRestartLR', periods=[25] * 3, restart_weights=[1] * 3,
         eta_min=0),
])
def test_lr_restarts_that_drift_from_the_stages_stop_the_run(cfg):
    hook = PWKDStageHook(stages=[dict(width=w, ratio=1) for w in WIDTHS])
    with pytest.raises(ValueError, match='would restart mid-stage'):
        hook.before_train(_lr_runner(cfg))


def _checkpoint_of(hook: PWKDStageHook, **run) -> dict:
    hook.before_train(fake_runner(**run))
    checkpoint = dict(meta=dict(epoch=2))
    hook.before_save_checkpoint(fake_runner(), checkpoint)
    return checkpoint


def test_resume_with_other_stages_is_refused_naming_both():
    saved = _checkpoint_of(PWKDStageHook(stages=stages()))
    assert saved['meta']['pwkd_stages']['lengths'] == [2, 2, 2, 2]
    changed = PWKDStageHook(stages=[
        dict(width=w, epochs=e) for w, e in zip(WIDTHS, (1, 2, 2, 3))])
    changed.after_load_checkpoint(fake_runner(), saved)
    with pytest.raises(ValueError, match=r'trained with stages .*\[2, 2, 2, '
                       r'2\].*the config gives .*\[1, 2, 2, 3\]'):
        changed.before_train(fake_runner(epoch=2))


def test_resume_with_the_same_stages_or_an_explicit_change_passes():
    saved = _checkpoint_of(PWKDStageHook(stages=stages()))
    same = PWKDStageHook(stages=stages())
    same.after_load_checkpoint(fake_runner(), saved)
    same.before_train(fake_runner(epoch=2))
    changed = PWKDStageHook(
        stages=[dict(width=w, epochs=e) for w, e in zip(WIDTHS, (1, 2, 2, 3))],
        allow_schedule_change=True)
    changed.after_load_checkpoint(fake_runner(), saved)
    runner = fake_runner(epoch=2)
    changed.before_train(runner)
    assert runner.model.widths == [0.5]  # epoch 3 is in the new stage 2


def test_load_from_another_schedule_starts_a_new_run():
    """``load_from`` (no progress restored) is a new run, not a resume."""
    saved = _checkpoint_of(PWKDStageHook(stages=stages()))
    other = PWKDStageHook(stages=stages(epochs=2)[:2] + [
        dict(width=0.75, epochs=1), dict(width=1.0, epochs=3)])
    other.after_load_checkpoint(fake_runner(), saved)
    runner = fake_runner(epoch=0)
    other.before_train(runner)
    assert runner.model.widths == [0.25]
    with pytest.raises(ValueError, match='trained with stages'):
        other.before_train(fake_runner(epoch=2))  # the same, resumed


def test_stage_cosine_lr_state_leaves_the_stages_to_the_run():
    runner = _lr_runner(dict(type='StageCosineLR'))
    state = runner.param_schedulers[0].state_dict()
    assert 'ends' not in state and 'end' not in state


def test_first_batch_checks_the_widest_stage():
    """A connector that fits the first stage but not the last fails on
    the first batch, before any update; later batches are not checked."""
    import torch
    from helpers import resnet_classifier
    from mmpretrain.structures import DataSample

    from mmpwkd.registry import MODELS
    model = MODELS.build(
        dict(
            type='PWKDDistiller',
            student=resnet_classifier(18, 8),
            teacher=resnet_classifier(
                18, 16, slimmable=True, widths=(0.25, 1.0)),
            distill_losses=dict(
                loss_fitnet=dict(
                    type='FitNetLoss', student='backbone.layer3',
                    teacher='backbone.layer3',
                    connector=dict(type='ConvConnector', in_channels=32,
                                   out_channels=32)))))
    hook = PWKDStageHook(stages=[dict(width=0.25, epochs=1),
                                 dict(width=1.0, epochs=1)])
    runner = fake_runner(max_epochs=2)
    runner.model = model
    hook.before_train(runner)
    data = dict(
        inputs=[torch.zeros(3, 32, 32, dtype=torch.uint8)] * 2,
        data_samples=[DataSample().set_gt_label(0)] * 2)
    with pytest.raises(ValueError, match="teacher 'backbone.layer3' gives "
                       r'\(2, 64, 2, 2\) at teacher width 1.0'):
        hook.before_train_iter(runner, 0, data)
    assert model.teacher_width == 0.25
    hook.before_train_iter(runner, 1, data)  # checked once per process


def test_ratio_stages_resumed_into_a_longer_run_are_refused_naming_both():
    """Ratio stages keep their shares when max_epochs changes, but the
    stage ends move: a resume into a longer run is a schedule change."""
    ratio = [dict(width=w, ratio=1) for w in WIDTHS]
    saved = _checkpoint_of(PWKDStageHook(stages=ratio))
    longer = PWKDStageHook(stages=ratio)
    longer.after_load_checkpoint(fake_runner(), saved)
    runner = fake_runner()
    runner.iter, runner.train_loop.max_iters = 40, 200
    with pytest.raises(ValueError, match=r"'ends': \[25, 50, 75, 100\], "
                       r"'total': 100.*'ends': \[50, 100, 150, 200\], "
                       r"'total': 200"):
        longer.before_train(runner)
    allowed = PWKDStageHook(stages=ratio, allow_schedule_change=True)
    allowed.after_load_checkpoint(fake_runner(), saved)
    allowed.before_train(runner)
    assert runner.model.widths == [0.25]  # iteration 41 of 200: stage 1


class BNStudent:
    """A distiller stand-in with a student of mmpretrain's BN momentum."""

    teacher_widths = WIDTHS

    def __init__(self, momentum: float = 0.1) -> None:
        import torch
        self.student = torch.nn.BatchNorm2d(4, momentum=momentum)

    def set_teacher_width(self, width: float) -> None:
        pass


def test_stages_too_short_for_the_students_bn_are_warned_about():
    from unittest.mock import Mock

    from mmpwkd.engine.hooks.bn_settling import settle_iters
    assert settle_iters(0.1) == 29  # 0.9 ** 28 > 0.05 > 0.9 ** 29
    short = [dict(width=w, ratio=r) for w, r in zip(WIDTHS, (1, 1, 1, 7))]
    runner = fake_runner()
    runner.model, runner.logger = BNStudent(), Mock()
    PWKDStageHook(stages=short).before_train(runner)
    warnings = [call.args[0] for call in runner.logger.warning.call_args_list]
    assert len(warnings) == 3
    assert warnings[0].startswith('PWKDStageHook: stage 1 (teacher width '
                                  '0.25) lasts 10 iterations')
    assert 'need 29 to settle' in warnings[0]
    runner.train_loop.max_iters = runner.max_iters = 400
    runner.logger = Mock()
    PWKDStageHook(stages=short).before_train(runner)
    runner.logger.warning.assert_not_called()


def test_epoch_stages_are_counted_in_iterations_for_the_bn_warning():
    from unittest.mock import Mock
    runner = fake_runner(max_epochs=8)  # 100 iterations: 12.5 an epoch
    runner.model, runner.logger = BNStudent(momentum=0.01), Mock()
    PWKDStageHook(stages=stages(epochs=2)).before_train(runner)
    warnings = [call.args[0] for call in runner.logger.warning.call_args_list]
    assert len(warnings) == 4 and 'lasts 25 iterations' in warnings[0]
    assert 'need 299 to settle' in warnings[0]
