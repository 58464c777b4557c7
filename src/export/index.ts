// The export stage: a policy file in, a deployable artefact out (ONNX from tfjs, a JS module, a C header, a web site).
export { exportJs, exportC, type ExportCodeOptions, type ExportCodeResult } from './code.js';
export { exportOnnx, type ExportOnnxOptions } from './onnx.js';
export { exportWebSite as exportWeb, NoBrowserEnvError, ORT_WASM_FILE, type ExportWebOptions } from './web-site.js';
