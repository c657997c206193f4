package io.demlearn.runner;

import io.demlearn.stack.JavaProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The experiment's services as child processes, supervised: each runs a service main with this
 * process's class path and logs to {@code <demlearn home>/logs/<experiment>-<name>.log}. A child
 * that exits before the experiment ends is started again (it recovers from the log), up to a number
 * of restarts per child; past that, the run fails with the end of its log. At the end each gets
 * SIGTERM (and SIGKILL if it has not stopped within 15 s).
 */
final class ServiceProcesses implements AutoCloseable {
  /**
   * The tensor library's OpenMP threads spin for a while after each parallel operation, waiting for
   * the next: on a machine shared by several service processes that spinning takes the cores the
   * others need (50 agents, 3 worker processes, 4 partitions: 1.82 s/round spinning, 0.63 s/round
   * passive). Children wait passively unless the environment says otherwise.
   */
  static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";

  /**
   * One service: a name (for logs and messages), its main class, arguments, maximum heap,
   * environment, and whether it runs under the quick C1 compiler (a short-lived service whose own
   * code is light; large experiments' agents need C2's vectorised loops).
   */
  record Service(
      String name,
      String mainClass,
      List<String> args,
      String heap,
      Map<String, String> env,
      boolean quickCompiler) {
    Service(String name, String mainClass, List<String> args, String heap, boolean quickCompiler) {
      this(name, mainClass, args, heap, Map.of(), quickCompiler);
    }
  }

  private final class Child {
    final Service service;
    final Path log;
    Process process;
    int restarts;

    /** Where this start's output begins in the log, until its metrics endpoint is reported. */
    long endpointSearchFrom = -1;

    long nextEndpointSearch;

    Child(Service service) {
      this.service = service;
      this.log = logDir.resolve(experiment + "-" + service.name() + ".log");
    }

    void start() {
      List<String> command =
          new ArrayList<>(List.of(JavaProcesses.javaExecutable(), "-Xmx" + service.heap()));
      if (service.quickCompiler()) {
        command.add("-XX:TieredStopAtLevel=1");
      }
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), service.mainClass()));
      command.addAll(service.args());
      command.addAll(List.of("--parent-pid", Long.toString(ProcessHandle.current().pid())));
      Map<String, String> env = new HashMap<>(service.env());
      if (System.getenv(OMP_WAIT_POLICY) == null) {
        env.putIfAbsent(OMP_WAIT_POLICY, "PASSIVE");
      }
      try {
        endpointSearchFrom =
            !service.args().contains("--metrics-port")
                ? -1
                : Files.exists(log) ? Files.size(log) : 0;
        process = JavaProcesses.start(command, env, log, false);
      } catch (IOException e) {
        throw new UserException(
            "cannot start the " + service.name() + " process: " + e.getMessage(), e);
      }
    }
  }

  private final String experiment;
  private final Path logDir;
  private final int maxRestarts;
  private final Consumer<String> report;
  private final Consumer<String> endpoints;
  private final List<Child> children = new ArrayList<>();

  /**
   * @param maxRestarts how many times one child may be started again
   * @param report where restarts are reported (one line each)
   * @param endpoints where the children's metrics endpoints are reported, one line each ({@code
   *     metrics endpoint: NAME URL}), as each (re)started child prints its own
   */
  ServiceProcesses(
      String experiment,
      Path logDir,
      int maxRestarts,
      Consumer<String> report,
      Consumer<String> endpoints) {
    this.experiment = experiment;
    this.logDir = logDir;
    this.maxRestarts = maxRestarts;
    this.report = report;
    this.endpoints = endpoints;
  }

  /** Starts a service process. */
  void start(Service service) {
    Child child = new Child(service);
    children.add(child);
    child.start();
  }

  /**
   * Restarts children that have exited, and reports the metrics endpoints they print; throws once
   * one has exited more often than allowed.
   */
  void supervise() {
    for (Child c : children) {
      if (c.process.isAlive()) {
        reportEndpoint(c);
        continue;
      }
      int code = c.process.exitValue();
      String why = code == 137 || code == 9 ? "was killed" : "exited with code " + code;
      if (c.restarts >= maxRestarts) {
        throw new UserException(
            "the "
                + c.service.name()
                + " "
                + why
                + " after "
                + c.restarts
                + " restarts; its log ("
                + c.log
                + ") ends with:\n"
                + JavaProcesses.tail(c.log, 20));
      }
      c.restarts++;
      report.accept(
          c.service.name()
              + " "
              + why
              + "; starting it again ("
              + c.restarts
              + " of "
              + maxRestarts
              + ")");
      c.start();
    }
  }

  private static final Pattern ENDPOINT = Pattern.compile("metrics endpoint: \\S+ (\\S+)");

  /** Looks, at most once a second, for the endpoint line of a child's current start. */
  private void reportEndpoint(Child c) {
    long now = System.nanoTime();
    if (c.endpointSearchFrom < 0 || now < c.nextEndpointSearch) {
      return;
    }
    c.nextEndpointSearch = now + 1_000_000_000L;
    try (var in = Files.newInputStream(c.log)) {
      in.skipNBytes(c.endpointSearchFrom);
      Matcher m = ENDPOINT.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      if (m.find()) {
        endpoints.accept("metrics endpoint: " + c.service.name() + " " + m.group(1));
        c.endpointSearchFrom = -1;
      }
    } catch (IOException e) {
      // not written yet: look again later
    }
  }

  @Override
  public void close() {
    children.forEach(c -> c.process.destroy());
    children.forEach(c -> JavaProcesses.stop(c.process.toHandle(), 15));
  }
}
