package io.demlearn.runner;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Which experiment's log to read, for the commands that read one back. */
final class LogOptions {
  @Option(
      names = "--experiment",
      required = true,
      paramLabel = "ID",
      description = "The experiment to read.")
  String experimentId;

  @Option(
      names = "--read-timeout",
      defaultValue = "60",
      paramLabel = "SECONDS",
      description =
          "Give up when a topic yields nothing for this long (default: ${DEFAULT-VALUE}).")
  int readTimeoutSeconds;

  Duration readTimeout() {
    return Duration.ofSeconds(readTimeoutSeconds);
  }
}
