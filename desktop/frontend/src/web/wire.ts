// API messages as the views read them: protobuf JSON, as Go's protojson
// writes it (app/wire.go), decoded there with fromJson and the generated
// schema.
import { create, toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";

/** wire encodes a message; an absent one is the empty message, as Go encodes a nil one. */
export function wire<D extends DescMessage>(schema: D, m: MessageShape<D> | undefined): JsonValue {
  return toJson(schema, m ?? create(schema));
}

/** wires encodes a list of messages. */
export function wires<D extends DescMessage>(schema: D, ms: MessageShape<D>[]): JsonValue[] {
  return ms.map((m) => toJson(schema, m));
}
