// The ONNX messages as plain TypeScript objects (the subset of onnx.proto qdistill reads and writes).
import type { AttributeType } from './schema.js';

export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto {
  /** '' (or absent) and 'ai.onnx' both name the default ONNX domain. */
  domain?: string;
  version?: number;
}

export interface TensorShapeDimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TensorShapeProto {
  dim: TensorShapeDimension[];
}

export interface TypeProtoTensor {
  elemType?: number;
  shape?: TensorShapeProto;
}

export interface TypeProto {
  tensorType?: TypeProtoTensor;
  /** Non-tensor types, kept as their encoded bytes (graph inputs and outputs of these kinds are rejected). */
  sequenceType?: Uint8Array;
  mapType?: Uint8Array;
  sparseTensorType?: Uint8Array;
  optionalType?: Uint8Array;
  denotation?: string;
}

export interface ValueInfoProto {
  /** Required: validation refuses value infos without a name. */
  name: string;
  type?: TypeProto;
  docString?: string;
  metadataProps?: StringStringEntryProto[];
}

export interface TensorProto {
  dims: number[];
  /** A TensorProto.DataType value (see DataType in tensor.ts). */
  dataType?: number;
  /** A TensorProto.Segment, kept encoded; segmented tensors are rejected by validation. */
  segment?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: number[];
  name?: string;
  rawData?: Uint8Array;
  doubleData?: number[];
  uint64Data?: number[];
  docString?: string;
  externalData?: StringStringEntryProto[];
  /** 0 = DEFAULT, 1 = EXTERNAL. */
  dataLocation?: number;
  metadataProps?: StringStringEntryProto[];
}

export interface AttributeProto {
  name?: string;
  type?: AttributeType;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  docString?: string;
  tp?: Uint8Array;
  typeProtos?: Uint8Array[];
  refAttrName?: string;
  sparseTensor?: Uint8Array;
  sparseTensors?: Uint8Array[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  /** Required: validation refuses nodes without an op_type. */
  opType: string;
  attribute: AttributeProto[];
  docString?: string;
  domain?: string;
  overload?: string;
  metadataProps?: StringStringEntryProto[];
  deviceConfigurations?: Uint8Array[];
}

export interface TensorAnnotation {
  tensorName?: string;
  quantParameterTensorNames?: StringStringEntryProto[];
}

export interface GraphProto {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  quantizationAnnotation?: TensorAnnotation[];
  /** SparseTensorProtos, kept encoded; models that have them are rejected by validation. */
  sparseInitializer?: Uint8Array[];
  metadataProps?: StringStringEntryProto[];
}

export interface ModelProto {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  opsetImport: OperatorSetIdProto[];
  metadataProps?: StringStringEntryProto[];
  /** TrainingInfoProtos, FunctionProtos and DeviceConfigurationProtos, kept encoded and written back as they were. */
  trainingInfo?: Uint8Array[];
  functions?: Uint8Array[];
  configuration?: Uint8Array[];
}
