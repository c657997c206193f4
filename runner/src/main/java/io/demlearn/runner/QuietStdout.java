package io.demlearn.runner;

import java.io.PrintStream;

/** Standard output without the lines a library prints there unasked (matched by their start). */
final class QuietStdout extends PrintStream {
  private final String dropPrefix;

  QuietStdout(PrintStream out, String dropPrefix) {
    super(out, true);
    this.dropPrefix = dropPrefix;
  }

  @Override
  public void println(String line) {
    if (line == null || !line.startsWith(dropPrefix)) {
      super.println(line);
    }
  }
}
