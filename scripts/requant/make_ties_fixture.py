#!/usr/bin/python3
"""Writes scripts/requant/qlinearconv_ties.onnx and its initializers as JSON (Debian's python3-onnx, numpy): two int8 QLinearConv 3x3 layers
on one int8 input, for checking how onnxruntime rounds requantization ties.

  y_ties: per-channel weight scales 2^-2 .. 2^-6 with x_scale 0.5 and y_scale 1, so the multipliers are exact
          powers of two and x_scale * w_scale / y_scale * acc lands on .5 for many accumulators;
  y_any:  arbitrary scales (y_scale 0.37), so the float32 multiplier itself is what must match.

Run from the repo root: /usr/bin/python3 scripts/requant/make_ties_fixture.py (deterministic, seed 7).
"""
import json
import os
import numpy as np
import onnx
from onnx import TensorProto as TP, helper as h, numpy_helper as nh

OUT = os.path.join(os.path.dirname(__file__), 'qlinearconv_ties.onnx')
FACTS = os.path.join(os.path.dirname(__file__), 'qlinearconv_ties.json')


def main():
    rng = np.random.default_rng(7)
    s = lambda v: np.array(v, np.float32)
    z = lambda v: np.array(v, np.int8)
    w_ties = rng.integers(-4, 5, size=(5, 3, 3, 3), dtype=np.int8)
    w_any = rng.integers(-20, 21, size=(4, 3, 3, 3), dtype=np.int8)
    inits = [
        nh.from_array(s(0.5), 'x_s'), nh.from_array(z(3), 'x_z'),
        nh.from_array(w_ties, 'wt'), nh.from_array(s([2.0 ** -k for k in range(2, 7)]), 'wt_s'),
        nh.from_array(np.zeros(5, np.int8), 'wt_z'),
        nh.from_array(rng.integers(-40, 41, size=5, dtype=np.int32), 'bt'),
        nh.from_array(s(1.0), 'yt_s'), nh.from_array(z(-2), 'yt_z'),
        nh.from_array(w_any, 'wa'), nh.from_array((rng.random(4) * 0.02 + 0.003).astype(np.float32), 'wa_s'),
        nh.from_array(np.zeros(4, np.int8), 'wa_z'),
        nh.from_array(rng.integers(-300, 301, size=4, dtype=np.int32), 'ba'),
        nh.from_array(s(0.37), 'ya_s'), nh.from_array(z(5), 'ya_z'),
    ]
    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    nodes = [
        h.make_node('QLinearConv', ['x', 'x_s', 'x_z', 'wt', 'wt_s', 'wt_z', 'yt_s', 'yt_z', 'bt'], ['y_ties'],
                    name='conv_ties', **conv),
        h.make_node('QLinearConv', ['x', 'x_s', 'x_z', 'wa', 'wa_s', 'wa_z', 'ya_s', 'ya_z', 'ba'], ['y_any'],
                    name='conv_any', **conv),
    ]
    g = h.make_graph(nodes, 'qlinearconv_ties', [h.make_tensor_value_info('x', TP.INT8, [1, 3, 6, 6])],
                     [h.make_tensor_value_info('y_ties', TP.INT8, [1, 5, 6, 6]),
                      h.make_tensor_value_info('y_any', TP.INT8, [1, 4, 6, 6])], inits)
    model = h.make_model(g, opset_imports=[h.make_opsetid('', 13)], producer_name='tinytrain-fixtures')
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, OUT)
    print(f'{OUT}: {os.path.getsize(OUT)} bytes')
    # The initializers as numpy reads them back from the saved file (weights [O][I][kh][kw]), for the test.
    back = {t.name: nh.to_array(t) for t in onnx.load(OUT).graph.initializer}
    facts = {k: [float(v) if a.dtype == np.float32 else int(v) for v in a.flatten()] for k, a in back.items()}
    with open(FACTS, 'w') as f:
        json.dump(facts, f, indent=None, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
