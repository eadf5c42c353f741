#!/usr/bin/python3
"""Writes the small ONNX test models of src/compiler/import (Debian's python3-onnx 1.12, numpy).

Run from the repo root:  /usr/bin/python3 scripts/import-fixtures/make_onnx_fixtures.py
Deterministic (fixed seeds); every model passes onnx.checker and carries inferred value_info where ONNX's
shape inference knows the ops, so the importer's own shape inference can be checked against it.
"""
import os
import numpy as np
import onnx
from onnx import TensorProto as TP, helper as h, numpy_helper as nh

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'compiler', 'import', 'fixtures')
OPSET = [h.make_opsetid('', 13), h.make_opsetid('com.microsoft', 1)]


def init(name, array):
    return nh.from_array(array, name)


EXPECTED = {}


def facts(model):
    """What onnx / numpy read from a model, for the importer's tests to compare against."""
    g = model.graph
    shape = lambda v: [d.dim_value if d.HasField('dim_value') else d.dim_param for d in v.type.tensor_type.shape.dim]
    inits = {}
    for t in g.initializer:
        a = nh.to_array(t)
        inits[t.name] = {'dims': list(a.shape), 'dtype': str(a.dtype), 'sum': float(a.astype(np.float64).sum()),
                         'first': [float(v) for v in a.flatten()[:4]]}
    return {'ops': [n.op_type for n in g.node], 'inputs': {v.name: shape(v) for v in g.input},
            'outputs': {v.name: shape(v) for v in g.output},
            'value_info': {v.name: shape(v) for v in g.value_info}, 'initializers': inits}


def save(name, graph, infer=True, opset=None):
    model = h.make_model(graph, opset_imports=opset or OPSET, producer_name='tinytrain-fixtures')
    model.ir_version = 8
    if infer:
        model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    path = os.path.join(OUT, name)
    onnx.save(model, path)
    EXPECTED[name] = facts(model)
    print(f'{path}: {os.path.getsize(path)} bytes')


def per_channel_int8(rng, shape, axis=0):
    w = rng.integers(-127, 128, size=shape, dtype=np.int8)
    scales = (rng.random(shape[axis]) * 0.01 + 0.002).astype(np.float32)
    return w, scales


def qoperator_conv(rng):
    """QuantizeLinear -> QLinearConv 3x3 (per-channel) -> QLinearConv 1x1 -> QLinearAdd (residual)
    -> QLinearGlobalAveragePool -> Flatten -> QLinearMatMul -> DequantizeLinear."""
    s = lambda v: np.array(v, np.float32)
    z = lambda v: np.array(v, np.int8)
    w1, s1 = per_channel_int8(rng, (4, 1, 3, 3))
    w2, s2 = per_channel_int8(rng, (4, 4, 1, 1))
    wfc = rng.integers(-127, 128, size=(4, 3), dtype=np.int8)
    inits = [
        init('x_s', s(0.02)), init('x_z', z(-128)),
        init('w1', w1), init('w1_s', s1), init('w1_z', np.zeros(4, np.int8)),
        init('b1', rng.integers(-500, 500, size=4, dtype=np.int32)),
        init('a1_s', s(0.05)), init('a1_z', z(-10)),
        init('w2', w2), init('w2_s', s2), init('w2_z', np.zeros(4, np.int8)),
        init('a2_s', s(0.04)), init('a2_z', z(3)),
        init('sum_s', s(0.07)), init('sum_z', z(-5)),
        init('gap_s', s(0.03)), init('gap_z', z(-2)),
        init('wfc', wfc), init('wfc_s', s(0.006)), init('wfc_z', z(0)),
        init('y_s', s(0.1)), init('y_z', z(1)),
    ]
    nodes = [
        h.make_node('QuantizeLinear', ['x', 'x_s', 'x_z'], ['xq'], name='quant_in'),
        h.make_node('QLinearConv', ['xq', 'x_s', 'x_z', 'w1', 'w1_s', 'w1_z', 'a1_s', 'a1_z', 'b1'], ['a1'],
                    name='conv1', pads=[1, 1, 1, 1], strides=[1, 1], kernel_shape=[3, 3]),
        h.make_node('QLinearConv', ['a1', 'a1_s', 'a1_z', 'w2', 'w2_s', 'w2_z', 'a2_s', 'a2_z'], ['a2'],
                    name='conv2', kernel_shape=[1, 1]),
        h.make_node('QLinearAdd', ['a1', 'a1_s', 'a1_z', 'a2', 'a2_s', 'a2_z', 'sum_s', 'sum_z'], ['sum'],
                    name='residual', domain='com.microsoft'),
        h.make_node('QLinearGlobalAveragePool', ['sum', 'sum_s', 'sum_z', 'gap_s', 'gap_z'], ['gap'],
                    name='gap', domain='com.microsoft', channels_last=0),
        h.make_node('Flatten', ['gap'], ['flat'], name='flatten', axis=1),
        h.make_node('QLinearMatMul', ['flat', 'gap_s', 'gap_z', 'wfc', 'wfc_s', 'wfc_z', 'y_s', 'y_z'], ['yq'],
                    name='fc'),
        h.make_node('DequantizeLinear', ['yq', 'y_s', 'y_z'], ['y'], name='dequant_out'),
    ]
    g = h.make_graph(nodes, 'qoperator_conv', [h.make_tensor_value_info('x', TP.FLOAT, [1, 1, 8, 8])],
                     [h.make_tensor_value_info('y', TP.FLOAT, [1, 3])], inits)
    save('qoperator_conv.onnx', g)


