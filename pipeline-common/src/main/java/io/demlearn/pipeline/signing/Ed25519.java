package io.demlearn.pipeline.signing;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * Ed25519 (RFC 8032): key pairs and keys to and from their standard encodings (public: X.509
 * SubjectPublicKeyInfo; private: PKCS #8) by the JDK's own provider; signatures of byte strings by
 * Bouncy Castle's RFC 8032 functions, the same signatures (Ed25519 is deterministic) about ten
 * times faster than the JDK's here.
 */
public final class Ed25519 {
  public static final String ALGORITHM = "Ed25519";

  /** An Ed25519 signature's length in bytes. */
  public static final int SIGNATURE_BYTES = 64;

  private static final int KEY_BYTES = 32;

  private Ed25519() {}

  /** A new key pair from the JDK's strong random source. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no " + ALGORITHM, e);
    }
  }

  public static byte[] sign(PrivateKey key, byte[] content) {
    byte[] signature = new byte[SIGNATURE_BYTES];
    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(
        raw(key.getEncoded()), 0, content, 0, content.length, signature, 0);
    return signature;
  }

  /** Whether {@code signature} is {@code key}'s of {@code content}; false for a malformed one. */
  public static boolean verify(PublicKey key, byte[] content, byte[] signature) {
    return verifier(key).verify(content, signature);
  }

  /**
   * A public key decoded once for many verifications (decoding the curve point is a third of a
   * verification's cost).
   */
  public static final class Verifier {
    private final org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint point;

    private Verifier(org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint point) {
      this.point = point;
    }

    /** Whether {@code signature} is this key's of {@code content}. */
    public boolean verify(byte[] content, byte[] signature) {
      return signature != null
          && signature.length == SIGNATURE_BYTES
          && org.bouncycastle.math.ec.rfc8032.Ed25519.verify(
              signature, 0, point, content, 0, content.length);
    }
  }

  /**
   * The verifier of a public key.
   *
   * @throws IllegalArgumentException if the key is not a valid point of the curve
   */
  public static Verifier verifier(PublicKey key) {
    var point =
        org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFullExport(
            raw(key.getEncoded()), 0);
    if (point == null) {
      throw new IllegalArgumentException("not a valid Ed25519 public key (not a curve point)");
    }
    return new Verifier(point);
  }

  /**
   * The raw 32-byte key at the end of its standard encoding (X.509 SubjectPublicKeyInfo, PKCS #8
   * v1), which is what RFC 8032's functions take.
   */
  private static byte[] raw(byte[] encoded) {
    return Arrays.copyOfRange(encoded, encoded.length - KEY_BYTES, encoded.length);
  }

  /**
   * A public key from its X.509 encoding.
   *
   * @throws IllegalArgumentException if the bytes are not an Ed25519 public key
   */
  public static PublicKey publicKey(byte[] x509) {
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
    }
  }

  /**
   * A private key from its PKCS #8 encoding.
   *
   * @throws IllegalArgumentException if the bytes are not an Ed25519 private key
   */
  public static PrivateKey privateKey(byte[] pkcs8) {
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not an Ed25519 private key: " + e.getMessage(), e);
    }
  }
}
