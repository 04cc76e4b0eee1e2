// ort_vit.js — ONNX Runtime (CPU, fp32) on the ViT-B work of tests/reference/vit_peers.py, through
// onnxruntime-node's own binding. Run by tools/bench-peers.sh in rounds alternating with admn's
// process (compare_libtorch); one JSON line per case and thread count:
//   {"tool":"ort","case":"block","threads":1,"impl":"ONNX Runtime fp32","times_ms":[..],
//    "rel_err_vs_admn":..,"rel_err_vs_torch":..}
//
//   node bench/ort_vit.js --ort MODULE_DIR --models DIR [--threads 1,2] [--reps N] [--json FILE]
//
// MODULE_DIR holds node_modules/onnxruntime-node; DIR holds vit_peers.py's files and
// admn_outputs.safetensors (compare_libtorch --vit writes it: admn's fp32 outputs on the same
// weights and inputs). Before timing, ORT's output must agree with admn's to a maximum relative
// difference (max |a - b| / max |b|) of 1e-4; the script exits with status 1 otherwise.
// Session options: intra-op threads 1 or 2, inter-op 1, sequential execution, graph
// optimisation level "all"; everything else ORT's defaults (its own thread pool spins briefly).
'use strict';
const fs = require('fs');
const path = require('path');

function usage() {
  console.error('usage: node bench/ort_vit.js --ort MODULE_DIR --models DIR [--threads 1,2] [--reps N] [--json FILE]');
  process.exit(2);
}

const args = {threads: [1, 2], reps: 10, json: null, ort: null, models: null};
for (let i = 2; i < process.argv.length; i += 2) {
  const flag = process.argv[i], value = process.argv[i + 1];
  if (value === undefined) usage();
  if (flag === '--ort') args.ort = value;
  else if (flag === '--models') args.models = value;
  else if (flag === '--json') args.json = value;
  else if (flag === '--reps') args.reps = Number(value);
  else if (flag === '--threads') args.threads = value.split(',').map(Number);
  else usage();
}
if (!args.ort || !args.models || !(args.reps >= 1) || args.threads.some((t) => !(t >= 1))) usage();
const ort = require(path.resolve(args.ort, 'node_modules', 'onnxruntime-node'));

// The F32 tensors of a safetensors file, by name: {dims, data: Float32Array}.
function readSafetensors(file) {
  const blob = fs.readFileSync(file);
  const n = Number(blob.readBigUInt64LE(0));
  const header = JSON.parse(blob.subarray(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__' || info.dtype !== 'F32') continue;
    const [b, e] = info.data_offsets;
    const bytes = Uint8Array.prototype.slice.call(blob, 8 + n + b, 8 + n + e);  // aligned copy
    out[name] = {dims: info.shape, data: new Float32Array(bytes.buffer, 0, (e - b) / 4)};
  }
  return out;
}

function maxRelative(a, b) {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; ++i) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const cases = [
  {name: 'block', model: 'block.onnx', input: 'block_input', torch: 'block_output', admn: 'block'},
  {name: 'backbone_12', model: 'backbone_12.onnx', input: 'image', torch: 'backbone_12', admn: 'backbone_12'},
  {name: 'backbone_6', model: 'backbone_6.onnx', input: 'image', torch: 'backbone_6', admn: 'backbone_6'},
];

async function main() {
  const ref = readSafetensors(path.join(args.models, 'vit_b.safetensors'));
  const admn = readSafetensors(path.join(args.models, 'admn_outputs.safetensors'));
  const lines = [];
  console.log(`ONNX Runtime ${require(path.resolve(args.ort, 'node_modules', 'onnxruntime-node', 'package.json')).version}` +
              ` (onnxruntime-node), node ${process.version}`);
  for (const c of cases) {
    for (const threads of args.threads) {
      const session = await ort.InferenceSession.create(path.join(args.models, c.model), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const input = ref[c.input];
      const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', input.data, input.dims)};
      const run = async () => (await session.run(feeds))[session.outputNames[0]];
      const y = await run();
      const errAdmn = maxRelative(y.data, admn[c.admn].data), errTorch = maxRelative(y.data, ref[c.torch].data);
      console.log(`${c.name}, ${threads} thread(s): max relative difference vs admn ${errAdmn.toExponential(2)}, ` +
                  `vs PyTorch ${errTorch.toExponential(2)}`);
      if (!(errAdmn <= 1e-4)) {
        console.error(`ort_vit.js: ${c.name}: ONNX Runtime disagrees with admn (${errAdmn})`);
        process.exit(1);
      }
      await run();  // warm-up beyond the checked run
      const times = [];
      for (let r = 0; r < args.reps; ++r) {
        const start = process.hrtime.bigint();
        await run();
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      const sorted = [...times].sort((a, b) => a - b);
      console.log(`  median ${sorted[sorted.length >> 1].toFixed(2)} ms of ${times.length}`);
      lines.push(JSON.stringify({tool: 'ort', case: c.name, threads, impl: 'ONNX Runtime fp32', times_ms: times,
                                 rel_err_vs_admn: errAdmn, rel_err_vs_torch: errTorch}));
      await session.release();
    }
  }
  if (args.json) fs.appendFileSync(args.json, lines.join('\n') + '\n');
}

main().catch((e) => {
  console.error(`ort_vit.js: ${e.stack || e}`);
  process.exit(1);
});
