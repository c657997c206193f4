package io.demlearn.schemas.serde;

/**
 * The Confluent wire format: one magic byte 0, the schema id as a 4-byte big-endian int, then the
 * Avro binary encoding of the value.
 */
public final class WireFormat {
  public static final byte MAGIC_BYTE = 0;
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}

  /** Writes the 5-byte header into {@code out[0..5)}. */
  public static void writeHeader(byte[] out, int schemaId) {
    out[0] = MAGIC_BYTE;
    out[1] = (byte) (schemaId >>> 24);
    out[2] = (byte) (schemaId >>> 16);
    out[3] = (byte) (schemaId >>> 8);
    out[4] = (byte) schemaId;
  }

  /**
   * The schema id in a framed payload.
   *
   * @throws PayloadException if the payload is not framed in the wire format
   */
  public static int schemaId(byte[] payload, String topic) {
    if (payload.length == 0) {
      throw new PayloadException(
          PayloadException.Reason.TRUNCATED,
          "empty payload (0 bytes), expected at least 5",
          topic,
          null);
    }
    if (payload[0] != MAGIC_BYTE) {
      throw new PayloadException(
          PayloadException.Reason.NOT_WIRE_FORMAT,
          String.format(
              "first byte is 0x%02x, expected magic byte 0x00 of the Confluent wire format"
                  + " (payload of %d bytes)",
              payload[0] & 0xff, payload.length),
          topic,
          null);
    }
    if (payload.length < HEADER_SIZE) {
      throw new PayloadException(
          PayloadException.Reason.TRUNCATED,
          "payload of " + payload.length + " bytes is shorter than the 5-byte wire-format header",
          topic,
          null);
    }
    return ((payload[1] & 0xff) << 24)
        | ((payload[2] & 0xff) << 16)
        | ((payload[3] & 0xff) << 8)
        | (payload[4] & 0xff);
  }
}
