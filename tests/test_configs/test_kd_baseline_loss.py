"""The ImageNet KD baseline uses the loss of the MMRazor model it is set
beside in configs/kd/README.md: MMRazor's 71.81% top-1 ResNet34 -> ResNet18
came from ``kd_logits_resnet34_resnet18_8xb32_in1k_w3t1.py``,
``KLDivergence`` (tau^2 * batch-mean KL, times loss_weight, as our
``KDLoss``) at tau 1 and loss_weight 3, the student's cross-entropy at
weight 1."""
from mmengine.config import Config

from conftest import REPO

MMRAZOR_71_81 = dict(type='KDLoss', tau=1, loss_weight=3)
# The KD baseline and every config that takes its KD term.
CONFIGS = ('configs/kd/kd_resnet34_resnet18_8xb32_in1k.py',
           'configs/kd/fitnet-kd_resnet34_resnet18_8xb32_in1k.py',
           'configs/pwkd/r34_r18_in1k.py',
           'configs/pwkd/pwkd-kd-paper_resnet34_resnet18_8xb32_in1k.py')


def test_kd_term_is_the_one_of_mmrazors_71_81_model():
    for path in CONFIGS:
        model = Config.fromfile(str(REPO / path)).model
        assert model.distill_losses.loss_kd.to_dict() == MMRAZOR_71_81, path
        assert model.student_loss_weight == 1.0, path
        assert model.student.head.loss.loss_weight == 1.0, path


def test_readme_names_the_loss_beside_the_number():
    readme = (REPO / 'configs' / 'kd' / 'README.md').read_text()
    assert '`KDLoss` tau 1, weight 3' in readme
    row = next(line for line in readme.splitlines()
               if line.startswith('| KD | MMRazor'))
    assert 'KL tau 1 weight 3' in row and '71.81' in row
    assert 'kd_logits_resnet34_resnet18_8xb32_in1k_w3t1.py' in readme
