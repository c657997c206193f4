package io.demlearn.audit;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A record and where it is in the log. */
public record Located<T>(T value, String topic, int partition, long offset) {
  /** "topic partition P offset O", for findings. */
  public String where() {
    return topic + " partition " + partition + " offset " + offset;
  }

  public static <T> Located<T> of(T value, ConsumerRecord<?, ?> r) {
    return new Located<>(value, r.topic(), r.partition(), r.offset());
  }
}
