package io.demlearn.pipeline.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  @Test
  void servesTheJvmAndTheServicesOwnMetricsInPrometheusFormat() throws Exception {
    try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, "worker", "exp-1")) {
      endpoint.registry().counter("demlearn.updates.accepted").increment(3);
      assertThat(endpoint.url()).isEqualTo("http://127.0.0.1:" + endpoint.port() + "/metrics");
      HttpResponse<String> answer =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(endpoint.url())).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.headers().firstValue("Content-Type"))
          .hasValue(MetricsEndpoint.CONTENT_TYPE);
      assertThat(answer.body())
          .contains("demlearn_updates_accepted_total{experiment=\"exp-1\",service=\"worker\"} 3.0")
          .contains("jvm_memory_used_bytes{")
          .contains("process_uptime_seconds{");
    }
  }

  @Test
  void aPortInUseIsNamed() {
    try (MetricsEndpoint first = MetricsEndpoint.start("127.0.0.1", 0, "a", "e")) {
      assertThatThrownBy(() -> MetricsEndpoint.start("127.0.0.1", first.port(), "b", "e"))
          .hasMessageContaining("cannot serve metrics at 127.0.0.1:" + first.port())
          .hasMessageContaining("--metrics-port");
    }
  }
}
