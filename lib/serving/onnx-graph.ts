/**
 * A small builder of ONNX graphs: named initializers from typed arrays, nodes with typed
 * attributes, inputs and outputs with symbolic dimensions. Node outputs get unique names
 * from the op type, so callers compose graphs as expressions.
 */
import { AttributeType, DataType, encodeModel } from './onnx-proto.ts';
import type {
  AttributeMessage,
  DataTypeCode,
  Dim,
  ModelMessage,
  NodeMessage,
  TensorMessage,
  ValueInfoMessage,
} from './onnx-proto.ts';

/** The operator domain of ONNX-ML (LabelEncoder). */
export const ML_DOMAIN = 'ai.onnx.ml';
/** ONNX IR version 8 with opset 17 and ONNX-ML 3: read by onnxruntime 1.12 and later. */
const IR_VERSION = 8;
const OPSET = 17;
const ML_OPSET = 3;

/** An attribute value: an integer, a string, strings, integers, floats or a tensor. */
export type AttributeValue =
  number | string | string[] | { ints: number[] } | { floats: number[] } | TensorMessage;

const utf8 = new TextEncoder();

function bytesOf(a: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function valueInfo(name: string, elemType: DataTypeCode, dims: Dim[], doc?: string) {
  return {
    name,
    ...(doc ? { docString: doc } : {}),
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  } satisfies ValueInfoMessage;
}

export class OnnxGraph {
  private readonly nodes: NodeMessage[] = [];
  private readonly initializers: TensorMessage[] = [];
  private readonly inputs: ValueInfoMessage[] = [];
  private readonly outputs: ValueInfoMessage[] = [];
  private readonly names = new Set<string>();
  /** Bytes of the initializers so far (what dominates the file's size). */
  initializerBytes = 0;

  private fresh(base: string): string {
    let name = base;
    for (let n = 1; this.names.has(name); n++) name = `${base}_${n}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: DataTypeCode, dims: Dim[], doc?: string): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims, doc));
    return name;
  }

  output(value: string, elemType: DataTypeCode, dims: Dim[], doc?: string): void {
    this.outputs.push(valueInfo(value, elemType, dims, doc));
  }

  float(name: string, dims: number[], data: Float32Array): string {
    return this.tensor(name, DataType.FLOAT, dims, bytesOf(data));
  }

  int64(name: string, dims: number[], data: readonly number[] | BigInt64Array): string {
    const a = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
    return this.tensor(name, DataType.INT64, dims, bytesOf(a));
  }

  bool(name: string, dims: number[], data: Uint8Array): string {
    return this.tensor(name, DataType.BOOL, dims, data);
  }

  strings(name: string, dims: number[], data: readonly string[]): string {
    const stringData = data.map((s) => utf8.encode(s));
    this.initializerBytes += stringData.reduce((s, b) => s + b.byteLength, 0);
    const tensorName = this.fresh(name);
    this.initializers.push({ name: tensorName, dims, dataType: DataType.STRING, stringData });
    return tensorName;
  }

  private tensor(name: string, dataType: DataTypeCode, dims: number[], raw: Uint8Array): string {
    const tensorName = this.fresh(name);
    this.initializerBytes += raw.byteLength;
    this.initializers.push({ name: tensorName, dims, dataType, rawData: raw });
    return tensorName;
  }

  /** Adds a node; returns its output names (`outputs` of them, named after `opType`). */
  nodeN(
    opType: string,
    inputs: string[],
    outputs: number,
    attributes: Record<string, AttributeValue> = {},
    domain?: string,
  ): string[] {
    const base = opType.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase());
    const out = Array.from({ length: outputs }, () => this.fresh(base));
    this.nodes.push({
      input: inputs,
      output: out,
      name: this.fresh(`${base}_node`),
      opType,
      ...(domain ? { domain } : {}),
      attribute: Object.entries(attributes).map(([name, v]) => attribute(name, v)),
    });
    return out;
  }

  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    domain?: string,
  ): string {
    return this.nodeN(opType, inputs, 1, attributes, domain)[0]!;
  }

  /** An Identity node whose output is named `name` (a graph output's public name). */
  named(value: string, name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX value ${name} already exists`);
    this.names.add(name);
    this.nodes.push({
      input: [value],
      output: [name],
      name: this.fresh(`${name}_node`),
      opType: 'Identity',
      attribute: [],
    });
    return name;
  }

  /** The model's bytes. */
  encode(meta: {
    name: string;
    doc: string;
    producerVersion: string;
    metadata: Record<string, string>;
  }): Uint8Array {
    const model: ModelMessage = {
      irVersion: IR_VERSION,
      producerName: 'recsys-augment',
      producerVersion: meta.producerVersion,
      docString: meta.doc,
      opsetImport: [
        { domain: '', version: OPSET },
        { domain: ML_DOMAIN, version: ML_OPSET },
      ],
      metadataProps: Object.entries(meta.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: meta.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return encodeModel(model);
  }
}

function attribute(name: string, v: AttributeValue): AttributeMessage {
  if (typeof v === 'number') {
    // Float attributes are never needed here: constants are initializers.
    if (!Number.isInteger(v)) throw new RangeError(`attribute ${name}: ${v} is not an integer`);
    return { name, type: AttributeType.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: utf8.encode(v) };
  if (Array.isArray(v))
    return { name, type: AttributeType.STRINGS, strings: v.map((s) => utf8.encode(s)) };
  if ('ints' in v) return { name, type: AttributeType.INTS, ints: v.ints };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.TENSOR, t: v };
}
