// run.js runs exported gorgonet models with ONNX Runtime for the tests of package onnx:
//
//	node run.js PIXELS.f32 OUT MODEL.onnx...
//
// PIXELS.f32 holds N samples of float32 features (machine byte order, row after row). For the
// i-th model (from 0) it writes the outputs as float32 to OUT.i.logits.f32 and
// OUT.i.probabilities.f32 and prints what the session says about the model's inputs and outputs
// as one JSON line. onnxruntime-node is found through NODE_PATH.
'use strict';
const fs = require('node:fs');
const ort = require('onnxruntime-node');

async function main() {
  const [pixelsPath, out, ...models] = process.argv.slice(2);
  const bytes = fs.readFileSync(pixelsPath);
  const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  for (const [i, modelPath] of models.entries()) {
    const session = await ort.InferenceSession.create(modelPath);
    const features = session.inputMetadata[0].shape[1];
    const n = pixels.length / features;
    const results = await session.run({pixels: new ort.Tensor('float32', pixels, [n, features])});
    for (const name of session.outputNames) {
      const t = results[name];
      fs.writeFileSync(`${out}.${i}.${name}.f32`, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    const describe = (m) => ({name: m.name, type: m.type, shape: m.shape});
    console.log(JSON.stringify({
      version: ort.env.versions.node,
      inputs: session.inputMetadata.map(describe),
      outputs: session.outputMetadata.map(describe),
      shapes: Object.fromEntries(session.outputNames.map((k) => [k, results[k].dims])),
    }));
    await session.release();
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
