"""Convert an MMRazor 1.x mmcls KD config into an mmpwkd config.

MMRazor's ``SingleTeacherDistill`` with a ``ConfigurableDistiller`` (KD,
DKD, FitNets: ``architecture``/``teacher`` by ``cfg_path``, recorders,
``distill_losses``, ``connectors``, ``loss_forward_mappings``) becomes a
``PWKDDistiller`` with losses wired inline; ``mmcls::`` bases become
``mmpretrain::``. The source is read as data (literals, ``dict(...)`` and
names assigned before), never executed. A key with no exact equivalent is
an error naming it; every such key is reported at once. The mapping table
is in docs/mmrazor.md.

Example::

    python tools/misc/from_mmrazor.py kd_logits_resnet34_resnet18.py \
        configs/kd/my_kd.py
"""
import argparse
import ast
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from mmpwkd.utils.package_config import read_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RUNTIME = osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')
# Their ConfigurableDistiller's recorder of the classifier's logits.
LOGITS_SOURCES = ('head.fc', 'head')
# Calls of a ResNet block's shared ReLU; its last call is the block's output.
BLOCK_RELU_CALLS = (1, 2)


class ConversionError(ValueError):
    """Keys of the MMRazor config that have no exact equivalent."""


def _evaluate(node: ast.AST, names: Dict[str, Any], key: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_evaluate(item, names, key) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        return {
            _evaluate(k, names, key): _evaluate(v, names, key)
            for k, v in zip(node.keys, node.values)
        }
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args):
        return {
            kw.arg: _evaluate(kw.value, names, key)
            for kw in node.keywords
        }
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _evaluate(node.left, names, key) + _evaluate(
            node.right, names, key)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, names, key)
    raise ConversionError(f'{key}: line {getattr(node, "lineno", "?")} is '
                          'not a literal, dict(...) or a name assigned '
                          'before; the converter reads configs as data')


def read_source(text: str) -> Dict[str, Any]:
    """The top-level assignments of a config text, read as data."""
    names: Dict[str, Any] = {}
    for statement in ast.parse(text).body:
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            name = statement.targets[0].id
            names[name] = _evaluate(statement.value, names, name)
        elif not isinstance(statement, (ast.Import, ast.ImportFrom)):
            raise ConversionError(
                f'line {statement.lineno}: only assignments are read')
    return names


