package io.demlearn.stack;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Starting and stopping child JVMs of the local stack. */
public final class JavaProcesses {
  private JavaProcesses() {}

  /** The java executable of this JVM. */
  public static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * Starts a command with its output appended to {@code log}. With {@code detached}, the child gets
   * its own session (via setsid where available), so that Ctrl-C in the terminal that started it
   * does not stop it.
   */
  public static Process start(
      List<String> command, Map<String, String> env, Path log, boolean detached)
      throws IOException {
    List<String> full = new ArrayList<>();
    if (detached && new File("/usr/bin/setsid").canExecute()) {
      full.add("/usr/bin/setsid");
    }
    full.addAll(command);
    Files.createDirectories(log.toAbsolutePath().getParent());
    ProcessBuilder builder =
        new ProcessBuilder(full)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().putAll(env);
    return builder.start();
  }

  /**
   * Asks a process to stop (SIGTERM), then kills it if it has not stopped within {@code
   * graceSeconds}.
   */
  public static boolean stop(ProcessHandle process, long graceSeconds) {
    if (!process.isAlive()) {
      return true;
    }
    process.destroy();
    try {
      process.onExit().get(graceSeconds, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      process.destroyForcibly();
      try {
        process.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // reported by isAlive below
      }
      return !process.isAlive();
    }
  }

  /** The last {@code lines} lines of a log file, for error messages. */
  public static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log at " + log + ")";
    }
  }

  /**
   * A copy of {@code file} in {@code dir} named {@code name}, for a process that outlives this JVM:
   * a rebuild of the project rewrites its jars in place, which would pull classes from under a
   * running process. The copy is refreshed when the file changed (size or modification time).
   */
  public static Path ownCopy(Path file, Path dir, String name) throws IOException {
    Path copy = dir.resolve(name);
    Files.createDirectories(dir);
    if (!Files.exists(copy)
        || Files.size(copy) != Files.size(file)
        || !Files.getLastModifiedTime(copy).equals(Files.getLastModifiedTime(file))) {
      Path tmp = dir.resolve(name + ".tmp");
      Files.copy(
          file, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
      Files.move(tmp, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    return copy;
  }

  /** A live process with this pid whose command line contains {@code marker}. */
  public static Optional<ProcessHandle> find(long pid, String marker) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(true));
  }
}
