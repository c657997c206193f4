package io.demlearn.schemas;

import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ParameterVector;
import io.demlearn.schemas.serde.PayloadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts model parameters between {@code float[]} and the {@link ParameterVector} record that
 * travels on Kafka: little-endian IEEE-754 float32, exactly {@code 4 * dimension} bytes.
 */
public final class ParameterVectors {
  private ParameterVectors() {}

  /** A vector holding a copy of {@code values}. */
  public static ParameterVector of(ModelKind kind, float[] values) {
    return ParameterVector.newBuilder()
        .setModelKind(kind)
        .setDimension(values.length)
        .setValues(bytes(values))
        .build();
  }

  /** Float32 values as the records carry them: little-endian, 4 bytes each. */
  public static ByteBuffer bytes(float[] values) {
    ByteBuffer bytes =
        ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return bytes;
  }

  /** The first {@code n} little-endian float32 values of {@code bytes}, into {@code into}. */
  public static float[] floats(ByteBuffer bytes, int n, float[] into) {
    bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(into, 0, n);
    return into;
  }

  /**
   * The values of a vector.
   *
   * @throws PayloadException (reason VECTOR_MISMATCH) if its byte length is not 4 * dimension
   */
  public static float[] toFloats(ParameterVector vector) {
    return toFloats(vector, new float[0]);
  }

  /**
   * The values of a vector, into {@code into} when it has room for them (else into a new array).
   *
   * @throws PayloadException (reason VECTOR_MISMATCH) if its byte length is not 4 * dimension
   */
  public static float[] toFloats(ParameterVector vector, float[] into) {
    check(vector, null);
    float[] out = into.length >= vector.getDimension() ? into : new float[vector.getDimension()];
    return floats(vector.getValues(), vector.getDimension(), out);
  }

  /**
   * Checks that a vector's byte length matches its dimension.
   *
   * @param topic where the vector came from, for the message (may be null)
   * @throws PayloadException (reason VECTOR_MISMATCH) if it does not
   */
  public static void check(ParameterVector vector, String topic) {
    int dimension = vector.getDimension();
    int length = vector.getValues().remaining();
    if (dimension < 0 || (long) dimension * Float.BYTES != length) {
      throw new PayloadException(
          PayloadException.Reason.VECTOR_MISMATCH,
          "parameter vector of dimension "
              + dimension
              + " holds "
              + length
              + " bytes, expected "
              + ((long) Math.max(dimension, 0) * Float.BYTES)
              + " (4 bytes per float32)",
          topic,
          null);
    }
  }
}
