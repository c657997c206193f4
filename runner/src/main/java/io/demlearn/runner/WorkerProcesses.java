package io.demlearn.runner;

import io.demlearn.stack.JavaProcesses;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Agent workers as child processes ({@code --workers N}): each is a {@code AgentWorkerMain} with
 * this process's class path, logging to {@code <demlearn home>/logs/<experiment>-worker-<k>.log}.
 * A worker that exits before the experiment ends is an error; at the end each gets SIGTERM.
 */
final class WorkerProcesses implements AutoCloseable {
  private final List<Process> processes;
  private final List<Path> logs;

  private WorkerProcesses(List<Process> processes, List<Path> logs) {
    this.processes = processes;
    this.logs = logs;
  }

  static WorkerProcesses start(String experiment, int count, int threads, Connection conn, Path clientConfig, Path logDir) {
    List<Process> processes = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      for (int k = 1; k <= count; k++) {
        List<String> command = new ArrayList<>(List.of(JavaProcesses.javaExecutable(), "-Xmx2g",
            "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"), "io.demlearn.worker.AgentWorkerMain",
            "--experiment", experiment, "--bootstrap-servers", conn.bootstrapServers(),
            "--schema-registry-url", conn.registryUrl(), "--worker-id", Integer.toString(k),
            "--threads", Integer.toString(threads)));
        if (clientConfig != null) {
          command.addAll(List.of("--client-config", clientConfig.toAbsolutePath().toString()));
        }
        Path log = logDir.resolve(experiment + "-worker-" + k + ".log");
        processes.add(JavaProcesses.start(command, Map.of(), log, false));
        logs.add(log);
      }
    } catch (IOException e) {
      processes.forEach(p -> JavaProcesses.stop(p.toHandle(), 5));
      throw new UserException("cannot start agent worker processes: " + e.getMessage(), e);
    }
    return new WorkerProcesses(processes, logs);
  }

  /** Throws if a worker has exited. */
  void checkAlive() {
    for (int k = 0; k < processes.size(); k++) {
      Process p = processes.get(k);
      if (!p.isAlive()) {
        throw new UserException("agent worker " + (k + 1) + " exited with code " + p.exitValue() + "; its log ("
            + logs.get(k) + ") ends with:\n" + JavaProcesses.tail(logs.get(k), 20));
      }
    }
  }

  @Override
  public void close() {
    processes.forEach(Process::destroy);
    processes.forEach(p -> JavaProcesses.stop(p.toHandle(), 15));
  }
}
