package io.demlearn.runner;

import io.demlearn.stack.JavaProcesses;
import io.demlearn.stack.LocalSchemaRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged command line ({@code target/demlearn.jar}) as a user would, in a child process.
 */
final class Cli {
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final Path home;

  Cli(Path home) {
    this.home = home;
  }

  Result run(String... args) {
    Path jar = Path.of("target", "demlearn.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "target/demlearn.jar is missing: integration tests run after 'package'");
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                JavaProcesses.javaExecutable(),
                "-Ddemlearn.home=" + home,
                "-D" + LocalSchemaRegistry.JAR_PROPERTY + "=" + LocalSchemaRegistry.locateJar(),
                "-jar",
                jar.toString()));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(home, "out", ".txt");
      Path err = Files.createTempFile(home, "err", ".txt");
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("DEMLEARN_"));
      Process p = builder.start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError(
            "demlearn " + String.join(" ", args) + " did not finish within 5 minutes");
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
