# FitNet hints + KD, ResNet34 -> ResNet18 on ImageNet. The outputs of
# layer3 (256 channels) and layer4 (512) are hinted, as in MMRazor's ImageNet
# FitNets recipe (ResNet50 -> ResNet18), each through a 1x1 conv + BN
# connector to the teacher's full width, on top of the unchanged KD term of
# kd_resnet34_resnet18_8xb32_in1k.py, so that this config differs from the
# KD baseline only by the hints. The hint weight 1 is our choice: MMRazor's
# L2Loss normalises the features, our FitNetLoss is the plain MSE of the
# paper.
_base_ = ['./kd_resnet34_resnet18_8xb32_in1k.py']

model = dict(
    distill_losses=dict(
        loss_fitnet_layer3=dict(
            type='FitNetLoss',
            loss_weight=1.0,
            student='backbone.layer3',
            teacher='backbone.layer3',
            connector=dict(
                type='ConvConnector', in_channels=256, out_channels=256)),
        loss_fitnet_layer4=dict(
            type='FitNetLoss',
            loss_weight=1.0,
            student='backbone.layer4',
            teacher='backbone.layer4',
            connector=dict(
                type='ConvConnector', in_channels=512, out_channels=512))))
