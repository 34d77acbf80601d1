"""Scores of an exported model through mmpretrain's three public loaders.

Run in a fresh process so that nothing of mmpwkd is imported or registered
beforehand, as for a user who only has the exported files.

Usage: python stock_predict.py CONFIG WEIGHTS IMAGES OUT
IMAGES is a torch file of uint8 images (N, C, H, W); OUT receives a dict of
(N, classes) score tensors keyed by API.
"""
import sys

import torch
from mmpretrain import ImageClassificationInferencer, get_model, init_model


def main() -> None:
    config, weights, images_path, out = sys.argv[1:5]
    images = torch.load(images_path, weights_only=True)
    scores = {}
    for name, model in (('get_model', get_model(config, pretrained=weights)),
                        ('init_model', init_model(config, weights))):
        with torch.no_grad():
            samples = model.eval().test_step(dict(inputs=list(images)))
        scores[name] = torch.stack([sample.pred_score for sample in samples])
    inferencer = ImageClassificationInferencer(
        model=config, pretrained=weights)
    results = inferencer([image.permute(1, 2, 0).numpy() for image in images])
    scores['inferencer'] = torch.stack(
        [torch.as_tensor(result['pred_scores']) for result in results])
    torch.save(scores, out)


if __name__ == '__main__':
    main()
