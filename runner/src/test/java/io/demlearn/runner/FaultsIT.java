package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalRegistryExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every service of a run in a process of its own, killed with SIGKILL or stopped with SIGTERM at
 * random points of a run, several times, and the broker stopped and started again: the run
 * completes, and its metrics and group models equal the simulator's (which equal a fault-free
 * run's, PipelineIT): nothing lost, nothing counted twice.
 */
@Tag("integration")
@ExtendWith(LocalRegistryExtension.class)
class FaultsIT {
  private static final String AGGREGATOR = "io.demlearn.aggregator.AggregatorMain";
  private static final String CLUSTERER = "io.demlearn.clusterer.ClustererMain";
  private static final String WORKER = "io.demlearn.worker.AgentWorkerMain";

  private static final String[] EXPERIMENT = {
    "--dataset",
    "synthetic",
    "--agents",
    "10",
    "--rounds",
    "16",
    "--seed",
    "21",
    "--algorithm",
    "demlearn-p",
    "--amplify",
    "1.15",
    "--levels",
    "2",
    "--recluster-every",
    "3"
  };

  @TempDir Path dir;

  private final Random random = new Random(2026);
  private final List<String> done = new ArrayList<>();

  @Test
  void killedServicesAndABrokerRestartLoseNothingAndCountNothingTwice(LocalSchemaRegistry registry)
      throws Exception {
    Path data = dir.resolve("kafka");
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, false, 0, 0);
    String id = "faults-" + UUID.randomUUID().toString().substring(0, 8);
    Path out = dir.resolve("run");
    try {
      String bootstrap = broker.bootstrapServers();
      List<String> args =
          new ArrayList<>(
              List.of(
                  "run",
                  "--experiment",
                  id,
                  "--out",
                  out.toString(),
                  "--bootstrap-servers",
                  bootstrap,
                  "--schema-registry-url",
                  registry.url(),
                  "--process-per-service",
                  "--workers",
                  "2",
                  "--restarts",
                  "4",
                  "--stall-timeout",
                  "180"));
      args.addAll(List.of(EXPERIMENT));
      CompletableFuture<SimulateCommandTest.Result> run =
          CompletableFuture.supplyAsync(() -> SimulateCommandTest.run(args.toArray(new String[0])));

      afterRound(out, 1, run);
      signal(WORKER, true);
      afterRound(out, 3, run);
      signal(AGGREGATOR, true);
      afterRound(out, 5, run);
      int port = broker.port();
      int controller = broker.controllerPort();
      broker.close();
      done.add("broker stopped");
      Thread.sleep(1000 + random.nextInt(2000));
      broker = EmbeddedKafkaBroker.start(data, false, port, controller);
      done.add("broker started again");
      afterRound(out, 7, run);
      signal(CLUSTERER, true);
      afterRound(out, 9, run);
      signal(WORKER, true);
      signal(AGGREGATOR, true);
      afterRound(out, 11, run);
      ProcessHandle clusterer = signal(CLUSTERER, false);
      clusterer.onExit().get(60, TimeUnit.SECONDS);
      afterRound(out, 12, run);
      signal(WORKER, false);
      afterRound(out, 13, run);
      signal(AGGREGATOR, false).onExit().get(60, TimeUnit.SECONDS);

      SimulateCommandTest.Result r = run.get(8, TimeUnit.MINUTES);
      System.out.println("faults injected: " + done + "\n" + r.out());
      assertThat(r.exitCode()).as(done + "\n" + r.out() + r.err()).isZero();
      assertThat(r.out())
          .contains("was killed; starting it again")
          .contains("exited with code 143; starting it again");
      assertThat(
              Files.readString(DemlearnHome.dir().resolve("logs").resolve(id + "-clusterer.log")))
          .as("the clusterer's log")
          .contains("clusterer stopped on SIGTERM");
      assertThat(
              Files.readString(DemlearnHome.dir().resolve("logs").resolve(id + "-aggregator.log")))
          .as("the aggregator's log")
          .contains("aggregator stopped on SIGTERM: its last transaction committed");
      assertThat(
              Files.readString(DemlearnHome.dir().resolve("logs").resolve(id + "-worker-1.log"))
                  + Files.readString(
                      DemlearnHome.dir().resolve("logs").resolve(id + "-worker-2.log")))
          .as("the workers' logs")
          .contains("agent-worker stopped on SIGTERM");

      assertSameAsSimulator(id, out, bootstrap, registry);
    } finally {
      broker.close();
    }
  }

  /** The run's metrics and recorded group models equal the simulator's, and audit passes. */
  private void assertSameAsSimulator(
      String id, Path out, String bootstrap, LocalSchemaRegistry registry) throws Exception {
    Path sim = dir.resolve("sim");
    List<String> simulate = new ArrayList<>(List.of("simulate", "--out", sim.toString()));
    simulate.addAll(List.of(EXPERIMENT));
    assertThat(SimulateCommandTest.run(simulate.toArray(new String[0])).exitCode()).isZero();
    assertThat(RecordedRuns.metrics(out)).as(done.toString()).isEqualTo(RecordedRuns.metrics(sim));
    RecordedRuns.assertSameGroupModels(
        RecordedRuns.recordedGroupModels(bootstrap, registry.url(), id),
        RecordedRuns.simulatorGroupModels(EXPERIMENT));
    SimulateCommandTest.Result audit =
        SimulateCommandTest.run(
            "audit",
            "--experiment",
            id,
            "--bootstrap-servers",
            bootstrap,
            "--schema-registry-url",
            registry.url());
    assertThat(audit.exitCode()).as(audit.out() + audit.err()).isZero();
  }

  @Test
  void oneOfSeveralAggregatorInstancesKilledInTwoTiersLosesNothing(LocalSchemaRegistry registry)
      throws Exception {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka-tiers"), false, 0, 0);
    String id = "tiers-" + UUID.randomUUID().toString().substring(0, 8);
    Path out = dir.resolve("run-tiers");
    try {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "run",
                  "--experiment",
                  id,
                  "--out",
                  out.toString(),
                  "--bootstrap-servers",
                  broker.bootstrapServers(),
                  "--schema-registry-url",
                  registry.url(),
                  "--process-per-service",
                  "--workers",
                  "2",
                  "--aggregators",
                  "2",
                  "--partitions",
                  "4",
                  "--aggregator-tiers",
                  "1-2,3",
                  "--restarts",
                  "4",
                  "--stall-timeout",
                  "180"));
      args.addAll(List.of(EXPERIMENT));
      CompletableFuture<SimulateCommandTest.Result> run =
          CompletableFuture.supplyAsync(() -> SimulateCommandTest.run(args.toArray(new String[0])));
      afterRound(out, 3, run);
      signal(AGGREGATOR, true);
      afterRound(out, 7, run);
      signal(AGGREGATOR, true);
      SimulateCommandTest.Result r = run.get(8, TimeUnit.MINUTES);
      System.out.println("faults injected: " + done + "\n" + r.out());
      assertThat(r.exitCode()).as(done + "\n" + r.out() + r.err()).isZero();
      assertThat(r.out())
          .contains("aggregators for levels 1-2, 3-3 (2 instances each)")
          .contains("was killed; starting it again");
      assertSameAsSimulator(id, out, broker.bootstrapServers(), registry);
    } finally {
      broker.close();
    }
  }

  /** Waits until the run has written round {@code round}'s metrics, plus a random moment. */
  private void afterRound(Path out, int round, CompletableFuture<SimulateCommandTest.Result> run)
      throws Exception {
    try {
      RecordedRuns.waitForRound(out, round, run, Duration.ofMinutes(3));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; faults so far: " + done, e);
    }
    Thread.sleep(random.nextInt(400));
  }

  /** The whole command line (ProcessHandle.Info cuts long ones short): /proc/PID/cmdline. */
  private static String commandLine(ProcessHandle p) {
    try {
      return new String(
          Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      return ""; // it has ended
    }
  }

  /**
   * SIGKILL ({@code kill}) or SIGTERM to one of the run's processes of a service, chosen at random.
   */
  private ProcessHandle signal(String mainClass, boolean kill) {
    List<ProcessHandle> found =
        ProcessHandle.current()
            .descendants()
            .filter(p -> p.isAlive() && commandLine(p).contains(mainClass))
            .toList();
    assertThat(found).as("live processes of " + mainClass + " after " + done).isNotEmpty();
    ProcessHandle victim = found.get(random.nextInt(found.size()));
    boolean sent = kill ? victim.destroyForcibly() : victim.destroy();
    assertThat(sent).isTrue();
    done.add(
        (kill ? "SIGKILL " : "SIGTERM ") + mainClass.substring(mainClass.lastIndexOf('.') + 1));
    return victim;
  }
}
