#!/usr/bin/python3
"""Trains a small fp32 MobileNet-style CNN on Fashion-MNIST with numpy and writes it as ONNX (python3-onnx).

Run from the repo root (Debian's python3: its onnx and numpy):
    /usr/bin/python3 scripts/quantize/train_fashion_mobilenet.py [epochs=3] [training images=55000]
The committed fashion_mobilenet_fp32.onnx: 5 epochs (log: docs/raw/fashion-train.log); then
scripts/quantize/quantize-fashion.ts quantizes it and measures both (docs/raw/fashion-quantize.json).

Network (NCHW, input [1, 1, 28, 28] = pixel / 255):
    conv 3x3 s2 1->8 + ReLU -> depthwise 3x3 8 + ReLU6 -> pointwise 8->16 + ReLU
    -> depthwise 3x3 s2 16 + ReLU -> pointwise 16->32 + ReLU -> GlobalAveragePool -> Flatten -> Gemm 32->10 (logits)
Data: /usr/share/datasets/fashion-mnist. The last 5,000 training images are held out (validation and
calibration; the quantizer calibrates on them); the test set is only used for the final accuracy.
Deterministic: fixed seed, fixed order. Adam, cross-entropy, batch 64.
"""
import gzip
import os
import sys
import numpy as np
import onnx
from onnx import TensorProto as TP, helper as h, numpy_helper as nh

DATA = '/usr/share/datasets/fashion-mnist'
OUT = os.path.join(os.path.dirname(__file__), 'fashion_mobilenet_fp32.onnx')
HOLDOUT = 5000


def load(kind):
    with gzip.open(f'{DATA}/{kind}-images-idx3-ubyte.gz') as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    with gzip.open(f'{DATA}/{kind}-labels-idx1-ubyte.gz') as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return x, y


def pad(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x


def conv_fwd(x, w, b, stride, p, group):
    """Grouped 2-D convolution (group 1 or depthwise), NCHW, by summing over kernel offsets."""
    n, c, hh, ww = x.shape
    o, ci, kh, kw = w.shape
    xp = pad(x, p)
    oh = (hh + 2 * p - kh) // stride + 1
    ow = (ww + 2 * p - kw) // stride + 1
    y = np.zeros((n, o, oh, ow), np.float32)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            if group == 1:
                y += np.einsum('nchw,oc->nohw', patch, w[:, :, i, j], optimize=True)
            else:
                y += patch * w[:, 0, i, j][None, :, None, None]
    return y + b[None, :, None, None]


def conv_bwd(x, w, dy, stride, p, group):
    n, c, hh, ww = x.shape
    o, ci, kh, kw = w.shape
    xp = pad(x, p)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    oh, ow = dy.shape[2], dy.shape[3]
    for i in range(kh):
        for j in range(kw):
            sl = (slice(None), slice(None), slice(i, i + stride * oh, stride), slice(j, j + stride * ow, stride))
            patch = xp[sl]
            if group == 1:
                dw[:, :, i, j] = np.einsum('nchw,nohw->oc', patch, dy, optimize=True)
                dxp[sl] += np.einsum('nohw,oc->nchw', dy, w[:, :, i, j], optimize=True)
            else:
                dw[:, 0, i, j] = (patch * dy).sum(axis=(0, 2, 3))
                dxp[sl] += dy * w[:, 0, i, j][None, :, None, None]
    dx = dxp[:, :, p:p + hh, p:p + ww] if p else dxp
    return dx, dw, dy.sum(axis=(0, 2, 3))


# name, in, out, stride, group, activation
LAYERS = [('c0', 1, 8, 2, 1, 'relu'), ('dw1', 8, 8, 1, 8, 'relu6'), ('pw1', 8, 16, 1, 1, 'relu'),
          ('dw2', 16, 16, 2, 16, 'relu'), ('pw2', 16, 32, 1, 1, 'relu')]


def init_params(rng):
    params = {}
    for name, cin, cout, _, group, _ in LAYERS:
        k = 1 if name.startswith('pw') else 3
        fan_in = (cin // group) * k * k
        params[name + '_w'] = (rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2 / fan_in)).astype(np.float32)
        params[name + '_b'] = np.zeros(cout, np.float32)
    params['fc_w'] = (rng.standard_normal((10, 32)) * np.sqrt(1 / 32)).astype(np.float32)
    params['fc_b'] = np.zeros(10, np.float32)
    return params


def forward(params, x):
    cache = []
    for name, _, _, stride, group, act in LAYERS:
        k = params[name + '_w'].shape[2]
        z = conv_fwd(x, params[name + '_w'], params[name + '_b'], stride, k // 2, group)
        a = np.maximum(z, 0) if act == 'relu' else np.clip(z, 0, 6)
        cache.append((x, z))
        x = a
    g = x.mean(axis=(2, 3))
    return g @ params['fc_w'].T + params['fc_b'], (cache, x, g)


def backward(params, logits, labels, state):
    cache, last, g = state
    n = logits.shape[0]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), labels] + 1e-12).mean()
    dlogits = p
    dlogits[np.arange(n), labels] -= 1
    dlogits /= n
    grads = {'fc_w': dlogits.T @ g, 'fc_b': dlogits.sum(axis=0)}
    dg = dlogits @ params['fc_w']
    da = np.broadcast_to(dg[:, :, None, None] / (last.shape[2] * last.shape[3]), last.shape)
    for (name, _, _, stride, group, act), (x, z) in zip(reversed(LAYERS), reversed(cache)):
        dz = da * ((z > 0) if act == 'relu' else ((z > 0) & (z < 6)))
        k = params[name + '_w'].shape[2]
        da, grads[name + '_w'], grads[name + '_b'] = conv_bwd(x, params[name + '_w'], dz, stride, k // 2, group)
    return loss, grads


def accuracy(params, x, y):
    hits = 0
    for i in range(0, len(x), 500):
        logits, _ = forward(params, x[i:i + 500])
        hits += (logits.argmax(axis=1) == y[i:i + 500]).sum()
    return hits / len(x)


def train(epochs, limit):
    x, y = load('train')
    xtr, ytr = x[:-HOLDOUT][:limit], y[:-HOLDOUT][:limit]
    xval, yval = x[-HOLDOUT:], y[-HOLDOUT:]
    rng = np.random.default_rng(1)
    params = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    step, lr = 0, 3e-3
    for epoch in range(epochs):
        order = rng.permutation(len(xtr))
        for i in range(0, len(order) - 63, 64):
            idx = order[i:i + 64]
            logits, state = forward(params, xtr[idx])
            loss, grads = backward(params, logits, ytr[idx], state)
            step += 1
            for k in params:
                m[k] = 0.9 * m[k] + 0.1 * grads[k]
                v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
                params[k] -= lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)
            if step % 200 == 0:
                print(f'epoch {epoch} step {step} loss {loss:.4f}', flush=True)
        print(f'epoch {epoch}: validation accuracy {accuracy(params, xval[:2000], yval[:2000]):.4f}', flush=True)
    return params


