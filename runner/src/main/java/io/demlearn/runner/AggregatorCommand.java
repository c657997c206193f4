package io.demlearn.runner;

import io.demlearn.aggregator.AggregatorMain;
import io.demlearn.schemas.security.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn aggregator}: the aggregator service of one experiment, for a range of levels, in
 * this process until it is stopped (Ctrl-C or SIGTERM close it cleanly). The way to place the
 * paper's tiers on machines of their own: levels 1-2 (with the agents' intake) at an edge site, the
 * rest in the cloud; instances of the same range share its work.
 */
@Command(
    name = "aggregator",
    mixinStandardHelpOptions = true,
    description =
        "Run an experiment's aggregator for a range of levels until stopped, as a service of its"
            + " own (an edge or cloud tier).")
final class AggregatorCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(
      names = "--experiment",
      required = true,
      paramLabel = "ID",
      description = "The experiment to aggregate (its topics must exist).")
  String experimentId;

  @Option(
      names = "--levels",
      paramLabel = "A-B",
      description =
          "The levels to aggregate: 1-2 takes the agents' updates and levels 1 and 2; 3-4 the"
              + " groups above (default: every level).")
  String levels;

  @Option(
      names = "--instance",
      defaultValue = "1",
      paramLabel = "K",
      description =
          "This instance's name among those of the same levels; each needs its own"
              + " (default: ${DEFAULT-VALUE}).")
  String instance;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Where its state stores live (default: a folder of its own under the DemLearn home).")
  Path stateDir;

  @Override
  public Integer call() {
    Console console = new Console(System.out);
    try (Connection conn = Connection.openExisting(connection, console, "aggregator")) {
      List<String> args = new ArrayList<>();
      args.addAll(List.of("--experiment", experimentId));
      args.addAll(List.of("--bootstrap-servers", conn.bootstrapServers()));
      args.addAll(List.of("--schema-registry-url", conn.registryUrl()));
      if (conn.clientConfigFile(Role.AGGREGATOR) != null) {
        args.addAll(List.of("--client-config", conn.clientConfigFile(Role.AGGREGATOR).toString()));
      }
      if (levels != null) {
        args.addAll(List.of("--levels", levels));
      }
      Path dir =
          stateDir != null
              ? stateDir
              : DemlearnHome.dir()
                  .resolve("state")
                  .resolve(
                      experimentId
                          + "-aggregator-levels-"
                          + (levels == null ? "all" : levels.trim())
                          + "-"
                          + instance);
      args.addAll(List.of("--state-dir", dir.toString()));
      args.addAll(List.of("--instance", instance));
      return AggregatorMain.run("demlearn aggregator", args.toArray(String[]::new));
    }
  }
}
