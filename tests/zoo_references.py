"""Plain-PyTorch reference models for the zoo's oracle tests (tests/test_zoo_torch.py).

torchvision cannot be imported next to the CPU build of torch this project tests with, so the
torchvision models are re-built here from torchvision's own definitions, layer for layer
(torchvision/models/shufflenetv2.py, mobilenetv3.py, resnet.py, vgg.py); the tests first assert
that each reference gives torchvision's published parameter count and multiply-adds, then that
the spec gives the reference's. The original U-Net follows its paper (Ronneberger et al. 2015,
Fig. 1: valid 3x3 convs, centre-cropped skips).

Import this only after `pytest.importorskip("torch")`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count(model: nn.Module, *shape: int) -> tuple[int, int, tuple]:
    """(params, MACCs = FlopCounterMode / 2, output shape) of one batch-1 forward pass on the meta
    device: shapes and counts only, no arithmetic, so the big references cost milliseconds."""
    model = model.to("meta").eval()
    x = torch.empty(*shape, device="meta")
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        y = model(x)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2, tuple(y.shape)


def make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's `_make_divisible` (models/_utils.py)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def conv_bn_act(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act=nn.ReLU, eps: float = 1e-5):
    """torchvision's Conv2dNormActivation: padding (k - 1) // 2, no bias, batch norm, activation."""
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=eps)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


# --- ShuffleNetV2 (torchvision/models/shufflenetv2.py) -------------------------------------------

def channel_shuffle(x, groups: int):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        f = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU())
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(),
            nn.Conv2d(f, f, 3, stride, 1, groups=f, bias=False), nn.BatchNorm2d(f),
            nn.Conv2d(f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU())

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, repeats=(4, 8, 4), channels=(24, 116, 232, 464, 1024), classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = conv_bn_act(3, channels[0], 3, 2)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, cin = [], channels[0]
        for n, cout in zip(repeats, channels[1:4]):
            stages += [ShuffleUnit(cin, cout, 2)] + [ShuffleUnit(cout, cout, 1) for _ in range(n - 1)]
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.conv5 = conv_bn_act(cin, channels[4], 1)
        self.fc = nn.Linear(channels[4], classes)

    def forward(self, x):
        x = self.conv5(self.stages(self.maxpool(self.conv1(x))))
        return self.fc(x.mean([2, 3]))


# --- MobileNetV3 large (torchvision/models/mobilenetv3.py) ---------------------------------------

# input, kernel, expanded, out, SE, activation, stride  (torchvision's bneck_conf for "large")
MOBILENET_V3_LARGE = [
    (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2), (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2), (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1), (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1), (160, 5, 960, 160, True, "HS", 1),
]


class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation as MobileNetV3 uses it: squeeze to make_divisible(C // 4, 8)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        s = make_divisible(c // 4, 8)
        self.fc1, self.fc2 = nn.Conv2d(c, s, 1), nn.Conv2d(s, c, 1)

    def forward(self, x):
        scale = F.adaptive_avg_pool2d(x, 1)
        return F.hardsigmoid(self.fc2(F.relu(self.fc1(scale)))) * x


class V3Block(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, stride) -> None:
        super().__init__()
        act = nn.Hardswish if act == "HS" else nn.ReLU
        layers = []
        if exp != cin:
            layers.append(conv_bn_act(cin, exp, 1, act=act, eps=0.001))
        layers.append(conv_bn_act(exp, exp, k, stride, groups=exp, act=act, eps=0.001))
        if se:
            layers.append(SqueezeExcitation(exp))
        layers.append(conv_bn_act(exp, cout, 1, act=None, eps=0.001))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return y + x if self.residual else y


class MobileNetV3Large(nn.Module):
    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(conv_bn_act(3, 16, 3, 2, act=nn.Hardswish, eps=0.001),
                                      *(V3Block(*c) for c in MOBILENET_V3_LARGE),
                                      conv_bn_act(160, 960, 1, act=nn.Hardswish, eps=0.001))
        self.classifier = nn.Sequential(nn.Linear(960, 1280), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(1280, classes))

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


# --- ResNet-34 (torchvision/models/resnet.py, BasicBlock, layers [3, 4, 6, 3]) -------------------

class BasicBlock(nn.Module):
    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = conv_bn_act(cin, planes, 3, stride)
        self.conv2 = conv_bn_act(planes, planes, 3, act=None)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                           if stride != 1 or cin != planes else nn.Identity())

    def forward(self, x):
        return F.relu(self.conv2(self.conv1(x)) + self.downsample(x))


class ResNet(nn.Module):
    def __init__(self, depths=(3, 4, 6, 3), classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], 64
        for stage, (n, planes) in enumerate(zip(depths, (64, 128, 256, 512))):
            for i in range(n):
                blocks.append(BasicBlock(cin, planes, 2 if stage > 0 and i == 0 else 1))
                cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1).flatten(1))


# --- VGG-16 (torchvision/models/vgg.py, configuration "D", with its AdaptiveAvgPool2d((7, 7))) ---

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class VGG(nn.Module):
    def __init__(self, cfg=VGG16, classes: int = 1000) -> None:
        super().__init__()
        layers, cin = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
                cin = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# --- the original U-Net (Ronneberger et al. 2015, Fig. 1) ---------------------------------------

def double_conv(cin: int, cout: int):
    """Two unpadded 3x3 convolutions, each followed by a ReLU (the paper's blue arrows)."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.Conv2d(cout, cout, 3), nn.ReLU())


def centre_crop(x, h: int, w: int):
    top, left = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
    return x[:, :, top:top + h, left:left + w]


class UNet(nn.Module):
    """572x572x1 in, 388x388x2 out: 4 poolings, 2x2 up-convolutions halving the channels, the
    contracting path's maps centre-cropped to the expanding path's size and concatenated before it."""

    def __init__(self, channels=(64, 128, 256, 512, 1024), cin: int = 1, classes: int = 2) -> None:
        super().__init__()
        self.down = nn.ModuleList()
        for c in channels:
            self.down.append(double_conv(cin, c))
            cin = c
        self.up = nn.ModuleList(nn.ConvTranspose2d(c, c // 2, 2, 2) for c in channels[:0:-1])
        self.convs = nn.ModuleList(double_conv(c, c // 2) for c in channels[:0:-1])
        self.head = nn.Conv2d(channels[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for up, conv, skip in zip(self.up, self.convs, skips[-2::-1]):
            x = up(x)
            x = conv(torch.cat([centre_crop(skip, x.shape[2], x.shape[3]), x], dim=1))
        return self.head(x)
