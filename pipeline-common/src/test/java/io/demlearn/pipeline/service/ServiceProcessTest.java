package io.demlearn.pipeline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service process's command line and exit codes, without starting a service. */
class ServiceProcessTest {
  static final String[] CONNECTION = {
    "--experiment", "e1", "--bootstrap-servers", "b:9092", "--schema-registry-url", "http://r:8081"
  };
  @TempDir Path dir;

  /** Runs {@link ServiceProcess#launch}; returns the exit code and what it printed to stderr. */
  record Launched(int code, String err) {}

  static Launched launch(String[] args, ToIntFunction<ServiceProcess> body) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = ServiceProcess.launch("TestMain", args, Map.of("worker-id", "K"), body);
      return new Launched(code, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(old);
    }
  }

  static String[] with(String... more) {
    String[] all = new String[CONNECTION.length + more.length];
    System.arraycopy(CONNECTION, 0, all, 0, CONNECTION.length);
    System.arraycopy(more, 0, all, CONNECTION.length, more.length);
    return all;
  }

  @Test
  void aWrongCommandLineExitsWithTwoAndTheUsage() {
    Launched unknown = launch(with("--wrker-id", "1"), p -> 0);
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("unexpected argument --wrker-id")
        .contains("usage: TestMain --experiment ID")
        .contains("[--worker-id K]");
    assertThat(launch(new String[] {"--experiment", "e1"}, p -> 0).err())
        .contains("missing --bootstrap-servers");
    assertThat(launch(with("--worker-id"), p -> 0).err()).contains("--worker-id needs a value");
    assertThat(launch(with("--worker-id", "1", "--worker-id", "2"), p -> 0).err())
        .contains("given twice");
    Launched missing = launch(CONNECTION, p -> p.requiredOption("worker-id").length());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("missing --worker-id");
    assertThat(launch(with("--worker-id", "x"), p -> p.intOption("worker-id", 1)).err())
        .contains("--worker-id must be a whole number, got 'x'");
  }

  @Test
  void deploymentOptionsAreCheckedAndNamesDefaultToHostAndProcess() {
    Launched badPort = launch(with("--metrics-port", "x:y"), p -> 0);
    assertThat(badPort.code()).isEqualTo(2);
    assertThat(badPort.err()).contains("--metrics-port takes [HOST:]PORT (0: a free port)");
    assertThat(launch(with("--metrics-port", "70000"), p -> 0).code()).isEqualTo(2);
    assertThat(launch(with("--metrics-port", "0.0.0.0:0"), p -> 0).code()).isZero();

    AtomicReference<String> name = new AtomicReference<>();
    assertThat(
            launch(CONNECTION, p -> name.getAndSet(p.nameOption("worker-id")) == null ? 0 : 1)
                .code())
        .isZero();
    assertThat(name.get()).endsWith("-" + ProcessHandle.current().pid()).matches("[A-Za-z0-9].*");
    Launched badName = launch(with("--worker-id", "a b"), p -> p.nameOption("worker-id").length());
    assertThat(badName.code()).isEqualTo(2);
    assertThat(badName.err()).contains("--worker-id takes 1-100 letters, digits");
  }

  @Test
  void theBodysExitCodeIsReturnedAndAFailureToStartIsOne() {
    AtomicReference<String> worker = new AtomicReference<>();
    assertThat(
            launch(
                    with("--worker-id", "7"),
                    p -> {
                      worker.set(p.requiredOption("worker-id"));
                      return 0;
                    })
                .code())
        .isZero();
    assertThat(worker.get()).isEqualTo("7");
    Launched failed =
        launch(
            CONNECTION,
            p -> {
              throw new IllegalStateException("no data set here");
            });
    assertThat(failed.code()).isEqualTo(1);
    assertThat(failed.err()).contains("error: TestMain cannot start: no data set here");
  }

  @Test
  void theClientConfigGoesToTheKafkaClientsAndTheRegistryClient() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("c.properties"), "security.protocol=SSL\nbasic.auth.user.info=u:p\n");
    AtomicReference<ServiceProcess> parsed = new AtomicReference<>();
    launch(
        with("--client-config", file.toString()),
        p -> {
          parsed.set(p);
          return 0;
        });
    assertThat(parsed.get().kafka())
        .containsEntry("security.protocol", "SSL")
        .containsEntry("bootstrap.servers", "b:9092");
    assertThat(parsed.get().registry()).containsEntry("basic.auth.user.info", "u:p");
    assertThat(launch(with("--client-config", dir.resolve("none").toString()), p -> 0).err())
        .contains("client config file");
  }

  @Test
  void aServiceRunUntilItEndsExitsWithZeroAndAFailedOneWithOne() {
    LoopService ends =
        new LoopService() {
          @Override
          protected void loop() {}

          @Override
          protected void wakeUp() {}
        };
    LoopService fails =
        new LoopService() {
          @Override
          protected void loop() {
            throw new IllegalStateException("broken");
          }

          @Override
          protected void wakeUp() {}
        };
    assertThat(launch(CONNECTION, p -> p.runUntilStopped(ends, "test-service")).code()).isZero();
    Launched failed = launch(CONNECTION, p -> p.runUntilStopped(fails, "test-service"));
    assertThat(failed.code()).isEqualTo(1);
    assertThat(failed.err()).contains("error: the test-service stopped: broken");
  }
}
