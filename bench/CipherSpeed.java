import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * How fast this JVM encrypts TLS-sized records (16 KB) with TLS 1.3's ciphers: AES-128-GCM and
 * ChaCha20-Poly1305, each for 2 s, twice (the second pass counts). Run it under the compiler to
 * measure: bench/cipher_speed.sh runs it under C1 and C2.
 */
public class CipherSpeed {
  public static void main(String[] args) throws Exception {
    byte[] record = new byte[16384];
    new SecureRandom().nextBytes(record);
    for (int pass = 1; pass <= 2; pass++) {
      for (String cipher : new String[] {"AES/GCM/NoPadding", "ChaCha20-Poly1305"}) {
        boolean aes = cipher.startsWith("AES");
        KeyGenerator kg = KeyGenerator.getInstance(aes ? "AES" : "ChaCha20");
        kg.init(aes ? 128 : 256);
        SecretKey key = kg.generateKey();
        long t0 = System.nanoTime();
        long bytes = 0;
        for (int i = 0; System.nanoTime() - t0 < 2_000_000_000L; i++) {
          Cipher c = Cipher.getInstance(cipher);
          byte[] nonce = new byte[12];
          nonce[0] = (byte) i;
          nonce[1] = (byte) (i >> 8);
          nonce[2] = (byte) (i >> 16);
          nonce[3] = (byte) (i >> 24);
          c.init(
              Cipher.ENCRYPT_MODE,
              key,
              aes ? new GCMParameterSpec(128, nonce) : new IvParameterSpec(nonce));
          bytes += c.doFinal(record).length;
        }
        if (pass == 2) {
          System.out.printf(
              "%-18s %6.0f MB/s%n", cipher, bytes / ((System.nanoTime() - t0) / 1e9) / 1e6);
        }
      }
    }
  }
}
