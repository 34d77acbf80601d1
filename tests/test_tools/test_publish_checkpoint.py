"""tools/model_converters/publish_checkpoint.py: a training checkpoint in,
its weights and where they come from out, the same bytes for the same
weights."""
import hashlib

import pytest
import torch

from conftest import load_tool

TOOL = 'tools/model_converters/publish_checkpoint.py'


publish = load_tool(TOOL)


def _training_checkpoint(path, time, weight=None):
    weight = torch.arange(6.).view(2, 3) if weight is None else weight
    torch.save(
        dict(
            state_dict=dict(weight=weight, steps=torch.tensor(7)),
            optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
            message_hub=dict(log_scalars={}),
            meta=dict(epoch=3, iter=1173, seed=0, time=time,
                      cfg='model = dict(type="X")',
                      experiment_name='teacher_20261203_092815',
                      mmengine_version='0.10.7')), path)
    return path


def test_keeps_the_weights_and_their_origin_and_nothing_else(tmp_path,
                                                             capsys):
    source = _training_checkpoint(tmp_path / 'epoch_3.pth', '20261203_0928')
    out = tmp_path / 'shipped' / 'epoch_3.pth'
    publish.main([str(source), str(out)])
    kept = torch.load(out, weights_only=True)
    assert set(kept) == {'state_dict', 'meta'}
    assert kept['meta'] == dict(epoch=3, iter=1173, seed=0,
                                experiment_name='teacher_20261203_092815',
                                mmengine_version='0.10.7')
    assert torch.equal(kept['state_dict']['weight'],
                       torch.arange(6.).view(2, 3))
    assert kept['state_dict']['steps'].item() == 7
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f'sha256: {digest}' in capsys.readouterr().out

    # The same weights written at another time publish to the same bytes:
    # the file's content names the weights.
    again = _training_checkpoint(tmp_path / 'again.pth', '20261204_1200')
    assert again.read_bytes() != source.read_bytes()
    publish.main([str(again), str(tmp_path / 'again_out.pth')])
    assert (tmp_path / 'again_out.pth').read_bytes() == out.read_bytes()


def test_refuses_what_it_should_not_ship(tmp_path):
    source = _training_checkpoint(tmp_path / 'nan.pth', 't',
                                  weight=torch.tensor([1.0, float('nan')]))
    with pytest.raises(SystemExit, match=r"NaN/Inf in \['weight'\]"):
        publish.main([str(source), str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()

    torch.save(dict(meta=dict(epoch=1)), tmp_path / 'no_weights.pth')
    with pytest.raises(SystemExit, match="has no state_dict.*'meta'"):
        publish.main([str(tmp_path / 'no_weights.pth'),
                      str(tmp_path / 'out.pth')])

    good = _training_checkpoint(tmp_path / 'good.pth', 't')
    before = good.read_bytes()
    with pytest.raises(SystemExit, match='would replace the source'):
        publish.main([str(good), str(good)])
    assert good.read_bytes() == before
