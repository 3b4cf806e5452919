"""The code snippets of the five tutorials in shared/seeds/, run with
``import sourcediff as torch``, print what PyTorch prints.

Snippets are copied from the articles with the page noise removed: words glued
onto code by the web page (``torch.ojavascriptnes`` -> ``torch.ones``,
``prphpint`` -> ``print``, ``import torchx = ...`` split into two lines) and
``with torch.no_grad():y = ...`` put back on separate lines; the retain_graph
snippet (seed002), which prints nothing, ends with ``print(y)``. The expected output
was recorded from torch 2.13.0; with torch installed each snippet is also run
on the real thing. Snippets that use random numbers are compared with every
number masked, plus checks of the relations between the printed values.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from tensor_helpers import NON_LEAF_WARNING, SECOND_BACKWARD, needs_torch, run_printing

# name -> (uses random numbers, code)
SNIPPETS = {}
SNIPPETS["seed000_requires_grad_after_creation"] = (False, '''\
import torch
x = torch.ones(2,2)
print(x)
x.requires_grad=True
print(x)
y = x + 2
z = y*y*3
out = z.mean()
print(out)
out.backward()
print(x.grad)
print(y.grad)  # 这一行会报错,因为 y 不需要梯度,y为非叶子张量
''')
SNIPPETS["seed000_requires_grad_at_creation"] = (False, '''\
import torch
x = torch.ones(2,2, requires_grad=True)
y = x + 2
z = y*y*3
out = z.mean()
out.backward()
print(x.grad)  # 计算 x 的梯度
print(y.grad)  # 现在可以计算 y 的梯度了
''')
SNIPPETS["seed001_graph_and_grad"] = (True, '''\
import torch
x = torch.arange(9, dtype=torch.float).view(3,3)
print("x默认不缓存计算轨迹:",x, x.requires_grad)
y = torch.randn(3,3, requires_grad=True)
print("y设置requires_grad属性:",y, y.requires_grad)
z = torch.sum(torch.mm(x, y))
z.backward()
print("得到Z:", z, z.requires_grad)
print("经过计算,未保留x的梯度:", x.grad)
print("经过计算,保留了y的梯度:", y.grad)
''')
SNIPPETS["seed001_detach"] = (True, '''\
import torch
x = torch.rand(3, 3, requires_grad=True)
w = torch.ones(3, 3, requires_grad=True)
print(x)
print(w)
yy = torch.mm(w, x)
print(yy.requires_grad)
detach_yy = yy.detach() #一般模型中使用loss计算评价指标时,都会用类似这样的式子将loss从计算图中剥离备份出去。
y = torch.sum(yy)
y.backward()
print("进行剥离后,detach_yy的属性:", detach_yy.grad)
print("x的梯度缓存:", x.grad)
print("w的梯度缓存:", w.grad)
''')
SNIPPETS["seed001_no_grad"] = (True, '''\
import torch
x = torch.rand(3, 3, requires_grad=True)
w = torch.ones(3, 3, requires_grad=True)
y = torch.sum(torch.mm(w, x))
print("正常缓存梯度信息:", y.requires_grad)
with torch.no_grad():
    y = torch.sum(torch.mm(w, x))
    print("在with torch.no_grad中:", y.requires_grad)
''')
SNIPPETS["seed002_retain_graph"] = (True, '''\
import torch
import torch.nn as nn

class Function(torch.nn.Module):
    def __init__(self):
        super(Function, self).__init__()
        self.Linear = torch.nn.Linear(1,1)
    def forward(self, input):
        output = self.Linear(input)
        return output

func = Function()
x= torch.tensor([1.0])
x.requires_grad=True
y = func(x) ** 2
y.backward(retain_graph=True)
y.backward()
print(y)
''')
SNIPPETS["seed003_normal_gradient"] = (False, '''\
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)  # 定义一个张量,需要求导。里面分别为x1, x2, x3, x4
y1 = x ** 2  # 即 y = x^2
y2 = x ** 3  # 即 y = x^3
z = y1 + y2  # z = x^2 + x^3

print(x.requires_grad)
print(y1, y1.requires_grad)  # True 代表需要求导(计算梯度)
print(y2, y2.requires_grad)  # True 代表需要求导(计算梯度)
print(z, z.requires_grad)  # True 代表需要求导(计算梯度)
z.backward(torch.ones_like(z))
print(x.grad)  # 输出梯度,即dz/dx。 dz/dx = 2x+3x^2,当x=1,梯度为5
''')
SNIPPETS["seed003_no_grad_branch"] = (False, '''\
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)  # 定义一个张量,需要求导。里面分别为x1, x2, x3, x4
y1 = x ** 2  # 即 y = x^2
with torch.no_grad():  # y2不需要求导,所以不会记录计算图,不会求导
    y2 = x ** 3  # 即 y = x^3
z = y1 + y2  # z = x^2 + x^3

print(x.requires_grad)
print(y1, y1.requires_grad)  # True 代表需要求导(计算梯度)
print(y2, y2.requires_grad)  # False 代表需要求导(计算梯度)
print(z, z.requires_grad)  # True 代表需要求导(计算梯度)
z.backward(torch.ones_like(z))
print(x.grad)  # 输出梯度,即dz/dx。由于y2没有求导,故 dz/dx = 2x
''')
SNIPPETS["seed003_data"] = (False, '''\
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)  # 定义一个张量,需要求导。里面分别为x1, x2, x3, x4
y = 2 * x
x.data += 100  # 只改变data的值,不会影响梯度

y.backward(torch.ones_like(y))
print(x.grad)  # 输出梯度,即dy/dx。dy/dx = 2
print(x)
''')
SNIPPETS["seed004_custom_function"] = (True, '''\
import torch
class line(torch.autograd.Function):
    @staticmethod
    def forward(ctx,w,x,b):
        # 第一个参数是管理器,对变量进行存储
        # y = w*x+b
        ctx.save_for_backward(w,x,b)
        # 定义前向运算
        return w*x+b
    @staticmethod
    def backward(ctx, grad_output):
        # 上下文管理器,第二个参数是上一级梯度,表达了一个链式法则
        # 我们计算梯度,需要乘上一级梯度
        w,x,b = ctx.saved_tensors
        # dy/dw = x
        grad_w = grad_output * x
        # dy/dx = w
        grad_x = grad_output * w
        # dy/db = 1
        grad_b = grad_output * 1
        return grad_w,grad_x,grad_b

w = torch.randn(2,2,requires_grad=True)
x = torch.randn(2,2,requires_grad=True)
b = torch.randn(2,2,requires_grad=True)

# 调用重写的line函数
out = line.apply(w,x,b)
out.backward(torch.ones(2,2))

print("x 的内容:",x)
print("w 的内容:",w)
print("b 的内容:",b)
print("grad_x",x.grad)
print("grad_w",w.grad)
print("grad_b",b.grad)
''')

# torch 2.13.0's output
EXPECTED = {
    'seed000_requires_grad_after_creation': (
        'tensor([[1., 1.],\n'
        '        [1., 1.]])\n'
        'tensor([[1., 1.],\n'
        '        [1., 1.]], requires_grad=True)\n'
        'tensor(27., grad_fn=<MeanBackward0>)\n'
        'tensor([[4.5000, 4.5000],\n'
        '        [4.5000, 4.5000]])\n'
        'None\n'
    ),
    'seed000_requires_grad_at_creation': (
        'tensor([[4.5000, 4.5000],\n'
        '        [4.5000, 4.5000]])\n'
        'None\n'
    ),
    'seed001_graph_and_grad': (
        'x默认不缓存计算轨迹: tensor([[0., 1., 2.],\n'
        '        [3., 4., 5.],\n'
        '        [6., 7., 8.]]) False\n'
        'y设置requires_grad属性: tensor([[ 0.2276, -0.5720,  0.9212],\n'
        '        [-0.4763,  0.8626,  1.0963],\n'
        '        [ 0.3784, -0.6893, -1.0079]], requires_grad=True) True\n'
        '得到Z: tensor(3.1992, grad_fn=<SumBackward0>) True\n'
        '经过计算,未保留x的梯度: None\n'
        '经过计算,保留了y的梯度: tensor([[ 9.,  9.,  9.],\n'
        '        [12., 12., 12.],\n'
        '        [15., 15., 15.]])\n'
    ),
    'seed001_detach': (
        'tensor([[0.6456, 0.1958, 0.8505],\n'
        '        [0.5275, 0.6039, 0.6755],\n'
        '        [0.8039, 0.8129, 0.6823]], requires_grad=True)\n'
        'tensor([[1., 1., 1.],\n'
        '        [1., 1., 1.],\n'
        '        [1., 1., 1.]], requires_grad=True)\n'
        'True\n'
        '进行剥离后,detach_yy的属性: None\n'
        'x的梯度缓存: tensor([[3., 3., 3.],\n'
        '        [3., 3., 3.],\n'
        '        [3., 3., 3.]])\n'
        'w的梯度缓存: tensor([[1.6919, 1.8068, 2.2991],\n'
        '        [1.6919, 1.8068, 2.2991],\n'
        '        [1.6919, 1.8068, 2.2991]])\n'
    ),
    'seed001_no_grad': (
        '正常缓存梯度信息: True\n'
        '在with torch.no_grad中: False\n'
    ),
    'seed002_retain_graph': (
        'tensor([0.0255], grad_fn=<PowBackward0>)\n'
    ),
    'seed003_normal_gradient': (
        'True\n'
        'tensor([[ 1.,  4.],\n'
        '        [ 9., 16.]], grad_fn=<PowBackward0>) True\n'
        'tensor([[ 1.,  8.],\n'
        '        [27., 64.]], grad_fn=<PowBackward0>) True\n'
        'tensor([[ 2., 12.],\n'
        '        [36., 80.]], grad_fn=<AddBackward0>) True\n'
        'tensor([[ 5., 16.],\n'
        '        [33., 56.]])\n'
    ),
    'seed003_no_grad_branch': (
        'True\n'
        'tensor([[ 1.,  4.],\n'
        '        [ 9., 16.]], grad_fn=<PowBackward0>) True\n'
        'tensor([[ 1.,  8.],\n'
        '        [27., 64.]]) False\n'
        'tensor([[ 2., 12.],\n'
        '        [36., 80.]], grad_fn=<AddBackward0>) True\n'
        'tensor([[2., 4.],\n'
        '        [6., 8.]])\n'
    ),
    'seed003_data': (
        'tensor([[2., 2.],\n'
        '        [2., 2.]])\n'
        'tensor([[101., 102.],\n'
        '        [103., 104.]], requires_grad=True)\n'
    ),
    'seed004_custom_function': (
        'x 的内容: tensor([[ 0.0638,  0.4137],\n'
        '        [-0.0015, -0.3414]], requires_grad=True)\n'
        'w 的内容: tensor([[-1.6145,  0.0102],\n'
        '        [-0.0344, -1.6700]], requires_grad=True)\n'
        'b 的内容: tensor([[ 1.4165, -0.4200],\n'
        '        [ 0.5300,  0.2749]], requires_grad=True)\n'
        'grad_x tensor([[-1.6145,  0.0102],\n'
        '        [-0.0344, -1.6700]])\n'
        'grad_w tensor([[ 0.0638,  0.4137],\n'
        '        [-0.0015, -0.3414]])\n'
        'grad_b tensor([[1., 1.],\n'
        '        [1., 1.]])\n'
    ),
}


def as_sourcediff(code: str) -> str:
    """The snippet with ``import sourcediff as torch`` instead of ``import torch``."""
    code = code.replace("import torch.nn as nn", "import sourcediff.nn as nn")
    return re.sub(r"^import torch$", "import sourcediff as torch", code, flags=re.MULTILINE)


NUMBER = re.compile(r"\s*-?(?:\d+\.\d*|nan|inf)(?:e[+-]\d+)?")


def masked(text: str) -> str:
    """Every printed float replaced by '#', so random values do not matter."""
    return NUMBER.sub("#", text)


def check_relations(name: str, ns: dict) -> None:
    """What must hold between the random values a snippet printed."""
    def arr(t):
        return np.asarray(t.detach().numpy(), dtype=np.float64)

    if name == "seed001_graph_and_grad":
        assert np.isclose(ns["z"].item(), (arr(ns["x"]) @ arr(ns["y"])).sum(), rtol=1e-5)
    elif name == "seed001_detach":
        assert np.allclose(arr(ns["w"].grad), np.tile(arr(ns["x"]).sum(1), (3, 1)), rtol=1e-6)
        assert arr(ns["x"]).min() >= 0 and arr(ns["x"]).max() < 1
    elif name == "seed002_retain_graph":
        lin = ns["func"].Linear
        value = arr(lin.weight)[0, 0] + arr(lin.bias)[0]
        assert np.isclose(ns["y"].item(), value ** 2, rtol=1e-5)
        assert np.isclose(ns["x"].grad.item(), 2 * 2 * value * arr(lin.weight)[0, 0], rtol=1e-5)
    elif name == "seed004_custom_function":
        assert np.array_equal(arr(ns["x"].grad), arr(ns["w"]))
        assert np.array_equal(arr(ns["w"].grad), arr(ns["x"]))
        assert np.allclose(arr(ns["out"]), arr(ns["w"]) * arr(ns["x"]) + arr(ns["b"]))


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippet_prints_what_torch_printed(name):
    random, code = SNIPPETS[name]
    printed, warned, ns = run_printing(as_sourcediff(code))
    if random:
        assert masked(printed) == masked(EXPECTED[name])
        check_relations(name, ns)
    else:
        assert printed == EXPECTED[name]
    expects_warning = "print(y.grad)" in code
    assert any(w.startswith(NON_LEAF_WARNING) for w in warned) == expects_warning


@needs_torch
@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippet_prints_what_live_torch_prints(name):
    random, code = SNIPPETS[name]
    ours, our_warnings, _ = run_printing(as_sourcediff(code))
    theirs, their_warnings, _ = run_printing(code)
    if random:
        assert masked(ours) == masked(theirs)
    else:
        assert ours == theirs
    # ours are torch's warnings without the "(Triggered internally at ...)" tail
    assert len(our_warnings) == len(their_warnings)
    for mine, torch_text in zip(our_warnings, their_warnings):
        assert torch_text.startswith(mine)


def test_masking_can_tell_structures_apart():
    assert masked("tensor([[ 0.1709, -0.7467]])") == masked("tensor([[0.5, 1.0000e-05]])")
    assert masked("tensor([0.1])") != masked("tensor([[0.1]])")


def second_backward_variant() -> str:
    code = SNIPPETS["seed002_retain_graph"][1]
    return code.replace("y.backward(retain_graph=True)", "y.backward()")


def test_second_backward_without_retain_graph_raises():
    with pytest.raises(RuntimeError) as info:
        run_printing(as_sourcediff(second_backward_variant()))
    assert str(info.value) == SECOND_BACKWARD


@needs_torch
def test_second_backward_message_is_torchs():
    with pytest.raises(RuntimeError) as info:
        run_printing(second_backward_variant())
    assert str(info.value) == SECOND_BACKWARD
