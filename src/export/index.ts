// The export stage: a policy file in, a deployable artefact out (ONNX from tfjs, a JS module, a C header, a web site).
export { exportJs, exportC, type ExportCodeOptions, type ExportCodeResult } from './code.js';
export { exportOnnx, type ExportOnnxOptions } from './onnx.js';
export { exportTriton, type ExportTritonOptions, type ExportTritonResult, type TritonModelWritten } from './triton.js';
export { exportWebSite as exportWeb, NoBrowserEnvError, ORT_WASM_FILE, ORT_WEBGPU_WASM_FILE, PAGE_RUNTIMES, type ExportWebOptions, type ExportWebResult } from './web-site.js';
