package io.demlearn.runner;

import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.pipeline.signing.Ed25519;
import io.demlearn.pipeline.signing.KeyRing;
import io.demlearn.pipeline.signing.Signer;
import io.demlearn.schemas.avro.AgentKey;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerde;
import io.demlearn.schemas.serde.AvroSerdes;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demlearn benchmark signing}: what an Ed25519 signature costs per model update (an MLR
 * update: 7,850 floats, 31 KB): signing (the canonical bytes and the signature), verifying, and,
 * for scale, the update's Avro encoding and decoding, each the median over batches after a warm-up.
 */
@Command(
    name = "signing",
    mixinStandardHelpOptions = true,
    description = "Time signing and verifying a model update (Ed25519) against its Avro encoding.")
final class SigningBenchmark implements Callable<Integer> {
  @Option(
      names = "--dim",
      defaultValue = "7850",
      paramLabel = "D",
      description = "Parameters per update (default: ${DEFAULT-VALUE}, an MLR model).")
  int dim;

  @Option(
      names = "--batches",
      defaultValue = "30",
      paramLabel = "B",
      description = "Timed batches of 200 updates (default: ${DEFAULT-VALUE}).")
  int batches;

  @Override
  public Integer call() {
    if (dim < 1 || batches < 1) {
      throw new UserException("--dim and --batches must be >= 1");
    }
    ExperimentSettings settings =
        ExperimentSettings.builder().dataset("synthetic").agents(200).rounds(2).build();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      ids.add(String.format(Locale.ROOT, "agent-%03d", i));
    }
    Experiment e = new Experiment("bench-signing", settings, ids, Experiment.defaultPolicy());
    KeyRing ring = new KeyRing(e.id());
    Signer signer = new Signer();
    List<ModelUpdate> updates = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(1);
    for (String id : ids) {
      KeyPair pair = Ed25519.generate();
      signer.add(id, 0, pair.getPrivate());
      ring.add(
          AgentKey.newBuilder()
              .setExperimentId(e.id())
              .setOwnerId(id)
              .setKeyId(1)
              .setEffectiveFromRound(0)
              .setAlgorithm(Ed25519.ALGORITHM)
              .setPublicKey(ByteBuffer.wrap(pair.getPublic().getEncoded()))
              .setIssuedAtMs(0)
              .build());
      float[] p = new float[dim];
      for (int k = 0; k < dim; k++) {
        p[k] = (float) random.nextGaussian();
      }
      updates.add(
          ModelUpdates.of(e, id, 1, 0, 70, p, new AgentScore(1, 2, 3, 4), 1_764_000_000_000L));
    }
    try (AvroSerdes serdes =
        new AvroSerdes(Map.of(SchemaRegistryConfig.URL, "mock://bench-signing"))) {
      AvroSerde<ModelUpdate> serde = serdes.valueSerde(ModelUpdate.class);
      byte[][] encoded = new byte[updates.size()][];
      List<Double> sign = new ArrayList<>();
      List<Double> verify = new ArrayList<>();
      List<Double> encode = new ArrayList<>();
      List<Double> decode = new ArrayList<>();
      int size = 0;
      for (int b = -10; b < batches; b++) { // ten warm-up batches
        long t0 = System.nanoTime();
        updates.forEach(signer::sign);
        long t1 = System.nanoTime();
        for (ModelUpdate u : updates) {
          if (ring.verify(u) != KeyRing.Verdict.VALID) {
            throw new IllegalStateException("a signature did not verify");
          }
        }
        long t2 = System.nanoTime();
        for (int i = 0; i < updates.size(); i++) {
          encoded[i] = serde.serializer().serialize("u", updates.get(i));
        }
        long t3 = System.nanoTime();
        for (byte[] x : encoded) {
          serde.deserializer().deserialize("u", x);
        }
        long t4 = System.nanoTime();
        size = encoded[0].length;
        if (b >= 0) {
          double n = updates.size() * 1e3; // microseconds per update
          sign.add((t1 - t0) / n);
          verify.add((t2 - t1) / n);
          encode.add((t3 - t2) / n);
          decode.add((t4 - t3) / n);
        }
      }
      System.out.printf(
          Locale.ROOT,
          "update of %d parameters, %d bytes signed (Avro with its signature)%n"
              + "median per update over %d batches of %d: sign %.1f us, verify %.1f us;"
              + " Avro encode %.1f us, decode %.1f us%n",
          dim,
          size,
          batches,
          updates.size(),
          SimulateCommand.median(sign),
          SimulateCommand.median(verify),
          SimulateCommand.median(encode),
          SimulateCommand.median(decode));
    }
    return 0;
  }
}
