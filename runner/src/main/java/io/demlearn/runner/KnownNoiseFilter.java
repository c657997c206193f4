package io.demlearn.runner;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;

/**
 * Drops log lines that Kafka prints in normal operation of the in-process broker and its clients
 * and that say nothing wrong, so that the command line shows only real warnings. Each is matched
 * narrowly: every listed piece must be in the message (and in its exception's message, if listed).
 */
public final class KnownNoiseFilter extends Filter<ILoggingEvent> {
  private record Noise(List<String> message, String exception) {}

  private static final List<Noise> HARMLESS =
      List.of(
          new Noise(
              List.of("Attempting to close NetworkClient that has already been closed"), null),
          // Transactions v2 (KIP-890): a produce that adds a partition to a transaction while the
          // previous transaction's markers are still being written is told to retry ...
          new Noise(List.of("retrying", "Error: CONCURRENT_TRANSACTIONS"), null),
          // ... and so is a batch that overtakes the partition's first batch of the transaction
          // (several in flight): the broker logs the refusal, the producer sends it again in order
          new Noise(List.of("retrying", "Error: OUT_OF_ORDER_SEQUENCE_NUMBER"), null),
          new Noise(
              List.of("Error processing append operation"),
              "for transactions v2 idempotent producer with no existing state"));

  @Override
  public FilterReply decide(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message == null) {
      return FilterReply.NEUTRAL;
    }
    for (Noise n : HARMLESS) {
      if (n.message().stream().allMatch(message::contains) && exceptionMatches(event, n)) {
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }

  private static boolean exceptionMatches(ILoggingEvent event, Noise n) {
    if (n.exception() == null) {
      return true;
    }
    IThrowableProxy t = event.getThrowableProxy();
    return t != null && t.getMessage() != null && t.getMessage().contains(n.exception());
  }
}
