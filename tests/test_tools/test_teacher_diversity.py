"""teacher_diversity.py: top-1, agreement and KL of every width of a
slimmable teacher against its whole network."""
import json
import math
import runpy

import pytest
import torch

from conftest import REPO

TOOL = REPO / 'tools' / 'analysis_tools' / 'teacher_diversity.py'
CONFIG = (REPO / 'configs' / 'benchmark' / 'fmnist' /
          'slimmable-resnet20_1xb128_fmnist-teacher.py')
CHECKPOINT = (REPO / 'checkpoints' /
              'slimmable-resnet20_1xb128_fmnist-teacher.pth')


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(str(TOOL))


def test_compare_on_known_logits(tool):
    whole = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    labels = torch.tensor([0, 0])
    same = tool['compare'](whole, whole, labels, tau=1.0)
    assert same == dict(top1=50.0, agree=100.0, kl=0.0)
    flipped = tool['compare'](whole.flip(1), whole, labels, tau=1.0)
    p = torch.softmax(torch.tensor([2.0, 0.0]), 0)
    expected = (p * (p.log() - p.flip(0).log())).sum().item()
    assert flipped['top1'] == 50.0 and flipped['agree'] == 0.0
    assert math.isclose(flipped['kl'], expected, rel_tol=1e-5)
    # A higher temperature brings the distributions closer.
    assert tool['compare'](whole.flip(1), whole, labels, 4.0)['kl'] < \
        flipped['kl']


def test_every_width_of_every_checkpoint(tool, tmp_path, fake_fashion_mnist):
    torch.manual_seed(0)
    state = torch.load(CHECKPOINT, weights_only=True)
    perturbed = {k: v + 0.3 * torch.randn_like(v) if v.is_floating_point()
                 and k.endswith('weight') else v
                 for k, v in state['state_dict'].items()}
    other = tmp_path / 'early.pth'
    torch.save(dict(state_dict=perturbed), other)
    out = tmp_path / 'diversity.json'
    rows = tool['main']([
        str(CONFIG), str(CHECKPOINT), '--checkpoints', str(other),
        '--split', 'test', '--out', str(out), '--cfg-options',
        f'test_dataloader.dataset.data_root={fake_fashion_mnist}'])
    assert [(r['checkpoint'], r['width']) for r in rows] == [
        (str(c), w) for c in (CHECKPOINT, other)
        for w in (0.25, 0.5, 0.75, 1.0)]
    whole = rows[3]
    assert (whole['agree'], whole['kl']) == (100.0, 0.0)
    assert all(0 <= r['top1'] <= 100 and r['kl'] >= 0 for r in rows)
    # The perturbed whole network no longer says what the whole teacher
    # says.
    assert rows[7]['kl'] > 0 and rows[7]['agree'] < 100
    saved = json.loads(out.read_text())
    assert saved['split'] == 'test' and saved['rows'] == rows


def test_a_plain_classifier_config_is_refused(tool, tmp_path):
    config = REPO / 'configs' / 'benchmark' / 'fmnist' / \
        'resnet20_1xb128_fmnist-teacher.py'
    with pytest.raises(ValueError, match="model must be a slimmable"):
        tool['main']([str(config), str(CHECKPOINT)])


def test_a_bad_tau_is_a_usage_error(tool):
    with pytest.raises(SystemExit) as info:
        tool['main']([str(CONFIG), str(CHECKPOINT), '--tau', '0'])
    assert info.value.code == 2
