package io.demlearn.pipeline.checks;

import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.SourceRecord;
import io.demlearn.schemas.serde.PayloadException;
import java.nio.ByteBuffer;

/** Builds the records of the {@code dead-letters} topic. */
public final class DeadLetters {
  private DeadLetters() {}

  /**
   * A refused record.
   *
   * @param source where it was read
   * @param key its key bytes, or null
   * @param value its value bytes, or null
   * @param detectedBy the service that refused it
   */
  public static DeadLetter of(
      String experimentId,
      SourceRecord source,
      DeadLetterReason reason,
      String detail,
      byte[] key,
      byte[] value,
      String detectedBy) {
    return DeadLetter.newBuilder()
        .setExperimentId(experimentId)
        .setSourceTopic(source.getTopic())
        .setSourcePartition(source.getPartition())
        .setSourceOffset(source.getOffset())
        .setReason(reason)
        .setDetail(detail)
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setRecordTimestampMs(source.getTimestampMs())
        .setDetectedBy(detectedBy)
        .setDetectedAtMs(System.currentTimeMillis())
        .build();
  }

  /** The dead-letter reason of a record that does not decode. */
  public static DeadLetterReason reasonOf(PayloadException e) {
    return DeadLetterReason.valueOf(e.reason().name());
  }

  /** One line for logs: reason, where, why. */
  public static String describe(DeadLetter d) {
    return d.getReason()
        + " at "
        + d.getSourceTopic()
        + "/"
        + d.getSourcePartition()
        + "@"
        + d.getSourceOffset()
        + ": "
        + d.getDetail();
  }
}
