package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.junit.jupiter.api.Test;

class KnownNoiseFilterTest {
  private final LoggerContext context = new LoggerContext();
  private final KnownNoiseFilter filter = new KnownNoiseFilter();

  private FilterReply decide(String message, Throwable t) {
    LoggingEvent e =
        new LoggingEvent(
            "test",
            context.getLogger("kafka.server.ReplicaManager"),
            Level.ERROR,
            message,
            t,
            null);
    return filter.decide(e);
  }

  @Test
  void dropsTheRetriedRefusalsOfTransactionsV2() {
    assertThat(
            decide(
                "[Producer clientId=x] Got error produce response with correlation id 21 on"
                    + " topic-partition t-4, retrying (2147483646 attempts left). Error:"
                    + " CONCURRENT_TRANSACTIONS",
                null))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "[ReplicaManager broker=1] Error processing append operation on partition t-3",
                new OutOfOrderSequenceException(
                    "Invalid sequence number for producer 3 at offset 4 in partition t-3: 2"
                        + " (incoming seq. number). Expected sequence 0 for transactions v2"
                        + " idempotent producer with no existing state.")))
        .isEqualTo(FilterReply.DENY);
  }

  @Test
  void keepsOtherErrorsEvenOnTheSameOperations() {
    assertThat(
            decide(
                "[ReplicaManager broker=1] Error processing append operation on partition t-3",
                new OutOfOrderSequenceException(
                    "Out of order sequence number for producer 3 at offset 85 in partition t-3: 9"
                        + " (incoming seq. number), 4 (current end sequence number)")))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "[ReplicaManager broker=1] Error processing append operation on partition t-3",
                null))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "[Producer clientId=x] Got error produce response with correlation id 21 on"
                    + " topic-partition t-4, retrying (3 attempts left). Error:"
                    + " NOT_ENOUGH_REPLICAS",
                null))
        .isEqualTo(FilterReply.NEUTRAL);
  }
}