class Converter:
    """One MMRazor config into ours; :attr:`errors` collects what has no
    equivalent, each naming its MMRazor key."""

    def __init__(self, source: Dict[str, Any], out_dir: str) -> None:
        self.source = source
        self.out_dir = out_dir
        self.errors: List[str] = []
        self.notes: List[str] = []

    def fail(self, key: str, why: str) -> None:
        self.errors.append(f'{key}: {why}')

    def convert(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {'_base_': self._bases()}
        for key, value in self.source.items():
            if key in ('_base_', 'teacher_ckpt'):
                continue
            if key == 'model':
                out['model'] = self._model(value)
                out['val_evaluator'] = out['test_evaluator'] = [
                    dict(type='Accuracy', topk=(1, 5)),
                    dict(type='PerWidthAccuracy', topk=(1, 5),
                         prefix='teacher',
                         score_field='teacher_score_per_width',
                         width_in_name=False)]
            elif key == 'val_cfg' and 'mmrazor' in str(value.get('type')):
                self.notes.append('val_cfg: their SingleTeacherDistillValLoop'
                                  ' -> model.eval_teacher=True')
            elif 'mmrazor' in repr(value):
                self.fail(key, f'an MMRazor component, {value!r}')
            else:
                out[key] = value
        if self.errors:
            raise ConversionError(
                'cannot convert these MMRazor keys:\n  ' +
                '\n  '.join(self.errors))
        return out

    def _bases(self) -> List[str]:
        bases = self.source.get('_base_', [])
        bases = [bases] if isinstance(bases, str) else list(bases)
        runtime = osp.relpath(RUNTIME, self.out_dir)
        out = []
        for index, base in enumerate(bases):
            scope, sep, rest = base.partition('::')
            if not sep:
                self.fail(f'_base_[{index}]', f'{base!r} is a file of their '
                          'repository; give it as mmpretrain::...')
            elif rest == '_base_/default_runtime.py':
                out.append(runtime)
            elif scope in ('mmcls', 'mmpretrain'):
                out.append(f'mmpretrain::{rest}')
            else:
                self.fail(f'_base_[{index}]', f'{base!r}: not an mmcls or '
                          'mmpretrain config')
        if runtime not in out:
            out.append(runtime)
        return out

    def _model(self, model: Dict[str, Any]) -> Dict[str, Any]:
        model = dict(model)
        if model.pop('_scope_', 'mmrazor') != 'mmrazor':
            self.fail('model._scope_', 'expected mmrazor')
        if model.pop('type', None) != 'SingleTeacherDistill':
            self.fail('model.type', 'only SingleTeacherDistill converts')
        out: Dict[str, Any] = dict(type='PWKDDistiller')
        ckpt = model.pop('teacher_ckpt', None)
        out['student'] = self._network(model.pop('architecture', None),
                                       'model.architecture', False)
        out['teacher'] = self._network(model.pop('teacher', None),
                                       'model.teacher', ckpt is not None)
        if ckpt is not None:
            out['teacher_ckpt'] = ckpt
        # Their student loss has weight 1 (ours defaults to 0.1).
        calculate = model.pop('calculate_student_loss', True)
        out['student_loss_weight'] = 1.0 if calculate else 0.0
        for key, kept in (('student_trainable', True),
                          ('teacher_trainable', False),
                          ('teacher_norm_eval', True)):
            if model.pop(key, kept) != kept:
                self.fail(f'model.{key}', f'only {kept} (our teacher is '
                          'frozen in eval mode, the student trains)')
        if 'data_preprocessor' in model:
            out['data_preprocessor'] = self._preprocessor(
                model.pop('data_preprocessor'))
        out['distill_losses'] = self._distiller(
            model.pop('distiller', {}), out['student'])
        out['eval_teacher'] = True
        for key in model:
            self.fail(f'model.{key}', 'no equivalent')
        return out

    def _network(self, cfg: Optional[dict], key: str,
                 has_ckpt: bool) -> Dict[str, Any]:
        if not isinstance(cfg, dict):
            self.fail(key, f'expected a dict, got {cfg!r}')
            return {}
        cfg = dict(cfg)
        pretrained = cfg.pop('pretrained', False)
        if pretrained and not has_ckpt:
            self.fail(f'{key}.pretrained', 'True loads their metafile '
                      'weights; give model.teacher_ckpt instead')
        if cfg.pop('_scope_', 'mmcls') not in ('mmcls', 'mmpretrain'):
            self.fail(f'{key}._scope_', 'expected mmcls')
        path = cfg.get('cfg_path')
        if isinstance(path, str) and path.startswith('mmcls::'):
            cfg['cfg_path'] = 'mmpretrain::' + path[len('mmcls::'):]
        return cfg

    def _preprocessor(self, cfg: dict) -> Dict[str, Any]:
        cfg = dict(cfg)
        if cfg.pop('type', 'ImgDataPreprocessor') not in (
                'ImgDataPreprocessor', 'ClsDataPreprocessor'):
            self.fail('model.data_preprocessor.type', 'no equivalent')
        out = {}
        for key, value in cfg.items():
            if key in ('bgr_to_rgb', 'rgb_to_bgr', 'to_rgb'):
                out['to_rgb'] = out.get('to_rgb', False) or bool(value)
            elif key in ('mean', 'std', 'pad_size_divisor', 'pad_value',
                         'num_classes'):
                out[key] = value
            else:
                self.fail(f'model.data_preprocessor.{key}', 'no equivalent')
        return out

    def _distiller(self, cfg: dict, student: dict) -> Dict[str, Any]:
        key = 'model.distiller'
        cfg = dict(cfg)
        if cfg.pop('type', None) != 'ConfigurableDistiller':
            self.fail(f'{key}.type', 'only ConfigurableDistiller converts')
        recorders = {
            side: self._recorders(
                cfg.pop(f'{side}_recorders', None) or {},
                f'{key}.{side}_recorders')
            for side in ('student', 'teacher')
        }
        connectors = cfg.pop('connectors', None) or {}
        losses = cfg.pop('distill_losses', None) or {}
        mappings = cfg.pop('loss_forward_mappings', None) or {}
        for name in cfg:
            self.fail(f'{key}.{name}', 'no equivalent')
        out = {}
        for name, loss in losses.items():
            mapped = self._loss(dict(loss), f'{key}.distill_losses.{name}',
                                student)
            mapping_key = f'{key}.loss_forward_mappings.{name}'
            if name not in mappings:
                self.fail(mapping_key, 'missing: the loss has no inputs')
                continue
            sources = self._sources(mappings[name], recorders, connectors,
                                    mapping_key)
            if mapped is not None and sources is not None:
                ours = name if name.startswith('loss_') else f'loss_{name}'
                out[ours] = {**mapped, **sources}
        for name in mappings:
            if name not in losses:
                self.fail(f'{key}.loss_forward_mappings.{name}',
                          'maps a loss that distill_losses lacks')
        return out

    def _recorders(self, cfg: dict, key: str) -> Dict[str, Tuple[str, str]]:
        out = {}
        for name, recorder in cfg.items():
            kind = recorder.get('type')
            if kind not in ('ModuleOutputs', 'ModuleInputs') or set(
                    recorder) - {'type', 'source'}:
                self.fail(f'{key}.{name}', 'only ModuleOutputs (and '
                          'ModuleInputs of the head\'s loss) convert')
                continue
            out[name] = (recorder['source'], kind)
        return out

    def _sources(self, mapping: dict, recorders: dict, connectors: dict,
                 key: str) -> Optional[Dict[str, Any]]:
        out: Dict[str, Any] = {}
        for arg, spec in mapping.items():
            side = 'student' if spec.get('from_student') else 'teacher'
            recorder = recorders[side].get(spec.get('recorder'))
            if recorder is None:
                self.fail(f'{key}.{arg}.recorder', f'no {side} recorder '
                          f'{spec.get("recorder")!r}')
                continue
            source, kind = recorder
            if kind == 'ModuleInputs':
                if not source.endswith('loss_module'):
                    self.fail(f'{key}.{arg}', 'only the labels (inputs of '
                              'head.loss_module) are read from inputs')
                continue  # our losses receive the labels themselves
            if side in out:
                self.fail(f'{key}.{arg}', f'a second {side} input')
                continue
            path = self._path(source, spec.get('record_idx', 0),
                              f'{key}.{arg}')
            if path is not None:
                out[side] = path
            if spec.get('connector') is not None:
                name = spec['connector']
                if side == 'teacher' or name not in connectors:
                    self.fail(f'{key}.{arg}.connector', f'{name!r}: only '
                              'a connector of the student converts')
                else:
                    out['connector'] = self._connector(
                        connectors[name], f'model.distiller.connectors.{name}')
        if set(out) < {'student', 'teacher'}:
            self.fail(key, 'needs one student and one teacher input')
            return None
        return out

    def _path(self, source: str, index: int, key: str) -> Optional[str]:
        if index == 0:
            return 'logits' if source in LOGITS_SOURCES else source
        if source.endswith('.relu') and index in BLOCK_RELU_CALLS:
            block = source[:-len('.relu')]
            self.notes.append(f'{key}: call {index} of {source} -> the '
                              f'output of {block} (a ResNet block returns '
                              'its ReLU\'s last call)')
            return block
        self.fail(f'{key}.record_idx', f'{index} of {source!r}: a module '
                  'called several times; name a module called once')
        return None

    def _connector(self, cfg: dict, key: str) -> Optional[Dict[str, Any]]:
        cfg = dict(cfg)
        if cfg.pop('type', None) not in ('ConvModuleConncetor',
                                         'ConvModuleConnector'):
            self.fail(f'{key}.type', 'only ConvModuleConnector converts')
            return None
        out = dict(type='ConvConnector', in_channels=cfg.pop('in_channel'),
                   out_channels=cfg.pop('out_channel'))
        norm = cfg.pop('norm_cfg', None)
        if norm not in (None, dict(type='BN')):
            self.fail(f'{key}.norm_cfg', 'only BN or None')
        out['norm'] = norm is not None
        if cfg.pop('act_cfg', dict(type='ReLU')) is not None:
            self.fail(f'{key}.act_cfg', 'a ReLU after the connector (their '
                      'default); ours has none: set act_cfg=None to convert')
        for name, plain in (('kernel_size', 1), ('stride', 1),
                            ('padding', 0)):
            if cfg.pop(name, plain) != plain:
                self.fail(f'{key}.{name}', f'only {plain} (a 1x1 conv)')
        for name in cfg:
            self.fail(f'{key}.{name}', 'no equivalent')
        return out

    def _num_classes(self, student: dict, key: str) -> Optional[int]:
        head = student.get('head') or {}
        if 'num_classes' in head:
            return head['num_classes']
        try:
            return read_config(student['cfg_path'],
                               'model.architecture.cfg_path'
                               ).model.head.num_classes
        except (KeyError, AttributeError, ValueError, OSError) as error:
            self.fail(key, "reduction='mean' needs the student's class "
                      f'count: {error}')
            return None

    def _loss(self, cfg: dict, key: str,
              student: dict) -> Optional[Dict[str, Any]]:
        kind = cfg.pop('type', None)
        mapper = {'KLDivergence': self._kl, 'DKDLoss': self._dkd,
                  'L2Loss': self._l2}.get(kind)
        if mapper is None:
            self.fail(f'{key}.type', f'{kind!r}: KLDivergence, DKDLoss and '
                      'L2Loss convert')
            return None
        out = mapper(cfg, key, student)
        for name in cfg:
            self.fail(f'{key}.{name}', 'no equivalent')
        return out

    def _kl(self, cfg: dict, key: str, student: dict) -> Dict[str, Any]:
        out = dict(type='KDLoss', tau=cfg.pop('tau', 1.0),
                   loss_weight=cfg.pop('loss_weight', 1.0))
        if not cfg.pop('teacher_detach', True):
            self.fail(f'{key}.teacher_detach', 'only True (frozen teacher)')
        reduction = cfg.pop('reduction', 'batchmean')
        if reduction == 'mean':
            classes = self._num_classes(student, f'{key}.reduction')
            if classes:
                out['loss_weight'] = out['loss_weight'] / classes
                self.notes.append(f"{key}: reduction='mean' (over N x "
                                  f'{classes}) -> batchmean with '
                                  f'loss_weight / {classes}')
        elif reduction == 'sum':
            out['reduction'] = reduction
        elif reduction != 'batchmean':
            self.fail(f'{key}.reduction', f'{reduction!r}: no equivalent')
        return out

    def _dkd(self, cfg: dict, key: str, student: dict) -> Dict[str, Any]:
        # Their tau defaults to 4.0, ours to 1.0: always written.
        out = dict(type='DKDLoss', tau=cfg.pop('tau', 4.0),
                   alpha=cfg.pop('alpha', 1.0), beta=cfg.pop('beta', 8.0),
                   loss_weight=cfg.pop('loss_weight', 1.0))
        reduction = cfg.pop('reduction', 'batchmean')
        if reduction == 'mean':
            classes = self._num_classes(student, f'{key}.reduction')
            if classes:
                # The target-class KL averages over N x 2, the other over
                # N x classes; ours sums over classes (batchmean).
                out['alpha'] = out['alpha'] / 2
                out['beta'] = out['beta'] / classes
                self.notes.append(f"{key}: reduction='mean' -> alpha / 2, "
                                  f'beta / {classes} (batchmean)')
        elif reduction != 'batchmean':
            self.fail(f'{key}.reduction', f'{reduction!r}: no equivalent')
        return out

    def _l2(self, cfg: dict, key: str, student: dict) -> Dict[str, Any]:
        given = [cfg.pop(name, default) for name, default in (
            ('normalize', True), ('div_element', False), ('dist', False))]
        exact = given == [False, True, False]
        cfg.pop('mult', None)  # scales normalised features only
        if not exact:
            self.fail(key, 'L2Loss equals our FitNetLoss (mean squared '
                      'error) only with normalize=False, div_element=True; '
                      'their default normalises the features and sums over '
                      'them. Set those two, or write a FitNetLoss by hand')
        return dict(type='FitNetLoss', loss_weight=cfg.pop('loss_weight', 1.0))


def convert_file(path: str, out: str) -> Tuple[Config, List[str]]:
    """Convert the MMRazor config ``path`` into the config ``out``.

    Returns:
        tuple: The config and notes on what changed in meaning.

    Raises:
        ConversionError: Naming each MMRazor key without an equivalent.
    """
    with open(path, encoding='utf-8') as file:
        source = read_source(file.read())
    converter = Converter(source, osp.dirname(osp.abspath(out)))
    return Config(converter.convert()), converter.notes


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='the MMRazor config')
    parser.add_argument('out', help='the mmpwkd config to write')
    args = parser.parse_args(argv)
    try:
        config, notes = convert_file(args.source, args.out)
    except ConversionError as error:
        print(f'{args.source}: {error}', file=sys.stderr)
        return 1
    header = ''.join(f'# {note}\n' for note in
                     [f'Converted from {osp.basename(args.source)} by '
                      'tools/misc/from_mmrazor.py.'] + notes)
    with open(args.out, 'w', encoding='utf-8') as file:
        file.write(header + config.pretty_text)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
