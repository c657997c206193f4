package io.demlearn.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** External commands (docker, docker-compose, kubectl) run by tests, with a time limit. */
public final class Commands {
  private Commands() {}

  /** A command's exit code (127: it could not start) and its output, both streams together. */
  public record Answer(int exitCode, String output) {}

  /** Runs a command to its end (or for at most {@code seconds}; then exit code -1). */
  public static Answer run(List<String> command, int seconds) {
    return run(command, Map.of(), seconds);
  }

  /** Runs a command with more environment variables (at most {@code seconds}; then -1). */
  public static Answer run(List<String> command, Map<String, String> env, int seconds) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().putAll(env);
      Process p = pb.start();
      byte[][] out = new byte[1][];
      Thread reader =
          new Thread(
              () -> {
                try {
                  out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                  out[0] = new byte[0];
                }
              });
      reader.start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        reader.join(5000);
        return new Answer(-1, String.join(" ", command) + ": no end within " + seconds + " s");
      }
      reader.join();
      return new Answer(p.exitValue(), new String(out[0], StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Answer(127, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(-1, "interrupted");
    }
  }
}
