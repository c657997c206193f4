package io.demlearn.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackSecurityTest {
  @TempDir Path dir;

  @Test
  void certificatesForEveryPrincipalSignedByOneAuthorityAndPrivateToTheirOwner() throws Exception {
    StackSecurity s = StackSecurity.ensure(dir, List.of("operator", "worker"), List.of("kafka-1"));
    X509Certificate ca = certificate(s, "ca");
    for (String principal : List.of("broker", "registry", "operator", "worker")) {
      Path store = s.keyStore(principal);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store)))
          .as(principal)
          .isEqualTo("rw-------");
      X509Certificate cert = certificate(s, principal);
      assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=" + principal);
      cert.verify(ca.getPublicKey()); // throws if the authority did not sign it
    }
    assertThat(names(certificate(s, "broker"))).contains("localhost", "127.0.0.1", "kafka-1");
    assertThat(certificate(s, "worker").getSubjectAlternativeNames()).isNull();
    assertThat(s.sslContext("worker")).isNotNull();

    Map<String, Path> files = s.writeClientConfigs(List.of("worker"), "h:1", "https://h:2/x");
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(files.get("worker"))) {
      p.load(in);
    }
    assertThat(p.getProperty("security.protocol")).isEqualTo("SSL");
    assertThat(p.getProperty("bootstrap.servers")).isEqualTo("h:1");
    assertThat(p.getProperty("ssl.keystore.location")).isEqualTo(s.keyStore("worker").toString());
    assertThat(p.getProperty("schema.registry.ssl.keystore.location"))
        .isEqualTo(s.keyStore("worker").toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get("worker"))))
        .isEqualTo("rw-------");

    // again: the same authority and client keys; a new host name gets the servers new certificates
    byte[] workerBefore = Files.readAllBytes(s.keyStore("worker"));
    StackSecurity again =
        StackSecurity.ensure(dir, List.of("operator", "worker"), List.of("kafka-1", "kafka-2"));
    assertThat(certificate(again, "ca")).isEqualTo(ca);
    assertThat(Files.readAllBytes(again.keyStore("worker"))).isEqualTo(workerBefore);
    assertThat(names(certificate(again, "broker"))).contains("kafka-1", "kafka-2");
  }

  private static X509Certificate certificate(StackSecurity s, String principal) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    char[] password = Files.readString(s.dir().resolve("password")).trim().toCharArray();
    try (InputStream in = Files.newInputStream(s.keyStore(principal))) {
      ks.load(in, password);
    }
    return (X509Certificate) ks.getCertificate(principal);
  }

  private static List<String> names(X509Certificate cert) throws Exception {
    return cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList();
  }
}
