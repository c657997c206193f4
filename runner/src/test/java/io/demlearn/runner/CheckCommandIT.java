package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code demlearn check} as a user runs it: the packaged jar in a child process. */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class CheckCommandIT {
  @TempDir Path home;

  @Test
  void withNoOptionsItStartsTheLocalStackAndChecksThePipeline() {
    Cli.Result r = new Cli(home).run("check", "--agents", "5");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("Kafka broker ready at 127.0.0.1:")
        .contains("schema registry ready at http://127.0.0.1:")
        .contains("7 created, 0 already there")
        .contains("registered 7 value schemas")
        .contains("published the experiment spec and 5 model updates")
        .contains("every one equal to what was sent, bit for bit")
        .contains("done");
    assertThat(r.err()).doesNotContain("ERROR").doesNotContain("Exception");
  }

  @Test
  void againstAGivenClusterAConflictingSecondRunIsRefusedClearly(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) {
    String id = "it-" + UUID.randomUUID().toString().substring(0, 8);
    Cli cli = new Cli(home);
    Cli.Result first =
        cli.run(
            "check",
            "--agents",
            "3",
            "--experiment",
            id,
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url());
    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.out())
        .doesNotContain("starting local")
        .contains("Kafka cluster at " + broker.bootstrapServers() + " answers");

    Cli.Result again =
        cli.run(
            "check",
            "--agents",
            "3",
            "--experiment",
            id,
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url());
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("0 created, 7 already there");

    Cli.Result conflict =
        cli.run(
            "check",
            "--agents",
            "3",
            "--experiment",
            id,
            "--partitions",
            "2",
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url());
    assertThat(conflict.exitCode()).as(conflict.toString()).isEqualTo(1);
    assertThat(conflict.err())
        .contains("demlearn." + id + ".model-updates: partitions is 6, wanted 2")
        .doesNotContain("\tat ");
  }

  @Test
  void badInputIsNamedWithoutAStackTrace(EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) {
    Cli cli = new Cli(home);
    Cli.Result badId =
        cli.run(
            "check", "--experiment", "bad id", "--bootstrap-servers", broker.bootstrapServers());
    assertThat(badId.exitCode()).isEqualTo(1);
    assertThat(badId.err()).contains("experiment id 'bad id' is not valid").doesNotContain("\tat ");

    Cli.Result noFile =
        cli.run("check", "--client-config", home.resolve("nope.properties").toString());
    assertThat(noFile.exitCode()).isEqualTo(1);
    assertThat(noFile.err())
        .contains("client config file '" + home.resolve("nope.properties") + "'");

    Cli.Result zero = cli.run("check", "--agents", "0");
    assertThat(zero.exitCode()).isEqualTo(1);
    assertThat(zero.err()).contains("--agents must be at least 1");

    Cli.Result unknown = cli.run("check", "--agentz", "3");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("'--agentz'").contains("Possible solutions: --agents");

    Cli.Result noRegistry =
        cli.run(
            "check",
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            "http://127.0.0.1:1",
            "--experiment",
            "noreg");
    assertThat(noRegistry.exitCode()).isEqualTo(1);
    assertThat(noRegistry.err())
        .contains("the schema registry at http://127.0.0.1:1 does not answer")
        .contains("check --schema-registry-url")
        .doesNotContain("\tat ");
    assertThat(noRegistry.out()).as("named before anything is created").doesNotContain("topics");

    Cli.Result tooManyReplicas =
        cli.run(
            "check",
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--connect-timeout",
            "2",
            "--schema-registry-url",
            registry.url(),
            "--replication-factor",
            "3",
            "--experiment",
            "rf3");
    assertThat(tooManyReplicas.exitCode()).isEqualTo(1);
    assertThat(tooManyReplicas.err())
        .contains(
            "--replication-factor 3 is more than the 1 broker of the Kafka cluster at "
                + broker.bootstrapServers())
        .doesNotContain("\tat ");

    Cli.Result minAboveFactor =
        cli.run(
            "check",
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url(),
            "--min-insync-replicas",
            "2",
            "--experiment",
            "minisr2");
    assertThat(minAboveFactor.exitCode()).isEqualTo(1);
    assertThat(minAboveFactor.err())
        .contains("--min-insync-replicas 2 is more than the replication factor 1");

    Cli.Result noKafka =
        cli.run(
            "check",
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--connect-timeout",
            "3",
            "--schema-registry-url",
            "http://127.0.0.1:1");
    assertThat(noKafka.exitCode()).isEqualTo(1);
    assertThat(noKafka.err()).contains("cannot reach the Kafka cluster at 127.0.0.1:1 within 3 s");
  }
}
