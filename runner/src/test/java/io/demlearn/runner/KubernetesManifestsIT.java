package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.demlearn.testkit.Commands;
import io.demlearn.testkit.DockerImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests (docker/k8s): rendered by kubectl's kustomize (offline), they hold the
 * services as Deployments and the experiment as a Job on the application image of this build, and
 * every variable their command lines use is in the ConfigMap; where a Kubernetes API server
 * answers, {@code kubectl apply --dry-run=client} accepts them (kubectl needs a server even for a
 * client dry run: elsewhere that test is skipped, saying so).
 */
@Tag("integration")
class KubernetesManifestsIT {
  private static final Path K8S = Path.of("..", "docker", "k8s");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Z_]+)\\)|\\$([A-Z_]+)");

  @Test
  void kustomizeRendersTheServicesAndTheJobOnThisBuildsImage() throws Exception {
    assumeKubectl();
    Commands.Answer rendered = Commands.run(List.of("kubectl", "kustomize", K8S.toString()), 60);
    assertThat(rendered.exitCode()).as(rendered.output()).isZero();

    Map<String, JsonNode> byName = new HashMap<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    List<JsonNode> docs =
        yaml.readerFor(JsonNode.class).<JsonNode>readValues(rendered.output()).readAll();
    for (JsonNode doc : docs) {
      byName.put(doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText(), doc);
      assertThat(doc.path("metadata").path("namespace").asText(doc.path("kind").asText()))
          .isIn("demlearn", "Namespace");
    }
    assertThat(byName)
        .containsKeys(
            "Deployment/demlearn-aggregator",
            "Deployment/demlearn-clusterer",
            "Deployment/demlearn-worker",
            "Job/demlearn-experiment",
            "ConfigMap/demlearn-config",
            "Secret/demlearn-client-config",
            "PersistentVolumeClaim/demlearn-runs");
    JsonNode config = byName.get("ConfigMap/demlearn-config").path("data");
    String image = DockerImages.app();
    String tag = image.substring(image.lastIndexOf(':') + 1);

    for (String workload :
        List.of(
            "Deployment/demlearn-aggregator",
            "Deployment/demlearn-clusterer",
            "Deployment/demlearn-worker",
            "Job/demlearn-experiment")) {
      JsonNode container =
          byName.get(workload).path("spec").path("template").path("spec").path("containers").get(0);
      assertThat(container.path("image").asText())
          .as(workload + "'s image: the version this build makes")
          .isEqualTo("demlearn/demlearn:" + tag);
      List<String> args = new ArrayList<>();
      container.path("args").forEach(a -> args.add(a.asText()));
      for (String arg : args) {
        Matcher m = VARIABLE.matcher(arg);
        while (m.find()) {
          String name = m.group(1) != null ? m.group(1) : m.group(2);
          assertThat(config.has(name))
              .as(workload + " uses " + name + ", which the ConfigMap must hold")
              .isTrue();
        }
      }
      if (workload.startsWith("Deployment/")) {
        String service = workload.substring("Deployment/demlearn-".length());
        assertThat(args.get(0)).isEqualTo(service);
        assertThat(args.subList(1, args.size()))
            .as(workload + ": the options every service takes, as --name value pairs")
            .containsSubsequence("--experiment", "$(EXPERIMENT)")
            .containsSubsequence("--bootstrap-servers", "$(BOOTSTRAP_SERVERS)")
            .containsSubsequence("--schema-registry-url", "$(SCHEMA_REGISTRY_URL)")
            .containsSubsequence("--metrics-port", "0.0.0.0:9404")
            .hasSize(12);
        assertThat(container.path("ports").get(0).path("containerPort").asInt()).isEqualTo(9404);
        assertThat(
                byName
                    .get(workload)
                    .path("spec")
                    .path("template")
                    .path("metadata")
                    .path("annotations")
                    .path("prometheus.io/port")
                    .asText())
            .isEqualTo("9404");
      } else {
        assertThat(String.join(" ", args))
            .contains("demlearn run --external-services")
            .contains("--experiment \"$EXPERIMENT\"");
      }
    }
  }

  @Test
  void kubectlAcceptsThemInAClientDryRunWhereAnApiServerAnswers() {
    assumeKubectl();
    Commands.Answer server =
        Commands.run(List.of("kubectl", "version", "--request-timeout=5s"), 30);
    assumeTrue(
        server.exitCode() == 0,
        "skipped: no Kubernetes API server answers here (kubectl apply --dry-run=client needs one"
            + " for the resource types); kustomize rendered them offline in the other test");
    Commands.Answer dryRun =
        Commands.run(List.of("kubectl", "apply", "--dry-run=client", "-k", K8S.toString()), 120);
    assertThat(dryRun.exitCode()).as(dryRun.output()).isZero();
    assertThat(dryRun.output()).contains("deployment.apps/demlearn-worker");
  }

  private static void assumeKubectl() {
    assumeTrue(
        Commands.run(List.of("kubectl", "version", "--client"), 30).exitCode() == 0,
        "skipped: no kubectl on this machine (apt-get install kubernetes-client)");
  }
}