def qdq_conv(rng):
    """Q/DQ around a float Conv (per-channel int8 weights, int32 bias), Relu, GlobalAveragePool, Gemm."""
    s = lambda v: np.array(v, np.float32)
    z = lambda v: np.array(v, np.int8)
    w, ws = per_channel_int8(rng, (6, 3, 3, 3))
    fw, fws = per_channel_int8(rng, (5, 6))
    inits = [
        init('x_s', s(0.02)), init('x_z', z(0)),
        init('w_q', w), init('w_s', ws), init('w_z', np.zeros(6, np.int8)),
        init('b_q', rng.integers(-300, 300, size=6, dtype=np.int32)), init('b_s', (ws * 0.02).astype(np.float32)),
        init('b_z', np.zeros(6, np.int32)),
        init('r_s', s(0.03)), init('r_z', z(-128)),
        init('g_s', s(0.01)), init('g_z', z(-128)),
        init('fw_q', fw), init('fw_s', fws), init('fw_z', np.zeros(5, np.int8)),
        init('y_s', s(0.05)), init('y_z', z(2)),
    ]
    nodes = [
        h.make_node('QuantizeLinear', ['x', 'x_s', 'x_z'], ['xq'], name='q_x'),
        h.make_node('DequantizeLinear', ['xq', 'x_s', 'x_z'], ['xd'], name='dq_x'),
        h.make_node('DequantizeLinear', ['w_q', 'w_s', 'w_z'], ['w'], name='dq_w', axis=0),
        h.make_node('DequantizeLinear', ['b_q', 'b_s', 'b_z'], ['b'], name='dq_b', axis=0),
        h.make_node('Conv', ['xd', 'w', 'b'], ['c'], name='conv', pads=[1, 1, 1, 1], strides=[2, 2],
                    kernel_shape=[3, 3]),
        h.make_node('Relu', ['c'], ['r'], name='relu'),
        h.make_node('QuantizeLinear', ['r', 'r_s', 'r_z'], ['rq'], name='q_r'),
        h.make_node('DequantizeLinear', ['rq', 'r_s', 'r_z'], ['rd'], name='dq_r'),
        h.make_node('GlobalAveragePool', ['rd'], ['g'], name='gap'),
        h.make_node('QuantizeLinear', ['g', 'g_s', 'g_z'], ['gq'], name='q_g'),
        h.make_node('DequantizeLinear', ['gq', 'g_s', 'g_z'], ['gd'], name='dq_g'),
        h.make_node('Flatten', ['gd'], ['f'], name='flatten', axis=1),
        h.make_node('DequantizeLinear', ['fw_q', 'fw_s', 'fw_z'], ['fw'], name='dq_fw', axis=0),
        h.make_node('Gemm', ['f', 'fw'], ['y0'], name='fc', transB=1),
        h.make_node('QuantizeLinear', ['y0', 'y_s', 'y_z'], ['yq'], name='q_y'),
        h.make_node('DequantizeLinear', ['yq', 'y_s', 'y_z'], ['y'], name='dq_y'),
    ]
    g = h.make_graph(nodes, 'qdq_conv', [h.make_tensor_value_info('x', TP.FLOAT, [1, 3, 10, 10])],
                     [h.make_tensor_value_info('y', TP.FLOAT, [1, 5])], inits)
    save('qdq_conv.onnx', g, opset=[h.make_opsetid('', 13)])


