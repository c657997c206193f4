package io.demlearn.aggregator;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A counted update as the intake stores it instead of the update: where it is in its partition of
 * {@code model-updates}, whether it was added to its group's sum yet, and its digest (to tell a
 * re-send from a conflicting update, and to check what is read back from the log).
 */
record CountedUpdate(long offset, boolean added, byte[] digest) {
  byte[] encode() {
    return ByteBuffer.allocate(9 + digest.length)
        .putLong(offset)
        .put((byte) (added ? 1 : 0))
        .put(digest)
        .array();
  }

  static CountedUpdate decode(byte[] bytes) {
    return new CountedUpdate(
        ByteBuffer.wrap(bytes).getLong(),
        bytes[8] == 1,
        Arrays.copyOfRange(bytes, 9, bytes.length));
  }

  CountedUpdate asAdded() {
    return new CountedUpdate(offset, true, digest);
  }
}
