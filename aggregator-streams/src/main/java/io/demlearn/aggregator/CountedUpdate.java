package io.demlearn.aggregator;

import java.nio.ByteBuffer;

/**
 * A counted update as the intake stores it instead of the update: where it is in its partition of
 * {@code model-updates}, and whether it was added to its group's sum yet. Reading it back from
 * there tells a re-send from a conflicting update, which is rare enough not to keep a digest of
 * every update.
 */
record CountedUpdate(long offset, boolean added) {
  byte[] encode() {
    return ByteBuffer.allocate(9).putLong(offset).put((byte) (added ? 1 : 0)).array();
  }

  static CountedUpdate decode(byte[] bytes) {
    return new CountedUpdate(ByteBuffer.wrap(bytes).getLong(), bytes[8] == 1);
  }

  CountedUpdate asAdded() {
    return new CountedUpdate(offset, true);
  }
}