def fp32_mobilenet(rng):
    """A small MobileNet-style fp32 CNN for 28x28 gray images: conv s2, depthwise-separable blocks (one with a
    residual), Clip(0,6), Pad + AveragePool, MaxPool, GlobalAveragePool, Flatten, Gemm, Softmax."""
    f = lambda *shape: (rng.standard_normal(shape) * 0.2).astype(np.float32)
    inits = [
        init('c0_w', f(8, 1, 3, 3)), init('c0_b', f(8)),
        init('dw1_w', f(8, 1, 3, 3)), init('dw1_b', f(8)), init('pw1_w', f(16, 8, 1, 1)), init('pw1_b', f(16)),
        init('dw2_w', f(16, 1, 3, 3)), init('dw2_b', f(16)), init('pw2_w', f(16, 16, 1, 1)), init('pw2_b', f(16)),
        init('pads', np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
        init('clip_lo', np.array(0, np.float32)), init('clip_hi', np.array(6, np.float32)),
        init('fc_w', f(10, 16)), init('fc_b', f(10)),
    ]
    nodes = [
        h.make_node('Conv', ['x', 'c0_w', 'c0_b'], ['c0'], name='conv0', pads=[1, 1, 1, 1], strides=[2, 2]),
        h.make_node('Relu', ['c0'], ['r0'], name='relu0'),
        h.make_node('Conv', ['r0', 'dw1_w', 'dw1_b'], ['dw1'], name='dw1', pads=[1, 1, 1, 1], group=8),
        h.make_node('Clip', ['dw1', 'clip_lo', 'clip_hi'], ['dw1r'], name='relu6_1'),
        h.make_node('Conv', ['dw1r', 'pw1_w', 'pw1_b'], ['pw1'], name='pw1'),
        h.make_node('Relu', ['pw1'], ['pw1r'], name='relu1'),
        h.make_node('MaxPool', ['pw1r'], ['mp'], name='maxpool', kernel_shape=[2, 2], strides=[2, 2]),
        h.make_node('Conv', ['mp', 'dw2_w', 'dw2_b'], ['dw2'], name='dw2', pads=[1, 1, 1, 1], group=16),
        h.make_node('Relu', ['dw2'], ['dw2r'], name='relu2'),
        h.make_node('Conv', ['dw2r', 'pw2_w', 'pw2_b'], ['pw2'], name='pw2'),
        h.make_node('Add', ['pw2', 'mp'], ['res'], name='residual'),
        h.make_node('Pad', ['res', 'pads'], ['padded'], name='pad', mode='constant'),
        h.make_node('AveragePool', ['padded'], ['ap'], name='avgpool', kernel_shape=[3, 3], strides=[1, 1]),
        h.make_node('GlobalAveragePool', ['ap'], ['gap'], name='gap'),
        h.make_node('Flatten', ['gap'], ['flat'], name='flatten'),
        h.make_node('Gemm', ['flat', 'fc_w', 'fc_b'], ['logits'], name='fc', transB=1),
        h.make_node('Softmax', ['logits'], ['probs'], name='softmax', axis=1),
    ]
    g = h.make_graph(nodes, 'fp32_mobilenet', [h.make_tensor_value_info('x', TP.FLOAT, ['N', 1, 28, 28])],
                     [h.make_tensor_value_info('probs', TP.FLOAT, ['N', 10])], inits)
    save('fp32_mobilenet.onnx', g, opset=[h.make_opsetid('', 13)])


def pytorch_flatten(rng):
    """The graph torch.onnx writes for `x.view(x.size(0), -1)`: Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
    plus Identity and a Gemm with untransposed [in, out] weights (transB = 0)."""
    f = lambda *shape: (rng.standard_normal(shape) * 0.2).astype(np.float32)
    inits = [init('w', f(3, 2, 3, 3)), init('b', f(3)), init('i0', np.array(0, np.int64)),
             init('ax0', np.array([0], np.int64)), init('minus1', np.array([-1], np.int64)),
             init('fc_w', f(48, 5)), init('fc_b', f(5))]
    nodes = [
        h.make_node('Conv', ['x', 'w', 'b'], ['c'], name='conv', pads=[1, 1, 1, 1], strides=[1, 1]),
        h.make_node('Relu', ['c'], ['r'], name='relu'),
        h.make_node('Identity', ['r'], ['r_id'], name='identity'),
        h.make_node('Shape', ['r_id'], ['shape'], name='shape'),
        h.make_node('Gather', ['shape', 'i0'], ['batch'], name='gather', axis=0),
        h.make_node('Unsqueeze', ['batch', 'ax0'], ['batch1'], name='unsqueeze'),
        h.make_node('Concat', ['batch1', 'minus1'], ['target'], name='concat', axis=0),
        h.make_node('Reshape', ['r_id', 'target'], ['flat'], name='view'),
        h.make_node('Gemm', ['flat', 'fc_w', 'fc_b'], ['y'], name='fc'),
    ]
    g = h.make_graph(nodes, 'pytorch_flatten', [h.make_tensor_value_info('x', TP.FLOAT, [1, 2, 4, 4])],
                     [h.make_tensor_value_info('y', TP.FLOAT, [1, 5])], inits)
    save('pytorch_flatten.onnx', g, opset=[h.make_opsetid('', 13)])


def refusals():
    """Small models the importer must refuse: an unsupported op (LSTM-free: Sigmoid), a dynamic spatial size,
    and uint8 activations."""
    x = h.make_tensor_value_info('x', TP.FLOAT, [1, 4])
    y = h.make_tensor_value_info('y', TP.FLOAT, [1, 4])
    g = h.make_graph([h.make_node('Relu', ['x'], ['r'], name='relu'),
                      h.make_node('Sigmoid', ['r'], ['y'], name='gate')], 'sigmoid', [x], [y])
    save('refuse_sigmoid.onnx', g, opset=[h.make_opsetid('', 13)])
    xd = h.make_tensor_value_info('x', TP.FLOAT, [1, 3, 'H', 'W'])
    yd = h.make_tensor_value_info('y', TP.FLOAT, [1, 3, 'H', 'W'])
    g = h.make_graph([h.make_node('Relu', ['x'], ['y'], name='relu')], 'dynamic', [xd], [yd])
    save('refuse_dynamic.onnx', g, opset=[h.make_opsetid('', 13)])
    xu = h.make_tensor_value_info('x', TP.FLOAT, [1, 4])
    yu = h.make_tensor_value_info('y', TP.UINT8, [1, 4])
    g = h.make_graph([h.make_node('QuantizeLinear', ['x', 's', 'z'], ['y'], name='quant_u8')], 'uint8', [xu], [yu],
                     [init('s', np.array(0.1, np.float32)), init('z', np.array(128, np.uint8))])
    save('refuse_uint8.onnx', g, opset=[h.make_opsetid('', 13)])


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    qoperator_conv(np.random.default_rng(1))
    qdq_conv(np.random.default_rng(2))
    fp32_mobilenet(np.random.default_rng(3))
    pytorch_flatten(np.random.default_rng(4))
    refusals()
    import json
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(EXPECTED, f, indent=1, sort_keys=True)
        f.write('\n')
