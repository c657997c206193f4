package io.demlearn.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates of a secure stack, all in one folder: a private certificate authority ({@code
 * ca.p12}, its key never leaves the folder), one PKCS12 key store per principal ({@code
 * <name>.p12}: the broker, the registry and each client role, certificate subject {@code
 * CN=<name>}), one trust store holding the authority's certificate, and one client-config file per
 * role ({@code <role>.properties}) that any command takes with {@code --client-config}. Every store
 * shares one generated password, kept in {@code password} (owner-only, like the stores). Created
 * once; a later start reuses what is there and adds what is missing.
 *
 * <p>Clients and the broker authenticate each other by mutual TLS; the broker maps a certificate's
 * {@code CN} to the principal {@code User:<name>}. The registry accepts clients with a certificate
 * of the same authority only.
 */
public final class StackSecurity {
  /** The broker's principal (a super user: it talks to its own controller). */
  public static final String BROKER = "broker";

  /** The registry's certificate (a server only). */
  public static final String REGISTRY = "registry";

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;
  private static final String CA = "ca";
  private static final Duration VALIDITY = Duration.ofDays(3650);

  private final Path dir;
  private final char[] password;

  private StackSecurity(Path dir, char[] password) {
    this.dir = dir;
    this.password = password;
  }

  /**
   * The security folder {@code dir}, created or completed: the authority, the broker's and the
   * registry's key stores (valid for loopback and {@code hostNames}; issued again when a name is
   * new) and one key store per client.
   */
  public static StackSecurity ensure(Path dir, List<String> clients, List<String> hostNames) {
    try {
      Files.createDirectories(dir);
      Path passwordFile = dir.resolve("password");
      if (!Files.exists(passwordFile)) {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        writeOwnerOnly(
            passwordFile,
            Base64.getUrlEncoder().withoutPadding().encodeToString(random).getBytes(UTF8));
      }
      StackSecurity s =
          new StackSecurity(dir, Files.readString(passwordFile, UTF8).trim().toCharArray());
      s.ensureAll(clients, hostNames);
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the stack's certificates in " + dir, e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(
          "cannot make the stack's certificates in " + dir + ": " + e, e);
    }
  }

  /** The existing security folder {@code dir} (of a stack started with security). */
  public static StackSecurity open(Path dir) {
    Path passwordFile = dir.resolve("password");
    try {
      return new StackSecurity(dir, Files.readString(passwordFile, UTF8).trim().toCharArray());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the secure stack's password file " + passwordFile, e);
    }
  }

  public Path dir() {
    return dir;
  }

  public Path keyStore(String principal) {
    return dir.resolve(principal + ".p12");
  }

  public Path trustStore() {
    return dir.resolve("truststore.p12");
  }

  /** The client-config file of a role. */
  public Path clientConfig(String role) {
    return dir.resolve(role + ".properties");
  }

  /**
   * The TLS settings of a Kafka client (and of the registry client, keys {@code schema.registry.*})
   * authenticating as {@code principal}.
   */
  public Map<String, String> clientSettings(String principal) {
    return clientSettings(principal, dir);
  }

  /** The same, for a client that sees this folder at {@code storesAt} (a container's mount). */
  private Map<String, String> clientSettings(String principal, Path storesAt) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("security.protocol", "SSL");
    p.putAll(stores("ssl.", principal, storesAt));
    p.putAll(stores("schema.registry.ssl.", principal, storesAt));
    return p;
  }

  private Map<String, String> stores(String prefix, String principal) {
    return stores(prefix, principal, dir);
  }

  private Map<String, String> stores(String prefix, String principal, Path storesAt) {
    Map<String, String> p = new LinkedHashMap<>();
    String pw = new String(password);
    if (prefix.equals("ssl.")) {
      // TLS 1.3 with AES-128-GCM: the cheapest of its suites in a JVM whose C2 compiler uses the
      // processor's AES and carry-less multiply instructions (docs/BENCHMARKS.md)
      p.put("ssl.enabled.protocols", "TLSv1.3");
      p.put("ssl.cipher.suites", "TLS_AES_128_GCM_SHA256");
    }
    p.put(prefix + "keystore.type", "PKCS12");
    p.put(prefix + "keystore.location", storesAt.resolve(principal + ".p12").toString());
    p.put(prefix + "keystore.password", pw);
    p.put(prefix + "key.password", pw);
    p.put(prefix + "truststore.type", "PKCS12");
    p.put(prefix + "truststore.location", storesAt.resolve(trustStore().getFileName()).toString());
    p.put(prefix + "truststore.password", pw);
    return p;
  }

  /**
   * A broker's listener settings: TLS with the broker's certificate, client certificates required,
   * principals {@code User:<CN>}.
   */
  public Map<String, String> brokerSettings() {
    Map<String, String> p = new LinkedHashMap<>(stores("ssl.", BROKER));
    p.put("ssl.client.auth", "required");
    p.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)$/$1/,DEFAULT");
    return p;
  }

  /**
   * Writes {@code <role>.properties} for each role: its TLS settings and the stack's addresses, so
   * that {@code --client-config} alone finds and opens the stack.
   *
   * @return the files, by role
   */
  public Map<String, Path> writeClientConfigs(
      List<String> roles, String bootstrapServers, String registryUrl) {
    return writeClientConfigs(roles, bootstrapServers, registryUrl, dir, dir);
  }

  /**
   * Writes the client configs as {@link #writeClientConfigs(List, String, String)} does, into
   * {@code configDir}, for clients that see this folder at {@code storesAt} (a container's mount of
   * it).
   */
  public Map<String, Path> writeClientConfigs(
      List<String> roles,
      String bootstrapServers,
      String registryUrl,
      Path storesAt,
      Path configDir) {
    Map<String, Path> files = new LinkedHashMap<>();
    for (String role : roles) {
      Properties p = new Properties();
      p.setProperty("bootstrap.servers", bootstrapServers);
      p.setProperty("schema.registry.url", registryUrl);
      clientSettings(role, storesAt).forEach(p::setProperty);
      Path file = configDir.resolve(role + ".properties");
      try {
        Files.createDirectories(configDir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + configDir, e);
      }
      try (OutputStream out = Files.newOutputStream(file)) {
        p.store(out, "DemLearn secure stack: client config of the role '" + role + "'");
        restrictToOwner(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file, e);
      }
      files.put(role, file);
    }
    return files;
  }

  /** An SSL context presenting {@code principal}'s certificate and trusting the authority. */
  public SSLContext sslContext(String principal) {
    try {
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(keyStore(principal)), password);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(load(trustStore()));
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot load the key store of '" + principal + "' in " + dir + ": " + e, e);
    }
  }

  /** The registry's TLS settings (Quarkus), client certificates of the authority required. */
  public List<String> registrySystemProperties() {
    String pw = new String(password);
    return List.of(
        "-Dquarkus.http.ssl.certificate.key-store-file=" + keyStore(REGISTRY),
        "-Dquarkus.http.ssl.certificate.key-store-file-type=PKCS12",
        "-Dquarkus.http.ssl.certificate.key-store-password=" + pw,
        "-Dquarkus.http.ssl.certificate.trust-store-file=" + trustStore(),
        "-Dquarkus.http.ssl.certificate.trust-store-file-type=PKCS12",
        "-Dquarkus.http.ssl.certificate.trust-store-password=" + pw,
        "-Dquarkus.http.ssl.client-auth=required",
        "-Dquarkus.http.insecure-requests=disabled");
  }

  private void ensureAll(List<String> clients, List<String> hostNames)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    KeyStore caStore;
    Path caFile = keyStore(CA);
    if (Files.exists(caFile)) {
      caStore = load(caFile);
    } else {
      KeyPair caKeys = newKeyPair();
      X500Name name = new X500Name("CN=DemLearn local certificate authority");
      X509v3CertificateBuilder b = builder(name, name, caKeys);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate ca = sign(b, caKeys.getPrivate());
      caStore = store(CA, caKeys.getPrivate(), ca);
      save(caStore, caFile);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry(CA, ca);
      save(trust, trustStore());
    }
    PrivateKey caKey = (PrivateKey) caStore.getKey(CA, password);
    X509Certificate ca = (X509Certificate) caStore.getCertificate(CA);
    List<String> servers = new ArrayList<>(List.of("localhost", "127.0.0.1"));
    servers.addAll(hostNames);
    issueIfMissing(BROKER, servers, ca, caKey);
    issueIfMissing(REGISTRY, servers, ca, caKey);
    for (String client : clients) {
      issueIfMissing(client, List.of(), ca, caKey);
    }
  }

  private void issueIfMissing(
      String principal, List<String> serverNames, X509Certificate ca, PrivateKey caKey)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    Path file = keyStore(principal);
    if (Files.exists(file) && namesAll(file, principal, serverNames)) {
      return;
    }
    KeyPair keys = newKeyPair();
    X509v3CertificateBuilder b =
        builder(
            X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), cn(principal), keys);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(
        Extension.extendedKeyUsage,
        false,
        new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    if (!serverNames.isEmpty()) {
      List<GeneralName> names = new ArrayList<>();
      for (String host : serverNames) {
        names.add(
            isAddress(host)
                ? new GeneralName(GeneralName.iPAddress, host)
                : new GeneralName(GeneralName.dNSName, host));
      }
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(GeneralName[]::new)));
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(principal, keys.getPrivate(), password, new Certificate[] {sign(b, caKey), ca});
    save(ks, file);
  }

  /** Whether the certificate in {@code file} is valid for every one of {@code names}. */
  private boolean namesAll(Path file, String principal, List<String> names)
      throws IOException, GeneralSecurityException {
    X509Certificate cert = (X509Certificate) load(file).getCertificate(principal);
    java.util.Set<String> has = new java.util.HashSet<>();
    if (cert.getSubjectAlternativeNames() != null) {
      cert.getSubjectAlternativeNames().forEach(n -> has.add(String.valueOf(n.get(1))));
    }
    return has.containsAll(names);
  }

  private static boolean isAddress(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  private static X500Name cn(String name) {
    return new X500Name("CN=" + name);
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(64, new SecureRandom()),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(VALIDITY)),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException, OperatorCreationException {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  private KeyStore store(String alias, PrivateKey key, X509Certificate cert)
      throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(alias, key, password, new Certificate[] {cert});
    return ks;
  }

  private KeyStore load(Path file) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, password);
    }
    return ks;
  }

  private void save(KeyStore ks, Path file) throws IOException, GeneralSecurityException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      ks.store(out, password);
    }
    restrictToOwner(tmp);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeOwnerOnly(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes);
    restrictToOwner(file);
  }

  private static void restrictToOwner(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // a file system without POSIX permissions: the folder's own protection applies
    }
  }
}
