"""What our exporters write loads in stock mmpretrain (``get_model``,
``init_model``, ``ImageClassificationInferencer``) and predicts what our
model predicts, for models built on our own backbones."""
import subprocess
from pathlib import Path
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor

from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO, python_tool, run_tool

SLIMMABLE = ('configs/benchmark/fmnist/'
             'slimmable-resnet20_1xb128_fmnist-teacher.py')
SHIPPED = 'checkpoints/slimmable-resnet20_1xb128_fmnist-teacher.pth'
# (distillation config, image channels, size): CIFARResNet on 1-channel
# Fashion-MNIST, CIFARShuffleNetV1 on CIFAR-100.
DISTILL = {
    'fmnist': ('configs/benchmark/fmnist/'
               'kd_resnet20_resnet8_1xb128_fmnist-student.py', 1, 28),
    'cifar100': ('configs/cifar100/'
                 'kd_resnet32x4_shufflenet-v1_1xb64_cifar100.py', 3, 32),
}


def _images(channels: int, size: int) -> Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (3, channels, size, size),
                         generator=generator, dtype=torch.uint8)


def _scores(model: torch.nn.Module, images: Tensor) -> Tensor:
    with torch.no_grad():
        samples = model.eval().test_step(dict(inputs=list(images)))
    return torch.stack([sample.pred_score for sample in samples])


def _stock_scores(config: Path, weights: Path, images: Tensor,
                  folder: Path) -> Dict[str, Tensor]:
    torch.save(images, folder / 'images.pt')
    run_tool(python_tool('tests/data/stock_predict.py', str(config),
                         str(weights), str(folder / 'images.pt'),
                         str(folder / 'scores.pt')))
    return torch.load(folder / 'scores.pt', weights_only=True)


def _assert_same(stock: Dict[str, Tensor], expected: Tensor) -> None:
    assert set(stock) == {'get_model', 'init_model', 'inferencer'}
    for api, scores in stock.items():
        torch.testing.assert_close(
            scores, expected, rtol=1e-5, atol=1e-6, msg=api)


def _build(cfg: Config) -> torch.nn.Module:
    register_all_modules(init_default_scope=False)
    init_default_scope('mmpwkd')
    model_cfg = cfg.model.to_dict()
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return MODELS.build(model_cfg)


def test_exported_width_loads_in_stock_mmpretrain(tmp_path):
    out = tmp_path / 'w0.5'
    run_tool(python_tool('tools/model_converters/export_width.py',
                         str(REPO / SLIMMABLE), str(REPO / SHIPPED),
                         '--width', '0.5', '--out', str(out)))
    assert "type='mmpwkd.CIFARResNet'" in (out / 'config.py').read_text()

    slimmable = _build(Config.fromfile(REPO / SLIMMABLE))
    slimmable.load_state_dict(
        torch.load(REPO / SHIPPED, weights_only=True)['state_dict'])
    images = _images(1, 28)
    with slimmable.width(0.5):
        expected = _scores(slimmable, images)
    stock = _stock_scores(out / 'config.py', out / 'model.pth', images,
                          tmp_path)
    _assert_same(stock, expected)


@pytest.mark.parametrize('family', sorted(DISTILL))
def test_extracted_student_loads_in_stock_mmpretrain(family, tmp_path):
    config, channels, size = DISTILL[family]
    cfg = Config.fromfile(REPO / config)
    cfg.model.teacher_ckpt = None
    cfg.model.allow_untrained_teacher = True
    torch.manual_seed(0)
    distiller = _build(cfg)
    # What mmengine's Runner saves: the weights and the config in meta.
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save(
        dict(
            state_dict=distiller.state_dict(),
            meta=dict(cfg=cfg.pretty_text)),
        checkpoint)
    student = tmp_path / 'student.pth'
    run_tool(python_tool('tools/model_converters/extract_student.py',
                         str(checkpoint), '--out', str(student)))

    images = _images(channels, size)
    stock = _stock_scores(student.with_suffix('.py'), student, images,
                          tmp_path)
    _assert_same(stock, _scores(distiller, images))


def test_export_width_refuses_to_overwrite_its_checkpoint(tmp_path):
    out = tmp_path / 'w0.5'
    out.mkdir()
    checkpoint = out / 'model.pth'
    checkpoint.write_bytes((REPO / SHIPPED).read_bytes())
    proc = subprocess.run(
        python_tool('tools/model_converters/export_width.py',
                    str(REPO / SLIMMABLE), str(checkpoint), '--width', '0.5',
                    '--out', str(out)),
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert (f"export_width: the output '{checkpoint}' is the input "
            f"checkpoint '{checkpoint}'") in proc.stderr
    assert checkpoint.read_bytes() == (REPO / SHIPPED).read_bytes()
    assert not (out / 'config.py').exists()