def to_onnx(params):
    nodes, inits, prev = [], [], 'x'
    for name, _, _, stride, group, act in LAYERS:
        k = params[name + '_w'].shape[2]
        inits += [nh.from_array(params[name + '_w'], name + '_w'), nh.from_array(params[name + '_b'], name + '_b')]
        nodes.append(h.make_node('Conv', [prev, name + '_w', name + '_b'], [name], name=name, kernel_shape=[k, k],
                                 strides=[stride, stride], pads=[k // 2] * 4, group=group))
        if act == 'relu':
            nodes.append(h.make_node('Relu', [name], [name + '_relu'], name=name + '_relu'))
        else:
            nodes.append(h.make_node('Clip', [name, 'clip_lo', 'clip_hi'], [name + '_relu'], name=name + '_relu6'))
        prev = name + '_relu'
    inits += [nh.from_array(np.array(0, np.float32), 'clip_lo'), nh.from_array(np.array(6, np.float32), 'clip_hi'),
              nh.from_array(params['fc_w'], 'fc_w'), nh.from_array(params['fc_b'], 'fc_b')]
    nodes += [h.make_node('GlobalAveragePool', [prev], ['gap'], name='gap'),
              h.make_node('Flatten', ['gap'], ['flat'], name='flatten', axis=1),
              h.make_node('Gemm', ['flat', 'fc_w', 'fc_b'], ['logits'], name='fc', transB=1)]
    g = h.make_graph(nodes, 'fashion_mobilenet', [h.make_tensor_value_info('x', TP.FLOAT, [1, 1, 28, 28])],
                     [h.make_tensor_value_info('logits', TP.FLOAT, [1, 10])], initializer=inits)
    model = h.make_model(g, opset_imports=[h.make_opsetid('', 13)], producer_name='tinytrain-fashion-mobilenet')
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, OUT)
    print(f'{OUT}: {os.path.getsize(OUT)} bytes')


if __name__ == '__main__':
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 55000
    params = train(epochs, limit)
    xt, yt = load('t10k')
    print(f'numpy fp32 test accuracy {accuracy(params, xt, yt):.4f}')
    to_onnx(params)
