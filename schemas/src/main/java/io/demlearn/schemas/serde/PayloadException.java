package io.demlearn.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record's bytes could not be turned into a valid record: not the Confluent wire format, an
 * unknown schema id, truncated, undecodable, or a parameter vector whose byte length does not match
 * its dimension. The message says what was wrong and where (topic, and partition and offset when
 * known). Kafka's consumer wraps it into a {@code RecordDeserializationException} that carries the
 * partition and offset too.
 */
public final class PayloadException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /** What was wrong; the names match the dead-letter reasons. */
  public enum Reason {
    NOT_WIRE_FORMAT,
    TRUNCATED,
    UNKNOWN_SCHEMA_ID,
    UNDECODABLE,
    VECTOR_MISMATCH
  }

  private final Reason reason;
  private final String detail;
  private final String topic;
  private final int partition;
  private final long offset;

  public PayloadException(Reason reason, String detail, String topic, Throwable cause) {
    this(reason, detail, topic, -1, -1L, cause);
  }

  private PayloadException(
      Reason reason, String detail, String topic, int partition, long offset, Throwable cause) {
    super(format(reason, detail, topic, partition, offset), cause);
    this.reason = reason;
    this.detail = detail;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }

  private static String format(
      Reason reason, String detail, String topic, int partition, long offset) {
    StringBuilder where = new StringBuilder();
    if (topic != null) {
      where.append(" [topic ").append(topic);
      if (partition >= 0) {
        where.append(", partition ").append(partition);
      }
      if (offset >= 0) {
        where.append(", offset ").append(offset);
      }
      where.append(']');
    }
    return reason + ": " + detail + where;
  }

  /** The same failure, located at a partition and offset. */
  public PayloadException at(int partition, long offset) {
    return new PayloadException(reason, detail, topic, partition, offset, getCause());
  }

  public Reason reason() {
    return reason;
  }

  /** What was wrong, without the location. */
  public String detail() {
    return detail;
  }

  /** Topic of the record, or null when unknown. */
  public String topic() {
    return topic;
  }

  /** Partition of the record, or -1 when unknown. */
  public int partition() {
    return partition;
  }

  /** Offset of the record, or -1 when unknown. */
  public long offset() {
    return offset;
  }
}
