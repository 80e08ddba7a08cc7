"""Checks exported ONNX files with the onnx package's full checker (strict shape inference
included) and prints, for each file, one JSON line of what the file declares.

    python3 check_model.py FILE.onnx...

Exits with status 1 and the checker's message on stderr for the first invalid file."""
import json
import sys

import onnx
import onnx.checker


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


for path in sys.argv[1:]:
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as err:  # ValidationError, InferenceError
        print(f"{path}: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({
        "onnx": onnx.__version__,
        "ir_version": model.ir_version,
        "opset": {o.domain: o.version for o in model.opset_import},
        "producer_name": model.producer_name,
        "producer_version": model.producer_version,
        "metadata": {p.key: p.value for p in model.metadata_props},
        "inputs": {i.name: dims(i) for i in model.graph.input},
        "outputs": {o.name: dims(o) for o in model.graph.output},
        "ops": [n.op_type for n in model.graph.node],
    }))
