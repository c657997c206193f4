package io.demlearn.runner;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;

/**
 * Drops log lines that Kafka prints during a normal start or stop of the in-process broker and that
 * say nothing wrong, so that the command line shows only real warnings.
 */
public final class KnownNoiseFilter extends Filter<ILoggingEvent> {
  private static final List<String> HARMLESS =
      List.of("Attempting to close NetworkClient that has already been closed");

  @Override
  public FilterReply decide(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null) {
      for (String s : HARMLESS) {
        if (message.contains(s)) {
          return FilterReply.DENY;
        }
      }
    }
    return FilterReply.NEUTRAL;
  }
}
