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

  /**
   * The round of a framed record whose schema begins with {@code experimentId} (string) and {@code
   * round} (int), as ModelUpdate, ClusteringFeatures and GroupContribution do (a field's place
   * never changes: fields are only added at the end or removed with a default), read without
   * decoding the rest; -1 if the payload is not such a record.
   */
  public static int round(byte[] payload) {
    if (payload == null || payload.length <= HEADER_SIZE || payload[0] != MAGIC_BYTE) {
      return -1;
    }
    int[] at = {HEADER_SIZE};
    long idLength = varint(payload, at);
    if (idLength < 0 || idLength > payload.length - at[0]) {
      return -1;
    }
    at[0] += (int) idLength;
    long round = varint(payload, at);
    return round < 0 || round > Integer.MAX_VALUE ? -1 : (int) round;
  }

  /** Avro's zig-zag variable-length long at {@code at[0]}, moving it on; -1 if cut short. */
  private static long varint(byte[] b, int[] at) {
    long raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at[0] >= b.length) {
        return -1;
      }
      int x = b[at[0]++] & 0xff;
      raw |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    return -1;
  }
}
