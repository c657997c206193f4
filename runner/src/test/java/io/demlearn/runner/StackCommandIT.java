package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.stack.BackgroundStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demlearn stack start|status|stop} as a user runs them, with a run against the stack
 * between.
 */
@Tag("integration")
class StackCommandIT {
  @TempDir Path home;

  @AfterEach
  void leaveNothingRunning() {
    new BackgroundStack(home.resolve("stack")).stop(s -> {});
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("'%s' in:%n%s", regex, text).isTrue();
    return m.group(1);
  }

  @Test
  void startStatusRunStopAndRestartKeepingTheData() {
    Cli cli = new Cli(home);
    Cli.Result start = cli.run("stack", "start", "--kafka-port", "0", "--registry-port", "0");
    assertThat(start.exitCode()).as(start.toString()).isZero();
    String bootstrap = find(start.out(), "bootstrap servers:\\s+(\\S+)");
    String registry = find(start.out(), "schema registry URL:\\s+(\\S+)");
    assertThat(bootstrap).startsWith("127.0.0.1:");
    assertThat(registry).endsWith("/apis/ccompat/v7");

    Cli.Result status = cli.run("stack", "status");
    assertThat(status.exitCode()).as(status.toString()).isZero();
    assertThat(status.out())
        .contains("broker:   running")
        .contains("registry: running")
        .contains(bootstrap);

    Cli.Result again = cli.run("stack", "start");
    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).contains("already running").contains(bootstrap);

    Cli.Result run =
        cli.run(
            "check",
            "--agents",
            "4",
            "--experiment",
            "stack-it",
            "--bootstrap-servers",
            bootstrap,
            "--schema-registry-url",
            registry);
    assertThat(run.exitCode()).as(run.toString()).isZero();
    String ids = find(run.out(), "ids (\\[[0-9, ]+\\])");

    Cli.Result stop = cli.run("stack", "stop");
    assertThat(stop.exitCode()).as(stop.toString()).isZero();
    assertThat(stop.out())
        .contains("stopping schema registry")
        .contains("stopping Kafka broker")
        .contains("stopped");
    Cli.Result stopped = cli.run("stack", "status");
    assertThat(stopped.exitCode()).isEqualTo(3);
    assertThat(stopped.out()).contains("broker:   stopped").contains("registry: stopped");

    // restart on the same ports: the topics and the schema ids are still there
    Cli.Result restart = cli.run("stack", "start");
    assertThat(restart.exitCode()).as(restart.toString()).isZero();
    assertThat(find(restart.out(), "bootstrap servers:\\s+(\\S+)")).isEqualTo(bootstrap);
    // without addresses, a command uses the running stack
    Cli.Result rerun = cli.run("check", "--agents", "4", "--experiment", "stack-it");
    assertThat(rerun.exitCode()).as(rerun.toString()).isZero();
    assertThat(rerun.out())
        .contains("using the local stack (demlearn stack start): " + bootstrap)
        .contains("0 created, 7 already there");
    assertThat(find(rerun.out(), "ids (\\[[0-9, ]+\\])")).isEqualTo(ids);

    Cli.Result wipe = cli.run("stack", "stop", "--delete-data");
    assertThat(wipe.exitCode()).isZero();
    assertThat(wipe.out()).contains("deleted the data");
  }

  @Test
  void aSecureStackPrintsEachRolesClientConfigAndStaysSecure() throws Exception {
    Cli cli = new Cli(home);
    Cli.Result start =
        cli.run("stack", "start", "--secure", "--kafka-port", "0", "--registry-port", "0");
    assertThat(start.exitCode()).as(start.toString()).isZero();
    Map<String, Path> configs = new TreeMap<>();
    Matcher m = Pattern.compile("(?m)^client config: (\\S+) (\\S+)$").matcher(start.out());
    while (m.find()) {
      configs.put(m.group(1), Path.of(m.group(2)));
    }
    assertThat(configs).containsOnlyKeys("operator", "worker", "aggregator", "clusterer");
    for (Path file : configs.values()) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .as(file.toString())
          .isEqualTo("rw-------");
    }
    assertThat(find(start.out(), "schema registry URL:\\s+(\\S+)")).startsWith("https://");

    // a role's file alone opens the stack; the operator creates an experiment and its ACLs
    Cli.Result check =
        cli.run(
            "check",
            "--agents",
            "4",
            "--experiment",
            "secure-it",
            "--client-config",
            configs.get("operator").toString());
    assertThat(check.exitCode()).as(check.toString()).isZero();
    // a worker may not create topics
    Cli.Result asWorker =
        cli.run(
            "check",
            "--agents",
            "4",
            "--experiment",
            "secure-it-2",
            "--client-config",
            configs.get("worker").toString());
    assertThat(asWorker.exitCode()).as(asWorker.toString()).isNotZero();
    assertThat(asWorker.err()).containsIgnoringCase("authoriz");

    assertThat(cli.run("stack", "stop").exitCode()).isZero();
    // started again without --secure: still secure (its topics have ACLs), same client configs
    Cli.Result again = cli.run("stack", "start");
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("secure, as it was when last started");
    assertThat(again.out()).contains("client config: worker " + configs.get("worker"));
    Cli.Result status = cli.run("stack", "status");
    assertThat(status.out()).contains("security:").contains("client config: operator");

    Cli.Result wipe = cli.run("stack", "stop", "--delete-data");
    assertThat(wipe.exitCode()).isZero();
    assertThat(configs.get("operator")).doesNotExist();
  }
}
